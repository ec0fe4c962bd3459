//! A centre's services: names, queue, slot rules, sensitivity; deactivation.

use serde_json::{Value, json};
use skranke_core::change::Changes;
use skranke_core::ids::{CentreId, QueueId, ServiceId, StaffId};
use skranke_core::service::{Sensitivity, ServiceRules, ServiceRulesError};

use super::form::{line, number};
use super::{App, AppError, Principal, manage, managed_centre, record, stale};
use crate::app::random_bytes;
use crate::store::{Centre, ObjectKey, Service, ServiceEntry, Store as _, Versioned};

/// What the service form sends.
#[derive(Clone, Debug, Default)]
pub struct ServiceForm {
    /// 1–120 characters each.
    pub name_da: String,
    pub name_en: String,
    /// The id of one of the centre's queues.
    pub queue: String,
    /// Whole numbers within `ServiceRules`' limits (duration 5–480 on the 5-minute grid, …).
    pub duration_minutes: String,
    pub buffer_minutes: String,
    pub capacity: String,
    pub min_notice_minutes: String,
    pub horizon_days: String,
    pub online_bookable: bool,
    /// `normal`, `confidential` or `sensitive` (RS-02: only `normal` is named in citizen mail).
    pub sensitivity: String,
    pub version: i64,
}

/// A service with its centre, for the edit form.
#[derive(Clone, Debug)]
pub struct ServiceDetails {
    pub centre: Centre,
    pub service: Versioned<ServiceEntry>,
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
        let field = match e {
            ServiceRulesError::Duration => "duration_minutes",
            ServiceRulesError::Buffer => "buffer_minutes",
            ServiceRulesError::Capacity => "capacity",
            ServiceRulesError::MinNotice => "min_notice_minutes",
            ServiceRulesError::Horizon => "horizon_days",
        };
        AppError::Field { field, code: e.code() }
    })?;
    let sensitivity = Sensitivity::parse(f.sensitivity.trim())
        .ok_or(AppError::Field { field: "sensitivity", code: "invalid_sensitivity" })?;
    Ok(Service { id, centre_id: centre, queue_id, name_da, name_en, rules, sensitivity })
}

/// A new service of the centre (`ManageCentre`), active, given by no one yet. Errors: `Invalid`
/// on the names, `Field` on `queue`, the rule fields (`not_a_number`, `invalid_duration`, …) and
/// `sensitivity`. Names are stored as typed (escaping is the page's job).
pub async fn create_service(
    app: &App,
    p: &Principal,
    centre: CentreId,
    f: &ServiceForm,
) -> Result<ServiceId, AppError> {
    let view = managed_centre(app, p, centre).await?;
    let s = service_from_form(app, ServiceId::from_random_bytes(random_bytes()), centre, f).await?;
    let detail = json!({ "changes": Changes::created(&service_json(&s)).into_value() });
    let rec = record(p, app.clock.now(), view.centre.organisation_id, "service.created", "service", s.id, detail)?;
    app.store.create_service_audited(&s, &[rec]).await?;
    app.invalidate_availability();
    Ok(s.id)
}

/// The service with its version and whether it is active, and its centre (`ManageCentre`).
pub async fn service_details(app: &App, p: &Principal, id: ServiceId) -> Result<ServiceDetails, AppError> {
    let home = manage(app, p, ObjectKey::Service(id), "service").await?;
    let centre = app.store.get_centre(home.centre).await?.ok_or(AppError::NotFound("service"))?.centre;
    let service = app.store.get_service_entry(id).await?.ok_or(AppError::NotFound("service"))?;
    Ok(ServiceDetails { centre, service })
}

/// [`service_details`] without the active flag, as the edit page reads it.
pub async fn service(app: &App, p: &Principal, id: ServiceId) -> Result<(Centre, Versioned<Service>), AppError> {
    let d = service_details(app, p, id).await?;
    Ok((d.centre, Versioned { value: d.service.value.service, version: d.service.version }))
}

/// Changes a service (`ManageCentre` at its centre; the centre itself never changes). Errors as
/// [`create_service`], and `Stale`.
pub async fn update_service(app: &App, p: &Principal, id: ServiceId, f: &ServiceForm) -> Result<(), AppError> {
    let d = service_details(app, p, id).await?;
    let old = &d.service.value.service;
    let new = service_from_form(app, id, d.centre.id, f).await?;
    let changes = Changes::between(&service_json(old), &service_json(&new));
    if changes.is_empty() {
        return Ok(());
    }
    let detail = json!({ "changes": changes.into_value() });
    let rec = record(p, app.clock.now(), d.centre.organisation_id, "service.updated", "service", id, detail)?;
    app.store.update_service(&new, f.version, &[rec]).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}

/// Deactivates (`active = false`) or reactivates a service (`ManageCentre`). Deactivating takes it
/// from every staff member who gave it, so it has no free times; each of them gets an audit entry
/// (`staff.service_removed`) beside the service's own. Reactivating gives it back to no one:
/// assign staff again. Appointments already booked stay. Errors: `Stale`; setting the state it
/// already has changes nothing.
pub async fn set_service_active(
    app: &App,
    p: &Principal,
    id: ServiceId,
    active: bool,
    version: i64,
) -> Result<(), AppError> {
    let d = service_details(app, p, id).await?;
    if d.service.value.active == active {
        return Ok(());
    }
    let (org, now) = (d.centre.organisation_id, app.clock.now());
    let name = if active { "service.reactivated" } else { "service.deactivated" };
    let changes = Changes::between(&json!({ "active": !active }), &json!({ "active": active })).into_value();
    // Built inside the store's transaction from the links it removed, so the records name
    // exactly those. Only a list of hundreds of staff could outgrow a detail; the count is kept
    // then. The per-staff details are a few dozen bytes.
    let audit = |removed: &[StaffId]| {
        let given_by: Vec<String> = removed.iter().map(ToString::to_string).collect();
        let service_record =
            record(p, now, org, name, "service", id, json!({ "changes": changes, "given_by": given_by })).or_else(
                |_| {
                    let detail = json!({ "changes": changes, "given_by_count": removed.len() });
                    record(p, now, org, name, "service", id, detail)
                },
            );
        let staff_records = removed.iter().map(|staff| {
            let detail = json!({ "service": id.to_string(), "because": name });
            record(p, now, org, "staff.service_removed", "staff", staff, detail)
        });
        std::iter::once(service_record).chain(staff_records).filter_map(Result::ok).collect()
    };
    app.store.set_service_active(id, active, version, &audit).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}
