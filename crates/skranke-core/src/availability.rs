//! Free slots: staff schedules ∩ opening hours − closed days − closures − absences − what is booked.
//!
//! Slots of a service start at the beginning of each opening period and follow each other every
//! `duration + buffer`. A slot is offered when it lies inside an opening period, after the minimum
//! notice, within the booking horizon, outside every closure, and when both a seat (the service's
//! capacity per slot) and a qualified staff member are free for it. A staff member is free when the
//! slot lies inside their schedule, no absence overlaps it and no other appointment overlaps the
//! slot plus its buffer.
//!
//! The same function decides whether a requested start may be booked (`check_start`), so the
//! slot list and the booking rule can never disagree.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::ClosedDays;
use crate::hours::WeeklyHours;
use crate::ids::StaffId;
use crate::interval::{Interval, any_overlap};
use crate::service::ServiceRules;

/// A staff member's calendar as far as one availability question needs it.
#[derive(Clone, Debug)]
pub struct StaffCalendar {
    pub id: StaffId,
    pub schedule: WeeklyHours,
    /// Sorted by start.
    pub absences: Vec<Interval>,
    /// Time already taken by appointments (their duration plus buffer), sorted by start.
    pub busy: Vec<Interval>,
}

impl StaffCalendar {
    /// Sorts the interval lists; call after filling them from storage.
    pub fn normalise(&mut self) {
        self.absences.sort();
        self.busy.sort();
    }
}

/// Everything one availability question needs, loaded by the storage layer.
#[derive(Clone, Debug)]
pub struct AvailabilityInput {
    pub tz: TimeZone,
    pub rules: ServiceRules,
    pub opening: WeeklyHours,
    pub closed_days: ClosedDays,
    /// Whole or partial closures of the centre, sorted by start.
    pub closures: Vec<Interval>,
    /// Staff members qualified for the service.
    pub staff: Vec<StaffCalendar>,
    /// Seats already taken in this service, per slot start.
    pub seats_taken: BTreeMap<Timestamp, u16>,
}

/// An offered slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub interval: Interval,
    /// How many more citizens can book it.
    pub remaining: u16,
    /// Qualified staff free for it, in the order a booking should try them.
    pub free_staff: Vec<StaffId>,
}

/// Why a requested start cannot be booked. `code()` is the stable API error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("the time has passed or is sooner than the service's minimum notice")]
    TooSoon,
    #[error("the time is beyond the booking horizon")]
    BeyondHorizon,
    #[error("the centre is closed at that time")]
    Closed,
    #[error("the time is not a slot start of this service")]
    OffGrid,
    #[error("the slot has no capacity left")]
    Full,
}

impl SlotError {
    pub const fn code(&self) -> &'static str {
        match self {
            SlotError::TooSoon => "slot_too_soon",
            SlotError::BeyondHorizon => "slot_beyond_horizon",
            SlotError::Closed => "slot_closed",
            SlotError::OffGrid => "slot_off_grid",
            SlotError::Full => "slot_unavailable",
        }
    }
}

/// Longest interval in a list, for the bounded overlap search.
fn longest(list: &[Interval]) -> SignedDuration {
    list.iter().map(|i| i.end().duration_since(i.start())).max().unwrap_or(SignedDuration::ZERO)
}

/// The local date `now` falls on.
pub fn local_today(now: Timestamp, tz: &TimeZone) -> Date {
    tz.to_datetime(now).date()
}

/// A slot candidate before seats and staff are counted.
enum Candidate {
    Open(Interval),
    Closed(Interval),
}

struct Prepared<'a> {
    input: &'a AvailabilityInput,
    earliest: Timestamp,
    last_day: Date,
    closure_max: SignedDuration,
    staff_max: Vec<(SignedDuration, SignedDuration)>,
}

impl<'a> Prepared<'a> {
    fn new(input: &'a AvailabilityInput, now: Timestamp) -> Self {
        let earliest = now.checked_add(input.rules.min_notice()).unwrap_or(now);
        let horizon = jiff::Span::new().days(input.rules.horizon_days());
        let today = local_today(now, &input.tz);
        let last_day = today.checked_add(horizon).unwrap_or(today);
        Self {
            input,
            earliest,
            last_day,
            closure_max: longest(&input.closures),
            staff_max: input.staff.iter().map(|s| (longest(&s.absences), longest(&s.busy))).collect(),
        }
    }

    /// Every grid slot of `day`, open or hit by a closure, in time order.
    fn candidates(&self, day: Date) -> Vec<Candidate> {
        let input = self.input;
        if input.closed_days.is_closed(day) {
            return Vec::new();
        }
        let (dur, step) = (input.rules.duration(), input.rules.step());
        let mut out = Vec::new();
        for period in input.opening.intervals_on(day, &input.tz) {
            let mut start = period.start();
            while let Some(slot) = Interval::starting_at(start, dur) {
                if slot.end() > period.end() {
                    break;
                }
                if any_overlap(&input.closures, &slot, self.closure_max) {
                    out.push(Candidate::Closed(slot));
                } else {
                    out.push(Candidate::Open(slot));
                }
                match start.checked_add(step) {
                    Ok(next) => start = next,
                    Err(_) => break,
                }
            }
        }
        out
    }

    /// Each staff member's working intervals on `day`, computed once per day rather than per slot.
    fn working(&self, day: Date) -> Vec<Vec<Interval>> {
        self.input.staff.iter().map(|s| s.schedule.intervals_on(day, &self.input.tz)).collect()
    }

    fn evaluate(&self, slot: Interval, working: &[Vec<Interval>]) -> Slot {
        let input = self.input;
        let taken = input.seats_taken.get(&slot.start()).copied().unwrap_or(0);
        let seats = input.rules.capacity().saturating_sub(taken);
        let occupied = Interval::starting_at(slot.start(), input.rules.occupancy()).unwrap_or(slot);
        let free_staff: Vec<StaffId> = if seats == 0 {
            Vec::new()
        } else {
            input
                .staff
                .iter()
                .zip(&self.staff_max)
                .zip(working)
                .filter(|((s, (abs_max, busy_max)), work)| {
                    work.iter().any(|w| w.contains(&slot))
                        && !any_overlap(&s.absences, &slot, *abs_max)
                        && !any_overlap(&s.busy, &occupied, *busy_max)
                })
                .map(|((s, _), _)| s.id)
                .collect()
        };
        let remaining = seats.min(u16::try_from(free_staff.len()).unwrap_or(u16::MAX));
        Slot { interval: slot, remaining, free_staff }
    }
}

/// The slots with room left between the local dates `from` and `to` (inclusive), in time order.
pub fn free_slots(input: &AvailabilityInput, now: Timestamp, from: Date, to: Date) -> Vec<Slot> {
    let prep = Prepared::new(input, now);
    let mut out = Vec::new();
    let mut day = from.max(local_today(prep.earliest, &input.tz));
    let to = to.min(prep.last_day);
    while day <= to {
        let candidates = prep.candidates(day);
        let working = if candidates.is_empty() { Vec::new() } else { prep.working(day) };
        for c in candidates {
            if let Candidate::Open(slot) = c {
                if slot.start() < prep.earliest {
                    continue;
                }
                let s = prep.evaluate(slot, &working);
                if s.remaining > 0 {
                    out.push(s);
                }
            }
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// Decides whether `start` may be booked now, and if so returns the slot with its free staff.
pub fn check_start(input: &AvailabilityInput, now: Timestamp, start: Timestamp) -> Result<Slot, SlotError> {
    let prep = Prepared::new(input, now);
    if start < prep.earliest {
        return Err(SlotError::TooSoon);
    }
    let day = local_today(start, &input.tz);
    if day > prep.last_day {
        return Err(SlotError::BeyondHorizon);
    }
    if input.closed_days.is_closed(day) {
        return Err(SlotError::Closed);
    }
    let candidates = prep.candidates(day);
    if candidates.is_empty() {
        return Err(SlotError::Closed);
    }
    for c in candidates {
        match c {
            Candidate::Open(slot) if slot.start() == start => {
                let s = prep.evaluate(slot, &prep.working(day));
                return if s.remaining > 0 { Ok(s) } else { Err(SlotError::Full) };
            }
            Candidate::Closed(slot) if slot.start() == start => return Err(SlotError::Closed),
            _ => {}
        }
    }
    // Not a slot start: inside opening hours but off the grid, or outside them altogether.
    let inside_hours = input.opening.intervals_on(day, &input.tz).iter().any(|p| p.contains_instant(start));
    Err(if inside_hours { SlotError::OffGrid } else { SlotError::Closed })
}

#[cfg(test)]
mod tests;
