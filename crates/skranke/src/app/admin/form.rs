//! Reading form fields: each refusal names its field, so a page can show it in place.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use serde_json::{Map, Value};
use skranke_core::calendar::{ClosedDays, MonthDay};
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::text::{TextError, clean_line};

use super::AppError;

/// The weekdays in form order, with the form field suffix.
pub const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "mon"),
    (Weekday::Tuesday, "tue"),
    (Weekday::Wednesday, "wed"),
    (Weekday::Thursday, "thu"),
    (Weekday::Friday, "fri"),
    (Weekday::Saturday, "sat"),
    (Weekday::Sunday, "sun"),
];

/// The shortest written reason that keeps a flagged domain or address (RS-61): long enough that
/// "ok" or "ja" does not pass.
pub const MIN_REASON_CHARS: usize = 10;
const MAX_REASON_CHARS: usize = 500;
/// More than any real form sends; bounds the work a hostile request can cause.
const MAX_FIELD_CHARS: usize = 2_000;
const MAX_RECURRING_CLOSED_DAYS: usize = 50;

/// Weekly hours as the form shows them: per weekday `09:00-12:00, 13:00-15:00` (empty = closed).
pub fn hours_text(h: &WeeklyHours, day: Weekday) -> String {
    h.ranges(day)
        .iter()
        .map(|r| format!("{}-{}", r.start().strftime("%H:%M"), r.end().strftime("%H:%M")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Weekly hours for an audit entry: one text per weekday, so a change names the day.
pub(super) fn hours_json(h: &WeeklyHours) -> Value {
    let mut m = Map::new();
    for (day, key) in WEEKDAYS {
        m.insert(key.to_owned(), Value::String(hours_text(h, day)));
    }
    Value::Object(m)
}

/// Parses the seven weekday fields; the error names the day's field (`hours_mon`, …).
pub fn parse_hours(days: &[String; 7]) -> Result<WeeklyHours, AppError> {
    let mut hours = WeeklyHours::default();
    for ((day, key), text) in WEEKDAYS.iter().zip(days) {
        let field = hours_field(key);
        if text.chars().count() > 200 || text.chars().any(char::is_control) {
            return Err(AppError::Field { field, code: "unreadable_time" });
        }
        let ranges = text
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| TimeRange::parse(r).map_err(|e| AppError::Field { field, code: e.code() }))
            .collect::<Result<Vec<_>, _>>()?;
        hours = hours.with_day(*day, ranges).map_err(|e| AppError::Field { field, code: e.code() })?;
    }
    Ok(hours)
}

fn hours_field(key: &str) -> &'static str {
    match key {
        "mon" => "hours_mon",
        "tue" => "hours_tue",
        "wed" => "hours_wed",
        "thu" => "hours_thu",
        "fri" => "hours_fri",
        "sat" => "hours_sat",
        _ => "hours_sun",
    }
}

/// Recurring closed days as the form shows them: `5/6, 24/12` (day/month, the Danish order).
pub fn closed_days_text(c: &ClosedDays) -> String {
    c.recurring.iter().map(|d| format!("{}/{}", d.day, d.month)).collect::<Vec<_>>().join(", ")
}

/// Parses recurring closed days (`5/6, 24/12`; `.` or `-` also separate day and month). Each must
/// be a day of the year (29/2 included). Refused as field `closed_days`.
pub fn parse_closed_days(public_holidays: bool, recurring: &str) -> Result<ClosedDays, AppError> {
    let refuse = AppError::Field { field: "closed_days", code: "admin.invalid_closed_day" };
    if recurring.chars().count() > MAX_FIELD_CHARS || recurring.chars().any(char::is_control) {
        return Err(refuse);
    }
    let mut days: Vec<MonthDay> = Vec::new();
    for part in recurring.split([',', ';', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        let (d, m) = part
            .split_once(['/', '.', '-'])
            .ok_or(AppError::Field { field: "closed_days", code: "admin.invalid_closed_day" })?;
        let (Ok(day), Ok(month)) = (d.trim().parse::<i8>(), m.trim().trim_end_matches('.').parse::<i8>()) else {
            return Err(refuse);
        };
        // 2024 is a leap year, so 29/2 is accepted as the day it is in leap years.
        if Date::new(2024, month, day).is_err() {
            return Err(refuse);
        }
        let md = MonthDay { month, day };
        if !days.contains(&md) {
            days.push(md);
        }
    }
    if days.len() > MAX_RECURRING_CLOSED_DAYS {
        return Err(AppError::Field { field: "closed_days", code: "admin.too_many_closed_days" });
    }
    days.sort_by_key(|d| (d.month, d.day));
    Ok(ClosedDays { public_holidays, recurring: days })
}

/// Closed days for an audit entry.
pub(super) fn closed_days_json(c: &ClosedDays) -> Value {
    serde_json::json!({ "public_holidays": c.public_holidays, "recurring": closed_days_text(c) })
}

/// One line of text (a name, an address): trimmed, not empty, no control characters, at most `max`.
pub(super) fn line(raw: &str, field: &'static str, max: usize) -> Result<String, AppError> {
    clean_line(raw, max).map_err(|error| AppError::Invalid { field, error })
}

/// A written reason (RS-61): line breaks allowed, other control characters not, at most 500
/// characters. Empty when none was given.
pub(super) fn reason(raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(AppError::Invalid { field: "reason", error: TextError::ControlCharacter });
    }
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::Invalid { field: "reason", error: TextError::TooLong { max: MAX_REASON_CHARS } });
    }
    Ok(text.to_owned())
}

/// A whole number typed into a field.
pub(super) fn number(raw: &str, field: &'static str) -> Result<i32, AppError> {
    raw.trim().parse().map_err(|_| AppError::Field { field, code: "not_a_number" })
}

/// A form date (`YYYY-MM-DD`).
pub(super) fn date(raw: &str, field: &'static str) -> Result<Date, AppError> {
    raw.trim().parse().map_err(|_| AppError::Field { field, code: "invalid_date_field" })
}

/// A form `datetime-local` value (`YYYY-MM-DDTHH:MM`), in the organisation's time zone.
pub(super) fn local_instant(raw: &str, field: &'static str, tz: &TimeZone) -> Result<Timestamp, AppError> {
    let dt: DateTime = raw.trim().parse().map_err(|_| AppError::Field { field, code: "invalid_datetime" })?;
    tz.to_timestamp(dt).map_err(|_| AppError::Field { field, code: "invalid_datetime" })
}

/// The instant a local day starts (its midnight; after a gap, the instant the clock resumes).
pub(super) fn start_of(day: Date, tz: &TimeZone, field: &'static str) -> Result<Timestamp, AppError> {
    tz.to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|_| AppError::Field { field, code: "invalid_date_field" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_round_trip_and_errors_name_the_day() {
        let mut days: [String; 7] = Default::default();
        days[0] = "09:00-12:00, 13:00-15:30".into();
        days[3] = "09:00-17:30".into();
        let h = parse_hours(&days).unwrap();
        assert_eq!(hours_text(&h, Weekday::Monday), "09:00-12:00, 13:00-15:30");
        assert_eq!(hours_text(&h, Weekday::Sunday), "");
        for (typed, code) in [
            ("10:00-09:00", "empty_range"),
            ("09:00-12:00, 11:00-13:00", "overlap"),
            ("9-ish", "unreadable_time"),
            ("09:03-12:00", "off_grid"),
            ("09:00-12:00\n", "unreadable_time"),
        ] {
            days[2] = typed.into();
            assert!(
                matches!(parse_hours(&days), Err(AppError::Field { field: "hours_wed", code: c }) if c == code),
                "{typed:?}"
            );
        }
    }

    #[test]
    fn closed_days_are_day_slash_month() {
        let c = parse_closed_days(true, "24/12, 5.6 31-12 24/12").unwrap();
        assert_eq!(closed_days_text(&c), "5/6, 24/12, 31/12", "sorted, duplicates dropped");
        assert!(c.public_holidays);
        assert_eq!(parse_closed_days(false, "29/2").unwrap().recurring, [MonthDay { month: 2, day: 29 }]);
        assert!(parse_closed_days(false, "").unwrap().recurring.is_empty());
        for bad in ["30/2", "12", "0/1", "1/13", "jul", "24/12\u{0}", "1/1/2027"] {
            assert!(
                matches!(parse_closed_days(true, bad), Err(AppError::Field { field: "closed_days", .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn reasons_allow_line_breaks_only() {
        assert_eq!(reason("  Ejet af kommunen\r\nsiden 2001 ").unwrap(), "Ejet af kommunen\r\nsiden 2001");
        assert!(matches!(reason("a\u{7}b"), Err(AppError::Invalid { field: "reason", .. })));
        assert!(matches!(reason(&"x".repeat(501)), Err(AppError::Invalid { field: "reason", .. })));
    }
}
