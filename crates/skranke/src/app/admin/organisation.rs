//! The organisation's own settings (name, own mail domains) and its list of centres.

use serde_json::json;
use skranke_core::access::{Permission, Target};
use skranke_core::calendar::ClosedDays;
use skranke_core::change::Changes;
use skranke_core::hours::WeeklyHours;
use skranke_core::ids::{CentreId, OrganisationId};
use skranke_core::text::TextError;
use skranke_recipient::judge::{Checker, Judgement};

use super::form::{MIN_REASON_CHARS, line, reason};
use super::{App, AppError, Principal, record, stale};
use crate::app::platform::{FlaggedDomain, parse_domains};
use crate::app::random_bytes;
use crate::store::{Centre, Organisation, Store as _, Versioned};

/// Longer than 20 domains of 253 characters with separators: refused before any parsing.
const MAX_DOMAINS_CHARS: usize = 6_000;

/// The organisation's settings with their version (`ManageOrganisation`).
pub async fn organisation(app: &App, p: &Principal, org: OrganisationId) -> Result<Versioned<Organisation>, AppError> {
    p.authorize(Permission::ManageOrganisation, Target::Organisation(org))?;
    app.store.get_organisation(org).await?.ok_or(AppError::NotFound("organisation"))
}

/// What the organisation form sends.
#[derive(Clone, Debug, Default)]
pub struct OrganisationForm {
    /// 1–120 characters.
    pub name: String,
    /// Own mail domains, separated by commas, spaces or line breaks (at most 20).
    pub domains: String,
    /// Required (≥ 10 characters) when a newly added domain resembles a protected one (RS-61).
    pub reason: String,
    /// The version the form was loaded at.
    pub version: i64,
}

/// The own mail domains, parsed, with those that resemble a protected domain. Errors name the
/// `domains` field.
pub(super) fn own_domains(raw: &str) -> Result<(Vec<String>, Vec<FlaggedDomain>), AppError> {
    if raw.chars().count() > MAX_DOMAINS_CHARS {
        return Err(AppError::Invalid { field: "domains", error: TextError::TooLong { max: MAX_DOMAINS_CHARS } });
    }
    parse_domains(raw).map_err(|e| match e {
        AppError::BadRequest(code) => AppError::Field { field: "domains", code },
        other => other,
    })
}

/// Renames the organisation or changes its own mail domains (`ManageOrganisation`).
///
/// Errors: `Invalid`/`Field` on `name` or `domains` (not a domain, more than 20, a domain that
/// a staff member's work address still uses: `admin.domain_in_use`), `Invalid` on `reason`,
/// `DomainResembles` when a newly added domain looks like a protected one (`fred.dk` beside
/// `fredericia.dk`, judged against the organisation's other domains and the built-in protected
/// set) and no reason of at least [`MIN_REASON_CHARS`] characters was given; the reason and the
/// flagged domains are then recorded in the audit entry. `Stale` for an old `version`.
pub async fn update_organisation(
    app: &App,
    p: &Principal,
    org: OrganisationId,
    f: &OrganisationForm,
) -> Result<(), AppError> {
    let current = organisation(app, p, org).await?;
    let name = line(&f.name, "name", 120)?;
    let (domains, flagged) = own_domains(&f.domains)?;
    let reason = reason(&f.reason)?;
    // Only newly added domains need a reason; those already kept were reasoned about then.
    let new_flags: Vec<&FlaggedDomain> =
        flagged.iter().filter(|d| !current.value.mail_domains.contains(&d.domain)).collect();
    if let Some(first) = new_flags.first()
        && reason.chars().count() < MIN_REASON_CHARS
    {
        return Err(AppError::DomainResembles { domain: first.domain.clone(), resembles: first.resembles.clone() });
    }
    if current.value.mail_domains.iter().any(|d| !domains.contains(d)) {
        refuse_removing_used_domains(app, org, &domains).await?;
    }
    let new = Organisation { name, mail_domains: domains, ..current.value.clone() };
    let view = |o: &Organisation| json!({ "name": o.name, "mail_domains": o.mail_domains });
    let changes = Changes::between(&view(&current.value), &view(&new));
    if changes.is_empty() {
        return Ok(());
    }
    let mut detail = json!({ "changes": changes.into_value() });
    if !new_flags.is_empty() {
        detail["flagged"] = new_flags.iter().map(|f| json!({ "domain": f.domain, "resembles": f.resembles })).collect();
        detail["reason"] = json!(reason);
    }
    let rec = record(p, app.clock.now(), org, "organisation.updated", "organisation", org, detail)?;
    app.store.update_organisation(&new, f.version, &[rec]).await.map_err(stale)?;
    Ok(())
}

/// Every stored work address must stay inside the own domains (RS-10), so a domain still in use
/// cannot be removed.
async fn refuse_removing_used_domains(app: &App, org: OrganisationId, domains: &[String]) -> Result<(), AppError> {
    let checker = Checker::new(domains, &[] as &[String])
        .map_err(|_| AppError::Field { field: "domains", code: "invalid_org_domain" })?;
    let addresses = app.store.organisation_staff_emails(org).await?;
    if addresses.iter().any(|a| !matches!(checker.judge(a), Judgement::Internal { .. })) {
        return Err(AppError::Field { field: "domains", code: "admin.domain_in_use" });
    }
    Ok(())
}

/// The centres of `org` the principal may configure, by name.
pub async fn centres_in_reach(
    app: &App,
    p: &Principal,
    org: OrganisationId,
) -> Result<Vec<Versioned<Centre>>, AppError> {
    let all = app.store.organisation_centres(org).await?;
    Ok(all
        .into_iter()
        .filter(|c| p.may(Permission::ManageCentre, Target::Centre { organisation: org, centre: c.value.id }))
        .collect())
}

/// Creates a centre of the organisation (`ManageOrganisation`), closed until hours are set, with
/// the common Danish closed days. Errors: `Invalid` on `name` (1–120) or `address` (1–200).
pub async fn create_centre(
    app: &App,
    p: &Principal,
    org: OrganisationId,
    name: &str,
    address: &str,
) -> Result<CentreId, AppError> {
    p.authorize(Permission::ManageOrganisation, Target::Organisation(org))?;
    let centre = Centre {
        id: CentreId::from_random_bytes(random_bytes()),
        organisation_id: org,
        name: line(name, "name", 120)?,
        address: line(address, "address", 200)?,
        opening_hours: WeeklyHours::default(),
        closed_days: ClosedDays::default(),
    };
    let changes = Changes::created(&json!({ "name": centre.name, "address": centre.address }));
    let rec = record(
        p,
        app.clock.now(),
        org,
        "centre.created",
        "centre",
        centre.id,
        json!({ "changes": changes.into_value() }),
    )?;
    app.store.create_centre_audited(&centre, &[rec]).await?;
    Ok(centre.id)
}
