use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use uuid::Uuid;

use super::order::{self, CallOrder};
use super::*;

fn t(min: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_mins(min)
}

const DESK: DeskId = DeskId::from_uuid(Uuid::from_u128(1));
const OTHER_DESK: DeskId = DeskId::from_uuid(Uuid::from_u128(2));
const QUEUE: QueueId = QueueId::from_uuid(Uuid::from_u128(10));
const OTHER_QUEUE: QueueId = QueueId::from_uuid(Uuid::from_u128(11));
const CENTRE: CentreId = CentreId::from_uuid(Uuid::from_u128(20));

fn visit(n: u128, arrived: i64) -> Visit {
    let arrival = Arrival {
        id: VisitId::from_uuid(Uuid::from_u128(100 + n)),
        centre: CENTRE,
        queue: QUEUE,
        service: None,
        appointment: None,
        kind: VisitKind::WalkIn,
        priority: Priority::Normal,
        at: t(arrived),
        due_at: None,
        day: jiff::civil::date(2027, 1, 15),
    };
    Visit::arrived(&arrival, TicketNumber::new("A", u32::try_from(n).unwrap() + 1).unwrap())
}

fn step(v: &Visit, s: Step, at: i64) -> Result<Visit, StepError> {
    apply(v, &s, t(at), None).map(|(v, _)| v)
}

fn transfer(placement: Placement) -> Step {
    Step::Transfer { to_queue: OTHER_QUEUE, to_centre: CENTRE, placement, reason: Some(" wrong queue ".into()) }
}

#[test]
fn a_visit_runs_from_waiting_to_done_with_every_instant_kept() {
    let v = visit(0, 0);
    let v = step(&v, Step::Call { desk: DESK }, 5).unwrap();
    assert_eq!((v.state, v.desk, v.called_at, v.calls), (VisitState::Called, Some(DESK), Some(t(5)), 1));
    let v = step(&v, Step::Start, 6).unwrap();
    assert_eq!((v.state, v.started_at), (VisitState::Serving, Some(t(6))));
    let v = step(&v, Step::Complete, 16).unwrap();
    assert_eq!((v.state, v.ended_at, v.desk), (VisitState::Done, Some(t(16)), Some(DESK)));
}

#[test]
fn a_second_call_of_a_called_visit_is_refused() {
    let v = step(&visit(0, 0), Step::Call { desk: DESK }, 1).unwrap();
    assert_eq!(step(&v, Step::Call { desk: OTHER_DESK }, 2), Err(StepError::AlreadyCalled));
    assert_eq!(step(&v, Step::Call { desk: DESK }, 2), Err(StepError::AlreadyCalled));
    // A recall from another desk would steal the citizen.
    assert_eq!(step(&v, Step::Recall { desk: OTHER_DESK }, 2), Err(StepError::OtherDesk));
    let again = step(&v, Step::Recall { desk: DESK }, 3).unwrap();
    assert_eq!((again.calls, again.called_at), (2, Some(t(3))));
}

#[test]
fn park_and_recall_bring_the_visit_back_to_a_desk() {
    let v = step(&visit(0, 0), Step::Call { desk: DESK }, 1).unwrap();
    let v = step(&v, Step::Start, 2).unwrap();
    let parked = step(&v, Step::Park, 3).unwrap();
    assert_eq!(parked.state, VisitState::Parked);
    assert_eq!(step(&parked, Step::Start, 4), Err(StepError::NotCalled));
    let back = step(&parked, Step::Recall { desk: OTHER_DESK }, 10).unwrap();
    assert_eq!((back.state, back.desk), (VisitState::Called, Some(OTHER_DESK)));
}

#[test]
fn transfer_places_the_visit_by_the_target_queues_rule_and_keeps_its_arrival() {
    let v = step(&visit(0, 0), Step::Call { desk: DESK }, 30).unwrap();
    let (back, entry) = apply(&v, &transfer(Placement::Back), t(40), None).unwrap();
    assert_eq!(
        (back.state, back.queue, back.queued_at, back.arrived_at),
        (VisitState::Waiting, OTHER_QUEUE, t(40), t(0))
    );
    assert_eq!((back.desk, back.called_at, back.transfers), (None, None, 1));
    assert_eq!(
        (entry.from_queue, entry.to_queue, entry.reason.as_deref()),
        (Some(QUEUE), Some(OTHER_QUEUE), Some("wrong queue"))
    );
    let kept = step(&v, transfer(Placement::KeepArrival), 40).unwrap();
    assert_eq!(kept.queued_at, t(0));
}

#[test]
fn a_transfer_to_another_centre_leaves_the_old_centres_service_behind() {
    let service = ServiceId::from_uuid(Uuid::from_u128(30));
    let other_centre = CentreId::from_uuid(Uuid::from_u128(21));
    let v = Visit { service: Some(service), ..visit(0, 0) };
    let same_centre = step(&v, transfer(Placement::Back), 1).unwrap();
    assert_eq!(same_centre.service, Some(service));
    let away =
        Step::Transfer { to_queue: OTHER_QUEUE, to_centre: other_centre, placement: Placement::Back, reason: None };
    let moved = step(&v, away, 1).unwrap();
    assert_eq!((moved.centre, moved.service), (other_centre, None));
}

#[test]
fn transfers_that_make_no_sense_are_refused() {
    let v = visit(0, 0);
    let same = Step::Transfer { to_queue: QUEUE, to_centre: CENTRE, placement: Placement::Back, reason: None };
    assert_eq!(step(&v, same, 1), Err(StepError::SameQueue));
    let long = Step::Transfer {
        to_queue: OTHER_QUEUE,
        to_centre: CENTRE,
        placement: Placement::Back,
        reason: Some("x".repeat(MAX_REASON + 1)),
    };
    assert_eq!(step(&v, long, 1), Err(StepError::BadReason));
    let control = Step::Transfer {
        to_queue: OTHER_QUEUE,
        to_centre: CENTRE,
        placement: Placement::Back,
        reason: Some("a\u{7}b".into()),
    };
    assert_eq!(step(&v, control, 1), Err(StepError::BadReason));
    let done = step(&step(&v, Step::Call { desk: DESK }, 1).unwrap(), Step::Complete, 2).unwrap();
    assert_eq!(step(&done, transfer(Placement::Back), 3), Err(StepError::Ended));
}

#[test]
fn no_show_and_start_need_a_call() {
    let v = visit(0, 0);
    assert_eq!(step(&v, Step::NoShow, 1), Err(StepError::NotCalled));
    assert_eq!(step(&v, Step::Start, 1), Err(StepError::NotCalled));
    assert_eq!(step(&v, Step::Complete, 1), Err(StepError::NotCalled));
    let called = step(&v, Step::Call { desk: DESK }, 1).unwrap();
    assert_eq!(step(&called, Step::SetPriority(Priority::Assisted), 2), Err(StepError::NotWaiting));
    let gone = step(&called, Step::NoShow, 3).unwrap();
    assert_eq!((gone.state, gone.ended_at), (VisitState::NoShow, Some(t(3))));
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Call { desk: DESK }),
        Just(Step::Call { desk: OTHER_DESK }),
        Just(Step::Recall { desk: DESK }),
        Just(Step::Recall { desk: OTHER_DESK }),
        Just(Step::Start),
        Just(Step::Complete),
        Just(Step::NoShow),
        Just(Step::Park),
        Just(Step::Cancel),
        Just(Step::SetPriority(Priority::Assisted)),
        Just(transfer(Placement::Back)),
        Just(transfer(Placement::KeepArrival)),
    ]
}

proptest! {
    /// Whatever staff press, in whatever order: a final state never changes again, the arrival
    /// never moves, instants never go backwards, and a visit at a desk always names the desk.
    #[test]
    fn any_sequence_of_steps_keeps_the_invariants(steps in proptest::collection::vec(any_step(), 0..40)) {
        let mut v = visit(0, 0);
        for (i, s) in steps.iter().enumerate() {
            let at = i64::try_from(i).unwrap() + 1;
            match apply(&v, s, t(at), None) {
                Ok((next, entry)) => {
                    prop_assert!(!v.state.is_final());
                    prop_assert_eq!(entry.at, t(at));
                    prop_assert_eq!(entry.kind, s.kind());
                    prop_assert_eq!(next.arrived_at, v.arrived_at);
                    prop_assert!(next.calls >= v.calls && next.transfers >= v.transfers);
                    if next.state.at_desk() { prop_assert!(next.desk.is_some() && next.called_at.is_some()); }
                    if next.state == VisitState::Serving { prop_assert!(next.started_at.is_some()); }
                    if next.state.is_final() { prop_assert_eq!(next.ended_at, Some(t(at))); }
                    v = next;
                }
                // A refusal changes nothing (`v` stays), and an ended visit always says it ended.
                Err(e) => prop_assert!(!v.state.is_final() || e == StepError::Ended),
            }
        }
    }
}

#[test]
fn ticket_numbers_read_and_print_alike() {
    let ticket = TicketNumber::new("Y", 14).unwrap();
    assert_eq!(ticket.to_string(), "Y014");
    assert_eq!("Y014".parse::<TicketNumber>().unwrap(), ticket);
    assert_eq!(TicketNumber::nth("AB", 0).unwrap().to_string(), "AB001");
    assert_eq!(TicketNumber::nth("A", 9_999).unwrap().to_string(), "A001");
    for bad in ["", "014", "y014", "ABCD1", "A0", "A10000", "A-1", "Å001"] {
        assert!(bad.parse::<TicketNumber>().is_err(), "{bad}");
    }
}

#[test]
fn call_order_puts_priority_then_due_appointments_then_arrival() {
    let now = t(60);
    let early = visit(1, 0);
    let mut assisted = visit(2, 50);
    assisted.priority = Priority::Assisted;
    let mut due = visit(3, 40);
    due.kind = VisitKind::Appointment;
    due.due_at = Some(t(55));
    let mut not_yet_due = visit(4, 10);
    not_yet_due.due_at = Some(t(90));
    let all = [early.clone(), assisted.clone(), due.clone(), not_yet_due.clone()];
    let ids = |order: CallOrder| {
        let mut v = all.to_vec();
        order::sort(order, &mut v, now);
        v.into_iter().map(|v| v.ticket.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(ids(CallOrder::PriorityAppointmentsArrival), ["A003", "A004", "A002", "A005"]);
    assert_eq!(ids(CallOrder::PriorityArrival), ["A003", "A002", "A005", "A004"]);
    assert_eq!(ids(CallOrder::Arrival), ["A002", "A005", "A004", "A003"]);
    assert_eq!(order::next(CallOrder::default(), &all, now).map(|v| v.id), Some(assisted.id));
    assert_eq!(order::next(CallOrder::default(), &[], now), None);
}
