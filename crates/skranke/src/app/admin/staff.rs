//! A centre's staff members: name, work address, weekly schedule, the services they give,
//! absences; deactivation.

use serde_json::{Value, json};
use skranke_core::Interval;
use skranke_core::change::Changes;
use skranke_core::ids::{CentreId, OrganisationId, ServiceId, StaffId};
use skranke_core::text::TextError;
use skranke_recipient::address::EmailAddress;
use skranke_recipient::domain::Domain;
use skranke_recipient::judge::{Checker, Judgement};

use super::form::{MIN_REASON_CHARS, hours_json, line, local_instant, parse_hours, reason};
use super::organisation::own_domains;
use super::{App, AppError, Principal, manage, managed_centre, record, stale, zone};
use crate::app::random_bytes;
use crate::store::{Absence, Centre, ObjectKey, StaffAdmin, StaffEntry, StaffMember, Store as _, Versioned};

/// RFC 5321's limit on a whole address.
const MAX_ADDRESS_CHARS: usize = 254;
/// More services than any centre offers; bounds the work one request causes.
const MAX_SERVICES: usize = 200;

/// A staff member's work address: a valid address in one of the organisation's own mail domains
/// (RS-10), in lowercase ASCII form (IDNA for the domain), as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkAddress {
    address: String,
    domain: String,
    /// The protected domain the address's (own) domain resembles (RS-61).
    resembles: Option<String>,
}

impl WorkAddress {
    /// Checks a typed address against the organisation's own mail domains. Errors (field
    /// `email`): `Invalid` (`missing_value`, `too_long`, `invalid_email`), `AccountEmailNotOwn`
    /// with the domain it resembles and the address probably meant (`x@fred.dk` → `fredericia.dk`,
    /// `x@fredericia.dk`), or without them for an unrelated domain.
    pub fn parse(raw: &str, own: &[String]) -> Result<Self, AppError> {
        let typed = raw.trim().to_lowercase();
        if typed.is_empty() {
            return Err(AppError::Invalid { field: "email", error: TextError::Empty });
        }
        if typed.chars().count() > MAX_ADDRESS_CHARS {
            return Err(AppError::Invalid { field: "email", error: TextError::TooLong { max: MAX_ADDRESS_CHARS } });
        }
        let checker = Checker::new(own, &[] as &[String])
            .map_err(|_| AppError::Field { field: "email", code: "invalid_org_domain" })?;
        match checker.judge(&typed) {
            Judgement::Internal { domain } => {
                let parsed = EmailAddress::parse(&typed)
                    .map_err(|_| AppError::Invalid { field: "email", error: TextError::InvalidEmail })?;
                let resembles = resembled_by(&domain, own)?;
                Ok(Self { address: parsed.to_string(), domain, resembles })
            }
            Judgement::Invalid { .. } => Err(AppError::Invalid { field: "email", error: TextError::InvalidEmail }),
            Judgement::Lookalike { resembles, suggestion, .. } => Err(AppError::AccountEmailNotOwn {
                resembles: Some(resembles),
                suggestion: (!suggestion.is_empty()).then_some(suggestion),
            }),
            Judgement::Ok { .. } => Err(AppError::AccountEmailNotOwn { resembles: None, suggestion: None }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The address's domain (ASCII).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The protected domain this address's own domain resembles, if any: keeping the address
    /// then needs a written reason (RS-61), as keeping the domain did.
    pub fn resembles(&self) -> Option<&str> {
        self.resembles.as_deref()
    }
}

/// Whether `domain` lies in one of the own domains that resemble a protected domain (the same
/// judgement as on the organisation form), and which protected domain.
fn resembled_by(domain: &str, own: &[String]) -> Result<Option<String>, AppError> {
    let (_, flagged) = own_domains(&own.join(" "))?;
    Ok(flagged.into_iter().find_map(|f| {
        let ascii = Domain::parse(&f.domain).ok()?.ascii().to_owned();
        (domain == ascii || domain.ends_with(&format!(".{ascii}"))).then_some(f.resembles)
    }))
}

/// What the staff form sends.
#[derive(Clone, Debug, Default)]
pub struct StaffForm {
    /// 1–120 characters.
    pub name: String,
    /// Work address; empty for none. Must lie in the organisation's own domains (RS-10).
    pub email: String,
    /// Working hours per weekday, Monday first (as for opening hours).
    pub hours: [String; 7],
    /// Ids of active services of the centre this person gives.
    pub services: Vec<String>,
    pub version: i64,
}

/// A staff member with their centre, for the edit form.
#[derive(Clone, Debug)]
pub struct StaffDetails {
    pub centre: Centre,
    /// The organisation's time zone (IANA name).
    pub timezone: String,
    pub staff: Versioned<StaffEntry>,
    /// Absences that have not ended, by start.
    pub absences: Vec<Absence>,
}

fn staff_json(s: &StaffAdmin) -> Value {
    let mut services: Vec<String> = s.member.services.iter().map(ToString::to_string).collect();
    services.sort();
    json!({ "name": s.member.name, "email": s.email, "schedule": hours_json(&s.member.schedule), "services": services })
}

/// The staff member a form describes, and their checked work address.
async fn staff_from_form(
    app: &App,
    id: StaffId,
    centre: &Centre,
    active: bool,
    f: &StaffForm,
) -> Result<(StaffAdmin, Option<WorkAddress>), AppError> {
    let name = line(&f.name, "name", 120)?;
    let address = if f.email.trim().is_empty() {
        None
    } else {
        let own = app.store.organisation_mail_domains(centre.organisation_id).await?.unwrap_or_default();
        Some(WorkAddress::parse(&f.email, &own)?)
    };
    let services = chosen_services(app, centre.id, active, &f.services).await?;
    let schedule = parse_hours(&f.hours)?;
    let member = StaffMember { id, centre_id: centre.id, name, schedule, services };
    Ok((StaffAdmin { member, email: address.as_ref().map(|a| a.as_str().to_owned()) }, address))
}

/// The services ticked on the form: each an active service of the centre, no duplicates.
async fn chosen_services(
    app: &App,
    centre: CentreId,
    active: bool,
    raw: &[String],
) -> Result<Vec<ServiceId>, AppError> {
    if raw.len() > MAX_SERVICES {
        return Err(AppError::Field { field: "services", code: "admin.too_many_values" });
    }
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    if !active {
        return Err(AppError::Field { field: "services", code: "admin.staff_inactive" });
    }
    let offered = app.store.list_service_entries(centre).await?;
    let mut services = Vec::new();
    for typed in raw {
        let id: ServiceId =
            typed.trim().parse().map_err(|_| AppError::Field { field: "services", code: "invalid_service" })?;
        let entry = offered.iter().find(|s| s.value.service.id == id);
        match entry {
            None => return Err(AppError::Field { field: "services", code: "invalid_service" }),
            Some(s) if !s.value.active => {
                return Err(AppError::Field { field: "services", code: "admin.service_inactive" });
            }
            Some(_) if services.contains(&id) => {}
            Some(_) => services.push(id),
        }
    }
    Ok(services)
}

/// The reason to store with a flagged address (RS-61): needed when the address is new or changed
/// and its domain resembles a protected one; `None` when no new reason is needed.
fn flag_reason(address: Option<&WorkAddress>, stored: Option<&str>, typed: &str) -> Result<Option<String>, AppError> {
    let reason = reason(typed)?;
    let Some(a) = address else { return Ok(None) };
    let Some(resembles) = a.resembles() else { return Ok(None) };
    if stored == Some(a.as_str()) {
        return Ok(None);
    }
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(AppError::DomainResembles { domain: a.domain().to_owned(), resembles: resembles.to_owned() });
    }
    Ok(Some(reason))
}

fn staff_detail(changes: Changes, address: Option<&WorkAddress>, reason: Option<&str>) -> Value {
    let mut detail = json!({ "changes": changes.into_value() });
    if let (Some(a), Some(r)) = (address, reason) {
        detail["email_flag"] = json!({ "domain": a.domain(), "resembles": a.resembles(), "reason": r });
    }
    detail
}

/// [`create_staff_with_reason`] without a reason.
pub async fn create_staff(app: &App, p: &Principal, centre: CentreId, f: &StaffForm) -> Result<StaffId, AppError> {
    create_staff_with_reason(app, p, centre, f, "").await
}

/// A new staff member of the centre (`ManageCentre`). `reason` is the written reason for a work
/// address whose domain resembles a protected one (RS-61; ignored otherwise). Errors: `Invalid`
/// on `name`, the [`WorkAddress::parse`] errors on `email`, `DomainResembles` for a flagged address
/// without a reason of at least [`MIN_REASON_CHARS`] characters, `Invalid` on `reason`, `Field` on
/// `hours_*` and on `services` (`invalid_service`, `admin.service_inactive`).
pub async fn create_staff_with_reason(
    app: &App,
    p: &Principal,
    centre: CentreId,
    f: &StaffForm,
    reason: &str,
) -> Result<StaffId, AppError> {
    let view = managed_centre(app, p, centre).await?;
    let id = StaffId::from_random_bytes(random_bytes());
    let (s, address) = staff_from_form(app, id, &view.centre, true, f).await?;
    let reason = flag_reason(address.as_ref(), None, reason)?;
    let detail = staff_detail(Changes::created(&staff_json(&s)), address.as_ref(), reason.as_deref());
    let rec = record(p, app.clock.now(), view.centre.organisation_id, "staff.created", "staff", id, detail)?;
    app.store.create_staff_audited(&s, reason.as_deref(), &[rec]).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(id)
}

/// The staff member with version, flag reason, active state and coming absences (`ManageCentre`).
pub async fn staff_details(app: &App, p: &Principal, id: StaffId) -> Result<StaffDetails, AppError> {
    let home = manage(app, p, ObjectKey::Staff(id), "staff").await?;
    let view = app.store.get_centre(home.centre).await?.ok_or(AppError::NotFound("staff"))?;
    let staff = app.store.get_staff_entry(id).await?.ok_or(AppError::NotFound("staff"))?;
    let absences = app.store.list_absences(id, app.clock.now()).await?;
    Ok(StaffDetails { centre: view.centre, timezone: view.timezone, staff, absences })
}

/// [`staff_details`] as the edit page reads it.
pub async fn staff(
    app: &App,
    p: &Principal,
    id: StaffId,
) -> Result<(Centre, Versioned<StaffAdmin>, Vec<Absence>), AppError> {
    let d = staff_details(app, p, id).await?;
    Ok((d.centre, Versioned { value: d.staff.value.staff, version: d.staff.version }, d.absences))
}

/// [`update_staff_with_reason`] without a reason.
pub async fn update_staff(app: &App, p: &Principal, id: StaffId, f: &StaffForm) -> Result<(), AppError> {
    update_staff_with_reason(app, p, id, f, "").await
}

/// Changes a staff member (`ManageCentre` at their centre). Errors as [`create_staff_with_reason`],
/// `Field` on `services` `admin.staff_inactive` for a deactivated member, and `Stale`. An
/// unchanged flagged address keeps its stored reason; a changed one needs a new reason.
pub async fn update_staff_with_reason(
    app: &App,
    p: &Principal,
    id: StaffId,
    f: &StaffForm,
    reason: &str,
) -> Result<(), AppError> {
    let d = staff_details(app, p, id).await?;
    let old = &d.staff.value;
    let (new, address) = staff_from_form(app, id, &d.centre, old.active, f).await?;
    let reason = flag_reason(address.as_ref(), old.staff.email.as_deref(), reason)?;
    let changes = Changes::between(&staff_json(&old.staff), &staff_json(&new));
    if changes.is_empty() {
        return Ok(());
    }
    let detail = staff_detail(changes, address.as_ref(), reason.as_deref());
    let rec = record(p, app.clock.now(), d.centre.organisation_id, "staff.updated", "staff", id, detail)?;
    let saved = match &reason {
        Some(r) => app.store.update_staff_flagged(&new, r, f.version, &[rec]).await,
        None => app.store.update_staff(&new, f.version, &[rec]).await,
    };
    saved.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}

/// Deactivates (`active = false`) or reactivates a staff member (`ManageCentre`). Deactivating
/// clears the services they give, so no new appointment goes to them; appointments already
/// assigned to them stay (move them at the desk). Reactivating gives back no services. Errors:
/// `Stale`; setting the state they already have changes nothing.
pub async fn set_staff_active(
    app: &App,
    p: &Principal,
    id: StaffId,
    active: bool,
    version: i64,
) -> Result<(), AppError> {
    let d = staff_details(app, p, id).await?;
    if d.staff.value.active == active {
        return Ok(());
    }
    let (org, now): (OrganisationId, _) = (d.centre.organisation_id, app.clock.now());
    let name = if active { "staff.reactivated" } else { "staff.deactivated" };
    let changes = Changes::between(&json!({ "active": !active }), &json!({ "active": active })).into_value();
    // Built inside the store's transaction from the links it removed; a detail of ids for every
    // service a centre offers stays far below the detail limit.
    let audit = |removed: &[ServiceId]| {
        let removed: Vec<String> = removed.iter().map(ToString::to_string).collect();
        record(p, now, org, name, "staff", id, json!({ "changes": changes, "services_removed": removed }))
            .into_iter()
            .collect()
    };
    app.store.set_staff_active(id, active, version, &audit).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}

/// An absence of a staff member, `from`/`to` as `YYYY-MM-DDTHH:MM` in the organisation's time zone
/// (`ManageCentre`). Errors: `Field` on `from`/`to` (`invalid_datetime`, `end_before_start`,
/// `too_long_period` beyond a year, `admin.in_the_past` when it has already ended).
pub async fn add_absence(app: &App, p: &Principal, id: StaffId, from: &str, to: &str) -> Result<(), AppError> {
    let home = manage(app, p, ObjectKey::Staff(id), "staff").await?;
    let tz = zone(&app.store.get_centre(home.centre).await?.ok_or(AppError::NotFound("staff"))?.timezone);
    let (start, end) = (local_instant(from, "from", &tz)?, local_instant(to, "to", &tz)?);
    let when = Interval::new(start, end).ok_or(AppError::Field { field: "to", code: "end_before_start" })?;
    if end.duration_since(start) > jiff::SignedDuration::from_hours(24 * 366) {
        return Err(AppError::Field { field: "to", code: "too_long_period" });
    }
    if end <= app.clock.now() {
        return Err(AppError::Field { field: "to", code: "admin.in_the_past" });
    }
    let absence = Absence { id: uuid::Uuid::from_bytes(random_bytes()), staff_id: id, when };
    let detail =
        json!({ "absence": absence.id.to_string(), "changes": Changes::created(&absence_json(&absence)).into_value() });
    let rec = record(p, app.clock.now(), home.organisation, "staff.absence_added", "staff", id, detail)?;
    app.store.add_absence_audited(&absence, &[rec]).await?;
    app.invalidate_availability();
    Ok(())
}

fn absence_json(a: &Absence) -> Value {
    json!({ "starts_at": a.when.start().to_string(), "ends_at": a.when.end().to_string() })
}

/// Removes an absence of staff member `id` (`ManageCentre`, checked at the absence's stored
/// centre). `NotFound` when it does not exist or is not theirs.
pub async fn remove_absence(app: &App, p: &Principal, id: StaffId, absence: uuid::Uuid) -> Result<(), AppError> {
    let home = manage(app, p, ObjectKey::Absence(absence), "absence").await?;
    let stored = app.store.get_absence(absence).await?.ok_or(AppError::NotFound("absence"))?;
    if stored.staff_id != id {
        return Err(AppError::NotFound("absence"));
    }
    let changes = Changes::between(&absence_json(&stored), &Value::Null);
    let detail = json!({ "absence": absence.to_string(), "changes": changes.into_value() });
    let rec = record(p, app.clock.now(), home.organisation, "staff.absence_removed", "staff", id, detail)?;
    if !app.store.remove_absence(id, absence, &[rec]).await? {
        return Err(AppError::NotFound("absence"));
    }
    app.invalidate_availability();
    Ok(())
}
