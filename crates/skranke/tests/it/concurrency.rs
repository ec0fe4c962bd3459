//! Races the database must decide: many requests that all saw the same free slot book it at the
//! same moment. Each task builds its booking from a slot computed before any of them ran (as every
//! request would have), then they start together behind a barrier on a 4-worker runtime.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use skranke::store::StoreError;
use skranke_core::availability::Slot;
use skranke_core::ids::AppointmentId;
use skranke_core::service::{Sensitivity, ServiceRules};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::support::*;

both!(
    multi_thread: forty_citizens_race_for_three_seats,
    one_staff_member_is_never_booked_twice_across_services,
    racing_changes_to_one_booking_leak_no_claims,
    an_expired_hold_is_taken_over_exactly_once,
);

/// The same local time on several open weekdays, each day its own independent race.
fn race_days() -> Vec<Date> {
    vec![
        date(2026, 12, 1),
        date(2026, 12, 2),
        date(2026, 12, 3),
        date(2026, 12, 4),
        date(2026, 12, 7),
        date(2026, 12, 8),
        date(2026, 12, 9),
        date(2026, 12, 10),
    ]
}

fn on(day: Date, h: i8, m: i8) -> Timestamp {
    local(day.year(), day.month(), day.day(), h, m)
}

async fn forty_citizens_race_for_three_seats<S: TestDb>(store: S) {
    const N: usize = 40;
    const CAPACITY: u16 = 3;
    let fx = Fixture::seed(&store, CAPACITY, 5).await;
    let start = tue(10, 15);
    let slot = slot_at(&store, fx.service.id, start, now()).await.unwrap();
    assert_eq!((slot.remaining, slot.free_staff.len()), (CAPACITY, 5));

    let barrier = Arc::new(Barrier::new(N));
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (store, service, slot, barrier) = (store.clone(), fx.service.clone(), slot.clone(), Arc::clone(&barrier));
        tasks.spawn(async move {
            // Half of them hold the slot pending a code, half confirm at once.
            let hold = (i % 2 == 1).then(|| later(10));
            let new = new_appointment(&service, &slot, now(), hold);
            let mail = [message(new.appointment.id, if hold.is_some() { "booking_code" } else { "booking_confirmed" })];
            barrier.wait().await;
            (new.appointment.id, store.create_appointment(&new, &mail, now()).await)
        });
    }
    let mut won: Vec<AppointmentId> = Vec::new();
    let mut lost = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            (id, Ok(a)) => {
                assert_eq!(a.id, id);
                won.push(id);
            }
            (_, Err(StoreError::SlotTaken)) => lost += 1,
            (_, Err(other)) => panic!("a losing booking must fail with SlotTaken, not {other:?}"),
        }
    }
    assert_eq!(won.len(), usize::from(CAPACITY), "exactly the capacity wins");
    assert_eq!(lost, N - usize::from(CAPACITY));

    let (sid, at_start) = (Arg::Id(fx.service.id.as_uuid()), at(start));
    let active = store
        .scalar(
            "SELECT COUNT(*) FROM appointments WHERE service_id = $1 AND starts_at = $2 AND status IN ('held', 'confirmed')",
            &[sid.clone(), at_start.clone()],
        )
        .await;
    assert_eq!(active, i64::from(CAPACITY));
    assert_eq!(appointment_rows(&store).await, i64::from(CAPACITY), "the losers' rows were rolled back");
    assert_eq!(outbox_rows(&store).await, i64::from(CAPACITY), "and so were their messages");
    assert_eq!(seat_rows_at(&store, fx.service.id, start).await, i64::from(CAPACITY));
    // Three different staff members, each owning the five cells of 10:15–10:40, nobody twice.
    let staff = store
        .scalar(
            "SELECT COUNT(DISTINCT staff_id) FROM appointments WHERE service_id = $1 AND starts_at = $2",
            &[sid, at_start],
        )
        .await;
    assert_eq!(staff, i64::from(CAPACITY));
    assert_eq!(store.scalar("SELECT COUNT(*) FROM staff_cells", &[]).await, 5 * i64::from(CAPACITY));
    assert_eq!(
        store
            .scalar(
                "SELECT COUNT(*) FROM (SELECT staff_id, cell_at FROM staff_cells GROUP BY staff_id, cell_at \
                 HAVING COUNT(*) > 1) twice",
                &[],
            )
            .await,
        0
    );
    for id in &won {
        assert_eq!((seats_of(&store, *id).await, cells_of(&store, *id).await), (1, 5));
    }
    assert_eq!(
        slot_at(&store, fx.service.id, start, now()).await.map(|s| s.remaining),
        Err(skranke_core::availability::SlotError::Full)
    );
}

async fn one_staff_member_is_never_booked_twice_across_services<S: TestDb>(store: S) {
    const PER_SIDE: usize = 3;
    let (_, centre, queue) = seed_centre(&store).await;
    // Seats are plentiful: the single staff member is the only thing to fight over.
    let x = make_service(&centre, &queue, "X", ServiceRules::new(20, 5, 4, 60, 60, true).unwrap(), Sensitivity::Normal);
    let y = make_service(&centre, &queue, "Y", ServiceRules::new(30, 0, 4, 60, 60, true).unwrap(), Sensitivity::Normal);
    store.create_service(&x).await.unwrap();
    store.create_service(&y).await.unwrap();
    let only = make_staff(&centre, "Eneste", &[x.id, y.id]);
    store.create_staff(&only).await.unwrap();

    // X 09:25–09:50 (occupied to 09:50) and Y 09:30–10:00 overlap on every day.
    let mut planned: Vec<(Date, Slot, Slot)> = Vec::new();
    for day in race_days() {
        let xs = slot_at(&store, x.id, on(day, 9, 25), now()).await.unwrap();
        let ys = slot_at(&store, y.id, on(day, 9, 30), now()).await.unwrap();
        assert_eq!((xs.free_staff.as_slice(), ys.free_staff.as_slice()), ([only.id].as_slice(), [only.id].as_slice()));
        planned.push((day, xs, ys));
    }

    let barrier = Arc::new(Barrier::new(planned.len() * PER_SIDE * 2));
    let mut tasks = JoinSet::new();
    for (day, xs, ys) in &planned {
        for (service, slot) in [(&x, xs), (&y, ys)] {
            for _ in 0..PER_SIDE {
                let (store, service, slot, barrier, day) =
                    (store.clone(), service.clone(), slot.clone(), Arc::clone(&barrier), *day);
                tasks.spawn(async move {
                    let new = new_appointment(&service, &slot, now(), None);
                    barrier.wait().await;
                    (day, service.id, store.create_appointment(&new, &[], now()).await)
                });
            }
        }
    }
    let mut winners: BTreeMap<Date, usize> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            (day, _, Ok(a)) => {
                assert_eq!(a.staff_id, Some(only.id));
                *winners.entry(day).or_default() += 1;
            }
            (_, _, Err(StoreError::SlotTaken)) => {}
            (_, service, Err(other)) => panic!("booking in {service} failed with {other:?}, expected SlotTaken"),
        }
    }
    for day in race_days() {
        assert_eq!(winners.get(&day), Some(&1), "exactly one booking wins the staff member on {day}");
    }
    let overlapping = store
        .scalar(
            "SELECT COUNT(*) FROM appointments a JOIN appointments b ON a.staff_id = b.staff_id AND a.id < b.id \
             AND a.starts_at < b.occupied_until AND b.starts_at < a.occupied_until \
             WHERE a.status IN ('held', 'confirmed') AND b.status IN ('held', 'confirmed')",
            &[],
        )
        .await;
    assert_eq!(overlapping, 0, "the staff member is never in two places");
    assert_eq!(appointment_rows(&store).await, i64::try_from(race_days().len()).unwrap());
}

/// Two moves and a cancellation of one booking at once: whatever order the database picks, the
/// booking ends up owning exactly the claims of where it is (none once cancelled).
async fn racing_changes_to_one_booking_leak_no_claims<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let mut rounds = Vec::new();
    for day in race_days() {
        let first = slot_at(&store, fx.service.id, on(day, 9, 0), now()).await.unwrap();
        let a = store.create_appointment(&new_appointment(&fx.service, &first, now(), None), &[], now()).await.unwrap();
        let to_x = slot_at(&store, fx.service.id, on(day, 9, 50), now()).await.unwrap();
        let to_y = slot_at(&store, fx.service.id, on(day, 10, 40), now()).await.unwrap();
        rounds.push((a.id, new_slot(&fx.service, &to_x), new_slot(&fx.service, &to_y)));
    }
    let barrier = Arc::new(Barrier::new(rounds.len() * 3));
    let mut tasks = JoinSet::new();
    for (id, to_x, to_y) in &rounds {
        for to in [Some(to_x.clone()), Some(to_y.clone()), None] {
            let (store, barrier, id) = (store.clone(), Arc::clone(&barrier), *id);
            tasks.spawn(async move {
                barrier.wait().await;
                match to {
                    Some(to) => store.reschedule_appointment(id, &to, &[], later(1)).await.map(|_| ()),
                    None => store.cancel_appointment(id, &[], later(1)).await,
                }
            });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(other) => panic!("a racing change failed with {other:?}; only Conflict is expected"),
        }
    }
    // The runner's invariants check the rest; spell out the leak this test is about.
    for (id, _, _) in &rounds {
        let a = store.get_appointment(*id).await.unwrap().unwrap();
        let seats = store
            .scalar(
                "SELECT COUNT(*) FROM slot_seats WHERE appointment_id = $1 AND starts_at <> $2",
                &[Arg::Id(id.as_uuid()), at(a.slot.start())],
            )
            .await;
        assert_eq!(seats, 0, "{:?} booking at {} owns a seat elsewhere", a.status, a.slot.start());
        let expected = if a.status == skranke_core::booking::AppointmentStatus::Confirmed { (1, 5) } else { (0, 0) };
        assert_eq!((seats_of(&store, *id).await, cells_of(&store, *id).await), expected, "{:?}", a.status);
    }
}

/// A hold ran out unswept; ten citizens and the sweeper reach for its seat at once. Exactly one
/// citizen gets it, whether the sweeper freed the rows first or the booking took them over.
async fn an_expired_hold_is_taken_over_exactly_once<S: TestDb>(store: S) {
    const N: usize = 10;
    let fx = Fixture::seed(&store, 1, 2).await;
    let start = tue(9, 50);
    let slot = slot_at(&store, fx.service.id, start, now()).await.unwrap();
    let held = store
        .create_appointment(&new_appointment(&fx.service, &slot, now(), Some(later(10))), &[], now())
        .await
        .unwrap();
    let t = later(10);
    let slot = slot_at(&store, fx.service.id, start, t).await.unwrap();
    assert_eq!(slot.free_staff.len(), 2, "the expired hold's staff member is free again");

    let barrier = Arc::new(Barrier::new(N + 1));
    let mut tasks = JoinSet::new();
    for _ in 0..N {
        let (store, service, slot, barrier) = (store.clone(), fx.service.clone(), slot.clone(), Arc::clone(&barrier));
        tasks.spawn(async move {
            let new = new_appointment(&service, &slot, t, None);
            barrier.wait().await;
            store.create_appointment(&new, &[], t).await.map(|_| ())
        });
    }
    let sweeper = {
        let (store, barrier) = (store.clone(), Arc::clone(&barrier));
        tokio::spawn(async move {
            barrier.wait().await;
            store.sweep_expired_holds(t).await
        })
    };
    let mut won = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::SlotTaken) => {}
            Err(other) => panic!("expected SlotTaken, got {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(sweeper.await.unwrap().unwrap(), 1, "the hold is written down as expired");
    assert_eq!(seat_rows_at(&store, fx.service.id, start).await, 1);
    assert_eq!((seats_of(&store, held.id).await, cells_of(&store, held.id).await), (0, 0));
}
