//! The `Store` contract, checked identically on SQLite and PostgreSQL. Slots are found the way the
//! app finds them (`check_start`/`free_slots` over `availability_input`) at fixed instants; a
//! booking made from a slot computed *before* a competing change stands for the request that lost
//! a race, so the database, not the availability check, has to refuse it.

use std::time::Duration;

use jiff::SignedDuration;
use jiff::civil::{Weekday, date};
use skranke::i18n::Lang;
use skranke::store::{DevMail, OutboxStatus, StoreError};
use skranke_core::Interval;
use skranke_core::availability::{SlotError, free_slots};
use skranke_core::booking::AppointmentStatus;
use skranke_core::calendar::{ClosedDays, MonthDay};
use skranke_core::hours::WeeklyHours;
use skranke_core::ids::{AppointmentId, CentreId, MessageId, ServiceId};
use skranke_core::service::{Sensitivity, ServiceRules};
use uuid::Uuid;

use crate::support::*;

both!(
    migrate_twice_is_a_no_op,
    a_newer_database_is_refused,
    seeded_records_read_back_unchanged,
    confirmed_booking_takes_a_seat_and_the_staff_members_time,
    buffer_keeps_the_staff_member_busy_for_other_services,
    second_booking_of_a_full_slot_is_refused_and_rolled_back,
    hold_blocks_the_slot_until_it_expires_then_can_be_taken_over,
    confirm_hold_confirms_and_writes_its_messages_atomically,
    wrong_codes_are_counted_optimistically_and_release_frees_the_slot,
    cancel_frees_the_slot_once,
    reschedule_moves_the_claims_or_changes_nothing,
    sweeping_expired_holds_is_idempotent,
    outbox_claims_lease_and_retry,
    outbox_outcomes_are_written_as_one_batch,
    a_large_outcome_batch_is_written_whole_and_chained,
    dev_mail_is_stored_once_per_message,
    duplicate_reference_is_reported_as_duplicate,
    unicode_and_markup_round_trip_byte_exact,
);

// ---------------------------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------------------------

async fn migrate_twice_is_a_no_op<S: TestDb>(store: S) {
    // The runner migrated once already.
    let fx = Fixture::seed(&store, 1, 1).await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let applied = store.scalar("SELECT COUNT(*) FROM _sqlx_migrations", &[]).await;
    let distinct = store.scalar("SELECT COUNT(DISTINCT version) FROM _sqlx_migrations", &[]).await;
    assert_eq!(applied, distinct, "every migration once");
    assert!(applied >= 3, "all embedded migrations applied: {applied}");
    assert_eq!(store.get_service(fx.service.id).await.unwrap().unwrap().name_da, "Pas");
    store.ping().await.unwrap();
}

async fn a_newer_database_is_refused<S: TestDb>(store: S) {
    store
        .execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                Arg::Int(9_999),
                Arg::Text("from a newer release".into()),
                Arg::Bool(true),
                Arg::Bytes(vec![0; 48]),
                Arg::Int(1),
            ],
        )
        .await;
    // Refused every time it is asked, and without hanging on a lock left by the previous refusal.
    for attempt in 0..3 {
        let result = tokio::time::timeout(Duration::from_secs(10), store.migrate())
            .await
            .unwrap_or_else(|_| panic!("migrate() hung on attempt {attempt}"));
        assert!(matches!(result, Err(StoreError::DatabaseTooNew(9_999))), "attempt {attempt}: {result:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Set-up records
// ---------------------------------------------------------------------------------------------

async fn seeded_records_read_back_unchanged<S: TestDb>(store: S) {
    let (org, mut centre, queue) = seed_centre(&store).await;
    // A second centre with unusual hours and closed days, to see every field come back.
    centre.id = CentreId::from_uuid(Uuid::new_v4());
    centre.name = "Borgerservice Ærø".into();
    centre.address = "Vestergade 1\n5970 Ærøskøbing".into();
    centre.opening_hours = WeeklyHours::weekdays(&[range("09:00-12:00"), range("12:30-15:00")])
        .unwrap()
        .with_day(Weekday::Thursday, vec![range("12:00-18:00")])
        .unwrap()
        .with_day(Weekday::Saturday, vec![range("10:00-12:00")])
        .unwrap();
    centre.closed_days = ClosedDays { public_holidays: false, recurring: vec![MonthDay { month: 12, day: 24 }] };
    store.create_centre(&centre).await.unwrap();

    let sensitive = make_service(
        &centre,
        &queue,
        "Ydelse B",
        ServiceRules::new(45, 15, 7, 120, 90, false).unwrap(),
        Sensitivity::Sensitive,
    );
    let normal = make_service(&centre, &queue, "Ydelse A", default_rules(1), Sensitivity::Normal);
    let confidential = make_service(
        &centre,
        &queue,
        "Ydelse C",
        ServiceRules::new(5, 0, 50, 0, 365, true).unwrap(),
        Sensitivity::Confidential,
    );
    for s in [&sensitive, &normal, &confidential] {
        store.create_service(s).await.unwrap();
    }
    let mut worker = make_staff(&centre, "Åse", &[sensitive.id, normal.id]);
    worker.schedule = WeeklyHours::weekdays(&[range("07:30-11:45")]).unwrap();
    store.create_staff(&worker).await.unwrap();
    store.create_staff(&make_staff(&centre, "Other", &[confidential.id])).await.unwrap();

    let view = store.get_centre(centre.id).await.unwrap().unwrap();
    assert_eq!(view.timezone, org.timezone);
    assert_eq!(view.centre.id, centre.id);
    assert_eq!(view.centre.organisation_id, org.id);
    assert_eq!(view.centre.name, centre.name);
    assert_eq!(view.centre.address, centre.address);
    assert_eq!(view.centre.opening_hours, centre.opening_hours);
    assert_eq!(view.centre.closed_days, centre.closed_days);
    let all = store.list_centres().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|c| c.centre.id == centre.id && c.centre.opening_hours == centre.opening_hours));
    assert!(store.get_centre(CentreId::from_uuid(Uuid::new_v4())).await.unwrap().is_none());

    for s in [&sensitive, &normal, &confidential] {
        let back = store.get_service(s.id).await.unwrap().unwrap();
        assert_eq!(back.id, s.id);
        assert_eq!(back.centre_id, s.centre_id);
        assert_eq!(back.queue_id, s.queue_id);
        assert_eq!(back.name_da, s.name_da);
        assert_eq!(back.name_en, s.name_en);
        assert_eq!(back.rules, s.rules);
        assert_eq!(back.sensitivity, s.sensitivity);
    }
    let listed: Vec<ServiceId> = store.list_services(centre.id).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![normal.id, sensitive.id, confidential.id], "ordered by Danish name");
    assert!(store.list_services(CentreId::from_uuid(Uuid::new_v4())).await.unwrap().is_empty());
    assert!(store.get_service(ServiceId::from_uuid(Uuid::new_v4())).await.unwrap().is_none());
    assert!(store.get_appointment(AppointmentId::from_uuid(Uuid::new_v4())).await.unwrap().is_none());

    // The availability input carries the same records: rules, hours, closed days, and only the
    // staff qualified for the service, with their schedules.
    let input = store.availability_input(sensitive.id, day_window(tuesday()), now()).await.unwrap().unwrap();
    assert_eq!(input.tz, cph());
    assert_eq!(input.rules, sensitive.rules);
    assert_eq!(input.opening, centre.opening_hours);
    assert_eq!(input.closed_days, centre.closed_days);
    assert_eq!(input.staff.len(), 1);
    assert_eq!(input.staff[0].id, worker.id);
    assert_eq!(input.staff[0].schedule, worker.schedule);
    assert!(input.seats_taken.is_empty() && input.closures.is_empty());
    assert!(
        store
            .availability_input(ServiceId::from_uuid(Uuid::new_v4()), day_window(tuesday()), now())
            .await
            .unwrap()
            .is_none()
    );

    // Closures and absences inside the window come back too.
    let closure = Interval::new(tue(12, 0), tue(13, 0)).unwrap();
    store.add_closure(centre.id, closure, "Personalemøde").await.unwrap();
    let absence = Interval::new(tue(8, 0), tue(10, 0)).unwrap();
    store.add_absence(worker.id, absence).await.unwrap();
    let input = store.availability_input(sensitive.id, day_window(tuesday()), now()).await.unwrap().unwrap();
    assert_eq!(input.closures, vec![closure]);
    assert_eq!(input.staff[0].absences, vec![absence]);
    let next_day = store.availability_input(sensitive.id, day_window(date(2026, 12, 2)), now()).await.unwrap().unwrap();
    assert!(next_day.closures.is_empty() && next_day.staff[0].absences.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Booking
// ---------------------------------------------------------------------------------------------

async fn confirmed_booking_takes_a_seat_and_the_staff_members_time<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 2, 2).await;
    let before = input(&store, fx.service.id, tuesday(), now()).await;
    let slots = free_slots(&before, now(), tuesday(), tuesday());
    assert_eq!(slots.len(), 14, "09:00, 09:25, … 14:25");
    assert!(slots.iter().all(|s| s.remaining == 2));
    assert!(before.seats_taken.is_empty());

    let slot = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    assert_eq!(slot.free_staff.len(), 2);
    let new = new_appointment(&fx.service, &slot, now(), None);
    let booked = store.create_appointment(&new, &[], now()).await.unwrap();
    assert_eq!(booked.staff_id, Some(slot.free_staff[0]), "the first candidate is tried first");
    assert_eq!(booked.status, AppointmentStatus::Confirmed);

    let stored = store.get_appointment(new.appointment.id).await.unwrap().unwrap();
    assert_eq!(stored.staff_id, booked.staff_id);
    assert_eq!(stored.slot, slot.interval);
    assert_eq!(stored.occupied_until, tue(9, 25));
    assert_eq!(stored.reference, new.appointment.reference);
    assert_eq!(stored.manage_token_hash, new.appointment.manage_token_hash);
    assert_eq!(stored.created_at, now());
    assert_eq!(seats_of(&store, stored.id).await, 1);
    assert_eq!(cells_of(&store, stored.id).await, 5, "25 minutes = five 5-minute cells");

    let after = input(&store, fx.service.id, tuesday(), now()).await;
    assert_eq!(after.seats_taken.get(&tue(9, 0)), Some(&1));
    assert_eq!(after.seats_taken.len(), 1);
    for s in &after.staff {
        if Some(s.id) == booked.staff_id {
            assert_eq!(s.busy, vec![Interval::new(tue(9, 0), tue(9, 25)).unwrap()], "duration plus buffer");
        } else {
            assert!(s.busy.is_empty());
        }
    }
    let slots = free_slots(&after, now(), tuesday(), tuesday());
    assert_eq!(slots.len(), 14);
    assert_eq!(slots[0].interval.start(), tue(9, 0));
    assert_eq!(slots[0].remaining, 1);
    assert_eq!(slots[0].free_staff, vec![slot.free_staff[1]]);
    assert!(slots[1..].iter().all(|s| s.remaining == 2), "the next slot starts when the buffer ends");

    // The second seat goes to the other staff member; then the slot is full.
    let second =
        store.create_appointment(&new_appointment(&fx.service, &slots[0], now(), None), &[], now()).await.unwrap();
    assert_eq!(second.staff_id, Some(slot.free_staff[1]));
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 0), now()).await, Err(SlotError::Full));
    let full = input(&store, fx.service.id, tuesday(), now()).await;
    assert_eq!(full.seats_taken.get(&tue(9, 0)), Some(&2));
    assert_eq!(free_slots(&full, now(), tuesday(), tuesday()).len(), 13);
}

async fn buffer_keeps_the_staff_member_busy_for_other_services<S: TestDb>(store: S) {
    let (_, centre, queue) = seed_centre(&store).await;
    let long = make_service(&centre, &queue, "Lang", default_rules(1), Sensitivity::Normal);
    let short =
        make_service(&centre, &queue, "Kort", ServiceRules::new(5, 0, 1, 60, 60, true).unwrap(), Sensitivity::Normal);
    store.create_service(&long).await.unwrap();
    store.create_service(&short).await.unwrap();
    let only = make_staff(&centre, "Eneste", &[long.id, short.id]);
    store.create_staff(&only).await.unwrap();

    let slot = slot_at(&store, long.id, tue(9, 0), now()).await.unwrap();
    store.create_appointment(&new_appointment(&long, &slot, now(), None), &[], now()).await.unwrap();

    // The 5-minute service shares the staff member, who is busy 09:00–09:25 (20 + 5 buffer).
    for (h, m) in [(9, 0), (9, 15), (9, 20)] {
        assert_eq!(slot_at(&store, short.id, tue(h, m), now()).await, Err(SlotError::Full), "{h}:{m}");
    }
    let free = slot_at(&store, short.id, tue(9, 25), now()).await.unwrap();
    assert_eq!(free.free_staff, vec![only.id]);
    // And the database agrees: a stale 09:20 slot of the short service cannot be claimed.
    let stale = {
        let mut s = free.clone();
        s.interval = Interval::new(tue(9, 20), tue(9, 25)).unwrap();
        s
    };
    let refused = store.create_appointment(&new_appointment(&short, &stale, now(), None), &[], now()).await;
    assert!(matches!(refused, Err(StoreError::SlotTaken)), "{refused:?}");
    store.create_appointment(&new_appointment(&short, &free, now(), None), &[], now()).await.unwrap();
}

async fn second_booking_of_a_full_slot_is_refused_and_rolled_back<S: TestDb>(store: S) {
    // No seat left: capacity 1, two staff members.
    let fx = Fixture::seed(&store, 1, 2).await;
    let stale = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let first = new_appointment(&fx.service, &stale, now(), None);
    store.create_appointment(&first, &[message(first.appointment.id, "booking_confirmed")], now()).await.unwrap();
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 0), now()).await, Err(SlotError::Full));

    let second = new_appointment(&fx.service, &stale, now(), None);
    let result = store.create_appointment(&second, &[message(second.appointment.id, "booking_confirmed")], now()).await;
    assert!(matches!(result, Err(StoreError::SlotTaken)), "{result:?}");
    assert!(store.get_appointment(second.appointment.id).await.unwrap().is_none());
    assert!(store.list_outbox_for(second.appointment.id).await.unwrap().is_empty());
    assert_eq!(appointment_rows(&store).await, 1);
    assert_eq!(outbox_rows(&store).await, 1);
    assert_eq!(seat_rows_at(&store, fx.service.id, tue(9, 0)).await, 1);
    assert_eq!(cells_of(&store, second.appointment.id).await, 0);

    // A seat left but no staff time: capacity 2, one staff member. The seat the refused booking
    // claimed before it found no staff time is rolled back with it.
    let fx2 = Fixture::seed(&store, 2, 1).await;
    let stale = slot_at(&store, fx2.service.id, tue(9, 0), now()).await.unwrap();
    store.create_appointment(&new_appointment(&fx2.service, &stale, now(), None), &[], now()).await.unwrap();
    let refused = new_appointment(&fx2.service, &stale, now(), None);
    let result = store.create_appointment(&refused, &[message(refused.appointment.id, "booking_code")], now()).await;
    assert!(matches!(result, Err(StoreError::SlotTaken)), "{result:?}");
    assert_eq!(seat_rows_at(&store, fx2.service.id, tue(9, 0)).await, 1);
    assert_eq!(seats_of(&store, refused.appointment.id).await, 0);
    assert_eq!(appointment_rows(&store).await, 2);
    assert_eq!(outbox_rows(&store).await, 1);
    // Availability agrees: one seat, but nobody to serve it.
    assert_eq!(slot_at(&store, fx2.service.id, tue(9, 0), now()).await, Err(SlotError::Full));
}

async fn hold_blocks_the_slot_until_it_expires_then_can_be_taken_over<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let expiry = later(10);
    let stale = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let held = new_appointment(&fx.service, &stale, now(), Some(expiry));
    let a = store.create_appointment(&held, &[message(held.appointment.id, "booking_code")], now()).await.unwrap();
    assert_eq!(a.status, AppointmentStatus::Held);

    // While the hold runs the slot is gone, in availability and in the database.
    let during = later(5);
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 0), during).await, Err(SlotError::Full));
    let early = new_appointment(&fx.service, &stale, during, None);
    assert!(matches!(store.create_appointment(&early, &[], during).await, Err(StoreError::SlotTaken)));
    assert_eq!(store.sweep_expired_holds(during).await.unwrap(), 0);

    // At the expiry instant it is free again (expiry is exclusive) and a new booking takes over
    // the hold's seat and cells without waiting for the sweeper.
    let slot = slot_at(&store, fx.service.id, tue(9, 0), expiry).await.unwrap();
    assert_eq!(slot.remaining, 1);
    let taker = new_appointment(&fx.service, &slot, expiry, None);
    let b = store.create_appointment(&taker, &[], expiry).await.unwrap();
    assert_eq!(b.staff_id, a.staff_id);
    assert_eq!(seats_of(&store, b.id).await, 1);
    assert_eq!(cells_of(&store, b.id).await, 5);
    assert_eq!(seats_of(&store, a.id).await, 0);
    assert_eq!(cells_of(&store, a.id).await, 0);

    // The first citizen's code comes too late.
    let late = later(11);
    let result = store.confirm_hold(a.id, 0, &[message(a.id, "booking_confirmed")], late).await;
    assert!(matches!(result, Err(StoreError::HoldExpired)), "{result:?}");
    let a_now = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!(a_now.status_at(late), AppointmentStatus::Expired);
    assert_eq!(store.list_outbox_for(a.id).await.unwrap(), vec![("booking_code".to_owned(), OutboxStatus::Pending)]);

    // The sweeper writes the expiry down and leaves the taker's rows alone.
    assert_eq!(store.sweep_expired_holds(late).await.unwrap(), 1);
    assert_eq!(store.get_appointment(a.id).await.unwrap().unwrap().status, AppointmentStatus::Expired);
    assert_eq!(seats_of(&store, b.id).await, 1);
    assert_eq!(cells_of(&store, b.id).await, 5);
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 0), late).await, Err(SlotError::Full));
}

async fn confirm_hold_confirms_and_writes_its_messages_atomically<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let slot = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let held = new_appointment(&fx.service, &slot, now(), Some(later(10)));
    let code_mail = message(held.appointment.id, "booking_code");
    let a = store.create_appointment(&held, std::slice::from_ref(&code_mail), now()).await.unwrap();

    // A message that cannot be written (its id is taken) rolls the confirmation back with it.
    let mut clash = message(a.id, "booking_confirmed");
    clash.id = code_mail.id;
    let result = store.confirm_hold(a.id, 0, &[clash], later(1)).await;
    assert!(matches!(result, Err(StoreError::Duplicate(_))), "{result:?}");
    let still = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!(still.status, AppointmentStatus::Held);
    assert_eq!(still.hold_expires_at, Some(later(10)));
    assert!(still.code_hash.is_some());
    assert_eq!(
        store.scalar("SELECT COUNT(*) FROM slot_seats WHERE hold_expires_at IS NOT NULL", &[]).await,
        1,
        "the seat is still a hold"
    );

    // A stale attempts count is a conflict and writes nothing.
    let result = store.confirm_hold(a.id, 1, &[message(a.id, "booking_confirmed")], later(1)).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(outbox_rows(&store).await, 1);

    store.confirm_hold(a.id, 0, &[message(a.id, "booking_confirmed")], later(2)).await.unwrap();
    let confirmed = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!(confirmed.status, AppointmentStatus::Confirmed);
    assert_eq!(confirmed.hold_expires_at, None);
    assert_eq!(confirmed.code_hash, None);
    assert_eq!(confirmed.code_attempts, 0);
    assert_eq!(
        store.list_outbox_for(a.id).await.unwrap(),
        vec![
            ("booking_code".to_owned(), OutboxStatus::Pending),
            ("booking_confirmed".to_owned(), OutboxStatus::Pending)
        ]
    );
    assert_eq!(store.scalar("SELECT COUNT(*) FROM slot_seats WHERE hold_expires_at IS NOT NULL", &[]).await, 0);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM staff_cells WHERE hold_expires_at IS NOT NULL", &[]).await, 0);

    // Long after the old expiry the slot is still taken and nothing is swept.
    let much_later = later(60);
    assert_eq!(store.sweep_expired_holds(much_later).await.unwrap(), 0);
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 0), much_later).await, Err(SlotError::Full));
    let intruder = new_appointment(&fx.service, &slot, much_later, None);
    assert!(matches!(store.create_appointment(&intruder, &[], much_later).await, Err(StoreError::SlotTaken)));
}

async fn wrong_codes_are_counted_optimistically_and_release_frees_the_slot<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let slot = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let a = store
        .create_appointment(&new_appointment(&fx.service, &slot, now(), Some(later(10))), &[], now())
        .await
        .unwrap();

    store.record_wrong_code(a.id, 0, false, later(1)).await.unwrap();
    let after_one = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!((after_one.status, after_one.code_attempts), (AppointmentStatus::Held, 1));

    // Two requests read attempts = 0; the second one to write loses.
    assert!(matches!(store.record_wrong_code(a.id, 0, false, later(1)).await, Err(StoreError::Conflict)));
    assert!(matches!(store.record_wrong_code(a.id, 0, true, later(1)).await, Err(StoreError::Conflict)));
    assert!(matches!(store.confirm_hold(a.id, 0, &[], later(1)).await, Err(StoreError::Conflict)));
    let unchanged = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!((unchanged.status, unchanged.code_attempts), (AppointmentStatus::Held, 1));
    assert_eq!(seats_of(&store, a.id).await, 1);

    // The last allowed wrong code releases the hold at once.
    store.record_wrong_code(a.id, 1, true, later(2)).await.unwrap();
    let released = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!((released.status, released.code_attempts), (AppointmentStatus::Expired, 2));
    assert_eq!(seats_of(&store, a.id).await, 0);
    assert_eq!(cells_of(&store, a.id).await, 0);
    assert!(matches!(store.record_wrong_code(a.id, 2, false, later(2)).await, Err(StoreError::Conflict)));

    let free = slot_at(&store, fx.service.id, tue(9, 0), later(2)).await.unwrap();
    assert_eq!(free.remaining, 1);
    store.create_appointment(&new_appointment(&fx.service, &free, later(2), None), &[], later(2)).await.unwrap();
}

async fn cancel_frees_the_slot_once<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let stale = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let a = store.create_appointment(&new_appointment(&fx.service, &stale, now(), None), &[], now()).await.unwrap();

    store.cancel_appointment(a.id, &[message(a.id, "booking_cancelled")], later(1)).await.unwrap();
    assert_eq!(store.get_appointment(a.id).await.unwrap().unwrap().status, AppointmentStatus::Cancelled);
    assert_eq!(seats_of(&store, a.id).await, 0);
    assert_eq!(cells_of(&store, a.id).await, 0);
    assert!(input(&store, fx.service.id, tuesday(), later(1)).await.staff.iter().all(|s| s.busy.is_empty()));
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 0), later(1)).await.unwrap().remaining, 1);
    // Even a slot computed before the first booking goes through now.
    let b =
        store.create_appointment(&new_appointment(&fx.service, &stale, later(1), None), &[], later(1)).await.unwrap();

    // A second cancel changes nothing and writes no message.
    let again = store.cancel_appointment(a.id, &[message(a.id, "booking_cancelled")], later(2)).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(
        store.list_outbox_for(a.id).await.unwrap(),
        vec![("booking_cancelled".to_owned(), OutboxStatus::Pending)]
    );
    assert_eq!(seats_of(&store, b.id).await, 1, "the new booking keeps its seat");
    assert!(matches!(
        store.cancel_appointment(AppointmentId::from_uuid(Uuid::new_v4()), &[], later(2)).await,
        Err(StoreError::Conflict | StoreError::NotFound)
    ));

    // A held booking can be cancelled too, and frees its slot.
    let slot = slot_at(&store, fx.service.id, tue(9, 25), later(2)).await.unwrap();
    let h = store
        .create_appointment(&new_appointment(&fx.service, &slot, later(2), Some(later(12))), &[], later(2))
        .await
        .unwrap();
    store.cancel_appointment(h.id, &[], later(3)).await.unwrap();
    assert_eq!(seats_of(&store, h.id).await, 0);
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 25), later(3)).await.unwrap().remaining, 1);
}

async fn reschedule_moves_the_claims_or_changes_nothing<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let first = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let a = store.create_appointment(&new_appointment(&fx.service, &first, now(), None), &[], now()).await.unwrap();

    let target = slot_at(&store, fx.service.id, tue(9, 50), now()).await.unwrap();
    let moved = store
        .reschedule_appointment(a.id, &new_slot(&fx.service, &target), &[message(a.id, "booking_moved")], later(1))
        .await
        .unwrap();
    assert_eq!(moved.slot, target.interval);
    assert_eq!(moved.occupied_until, tue(10, 15));
    assert_eq!(moved.status, AppointmentStatus::Confirmed);
    let stored = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!((stored.slot, stored.occupied_until, stored.staff_id), (target.interval, tue(10, 15), moved.staff_id));
    assert_eq!(stored.reference, a.reference);
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 0), later(1)).await.unwrap().remaining, 1, "old slot free");
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 50), later(1)).await, Err(SlotError::Full), "new slot taken");
    assert_eq!(seat_rows_at(&store, fx.service.id, tue(9, 0)).await, 0);
    assert_eq!(seat_rows_at(&store, fx.service.id, tue(9, 50)).await, 1);

    // Moving onto a slot someone else took in the meantime fails and leaves the booking as it was.
    let stale = slot_at(&store, fx.service.id, tue(10, 40), later(1)).await.unwrap();
    store.create_appointment(&new_appointment(&fx.service, &stale, later(2), None), &[], later(2)).await.unwrap();
    let result = store
        .reschedule_appointment(a.id, &new_slot(&fx.service, &stale), &[message(a.id, "booking_moved")], later(3))
        .await;
    assert!(matches!(result, Err(StoreError::SlotTaken)), "{result:?}");
    let kept = store.get_appointment(a.id).await.unwrap().unwrap();
    assert_eq!((kept.slot, kept.occupied_until, kept.staff_id), (target.interval, tue(10, 15), moved.staff_id));
    assert_eq!(seats_of(&store, a.id).await, 1);
    assert_eq!(seat_rows_at(&store, fx.service.id, tue(9, 50)).await, 1);
    assert_eq!(cells_of(&store, a.id).await, 5);
    assert_eq!(store.list_outbox_for(a.id).await.unwrap().len(), 1, "only the successful move wrote a message");

    // Onto the directly following slot, with the same (only) staff member: its own time is no
    // obstacle.
    let next = slot_at(&store, fx.service.id, tue(10, 15), later(3)).await.unwrap();
    store.reschedule_appointment(a.id, &new_slot(&fx.service, &next), &[], later(3)).await.unwrap();
    assert_eq!(seat_rows_at(&store, fx.service.id, tue(9, 50)).await, 0);

    // Only confirmed bookings move.
    let h_slot = slot_at(&store, fx.service.id, tue(11, 5), later(3)).await.unwrap();
    let h = store
        .create_appointment(&new_appointment(&fx.service, &h_slot, later(3), Some(later(13))), &[], later(3))
        .await
        .unwrap();
    let to = slot_at(&store, fx.service.id, tue(11, 30), later(3)).await.unwrap();
    assert!(matches!(
        store.reschedule_appointment(h.id, &new_slot(&fx.service, &to), &[], later(4)).await,
        Err(StoreError::Conflict)
    ));
    store.cancel_appointment(a.id, &[], later(4)).await.unwrap();
    assert!(matches!(
        store.reschedule_appointment(a.id, &new_slot(&fx.service, &to), &[], later(4)).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store
            .reschedule_appointment(
                AppointmentId::from_uuid(Uuid::new_v4()),
                &new_slot(&fx.service, &to),
                &[],
                later(4)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(seat_rows_at(&store, fx.service.id, tue(11, 30)).await, 0);
}

async fn sweeping_expired_holds_is_idempotent<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 2, 2).await;
    let book = async |h: i8, m: i8, hold: Option<i64>| {
        let slot = slot_at(&store, fx.service.id, tue(h, m), now()).await.unwrap();
        store
            .create_appointment(&new_appointment(&fx.service, &slot, now(), hold.map(later)), &[], now())
            .await
            .unwrap()
    };
    let a = book(9, 0, Some(10)).await;
    let b = book(9, 25, Some(15)).await;
    let c = book(9, 50, None).await;

    assert_eq!(store.sweep_expired_holds(later(5)).await.unwrap(), 0);
    assert_eq!(store.sweep_expired_holds(later(10)).await.unwrap(), 1);
    assert_eq!(store.sweep_expired_holds(later(10)).await.unwrap(), 0);
    assert_eq!(store.get_appointment(a.id).await.unwrap().unwrap().status, AppointmentStatus::Expired);
    assert_eq!(store.get_appointment(b.id).await.unwrap().unwrap().status, AppointmentStatus::Held);
    assert_eq!((seats_of(&store, a.id).await, cells_of(&store, a.id).await), (0, 0));
    assert_eq!((seats_of(&store, b.id).await, cells_of(&store, b.id).await), (1, 5));

    assert_eq!(store.sweep_expired_holds(later(20)).await.unwrap(), 1);
    assert_eq!(store.sweep_expired_holds(later(20)).await.unwrap(), 0);
    assert_eq!(store.sweep_expired_holds(later(30)).await.unwrap(), 0);
    assert_eq!(store.get_appointment(b.id).await.unwrap().unwrap().status, AppointmentStatus::Expired);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM slot_seats", &[]).await, 1);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM staff_cells", &[]).await, 5);
    assert_eq!(seats_of(&store, c.id).await, 1);
}

// ---------------------------------------------------------------------------------------------
// Outbox and dev mailbox
// ---------------------------------------------------------------------------------------------

async fn outbox_claims_lease_and_retry<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let slot = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let new = new_appointment(&fx.service, &slot, now(), None);
    let id = new.appointment.id;
    let (m1, m2) = (message(id, "booking_confirmed"), message(id, "booking_reminder"));
    store.create_appointment(&new, &[m1.clone(), m2.clone()], now()).await.unwrap();
    let lease = SignedDuration::from_secs(60);
    let ids = |v: &[skranke::store::OutboxMessage]| {
        let mut ids: Vec<MessageId> = v.iter().map(|m| m.id).collect();
        ids.sort();
        ids
    };
    let mut both_ids = vec![m1.id, m2.id];
    both_ids.sort();

    let claimed = store.claim_outbox(now(), lease, 10).await.unwrap();
    assert_eq!(ids(&claimed), both_ids);
    assert!(claimed.iter().all(|m| m.attempts == 1));
    let c1 = claimed.iter().find(|m| m.id == m1.id).unwrap();
    assert_eq!(
        (c1.template.as_str(), c1.recipient.as_str(), c1.language),
        ("booking_confirmed", "karen@example.org", Lang::Da)
    );
    assert_eq!(c1.payload, m1.payload);

    // Not claimed again while the lease runs…
    assert!(store.claim_outbox(now() + SignedDuration::from_secs(30), lease, 10).await.unwrap().is_empty());
    // …but after it, as if the worker had crashed.
    let t = now() + SignedDuration::from_secs(61);
    let reclaimed = store.claim_outbox(t, lease, 10).await.unwrap();
    assert_eq!(ids(&reclaimed), both_ids);
    assert!(reclaimed.iter().all(|m| m.attempts == 2));

    store.mark_outbox_sent(m1.id, t).await.unwrap();
    store.mark_outbox_retry(m2.id, "451 try later", later(10), false).await.unwrap();
    assert!(store.claim_outbox(later(5), lease, 10).await.unwrap().is_empty(), "sent is done, retry not due");
    let retried = store.claim_outbox(later(10), lease, 10).await.unwrap();
    assert_eq!(ids(&retried), vec![m2.id]);
    assert_eq!(retried[0].attempts, 3);

    store.mark_outbox_retry(m2.id, "550 no such user", later(20), true).await.unwrap();
    assert!(store.claim_outbox(later(24 * 60), lease, 10).await.unwrap().is_empty(), "given up");
    assert_eq!(
        store.list_outbox_for(id).await.unwrap(),
        vec![
            ("booking_confirmed".to_owned(), OutboxStatus::Sent),
            ("booking_reminder".to_owned(), OutboxStatus::Failed)
        ]
    );
    assert_eq!(store.outbox_counts().await.unwrap(), vec![("failed".to_owned(), 1), ("sent".to_owned(), 1)]);

    // The limit caps a batch; the rest come in the next one.
    let slot = slot_at(&store, fx.service.id, tue(9, 25), now()).await.unwrap();
    let other = new_appointment(&fx.service, &slot, now(), None);
    let msgs: Vec<_> = (0..3).map(|_| message(other.appointment.id, "booking_confirmed")).collect();
    store.create_appointment(&other, &msgs, later(30)).await.unwrap();
    assert_eq!(store.claim_outbox(later(30), lease, 2).await.unwrap().len(), 2);
    assert_eq!(store.claim_outbox(later(30), lease, 2).await.unwrap().len(), 1);
    assert!(store.claim_outbox(later(30), lease, 2).await.unwrap().is_empty());
}

/// An appointment with `n` pending messages, for the outcome-batch tests.
async fn appointment_with_messages<S: TestDb>(
    store: &S,
    n: usize,
) -> (skranke_core::ids::AppointmentId, Vec<skranke::store::NewMessage>) {
    let fx = Fixture::seed(store, 1, 1).await;
    let slot = slot_at(store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let new = new_appointment(&fx.service, &slot, now(), None);
    let appointment = new.appointment.id;
    let msgs: Vec<_> = (0..n).map(|_| message(appointment, "booking_confirmed")).collect();
    store.create_appointment(&new, &msgs, now()).await.unwrap();
    (appointment, msgs)
}

/// A sent message's outcome, and a held one's.
fn sent_and_held(subject_ref: Option<String>) -> (skranke::store::GateOutcome, skranke::store::GateOutcome) {
    let sent = skranke::store::GateOutcome {
        outcome: "send",
        reason: None,
        rule: Some("verified_citizen"),
        classes: "appointment".into(),
        bounced_address: None,
        subject_ref,
        recipient_pseudonym: Some("ps_0123456789abcdef0123456789abcdef".into()),
    };
    let held = skranke::store::GateOutcome {
        outcome: "hold",
        reason: Some("unverified"),
        rule: None,
        subject_ref: None,
        recipient_pseudonym: None,
        ..sent.clone()
    };
    (sent, held)
}

/// Message `m`'s outcome as the worker writes it, with its alerts and its audit entry `action`.
fn outcome_of(
    m: &skranke::store::NewMessage,
    outcome: &skranke::store::GateOutcome,
    alerts: Vec<skranke::store::NewMessage>,
    action: &str,
) -> skranke::store::OutboxFinish {
    use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label, ObjectRef};
    skranke::store::OutboxFinish {
        id: m.id,
        outcome: outcome.clone(),
        at: later(1),
        alerts,
        audit: vec![AuditRecord {
            at: later(1),
            organisation: None,
            actor: Actor::System { label: Label::new("outbox").unwrap() },
            action: Action::new(action).unwrap(),
            object: Some(ObjectRef::new("message", &m.id.to_string()).unwrap()),
            detail: Detail::empty(),
        }],
        pseudonyms: Vec::new(),
    }
}

/// The worker writes a tick's outcomes in one transaction: each message's status, its alerts and
/// its audit entries; a message another worker finished meanwhile is skipped with its alerts and
/// audit entries, and the rest is still written.
async fn outbox_outcomes_are_written_as_one_batch<S: TestDb>(store: S) {
    let (appointment, msgs) = appointment_with_messages(&store, 3).await;
    let (sent, held) = sent_and_held(None);
    // The first message was finished by another worker before this batch is written.
    store.finish_outbox(msgs[0].id, &sent, now(), &[], &[]).await.unwrap();
    let alert = message(appointment, "message_held");
    let batch = [
        outcome_of(&msgs[0], &sent, vec![message(appointment, "message_held")], "mail.sent"),
        outcome_of(&msgs[1], &sent, Vec::new(), "mail.sent"),
        outcome_of(&msgs[2], &held, vec![alert.clone()], "mail.held"),
    ];
    assert_eq!(store.finish_outbox_batch(&batch).await.unwrap(), vec![msgs[0].id]);
    assert!(store.finish_outbox_batch(&[]).await.unwrap().is_empty());

    let statuses = store.list_outbox_for(appointment).await.unwrap();
    let count = |status: OutboxStatus| statuses.iter().filter(|(_, s)| *s == status).count();
    assert_eq!((count(OutboxStatus::Sent), count(OutboxStatus::Held), count(OutboxStatus::Pending)), (2, 1, 1));
    // A sent message keeps its recipient's pseudonym (breach scoping after retention), a held one none.
    let kept = "SELECT COUNT(*) FROM outbox WHERE recipient_pseudonym = 'ps_0123456789abcdef0123456789abcdef'";
    assert_eq!(store.scalar(kept, &[]).await, 2);
    // Only the third message's alert was written, not the skipped message's.
    let pending = store.claim_outbox(later(2), SignedDuration::from_secs(60), 10).await.unwrap();
    assert_eq!(pending.iter().map(|m| m.id).collect::<Vec<_>>(), vec![alert.id]);
    // The audit entries of the two written messages, in order, chained; none for the skipped one.
    let entries = store.audit_page(0, 100).await.unwrap();
    let objects: Vec<(&str, String)> =
        entries.iter().map(|e| (e.record.action.as_str(), e.record.object.as_ref().unwrap().id().to_owned())).collect();
    assert_eq!(objects, vec![("mail.sent", msgs[1].id.to_string()), ("mail.held", msgs[2].id.to_string())]);
    assert_eq!(store.audit_head().await.unwrap().seq, 2);
}

/// A batch larger than one statement takes (sent rows and audit rows go many to a statement):
/// every message gets its outcome, and the audit entries come out in the batch's order, chained.
async fn a_large_outcome_batch_is_written_whole_and_chained<S: TestDb>(store: S) {
    let n = 250;
    let (appointment, msgs) = appointment_with_messages(&store, n).await;
    let (sent, held) = sent_and_held(Some(format!("appointment:{appointment}")));
    let batch: Vec<_> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i % 7 == 3 {
                outcome_of(m, &held, Vec::new(), "mail.held")
            } else {
                outcome_of(m, &sent, Vec::new(), "mail.sent")
            }
        })
        .collect();
    assert!(store.finish_outbox_batch(&batch).await.unwrap().is_empty());

    let statuses = store.list_outbox_for(appointment).await.unwrap();
    let count = |status: OutboxStatus| statuses.iter().filter(|(_, s)| *s == status).count();
    let held_n = (0..n).filter(|i| i % 7 == 3).count();
    assert_eq!((count(OutboxStatus::Sent), count(OutboxStatus::Held)), (n - held_n, held_n));
    // Each message's entry, in the batch's order, with its own outcome.
    let entries = store.audit_page(0, 1000).await.unwrap();
    let got: Vec<(String, &str)> =
        entries.iter().map(|e| (e.record.object.as_ref().unwrap().id().to_owned(), e.record.action.as_str())).collect();
    let want: Vec<(String, &str)> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.to_string(), if i % 7 == 3 { "mail.held" } else { "mail.sent" }))
        .collect();
    assert_eq!(got, want);
    assert_eq!(store.audit_head().await.unwrap().seq, u64::try_from(n).unwrap());
    assert!(matches!(skranke::audit_verify::verify(&store).await.unwrap(), skranke::audit_verify::Outcome::Intact(_)));
}

async fn dev_mail_is_stored_once_per_message<S: TestDb>(store: S) {
    let mail = DevMail {
        outbox_id: MessageId::from_uuid(Uuid::new_v4()),
        recipient: "karen@example.org".into(),
        subject: "Din kode".into(),
        body_text: "Koden er 123456.\n".into(),
        delivered_at: now(),
    };
    store.deliver_dev_mail(&mail).await.unwrap();
    // A retried delivery of the same message (say, the worker crashed before marking it sent).
    let retry = DevMail { subject: "Din kode (igen)".into(), delivered_at: later(1), ..mail.clone() };
    store.deliver_dev_mail(&retry).await.unwrap();
    let stored = store.list_dev_mail(10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].outbox_id, mail.outbox_id);
    assert_eq!(stored[0].subject, mail.subject);
    assert_eq!(stored[0].body_text, mail.body_text);
    assert_eq!(stored[0].recipient, mail.recipient);
    assert_eq!(stored[0].delivered_at, now());

    let other = DevMail { outbox_id: MessageId::from_uuid(Uuid::new_v4()), delivered_at: later(2), ..mail.clone() };
    store.deliver_dev_mail(&other).await.unwrap();
    let stored = store.list_dev_mail(10).await.unwrap();
    assert_eq!(
        stored.iter().map(|m| m.outbox_id).collect::<Vec<_>>(),
        vec![other.outbox_id, mail.outbox_id],
        "newest first"
    );
    assert_eq!(store.list_dev_mail(1).await.unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Identity and text
// ---------------------------------------------------------------------------------------------

async fn duplicate_reference_is_reported_as_duplicate<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 2).await;
    let slot = slot_at(&store, fx.service.id, tue(9, 0), now()).await.unwrap();
    let first = new_appointment(&fx.service, &slot, now(), None);
    store.create_appointment(&first, &[], now()).await.unwrap();

    let other = slot_at(&store, fx.service.id, tue(9, 25), now()).await.unwrap();
    let mut clash = new_appointment(&fx.service, &other, now(), None);
    clash.appointment.reference = first.appointment.reference.clone();
    let result = store.create_appointment(&clash, &[message(clash.appointment.id, "booking_confirmed")], now()).await;
    match result {
        // The app draws a new reference on exactly these names (app/booking.rs).
        Err(StoreError::Duplicate(name)) => {
            assert!(name.contains("reference") || name == "unknown", "constraint name {name:?}")
        }
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert!(store.get_appointment(clash.appointment.id).await.unwrap().is_none());
    assert_eq!(seats_of(&store, clash.appointment.id).await, 0);
    assert_eq!(outbox_rows(&store).await, 0);
    assert_eq!(slot_at(&store, fx.service.id, tue(9, 25), now()).await.unwrap().remaining, 1);

    // The same id twice is a duplicate as well.
    let mut same_id = new_appointment(&fx.service, &other, now(), None);
    same_id.appointment.id = first.appointment.id;
    assert!(matches!(store.create_appointment(&same_id, &[], now()).await, Err(StoreError::Duplicate(_))));
}

async fn unicode_and_markup_round_trip_byte_exact<S: TestDb>(store: S) {
    const NAME: &str =
        "Åse Ødegård-Ærenfeldt <script>alert('x')</script> & \"Ğüñ\" 李小龍 👩‍👩‍👧 e\u{301} \u{202E}txet\u{202C} ';--";
    let (_, mut centre, queue) = seed_centre(&store).await;
    centre.id = CentreId::from_uuid(Uuid::new_v4());
    centre.name = "Borgerservice <b>Æ</b> \u{1F3DB}\u{FE0F}".into();
    centre.address = "Ørstedsvej 5, 9000 Aalborg — «indgang B»\r\n2. sal".into();
    store.create_centre(&centre).await.unwrap();
    let mut service = make_service(&centre, &queue, "Kørekort <i>&amp;</i> pas", default_rules(1), Sensitivity::Normal);
    service.name_en = "Driving licence </title><script>x()</script>".into();
    store.create_service(&service).await.unwrap();
    store.create_staff(&make_staff(&centre, NAME, &[service.id])).await.unwrap();

    let back = store.get_centre(centre.id).await.unwrap().unwrap();
    assert_eq!(back.centre.name.as_bytes(), centre.name.as_bytes());
    assert_eq!(back.centre.address.as_bytes(), centre.address.as_bytes());
    let sback = store.get_service(service.id).await.unwrap().unwrap();
    assert_eq!(sback.name_da.as_bytes(), service.name_da.as_bytes());
    assert_eq!(sback.name_en.as_bytes(), service.name_en.as_bytes());

    let slot = slot_at(&store, service.id, tue(9, 0), now()).await.unwrap();
    let mut new = new_appointment(&service, &slot, now(), Some(later(10)));
    new.appointment.citizen_name = NAME.into();
    new.appointment.citizen_email = Some("åse+<tag>@xn--rskbing-e1a.dk".into());
    new.appointment.citizen_phone = Some("+45 12 34 56 78 ☎".into());
    new.appointment.language = Lang::En;
    let mut mail = message(new.appointment.id, "booking_code");
    mail.recipient = "åse+<tag>@xn--rskbing-e1a.dk".into();
    mail.payload = serde_json::json!({ "name": NAME, "code": "012345" }).to_string();
    mail.language = Lang::En;
    store.create_appointment(&new, std::slice::from_ref(&mail), now()).await.unwrap();

    let a = store.get_appointment(new.appointment.id).await.unwrap().unwrap();
    assert_eq!(a.citizen_name.as_bytes(), NAME.as_bytes());
    assert_eq!(a.citizen_email, new.appointment.citizen_email);
    assert_eq!(a.citizen_phone, new.appointment.citizen_phone);
    assert_eq!(a.language, Lang::En);
    assert_eq!(a.code_hash, new.appointment.code_hash);
    assert_eq!(a.hold_expires_at, Some(later(10)));
    let claimed = store.claim_outbox(now(), SignedDuration::from_secs(60), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].payload.as_bytes(), mail.payload.as_bytes());
    assert_eq!(claimed[0].recipient.as_bytes(), mail.recipient.as_bytes());
    assert_eq!(claimed[0].language, Lang::En);

    let dev = DevMail {
        outbox_id: mail.id,
        recipient: mail.recipient.clone(),
        subject: NAME.into(),
        body_text: format!("Hej {NAME}\n\n<p>kode</p>"),
        delivered_at: now(),
    };
    store.deliver_dev_mail(&dev).await.unwrap();
    let got = store.list_dev_mail(1).await.unwrap();
    assert_eq!(got[0].subject.as_bytes(), NAME.as_bytes());
    assert_eq!(got[0].body_text.as_bytes(), dev.body_text.as_bytes());
}
