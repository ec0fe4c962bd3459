use super::*;
use crate::hours::TimeRange;
use jiff::civil::date;
use proptest::prelude::*;

fn cph() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap()
}

fn staff(n: u8) -> StaffCalendar {
    StaffCalendar {
        id: StaffId::from_random_bytes([n; 16]),
        schedule: WeeklyHours::weekdays(&[TimeRange::parse("08:00-16:00").unwrap()]).unwrap(),
        absences: vec![],
        busy: vec![],
    }
}

fn input(capacity: u16, staff_count: u8) -> AvailabilityInput {
    AvailabilityInput {
        tz: cph(),
        rules: ServiceRules::new(20, 5, capacity, 60, 60, true).unwrap(),
        opening: WeeklyHours::weekdays(&[TimeRange::parse("09:00-15:00").unwrap()]).unwrap(),
        closed_days: ClosedDays::default(),
        closures: vec![],
        staff: (1..=staff_count).map(staff).collect(),
        seats_taken: BTreeMap::new(),
    }
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    cph().to_timestamp(d.at(h, m, 0, 0)).unwrap()
}

// Monday 30 November 2026, 07:00 local.
fn now() -> Timestamp {
    at(date(2026, 11, 30), 7, 0)
}

#[test]
fn grid_follows_duration_plus_buffer() {
    let inp = input(1, 1);
    let day = date(2026, 12, 1);
    let slots = free_slots(&inp, now(), day, day);
    // 09:00 … 14:25 every 25 minutes; 14:50 would end after 15:00.
    assert_eq!(slots.len(), 14);
    assert_eq!(slots[0].interval.start(), at(day, 9, 0));
    assert_eq!(slots[1].interval.start(), at(day, 9, 25));
    assert_eq!(slots.last().unwrap().interval.start(), at(day, 14, 25));
    assert!(slots.iter().all(|s| s.remaining == 1));
}

#[test]
fn weekends_holidays_and_closed_days_are_empty() {
    let inp = input(1, 1);
    for d in [date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31)] {
        assert!(free_slots(&inp, now(), d, d).is_empty(), "{d}");
        assert_eq!(check_start(&inp, now(), at(d, 9, 0)), Err(SlotError::Closed), "{d}");
    }
}

#[test]
fn minimum_notice_and_horizon() {
    let inp = input(1, 1);
    let today = date(2026, 11, 30);
    let n = at(today, 9, 10);
    let slots = free_slots(&inp, n, today, today);
    // Notice 60 min from 09:10 → first slot at or after 10:10 is 10:15.
    assert_eq!(slots[0].interval.start(), at(today, 10, 15));
    assert_eq!(check_start(&inp, n, at(today, 9, 50)), Err(SlotError::TooSoon));
    assert_eq!(check_start(&inp, n, at(today, 8, 0)), Err(SlotError::TooSoon));
    assert!(check_start(&inp, n, at(today, 10, 15)).is_ok());
    // Horizon 60 days → 29 January 2027 is the last day.
    assert!(check_start(&inp, n, at(date(2027, 1, 29), 9, 0)).is_ok());
    assert_eq!(check_start(&inp, n, at(date(2027, 2, 1), 9, 0)), Err(SlotError::BeyondHorizon));
    assert!(free_slots(&inp, n, date(2027, 2, 1), date(2027, 2, 5)).is_empty());
}

#[test]
fn off_grid_and_outside_hours() {
    let inp = input(1, 1);
    let d = date(2026, 12, 1);
    assert_eq!(check_start(&inp, now(), at(d, 9, 5)), Err(SlotError::OffGrid));
    assert_eq!(check_start(&inp, now(), at(d, 15, 0)), Err(SlotError::Closed));
    assert_eq!(check_start(&inp, now(), at(d, 14, 50)), Err(SlotError::OffGrid));
    assert_eq!(check_start(&inp, now(), at(d, 18, 0)), Err(SlotError::Closed));
}

#[test]
fn capacity_is_bounded_by_seats_and_staff() {
    let mut inp = input(3, 2);
    let d = date(2026, 12, 1);
    let s = check_start(&inp, now(), at(d, 9, 0)).unwrap();
    assert_eq!(s.remaining, 2, "two staff limit a capacity of three");
    inp.seats_taken.insert(at(d, 9, 0), 2);
    assert_eq!(check_start(&inp, now(), at(d, 9, 0)).unwrap().remaining, 1);
    inp.seats_taken.insert(at(d, 9, 0), 3);
    assert_eq!(check_start(&inp, now(), at(d, 9, 0)), Err(SlotError::Full));
}

#[test]
fn busy_staff_with_buffer_and_absence() {
    let mut inp = input(5, 2);
    let d = date(2026, 12, 1);
    // Staff 1 has another service's appointment 09:20–09:45 (with buffer): overlaps 09:00+25.
    inp.staff[0].busy.push(Interval::new(at(d, 9, 20), at(d, 9, 45)).unwrap());
    // Staff 2 is absent all morning.
    inp.staff[1].absences.push(Interval::new(at(d, 0, 0), at(d, 12, 0)).unwrap());
    assert_eq!(check_start(&inp, now(), at(d, 9, 0)), Err(SlotError::Full));
    assert_eq!(check_start(&inp, now(), at(d, 12, 20)).unwrap().free_staff.len(), 2);
    assert_eq!(check_start(&inp, now(), at(d, 9, 50)).unwrap().free_staff, vec![inp.staff[0].id]);
}

#[test]
fn closures_remove_slots() {
    let mut inp = input(1, 1);
    let d = date(2026, 12, 2);
    inp.closures.push(Interval::new(at(d, 11, 0), at(d, 13, 0)).unwrap());
    let slots = free_slots(&inp, now(), d, d);
    assert!(slots.iter().all(|s| !s.interval.overlaps(&inp.closures[0])));
    assert_eq!(check_start(&inp, now(), at(d, 11, 5)), Err(SlotError::Closed));
}

#[test]
fn dst_days_keep_wall_clock_slots() {
    // Open on Sundays for this test, 09:00–12:00, on both DST change days of 2026.
    let mut inp = input(1, 1);
    let sunday = vec![TimeRange::parse("09:00-12:00").unwrap()];
    inp.opening = inp.opening.clone().with_day(jiff::civil::Weekday::Sunday, sunday.clone()).unwrap();
    inp.staff[0].schedule = inp.staff[0].schedule.clone().with_day(jiff::civil::Weekday::Sunday, sunday).unwrap();
    inp.closed_days = ClosedDays { public_holidays: true, recurring: vec![] };
    for d in [date(2026, 3, 29), date(2026, 10, 25)] {
        let n = at(d, 0, 0).checked_sub(SignedDuration::from_hours(48)).unwrap();
        let slots = free_slots(&inp, n, d, d);
        let local: Vec<String> =
            slots.iter().map(|s| cph().to_datetime(s.interval.start()).time().strftime("%H:%M").to_string()).collect();
        assert_eq!(local, ["09:00", "09:25", "09:50", "10:15", "10:40", "11:05", "11:30"], "{d}");
        let first = slots[0].interval.start().display_with_offset(cph().to_offset(slots[0].interval.start()));
        let expected = if d.month() == 3 { "2026-03-29T09:00:00+02:00" } else { "2026-10-25T09:00:00+01:00" };
        assert_eq!(first.to_string(), expected);
    }
}

#[test]
fn list_and_check_agree() {
    let mut inp = input(2, 3);
    let d = date(2026, 12, 3);
    inp.seats_taken.insert(at(d, 9, 25), 2);
    let listed: Vec<Timestamp> = free_slots(&inp, now(), d, d).iter().map(|s| s.interval.start()).collect();
    let mut t = at(d, 8, 0);
    while t < at(d, 16, 0) {
        assert_eq!(listed.contains(&t), check_start(&inp, now(), t).is_ok(), "{t}");
        t = t.checked_add(SignedDuration::from_mins(5)).unwrap();
    }
}

fn arb_interval(day: Date) -> impl Strategy<Value = Interval> {
    (0i64..(24 * 12), 1i64..48).prop_map(move |(start5, len5)| {
        let base = cph().to_timestamp(day.at(0, 0, 0, 0)).unwrap();
        let s = base.checked_add(SignedDuration::from_mins(start5 * 5)).unwrap();
        Interval::starting_at(s, SignedDuration::from_mins(len5 * 5)).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_slot_hits_closure_capacity_or_notice(
        closures in proptest::collection::vec(arb_interval(date(2026, 12, 1)), 0..4),
        busy in proptest::collection::vec(arb_interval(date(2026, 12, 1)), 0..6),
        taken in proptest::collection::vec((0usize..14, 0u16..4), 0..6),
        capacity in 1u16..4,
        staff_count in 1u8..4,
        now_offset_min in 0i64..(26 * 60),
    ) {
        let d = date(2026, 12, 1);
        let mut inp = input(capacity, staff_count);
        inp.closures = closures;
        inp.closures.sort();
        for (i, b) in busy.into_iter().enumerate() {
            let k = i % inp.staff.len();
            inp.staff[k].busy.push(b);
        }
        for s in &mut inp.staff { s.normalise(); }
        for (slot_index, count) in taken {
            let start = at(d, 9, 0).checked_add(SignedDuration::from_mins(25 * slot_index as i64)).unwrap();
            inp.seats_taken.insert(start, count);
        }
        let n = at(d, 0, 0).checked_add(SignedDuration::from_mins(now_offset_min)).unwrap();
        for s in free_slots(&inp, n, d, d) {
            prop_assert!(inp.closures.iter().all(|c| !c.overlaps(&s.interval)));
            let taken = inp.seats_taken.get(&s.interval.start()).copied().unwrap_or(0);
            prop_assert!(s.remaining >= 1 && taken + s.remaining <= capacity);
            prop_assert!(s.interval.start() >= n.checked_add(inp.rules.min_notice()).unwrap());
            prop_assert!(usize::from(s.remaining) <= s.free_staff.len());
            let occupied = Interval::starting_at(s.interval.start(), inp.rules.occupancy()).unwrap();
            for id in &s.free_staff {
                let st = inp.staff.iter().find(|x| x.id == *id).unwrap();
                prop_assert!(st.busy.iter().all(|b| !b.overlaps(&occupied)));
            }
            prop_assert_eq!(check_start(&inp, n, s.interval.start()).map(|x| x.remaining), Ok(s.remaining));
        }
    }
}
