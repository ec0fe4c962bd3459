//! iCalendar (RFC 5545) files for confirmed bookings. Times are written in UTC (`…Z`), which is
//! exact across DST changes and needs no VTIMEZONE block.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use skranke_core::booking::AppointmentStatus;
use skranke_core::service::Sensitivity;

use super::AppState;
use crate::app::AppError;
use crate::i18n::{Lang, t};
use crate::store::{Appointment, Store};

fn utc(ts: Timestamp) -> String {
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

/// Folds lines longer than 75 octets (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in line.chars() {
        if len + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += c.len_utf8();
    }
    out
}

pub fn calendar(a: &Appointment, summary: &str, location: &str, host: &str, now: Timestamp) -> String {
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Skranke//Booking//DA".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@{}", a.id, host),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART:{}", utc(a.slot.start())),
        format!("DTEND:{}", utc(a.slot.end())),
        format!("SUMMARY:{}", escape(summary)),
        format!("LOCATION:{}", escape(location)),
        format!("DESCRIPTION:{}", escape(a.reference.as_str())),
        "STATUS:CONFIRMED".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

pub async fn response(s: &AppState, a: &Appointment, lang: Lang) -> Result<Response, AppError> {
    let now = s.app.clock.now();
    if a.status_at(now) != AppointmentStatus::Confirmed {
        return Err(AppError::InvalidState);
    }
    let service = s.app.store.get_service(a.service_id).await?.ok_or(AppError::NotFound("service"))?;
    let centre = s.app.store.get_centre(a.centre_id).await?.ok_or(AppError::NotFound("centre"))?;
    // The calendar entry may end up on shared calendars: name the service only when it is not
    // confidential (RS-02).
    let summary = if service.sensitivity == Sensitivity::Normal {
        format!("{} – {}", service.name(lang), centre.centre.name)
    } else {
        format!("{} – {}", t(lang, "mail.your_appointment"), centre.centre.name)
    };
    let location = format!("{}, {}", centre.centre.name, centre.centre.address);
    let host =
        s.app.settings.public_url.split("://").nth(1).unwrap_or("skranke").split('/').next().unwrap_or("skranke");
    let body = calendar(a, &summary, &location, host, now);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.ics\"", a.reference)),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_escaping() {
        assert_eq!(escape("a,b;c\nd"), "a\\,b\\;c\\nd");
        let long = "X".repeat(200);
        let folded = fold(&long);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", ""), long);
    }
}
