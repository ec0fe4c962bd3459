//! Renders a payload into subject and plain text from the catalogue.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{BookingFacts, MailPayload, TransferFacts};
use crate::i18n::{Lang, t, tf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
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

fn facts_body(lang: Lang, intro_key: &str, f: &BookingFacts) -> Option<String> {
    let tz = TimeZone::get(&f.timezone).ok()?;
    let start: Timestamp = f.start.parse().ok()?;
    let what = f.service_name.clone().unwrap_or_else(|| t(lang, "mail.your_appointment").to_owned());
    Some(tf(
        lang,
        intro_key,
        &[
            ("what", &what),
            ("when", &format_local(lang, start, &tz)),
            ("centre", &f.centre_name),
            ("address", &f.centre_address),
            ("reference", &f.reference),
        ],
    ))
}

fn visit_body(lang: Lang, key: &str, f: &TransferFacts) -> Option<String> {
    let when = local_time(lang, &f.at, &f.timezone)?;
    Some(tf(lang, key, &[("queue", &f.queue_name), ("centre", &f.centre_name), ("when", &when), ("link", &f.link)]))
}

/// An RFC 3339 instant as local date and time in `timezone`.
fn local_time(lang: Lang, at: &str, timezone: &str) -> Option<String> {
    let tz = TimeZone::get(timezone).ok()?;
    Some(format_local(lang, at.parse().ok()?, &tz))
}

/// `None` when the payload cannot be rendered (a corrupt row); the worker then gives up on it.
pub fn render(lang: Lang, payload: &MailPayload) -> Option<Rendered> {
    let (subject_key, text) = match payload {
        MailPayload::BookingCode { code } => ("mail.code.subject", tf(lang, "mail.code.text", &[("code", code)])),
        MailPayload::BookingConfirmed(f) => ("mail.confirmed.subject", facts_body(lang, "mail.confirmed.text", f)?),
        MailPayload::BookingCancelled(f) => ("mail.cancelled.subject", facts_body(lang, "mail.cancelled.text", f)?),
        MailPayload::BookingMoved(f) => ("mail.moved.subject", facts_body(lang, "mail.moved.text", f)?),
        MailPayload::AddressCode { code, organisation } => (
            "mail.address_code.subject",
            tf(lang, "mail.address_code.text", &[("code", code), ("organisation", organisation)]),
        ),
        MailPayload::BookingReminder(f) => ("mail.reminder.subject", facts_body(lang, "mail.reminder.text", f)?),
        MailPayload::BookingMissed(f) => ("mail.missed.subject", facts_body(lang, "mail.missed.text", f)?),
        MailPayload::VisitTransferred(f) => ("mail.transferred.subject", visit_body(lang, "mail.transferred.text", f)?),
        MailPayload::VisitArrived(f) => ("mail.arrived.subject", visit_body(lang, "mail.arrived.text", f)?),
        MailPayload::VisitNoShow(f) => ("mail.no_show.subject", visit_body(lang, "mail.no_show.text", f)?),
        MailPayload::Silence(f) => {
            let since = local_time(lang, &f.since, &f.timezone)?;
            let text = tf(
                lang,
                "mail.silent.text",
                &[("address", &f.address), ("count", &f.count.to_string()), ("since", &since), ("link", &f.link)],
            );
            ("mail.silent.subject", text)
        }
        MailPayload::MessageHeld(f) => {
            let when = local_time(lang, &f.at, &f.timezone)?;
            let reason = t(lang, &format!("gate.reason.{}", f.reason));
            let key = if f.blocked { "mail.held.text_blocked" } else { "mail.held.text" };
            let text = tf(
                lang,
                key,
                &[("template", &f.held_template), ("reason", reason), ("when", &when), ("link", &f.link)],
            );
            (if f.blocked { "mail.held.subject_blocked" } else { "mail.held.subject" }, text)
        }
    };
    Some(Rendered { subject: t(lang, subject_key).to_owned(), text })
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
        let r = render(Lang::Da, &MailPayload::BookingCode { code: "123456".into() }).unwrap();
        assert!(r.text.contains("123456"));
        for leak in ["Eksempelby", "K7F", "Torvet"] {
            assert!(!r.text.contains(leak) && !r.subject.contains(leak));
        }
    }

    #[test]
    fn confirmation_in_local_time_and_without_confidential_service() {
        let r = render(Lang::Da, &MailPayload::BookingConfirmed(facts(None))).unwrap();
        assert!(r.text.contains("torsdag 3. december 2026 kl. 10:30"), "{}", r.text);
        assert!(r.text.contains("K7F-3QX"));
        let en = render(Lang::En, &MailPayload::BookingConfirmed(facts(Some("Passport")))).unwrap();
        assert!(en.text.contains("Thursday 3 December 2026 at 10:30"), "{}", en.text);
        assert!(en.text.contains("Passport"));
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
