//! Renders a payload into subject, plain text and HTML: builds the message's typed view (times in
//! the centre's zone, words from the catalogue) and fills its templates (`templates.rs`).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::templates::{self, AddressCodeView, BookingView, CodeView, HeldView, SilentView, TransferView};
use super::{BookingFacts, MailPayload, TransferFacts};
use crate::i18n::{Lang, t, tf};

/// One message ready to send: the plain text and the HTML say the same (the gate reads the text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// "torsdag 3. december 2026 kl. 10:30" / "Thursday 3 December 2026 at 10:30", in `tz`.
pub fn format_local(lang: Lang, at: Timestamp, tz: &TimeZone) -> String {
    let dt = tz.to_datetime(at);
    let weekday = t(lang, &format!("weekday.{}", dt.weekday().to_monday_one_offset()));
    let month = t(lang, &format!("month.{}", dt.month()));
    tf(
        lang,
        "format.datetime",
        &[
            ("weekday", weekday),
            ("day", &dt.day().to_string()),
            ("month", month),
            ("year", &dt.year().to_string()),
            ("time", &dt.strftime("%H:%M").to_string()),
        ],
    )
}

/// An RFC 3339 instant as local date and time in `timezone`.
fn local_time(lang: Lang, at: &str, timezone: &str) -> Option<String> {
    let tz = TimeZone::get(timezone).ok()?;
    Some(format_local(lang, at.parse().ok()?, &tz))
}

fn booking(lang: Lang, f: &BookingFacts) -> Option<BookingView<'_>> {
    Some(BookingView {
        service: f.service_name.as_deref(),
        when: local_time(lang, &f.start, &f.timezone)?,
        centre: &f.centre_name,
        address: &f.centre_address,
        reference: &f.reference,
    })
}

fn visit(lang: Lang, f: &TransferFacts) -> Option<TransferView<'_>> {
    Some(TransferView {
        queue: &f.queue_name,
        centre: &f.centre_name,
        when: local_time(lang, &f.at, &f.timezone)?,
        link: &f.link,
    })
}

/// `None` when the payload cannot be rendered (a corrupt row); the worker then gives up on it.
pub fn render(lang: Lang, payload: &MailPayload) -> Option<Rendered> {
    let rendered = match payload {
        MailPayload::BookingCode { code } => templates::booking_code(lang, &CodeView { code }),
        MailPayload::BookingConfirmed(f) => templates::booking_confirmed(lang, &booking(lang, f)?),
        MailPayload::BookingCancelled(f) => templates::booking_cancelled(lang, &booking(lang, f)?),
        MailPayload::BookingMoved(f) => templates::booking_moved(lang, &booking(lang, f)?),
        MailPayload::AddressCode { code, organisation } => {
            templates::address_code(lang, &AddressCodeView { code, organisation })
        }
        MailPayload::BookingReminder(f) => templates::booking_reminder(lang, &booking(lang, f)?),
        MailPayload::BookingMissed(f) => templates::booking_missed(lang, &booking(lang, f)?),
        MailPayload::VisitTransferred(f) => templates::visit_transferred(lang, &visit(lang, f)?),
        MailPayload::VisitArrived(f) => templates::visit_arrived(lang, &visit(lang, f)?),
        MailPayload::VisitNoShow(f) => templates::visit_no_show(lang, &visit(lang, f)?),
        MailPayload::Silence(f) => templates::address_silent(
            lang,
            &SilentView {
                address: &f.address,
                count: f.count,
                since: local_time(lang, &f.since, &f.timezone)?,
                link: &f.link,
            },
        ),
        MailPayload::MessageHeld(f) => templates::message_held(
            lang,
            &HeldView {
                template: &f.held_template,
                reason: t(lang, &format!("gate.reason.{}", f.reason)),
                blocked: f.blocked,
                when: local_time(lang, &f.at, &f.timezone)?,
                link: &f.link,
            },
        ),
    };
    // Filling a template fails only when writing to the string does; treat it like a corrupt row.
    rendered.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(service_name: Option<&str>) -> BookingFacts {
        BookingFacts {
            reference: "K7F-3QX".into(),
            start: "2026-12-03T09:30:00Z".into(),
            timezone: "Europe/Copenhagen".into(),
            centre_name: "Borgerservice Eksempelby".into(),
            centre_address: "Torvet 1, 9999 Eksempelby".into(),
            service_name: service_name.map(str::to_owned),
        }
    }

    #[test]
    fn code_mail_carries_only_the_code() {
        for lang in [Lang::Da, Lang::En] {
            let r = render(lang, &MailPayload::BookingCode { code: "123456".into() }).unwrap();
            assert!(r.text.contains("123456") && r.html.contains("123456"));
            for leak in ["Eksempelby", "K7F", "Torvet"] {
                assert!(!r.text.contains(leak) && !r.subject.contains(leak) && !r.html.contains(leak));
            }
        }
    }

    #[test]
    fn confirmation_in_local_time_and_without_confidential_service() {
        let r = render(Lang::Da, &MailPayload::BookingConfirmed(facts(None))).unwrap();
        for body in [&r.text, &r.html] {
            assert!(body.contains("torsdag 3. december 2026 kl. 10:30"), "{body}");
            assert!(body.contains("K7F-3QX") && body.contains("Din aftale"), "{body}");
        }
        let en = render(Lang::En, &MailPayload::BookingConfirmed(facts(Some("Passport")))).unwrap();
        for body in [&en.text, &en.html] {
            assert!(body.contains("Thursday 3 December 2026 at 10:30"), "{body}");
            assert!(body.contains("Passport") && !body.contains("Your appointment"), "{body}");
        }
    }

    /// A corrupt row (an unknown zone or a malformed instant) renders nothing rather than a
    /// message with a wrong time.
    #[test]
    fn unrenderable_facts_render_nothing() {
        let mut zone = facts(None);
        zone.timezone = "Europe/Atlantis".into();
        assert_eq!(render(Lang::Da, &MailPayload::BookingMoved(zone)), None);
        let mut instant = facts(None);
        instant.start = "3 December".into();
        assert_eq!(render(Lang::En, &MailPayload::BookingCancelled(instant)), None);
    }

    #[test]
    fn every_hold_reason_has_words_in_both_languages() {
        let worker_reasons = ["tls_unavailable", "smtp_rejected", "delivery_failed", "render_failed"];
        let codes = skranke_core::notify::Reason::ALL.iter().map(|r| r.code()).chain(worker_reasons);
        for code in codes {
            for lang in [Lang::Da, Lang::En] {
                let key = format!("gate.reason.{code}");
                assert_ne!(t(lang, &key), key, "{key} missing in {lang:?}");
            }
        }
    }
}
