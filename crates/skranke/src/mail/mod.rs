//! Outgoing mail: typed payloads, rendering through one template folder per message
//! (`crates/skranke/templates/mail/`), transports, and the outbox worker.
//!
//! Messages are never sent inside a request: a use case writes an outbox row in its transaction,
//! and the worker delivers it. RS-13: the first mail to a citizen's address carries only the code.
//! RS-02: citizen mail names the service only when its sensitivity is `normal`.

pub mod flows;
mod gate;
mod render;
mod route;
mod silence;
pub mod smtp;
mod templates;
mod worker;

#[cfg(test)]
mod template_tests;

pub use render::{Rendered, format_local, render};
pub use route::route_pending;
pub use silence::{SILENT_AFTER, SILENT_COUNT, check_silence};
pub use worker::{SEND_AT_ONCE, Transport, Worker, WorkerSettings};

use serde::{Deserialize, Serialize};
use skranke_core::notify::{DataClass, DataClasses, Purpose};
use skranke_core::service::Sensitivity;

use crate::store::{Appointment, CentreView, Service};

/// The typed fields of each template, stored as JSON in the outbox row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailPayload {
    /// Proof-of-address code; nothing else (RS-13).
    BookingCode {
        code: String,
    },
    BookingConfirmed(BookingFacts),
    BookingCancelled(BookingFacts),
    BookingMoved(BookingFacts),
    /// Proof-of-address code for a staff member's own address or a shared mailbox (RS-11): the
    /// code and the organisation's name, nothing else.
    AddressCode {
        code: String,
        organisation: String,
    },
    /// A visit was moved to a queue whose shared mailbox is told (RS-01: operational facts only).
    VisitTransferred(TransferFacts),
    /// A citizen arrived (checked in or took a ticket): operational facts for staff.
    VisitArrived(TransferFacts),
    /// A citizen did not show up when called: operational facts for staff.
    VisitNoShow(TransferFacts),
    /// A confirmed booking is due soon (default: within a day).
    BookingReminder(BookingFacts),
    /// The citizen did not come to their appointment.
    BookingMissed(BookingFacts),
    /// A message was held or blocked (RS-31): which kind of message, why, and where to look. No
    /// content of the held message.
    MessageHeld(HeldFacts),
    /// Notifications to an address went unacknowledged past the threshold (RS-40): which
    /// internal address, how many, since when. No content of the notifications.
    Silence(SilenceFacts),
}

/// A content-free alert about a silent address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceFacts {
    /// The internal address (configuration, not a citizen's).
    pub address: String,
    pub count: u32,
    /// RFC 3339 instant of the oldest unacknowledged notification.
    pub since: String,
    pub timezone: String,
    pub link: String,
}

/// What staff hear about a visit (transferred, arrived, no-show): the queue, the centre, when, and
/// a link into the signed-in desk page. The visit's id is kept for the audit log (data subject), never rendered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferFacts {
    pub visit: skranke_core::ids::VisitId,
    pub queue_name: String,
    pub centre_name: String,
    /// RFC 3339 instant.
    pub at: String,
    pub timezone: String,
    pub link: String,
}

/// A content-free alert about a held or blocked message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldFacts {
    /// The held message's template (not `template`: that is the payload's own tag).
    pub held_template: String,
    /// `skranke_core::notify::Reason` code.
    pub reason: String,
    pub blocked: bool,
    /// RFC 3339 instant.
    pub at: String,
    pub timezone: String,
    pub link: String,
}

/// What a citizen's booking mail may say: time, place, reference, and the service name only when
/// the service is not confidential or sensitive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFacts {
    pub reference: String,
    /// RFC 3339 instant.
    pub start: String,
    pub timezone: String,
    pub centre_name: String,
    pub centre_address: String,
    /// `None` for confidential and sensitive services.
    pub service_name: Option<String>,
}

impl BookingFacts {
    fn new(a: &Appointment, service: &Service, centre: &CentreView) -> Self {
        Self {
            reference: a.reference.to_string(),
            start: a.slot.start().to_string(),
            timezone: centre.timezone.clone(),
            centre_name: centre.centre.name.clone(),
            centre_address: centre.centre.address.clone(),
            service_name: (service.sensitivity == Sensitivity::Normal).then(|| service.name(a.language).to_owned()),
        }
    }
}

impl MailPayload {
    pub fn template(&self) -> &'static str {
        match self {
            MailPayload::BookingCode { .. } => "booking_code",
            MailPayload::BookingConfirmed(_) => "booking_confirmed",
            MailPayload::BookingCancelled(_) => "booking_cancelled",
            MailPayload::BookingMoved(_) => "booking_moved",
            MailPayload::AddressCode { .. } => "address_code",
            MailPayload::VisitTransferred(_) => "visit_transferred",
            MailPayload::VisitArrived(_) => "visit_arrived",
            MailPayload::VisitNoShow(_) => "visit_no_show",
            MailPayload::BookingReminder(_) => "booking_reminder",
            MailPayload::BookingMissed(_) => "booking_missed",
            MailPayload::MessageHeld(_) => "message_held",
            MailPayload::Silence(_) => "address_silent",
        }
    }

    /// RS-13: the code mail is the only one an unproven address gets.
    pub fn purpose(&self) -> Purpose {
        match self {
            MailPayload::BookingCode { .. } | MailPayload::AddressCode { .. } => Purpose::Verification,
            _ => Purpose::Notification,
        }
    }

    /// The data classes this message carries (RS-01, RS-02, RS-50): what the gate judges and the
    /// audit log records. `tests::declared_classes_cover_every_field` renders each template with
    /// marker values and fails on anything undeclared.
    pub fn classes(&self) -> DataClasses {
        match self {
            MailPayload::BookingCode { .. } => DataClasses::of(&[DataClass::VerificationCode]),
            MailPayload::AddressCode { .. } => DataClasses::of(&[DataClass::VerificationCode, DataClass::Operational]),
            MailPayload::VisitTransferred(_)
            | MailPayload::VisitArrived(_)
            | MailPayload::VisitNoShow(_)
            | MailPayload::MessageHeld(_)
            | MailPayload::Silence(_) => DataClasses::of(&[DataClass::Operational]),
            MailPayload::BookingConfirmed(f)
            | MailPayload::BookingCancelled(f)
            | MailPayload::BookingMoved(f)
            | MailPayload::BookingReminder(f)
            | MailPayload::BookingMissed(f) => {
                let base = DataClasses::of(&[DataClass::Appointment, DataClass::BookingReference]);
                if f.service_name.is_some() { base.with(DataClass::ServiceName) } else { base }
            }
        }
    }

    /// The data subjects a message refers to, for the audit log (RS-50) and breach scoping: ids,
    /// never names. A booking's messages name the appointment from the outbox row instead.
    pub fn subjects(&self) -> Vec<String> {
        match self {
            MailPayload::VisitTransferred(f) | MailPayload::VisitArrived(f) | MailPayload::VisitNoShow(f) => {
                vec![format!("visit:{}", f.visit)]
            }
            _ => Vec::new(),
        }
    }

    pub fn confirmed(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingConfirmed(BookingFacts::new(a, s, c))
    }
    pub fn cancelled(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingCancelled(BookingFacts::new(a, s, c))
    }
    pub fn moved(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingMoved(BookingFacts::new(a, s, c))
    }
    pub fn reminder(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingReminder(BookingFacts::new(a, s, c))
    }
    pub fn missed(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingMissed(BookingFacts::new(a, s, c))
    }
}

#[cfg(test)]
mod tests {
    use skranke_core::ids::VisitId;
    use skranke_core::notify::{DataClass, DataClasses};

    use super::*;
    use crate::i18n::Lang;

    /// A marker value per data class: rendering a template with markers in every field shows
    /// which classes reach the text.
    const MARKERS: &[(&str, DataClass)] = &[
        ("MRKCODE", DataClass::VerificationCode),
        ("MRKREF", DataClass::BookingReference),
        ("MRKPLACE", DataClass::Appointment),
        ("MRKSERVICE", DataClass::ServiceName),
        ("MRKQUEUE", DataClass::Operational),
        ("MRKORG", DataClass::Operational),
        ("MRKLINK", DataClass::Operational),
        ("MRKTEMPLATE", DataClass::Operational),
    ];

    fn booking(service: Option<&str>) -> BookingFacts {
        BookingFacts {
            reference: "MRKREF".into(),
            start: "2026-12-03T09:30:00Z".into(),
            timezone: "Europe/Copenhagen".into(),
            centre_name: "MRKPLACE".into(),
            centre_address: "MRKPLACE".into(),
            service_name: service.map(str::to_owned),
        }
    }

    fn visit_facts(visit: VisitId) -> TransferFacts {
        TransferFacts {
            visit,
            queue_name: "MRKQUEUE".into(),
            centre_name: "MRKQUEUE".into(),
            at: "2026-12-03T09:30:00Z".into(),
            timezone: "Europe/Copenhagen".into(),
            link: "https://x/MRKLINK".into(),
        }
    }

    fn every_payload() -> Vec<MailPayload> {
        let visit = VisitId::from_uuid(uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0));
        vec![
            MailPayload::BookingCode { code: "MRKCODE".into() },
            MailPayload::BookingConfirmed(booking(Some("MRKSERVICE"))),
            MailPayload::BookingConfirmed(booking(None)),
            MailPayload::BookingCancelled(booking(Some("MRKSERVICE"))),
            MailPayload::BookingCancelled(booking(None)),
            MailPayload::BookingMoved(booking(None)),
            MailPayload::BookingMoved(booking(Some("MRKSERVICE"))),
            MailPayload::AddressCode { code: "MRKCODE".into(), organisation: "MRKORG".into() },
            MailPayload::VisitTransferred(TransferFacts {
                visit,
                queue_name: "MRKQUEUE".into(),
                centre_name: "MRKQUEUE".into(),
                at: "2026-12-03T09:30:00Z".into(),
                timezone: "Europe/Copenhagen".into(),
                link: "https://x/MRKLINK".into(),
            }),
            MailPayload::VisitArrived(visit_facts(visit)),
            MailPayload::VisitNoShow(visit_facts(visit)),
            MailPayload::BookingReminder(booking(Some("MRKSERVICE"))),
            MailPayload::BookingReminder(booking(None)),
            MailPayload::BookingMissed(booking(Some("MRKSERVICE"))),
            MailPayload::BookingMissed(booking(None)),
            MailPayload::Silence(SilenceFacts {
                address: "MRKQUEUE@x.dk".into(),
                count: 3,
                since: "2026-12-03T09:30:00Z".into(),
                timezone: "Europe/Copenhagen".into(),
                link: "https://x/MRKLINK".into(),
            }),
            MailPayload::MessageHeld(HeldFacts {
                held_template: "MRKTEMPLATE".into(),
                reason: "not_own_domain".into(),
                blocked: false,
                at: "2026-12-03T09:30:00Z".into(),
                timezone: "Europe/Copenhagen".into(),
                link: "https://x/MRKLINK".into(),
            }),
            MailPayload::MessageHeld(HeldFacts {
                held_template: "MRKTEMPLATE".into(),
                reason: "cpr_found".into(),
                blocked: true,
                at: "2026-12-03T09:30:00Z".into(),
                timezone: "Europe/Copenhagen".into(),
                link: "https://x/MRKLINK".into(),
            }),
        ]
    }

    /// RS-62: the data-flow map says of every template exactly what the template declares (the
    /// most it may carry), and every template is on the map.
    #[test]
    fn the_data_flow_map_matches_the_templates() {
        let payloads = every_payload();
        let map = flows::flows(&flows::every_route());
        for payload in &payloads {
            let flows: Vec<_> = map.iter().filter(|f| f.template == payload.template()).collect();
            assert!(!flows.is_empty(), "{} is not on the data-flow map", payload.template());
            for f in flows {
                assert!(payload.classes().is_subset(f.classes), "{}: map says {:?}", f.template, f.classes.to_names());
            }
        }
        for f in &map {
            let widest = payloads
                .iter()
                .filter(|p| p.template() == f.template)
                .fold(DataClasses::EMPTY, |acc, p| DataClasses::from_iter(acc.iter().chain(p.classes().iter())));
            assert_eq!(widest, f.classes, "{} on the map differs from what it declares", f.template);
        }
        let svg = flows::svg(Lang::Da, &map);
        assert!(svg.starts_with("<svg") && svg.contains("role=\"img\"") && !svg.contains("mail.flows."));
    }

    /// RS-01, RS-02, RS-50: every class that reaches a rendered message is declared by it, staff
    /// messages carry no personal class, and a visit's id (kept for the audit) is never rendered.
    /// (Checked to fail: dropping `Operational` from the address code's declaration fails it.)
    ///
    /// The HTML is held to the same declaration, and carries no marker the text does not: the
    /// gate reads the subject and the text, so the HTML must not say more. (Checked to fail: taking
    /// the booking reference out of `booking_moved/body.en.html` fails it.)
    #[test]
    fn declared_classes_cover_every_field() {
        let payloads = every_payload();
        assert!(template_tests::covers_every_variant(&payloads), "a MailPayload variant has no marker sample");
        for payload in payloads {
            let declared = payload.classes();
            for lang in [Lang::Da, Lang::En] {
                let r = render::render(lang, &payload).unwrap();
                let text = format!("{}\n{}", r.subject, r.text);
                let markers_in =
                    |s: &str| -> Vec<&str> { MARKERS.iter().map(|(m, _)| *m).filter(|m| s.contains(m)).collect() };
                assert_eq!(
                    markers_in(&r.html),
                    markers_in(&text),
                    "{}: the HTML and the text differ",
                    payload.template()
                );
                for part in [&text, &r.html] {
                    let found: DataClasses =
                        MARKERS.iter().filter(|(m, _)| part.contains(m)).map(|(_, class)| *class).collect();
                    assert!(
                        found.is_subset(declared),
                        "{} renders {:?} but declares {:?}",
                        payload.template(),
                        found.to_names(),
                        declared.to_names()
                    );
                    assert!(!part.contains("12345678-9abc"), "{} renders an id", payload.template());
                }
            }
            if matches!(
                payload,
                MailPayload::VisitTransferred(_)
                    | MailPayload::VisitArrived(_)
                    | MailPayload::VisitNoShow(_)
                    | MailPayload::MessageHeld(_)
                    | MailPayload::Silence(_)
            ) {
                assert!(!declared.any_personal(), "{} is a staff message", payload.template());
            }
            if let MailPayload::BookingConfirmed(f) = &payload
                && f.service_name.is_none()
            {
                assert!(!declared.contains(DataClass::ServiceName));
            }
        }
    }
}
