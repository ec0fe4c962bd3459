//! Records of breach cases (issue 7, point 2), as stored.

use jiff::Timestamp;
use skranke_core::ids::{OrganisationId, UserId};

/// A breach case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachCase {
    pub id: uuid::Uuid,
    pub organisation: OrganisationId,
    pub title: String,
    pub aware_at: Timestamp,
    pub opened_by: UserId,
    pub opened_at: Timestamp,
    /// `notified` or `not_notifiable`; `None` while open.
    pub decision: Option<String>,
    /// The authority's reference, or the reasoning.
    pub decision_text: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}

/// What an entry of a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A phased update (Art. 33(4)) or a note.
    Update,
    /// A scoping run made for the case; the body is its JSON (target, window, counts).
    Scope,
}

impl EntryKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Update => "update",
            EntryKind::Scope => "scope",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        match s {
            "update" => Some(EntryKind::Update),
            "scope" => Some(EntryKind::Scope),
            _ => None,
        }
    }
}

/// One entry of a case's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEntry {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub at: Timestamp,
    pub by: Option<UserId>,
    pub by_label: String,
    pub kind: EntryKind,
    pub body: String,
}

/// What Skranke holds about the citizen of one booking beside the booking itself (Art. 15).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CitizenRecord {
    pub addresses: Vec<CitizenAddress>,
    pub messages: Vec<CitizenMessage>,
    pub visits: Vec<CitizenVisit>,
}

/// The booking's address in the registry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CitizenAddress {
    pub address: String,
    pub state: String,
    pub verified_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A message about the booking: what, to whom, when (its content is cleared on delivery).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CitizenMessage {
    pub template: String,
    pub recipient: String,
    pub status: String,
    pub sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub classes: String,
}

/// A visit that came from the booking.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CitizenVisit {
    pub ticket: String,
    pub day: String,
    pub state: String,
    pub arrived_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}
