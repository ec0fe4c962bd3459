//! The record of an address Skranke may mail: whose it is and how far it is proven (RS-10, RS-11).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use skranke_recipient::address::EmailAddress;

/// Who an address belongs to, which decides what it may receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// A citizen's address from a booking: may receive that citizen's own booking facts.
    Citizen,
    /// A staff member's own address: internal, no personal data (RS-01).
    Staff,
    /// A shared mailbox of a queue or centre: internal, no personal data (RS-01).
    SharedMailbox,
}

impl Audience {
    /// Staff and shared mailboxes: the own-domain rule applies (RS-10).
    pub const fn is_internal(self) -> bool {
        matches!(self, Audience::Staff | Audience::SharedMailbox)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Audience::Citizen => "citizen",
            Audience::Staff => "staff",
            Audience::SharedMailbox => "shared_mailbox",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        [Audience::Citizen, Audience::Staff, Audience::SharedMailbox].into_iter().find(|a| a.as_str() == s)
    }
}

/// How far an address is proven. Only [`AddressState::Verified`] before its expiry receives
/// anything but a verification code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AddressState {
    /// Typed or imported, never proven.
    Unverified,
    /// Its owner typed back a code sent to it (RS-11), valid until `expires_at`.
    Verified { verified_at: Timestamp, expires_at: Timestamp },
    /// A verification that ran out; renewed by a new code.
    Expired,
    /// Stopped by repeated bounces or by an administrator (RS-41); needs a new verification.
    Suspended,
}

impl AddressState {
    /// The state as it stands at `now`: a verification past its expiry counts as expired, whether
    /// or not a sweep has written that down yet.
    pub fn at(self, now: Timestamp) -> AddressState {
        match self {
            AddressState::Verified { expires_at, .. } if now >= expires_at => AddressState::Expired,
            other => other,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            AddressState::Unverified => "unverified",
            AddressState::Verified { .. } => "verified",
            AddressState::Expired => "expired",
            AddressState::Suspended => "suspended",
        }
    }
}

/// An address and what is known about it, as the gate sees it at send time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientRecord {
    pub audience: Audience,
    pub address: EmailAddress,
    pub state: AddressState,
}

impl RecipientRecord {
    pub fn new(audience: Audience, address: EmailAddress, state: AddressState) -> Self {
        Self { audience, address, state }
    }
}
