//! The queue part of the store on both databases: ticket numbers per queue and day, call-next in
//! the core's order and never twice, steps written with their history under optimistic
//! concurrency, one citizen per desk, and transfer events beside the change.

use std::collections::BTreeSet;

use jiff::civil::date;
use serde_json::json;
use skranke::store::{Desk, DomainEvent, Queue, Store, StoreError};
use skranke_core::ids::{CentreId, DeskId, QueueId, VisitId};
use skranke_core::visit::order::{self, CallOrder};
use skranke_core::visit::{self, Arrival, Placement, Priority, Step, StepKind, Visit, VisitKind, VisitState};
use uuid::Uuid;

use crate::support::*;

both!(
    tickets_are_numbered_per_queue_and_day,
    waiting_lists_and_call_next_follow_the_core_order,
    steps_are_written_with_history_and_stale_ones_refused,
    a_desk_has_one_citizen_at_a_time,
);
both!(multi_thread: fifty_desks_calling_at_once_never_share_a_visit);

fn new_visit(centre: CentreId, queue: QueueId, minute: i64) -> Arrival {
    Arrival {
        id: VisitId::from_uuid(Uuid::new_v4()),
        centre,
        queue,
        service: None,
        appointment: None,
        kind: VisitKind::WalkIn,
        priority: Priority::Normal,
        at: later(minute),
        due_at: None,
        day: date(2026, 11, 30),
    }
}

async fn desk<S: Store>(store: &S, centre: CentreId, name: &str) -> DeskId {
    let desk = Desk::new(DeskId::from_uuid(Uuid::new_v4()), centre, name);
    store.create_desk(&desk).await.unwrap();
    desk.id
}

async fn second_queue<S: Store>(store: &S, centre: CentreId, prefix: &str) -> Queue {
    let queue = Queue {
        id: QueueId::from_uuid(Uuid::new_v4()),
        centre_id: centre,
        name_da: format!("Kø {prefix}"),
        name_en: format!("Queue {prefix}"),
        prefix: prefix.into(),
    };
    store.create_queue(&queue).await.unwrap();
    queue
}

async fn tickets_are_numbered_per_queue_and_day<S: TestDb>(store: S) {
    let (_, centre, queue) = seed_centre(&store).await;
    let other = second_queue(&store, centre.id, "Y").await;
    let mut tickets = Vec::new();
    for (i, q) in [&queue, &queue, &other, &queue].into_iter().enumerate() {
        let v = store.issue_ticket(&new_visit(centre.id, q.id, i as i64), &q.prefix, None).await.unwrap();
        tickets.push(v.ticket.to_string());
    }
    assert_eq!(tickets, ["A001", "A002", "Y001", "A003"]);
    let mut tomorrow = new_visit(centre.id, queue.id, 24 * 60);
    tomorrow.day = date(2026, 12, 1);
    assert_eq!(store.issue_ticket(&tomorrow, "A", None).await.unwrap().ticket.to_string(), "A001");

    let stored = store.get_visit(tomorrow.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.arrived_at, stored.queued_at),
        (VisitState::Waiting, later(24 * 60), later(24 * 60))
    );
    let history = store.visit_history(tomorrow.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].kind, history[0].to_queue), (StepKind::Arrived, Some(queue.id)));
}

async fn waiting_lists_and_call_next_follow_the_core_order<S: TestDb>(store: S) {
    let (_, centre, queue) = seed_centre(&store).await;
    let other = second_queue(&store, centre.id, "Y").await;
    let at = later(60);
    let mut made = Vec::new();
    for i in 0..12_i64 {
        let q = if i % 3 == 0 { &other } else { &queue };
        let mut new = new_visit(centre.id, q.id, 60 - i * 4);
        if i % 5 == 0 {
            new.priority = Priority::Assisted;
        }
        if i % 4 == 1 {
            new.kind = VisitKind::Appointment;
            new.due_at = Some(later(if i % 8 == 1 { 30 } else { 90 }));
        }
        made.push(store.issue_ticket(&new, &q.prefix, None).await.unwrap());
    }
    let queues = [queue.id, other.id];
    for call_order in CallOrder::ALL {
        let mut expected: Vec<Visit> = made.clone();
        order::sort(call_order, &mut expected, at);
        let listed = store.waiting_visits(&queues, call_order, at).await.unwrap();
        let ids = |v: &[Visit]| v.iter().map(|v| v.id).collect::<Vec<_>>();
        assert_eq!(ids(&listed), ids(&expected), "{call_order:?}");
    }
    // Call everyone: the database calls in exactly the core's order.
    let desk = desk(&store, centre.id, "Skranke 1").await;
    let mut expected = made.clone();
    order::sort(CallOrder::default(), &mut expected, at);
    for want in expected {
        let called = store.call_next(desk, &queues, CallOrder::default(), at, None).await.unwrap().unwrap();
        assert_eq!(called.id, want.id);
        assert_eq!(
            (called.state, called.desk, called.called_at, called.calls),
            (VisitState::Called, Some(desk), Some(at), 1)
        );
        let (done, entry) = visit::apply(&called, &Step::Complete, at, None).unwrap();
        store.record_visit_step(&done, called.version, &entry, None).await.unwrap();
    }
    assert_eq!(store.call_next(desk, &queues, CallOrder::default(), at, None).await.unwrap(), None);
    assert_eq!(store.call_next(desk, &[], CallOrder::default(), at, None).await.unwrap(), None);
}

async fn steps_are_written_with_history_and_stale_ones_refused<S: TestDb>(store: S) {
    let (_, centre, queue) = seed_centre(&store).await;
    let other = second_queue(&store, centre.id, "Y").await;
    let desk = desk(&store, centre.id, "Skranke 1").await;
    let v = store.issue_ticket(&new_visit(centre.id, queue.id, 0), "A", None).await.unwrap();
    let called = store.call_next(desk, &[queue.id], CallOrder::default(), later(5), None).await.unwrap().unwrap();

    let transfer = Step::Transfer {
        to_queue: other.id,
        to_centre: centre.id,
        placement: Placement::KeepArrival,
        reason: Some("Tandpleje".into()),
    };
    let (moved, entry) = visit::apply(&called, &transfer, later(9), None).unwrap();
    let event = DomainEvent {
        at: later(9),
        kind: "visit.transferred".into(),
        centre: centre.id,
        payload: json!({ "visit": v.id, "from_queue": queue.id, "to_queue": other.id }),
    };
    let stored = store.record_visit_step(&moved, called.version, &entry, Some(&event)).await.unwrap();
    assert_eq!(stored.version, called.version + 1);
    assert_eq!(store.get_visit(v.id).await.unwrap().unwrap(), stored);

    // The same step decided on the old version changes nothing.
    let stale = store.record_visit_step(&moved, called.version, &entry, Some(&event)).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");

    let kinds: Vec<StepKind> = store.visit_history(v.id).await.unwrap().iter().map(|h| h.kind).collect();
    assert_eq!(kinds, [StepKind::Arrived, StepKind::Called, StepKind::Transferred]);
    let history = store.visit_history(v.id).await.unwrap();
    assert_eq!((history[2].from_queue, history[2].to_queue), (Some(queue.id), Some(other.id)));
    assert_eq!(history[2].reason.as_deref(), Some("Tandpleje"));
    // The transfer's event, beside the one the arrival wrote.
    let events = store.unrouted_events(10).await.unwrap();
    assert_eq!(events.iter().map(|e| e.1.kind.as_str()).collect::<Vec<_>>(), ["visit.arrived", "visit.transferred"]);
    assert_eq!(events[1].1, event);
    // Kept its arrival in the new queue: it is first there.
    let waiting = store.waiting_visits(&[other.id], CallOrder::default(), later(10)).await.unwrap();
    assert_eq!((waiting[0].id, waiting[0].queued_at), (v.id, v.arrived_at));
}

async fn a_desk_has_one_citizen_at_a_time<S: TestDb>(store: S) {
    let (_, centre, queue) = seed_centre(&store).await;
    let desk = desk(&store, centre.id, "Skranke 1").await;
    for i in 0..3 {
        store.issue_ticket(&new_visit(centre.id, queue.id, i), "A", None).await.unwrap();
    }
    let first = store.call_next(desk, &[queue.id], CallOrder::default(), later(5), None).await.unwrap().unwrap();
    let again = store.call_next(desk, &[queue.id], CallOrder::default(), later(6), None).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    // Nothing changed by the refused call: two still wait.
    assert_eq!(store.waiting_visits(&[queue.id], CallOrder::default(), later(6)).await.unwrap().len(), 2);
    let (parked, entry) = visit::apply(&first, &Step::Park, later(7), None).unwrap();
    store.record_visit_step(&parked, first.version, &entry, None).await.unwrap();
    assert!(store.call_next(desk, &[queue.id], CallOrder::default(), later(8), None).await.unwrap().is_some());
}

async fn fifty_desks_calling_at_once_never_share_a_visit<S: TestDb>(store: S) {
    const VISITS: usize = 40;
    const DESKS: usize = 50;
    let (_, centre, queue) = seed_centre(&store).await;
    for i in 0..VISITS {
        store.issue_ticket(&new_visit(centre.id, queue.id, i as i64), "A", None).await.unwrap();
    }
    let mut desks = Vec::new();
    for i in 0..DESKS {
        desks.push(desk(&store, centre.id, &format!("Skranke {i}")).await);
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(DESKS));
    let tasks: Vec<_> = desks
        .iter()
        .map(|&desk| {
            let store = store.clone();
            let barrier = barrier.clone();
            let queue = queue.id;
            tokio::spawn(async move {
                barrier.wait().await;
                store.call_next(desk, &[queue], CallOrder::default(), later(60), None).await
            })
        })
        .collect();
    let mut called = Vec::new();
    for t in tasks {
        if let Some(v) = t.await.unwrap().unwrap() {
            called.push(v);
        }
    }
    let ids: BTreeSet<VisitId> = called.iter().map(|v| v.id).collect();
    let used_desks: BTreeSet<DeskId> = called.iter().filter_map(|v| v.desk).collect();
    assert_eq!(called.len(), VISITS, "everyone waiting is called");
    assert_eq!(ids.len(), VISITS, "no visit is called twice");
    assert_eq!(used_desks.len(), VISITS, "no desk got two citizens");
    for id in ids {
        let calls = store.visit_history(id).await.unwrap().iter().filter(|h| h.kind == StepKind::Called).count();
        assert_eq!(calls, 1);
    }
}
