//! Queue records the store keeps beside the core's `Visit` and `Arrival`: desks, and domain
//! events for other parts to route.

use jiff::Timestamp;
use skranke_core::ids::{CentreId, DeskId, QueueId, UserId};

/// A desk (counter) where citizens are called to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desk {
    pub id: DeskId,
    pub centre: CentreId,
    pub name: String,
    pub active: bool,
    /// Who works here now; `None` when the desk is closed.
    pub occupant: Option<Occupancy>,
}

/// A staff member at a desk and the queues the desk calls from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occupancy {
    pub user: UserId,
    pub queues: Vec<QueueId>,
    pub since: Timestamp,
}

impl Desk {
    /// A closed desk, as created by the administration.
    pub fn new(id: DeskId, centre: CentreId, name: impl Into<String>) -> Self {
        Self { id, centre, name: name.into(), active: true, occupant: None }
    }

    /// Whether someone works here and calls from `queue`.
    pub fn serves(&self, queue: QueueId) -> bool {
        self.occupant.as_ref().is_some_and(|o| o.queues.contains(&queue))
    }
}

/// Something that happened which another part of the system routes (the notification issue):
/// ids only, no names and no case topics.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainEvent {
    pub at: Timestamp,
    pub kind: String,
    pub centre: CentreId,
    pub payload: serde_json::Value,
}

/// A visit with what statistics need beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitRecord {
    pub visit: skranke_core::visit::Visit,
    /// The local day of arrival (tickets are numbered per day).
    pub day: jiff::civil::Date,
    /// When it was first called (the visit's `called_at` is its latest call).
    pub first_called_at: Option<Timestamp>,
}

/// A centre's queue settings: whom desks call first, and where a transfer lands in each queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRules {
    pub call_order: skranke_core::visit::order::CallOrder,
    pub placements: Vec<(QueueId, skranke_core::visit::Placement)>,
}

impl QueueRules {
    pub fn placement(&self, queue: QueueId) -> skranke_core::visit::Placement {
        self.placements.iter().find(|(q, _)| *q == queue).map(|(_, p)| *p).unwrap_or_default()
    }
}

/// What a desk's call needs in one read: the desk, its centre's organisation (for the access
/// check) and the centre's call order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeskContext {
    pub desk: Desk,
    pub organisation: skranke_core::ids::OrganisationId,
    pub call_order: skranke_core::visit::order::CallOrder,
}
