//! Administration use cases: the organisation (name, own mail domains), centres (name, address,
//! opening hours, closures), queues, services and staff members (schedule, work address,
//! services, absences).
//!
//! Each one checks access with a target built from stored rows (`ManageOrganisation` for the
//! organisation and new centres, `ManageCentre` for everything of one centre), validates with
//! field-specific errors, and writes the change and its audit entry (what changed, old → new) in
//! one transaction. Forms carry the version they were loaded at; a stale one is refused
//! ([`AppError::Stale`]) rather than overwriting someone else's change.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::{Map, Value, json};
use skranke_core::Interval;
use skranke_core::access::{Permission, Target};
use skranke_core::audit::AuditRecord;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::{CentreId, OrganisationId, QueueId, ServiceId, StaffId};
use skranke_core::service::{Sensitivity, ServiceRules};
use skranke_core::text::{TextError, clean_line};

use super::accounts::{action, detail, email_in_domains, object};
use super::platform::parse_domains;
use super::{App, AppError, Principal, random_bytes};
use crate::store::{
    Absence, AdminObject, Centre, Closure, Organisation, Queue, Service, StaffAdmin, StaffMember, Store, StoreError,
    Versioned,
};

/// The weekdays in form order, with the form field suffix.
pub const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "mon"),
    (Weekday::Tuesday, "tue"),
    (Weekday::Wednesday, "wed"),
    (Weekday::Thursday, "thu"),
    (Weekday::Friday, "fri"),
    (Weekday::Saturday, "sat"),
    (Weekday::Sunday, "sun"),
];

/// The fields that changed between two JSON objects: `{"field": {"old": …, "new": …}}`.
pub fn changes(old: &Value, new: &Value) -> Value {
    let empty = Map::new();
    let (o, n) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
    let mut out = Map::new();
    for (k, nv) in n {
        let ov = o.get(k).unwrap_or(&Value::Null);
        if ov != nv {
            out.insert(k.clone(), json!({ "old": ov, "new": nv }));
        }
    }
    Value::Object(out)
}

/// Weekly hours as the form shows them: per weekday `09:00-12:00, 13:00-15:00` (empty = closed).
pub fn hours_text(h: &WeeklyHours, day: Weekday) -> String {
    h.ranges(day)
        .iter()
        .map(|r| format!("{}-{}", r.start().strftime("%H:%M"), r.end().strftime("%H:%M")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn hours_json(h: &WeeklyHours) -> Value {
    let mut m = Map::new();
    for (day, key) in WEEKDAYS {
        m.insert(key.to_owned(), Value::String(hours_text(h, day)));
    }
    Value::Object(m)
}

/// Parses the seven weekday fields; the error names the day's field (`hours_mon`, …).
pub fn parse_hours(days: &[String; 7]) -> Result<WeeklyHours, AppError> {
    let mut hours = WeeklyHours::default();
    for ((day, key), text) in WEEKDAYS.iter().zip(days) {
        let field = field_name(key);
        if text.chars().count() > 200 || text.chars().any(char::is_control) {
            return Err(AppError::Field { field, code: "unreadable_time" });
        }
        let ranges = text
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| TimeRange::parse(r).map_err(|e| AppError::Field { field, code: e.code() }))
            .collect::<Result<Vec<_>, _>>()?;
        hours = hours.with_day(*day, ranges).map_err(|e| AppError::Field { field, code: e.code() })?;
    }
    Ok(hours)
}

fn field_name(key: &str) -> &'static str {
    match key {
        "mon" => "hours_mon",
        "tue" => "hours_tue",
        "wed" => "hours_wed",
        "thu" => "hours_thu",
        "fri" => "hours_fri",
        "sat" => "hours_sat",
        _ => "hours_sun",
    }
}

fn line(raw: &str, field: &'static str, max: usize) -> Result<String, AppError> {
    clean_line(raw, max).map_err(|error| AppError::Invalid { field, error })
}

fn number(raw: &str, field: &'static str) -> Result<i32, AppError> {
    raw.trim().parse().map_err(|_| AppError::Field { field, code: "not_a_number" })
}

fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => AppError::Stale,
        StoreError::NotFound => AppError::NotFound("record"),
        other => other.into(),
    }
}

fn tz() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC)
}

/// The centre and its organisation, from storage; 404 when there is none.
async fn centre_home(app: &App, centre: CentreId) -> Result<(Centre, Target), AppError> {
    let view = app.store.get_centre(centre).await?.ok_or(AppError::NotFound("centre"))?;
    let target = Target::Centre { organisation: view.centre.organisation_id, centre };
    Ok((view.centre, target))
}

/// The centre an object belongs to, checked for `ManageCentre`.
async fn object_centre(app: &App, p: &Principal, kind: AdminObject, id: uuid::Uuid) -> Result<Centre, AppError> {
    let centre = app.store.centre_of(kind, id).await?.ok_or(AppError::NotFound("record"))?;
    let (centre, target) = centre_home(app, centre).await?;
    p.authorize(Permission::ManageCentre, target)?;
    Ok(centre)
}

fn record(
    p: &Principal,
    at: Timestamp,
    org: OrganisationId,
    name: &str,
    kind: &str,
    id: impl ToString,
    d: Value,
) -> AuditRecord {
    AuditRecord {
        at,
        organisation: Some(org),
        actor: p.actor(),
        action: action(name),
        object: object(kind, id),
        detail: detail(d),
    }
}

// ------------------------------------------------------------------------------ organisation

/// The organisation's settings (`ManageOrganisation`).
pub async fn organisation(app: &App, p: &Principal, org: OrganisationId) -> Result<Versioned<Organisation>, AppError> {
    p.authorize(Permission::ManageOrganisation, Target::Organisation(org))?;
    app.store.get_organisation(org).await?.ok_or(AppError::NotFound("organisation"))
}

#[derive(Clone, Debug, Default)]
pub struct OrganisationForm {
    pub name: String,
    pub domains: String,
    /// Required when a new domain resembles a protected one (RS-61).
    pub reason: String,
    pub version: i64,
}

/// Renames the organisation or changes its own mail domains. A domain that resembles a protected
/// one (`fred.dk` for `fredericia.dk`) is kept only with a written reason, recorded in the audit.
pub async fn update_organisation(
    app: &App,
    p: &Principal,
    org: OrganisationId,
    f: &OrganisationForm,
) -> Result<(), AppError> {
    let current = organisation(app, p, org).await?;
    let name = line(&f.name, "name", 120)?;
    let (domains, flagged) = parse_domains(&f.domains)?;
    // Only newly added domains need a reason; the ones already kept were reasoned about then.
    let new_flags: Vec<_> = flagged.iter().filter(|d| !current.value.mail_domains.contains(&d.domain)).collect();
    let reason = f.reason.trim();
    if let Some(first) = new_flags.first()
        && reason.chars().count() < 10
    {
        return Err(AppError::DomainResembles { domain: first.domain.clone(), resembles: first.resembles.clone() });
    }
    if reason.chars().count() > 500 {
        return Err(AppError::Invalid { field: "reason", error: TextError::TooLong { max: 500 } });
    }
    let new = Organisation { name, mail_domains: domains, ..current.value.clone() };
    let old_v = json!({ "name": current.value.name, "mail_domains": current.value.mail_domains });
    let new_v = json!({ "name": new.name, "mail_domains": new.mail_domains });
    let mut d = json!({ "changes": changes(&old_v, &new_v) });
    if !new_flags.is_empty() {
        d["flagged"] = json!(
            new_flags.iter().map(|f| json!({ "domain": f.domain, "resembles": f.resembles })).collect::<Vec<_>>()
        );
        d["reason"] = json!(reason);
    }
    let rec = record(p, app.clock.now(), org, "organisation.updated", "organisation", org, d);
    app.store.update_organisation(&new, f.version, &[rec]).await.map_err(stale)?;
    Ok(())
}

// ------------------------------------------------------------------------------ centres

/// The centres of `org` the principal may configure.
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

/// Everything of one centre the administration page shows.
#[derive(Debug)]
pub struct CentreSetup {
    pub centre: Versioned<Centre>,
    pub closures: Vec<Closure>,
    pub queues: Vec<Versioned<Queue>>,
    pub services: Vec<Versioned<Service>>,
    pub staff: Vec<Versioned<StaffAdmin>>,
}

pub async fn centre_setup(app: &App, p: &Principal, id: CentreId) -> Result<CentreSetup, AppError> {
    let (centre, target) = centre_home(app, id).await?;
    p.authorize(Permission::ManageCentre, target)?;
    let versioned = app
        .store
        .organisation_centres(centre.organisation_id)
        .await?
        .into_iter()
        .find(|c| c.value.id == id)
        .ok_or(AppError::NotFound("centre"))?;
    Ok(CentreSetup {
        centre: versioned,
        closures: app.store.list_closures(id, app.clock.now()).await?,
        queues: app.store.list_queues(id).await?,
        services: app.store.list_services_versioned(id).await?,
        staff: app.store.list_staff(id).await?,
    })
}

#[derive(Clone, Debug, Default)]
pub struct CentreForm {
    pub name: String,
    pub address: String,
    pub hours: [String; 7],
    pub version: i64,
}

/// Creates a centre of the organisation (`ManageOrganisation`), closed until hours are set.
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
        closed_days: skranke_core::calendar::ClosedDays::default(),
    };
    let d = json!({ "name": centre.name, "address": centre.address });
    let rec = record(p, app.clock.now(), org, "centre.created", "centre", centre.id, d);
    app.store.create_centre_audited(&centre, &[rec]).await?;
    Ok(centre.id)
}

pub async fn update_centre(app: &App, p: &Principal, id: CentreId, f: &CentreForm) -> Result<(), AppError> {
    let (old, target) = centre_home(app, id).await?;
    p.authorize(Permission::ManageCentre, target)?;
    let new = Centre {
        name: line(&f.name, "name", 120)?,
        address: line(&f.address, "address", 200)?,
        opening_hours: parse_hours(&f.hours)?,
        ..old.clone()
    };
    let view =
        |c: &Centre| json!({ "name": c.name, "address": c.address, "opening_hours": hours_json(&c.opening_hours) });
    let rec = record(
        p,
        app.clock.now(),
        old.organisation_id,
        "centre.updated",
        "centre",
        id,
        json!({ "changes": changes(&view(&old), &view(&new)) }),
    );
    app.store.update_centre(&new, f.version, &[rec]).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}

/// Parses a form date (`YYYY-MM-DD`).
fn date(raw: &str, field: &'static str) -> Result<Date, AppError> {
    raw.trim().parse().map_err(|_| AppError::Field { field, code: "invalid_date_field" })
}

/// Closes the centre on whole local days `from`..=`to`.
pub async fn add_closure(
    app: &App,
    p: &Principal,
    id: CentreId,
    from: &str,
    to: &str,
    reason: &str,
) -> Result<(), AppError> {
    let (centre, target) = centre_home(app, id).await?;
    p.authorize(Permission::ManageCentre, target)?;
    let (first, last) = (date(from, "from")?, date(to, "to")?);
    if last < first {
        return Err(AppError::Field { field: "to", code: "end_before_start" });
    }
    if first.until(last).map(|s| s.get_days()).unwrap_or(i32::MAX) > 366 {
        return Err(AppError::Field { field: "to", code: "too_long_period" });
    }
    let zone = tz();
    let start = zone.to_timestamp(first.to_datetime(jiff::civil::Time::midnight()));
    let end = last.checked_add(1.day()).map(|d| zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())));
    let (Ok(start), Ok(Ok(end))) = (start, end) else {
        return Err(AppError::Field { field: "from", code: "invalid_date_field" });
    };
    let when = Interval::new(start, end).ok_or(AppError::Field { field: "to", code: "end_before_start" })?;
    let closure = Closure {
        id: uuid::Uuid::from_bytes(random_bytes()),
        centre_id: id,
        when,
        reason: line(reason, "reason", 200)?,
    };
    let d = json!({ "from": first.to_string(), "to": last.to_string(), "reason": closure.reason });
    let rec = record(p, app.clock.now(), centre.organisation_id, "centre.closure_added", "centre", id, d);
    app.store.add_closure_audited(&closure, &[rec]).await?;
    app.invalidate_availability();
    Ok(())
}

pub async fn remove_closure(app: &App, p: &Principal, id: CentreId, closure: uuid::Uuid) -> Result<(), AppError> {
    let (centre, target) = centre_home(app, id).await?;
    p.authorize(Permission::ManageCentre, target)?;
    let rec = record(
        p,
        app.clock.now(),
        centre.organisation_id,
        "centre.closure_removed",
        "centre",
        id,
        json!({ "closure": closure.to_string() }),
    );
    if !app.store.remove_closure(id, closure, &[rec]).await? {
        return Err(AppError::NotFound("closure"));
    }
    app.invalidate_availability();
    Ok(())
}

// ------------------------------------------------------------------------------ queues

#[derive(Clone, Debug, Default)]
pub struct QueueForm {
    pub name_da: String,
    pub name_en: String,
    /// The ticket prefix: 1–3 capital letters.
    pub prefix: String,
    pub version: i64,
}

fn queue_fields(f: &QueueForm) -> Result<(String, String, String), AppError> {
    let prefix = f.prefix.trim().to_uppercase();
    if prefix.is_empty() || prefix.chars().count() > 3 || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::Field { field: "prefix", code: "invalid_prefix" });
    }
    Ok((line(&f.name_da, "name_da", 80)?, line(&f.name_en, "name_en", 80)?, prefix))
}

fn queue_json(q: &Queue) -> Value {
    json!({ "name_da": q.name_da, "name_en": q.name_en, "prefix": q.prefix })
}

pub async fn create_queue(app: &App, p: &Principal, centre: CentreId, f: &QueueForm) -> Result<QueueId, AppError> {
    let (c, target) = centre_home(app, centre).await?;
    p.authorize(Permission::ManageCentre, target)?;
    let (name_da, name_en, prefix) = queue_fields(f)?;
    let q = Queue { id: QueueId::from_random_bytes(random_bytes()), centre_id: centre, name_da, name_en, prefix };
    let rec = record(p, app.clock.now(), c.organisation_id, "queue.created", "queue", q.id, queue_json(&q));
    app.store.create_queue_audited(&q, &[rec]).await?;
    Ok(q.id)
}

pub async fn update_queue(app: &App, p: &Principal, id: QueueId, f: &QueueForm) -> Result<(), AppError> {
    let centre = object_centre(app, p, AdminObject::Queue, id.as_uuid()).await?;
    let old = app
        .store
        .list_queues(centre.id)
        .await?
        .into_iter()
        .find(|q| q.value.id == id)
        .ok_or(AppError::NotFound("queue"))?;
    let (name_da, name_en, prefix) = queue_fields(f)?;
    let new = Queue { name_da, name_en, prefix, ..old.value.clone() };
    let d = json!({ "changes": changes(&queue_json(&old.value), &queue_json(&new)) });
    let rec = record(p, app.clock.now(), centre.organisation_id, "queue.updated", "queue", id, d);
    app.store.update_queue(&new, f.version, &[rec]).await.map_err(stale)?;
    Ok(())
}

// ------------------------------------------------------------------------------ services

#[derive(Clone, Debug, Default)]
pub struct ServiceForm {
    pub name_da: String,
    pub name_en: String,
    pub queue: String,
    pub duration_minutes: String,
    pub buffer_minutes: String,
    pub capacity: String,
    pub min_notice_minutes: String,
    pub horizon_days: String,
    pub online_bookable: bool,
    pub sensitivity: String,
    pub version: i64,
}

fn service_json(s: &Service) -> Value {
    json!({
        "name_da": s.name_da, "name_en": s.name_en, "queue": s.queue_id.to_string(),
        "duration_minutes": s.rules.duration_minutes(), "buffer_minutes": s.rules.buffer_minutes(),
        "capacity": s.rules.capacity(), "min_notice_minutes": s.rules.min_notice_minutes(),
        "horizon_days": s.rules.horizon_days(), "online_bookable": s.rules.online_bookable(),
        "sensitivity": s.sensitivity.as_str(),
    })
}

/// The service a form describes, for `centre` (the queue must be one of the centre's).
async fn service_from_form(app: &App, id: ServiceId, centre: CentreId, f: &ServiceForm) -> Result<Service, AppError> {
    let name_da = line(&f.name_da, "name_da", 120)?;
    let name_en = line(&f.name_en, "name_en", 120)?;
    let queue_id: QueueId =
        f.queue.trim().parse().map_err(|_| AppError::Field { field: "queue", code: "invalid_queue" })?;
    if !app.store.list_queues(centre).await?.iter().any(|q| q.value.id == queue_id) {
        return Err(AppError::Field { field: "queue", code: "invalid_queue" });
    }
    let capacity = u16::try_from(number(&f.capacity, "capacity")?)
        .map_err(|_| AppError::Field { field: "capacity", code: "invalid_capacity" })?;
    let rules = ServiceRules::new(
        number(&f.duration_minutes, "duration_minutes")?,
        number(&f.buffer_minutes, "buffer_minutes")?,
        capacity,
        number(&f.min_notice_minutes, "min_notice_minutes")?,
        number(&f.horizon_days, "horizon_days")?,
        f.online_bookable,
    )
    .map_err(|e| {
        use skranke_core::service::ServiceRulesError as E;
        let field = match e {
            E::Duration => "duration_minutes",
            E::Buffer => "buffer_minutes",
            E::Capacity => "capacity",
            E::MinNotice => "min_notice_minutes",
            E::Horizon => "horizon_days",
        };
        AppError::Field { field, code: e.code() }
    })?;
    let sensitivity = Sensitivity::parse(f.sensitivity.trim())
        .ok_or(AppError::Field { field: "sensitivity", code: "invalid_sensitivity" })?;
    Ok(Service { id, centre_id: centre, queue_id, name_da, name_en, rules, sensitivity })
}

pub async fn create_service(
    app: &App,
    p: &Principal,
    centre: CentreId,
    f: &ServiceForm,
) -> Result<ServiceId, AppError> {
    let (c, target) = centre_home(app, centre).await?;
    p.authorize(Permission::ManageCentre, target)?;
    let s = service_from_form(app, ServiceId::from_random_bytes(random_bytes()), centre, f).await?;
    let rec = record(p, app.clock.now(), c.organisation_id, "service.created", "service", s.id, service_json(&s));
    app.store.create_service_audited(&s, &[rec]).await?;
    app.invalidate_availability();
    Ok(s.id)
}

/// The service with its version, for the edit form.
pub async fn service(app: &App, p: &Principal, id: ServiceId) -> Result<(Centre, Versioned<Service>), AppError> {
    let centre = object_centre(app, p, AdminObject::Service, id.as_uuid()).await?;
    let s = app
        .store
        .list_services_versioned(centre.id)
        .await?
        .into_iter()
        .find(|s| s.value.id == id)
        .ok_or(AppError::NotFound("service"))?;
    Ok((centre, s))
}

pub async fn update_service(app: &App, p: &Principal, id: ServiceId, f: &ServiceForm) -> Result<(), AppError> {
    let (centre, old) = service(app, p, id).await?;
    let new = service_from_form(app, id, centre.id, f).await?;
    let d = json!({ "changes": changes(&service_json(&old.value), &service_json(&new)) });
    let rec = record(p, app.clock.now(), centre.organisation_id, "service.updated", "service", id, d);
    app.store.update_service(&new, f.version, &[rec]).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}

// ------------------------------------------------------------------------------ staff

#[derive(Clone, Debug, Default)]
pub struct StaffForm {
    pub name: String,
    /// Work address; empty for none. Must lie in the organisation's own domains (RS-10).
    pub email: String,
    pub hours: [String; 7],
    pub services: Vec<String>,
    pub version: i64,
}

fn staff_json(s: &StaffAdmin) -> Value {
    let mut services: Vec<String> = s.member.services.iter().map(ToString::to_string).collect();
    services.sort();
    json!({ "name": s.member.name, "email": s.email, "schedule": hours_json(&s.member.schedule), "services": services })
}

async fn staff_from_form(app: &App, id: StaffId, centre: &Centre, f: &StaffForm) -> Result<StaffAdmin, AppError> {
    let name = line(&f.name, "name", 120)?;
    let email = if f.email.trim().is_empty() {
        None
    } else {
        let domains = app.store.organisation_mail_domains(centre.organisation_id).await?.unwrap_or_default();
        Some(email_in_domains(&f.email, &domains)?)
    };
    let offered: Vec<ServiceId> = app.store.list_services(centre.id).await?.into_iter().map(|s| s.id).collect();
    let mut services = Vec::new();
    for raw in &f.services {
        let sid: ServiceId =
            raw.trim().parse().map_err(|_| AppError::Field { field: "services", code: "invalid_service" })?;
        if !offered.contains(&sid) {
            return Err(AppError::Field { field: "services", code: "invalid_service" });
        }
        if !services.contains(&sid) {
            services.push(sid);
        }
    }
    let schedule = parse_hours(&f.hours)?;
    Ok(StaffAdmin { member: StaffMember { id, centre_id: centre.id, name, schedule, services }, email })
}

pub async fn create_staff(app: &App, p: &Principal, centre: CentreId, f: &StaffForm) -> Result<StaffId, AppError> {
    let (c, target) = centre_home(app, centre).await?;
    p.authorize(Permission::ManageCentre, target)?;
    let s = staff_from_form(app, StaffId::from_random_bytes(random_bytes()), &c, f).await?;
    let rec = record(p, app.clock.now(), c.organisation_id, "staff.created", "staff", s.member.id, staff_json(&s));
    app.store.create_staff_audited(&s, &[rec]).await?;
    app.invalidate_availability();
    Ok(s.member.id)
}

/// The staff member with version and coming absences, for the edit form.
pub async fn staff(
    app: &App,
    p: &Principal,
    id: StaffId,
) -> Result<(Centre, Versioned<StaffAdmin>, Vec<Absence>), AppError> {
    let centre = object_centre(app, p, AdminObject::Staff, id.as_uuid()).await?;
    let s = app
        .store
        .list_staff(centre.id)
        .await?
        .into_iter()
        .find(|s| s.value.member.id == id)
        .ok_or(AppError::NotFound("staff"))?;
    let absences = app.store.list_absences(id, app.clock.now()).await?;
    Ok((centre, s, absences))
}

pub async fn update_staff(app: &App, p: &Principal, id: StaffId, f: &StaffForm) -> Result<(), AppError> {
    let (centre, old, _) = staff(app, p, id).await?;
    let new = staff_from_form(app, id, &centre, f).await?;
    let d = json!({ "changes": changes(&staff_json(&old.value), &staff_json(&new)) });
    let rec = record(p, app.clock.now(), centre.organisation_id, "staff.updated", "staff", id, d);
    app.store.update_staff(&new, f.version, &[rec]).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}

/// Parses a form `datetime-local` value (`YYYY-MM-DDTHH:MM`) as Copenhagen time.
fn local_instant(raw: &str, field: &'static str) -> Result<Timestamp, AppError> {
    let dt: DateTime = raw.trim().parse().map_err(|_| AppError::Field { field, code: "invalid_datetime" })?;
    tz().to_timestamp(dt).map_err(|_| AppError::Field { field, code: "invalid_datetime" })
}

pub async fn add_absence(app: &App, p: &Principal, id: StaffId, from: &str, to: &str) -> Result<(), AppError> {
    let centre = object_centre(app, p, AdminObject::Staff, id.as_uuid()).await?;
    let (start, end) = (local_instant(from, "from")?, local_instant(to, "to")?);
    let when = Interval::new(start, end).ok_or(AppError::Field { field: "to", code: "end_before_start" })?;
    if when.end().duration_since(when.start()) > jiff::SignedDuration::from_hours(24 * 366) {
        return Err(AppError::Field { field: "to", code: "too_long_period" });
    }
    let absence = Absence { id: uuid::Uuid::from_bytes(random_bytes()), staff_id: id, when };
    let d = json!({ "from": start.to_string(), "to": end.to_string() });
    let rec = record(p, app.clock.now(), centre.organisation_id, "staff.absence_added", "staff", id, d);
    app.store.add_absence_audited(&absence, &[rec]).await?;
    app.invalidate_availability();
    Ok(())
}

pub async fn remove_absence(app: &App, p: &Principal, id: StaffId, absence: uuid::Uuid) -> Result<(), AppError> {
    let centre = object_centre(app, p, AdminObject::Staff, id.as_uuid()).await?;
    let rec = record(
        p,
        app.clock.now(),
        centre.organisation_id,
        "staff.absence_removed",
        "staff",
        id,
        json!({ "absence": absence.to_string() }),
    );
    if !app.store.remove_absence(id, absence, &[rec]).await? {
        return Err(AppError::NotFound("absence"));
    }
    app.invalidate_availability();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_only_what_differs() {
        let old = json!({ "a": 1, "b": "x", "c": [1, 2] });
        let new = json!({ "a": 1, "b": "y", "c": [1, 2, 3] });
        assert_eq!(
            changes(&old, &new),
            json!({ "b": { "old": "x", "new": "y" }, "c": { "old": [1, 2], "new": [1, 2, 3] } })
        );
        assert_eq!(changes(&old, &old), json!({}));
    }

    #[test]
    fn hours_round_trip_and_errors_name_the_day() {
        let mut days: [String; 7] = Default::default();
        days[0] = "09:00-12:00, 13:00-15:30".into();
        days[3] = "09:00-17:30".into();
        let h = parse_hours(&days).unwrap();
        assert_eq!(hours_text(&h, Weekday::Monday), "09:00-12:00, 13:00-15:30");
        assert_eq!(hours_text(&h, Weekday::Sunday), "");
        days[2] = "10:00-09:00".into();
        assert!(matches!(parse_hours(&days), Err(AppError::Field { field: "hours_wed", code: "empty_range" })));
        days[2] = "09:00-12:00, 11:00-13:00".into();
        assert!(matches!(parse_hours(&days), Err(AppError::Field { field: "hours_wed", code: "overlap" })));
        days[2] = "9-ish".into();
        assert!(matches!(parse_hours(&days), Err(AppError::Field { field: "hours_wed", code: "unreadable_time" })));
        days[2] = "09:03-12:00".into();
        assert!(matches!(parse_hours(&days), Err(AppError::Field { field: "hours_wed", code: "off_grid" })));
    }
}
