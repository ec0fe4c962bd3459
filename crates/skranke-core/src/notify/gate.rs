//! The policy gate (RS-16): one pure function decides, for every message at send time, whether it
//! may go to its recipient. Rules in order, the first that objects wins:
//!
//! | rule | objects when | outcome |
//! | --- | --- | --- |
//! | RS-30 | a CPR number in subject or body | block |
//! | RS-01 | an internal recipient and a personal data class | block |
//! | RS-02 | a citizen and a confidential or sensitive topic | block |
//! | RS-10 | an internal recipient outside the own domains | hold |
//! | RS-11, RS-41 | the address is not verified now, or suspended (a verification code may go to any address that passes RS-10, RS-13) | hold |
//! | RS-20 | personal data and a transport without TLS | hold |
//!
//! *Block* is a problem of the content: the message must never go as it is. *Hold* is a problem
//! of the recipient or the transport: an administrator may release it once that is fixed (the
//! gate runs again on release). Neither drops the message.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use skranke_recipient::domain::OwnDomains;

use super::classes::{DataClass, DataClasses};
use super::record::{AddressState, Audience, RecipientRecord};

/// What a message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The code that proves an address: the only message an unverified address may receive.
    Verification,
    /// Everything else.
    Notification,
}

impl Purpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::Verification => "verification",
            Purpose::Notification => "notification",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        [Purpose::Verification, Purpose::Notification].into_iter().find(|p| p.as_str() == s)
    }
}

/// How the relay connection is protected, as configured for the delivery at hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// STARTTLS required or implicit TLS, with certificate validation (RS-20).
    Tls,
    /// No TLS: only messages without personal data may use it.
    Plain,
}

/// The organisation's side of the decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub own_domains: OwnDomains,
}

impl Policy {
    pub fn new(own_domains: OwnDomains) -> Self {
        Self { own_domains }
    }
}

/// A rendered message as the gate sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing<'a> {
    pub purpose: Purpose,
    /// The classes the template declares.
    pub classes: DataClasses,
    pub subject: &'a str,
    /// Every body the recipient gets (text and HTML), scanned as given.
    pub body: &'a str,
}

impl<'a> Outgoing<'a> {
    pub fn new(purpose: Purpose, classes: DataClasses, subject: &'a str, body: &'a str) -> Self {
        Self { purpose, classes, subject, body }
    }
}

/// Why a message was held or blocked. Stable codes for storage, pages and alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// RS-30: a CPR number in subject or body.
    CprFound,
    /// RS-01: personal data for a staff member or shared mailbox.
    PersonalDataToStaff,
    /// RS-02: a confidential or sensitive topic for a citizen.
    SensitiveTopicToCitizen,
    /// RS-10: an internal address outside the organisation's own domains.
    NotOwnDomain,
    /// RS-11: the address was never verified.
    Unverified,
    /// RS-11: its verification ran out.
    VerificationExpired,
    /// RS-41: the address is suspended.
    Suspended,
    /// RS-20: personal data and no TLS to the relay.
    TlsRequired,
    /// RS-10, RS-12: the message names no address record, or one whose address does not parse
    /// under Skranke's address rules. Decided before the gate, which needs a parsed address.
    InvalidAddress,
}

impl Reason {
    pub const ALL: [Reason; 9] = [
        Reason::CprFound,
        Reason::PersonalDataToStaff,
        Reason::SensitiveTopicToCitizen,
        Reason::NotOwnDomain,
        Reason::Unverified,
        Reason::VerificationExpired,
        Reason::Suspended,
        Reason::TlsRequired,
        Reason::InvalidAddress,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Reason::CprFound => "cpr_found",
            Reason::PersonalDataToStaff => "personal_data_to_staff",
            Reason::SensitiveTopicToCitizen => "sensitive_topic_to_citizen",
            Reason::NotOwnDomain => "not_own_domain",
            Reason::Unverified => "unverified",
            Reason::VerificationExpired => "verification_expired",
            Reason::Suspended => "suspended",
            Reason::TlsRequired => "tls_required",
            Reason::InvalidAddress => "invalid_address",
        }
    }

    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The requirement behind the reason.
    pub const fn requirement(self) -> &'static str {
        match self {
            Reason::CprFound => "RS-30",
            Reason::PersonalDataToStaff => "RS-01",
            Reason::SensitiveTopicToCitizen => "RS-02",
            Reason::NotOwnDomain => "RS-10",
            Reason::Unverified | Reason::VerificationExpired => "RS-11",
            Reason::Suspended => "RS-41",
            Reason::TlsRequired => "RS-20",
            Reason::InvalidAddress => "RS-10",
        }
    }
}

/// The rule that let a message through, recorded in the audit log (RS-50).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A code to an address being proven (RS-11, RS-13).
    VerificationCode,
    /// A verified own-domain address, no personal data (RS-01, RS-10, RS-11).
    VerifiedInternal,
    /// A verified citizen address, the citizen's own facts (RS-02, RS-11).
    VerifiedCitizen,
}

impl Rule {
    pub const fn code(self) -> &'static str {
        match self {
            Rule::VerificationCode => "verification_code",
            Rule::VerifiedInternal => "verified_internal",
            Rule::VerifiedCitizen => "verified_citizen",
        }
    }
}

/// The gate's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Send(Rule),
    Hold(Reason),
    Block(Reason),
}

impl Decision {
    pub const fn is_send(self) -> bool {
        matches!(self, Decision::Send(_))
    }
}

/// The classes a verification message may carry: the code, and where it comes from.
const VERIFICATION_ONLY: DataClasses = DataClasses::of(&[DataClass::VerificationCode, DataClass::Operational]);

/// Decides whether `message` may go to `recipient` now. Pure: same inputs, same answer.
pub fn decide(
    message: &Outgoing<'_>,
    recipient: &RecipientRecord,
    policy: &Policy,
    transport: Transport,
    now: Timestamp,
) -> Decision {
    let classes = message.classes;
    // RS-30 first: a number in the text is a leak whatever the template declared.
    if classes.contains(DataClass::Cpr)
        || skranke_recipient::cpr::contains_cpr(message.subject)
        || skranke_recipient::cpr::contains_cpr(message.body)
    {
        return Decision::Block(Reason::CprFound);
    }
    let internal = recipient.audience.is_internal();
    if internal && classes.any_personal() {
        return Decision::Block(Reason::PersonalDataToStaff);
    }
    if recipient.audience == Audience::Citizen && classes.contains(DataClass::SensitiveTopic) {
        return Decision::Block(Reason::SensitiveTopicToCitizen);
    }
    if internal && !policy.own_domains.contains(recipient.address.domain()) {
        return Decision::Hold(Reason::NotOwnDomain);
    }
    let verification = message.purpose == Purpose::Verification && classes.is_subset(VERIFICATION_ONLY);
    let rule = match (recipient.state.at(now), verification) {
        // A new code is how any address is proven again, a suspended one included; the proof is
        // its owner typing it back.
        (_, true) => Rule::VerificationCode,
        (AddressState::Suspended, false) => return Decision::Hold(Reason::Suspended),
        (AddressState::Unverified, false) => return Decision::Hold(Reason::Unverified),
        (AddressState::Expired, false) => return Decision::Hold(Reason::VerificationExpired),
        (AddressState::Verified { .. }, false) if internal => Rule::VerifiedInternal,
        (AddressState::Verified { .. }, false) => Rule::VerifiedCitizen,
    };
    if classes.any_personal() && transport != Transport::Tls {
        return Decision::Hold(Reason::TlsRequired);
    }
    Decision::Send(rule)
}
