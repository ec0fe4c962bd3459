//! Visit statistics for a centre's administrators: per day, queue and service, how many visits
//! there were, how they ended, and how long citizens waited and were served.
//!
//! The store turns visit rows into [`VisitFacts`]; [`group`] folds them into one [`GroupStats`] per
//! [`GroupKey`]; [`to_csv`] writes the rows for a spreadsheet and [`svg::bar_chart`] draws them for
//! the admin pages. Everything here is a pure function of its input.
//!
//! Times are reported as percentiles rather than means: a few very long cases (a lost passport, an
//! interpreter on the phone) would pull a mean far from what most citizens saw, while the median
//! and the 90th percentile answer "what is usual" and "how bad does it get".

pub mod svg;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::civil::Date;

use super::VisitState;
use crate::ids::{QueueId, ServiceId};

/// One finished-or-not visit as statistics see it (the store builds these from rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitFacts {
    /// The local (Europe/Copenhagen) day of arrival.
    pub day: Date,
    /// The queue it ended in (after any transfers).
    pub queue: QueueId,
    pub service: Option<ServiceId>,
    pub state: VisitState,
    pub arrived_at: Timestamp,
    /// The first call: a recall does not restart the wait.
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub transfers: u32,
}

/// What the statistics are grouped by. The derived order (day, then queue, then service, with
/// "no service" first) is the order of the rows in [`group`]'s result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub day: Date,
    pub queue: QueueId,
    pub service: Option<ServiceId>,
}

/// The statistics of one group of visits.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupStats {
    pub key: GroupKey,
    /// All visits in the group, whatever their state.
    pub visits: u32,
    /// Visits that ended `Done`.
    pub served: u32,
    /// Visits that ended `NoShow`.
    pub no_shows: u32,
    /// Visits that ended `Cancelled`.
    pub cancelled: u32,
    /// The sum of the visits' transfers.
    pub transfers: u32,
    /// Arrival to first call, over the visits that were called (whatever happened next), minutes.
    pub waiting: Percentiles,
    /// Start to end of service, over the `Done` visits that have both instants, minutes.
    pub service: Percentiles,
}

/// A summary of durations in minutes. The values are `None` exactly when `count` is 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percentiles {
    pub count: u32,
    /// The median, by nearest rank (see [`percentile`]).
    pub p50: Option<f64>,
    /// The 90th percentile, by nearest rank.
    pub p90: Option<f64>,
    pub max: Option<f64>,
}

impl Percentiles {
    /// The summary of `minutes` (in any order).
    fn of(mut minutes: Vec<f64>) -> Percentiles {
        minutes.sort_unstable_by(f64::total_cmp);
        Percentiles {
            count: u32::try_from(minutes.len()).unwrap_or(u32::MAX),
            p50: percentile(&minutes, 0.5),
            p90: percentile(&minutes, 0.9),
            max: minutes.last().copied(),
        }
    }
}

/// The statistics of `facts`, one row per [`GroupKey`] that has visits, sorted by key.
pub fn group(facts: &[VisitFacts]) -> Vec<GroupStats> {
    let mut groups: BTreeMap<GroupKey, Tally> = BTreeMap::new();
    for fact in facts {
        let key = GroupKey { day: fact.day, queue: fact.queue, service: fact.service };
        groups.entry(key).or_default().add(fact);
    }
    groups.into_iter().map(|(key, tally)| tally.finish(key)).collect()
}

/// What [`group`] collects per group before the percentiles are taken.
#[derive(Default)]
struct Tally {
    visits: u32,
    served: u32,
    no_shows: u32,
    cancelled: u32,
    transfers: u32,
    waiting: Vec<f64>,
    service: Vec<f64>,
}

impl Tally {
    fn add(&mut self, fact: &VisitFacts) {
        // Counts saturate rather than wrap: four billion visits in a day is a data error, and a
        // wrong-but-huge number is easier to spot than a small one.
        self.visits = self.visits.saturating_add(1);
        let ended = match fact.state {
            VisitState::Done => Some(&mut self.served),
            VisitState::NoShow => Some(&mut self.no_shows),
            VisitState::Cancelled => Some(&mut self.cancelled),
            VisitState::Waiting | VisitState::Called | VisitState::Serving | VisitState::Parked => None,
        };
        if let Some(count) = ended {
            *count = count.saturating_add(1);
        }
        self.transfers = self.transfers.saturating_add(fact.transfers);
        if let Some(called) = fact.called_at {
            self.waiting.push(minutes_between(fact.arrived_at, called));
        }
        if fact.state == VisitState::Done
            && let (Some(started), Some(ended)) = (fact.started_at, fact.ended_at)
        {
            self.service.push(minutes_between(started, ended));
        }
    }

    fn finish(self, key: GroupKey) -> GroupStats {
        GroupStats {
            key,
            visits: self.visits,
            served: self.served,
            no_shows: self.no_shows,
            cancelled: self.cancelled,
            transfers: self.transfers,
            waiting: Percentiles::of(self.waiting),
            service: Percentiles::of(self.service),
        }
    }
}

/// Minutes from `from` to `to`. An end before its start (app servers whose clocks disagree by a
/// moment) counts as no time at all rather than being dropped, so every called visit has a wait.
fn minutes_between(from: Timestamp, to: Timestamp) -> f64 {
    let minutes = to.duration_since(from).as_secs_f64() / 60.0;
    if minutes > 0.0 { minutes } else { 0.0 }
}

/// The `p`-quantile (`p` from 0 to 1; 0.9 is the 90th percentile) of an ascending, NaN-free slice,
/// by the nearest-rank method: the smallest value such that at least `p` of all values are at
/// most it, i.e. the value of rank `⌈p·n⌉` (counting from 1, and at least rank 1).
///
/// Nearest rank always returns one of the values (no interpolation), so a "p90 of 12 minutes"
/// is a wait some citizen actually had. The median of an even number of values is the lower of
/// the middle two. `p` outside 0..=1 is clamped to it; `None` for an empty slice, a NaN `p`, or a
/// slice of more than `u32::MAX` values.
///
/// The rank is found by comparing `k / n` with `p` rather than computing `p · n`, because the
/// product carries rounding error (`0.07 × 100` is `7.000000000000001` in floating point, and its
/// ceiling 8 would be the wrong rank) while the quotient of two small whole numbers rounds to the
/// same float as the decimal `p` it equals.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || p.is_nan() {
        return None;
    }
    let n = u32::try_from(sorted.len()).ok()?;
    let reaches = |k: u32| f64::from(k) / f64::from(n) >= p;
    // Binary search for the smallest rank `k` in 1..=n with k/n ≥ p (rank n when p > 1).
    let (mut low, mut high) = (1, n);
    while low < high {
        let mid = low + (high - low) / 2;
        if reaches(mid) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    sorted.get(usize::try_from(low - 1).ok()?).copied()
}

/// The header line of [`to_csv`] (without its line end).
const CSV_HEADER: &str = "day,queue,service,visits,served,no_shows,cancelled,transfers,\
     waiting_p50_min,waiting_p90_min,waiting_max_min,service_p50_min,service_p90_min";

/// `rows` as RFC 4180 CSV: a header, one record per row, every line ended by CRLF. Queues and
/// services are written by name (`service` empty for visits without one); durations in minutes
/// with one decimal and a dot, empty where there is no value.
///
/// Names are typed by administrators and opened in a spreadsheet, so one that starts like a
/// formula gets a leading `'` (see [`csv_text`]). Excel reads a CSV without a byte-order mark as
/// the local code page, so an adapter serving this for download should prepend `U+FEFF` to keep
/// "æøå" intact.
pub fn to_csv(
    rows: &[GroupStats],
    queue_name: impl Fn(QueueId) -> String,
    service_name: impl Fn(ServiceId) -> String,
) -> String {
    let mut out = String::with_capacity(CSV_HEADER.len() + 2 + rows.len() * 96);
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for row in rows {
        let service = row.key.service.map(&service_name).unwrap_or_default();
        let fields = [
            row.key.day.to_string(),
            csv_text(&queue_name(row.key.queue)),
            csv_text(&service),
            row.visits.to_string(),
            row.served.to_string(),
            row.no_shows.to_string(),
            row.cancelled.to_string(),
            row.transfers.to_string(),
            csv_minutes(row.waiting.p50),
            csv_minutes(row.waiting.p90),
            csv_minutes(row.waiting.max),
            csv_minutes(row.service.p50),
            csv_minutes(row.service.p90),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A minutes value for CSV: one decimal, or an empty field for no value.
fn csv_minutes(minutes: Option<f64>) -> String {
    minutes.map(|m| format!("{m:.1}")).unwrap_or_default()
}

/// A text field for CSV: guarded against formula injection, then quoted if RFC 4180 needs it.
///
/// A cell starting with `=`, `+`, `-` or `@` (or a tab or CR, which spreadsheets skip before
/// looking) is read as a formula by Excel and LibreOffice, and a queue named
/// `=HYPERLINK("http://…","Klik")` would then run in an administrator's spreadsheet. Following
/// OWASP's advice such a value gets a leading `'`, which makes the spreadsheet show it as text.
fn csv_text(value: &str) -> String {
    let guarded =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if guarded.contains([',', '"', '\r', '\n']) {
        let mut quoted = String::with_capacity(guarded.len() + 2);
        quoted.push('"');
        for c in guarded.chars() {
            if c == '"' {
                quoted.push('"');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    } else {
        guarded
    }
}

/// Writes `value` into `out` escaped for XML text and attribute values (shared with [`svg`]).
///
/// Characters XML 1.0 does not allow at all, even escaped (most C0 controls, U+FFFE, U+FFFF),
/// become U+FFFD, so a stray control character in a name cannot make the document unreadable.
fn push_xml_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
}

/// `value` escaped for XML (see [`push_xml_escaped`]).
fn xml_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_xml_escaped(&mut out, value);
    out
}

/// Writes formatted text into a `String`, which cannot fail.
fn push_fmt(out: &mut String, args: std::fmt::Arguments<'_>) {
    // `fmt::Write` for `String` never returns an error.
    let _ = out.write_fmt(args);
}

#[cfg(test)]
mod tests;
