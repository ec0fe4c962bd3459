//! The platform operator's work: organisations (tenants) and their first administrators, and
//! appointing operators from the server's command line.

use serde_json::json;
use skranke_core::access::{Grant, Permission, Role, Scope, Target};
use skranke_core::audit::{Actor, AuditRecord, Label};
use skranke_core::ids::{OrganisationId, UserId};
use skranke_core::text::{TextError, clean_line};
use skranke_recipient::judge::{Checker, Judgement};

use super::accounts::{
    ResetLink, action, detail, email_in_domains, grant_json, issue_reset_link, normalise_email, object,
};
use super::{App, AppError, Principal, random_bytes};
use crate::store::{Organisation, Store, StoreError, User};

/// At most this many own mail domains per organisation.
const MAX_DOMAINS: usize = 20;

/// What the operator types to create an organisation.
#[derive(Clone, Debug, Default)]
pub struct NewOrganisationForm {
    pub name: String,
    /// Own mail domains, one per line or separated by commas or spaces.
    pub domains: String,
    pub admin_email: String,
    pub admin_name: String,
    /// Required when a domain looks like another protected domain (RS-61).
    pub reason: String,
}

/// A domain that looks like a protected one, and which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlaggedDomain {
    pub domain: String,
    pub resembles: String,
}

/// Parses the own mail domains: each a domain with a registrable part, lowercased, no duplicates.
/// Also returns those that resemble a protected domain (another municipality, a provider): the
/// set-up error of the incident (`fred.dk` typed for `fredericia.dk`).
pub fn parse_domains(raw: &str) -> Result<(Vec<String>, Vec<FlaggedDomain>), AppError> {
    let mut domains: Vec<String> = Vec::new();
    for part in raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        if part.chars().any(char::is_control) || part.len() > 253 {
            return Err(AppError::BadRequest("invalid_org_domain"));
        }
        let d = part.trim_end_matches('.').to_lowercase();
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    if domains.is_empty() {
        return Err(AppError::Invalid { field: "domains", error: TextError::Empty });
    }
    if domains.len() > MAX_DOMAINS {
        return Err(AppError::BadRequest("invalid_org_domain"));
    }
    // Checker::new parses every domain and refuses one without a registrable part.
    Checker::new(&domains, &[] as &[String]).map_err(|_| AppError::BadRequest("invalid_org_domain"))?;
    let mut flagged = Vec::new();
    for d in &domains {
        // Judged against the built-in protected set and the organisation's *other* domains, so a
        // domain is not its own lookalike.
        let others: Vec<&String> = domains.iter().filter(|o| *o != d).collect();
        let checker =
            Checker::new(&others, &[] as &[&String]).map_err(|_| AppError::BadRequest("invalid_org_domain"))?;
        if let Judgement::Lookalike { resembles, .. } = checker.judge(&format!("postmaster@{d}")) {
            flagged.push(FlaggedDomain { domain: d.clone(), resembles });
        }
    }
    Ok((domains, flagged))
}

pub async fn list_organisations(app: &App, p: &Principal) -> Result<Vec<Organisation>, AppError> {
    p.authorize(Permission::ManageOrganisations, Target::Platform)?;
    Ok(app.store.list_organisations().await?)
}

/// Creates an organisation and its first organisation administrator, who gets a password link.
/// A domain that resembles a protected one needs a written reason (kept in the audit entry).
pub async fn create_organisation(
    app: &App,
    p: &Principal,
    form: &NewOrganisationForm,
) -> Result<(OrganisationId, ResetLink), AppError> {
    p.authorize(Permission::ManageOrganisations, Target::Platform)?;
    let name = clean_line(&form.name, 120).map_err(|error| AppError::Invalid { field: "name", error })?;
    let (domains, flagged) = parse_domains(&form.domains)?;
    let reason = form.reason.trim();
    if let Some(f) = flagged.first()
        && reason.chars().count() < 10
    {
        return Err(AppError::DomainResembles { domain: f.domain.clone(), resembles: f.resembles.clone() });
    }
    if reason.chars().count() > 500 || reason.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(AppError::Invalid { field: "reason", error: TextError::TooLong { max: 500 } });
    }
    let admin_name =
        clean_line(&form.admin_name, 120).map_err(|error| AppError::Invalid { field: "admin_name", error })?;
    let admin_email = email_in_domains(&form.admin_email, &domains)?;
    let now = app.clock.now();
    let org = Organisation {
        id: OrganisationId::from_random_bytes(random_bytes()),
        name: name.clone(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: domains.clone(),
    };
    let admin = User {
        id: UserId::from_random_bytes(random_bytes()),
        organisation: Some(org.id),
        email: admin_email.clone(),
        name: admin_name,
        password_hash: None,
        created_at: now,
        disabled_at: None,
        sessions_valid_after: jiff::Timestamp::UNIX_EPOCH,
    };
    let grant =
        Grant::new(Role::OrgAdmin, Scope::Organisation(org.id)).map_err(|_| AppError::BadRequest("internal"))?;
    let flagged_json: Vec<_> =
        flagged.iter().map(|f| json!({ "domain": f.domain, "resembles": f.resembles })).collect();
    let records = [
        AuditRecord {
            at: now,
            organisation: None,
            actor: p.actor(),
            action: action("organisation.created"),
            object: object("organisation", org.id),
            detail: detail(json!({
                "name": name, "mail_domains": domains, "flagged": flagged_json,
                "reason": if flagged.is_empty() { None } else { Some(reason) },
            })),
        },
        AuditRecord {
            at: now,
            organisation: Some(org.id),
            actor: p.actor(),
            action: action("user.created"),
            object: object("user", admin.id),
            detail: detail(json!({ "email": admin_email, "grant": grant_json(&grant) })),
        },
    ];
    match app.store.create_organisation_with_admin(&org, &admin, &grant, &records).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => return Err(AppError::BadRequest("email_taken")),
        Err(e) => return Err(e.into()),
    }
    let link = issue_reset_link(app, p.actor(), Some(p.user), &admin).await?;
    Ok((org.id, link))
}

/// Appoints a platform operator from the server's command line (`skranke operator add`): the one
/// way to get that role, so no one can grant it through the application. Returns a password link.
pub async fn add_operator(app: &App, email_raw: &str, name_raw: &str) -> Result<ResetLink, AppError> {
    let name = clean_line(name_raw, 120).map_err(|error| AppError::Invalid { field: "name", error })?;
    let email = normalise_email(email_raw);
    if skranke_recipient::address::EmailAddress::parse(&email).is_err() {
        return Err(AppError::Invalid { field: "email", error: TextError::InvalidEmail });
    }
    let now = app.clock.now();
    let user = User {
        id: UserId::from_random_bytes(random_bytes()),
        organisation: None,
        email: email.clone(),
        name,
        password_hash: None,
        created_at: now,
        disabled_at: None,
        sessions_valid_after: jiff::Timestamp::UNIX_EPOCH,
    };
    let grant = Grant::new(Role::PlatformOperator, Scope::Platform).map_err(|_| AppError::BadRequest("internal"))?;
    let cli = Actor::System { label: Label::new("cli").map_err(|_| AppError::BadRequest("internal"))? };
    let record = AuditRecord {
        at: now,
        organisation: None,
        actor: cli.clone(),
        action: action("user.created"),
        object: object("user", user.id),
        detail: detail(json!({ "email": email, "grant": grant_json(&grant) })),
    };
    match app.store.create_user(&user, &[grant], &[record]).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => return Err(AppError::BadRequest("email_taken")),
        Err(e) => return Err(e.into()),
    }
    issue_reset_link(app, cli, None, &user).await
}
