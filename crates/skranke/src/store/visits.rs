//! Queue records the store keeps beside the core's `Visit` and `Arrival`: desks, and domain
//! events for other parts to route.

use jiff::Timestamp;
use skranke_core::ids::{CentreId, DeskId};

/// A desk (counter) where citizens are called to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desk {
    pub id: DeskId,
    pub centre: CentreId,
    pub name: String,
    pub active: bool,
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
