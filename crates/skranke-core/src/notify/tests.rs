#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use proptest::prelude::*;
use skranke_recipient::address::EmailAddress;
use skranke_recipient::domain::OwnDomains;

use super::*;

fn now() -> Timestamp {
    "2026-11-30T09:00:00Z".parse().unwrap()
}

fn policy() -> Policy {
    Policy::new(OwnDomains::new(["fredericia.dk"], ["mail.fredericia.dk"]).unwrap())
}

fn verified() -> AddressState {
    AddressState::Verified {
        verified_at: "2026-01-10T08:00:00Z".parse().unwrap(),
        expires_at: "2027-01-10T08:00:00Z".parse().unwrap(),
    }
}

fn record(audience: Audience, address: &str, state: AddressState) -> RecipientRecord {
    RecipientRecord::new(audience, EmailAddress::parse(address).unwrap(), state)
}

const STAFF: DataClasses = DataClasses::of(&[DataClass::Operational]);
const CITIZEN: DataClasses =
    DataClasses::of(&[DataClass::Appointment, DataClass::BookingReference, DataClass::ServiceName]);
const CODE: DataClasses = DataClasses::of(&[DataClass::VerificationCode]);

fn notification(classes: DataClasses, body: &'static str) -> Outgoing<'static> {
    Outgoing::new(Purpose::Notification, classes, "Skranke", body)
}

fn decide_now(message: &Outgoing<'_>, recipient: &RecipientRecord) -> Decision {
    decide(message, recipient, &policy(), Transport::Tls, now())
}

#[test]
fn verified_own_domain_staff_gets_operational_mail() {
    let staff = record(Audience::SharedMailbox, "ydelser@fredericia.dk", verified());
    assert_eq!(
        decide_now(&notification(STAFF, "1 ny ankomst i Ydelser"), &staff),
        Decision::Send(Rule::VerifiedInternal)
    );
    let listed = record(Audience::Staff, "a@mail.fredericia.dk", verified());
    assert_eq!(decide_now(&notification(STAFF, "x"), &listed), Decision::Send(Rule::VerifiedInternal));
}

#[test]
fn the_fredericia_address_is_held_even_if_marked_verified() {
    // A bad import can write any state; the own-domain rule does not trust it.
    for address in [
        "ydelser@fred.dk",
        "ydelser@fredericia.com",
        "ydelser@fredericia.dk.evil.com",
        "ydelser@xn--frederici-8yh.dk",
        "ydelser@intern.fredericia.dk",
    ] {
        for state in [verified(), AddressState::Unverified] {
            let r = record(Audience::SharedMailbox, address, state);
            assert_eq!(
                decide_now(&notification(STAFF, "1 ny ankomst"), &r),
                Decision::Hold(Reason::NotOwnDomain),
                "{address}"
            );
            // Not even a verification code goes there.
            let code = Outgoing::new(Purpose::Verification, CODE, "Kode", "Din kode: 482913");
            assert_eq!(decide_now(&code, &r), Decision::Hold(Reason::NotOwnDomain), "{address}");
        }
    }
}

#[test]
fn staff_mail_with_personal_data_is_blocked() {
    let staff = record(Audience::SharedMailbox, "ydelser@fredericia.dk", verified());
    for class in DataClass::ALL.into_iter().filter(|c| c.is_personal() && *c != DataClass::Cpr) {
        let classes = STAFF.with(class);
        assert_eq!(
            decide_now(&notification(classes, "x"), &staff),
            Decision::Block(Reason::PersonalDataToStaff),
            "{class:?}"
        );
    }
}

#[test]
fn citizen_mail_never_names_a_sensitive_topic() {
    let citizen = record(Audience::Citizen, "borger@example.dk", verified());
    assert_eq!(decide_now(&notification(CITIZEN, "x"), &citizen), Decision::Send(Rule::VerifiedCitizen));
    assert_eq!(
        decide_now(&notification(CITIZEN.with(DataClass::SensitiveTopic), "x"), &citizen),
        Decision::Block(Reason::SensitiveTopicToCitizen)
    );
}

#[test]
fn a_cpr_number_blocks_whatever_was_declared() {
    let citizen = record(Audience::Citizen, "borger@example.dk", verified());
    // Synthetic number.
    let body = "Kære borger, dit cpr-nummer 010290-4000 er registreret.";
    assert_eq!(decide_now(&notification(CITIZEN, body), &citizen), Decision::Block(Reason::CprFound));
    let subject = Outgoing::new(Purpose::Notification, CITIZEN, "Sag 0102904000", "x");
    assert_eq!(decide_now(&subject, &citizen), Decision::Block(Reason::CprFound));
    // Even in a verification code message, and to staff.
    let staff = record(Audience::Staff, "a@fredericia.dk", verified());
    let code = Outgoing::new(Purpose::Verification, CODE, "Kode", "cpr 010290-4000");
    assert_eq!(decide_now(&code, &staff), Decision::Block(Reason::CprFound));
    assert_eq!(decide_now(&notification(STAFF.with(DataClass::Cpr), "x"), &citizen), Decision::Block(Reason::CprFound));
}

#[test]
fn unproven_addresses_get_only_the_code() {
    let expired = AddressState::Verified {
        verified_at: "2025-11-01T08:00:00Z".parse().unwrap(),
        expires_at: "2026-11-01T08:00:00Z".parse().unwrap(),
    };
    let code = Outgoing::new(Purpose::Verification, CODE, "Kode", "Din kode: 482913");
    for (state, reason) in [
        (AddressState::Unverified, Reason::Unverified),
        (AddressState::Expired, Reason::VerificationExpired),
        (expired, Reason::VerificationExpired),
        (AddressState::Suspended, Reason::Suspended),
    ] {
        for audience in [Audience::Citizen, Audience::Staff, Audience::SharedMailbox] {
            let r = record(audience, "a@fredericia.dk", state);
            let classes = if audience == Audience::Citizen { CITIZEN } else { STAFF };
            assert_eq!(decide_now(&notification(classes, "x"), &r), Decision::Hold(reason), "{state:?} {audience:?}");
            assert_eq!(decide_now(&code, &r), Decision::Send(Rule::VerificationCode), "{state:?} {audience:?}");
        }
    }
    // A "verification" that carries more than the code is a notification.
    let sneaky = Outgoing::new(Purpose::Verification, CODE.with(DataClass::BookingReference), "Kode", "x");
    let citizen = record(Audience::Citizen, "borger@example.dk", AddressState::Unverified);
    assert_eq!(decide_now(&sneaky, &citizen), Decision::Hold(Reason::Unverified));
}

#[test]
fn expiry_is_judged_at_now() {
    let state = verified();
    let r = record(Audience::Staff, "a@fredericia.dk", state);
    let message = notification(STAFF, "x");
    let before: Timestamp = "2027-01-10T07:59:59Z".parse().unwrap();
    let at: Timestamp = "2027-01-10T08:00:00Z".parse().unwrap();
    assert!(decide(&message, &r, &policy(), Transport::Tls, before).is_send());
    assert_eq!(decide(&message, &r, &policy(), Transport::Tls, at), Decision::Hold(Reason::VerificationExpired));
}

#[test]
fn personal_data_needs_tls() {
    let citizen = record(Audience::Citizen, "borger@example.dk", verified());
    let staff = record(Audience::Staff, "a@fredericia.dk", verified());
    let plain = |m: &Outgoing<'_>, r: &RecipientRecord| decide(m, r, &policy(), Transport::Plain, now());
    assert_eq!(plain(&notification(CITIZEN, "x"), &citizen), Decision::Hold(Reason::TlsRequired));
    // Content-free staff mail and codes may use a plain relay.
    assert_eq!(plain(&notification(STAFF, "x"), &staff), Decision::Send(Rule::VerifiedInternal));
    let code = Outgoing::new(Purpose::Verification, CODE, "Kode", "Din kode: 482913");
    assert_eq!(plain(&code, &citizen), Decision::Send(Rule::VerificationCode));
}

#[test]
fn class_names_round_trip() {
    for class in DataClass::ALL {
        assert_eq!(DataClass::parse(class.as_str()), Some(class));
    }
    let set = CITIZEN.with(DataClass::FreeText);
    assert_eq!(DataClasses::from_names(&set.to_names()), Some(set));
    assert_eq!(DataClasses::from_names(""), Some(DataClasses::EMPTY));
    assert_eq!(DataClasses::from_names("appointment,nonsense"), None);
    for reason in Reason::ALL {
        assert_eq!(Reason::parse(reason.code()), Some(reason));
    }
}

fn any_state() -> impl Strategy<Value = AddressState> {
    prop_oneof![
        Just(AddressState::Unverified),
        Just(AddressState::Expired),
        Just(AddressState::Suspended),
        (0i64..4_000_000_000, 0i64..4_000_000_000).prop_map(|(a, b)| AddressState::Verified {
            verified_at: Timestamp::from_second(a.min(b)).unwrap(),
            expires_at: Timestamp::from_second(a.max(b)).unwrap(),
        }),
    ]
}

proptest! {
    /// Whatever comes in, an internal address outside the own domains, personal data to staff,
    /// and an unproven address with more than a code never get `Send`.
    #[test]
    fn the_structural_rules_always_hold(
        bits in 0u16..1024,
        state in any_state(),
        audience in prop_oneof![Just(Audience::Citizen), Just(Audience::Staff), Just(Audience::SharedMailbox)],
        domain in prop_oneof![Just("fredericia.dk"), Just("fred.dk"), Just("mail.fredericia.dk"), Just("gmail.com")],
        verification in any::<bool>(),
        tls in any::<bool>(),
        at in 0i64..4_000_000_000,
        body in ".{0,60}",
    ) {
        let classes: DataClasses = DataClass::ALL.into_iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, c)| c).collect();
        let purpose = if verification { Purpose::Verification } else { Purpose::Notification };
        let message = Outgoing::new(purpose, classes, "s", &body);
        let r = record(audience, &format!("x@{domain}"), state);
        let transport = if tls { Transport::Tls } else { Transport::Plain };
        let now = Timestamp::from_second(at).unwrap();
        let decision = decide(&message, &r, &policy(), transport, now);
        if let Decision::Send(rule) = decision {
            prop_assert!(!skranke_recipient::cpr::contains_cpr(&body));
            if audience.is_internal() {
                prop_assert!(!classes.any_personal());
                prop_assert!(policy().own_domains.contains(r.address.domain()));
            }
            if audience == Audience::Citizen {
                prop_assert!(!classes.contains(DataClass::SensitiveTopic));
            }
            if rule == Rule::VerificationCode {
                prop_assert!(classes.is_subset(DataClasses::of(&[DataClass::VerificationCode, DataClass::Operational])));
            } else {
                let proven = matches!(state.at(now), AddressState::Verified { .. });
                prop_assert!(proven);
            }
            if classes.any_personal() {
                prop_assert_eq!(transport, Transport::Tls);
            }
        }
    }
}
