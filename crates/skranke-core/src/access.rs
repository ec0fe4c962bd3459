//! Who may do what, where: roles, grants and **the** permission table.
//!
//! A staff user holds one or more [`Grant`]s: a [`Role`] at a [`Scope`] (one centre, a whole
//! organisation, or the platform). Every request that does something on behalf of a user names
//! one [`Permission`] and one [`Target`] (where it happens) and asks [`permits`]. Nothing else in
//! Skranke decides access.
//!
//! The table of which role carries which permission is the exhaustive `match` in [`allows`], and
//! nowhere else. `docs/permissions.md` prints it ([`markdown_table`]); a test keeps the two equal
//! (`SKRANKE_BLESS=1 cargo test -p skranke-core access` rewrites the file after a change).
//!
//! # Rules
//!
//! - A grant at organisation scope covers the organisation and every centre of it; a centre grant
//!   covers that centre only (not its organisation as a whole, not its sibling centres).
//! - Only the platform operator is granted at platform scope, and platform scope covers **no**
//!   organisation data: the operator creates organisations but cannot read their citizens, audit
//!   or configuration. Someone who must do both holds two grants, and the audit log shows which.
//! - Centre administrators are granted for one centre or for a whole organisation; organisation
//!   administrators and data-protection officers only for a whole organisation ([`Grant::new`]).
//! - Deny by default: a permission not listed for a role in [`allows`] is refused, and so is a new
//!   role until the table lists it.
//! - [`Permission::ManageOwnAccount`] is about the signed-in user, not about a place; it is checked
//!   against [`Target::OwnAccount`] and every role has it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{CentreId, OrganisationId};

/// Refused when parsing a [`Role`] or [`Permission`] key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} key {value:?}")]
pub struct UnknownKey {
    kind: &'static str,
    value: String,
}

/// An enum whose variants have stable snake_case keys (storage, API, CLI, docs). Generates the
/// enum, `ALL` (every variant in declaration order, so it cannot miss one), `as_str`, `FromStr`,
/// `Display` and serde in one place, so they cannot disagree.
macro_rules! keyed_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $key:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $key)] $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order (the order of the docs table).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable key, as stored and as sent over the API.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $key,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownKey;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($key => Ok($name::$variant),)+
                    _ => Err(UnknownKey { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyed_enum! {
    /// A staff role. Only keys live here; the Danish and English names are in the server's
    /// catalogues (`role.<key>`).
    pub enum Role ("role") {
        /// Front-desk and kiosk work: arrivals, the queue, booking for citizens at the desk.
        Receptionist => "receptionist",
        /// Serves citizens at a desk: calls the next one, handles their appointments.
        Caseworker => "caseworker",
        /// Runs a centre: its hours, closures, queues, services, staff and schedules, and does
        /// desk work too (a closure means moving the appointments it hits, which needs the
        /// citizens' contact details).
        CentreAdmin => "centre_admin",
        /// Runs the organisation (the municipality): its name, mail domains, centres, users and
        /// roles. Sees no citizens; an administrator who also works a desk holds a second grant.
        OrgAdmin => "org_admin",
        /// The data-protection officer (GDPR art. 37–39): reads the audit log and scopes personal
        /// data breaches. Nothing else, so that the role sees no more personal data than that needs.
        DataProtectionOfficer => "data_protection_officer",
        /// Runs the installation: creates organisations. Sees no organisation's data.
        PlatformOperator => "platform_operator",
    }
}

keyed_enum! {
    /// One kind of action. Routes name exactly one permission (and a [`Target`]).
    pub enum Permission ("permission") {
        /// See a centre's live queues: tickets, waiting times, desks. No names.
        ViewQueue => "view_queue",
        /// Work the queue: call the next citizen, register an arrival, transfer, finish, no-show.
        ServeCitizens => "serve_citizens",
        /// Put a device into kiosk mode for a centre (citizens draw tickets and check in there).
        OperateKiosk => "operate_kiosk",
        /// See a centre's appointments: times, services, references, status. No names.
        ViewAppointments => "view_appointments",
        /// See citizens' names and contact details (on appointments and tickets).
        ViewCitizenDetails => "view_citizen_details",
        /// Book, move and cancel appointments on a citizen's behalf (phone and desk).
        ManageAppointments => "manage_appointments",
        /// Check a recipient e-mail address before Skranke mails it (the recipient-safety judge).
        VerifyAddress => "verify_address",
        /// Configure a centre: hours, closures, queues, services, staff, schedules, absences.
        ManageCentre => "manage_centre",
        /// Configure the organisation: its name, its own mail domains, its centres.
        ManageOrganisation => "manage_organisation",
        /// Manage the organisation's users and their roles (grants).
        ManageUsers => "manage_users",
        /// Read the audit log: who did what, when. The data-protection officer, the organisation's
        /// administrators (for their configuration history) and, for platform-level entries only,
        /// the platform operator.
        ViewAudit => "view_audit",
        /// Scope a personal data breach: which citizens and data a time window or an actor touched.
        RunBreachReport => "run_breach_report",
        /// Keep the organisation's breach records (GDPR art. 33(5)): the moment of awareness, the
        /// 72-hour deadline, phased updates, the decision. Holds no personal data of citizens.
        ManageBreaches => "manage_breaches",
        /// Change one's own password and manage one's own API tokens and sessions.
        ManageOwnAccount => "manage_own_account",
        /// Create (and close) organisations on the platform.
        ManageOrganisations => "manage_organisations",
    }
}

/// **The** permission table: whether `role` carries `permission`. One row per permission
/// (exhaustive, so a new permission cannot be added without deciding who has it); a role not
/// listed in a row does not have it.
pub const fn allows(role: Role, permission: Permission) -> bool {
    use Permission as P;
    use Role as R;
    match permission {
        P::ViewQueue => matches!(role, R::Receptionist | R::Caseworker | R::CentreAdmin | R::OrgAdmin),
        P::ServeCitizens => matches!(role, R::Receptionist | R::Caseworker | R::CentreAdmin),
        P::OperateKiosk => matches!(role, R::Receptionist | R::CentreAdmin),
        P::ViewAppointments => matches!(role, R::Receptionist | R::Caseworker | R::CentreAdmin),
        P::ViewCitizenDetails => matches!(role, R::Receptionist | R::Caseworker | R::CentreAdmin),
        P::ManageAppointments => matches!(role, R::Receptionist | R::Caseworker | R::CentreAdmin),
        P::VerifyAddress => matches!(role, R::Receptionist | R::Caseworker | R::CentreAdmin | R::OrgAdmin),
        P::ManageCentre => matches!(role, R::CentreAdmin | R::OrgAdmin),
        P::ManageOrganisation => matches!(role, R::OrgAdmin),
        P::ManageUsers => matches!(role, R::OrgAdmin),
        P::ViewAudit => matches!(role, R::DataProtectionOfficer | R::OrgAdmin | R::PlatformOperator),
        P::RunBreachReport => matches!(role, R::DataProtectionOfficer),
        P::ManageBreaches => matches!(role, R::DataProtectionOfficer | R::OrgAdmin),
        P::ManageOwnAccount => true,
        P::ManageOrganisations => matches!(role, R::PlatformOperator),
    }
}

/// The kind of a [`Scope`], for the rule of where a role may be granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    Platform,
    Organisation,
    Centre,
}

impl ScopeKind {
    pub const ALL: &'static [ScopeKind] = &[ScopeKind::Platform, ScopeKind::Organisation, ScopeKind::Centre];

    pub const fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Platform => "platform",
            ScopeKind::Organisation => "organisation",
            ScopeKind::Centre => "centre",
        }
    }
}

impl fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// Where this role may be granted (checked by [`Grant::new`]; printed in the docs).
    pub const fn may_be_granted_at(self, kind: ScopeKind) -> bool {
        match self {
            Role::Receptionist | Role::Caseworker | Role::CentreAdmin => {
                matches!(kind, ScopeKind::Organisation | ScopeKind::Centre)
            }
            Role::OrgAdmin | Role::DataProtectionOfficer => matches!(kind, ScopeKind::Organisation),
            Role::PlatformOperator => matches!(kind, ScopeKind::Platform),
        }
    }
}

/// Where a grant applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The installation itself (organisations as a list), never what is inside them.
    Platform,
    /// An organisation and every centre of it.
    Organisation(OrganisationId),
    /// One centre.
    Centre { organisation: OrganisationId, centre: CentreId },
}

impl Scope {
    pub const fn kind(&self) -> ScopeKind {
        match self {
            Scope::Platform => ScopeKind::Platform,
            Scope::Organisation(_) => ScopeKind::Organisation,
            Scope::Centre { .. } => ScopeKind::Centre,
        }
    }

    pub const fn organisation(&self) -> Option<OrganisationId> {
        match self {
            Scope::Platform => None,
            Scope::Organisation(organisation) | Scope::Centre { organisation, .. } => Some(*organisation),
        }
    }

    pub const fn centre(&self) -> Option<CentreId> {
        match self {
            Scope::Centre { centre, .. } => Some(*centre),
            Scope::Platform | Scope::Organisation(_) => None,
        }
    }

    /// From storage columns (`organisation_id`, `centre_id`, both nullable). A centre without its
    /// organisation is refused.
    pub const fn from_parts(organisation: Option<OrganisationId>, centre: Option<CentreId>) -> Option<Scope> {
        match (organisation, centre) {
            (None, None) => Some(Scope::Platform),
            (Some(organisation), None) => Some(Scope::Organisation(organisation)),
            (Some(organisation), Some(centre)) => Some(Scope::Centre { organisation, centre }),
            (None, Some(_)) => None,
        }
    }

    /// Whether a grant at this scope reaches `target`. [`Target::OwnAccount`] is not a place and is
    /// handled by [`Grant::permits`].
    pub fn covers(&self, target: Target) -> bool {
        match (*self, target) {
            (Scope::Platform, Target::Platform) => true,
            (Scope::Organisation(org), Target::Organisation(target_org)) => org == target_org,
            (Scope::Organisation(org), Target::Centre { organisation, .. }) => org == organisation,
            (
                Scope::Centre { organisation, centre },
                Target::Centre { organisation: target_org, centre: target_centre },
            ) => organisation == target_org && centre == target_centre,
            // The platform reaches no organisation; an organisation or centre does not reach the
            // platform; a centre does not reach its organisation as a whole.
            (Scope::Platform, Target::Organisation(_) | Target::Centre { .. })
            | (Scope::Organisation(_) | Scope::Centre { .. }, Target::Platform)
            | (Scope::Centre { .. }, Target::Organisation(_))
            | (_, Target::OwnAccount) => false,
        }
    }
}

/// Where an action happens: the object's home, looked up from storage.
///
/// For [`Target::Centre`] both ids must come from the stored centre (or from the stored object that
/// belongs to it), never from two request parameters: otherwise a user with an organisation grant
/// could name their own organisation and someone else's centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Platform-level objects: the list of organisations.
    Platform,
    /// Organisation-level objects (settings, users, audit), or all centres of it at once.
    Organisation(OrganisationId),
    /// An object of one centre (queue, appointment, hours, …).
    Centre { organisation: OrganisationId, centre: CentreId },
    /// The signed-in user's own account. Only [`Permission::ManageOwnAccount`] applies here.
    OwnAccount,
}

impl From<Scope> for Target {
    fn from(scope: Scope) -> Self {
        match scope {
            Scope::Platform => Target::Platform,
            Scope::Organisation(organisation) => Target::Organisation(organisation),
            Scope::Centre { organisation, centre } => Target::Centre { organisation, centre },
        }
    }
}

/// Refused by [`Grant::new`]: this role is not granted at this kind of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the role {role} cannot be granted at {scope} scope")]
pub struct GrantError {
    pub role: Role,
    pub scope: ScopeKind,
}

impl GrantError {
    /// The catalogue key of the message.
    pub const fn code(&self) -> &'static str {
        "grant.scope_not_allowed"
    }
}

/// A user's role assignment: `role` at `scope`. Always valid ([`Grant::new`] checks, and so does
/// deserialisation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "GrantRepr", into = "GrantRepr")]
pub struct Grant {
    role: Role,
    scope: Scope,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRepr {
    role: Role,
    scope: Scope,
}

impl TryFrom<GrantRepr> for Grant {
    type Error = GrantError;
    fn try_from(repr: GrantRepr) -> Result<Self, Self::Error> {
        Grant::new(repr.role, repr.scope)
    }
}

impl From<Grant> for GrantRepr {
    fn from(grant: Grant) -> Self {
        GrantRepr { role: grant.role, scope: grant.scope }
    }
}

impl Grant {
    pub const fn new(role: Role, scope: Scope) -> Result<Grant, GrantError> {
        let kind = scope.kind();
        if role.may_be_granted_at(kind) { Ok(Grant { role, scope }) } else { Err(GrantError { role, scope: kind }) }
    }

    pub const fn role(&self) -> Role {
        self.role
    }

    pub const fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether this one grant permits `permission` at `target`.
    pub fn permits(&self, permission: Permission, target: Target) -> bool {
        if !allows(self.role, permission) {
            return false;
        }
        match (permission, target) {
            (Permission::ManageOwnAccount, Target::OwnAccount) => true,
            (Permission::ManageOwnAccount, _) | (_, Target::OwnAccount) => false,
            (_, target) => self.scope.covers(target),
        }
    }
}

/// The access decision: whether any of a user's grants permits `permission` at `target`.
pub fn permits(grants: &[Grant], permission: Permission, target: Target) -> bool {
    grants.iter().any(|grant| grant.permits(permission, target))
}

/// Whether a user holding `grants` may give `grant` to someone (or take it away): they need
/// [`Permission::ManageUsers`] where the grant applies. Platform-scope grants are never assigned
/// through the application; platform operators are appointed on the server (the CLI), so that no
/// organisation administrator can make anyone a platform operator, and no platform operator can
/// give themselves a foothold in an organisation by this route either (creating an organisation
/// with its first administrator is its own use case under [`Permission::ManageOrganisations`]).
pub fn may_assign(grants: &[Grant], grant: &Grant) -> bool {
    match grant.scope {
        Scope::Platform => false,
        scope => permits(grants, Permission::ManageUsers, scope.into()),
    }
}

/// Start and end markers of the generated tables in `docs/permissions.md`.
pub const DOCS_MARKERS: [(&str, &str); 2] = [
    ("<!-- permissions:start -->", "<!-- permissions:end -->"),
    ("<!-- grant-scopes:start -->", "<!-- grant-scopes:end -->"),
];

fn table(corner: &str, rows: &[(&str, Vec<bool>)]) -> String {
    let mut out = format!("| {corner} |");
    for role in Role::ALL {
        out.push_str(&format!(" `{role}` |"));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str(":-:|");
    }
    out.push('\n');
    for (key, cells) in rows {
        out.push_str(&format!("| `{key}` |"));
        for &cell in cells {
            out.push_str(if cell { " ✓ |" } else { "   |" });
        }
        out.push('\n');
    }
    out
}

/// The permission table as Markdown: a row per permission, a column per role, ✓ where
/// [`allows`]. Printed in `docs/permissions.md`.
pub fn markdown_table() -> String {
    let rows: Vec<(&str, Vec<bool>)> =
        Permission::ALL.iter().map(|&p| (p.as_str(), Role::ALL.iter().map(|&r| allows(r, p)).collect())).collect();
    table("permission", &rows)
}

/// Where each role may be granted, as Markdown: a row per scope kind, a column per role.
pub fn grant_scopes_markdown_table() -> String {
    let rows: Vec<(&str, Vec<bool>)> = ScopeKind::ALL
        .iter()
        .map(|&k| (k.as_str(), Role::ALL.iter().map(|&r| r.may_be_granted_at(k)).collect()))
        .collect();
    table("granted at", &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: u8) -> OrganisationId {
        OrganisationId::from_random_bytes([n; 16])
    }
    fn centre(n: u8) -> CentreId {
        CentreId::from_random_bytes([n.wrapping_add(100); 16])
    }
    fn at_org(role: Role, o: u8) -> Grant {
        Grant::new(role, Scope::Organisation(org(o))).unwrap()
    }
    fn at_centre(role: Role, o: u8, c: u8) -> Grant {
        Grant::new(role, Scope::Centre { organisation: org(o), centre: centre(c) }).unwrap()
    }
    fn t_org(o: u8) -> Target {
        Target::Organisation(org(o))
    }
    fn t_centre(o: u8, c: u8) -> Target {
        Target::Centre { organisation: org(o), centre: centre(c) }
    }
    fn platform_operator() -> Grant {
        Grant::new(Role::PlatformOperator, Scope::Platform).unwrap()
    }

    /// Every target the tests walk: the platform, own account, and org 1 / org 2 with centres 1–2.
    fn all_targets() -> Vec<Target> {
        vec![
            Target::Platform,
            Target::OwnAccount,
            t_org(1),
            t_org(2),
            t_centre(1, 1),
            t_centre(1, 2),
            t_centre(2, 1),
            t_centre(2, 3),
        ]
    }

    #[test]
    fn keys_are_stable_and_round_trip() {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            roles,
            ["receptionist", "caseworker", "centre_admin", "org_admin", "data_protection_officer", "platform_operator"]
        );
        for &r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&format!("\"{r}\"")).unwrap(), r);
        }
        for &p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.as_str()));
        }
        assert_eq!(Permission::ALL.len(), 15);
        assert!("Receptionist".parse::<Role>().is_err());
        assert!("admin".parse::<Permission>().is_err());
    }

    #[test]
    fn grant_scope_rules() {
        use Role as R;
        let platform = Scope::Platform;
        let o = Scope::Organisation(org(1));
        let c = Scope::Centre { organisation: org(1), centre: centre(1) };
        // (role, platform, organisation, centre)
        let table = [
            (R::Receptionist, false, true, true),
            (R::Caseworker, false, true, true),
            (R::CentreAdmin, false, true, true),
            (R::OrgAdmin, false, true, false),
            (R::DataProtectionOfficer, false, true, false),
            (R::PlatformOperator, true, false, false),
        ];
        assert_eq!(table.len(), Role::ALL.len());
        for (role, at_platform, at_org, at_centre) in table {
            for (scope, ok) in [(platform, at_platform), (o, at_org), (c, at_centre)] {
                let got = Grant::new(role, scope);
                assert_eq!(got.is_ok(), ok, "{role} at {scope:?}");
                if let Err(e) = got {
                    assert_eq!(e, GrantError { role, scope: scope.kind() });
                    assert_eq!(e.code(), "grant.scope_not_allowed");
                }
            }
        }
    }

    #[test]
    fn grants_deserialise_only_when_valid() {
        let g = at_centre(Role::Caseworker, 1, 1);
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(serde_json::from_str::<Grant>(&json).unwrap(), g);
        let bad = format!(
            r#"{{"role":"org_admin","scope":{{"centre":{{"organisation":"{}","centre":"{}"}}}}}}"#,
            org(1),
            centre(1)
        );
        assert!(serde_json::from_str::<Grant>(&bad).is_err());
        let bad = format!(r#"{{"role":"platform_operator","scope":{{"organisation":"{}"}}}}"#, org(1));
        assert!(serde_json::from_str::<Grant>(&bad).is_err());
        let ok = r#"{"role":"platform_operator","scope":"platform"}"#;
        assert_eq!(serde_json::from_str::<Grant>(ok).unwrap(), platform_operator());
    }

    #[test]
    fn scope_from_storage_columns() {
        assert_eq!(Scope::from_parts(None, None), Some(Scope::Platform));
        assert_eq!(Scope::from_parts(Some(org(1)), None), Some(Scope::Organisation(org(1))));
        let c = Scope::from_parts(Some(org(1)), Some(centre(2))).unwrap();
        assert_eq!((c.organisation(), c.centre()), (Some(org(1)), Some(centre(2))));
        assert_eq!(Scope::from_parts(None, Some(centre(2))), None);
    }

    /// The table-driven walk: for every role, at a centre grant and an organisation grant, every
    /// permission at every target. What must hold is spelt out per target kind, independently of
    /// `Scope::covers`.
    #[test]
    fn every_role_every_permission_every_target() {
        for &role in Role::ALL {
            let mut grants = Vec::new();
            for scope in [
                Scope::Platform,
                Scope::Organisation(org(1)),
                Scope::Centre { organisation: org(1), centre: centre(1) },
            ] {
                if let Ok(g) = Grant::new(role, scope) {
                    grants.push(g);
                }
            }
            for grant in grants {
                for &permission in Permission::ALL {
                    for target in all_targets() {
                        let got = permits(&[grant], permission, target);
                        let place = match (grant.scope(), target) {
                            (_, Target::OwnAccount) => permission == Permission::ManageOwnAccount,
                            (_, _) if permission == Permission::ManageOwnAccount => false,
                            (Scope::Platform, Target::Platform) => true,
                            (Scope::Platform, _) | (_, Target::Platform) => false,
                            (Scope::Organisation(_), Target::Organisation(o)) => o == org(1),
                            (Scope::Organisation(_), Target::Centre { organisation, .. }) => organisation == org(1),
                            (Scope::Centre { .. }, Target::Organisation(_)) => false,
                            (Scope::Centre { .. }, t) => t == t_centre(1, 1),
                        };
                        let want = allows(role, permission) && place;
                        assert_eq!(got, want, "{role} at {:?}: {permission} on {target:?}", grant.scope());
                    }
                }
            }
        }
    }

    #[test]
    fn data_protection_officer_reads_audit_and_scopes_breaches_only() {
        let dpo = [at_org(Role::DataProtectionOfficer, 1)];
        assert!(permits(&dpo, Permission::ViewAudit, t_org(1)));
        assert!(permits(&dpo, Permission::RunBreachReport, t_org(1)));
        assert!(permits(&dpo, Permission::ManageOwnAccount, Target::OwnAccount));
        for p in [
            Permission::ManageCentre,
            Permission::ManageOrganisation,
            Permission::ManageUsers,
            Permission::ViewCitizenDetails,
            Permission::ViewAppointments,
            Permission::ViewQueue,
            Permission::ServeCitizens,
        ] {
            assert!(!permits(&dpo, p, t_org(1)), "{p}");
            assert!(!permits(&dpo, p, t_centre(1, 1)), "{p}");
        }
        let granted: Vec<Permission> =
            Permission::ALL.iter().copied().filter(|&p| allows(Role::DataProtectionOfficer, p)).collect();
        assert_eq!(
            granted,
            [
                Permission::ViewAudit,
                Permission::RunBreachReport,
                Permission::ManageBreaches,
                Permission::ManageOwnAccount
            ]
        );
        assert!(!permits(&dpo, Permission::ViewAudit, t_org(2)));
    }

    #[test]
    fn platform_operator_reaches_no_organisation() {
        let op = [platform_operator()];
        assert!(permits(&op, Permission::ManageOrganisations, Target::Platform));
        assert!(permits(&op, Permission::ManageOwnAccount, Target::OwnAccount));
        for &p in Permission::ALL {
            for t in [t_org(1), t_centre(1, 1), t_org(2)] {
                assert!(!permits(&op, p, t), "{p} on {t:?}");
            }
        }
        // …and nobody in an organisation reaches the platform.
        for &role in &[Role::OrgAdmin, Role::DataProtectionOfficer, Role::CentreAdmin] {
            assert!(!permits(&[at_org(role, 1)], Permission::ManageOrganisations, Target::Platform));
        }
    }

    #[test]
    fn centre_grant_does_not_leak() {
        let g = [at_centre(Role::CentreAdmin, 1, 1)];
        assert!(permits(&g, Permission::ManageCentre, t_centre(1, 1)));
        assert!(permits(&g, Permission::ViewCitizenDetails, t_centre(1, 1)));
        assert!(!permits(&g, Permission::ManageCentre, t_centre(1, 2)), "sibling centre");
        assert!(!permits(&g, Permission::ManageCentre, t_org(1)), "the organisation as a whole");
        assert!(!permits(&g, Permission::ManageCentre, t_centre(2, 1)), "same centre id, other organisation");
        assert!(!permits(&g, Permission::ViewCitizenDetails, t_centre(2, 3)));
    }

    #[test]
    fn organisation_grant_covers_its_centres_only() {
        let g = [at_org(Role::Caseworker, 1)];
        assert!(permits(&g, Permission::ServeCitizens, t_centre(1, 1)));
        assert!(permits(&g, Permission::ServeCitizens, t_centre(1, 2)));
        assert!(!permits(&g, Permission::ServeCitizens, t_centre(2, 1)));
        assert!(!permits(&g, Permission::ServeCitizens, t_org(2)));
        assert!(!permits(&g, Permission::ManageCentre, t_centre(1, 1)), "role still limits");
        let admin = [at_org(Role::OrgAdmin, 1)];
        assert!(permits(&admin, Permission::ManageUsers, t_org(1)));
        assert!(permits(&admin, Permission::ManageCentre, t_centre(1, 2)));
        assert!(!permits(&admin, Permission::ViewCitizenDetails, t_centre(1, 2)), "admins see no citizens");
        assert!(!permits(&admin, Permission::ManageUsers, t_org(2)));
    }

    #[test]
    fn several_grants_add_up() {
        let g = [at_org(Role::OrgAdmin, 1), at_centre(Role::Receptionist, 1, 2)];
        assert!(permits(&g, Permission::ViewCitizenDetails, t_centre(1, 2)));
        assert!(!permits(&g, Permission::ViewCitizenDetails, t_centre(1, 1)));
        assert!(permits(&g, Permission::ManageUsers, t_org(1)));
        assert!(!permits(&[], Permission::ManageOwnAccount, Target::OwnAccount), "no grants, no access");
    }

    #[test]
    fn own_account_is_not_a_place() {
        let g = [at_centre(Role::Receptionist, 1, 1)];
        assert!(permits(&g, Permission::ManageOwnAccount, Target::OwnAccount));
        assert!(!permits(&g, Permission::ManageOwnAccount, t_centre(1, 1)));
        assert!(!permits(&g, Permission::ViewCitizenDetails, Target::OwnAccount));
    }

    #[test]
    fn assigning_grants() {
        let admin = [at_org(Role::OrgAdmin, 1)];
        assert!(may_assign(&admin, &at_centre(Role::Receptionist, 1, 2)));
        assert!(may_assign(&admin, &at_org(Role::DataProtectionOfficer, 1)));
        assert!(!may_assign(&admin, &at_org(Role::OrgAdmin, 2)));
        assert!(!may_assign(&admin, &at_centre(Role::Receptionist, 2, 1)));
        assert!(!may_assign(&admin, &platform_operator()));
        assert!(!may_assign(&[platform_operator()], &platform_operator()));
        assert!(!may_assign(&[platform_operator()], &at_org(Role::OrgAdmin, 1)));
        assert!(!may_assign(&[at_org(Role::CentreAdmin, 1)], &at_centre(Role::Caseworker, 1, 1)));
    }

    #[test]
    fn markdown_tables() {
        let t = markdown_table();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2 + Permission::ALL.len());
        assert!(lines[0].starts_with("| permission | `receptionist` |"));
        assert_eq!(lines[2], "| `view_queue` | ✓ | ✓ | ✓ | ✓ |   |   |");
        let s = grant_scopes_markdown_table();
        assert!(s.contains("| `platform` |   |   |   |   |   | ✓ |"), "{s}");
    }

    /// `docs/permissions.md` prints exactly what the code decides.
    #[test]
    fn docs_print_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/permissions.md");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let generated = [markdown_table(), grant_scopes_markdown_table()];
        let mut expected = text.clone();
        for ((start, end), table) in DOCS_MARKERS.iter().zip(&generated) {
            let (Some(s), Some(e)) = (expected.find(start), expected.find(end)) else {
                panic!("{} lacks the markers {start} … {end}", path.display());
            };
            assert!(s < e, "{start} must come before {end}");
            expected.replace_range(s + start.len()..e, &format!("\n{table}"));
        }
        if text == expected {
            return;
        }
        if std::env::var_os("SKRANKE_BLESS").is_some_and(|v| v == "1") {
            std::fs::write(&path, expected).unwrap();
            return;
        }
        panic!(
            "{} is out of date with crates/skranke-core/src/access.rs; regenerate it with\n\n    \
             SKRANKE_BLESS=1 cargo test -p skranke-core access\n",
            path.display()
        );
    }
}
