//! Availability computation at the size issue #2 names: a centre with 40 staff, 20 services and
//! 2,000 booked appointments; one service's slots over 30 days.
//!
//!     cargo bench -p skranke-core --bench availability

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use skranke_core::Interval;
use skranke_core::availability::{AvailabilityInput, StaffCalendar, free_slots};
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::StaffId;
use skranke_core::service::ServiceRules;

/// A deterministic pseudo-random sequence (no rand dependency in the core).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn input(tz: &TimeZone, first: Date) -> AvailabilityInput {
    let mut rng = Lcg(42);
    let day_hours = WeeklyHours::weekdays(&[TimeRange::parse("08:00-16:00").unwrap()]).unwrap();
    // 40 staff; 2,000 appointments of the centre's 20 services spread over them and 30 days.
    // Every staff member is qualified for the service asked about (the worst case).
    let mut staff: Vec<StaffCalendar> = (0..40u8)
        .map(|i| StaffCalendar {
            id: StaffId::from_random_bytes([i; 16]),
            schedule: day_hours.clone(),
            absences: Vec::new(),
            busy: Vec::new(),
        })
        .collect();
    for _ in 0..2_000 {
        let s = rng.next(40) as usize;
        let day = first.checked_add(jiff::Span::new().days(rng.next(30) as i64)).unwrap();
        let minute = 8 * 60 + 5 * rng.next(90) as i64;
        let start =
            tz.to_timestamp(day.at(0, 0, 0, 0)).unwrap().checked_add(SignedDuration::from_mins(minute)).unwrap();
        staff[s].busy.push(Interval::starting_at(start, SignedDuration::from_mins(25)).unwrap());
    }
    for (i, s) in staff.iter_mut().enumerate() {
        if i % 8 == 0 {
            let day = first.checked_add(jiff::Span::new().days(i as i64 % 30)).unwrap();
            let a = tz.to_timestamp(day.at(0, 0, 0, 0)).unwrap();
            s.absences.push(Interval::starting_at(a, SignedDuration::from_hours(24)).unwrap());
        }
        s.normalise();
    }
    let rules = ServiceRules::new(20, 5, 4, 60, 60, true).unwrap();
    let mut seats_taken = BTreeMap::new();
    for _ in 0..100 {
        let day = first.checked_add(jiff::Span::new().days(rng.next(30) as i64)).unwrap();
        let slot = rng.next(19) as i64;
        let t: Timestamp =
            tz.to_timestamp(day.at(9, 0, 0, 0)).unwrap().checked_add(SignedDuration::from_mins(25 * slot)).unwrap();
        seats_taken.insert(t, 2);
    }
    AvailabilityInput {
        tz: tz.clone(),
        rules,
        opening: WeeklyHours::weekdays(&[TimeRange::parse("09:00-15:00").unwrap()]).unwrap(),
        closed_days: ClosedDays::default(),
        closures: Vec::new(),
        staff,
        seats_taken,
    }
}

fn bench(c: &mut Criterion) {
    let tz = TimeZone::get("Europe/Copenhagen").unwrap();
    let first = date(2026, 11, 30);
    let now = tz.to_timestamp(first.at(7, 0, 0, 0)).unwrap();
    let inp = input(&tz, first);
    let last = first.checked_add(jiff::Span::new().days(29)).unwrap();
    let n = free_slots(&inp, now, first, last).len();
    eprintln!("slots offered: {n}");
    // Criterion reports means; the target is a p99, so time single runs too.
    let mut times: Vec<std::time::Duration> = (0..2_000)
        .map(|_| {
            let t = std::time::Instant::now();
            black_box(free_slots(black_box(&inp), now, first, last));
            t.elapsed()
        })
        .collect();
    times.sort();
    eprintln!("single runs: p50 {:?}, p99 {:?}, max {:?}", times[1_000], times[1_980], times[1_999]);
    c.bench_function("availability_30_days_40_staff_2000_bookings", |b| {
        b.iter(|| black_box(free_slots(black_box(&inp), now, first, last)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
