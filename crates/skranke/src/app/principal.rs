//! Who is making a request, once authenticated, and the one access check every use case calls.

use skranke_core::access::{self, Grant, Permission, Target};
use skranke_core::audit::{Actor, Label};
use skranke_core::ids::{ApiTokenId, OrganisationId, UserId};

use super::AppError;

/// How the request proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A browser session (cookie); forms carry its CSRF token.
    Session,
    /// A personal API token (`Authorization: Bearer skr_…`), limited to the one grant it names.
    ApiToken(ApiTokenId),
}

/// An authenticated staff member (or an integration acting with their token).
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: UserId,
    /// The account's display name, copied into audit entries.
    pub name: Label,
    /// The account's organisation; `None` for platform operators.
    pub organisation: Option<OrganisationId>,
    /// What this request may do: all of the user's grants for a session, the token's one grant
    /// (if the user still holds it) for an API token.
    pub grants: Vec<Grant>,
    pub via: Via,
}

impl Principal {
    /// Whether any grant allows `permission` somewhere (at some centre, say): enough to show a
    /// page or let a request through to a use case that then checks the object's own target.
    pub fn may_somewhere(&self, permission: Permission) -> bool {
        self.grants.iter().any(|g| access::allows(g.role(), permission))
    }

    /// The audit log's actor for what this request does.
    pub fn actor(&self) -> Actor {
        let label = self.name.clone();
        match self.via {
            Via::Session => Actor::User { id: self.user.as_uuid(), label },
            Via::ApiToken(token) => Actor::ApiToken { id: token.as_uuid(), label },
        }
    }

    /// Whether this request may do `permission` at `target`.
    pub fn may(&self, permission: Permission, target: Target) -> bool {
        access::permits(&self.grants, permission, target)
    }

    /// The access check. Refused inside the caller's own organisation: `Forbidden`. Refused
    /// because the target belongs to another organisation (or the platform): `NotFound`, the same
    /// answer as for an id that does not exist, so ids of other organisations reveal nothing.
    pub fn authorize(&self, permission: Permission, target: Target) -> Result<(), AppError> {
        if self.may(permission, target) {
            return Ok(());
        }
        let own = match target {
            Target::OwnAccount => true,
            Target::Platform => self.organisation.is_none(),
            Target::Organisation(org) | Target::Centre { organisation: org, .. } => self.organisation == Some(org),
        };
        if own { Err(AppError::Forbidden) } else { Err(AppError::NotFound("record")) }
    }
}
