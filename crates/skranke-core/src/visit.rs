//! Visits: one entity for a walk-in ticket and an arrived appointment, from arrival until it ends.
//!
//! ```text
//!             call / recall                 start               complete
//!   waiting ───────────────▶ called ─────────────▶ serving ─────────────▶ done
//!      ▲  │                  │  │ ▲                 │
//!      │  │ cancel   no-show │  │ │ recall    park  │
//!      │  ▼                  ▼  │ └──────── parked ◀┘ (park from called too)
//!      │ cancelled     no_show  │
//!      └────────── transfer (from waiting, called, serving, parked) ──┘
//! ```
//!
//! Every step is a pure function of the visit, the step and `now`; the store writes the result and
//! the step (the visit's history) in one transaction. A step that does not fit the visit's state is
//! refused with a reason, and nothing changes.
//!
//! The rule deciding whom a desk calls next lives in [`order`].

pub mod estimate;
pub mod order;
pub mod stats;

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{AppointmentId, CentreId, DeskId, QueueId, ServiceId, UserId, VisitId};

/// Where a visit stands. `Done`, `NoShow` and `Cancelled` are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitState {
    Waiting,
    Called,
    Serving,
    Parked,
    Done,
    NoShow,
    Cancelled,
}

impl VisitState {
    pub const ALL: [VisitState; 7] = [
        VisitState::Waiting,
        VisitState::Called,
        VisitState::Serving,
        VisitState::Parked,
        VisitState::Done,
        VisitState::NoShow,
        VisitState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitState::Waiting => "waiting",
            VisitState::Called => "called",
            VisitState::Serving => "serving",
            VisitState::Parked => "parked",
            VisitState::Done => "done",
            VisitState::NoShow => "no_show",
            VisitState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// No step leads out of a final state.
    pub fn is_final(self) -> bool {
        matches!(self, VisitState::Done | VisitState::NoShow | VisitState::Cancelled)
    }

    /// The visit occupies a desk (called to it or being served there).
    pub fn at_desk(self) -> bool {
        matches!(self, VisitState::Called | VisitState::Serving)
    }
}

/// How a visit came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// A ticket taken at the kiosk or handed out by the reception.
    WalkIn,
    /// A booked appointment the citizen checked in for.
    Appointment,
}

impl VisitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitKind::WalkIn => "walk_in",
            VisitKind::Appointment => "appointment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "walk_in" => Some(VisitKind::WalkIn),
            "appointment" => Some(VisitKind::Appointment),
            _ => None,
        }
    }
}

/// Priority in the queue. `Assisted` is called before `Normal` (citizens who need assistance,
/// set by the reception; never by the kiosk).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Normal,
    Assisted,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Assisted => "assisted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "normal" => Some(Priority::Normal),
            "assisted" => Some(Priority::Assisted),
            _ => None,
        }
    }

    /// The number stored and sorted on (higher is called first).
    pub fn rank(self) -> i32 {
        match self {
            Priority::Normal => 0,
            Priority::Assisted => 1,
        }
    }

    pub fn from_rank(rank: i32) -> Option<Self> {
        match rank {
            0 => Some(Priority::Normal),
            1 => Some(Priority::Assisted),
            _ => None,
        }
    }
}

/// Where a transferred visit goes in its new queue: a per-queue setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Behind everyone waiting there now, as if it had just arrived.
    #[default]
    Back,
    /// Where its original arrival time puts it: a citizen who waited an hour for the wrong queue
    /// does not start again.
    KeepArrival,
}

impl Placement {
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Back => "back",
            Placement::KeepArrival => "keep_arrival",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "back" => Some(Placement::Back),
            "keep_arrival" => Some(Placement::KeepArrival),
            _ => None,
        }
    }
}

/// A ticket number: the queue's prefix and the day's running number, `A001`, `Y014`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketNumber {
    prefix: String,
    number: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket number (1–3 letters A–Z and a number from 1 to 9999)")]
pub struct BadTicket;

impl TicketNumber {
    /// Numbers run from 1 to 9,999 per queue and day; a queue that hands out more in a day wraps to 1.
    pub const MAX: u32 = 9_999;

    /// The `number`th ticket of the day for a queue with `prefix`.
    pub fn new(prefix: &str, number: u32) -> Result<Self, BadTicket> {
        let ok_prefix = (1..=3).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase());
        if !ok_prefix || number == 0 || number > Self::MAX {
            return Err(BadTicket);
        }
        Ok(Self { prefix: prefix.to_owned(), number })
    }

    /// The number after `issued` tickets today (wrapping after [`Self::MAX`]).
    pub fn nth(prefix: &str, issued: u64) -> Result<Self, BadTicket> {
        let number = u32::try_from(issued % u64::from(Self::MAX)).map_err(|_| BadTicket)? + 1;
        Self::new(prefix, number)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:03}", self.prefix, self.number)
    }
}

impl std::str::FromStr for TicketNumber {
    type Err = BadTicket;
    fn from_str(s: &str) -> Result<Self, BadTicket> {
        let split = s.find(|c: char| c.is_ascii_digit()).ok_or(BadTicket)?;
        let (prefix, digits) = s.split_at(split);
        if digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadTicket);
        }
        Self::new(prefix, digits.parse().map_err(|_| BadTicket)?)
    }
}

impl TryFrom<String> for TicketNumber {
    type Error = BadTicket;
    fn try_from(s: String) -> Result<Self, BadTicket> {
        s.parse()
    }
}

impl From<TicketNumber> for String {
    fn from(t: TicketNumber) -> String {
        t.to_string()
    }
}

/// A visit as the queue sees it. Citizens' names are not part of it: the lobby and the lists are
/// built from tickets; an appointment's details stay with the appointment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub id: VisitId,
    pub centre: CentreId,
    pub queue: QueueId,
    pub service: Option<ServiceId>,
    pub appointment: Option<AppointmentId>,
    pub kind: VisitKind,
    pub ticket: TicketNumber,
    pub priority: Priority,
    pub state: VisitState,
    /// When the citizen arrived (took the ticket or checked in). Never changes.
    pub arrived_at: Timestamp,
    /// Its place in arrival order in the current queue: the arrival, or the transfer for
    /// [`Placement::Back`].
    pub queued_at: Timestamp,
    /// An appointment's booked start: due from then on.
    pub due_at: Option<Timestamp>,
    /// The desk it is called to or served at (kept after the end, for statistics).
    pub desk: Option<DeskId>,
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// How often it was called (a recall counts).
    pub calls: u32,
    pub transfers: u32,
    /// Optimistic concurrency: every step names the version it was decided on.
    pub version: i64,
}

/// A citizen arriving: a ticket taken or an appointment checked in for. The store draws the
/// queue's next ticket number for `day` and makes the visit with [`Visit::arrived`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub id: VisitId,
    pub centre: CentreId,
    pub queue: QueueId,
    pub service: Option<ServiceId>,
    pub appointment: Option<AppointmentId>,
    pub kind: VisitKind,
    pub priority: Priority,
    pub at: Timestamp,
    /// An appointment's booked start.
    pub due_at: Option<Timestamp>,
    /// The local (Europe/Copenhagen) day of arrival: ticket numbers restart each day.
    pub day: jiff::civil::Date,
}

impl Visit {
    /// The visit of `arrival` holding `ticket`: waiting, placed in the queue by its arrival.
    pub fn arrived(arrival: &Arrival, ticket: TicketNumber) -> Visit {
        Visit {
            id: arrival.id,
            centre: arrival.centre,
            queue: arrival.queue,
            service: arrival.service,
            appointment: arrival.appointment,
            kind: arrival.kind,
            ticket,
            priority: arrival.priority,
            state: VisitState::Waiting,
            arrived_at: arrival.at,
            queued_at: arrival.at,
            due_at: arrival.due_at,
            desk: None,
            called_at: None,
            started_at: None,
            ended_at: None,
            calls: 0,
            transfers: 0,
            version: 0,
        }
    }
}

/// One thing that happens to a visit, as chosen by a person (or the kiosk).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Called to `desk` (by call-next or from the list).
    Call {
        desk: DeskId,
    },
    /// Called again: announced once more, or brought back from parked to `desk`.
    Recall {
        desk: DeskId,
    },
    Start,
    Complete,
    NoShow,
    /// Set aside (the citizen fetches a document); recalled later.
    Park,
    Cancel,
    SetPriority(Priority),
    /// To another queue (possibly of another centre) with an optional reason.
    Transfer {
        to_queue: QueueId,
        to_centre: CentreId,
        placement: Placement,
        reason: Option<String>,
    },
}

impl Step {
    /// The kind of history entry the step leaves (stored, and the name of the domain event).
    pub fn kind(&self) -> StepKind {
        match self {
            Step::Call { .. } => StepKind::Called,
            Step::Recall { .. } => StepKind::Recalled,
            Step::Start => StepKind::Started,
            Step::Complete => StepKind::Completed,
            Step::NoShow => StepKind::NoShow,
            Step::Park => StepKind::Parked,
            Step::Cancel => StepKind::Cancelled,
            Step::SetPriority(_) => StepKind::PriorityChanged,
            Step::Transfer { .. } => StepKind::Transferred,
        }
    }
}

/// What a history entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Arrived,
    Called,
    Recalled,
    Started,
    Completed,
    NoShow,
    Parked,
    Cancelled,
    PriorityChanged,
    Transferred,
}

impl StepKind {
    pub const ALL: [StepKind; 10] = [
        StepKind::Arrived,
        StepKind::Called,
        StepKind::Recalled,
        StepKind::Started,
        StepKind::Completed,
        StepKind::NoShow,
        StepKind::Parked,
        StepKind::Cancelled,
        StepKind::PriorityChanged,
        StepKind::Transferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Arrived => "arrived",
            StepKind::Called => "called",
            StepKind::Recalled => "recalled",
            StepKind::Started => "started",
            StepKind::Completed => "completed",
            StepKind::NoShow => "no_show",
            StepKind::Parked => "parked",
            StepKind::Cancelled => "cancelled",
            StepKind::PriorityChanged => "priority_changed",
            StepKind::Transferred => "transferred",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Steps the lobby announces ("Y014 → Skranke 3").
    pub fn is_call(self) -> bool {
        matches!(self, StepKind::Called | StepKind::Recalled)
    }
}

/// One entry of a visit's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub visit: VisitId,
    pub at: Timestamp,
    pub kind: StepKind,
    pub desk: Option<DeskId>,
    pub from_queue: Option<QueueId>,
    pub to_queue: Option<QueueId>,
    /// The signed-in person who took the step; `None` for the kiosk.
    pub actor: Option<UserId>,
    pub reason: Option<String>,
}

/// Why a step was refused. Each has a stable key; the server answers it as `visit_<key>` with the
/// catalogue message `error.visit_<key>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("the visit has ended")]
    Ended,
    #[error("the visit has already been called")]
    AlreadyCalled,
    #[error("the visit is not waiting")]
    NotWaiting,
    #[error("the visit has not been called")]
    NotCalled,
    #[error("the visit is at another desk")]
    OtherDesk,
    #[error("the visit is already in that queue")]
    SameQueue,
    #[error("a transfer reason is at most 500 characters, without control characters")]
    BadReason,
}

impl StepError {
    pub fn key(self) -> &'static str {
        match self {
            StepError::Ended => "ended",
            StepError::AlreadyCalled => "already_called",
            StepError::NotWaiting => "not_waiting",
            StepError::NotCalled => "not_called",
            StepError::OtherDesk => "other_desk",
            StepError::SameQueue => "same_queue",
            StepError::BadReason => "bad_reason",
        }
    }
}

/// The longest transfer reason kept (it is shown to staff, never mailed).
pub const MAX_REASON: usize = 500;

/// Applies `step` to `visit` at `now`: the visit after the step and its history entry, or why the
/// step does not fit. The version is not touched (the store bumps it when it writes).
pub fn apply(
    visit: &Visit,
    step: &Step,
    now: Timestamp,
    actor: Option<UserId>,
) -> Result<(Visit, HistoryEntry), StepError> {
    use VisitState as S;
    if visit.state.is_final() {
        return Err(StepError::Ended);
    }
    let mut next = visit.clone();
    let mut entry = HistoryEntry {
        visit: visit.id,
        at: now,
        kind: step.kind(),
        desk: None,
        from_queue: None,
        to_queue: None,
        actor,
        reason: None,
    };
    match step {
        Step::Call { desk } => {
            match visit.state {
                S::Waiting => {}
                S::Called | S::Serving => return Err(StepError::AlreadyCalled),
                _ => return Err(StepError::NotWaiting),
            }
            next.state = S::Called;
            next.desk = Some(*desk);
            next.called_at = Some(now);
            next.calls += 1;
            entry.desk = Some(*desk);
        }
        Step::Recall { desk } => {
            match visit.state {
                S::Called if visit.desk != Some(*desk) => return Err(StepError::OtherDesk),
                S::Called | S::Parked => {}
                S::Serving => return Err(StepError::AlreadyCalled),
                _ => return Err(StepError::NotCalled),
            }
            next.state = S::Called;
            next.desk = Some(*desk);
            next.called_at = Some(now);
            next.calls += 1;
            entry.desk = Some(*desk);
        }
        Step::Start => {
            match visit.state {
                S::Called => {}
                S::Serving => return Err(StepError::AlreadyCalled),
                _ => return Err(StepError::NotCalled),
            }
            next.state = S::Serving;
            next.started_at = Some(now);
            entry.desk = visit.desk;
        }
        Step::Complete => {
            // Completing straight from "called" is allowed: the service started when the citizen
            // sat down, and a desk that forgot to press "start" should not have to.
            match visit.state {
                S::Called | S::Serving => {}
                _ => return Err(StepError::NotCalled),
            }
            next.state = S::Done;
            next.started_at = visit.started_at.or(Some(now));
            next.ended_at = Some(now);
            entry.desk = visit.desk;
        }
        Step::NoShow => {
            if visit.state != S::Called {
                return Err(StepError::NotCalled);
            }
            next.state = S::NoShow;
            next.ended_at = Some(now);
            entry.desk = visit.desk;
        }
        Step::Park => {
            if !visit.state.at_desk() {
                return Err(StepError::NotCalled);
            }
            next.state = S::Parked;
            entry.desk = visit.desk;
        }
        Step::Cancel => {
            next.state = S::Cancelled;
            next.ended_at = Some(now);
            entry.desk = visit.desk;
        }
        Step::SetPriority(priority) => {
            if visit.state != S::Waiting {
                return Err(StepError::NotWaiting);
            }
            next.priority = *priority;
            entry.reason = Some(priority.as_str().to_owned());
        }
        Step::Transfer { to_queue, to_centre, placement, reason } => {
            if *to_queue == visit.queue {
                return Err(StepError::SameQueue);
            }
            let reason = match reason.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(r) if r.chars().count() > MAX_REASON || r.chars().any(char::is_control) => {
                    return Err(StepError::BadReason);
                }
                Some(r) => Some(r.to_owned()),
            };
            next.state = S::Waiting;
            next.queue = *to_queue;
            if *to_centre != visit.centre {
                // The service was one of the old centre's; there, only the queue says what the
                // visit is about (and statistics must not name a service of another centre).
                next.service = None;
            }
            next.centre = *to_centre;
            next.queued_at = match placement {
                Placement::Back => now,
                Placement::KeepArrival => visit.arrived_at,
            };
            next.desk = None;
            next.called_at = None;
            next.started_at = None;
            next.transfers += 1;
            entry.desk = visit.desk;
            entry.from_queue = Some(visit.queue);
            entry.to_queue = Some(*to_queue);
            entry.reason = reason;
        }
    }
    Ok((next, entry))
}

#[cfg(test)]
mod tests;
