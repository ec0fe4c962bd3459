//! One centre: its settings, opening hours, closed days and dated closures, and the page that
//! lists everything of it.

use jiff::ToSpan;
use serde_json::json;
use skranke_core::Interval;
use skranke_core::change::Changes;
use skranke_core::ids::{CentreId, ServiceId, StaffId};

use super::form::{closed_days_json, date, hours_json, line, parse_closed_days, parse_hours, start_of};
use super::{App, AppError, Principal, manage, managed_centre, record, stale, zone};
use crate::app::random_bytes;
use crate::store::{Centre, Closure, ObjectKey, Queue, Service, StaffAdmin, Store as _, Versioned};

/// Everything of one centre the administration page shows.
#[derive(Debug)]
pub struct CentreSetup {
    pub centre: Versioned<Centre>,
    /// The organisation's time zone (IANA name): show instants in it.
    pub timezone: String,
    /// Closures that have not ended yet, by start.
    pub closures: Vec<Closure>,
    pub queues: Vec<Versioned<Queue>>,
    /// Active and deactivated services; the latter are also in `inactive_services`.
    pub services: Vec<Versioned<Service>>,
    /// Active and deactivated staff members; the latter are also in `inactive_staff`.
    pub staff: Vec<Versioned<StaffAdmin>>,
    pub inactive_services: Vec<ServiceId>,
    pub inactive_staff: Vec<StaffId>,
}

/// The centre page (`ManageCentre`). `NotFound` for an unknown or foreign centre.
pub async fn centre_setup(app: &App, p: &Principal, id: CentreId) -> Result<CentreSetup, AppError> {
    let view = managed_centre(app, p, id).await?;
    let centre = app
        .store
        .organisation_centres(view.centre.organisation_id)
        .await?
        .into_iter()
        .find(|c| c.value.id == id)
        .ok_or(AppError::NotFound("centre"))?;
    let services = app.store.list_service_entries(id).await?;
    let staff = app.store.list_staff_entries(id).await?;
    Ok(CentreSetup {
        centre,
        timezone: view.timezone,
        closures: app.store.list_closures(id, app.clock.now()).await?,
        queues: app.store.list_queues(id).await?,
        inactive_services: services.iter().filter(|s| !s.value.active).map(|s| s.value.service.id).collect(),
        inactive_staff: staff.iter().filter(|s| !s.value.active).map(|s| s.value.staff.member.id).collect(),
        services: services.into_iter().map(|s| Versioned { value: s.value.service, version: s.version }).collect(),
        staff: staff.into_iter().map(|s| Versioned { value: s.value.staff, version: s.version }).collect(),
    })
}

/// What the centre form sends.
#[derive(Clone, Debug, Default)]
pub struct CentreForm {
    /// 1–120 characters.
    pub name: String,
    /// 1–200 characters.
    pub address: String,
    /// Opening hours per weekday, Monday first (`09:00-12:00, 13:00-15:00`; empty = closed).
    pub hours: [String; 7],
    pub version: i64,
}

/// Name, address and opening hours (`ManageCentre`). Errors: `Invalid` on `name`/`address`,
/// `Field` on `hours_mon`…`hours_sun` (unreadable, off the 5-minute grid, overlapping), `Stale`.
pub async fn update_centre(app: &App, p: &Principal, id: CentreId, f: &CentreForm) -> Result<(), AppError> {
    let old = managed_centre(app, p, id).await?.centre;
    let new = Centre {
        name: line(&f.name, "name", 120)?,
        address: line(&f.address, "address", 200)?,
        opening_hours: parse_hours(&f.hours)?,
        ..old.clone()
    };
    let view =
        |c: &Centre| json!({ "name": c.name, "address": c.address, "opening_hours": hours_json(&c.opening_hours) });
    save_centre(app, p, &old, &new, Changes::between(&view(&old), &view(&new)), f.version).await
}

/// What the closed-days form sends.
#[derive(Clone, Debug, Default)]
pub struct ClosedDaysForm {
    /// Close on every Danish public holiday.
    pub public_holidays: bool,
    /// Days closed every year, day/month: `5/6, 24/12, 31/12`.
    pub recurring: String,
    pub version: i64,
}

/// The days a centre is closed every year (`ManageCentre`). Errors: `Field` on `closed_days`
/// (`admin.invalid_closed_day`, `admin.too_many_closed_days`), `Stale`.
pub async fn update_closed_days(app: &App, p: &Principal, id: CentreId, f: &ClosedDaysForm) -> Result<(), AppError> {
    let old = managed_centre(app, p, id).await?.centre;
    let new = Centre { closed_days: parse_closed_days(f.public_holidays, &f.recurring)?, ..old.clone() };
    let view = |c: &Centre| json!({ "closed_days": closed_days_json(&c.closed_days) });
    save_centre(app, p, &old, &new, Changes::between(&view(&old), &view(&new)), f.version).await
}

async fn save_centre(
    app: &App,
    p: &Principal,
    old: &Centre,
    new: &Centre,
    changes: Changes,
    version: i64,
) -> Result<(), AppError> {
    if changes.is_empty() {
        return Ok(());
    }
    let detail = json!({ "changes": changes.into_value() });
    let rec = record(p, app.clock.now(), old.organisation_id, "centre.updated", "centre", old.id, detail)?;
    app.store.update_centre(new, version, &[rec]).await.map_err(stale)?;
    app.invalidate_availability();
    Ok(())
}

/// Closes the centre on whole local days `from`..=`to` (`YYYY-MM-DD`, in the organisation's time
/// zone) for `reason` (1–200 characters), `ManageCentre`. Errors: `Field` on `from`/`to`
/// (`invalid_date_field`, `end_before_start`, `too_long_period` beyond a year,
/// `admin.in_the_past` when it has already ended), `Invalid` on `reason`.
pub async fn add_closure(
    app: &App,
    p: &Principal,
    id: CentreId,
    from: &str,
    to: &str,
    reason: &str,
) -> Result<(), AppError> {
    let view = managed_centre(app, p, id).await?;
    let tz = zone(&view.timezone);
    let (first, last) = (date(from, "from")?, date(to, "to")?);
    if last < first {
        return Err(AppError::Field { field: "to", code: "end_before_start" });
    }
    if first.until(last).map(|s| s.get_days()).unwrap_or(i32::MAX) > 366 {
        return Err(AppError::Field { field: "to", code: "too_long_period" });
    }
    let after = last.checked_add(1.day()).map_err(|_| AppError::Field { field: "to", code: "invalid_date_field" })?;
    let (start, end) = (start_of(first, &tz, "from")?, start_of(after, &tz, "to")?);
    if end <= app.clock.now() {
        return Err(AppError::Field { field: "to", code: "admin.in_the_past" });
    }
    let when = Interval::new(start, end).ok_or(AppError::Field { field: "to", code: "end_before_start" })?;
    let closure = Closure {
        id: uuid::Uuid::from_bytes(random_bytes()),
        centre_id: id,
        when,
        reason: line(reason, "reason", 200)?,
    };
    let detail = json!({
        "closure": closure.id.to_string(),
        "changes": Changes::created(&closure_json(&closure)).into_value(),
    });
    let rec = record(p, app.clock.now(), view.centre.organisation_id, "centre.closure_added", "centre", id, detail)?;
    app.store.add_closure_audited(&closure, &[rec]).await?;
    app.invalidate_availability();
    Ok(())
}

/// A closure for its audit entries: the stored instants (UTC), so adding and removing read alike.
fn closure_json(c: &Closure) -> serde_json::Value {
    json!({ "starts_at": c.when.start().to_string(), "ends_at": c.when.end().to_string(), "reason": c.reason })
}

/// Removes a closure of centre `id` (`ManageCentre`, checked at the closure's stored centre).
/// `NotFound` when the closure does not exist or is not this centre's.
pub async fn remove_closure(app: &App, p: &Principal, id: CentreId, closure: uuid::Uuid) -> Result<(), AppError> {
    let home = manage(app, p, ObjectKey::Closure(closure), "closure").await?;
    let stored = app.store.get_closure(closure).await?.ok_or(AppError::NotFound("closure"))?;
    if home.centre != id || stored.centre_id != id {
        return Err(AppError::NotFound("closure"));
    }
    let detail = json!({
        "closure": closure.to_string(),
        "changes": Changes::between(&closure_json(&stored), &serde_json::Value::Null).into_value(),
    });
    let rec = record(p, app.clock.now(), home.organisation, "centre.closure_removed", "centre", id, detail)?;
    if !app.store.remove_closure(id, closure, &[rec]).await? {
        return Err(AppError::NotFound("closure"));
    }
    app.invalidate_availability();
    Ok(())
}
