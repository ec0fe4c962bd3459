//! Records of the address registry and of the gate's outcomes (issue 6).

use jiff::Timestamp;
use skranke_core::ids::{AddressId, MessageId, OrganisationId, UserId};
use skranke_core::notify::{AddressState, Audience};
use uuid::Uuid;

use super::NewMessage;

/// What kind of thing owns an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OwnerKind {
    /// A signed-in user's own address.
    User,
    /// A bookable staff member's work address.
    Staff,
    /// The shared mailbox of a queue (transfers to it, arrivals in it).
    Queue,
    /// The shared mailbox of a centre.
    Centre,
    /// The organisation's monitored mailbox: alerts about held mail and silence (RS-31, RS-40).
    Organisation,
    /// A citizen's address on one booking.
    Appointment,
}

impl OwnerKind {
    pub const ALL: [OwnerKind; 6] = [
        OwnerKind::User,
        OwnerKind::Staff,
        OwnerKind::Queue,
        OwnerKind::Centre,
        OwnerKind::Organisation,
        OwnerKind::Appointment,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OwnerKind::User => "user",
            OwnerKind::Staff => "staff",
            OwnerKind::Queue => "queue",
            OwnerKind::Centre => "centre",
            OwnerKind::Organisation => "organisation",
            OwnerKind::Appointment => "appointment",
        }
    }

    pub fn parse(s: &str) -> Option<OwnerKind> {
        OwnerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Who an address of this owner belongs to, for the gate.
    pub const fn audience(self) -> Audience {
        match self {
            OwnerKind::User | OwnerKind::Staff => Audience::Staff,
            OwnerKind::Queue | OwnerKind::Centre | OwnerKind::Organisation => Audience::SharedMailbox,
            OwnerKind::Appointment => Audience::Citizen,
        }
    }
}

/// The owner of an address: a kind and the id of the row it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    pub kind: OwnerKind,
    pub id: Uuid,
}

impl Owner {
    pub const fn new(kind: OwnerKind, id: Uuid) -> Self {
        Self { kind, id }
    }
}

/// One address of the registry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressRecord {
    pub id: AddressId,
    pub organisation: OrganisationId,
    pub owner: Owner,
    /// Normalised (lowercase, A-label domain).
    pub address: String,
    pub registrable_domain: String,
    /// As stored; [`AddressState::at`] gives the state at an instant.
    pub state: AddressState,
    pub verified_by: Option<UserId>,
    pub last_acknowledged_at: Option<Timestamp>,
    pub unacknowledged: u32,
    pub bounces: u32,
    pub flag_reason: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub retired_at: Option<Timestamp>,
    pub version: i64,
}

impl AddressRecord {
    pub fn audience(&self) -> Audience {
        self.owner.kind.audience()
    }
}

/// A new address for an owner; it replaces (retires) the owner's current one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAddress {
    pub id: AddressId,
    pub organisation: OrganisationId,
    pub owner: Owner,
    pub address: String,
    pub registrable_domain: String,
    pub flag_reason: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// The open verification code of an address: only its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressCode {
    pub address: AddressId,
    pub code_hash: skranke_core::secret::SecretHash,
    pub requested_by: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub attempts: u32,
}

/// What the gate said about a message, written with the message's new status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateOutcome {
    /// `send`, `hold` or `block`.
    pub outcome: &'static str,
    pub reason: Option<&'static str>,
    pub rule: Option<&'static str>,
    pub classes: String,
    /// The relay refused the message for good: count a bounce on this address, and suspend it
    /// at [`BOUNCES_TO_SUSPEND`] (RS-41).
    pub bounced_address: Option<AddressId>,
    /// For a sent staff notification about something (`visit:<id>`): kept on the row so acting
    /// on that thing acknowledges the notification (RS-40). `None` for messages not tracked.
    pub subject_ref: Option<String>,
    /// For a sent message to anyone outside the organisation: the recipient's keyed pseudonym,
    /// kept on the row when retention blanks the address, so breach scoping still finds and
    /// (while the audit's mapping lasts) names the recipient (issue 7, point 4).
    pub recipient_pseudonym: Option<String>,
}

/// One message's outcome in a batch written by [`super::Store::finish_outbox_batch`].
#[derive(Clone, Debug)]
pub struct OutboxFinish {
    pub id: MessageId,
    pub outcome: GateOutcome,
    /// When it was sent, held or blocked.
    pub at: Timestamp,
    pub alerts: Vec<NewMessage>,
    pub audit: Vec<skranke_core::audit::AuditRecord>,
    /// The pseudonyms `audit` uses, with what they stand for (written with it).
    pub pseudonyms: Vec<PseudonymUse>,
}

/// A keyed pseudonym used in an audit entry, what it stands for and when it was used: a row of
/// `audit_pseudonyms` (schema v16), kept under its own retention class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PseudonymUse {
    pub pseudonym: String,
    pub organisation: Option<skranke_core::ids::OrganisationId>,
    /// What kind of value: `address`.
    pub kind: &'static str,
    pub value: String,
    pub at: jiff::Timestamp,
}

/// An address whose notifications have gone unacknowledged past the threshold (RS-40).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silence {
    pub address: AddressRecord,
    /// Unacknowledged notifications not yet covered by an alert.
    pub count: u32,
    pub oldest_sent_at: Timestamp,
    pub newest_sent_at: Timestamp,
}

/// Permanent refusals in a row after which an address is suspended until verified again.
pub const BOUNCES_TO_SUSPEND: i32 = 3;

/// A held or blocked message as administrators see it: never its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldMessage {
    pub id: MessageId,
    pub template: String,
    pub address: Option<AddressId>,
    /// The recipient address (configuration or the citizen's own address; shown to administrators
    /// of the organisation only).
    pub recipient: String,
    pub outcome: String,
    pub reason: String,
    pub classes: String,
    pub held_at: Timestamp,
}

/// A proposed new address for a shared mailbox, waiting for a second administrator (RS-60).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressChange {
    pub id: uuid::Uuid,
    pub organisation: OrganisationId,
    pub owner: Owner,
    pub address: String,
    pub registrable_domain: String,
    pub requested_by: UserId,
    pub requested_at: Timestamp,
    /// `Some(true)` approved, `Some(false)` rejected, `None` open.
    pub approved: Option<bool>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}

/// A proposed change of one routing rule, waiting for a second administrator (RS-60).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteChange {
    pub id: uuid::Uuid,
    pub organisation: OrganisationId,
    pub event: skranke_core::notify::route::Event,
    pub recipient: skranke_core::notify::route::Recipient,
    /// What the route becomes when approved.
    pub enabled: bool,
    pub requested_by: UserId,
    pub requested_at: Timestamp,
    /// `Some(true)` approved, `Some(false)` rejected, `None` open.
    pub approved: Option<bool>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}
