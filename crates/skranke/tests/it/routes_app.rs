//! Routing rules per event (issue 6, point 3), on both databases with the dev mailbox: a change
//! needs a second administrator (RS-60), recipients are resolved from the rules as they are when
//! a message is built, reminders go once the day before, and arrivals, transfers and no-shows
//! reach the recipients the rules name and nobody else.

use skranke::app::booking::BookingRequest;
use skranke::app::notify::Mailbox;
use skranke::app::queue::Action;
use skranke::app::routes;
use skranke::app::{AppError, Principal};
use skranke::i18n::Lang;
use skranke::store::{Desk, Store as _};
use skranke_core::access::Role;
use skranke_core::ids::DeskId;
use skranke_core::notify::route::{Event, Recipient};
use skranke_core::visit::order::CallOrder;
use uuid::Uuid;

use crate::notify_app::{IntoAny, World, code_sent_to, drain_with, principal, verified_mailbox, world};
use crate::support::*;

both!(
    a_route_change_needs_a_second_administrator,
    arrivals_transfers_and_no_shows_follow_the_rules,
    a_reminder_goes_once_the_day_before,
    the_booked_staff_member_and_the_citizen_hear_what_the_rules_say,
);

async fn drain(w: &World) {
    drain_with(&w.app, Default::default()).await;
}

/// Dev mails of `template` to `address`.
async fn mails_to(w: &World, address: &str, subject_has: &str) -> usize {
    let mails = w.app.store.list_dev_mail(500).await.unwrap();
    mails.iter().filter(|m| m.recipient == address && m.subject.contains(subject_has)).count()
}

/// Turns a route on or off with a second administrator's approval.
async fn set_route(w: &World, admin: &Principal, event: Event, to: Recipient, on: bool) {
    let second = principal(w, Role::OrgAdmin);
    let change = routes::propose_route(&w.app, admin, event, to, on).await.unwrap().expect("a change");
    routes::decide_route(&w.app, &second, change.id, true).await.unwrap();
}

async fn a_route_change_needs_a_second_administrator<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let second = principal(&w, Role::OrgAdmin);
    assert!(!routes::route_table(&w.app, &admin).await.unwrap().enabled(Event::Arrival, Recipient::QueueMailbox));

    let change = routes::propose_route(&w.app, &admin, Event::Arrival, Recipient::QueueMailbox, true)
        .await
        .unwrap()
        .expect("a proposal");
    // Proposed is not applied.
    assert!(!routes::route_table(&w.app, &admin).await.unwrap().enabled(Event::Arrival, Recipient::QueueMailbox));
    assert_eq!(routes::pending_routes(&w.app, &second).await.unwrap().len(), 1);
    // The asker cannot approve their own change.
    match routes::decide_route(&w.app, &admin, change.id, true).await {
        Err(AppError::Field { code: "same_administrator", .. }) => {}
        other => panic!("expected same_administrator, got {other:?}"),
    }
    // A receptionist may not decide at all, and another organisation's admin does not see it.
    let receptionist = principal(&w, Role::Receptionist);
    assert!(matches!(routes::decide_route(&w.app, &receptionist, change.id, true).await, Err(AppError::Forbidden)));
    let other = world(&store, "vejle.dk").await;
    let stranger = principal(&other, Role::OrgAdmin);
    assert!(matches!(routes::decide_route(&other.app, &stranger, change.id, true).await, Err(AppError::NotFound(_))));

    routes::decide_route(&w.app, &second, change.id, true).await.unwrap();
    assert!(routes::route_table(&w.app, &admin).await.unwrap().enabled(Event::Arrival, Recipient::QueueMailbox));
    assert!(routes::pending_routes(&w.app, &admin).await.unwrap().is_empty());
    // Decided once.
    assert!(matches!(
        routes::decide_route(&w.app, &second, change.id, false).await,
        Err(AppError::Field { code: "change_decided", .. })
    ));
    // Asking for what is already so is no proposal; a route that cannot exist is refused.
    assert!(
        routes::propose_route(&w.app, &admin, Event::Arrival, Recipient::QueueMailbox, true).await.unwrap().is_none()
    );
    assert!(matches!(
        routes::propose_route(&w.app, &admin, Event::Transfer, Recipient::Citizen, true).await,
        Err(AppError::Field { code: "route_not_applicable", .. })
    ));
    // A rejected proposal changes nothing. The other organisation keeps its defaults.
    let off =
        routes::propose_route(&w.app, &admin, Event::Transfer, Recipient::QueueMailbox, false).await.unwrap().unwrap();
    routes::decide_route(&w.app, &second, off.id, false).await.unwrap();
    assert!(routes::route_table(&w.app, &admin).await.unwrap().enabled(Event::Transfer, Recipient::QueueMailbox));
    assert!(
        !routes::route_table(&other.app, &stranger).await.unwrap().enabled(Event::Arrival, Recipient::QueueMailbox)
    );

    // Each step is in the audit log.
    for (action, n) in [("route.change_proposed", 2), ("route.change_approved", 1), ("route.change_rejected", 1)] {
        let sql = "SELECT COUNT(*) FROM audit_log WHERE action = $1";
        assert_eq!(store.scalar(sql, &[Arg::Text(action.into())]).await, n, "{action}");
    }
}

async fn arrivals_transfers_and_no_shows_follow_the_rules<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let receptionist = principal(&w, Role::Receptionist);
    verified_mailbox(&w, &admin, Mailbox::Queue(w.borger.id), "borgerservice@fredericia.dk").await;
    verified_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fredericia.dk").await;
    verified_mailbox(&w, &admin, Mailbox::Centre(w.centre.id), "centret@fredericia.dk").await;

    // Defaults: an arrival tells nobody.
    let first = w.app.take_ticket(&receptionist, w.centre.id, w.service.id).await.unwrap();
    drain(&w).await;
    assert_eq!(mails_to(&w, "borgerservice@fredericia.dk", "ankommet").await, 0);

    // Arrivals on for the queue's mailbox: the next ticket tells it (and only it).
    set_route(&w, &admin, Event::Arrival, Recipient::QueueMailbox, true).await;
    w.app.take_ticket(&receptionist, w.centre.id, w.service.id).await.unwrap();
    drain(&w).await;
    assert_eq!(mails_to(&w, "borgerservice@fredericia.dk", "ankommet").await, 1);
    assert_eq!(mails_to(&w, "centret@fredericia.dk", "ankommet").await, 0);

    // Transfers: on by default to the target queue's mailbox; moved to the centre's mailbox.
    let step = Action::Transfer { to_queue: w.ydelser.id, reason: None };
    w.app.visit_step(&receptionist, first.visit.id, step, None, None).await.unwrap();
    drain(&w).await;
    assert_eq!(mails_to(&w, "ydelser@fredericia.dk", "flyttet").await, 1);
    set_route(&w, &admin, Event::Transfer, Recipient::QueueMailbox, false).await;
    set_route(&w, &admin, Event::Transfer, Recipient::CentreMailbox, true).await;
    let second = w.app.take_ticket(&receptionist, w.centre.id, w.service.id).await.unwrap();
    let step = Action::Transfer { to_queue: w.ydelser.id, reason: None };
    w.app.visit_step(&receptionist, second.visit.id, step, None, None).await.unwrap();
    drain(&w).await;
    assert_eq!(mails_to(&w, "ydelser@fredericia.dk", "flyttet").await, 1, "the queue's route is off");
    assert_eq!(mails_to(&w, "centret@fredericia.dk", "flyttet").await, 1);

    // No-show to the centre's mailbox: the visit is called to a desk and does not come.
    set_route(&w, &admin, Event::NoShow, Recipient::CentreMailbox, true).await;
    let desk = Desk::new(DeskId::from_uuid(Uuid::new_v4()), w.centre.id, "Skranke 1");
    store.create_desk(&desk).await.unwrap();
    let called = store
        .call_next(desk.id, &[w.ydelser.id], CallOrder::default(), w.app.clock.now(), None)
        .await
        .unwrap()
        .expect("a waiting visit");
    w.app.visit_step(&receptionist, called.id, Action::NoShow, Some(desk.id), None).await.unwrap();
    drain(&w).await;
    assert_eq!(mails_to(&w, "centret@fredericia.dk", "mødte ikke op").await, 1);
    // Staff notices carry no personal data and name no citizen: one body as a sample.
    let mails = w.app.store.list_dev_mail(500).await.unwrap();
    let notice =
        mails.iter().find(|m| m.recipient == "centret@fredericia.dk" && m.subject.contains("mødte ikke op")).unwrap();
    assert!(notice.body_text.contains("/staff/ack/"), "{}", notice.body_text);
    assert!(!notice.body_text.contains(&called.ticket.to_string()), "no ticket number either");
}

/// Books `start` for `email` and types back the code, as a citizen does.
async fn confirmed_booking(w: &World, start: jiff::Timestamp, email: &str) -> skranke::store::Appointment {
    let request = BookingRequest {
        service: w.service.id,
        start,
        name: "Karen Jensen".into(),
        email: Some(email.into()),
        phone: None,
        language: Lang::Da,
    };
    let booked = w.app.book(request).await.unwrap();
    drain(w).await;
    let code = code_sent_to(&w.app, email).await;
    let confirmed = w.app.confirm(booked.appointment.id, Some(booked.token.expose()), &code).await.unwrap();
    drain(w).await;
    confirmed
}

async fn a_reminder_goes_once_the_day_before<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    store.create_staff(&make_staff(&w.centre, "Anne", &[w.service.id])).await.unwrap();
    // Monday 10:00 now; two bookings on Wednesday, the first and the last free slot.
    let wednesday = jiff::civil::date(2026, 12, 2);
    let slots = w.app.availability(w.service.id, wednesday, wednesday).await.unwrap();
    let early = slots.slots.first().expect("a free slot").interval.start();
    let late = slots.slots.last().expect("a free slot").interval.start();
    assert!(late.duration_since(early) >= jiff::SignedDuration::from_hours(3));
    confirmed_booking(&w, early, "karen@example.dk").await;
    confirmed_booking(&w, late, "ole@example.dk").await;
    assert_eq!(mails_to(&w, "karen@example.dk", "bekræftet").await, 1);

    // Not yet due on Monday; due from the day before at the same time of day.
    assert_eq!(w.app.send_reminders().await.unwrap(), 0);
    w.clock.set(early.checked_sub(jiff::SignedDuration::from_hours(23)).unwrap());
    assert_eq!(w.app.send_reminders().await.unwrap(), 1, "Karen's only: Ole's is not due yet");
    assert_eq!(w.app.send_reminders().await.unwrap(), 0, "once");
    drain(&w).await;
    assert_eq!(mails_to(&w, "karen@example.dk", "Påmindelse").await, 1);

    // With the reminder route off, Ole's booking is marked done but nobody is mailed.
    set_route(&w, &admin, Event::Reminder, Recipient::Citizen, false).await;
    w.clock.set(late.checked_sub(jiff::SignedDuration::from_hours(23)).unwrap());
    assert_eq!(w.app.send_reminders().await.unwrap(), 1);
    assert_eq!(w.app.send_reminders().await.unwrap(), 0);
    drain(&w).await;
    assert_eq!(mails_to(&w, "ole@example.dk", "Påmindelse").await, 0);
    assert_eq!(mails_to(&w, "karen@example.dk", "Påmindelse").await, 1);
}

async fn the_booked_staff_member_and_the_citizen_hear_what_the_rules_say<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let receptionist = principal(&w, Role::Receptionist);
    let anne = make_staff(&w.centre, "Anne", &[w.service.id]);
    store.create_staff(&anne).await.unwrap();
    // Anne's directory entry names her work address; her own proven address is the registry
    // record of the user who signs in with it (here filed directly, verified).
    let sql = "UPDATE staff SET email = 'Anne.Holm@fredericia.dk' WHERE id = $1";
    store.execute(sql, &[Arg::Id(anne.id.as_uuid())]).await;
    store
        .execute(
            "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, registrable_domain, \
             state, verified_at, expires_at, created_at) VALUES ($1, $2, 'staff', 'user', $3, \
             'anne.holm@fredericia.dk', 'fredericia.dk', 'verified', $4, $5, $4)",
            &[
                Arg::Id(Uuid::new_v4()),
                Arg::Id(w.org.as_uuid()),
                Arg::Id(Uuid::new_v4()),
                at(now()),
                at(later(60 * 24 * 365)),
            ],
        )
        .await;
    set_route(&w, &admin, Event::Arrival, Recipient::AssignedStaff, true).await;
    set_route(&w, &admin, Event::NoShow, Recipient::Citizen, true).await;

    let wednesday = jiff::civil::date(2026, 12, 2);
    let slots = w.app.availability(w.service.id, wednesday, wednesday).await.unwrap();
    let start = slots.slots.first().expect("a free slot").interval.start();
    let booking = confirmed_booking(&w, start, "karen@example.dk").await;
    assert_eq!(booking.staff_id, Some(anne.id));

    // Karen checks in ten minutes early: Anne hears of it, at her proven address.
    w.clock.set(start.checked_sub(jiff::SignedDuration::from_mins(10)).unwrap());
    let ticket = w.app.check_in(&receptionist, w.centre.id, &booking.reference.to_string()).await.unwrap();
    drain(&w).await;
    assert_eq!(mails_to(&w, "anne.holm@fredericia.dk", "ankommet").await, 1);

    // Called and not there: Karen is told she missed it (her booking's address, proven by the
    // booking code); no shared mailbox is, since their no-show routes are off.
    let desk = Desk::new(DeskId::from_uuid(Uuid::new_v4()), w.centre.id, "Skranke 2");
    store.create_desk(&desk).await.unwrap();
    let called = store
        .call_next(desk.id, &[w.borger.id], CallOrder::default(), w.app.clock.now(), None)
        .await
        .unwrap()
        .expect("Karen's visit");
    assert_eq!(called.id, ticket.visit.id);
    w.app.visit_step(&receptionist, called.id, Action::NoShow, Some(desk.id), None).await.unwrap();
    drain(&w).await;
    assert_eq!(mails_to(&w, "karen@example.dk", "kom ikke").await, 1);
    let all = w.app.store.list_dev_mail(500).await.unwrap();
    assert!(all.iter().all(|m| !m.subject.contains("mødte ikke op")), "no staff no-show notice");
}
