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
