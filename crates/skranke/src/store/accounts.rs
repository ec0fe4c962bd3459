//! Records of staff accounts: users, sessions, API tokens, and the audit search.

use jiff::Timestamp;
use skranke_core::access::Grant;
use skranke_core::ids::{ApiTokenId, OrganisationId, SessionId, UserId};
use skranke_core::secret::SecretHash;

/// A staff member's account.
#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    /// `None` only for platform operators.
    pub organisation: Option<OrganisationId>,
    /// Lowercase; the sign-in name.
    pub email: String,
    pub name: String,
    /// The argon2id PHC string; `None` until the user sets a password with a reset link.
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
    /// Sessions created before this instant are void.
    pub sessions_valid_after: Timestamp,
}

/// A user with their grants, for the user list.
#[derive(Clone, Debug)]
pub struct UserWithGrants {
    pub user: User,
    pub grants: Vec<Grant>,
}

/// A session about to be created at sign-in.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub id: SessionId,
    pub token_hash: SecretHash,
    pub user: UserId,
    pub created_at: Timestamp,
    /// The absolute timeout.
    pub expires_at: Timestamp,
}

/// A live session as a request sees it: the account and everything it may do.
#[derive(Clone, Debug)]
pub struct ActiveSession {
    pub id: SessionId,
    pub user: User,
    pub grants: Vec<Grant>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A personal API token (never its secret; `hint` is its first characters).
#[derive(Clone, Debug)]
pub struct ApiTokenRecord {
    pub id: ApiTokenId,
    pub user: UserId,
    pub hint: String,
    pub label: String,
    /// The one grant the token acts with; it must still be one of the user's when used.
    pub grant: Grant,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What an API request authenticates as.
#[derive(Clone, Debug)]
pub struct ActiveApiToken {
    pub token: ApiTokenRecord,
    pub user: User,
    /// The user's current grants (the token acts only if its grant is among them).
    pub user_grants: Vec<Grant>,
}

/// A search of the audit log, newest first. `organisation` `None` searches platform-level entries
/// only (organisation_id IS NULL): there is no query across organisations.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub organisation: Option<OrganisationId>,
    /// The actor's id (a user's or an API token's).
    pub actor: Option<uuid::Uuid>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// Entries whose action starts with this (`service.` finds every service change).
    pub action_prefix: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only entries older than this one (the next page).
    pub before_seq: Option<u64>,
    pub limit: u32,
}
