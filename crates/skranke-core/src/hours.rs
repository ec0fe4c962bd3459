//! Weekly opening hours and staff schedules in local (wall-clock) time.
//!
//! Times are kept as local wall-clock times and converted to instants per date, so "08:00–16:00"
//! stays 08:00–16:00 across the DST changes. Every boundary lies on the 5-minute grid that the
//! storage layer uses to lock staff time (see ARCHITECTURE.md, "no double booking").

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::Interval;

/// The grid every opening, schedule, duration and buffer is aligned to, in minutes.
pub const GRID_MINUTES: i32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("a time range must end after it starts")]
    EmptyRange,
    #[error("times must lie on the 5-minute grid")]
    OffGrid,
    #[error("time ranges on the same day overlap")]
    Overlap,
    #[error("a time could not be read; use HH:MM")]
    Unreadable,
}

impl HoursError {
    pub const fn code(&self) -> &'static str {
        match self {
            HoursError::EmptyRange => "empty_range",
            HoursError::OffGrid => "off_grid",
            HoursError::Overlap => "overlap",
            HoursError::Unreadable => "unreadable_time",
        }
    }
}

/// A local time range `[start, end)` within one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "(String, String)", into = "(String, String)")]
pub struct TimeRange {
    start: Time,
    end: Time,
}

fn on_grid(t: Time) -> bool {
    t.second() == 0 && t.subsec_nanosecond() == 0 && i32::from(t.minute()) % GRID_MINUTES == 0
}

impl TimeRange {
    pub fn new(start: Time, end: Time) -> Result<Self, HoursError> {
        if end <= start {
            return Err(HoursError::EmptyRange);
        }
        if !on_grid(start) || !on_grid(end) {
            return Err(HoursError::OffGrid);
        }
        Ok(Self { start, end })
    }

    /// Parses `HH:MM-HH:MM`.
    pub fn parse(s: &str) -> Result<Self, HoursError> {
        let (a, b) = s.trim().split_once('-').ok_or(HoursError::Unreadable)?;
        let t = |x: &str| x.trim().parse::<Time>().map_err(|_| HoursError::Unreadable);
        Self::new(t(a)?, t(b)?)
    }

    pub const fn start(&self) -> Time {
        self.start
    }
    pub const fn end(&self) -> Time {
        self.end
    }

    /// The instants this range covers on `day` in `tz`. Wall-clock times that do not exist
    /// (the spring-forward gap) or exist twice resolve the "compatible" way (RFC 5545).
    pub fn on(&self, day: Date, tz: &TimeZone) -> Option<Interval> {
        let start = tz.to_ambiguous_timestamp(day.to_datetime(self.start)).compatible().ok()?;
        let end = tz.to_ambiguous_timestamp(day.to_datetime(self.end)).compatible().ok()?;
        Interval::new(start, end)
    }
}

impl TryFrom<(String, String)> for TimeRange {
    type Error = HoursError;
    fn try_from((a, b): (String, String)) -> Result<Self, Self::Error> {
        Self::parse(&format!("{a}-{b}"))
    }
}

impl From<TimeRange> for (String, String) {
    fn from(r: TimeRange) -> Self {
        (r.start.strftime("%H:%M").to_string(), r.end.strftime("%H:%M").to_string())
    }
}

/// Opening hours or a staff member's working hours for each weekday.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WeeklyHoursRepr", into = "WeeklyHoursRepr")]
pub struct WeeklyHours {
    /// Index 0 = Monday … 6 = Sunday; each list sorted and non-overlapping.
    days: [Vec<TimeRange>; 7],
}

#[derive(Serialize, Deserialize, Default)]
struct WeeklyHoursRepr {
    #[serde(default)]
    mon: Vec<TimeRange>,
    #[serde(default)]
    tue: Vec<TimeRange>,
    #[serde(default)]
    wed: Vec<TimeRange>,
    #[serde(default)]
    thu: Vec<TimeRange>,
    #[serde(default)]
    fri: Vec<TimeRange>,
    #[serde(default)]
    sat: Vec<TimeRange>,
    #[serde(default)]
    sun: Vec<TimeRange>,
}

impl TryFrom<WeeklyHoursRepr> for WeeklyHours {
    type Error = HoursError;
    fn try_from(r: WeeklyHoursRepr) -> Result<Self, Self::Error> {
        let mut w = WeeklyHours::default();
        for (i, ranges) in [r.mon, r.tue, r.wed, r.thu, r.fri, r.sat, r.sun].into_iter().enumerate() {
            w.set(i, ranges)?;
        }
        Ok(w)
    }
}

impl From<WeeklyHours> for WeeklyHoursRepr {
    fn from(w: WeeklyHours) -> Self {
        let [mon, tue, wed, thu, fri, sat, sun] = w.days;
        WeeklyHoursRepr { mon, tue, wed, thu, fri, sat, sun }
    }
}

fn weekday_index(w: Weekday) -> usize {
    usize::try_from(w.to_monday_zero_offset()).unwrap_or(0)
}

impl WeeklyHours {
    /// Sets the ranges of weekday `index` (0 = Monday), refusing overlaps.
    fn set(&mut self, index: usize, mut ranges: Vec<TimeRange>) -> Result<(), HoursError> {
        ranges.sort();
        if ranges.windows(2).any(|w| w[1].start < w[0].end) {
            return Err(HoursError::Overlap);
        }
        if let Some(slot) = self.days.get_mut(index) {
            *slot = ranges;
        }
        Ok(())
    }

    /// The same ranges Monday to Friday, closed at the weekend.
    pub fn weekdays(ranges: &[TimeRange]) -> Result<Self, HoursError> {
        let mut w = Self::default();
        for i in 0..5 {
            w.set(i, ranges.to_vec())?;
        }
        Ok(w)
    }

    /// Replaces one weekday's ranges.
    pub fn with_day(mut self, day: Weekday, ranges: Vec<TimeRange>) -> Result<Self, HoursError> {
        self.set(weekday_index(day), ranges)?;
        Ok(self)
    }

    pub fn ranges(&self, day: Weekday) -> &[TimeRange] {
        &self.days[weekday_index(day)]
    }

    /// The instants covered on `day`.
    pub fn intervals_on(&self, day: Date, tz: &TimeZone) -> Vec<Interval> {
        self.ranges(day.weekday()).iter().filter_map(|r| r.on(day, tz)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn parse_and_validate() {
        assert!(TimeRange::parse("08:00-16:00").is_ok());
        assert_eq!(TimeRange::parse("16:00-08:00"), Err(HoursError::EmptyRange));
        assert_eq!(TimeRange::parse("08:03-16:00"), Err(HoursError::OffGrid));
        assert_eq!(TimeRange::parse("eight-four"), Err(HoursError::Unreadable));
        let a = TimeRange::parse("08:00-12:00").unwrap();
        let b = TimeRange::parse("11:00-13:00").unwrap();
        assert_eq!(WeeklyHours::weekdays(&[a, b]), Err(HoursError::Overlap));
    }

    #[test]
    fn json_roundtrip() {
        let w = WeeklyHours::weekdays(&[TimeRange::parse("08:00-12:00").unwrap()])
            .unwrap()
            .with_day(Weekday::Thursday, vec![TimeRange::parse("12:00-18:00").unwrap()])
            .unwrap();
        let json = serde_json_like(&w);
        assert!(json.contains("\"thu\":[[\"12:00\",\"18:00\"]]"), "{json}");
    }

    fn serde_json_like(w: &WeeklyHours) -> String {
        // The core has no serde_json dependency; a hand-rolled check of the representation.
        let r: WeeklyHoursRepr = w.clone().into();
        let fmt = |v: &Vec<TimeRange>| {
            let items: Vec<String> = v
                .iter()
                .map(|t| {
                    let (a, b): (String, String) = (*t).into();
                    format!("[\"{a}\",\"{b}\"]")
                })
                .collect();
            format!("[{}]", items.join(","))
        };
        format!("{{\"mon\":{},\"thu\":{}}}", fmt(&r.mon), fmt(&r.thu))
    }

    #[test]
    fn wall_clock_is_kept_across_dst() {
        let tz = TimeZone::get("Europe/Copenhagen").unwrap();
        let r = TimeRange::new(time(8, 0, 0, 0), time(16, 0, 0, 0)).unwrap();
        // Last Sunday of March 2026 is the 29th; Monday after is CEST (+02:00).
        let before = r.on(date(2026, 3, 27), &tz).unwrap();
        let after = r.on(date(2026, 3, 30), &tz).unwrap();
        assert_eq!(before.start().to_string(), "2026-03-27T07:00:00Z");
        assert_eq!(after.start().to_string(), "2026-03-30T06:00:00Z");
        // A range across the spring-forward gap is an hour shorter in real time.
        let night = TimeRange::new(time(1, 0, 0, 0), time(4, 0, 0, 0)).unwrap();
        let gap = night.on(date(2026, 3, 29), &tz).unwrap();
        assert_eq!(gap.end().duration_since(gap.start()).as_hours(), 2);
        let back = night.on(date(2026, 10, 25), &tz).unwrap();
        assert_eq!(back.end().duration_since(back.start()).as_hours(), 4);
    }
}
