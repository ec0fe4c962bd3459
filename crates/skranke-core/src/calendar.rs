//! Danish public holidays and a centre's closed days.
//!
//! Holidays follow the Danish calendar: Easter-relative feasts from the Gregorian computus, and
//! Store Bededag (the fourth Friday after Easter) only up to 2023; it was abolished from 2024.
//! Days that are not public holidays but on which citizen-service centres usually close (24 and
//! 31 December, Grundlovsdag) are configurable per centre as `ClosedDays`.

use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};

/// A Danish public holiday (helligdag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    /// Catalogue key, e.g. `holiday.easter_monday`.
    pub key: &'static str,
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1..=31 by construction of the algorithm.
    date(year, month as i8, day as i8)
}

fn easter_offset(year: i16, days: i32) -> Date {
    let easter = easter_sunday(year);
    easter.checked_add(jiff::Span::new().days(days)).unwrap_or(easter)
}

/// The Danish public holidays of `year`, in date order.
pub fn danish_public_holidays(year: i16) -> Vec<Holiday> {
    let mut days = vec![
        Holiday { date: date(year, 1, 1), key: "holiday.new_year" },
        Holiday { date: easter_offset(year, -3), key: "holiday.maundy_thursday" },
        Holiday { date: easter_offset(year, -2), key: "holiday.good_friday" },
        Holiday { date: easter_offset(year, 0), key: "holiday.easter_sunday" },
        Holiday { date: easter_offset(year, 1), key: "holiday.easter_monday" },
    ];
    if year <= 2023 {
        days.push(Holiday { date: easter_offset(year, 26), key: "holiday.great_prayer_day" });
    }
    days.extend([
        Holiday { date: easter_offset(year, 39), key: "holiday.ascension_day" },
        Holiday { date: easter_offset(year, 49), key: "holiday.whit_sunday" },
        Holiday { date: easter_offset(year, 50), key: "holiday.whit_monday" },
        Holiday { date: date(year, 12, 25), key: "holiday.christmas_day" },
        Holiday { date: date(year, 12, 26), key: "holiday.boxing_day" },
    ]);
    days.sort_by_key(|h| h.date);
    days
}

/// The public holiday on `day`, if any.
pub fn danish_public_holiday(day: Date) -> Option<Holiday> {
    danish_public_holidays(day.year()).into_iter().find(|h| h.date == day)
}

/// A recurring closed day given as month and day (e.g. 24 December).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthDay {
    pub month: i8,
    pub day: i8,
}

/// Which days a centre is closed besides its weekly hours and explicit closures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedDays {
    /// Close on every Danish public holiday.
    pub public_holidays: bool,
    /// Recurring closed days every year.
    pub recurring: Vec<MonthDay>,
}

impl Default for ClosedDays {
    /// Public holidays, Grundlovsdag (5 June), Christmas Eve and New Year's Eve: what Danish
    /// citizen-service centres commonly observe.
    fn default() -> Self {
        Self {
            public_holidays: true,
            recurring: vec![
                MonthDay { month: 6, day: 5 },
                MonthDay { month: 12, day: 24 },
                MonthDay { month: 12, day: 31 },
            ],
        }
    }
}

impl ClosedDays {
    pub fn is_closed(&self, day: Date) -> bool {
        (self.public_holidays && danish_public_holiday(day).is_some())
            || self.recurring.iter().any(|md| md.month == day.month() && md.day == day.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_known_years() {
        // Published Easter Sundays.
        for (y, m, d) in
            [(2019, 4, 21), (2024, 3, 31), (2025, 4, 20), (2026, 4, 5), (2027, 3, 28), (2038, 4, 25), (2285, 3, 22)]
        {
            assert_eq!(easter_sunday(y), date(y, m, d), "{y}");
        }
    }

    #[test]
    fn store_bededag_abolished_from_2024() {
        let has = |y| danish_public_holidays(y).iter().any(|h| h.key == "holiday.great_prayer_day");
        assert!(has(2023));
        assert_eq!(danish_public_holiday(date(2023, 5, 5)).map(|h| h.key), Some("holiday.great_prayer_day"));
        assert!(!has(2024));
        assert!(!has(2026));
        assert_eq!(danish_public_holidays(2023).len(), 11);
        assert_eq!(danish_public_holidays(2026).len(), 10);
    }

    #[test]
    fn holidays_2026() {
        let dates: Vec<Date> = danish_public_holidays(2026).iter().map(|h| h.date).collect();
        assert_eq!(
            dates,
            vec![
                date(2026, 1, 1),
                date(2026, 4, 2),
                date(2026, 4, 3),
                date(2026, 4, 5),
                date(2026, 4, 6),
                date(2026, 5, 14),
                date(2026, 5, 24),
                date(2026, 5, 25),
                date(2026, 12, 25),
                date(2026, 12, 26),
            ]
        );
    }

    #[test]
    fn default_closed_days() {
        let c = ClosedDays::default();
        assert!(c.is_closed(date(2026, 12, 24)));
        assert!(c.is_closed(date(2026, 6, 5)));
        assert!(c.is_closed(date(2026, 4, 6)));
        assert!(!c.is_closed(date(2026, 12, 23)));
        let open_holidays = ClosedDays { public_holidays: false, recurring: vec![] };
        assert!(!open_holidays.is_closed(date(2026, 12, 25)));
    }
}
