//! The mail templates pinned: snapshots of every message in both languages, the folder of every
//! payload variant, and HTML escaping. Update snapshots with `INSTA_UPDATE=always` (or
//! `cargo insta review`) and read the diff before committing it.

use std::path::Path;

use super::{BookingFacts, HeldFacts, MailPayload, SilenceFacts, TransferFacts, render};
use crate::i18n::Lang;

/// The number of `MailPayload` variants; `variant_index` numbers them.
const VARIANTS: usize = 12;

/// A new variant does not compile here until it is numbered; numbering it past `VARIANTS` or
/// leaving it out of `samples` fails `every_variant_has_its_folder`. So a new message cannot ship
/// without a sample, and so without its folder.
pub(super) fn variant_index(payload: &MailPayload) -> usize {
    match payload {
        MailPayload::BookingCode { .. } => 0,
        MailPayload::BookingConfirmed(_) => 1,
        MailPayload::BookingCancelled(_) => 2,
        MailPayload::BookingMoved(_) => 3,
        MailPayload::AddressCode { .. } => 4,
        MailPayload::VisitTransferred(_) => 5,
        MailPayload::MessageHeld(_) => 6,
        MailPayload::Silence(_) => 7,
        MailPayload::VisitArrived(_) => 8,
        MailPayload::VisitNoShow(_) => 9,
        MailPayload::BookingReminder(_) => 10,
        MailPayload::BookingMissed(_) => 11,
    }
}

/// Whether `payloads` holds at least one of every variant.
pub(super) fn covers_every_variant(payloads: &[MailPayload]) -> bool {
    (0..VARIANTS).all(|i| payloads.iter().any(|p| variant_index(p) == i))
        && payloads.iter().all(|p| variant_index(p) < VARIANTS)
}

const AT: &str = "2026-12-03T09:30:00Z";
const TZ: &str = "Europe/Copenhagen";

fn booking(service: Option<&str>) -> BookingFacts {
    BookingFacts {
        reference: "K7F-3QX".into(),
        start: AT.into(),
        timezone: TZ.into(),
        centre_name: "Borgerservice Eksempelby".into(),
        centre_address: "Torvet 1, 9999 Eksempelby".into(),
        service_name: service.map(str::to_owned),
    }
}

fn held(blocked: bool, reason: &str) -> MailPayload {
    MailPayload::MessageHeld(HeldFacts {
        held_template: "booking_confirmed".into(),
        reason: reason.into(),
        blocked,
        at: AT.into(),
        timezone: TZ.into(),
        link: "https://skranke.eksempelby.dk/staff/mail/held".into(),
    })
}

fn visit() -> TransferFacts {
    TransferFacts {
        visit: skranke_core::ids::VisitId::from_uuid(uuid::Uuid::from_u128(2)),
        queue_name: "Borgerservice".into(),
        centre_name: "Borgerservice Eksempelby".into(),
        at: AT.into(),
        timezone: TZ.into(),
        link: "https://skranke.eksempelby.dk/staff/ack/01936f4e-5b2a-7c3d-8e9f-0a1b2c3d4e60".into(),
    }
}

/// Every message with fixed, realistic facts, named for its snapshot.
fn samples() -> Vec<(&'static str, MailPayload)> {
    // An ampersand, so the snapshots show the HTML escaped and the text not.
    let service = Some("Pas & kørekort");
    vec![
        ("booking_code", MailPayload::BookingCode { code: "482913".into() }),
        ("booking_confirmed_service", MailPayload::BookingConfirmed(booking(service))),
        ("booking_confirmed_no_service", MailPayload::BookingConfirmed(booking(None))),
        ("booking_cancelled_service", MailPayload::BookingCancelled(booking(service))),
        ("booking_cancelled_no_service", MailPayload::BookingCancelled(booking(None))),
        ("booking_moved_service", MailPayload::BookingMoved(booking(service))),
        ("booking_moved_no_service", MailPayload::BookingMoved(booking(None))),
        ("address_code", MailPayload::AddressCode { code: "730561".into(), organisation: "Eksempelby Kommune".into() }),
        (
            "visit_transferred",
            MailPayload::VisitTransferred(TransferFacts {
                visit: skranke_core::ids::VisitId::from_uuid(uuid::Uuid::from_u128(1)),
                queue_name: "Ydelser".into(),
                centre_name: "Borgerservice Eksempelby".into(),
                at: AT.into(),
                timezone: TZ.into(),
                link: "https://skranke.eksempelby.dk/staff/ack/01936f4e-5b2a-7c3d-8e9f-0a1b2c3d4e5f".into(),
            }),
        ),
        ("visit_arrived", MailPayload::VisitArrived(visit())),
        ("visit_no_show", MailPayload::VisitNoShow(visit())),
        ("booking_reminder_service", MailPayload::BookingReminder(booking(service))),
        ("booking_reminder_no_service", MailPayload::BookingReminder(booking(None))),
        ("booking_missed_service", MailPayload::BookingMissed(booking(service))),
        ("booking_missed_no_service", MailPayload::BookingMissed(booking(None))),
        ("message_held", held(false, "not_own_domain")),
        ("message_blocked", held(true, "cpr_found")),
        (
            "address_silent",
            MailPayload::Silence(SilenceFacts {
                address: "ydelser@eksempelby.dk".into(),
                count: 3,
                since: AT.into(),
                timezone: TZ.into(),
                link: "https://skranke.eksempelby.dk/staff/mail".into(),
            }),
        ),
    ]
}

/// Subject, text and HTML of every message in both languages, pinned.
#[test]
fn every_template_renders_as_pinned() {
    for (name, payload) in samples() {
        for lang in [Lang::Da, Lang::En] {
            let r = render(lang, &payload).unwrap();
            let all = format!("subject: {}\n--- text ---\n{}\n--- html ---\n{}\n", r.subject, r.text, r.html);
            insta::assert_snapshot!(format!("{name}_{}", lang.code()), all);
        }
    }
}

/// `template()` names the message's folder, and the folder holds exactly the subject, text and
/// HTML body in Danish and English (askama checks the paths `templates.rs` names; this checks
/// that they are the ones `template()` promises, for every variant).
#[test]
fn every_variant_has_its_folder() {
    let payloads: Vec<MailPayload> = samples().into_iter().map(|(_, p)| p).collect();
    assert!(covers_every_variant(&payloads), "a MailPayload variant has no sample");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/mail");
    let expected: Vec<String> = ["body", "subject", "text"]
        .iter()
        .flat_map(|part| {
            let ext = if *part == "body" { "html" } else { "txt" };
            ["da", "en"].map(|lang| format!("{part}.{lang}.{ext}"))
        })
        .collect();
    let mut folders: Vec<&str> = payloads.iter().map(MailPayload::template).collect();
    folders.dedup();
    for folder in &folders {
        let mut files: Vec<String> = std::fs::read_dir(root.join(folder))
            .unwrap_or_else(|e| panic!("templates/mail/{folder}: {e}"))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, expected, "templates/mail/{folder}");
    }
    // And no folder is left over from a message that no longer exists.
    let mut on_disk: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    folders.sort();
    assert_eq!(on_disk, folders);
}

/// What a centre or service is called reaches the HTML escaped and the text as typed.
#[test]
fn html_is_escaped_and_text_is_not() {
    let mut facts = booking(Some("<b>Pas</b>"));
    facts.centre_name = "Syd & \"Nord\"".into();
    for lang in [Lang::Da, Lang::En] {
        let r = render(lang, &MailPayload::BookingConfirmed(facts.clone())).unwrap();
        assert!(r.text.contains("<b>Pas</b>") && r.text.contains("Syd & \"Nord\""), "{}", r.text);
        assert!(!r.html.contains("<b>Pas"), "{}", r.html);
        assert!(
            r.html.contains("&#60;b&#62;Pas&#60;/b&#62;") && r.html.contains("Syd &#38; &#34;Nord&#34;"),
            "{}",
            r.html
        );
    }
}

/// Subjects are one line (a header) and the HTML is a whole document in the message's language.
#[test]
fn subjects_are_one_line_and_html_names_its_language() {
    for (name, payload) in samples() {
        for lang in [Lang::Da, Lang::En] {
            let r = render(lang, &payload).unwrap();
            assert!(!r.subject.is_empty() && !r.subject.contains(['\n', '\r']), "{name}: {:?}", r.subject);
            assert!(r.html.starts_with("<!doctype html>"), "{name}");
            assert!(r.html.contains(&format!("<html lang=\"{}\">", lang.code())), "{name}");
            assert!(!r.html.contains("{{") && !r.text.contains("{{"), "{name}");
        }
    }
}
