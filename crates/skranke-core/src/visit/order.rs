//! Whom a desk calls next: the rule, written once.
//!
//! A desk calls from the queues its staff member serves there. Among the waiting visits of those
//! queues the rule of the centre ([`CallOrder`], configurable per centre) decides:
//!
//! - [`CallOrder::PriorityAppointmentsArrival`] (the default): citizens with priority (who need
//!   assistance) first; then booked appointments that are due (their start time has come); then
//!   everyone in arrival order (the time they were placed in the queue: their arrival, or their
//!   transfer when the queue puts transferred visits at the back).
//! - [`CallOrder::PriorityArrival`]: priority, then arrival order; appointments get no precedence.
//! - [`CallOrder::Arrival`]: strictly arrival order.
//!
//! Ties are broken by the visit's id so the order is total and the same on every database.
//! The store turns the rule into an `ORDER BY` ([`CallOrder::sql_order_by`]) so a desk claims the
//! first row atomically; the conformance suite checks that order against [`sort_key`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Visit;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOrder {
    #[default]
    PriorityAppointmentsArrival,
    PriorityArrival,
    Arrival,
}

impl CallOrder {
    pub const ALL: [CallOrder; 3] =
        [CallOrder::PriorityAppointmentsArrival, CallOrder::PriorityArrival, CallOrder::Arrival];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOrder::PriorityAppointmentsArrival => "priority_appointments_arrival",
            CallOrder::PriorityArrival => "priority_arrival",
            CallOrder::Arrival => "arrival",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The `ORDER BY` list over the `visits` table equal to [`sort_key`]; `$now` is the
    /// placeholder bound to the current instant (microseconds). Columns: `priority` (rank),
    /// `due_at`, `queued_at` (microseconds), `id`.
    pub fn sql_order_by(self, now: &str) -> String {
        let due = format!("CASE WHEN due_at IS NOT NULL AND due_at <= {now} THEN 0 ELSE 1 END");
        match self {
            CallOrder::PriorityAppointmentsArrival => format!("priority DESC, {due}, queued_at, id"),
            CallOrder::PriorityArrival => "priority DESC, queued_at, id".to_owned(),
            CallOrder::Arrival => "queued_at, id".to_owned(),
        }
    }
}

/// The key a waiting visit is called by under `order` at `now`: smaller is called first.
pub fn sort_key(order: CallOrder, visit: &Visit, now: Timestamp) -> (i32, u8, Timestamp, uuid::Uuid) {
    let priority = -visit.priority.rank();
    let due = u8::from(visit.due_at.is_none_or(|d| d > now));
    match order {
        CallOrder::PriorityAppointmentsArrival => (priority, due, visit.queued_at, visit.id.as_uuid()),
        CallOrder::PriorityArrival => (priority, 0, visit.queued_at, visit.id.as_uuid()),
        CallOrder::Arrival => (0, 0, visit.queued_at, visit.id.as_uuid()),
    }
}

/// Sorts waiting visits into the order they will be called.
pub fn sort(order: CallOrder, visits: &mut [Visit], now: Timestamp) {
    visits.sort_by_key(|v| sort_key(order, v, now));
}

/// The visit a desk calls next among `waiting`, or `None` when nobody waits.
pub fn next(order: CallOrder, waiting: &[Visit], now: Timestamp) -> Option<&Visit> {
    waiting.iter().min_by_key(|v| sort_key(order, v, now))
}
