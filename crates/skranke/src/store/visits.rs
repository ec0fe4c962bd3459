//! Queue records the store keeps beside the core's `Visit`: desks, a visit to be created (its
//! ticket number is drawn in the same transaction), and domain events for other parts to route.

use jiff::Timestamp;
use jiff::civil::Date;
use skranke_core::ids::{AppointmentId, CentreId, DeskId, QueueId, ServiceId, VisitId};
use skranke_core::visit::{Priority, VisitKind};

/// A desk (counter) where citizens are called to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desk {
    pub id: DeskId,
    pub centre: CentreId,
    pub name: String,
    pub active: bool,
}

/// A visit about to arrive: the store gives it the queue's next ticket number for `day`.
#[derive(Clone, Debug)]
pub struct NewVisit {
    pub id: VisitId,
    pub centre: CentreId,
    pub queue: QueueId,
    pub service: Option<ServiceId>,
    pub appointment: Option<AppointmentId>,
    pub kind: VisitKind,
    pub priority: Priority,
    pub arrived_at: Timestamp,
    pub due_at: Option<Timestamp>,
    /// The local (Europe/Copenhagen) day of arrival: ticket numbers restart each day.
    pub day: Date,
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
