//! Administration use cases: the organisation (name, own mail domains), centres (name, address,
//! opening hours, closed days, closures), queues, services and staff members (schedule, work
//! address, services, absences). Pages and API handlers call these and nothing below them.
//!
//! Each one checks access first, with a target built from stored rows (never from request
//! parameters): `ManageOrganisation` at the organisation for its settings and for new centres,
//! `ManageCentre` at the centre for everything of one centre. Then it validates, and writes the
//! change and its audit entry in one store transaction. The entry names the principal, the
//! organisation, an action such as `service.updated`, the object, and only what changed
//! (`{"changes": {"field": {"old": …, "new": …}}}`, see `skranke_core::change`). A save that
//! changes nothing writes nothing.
//!
//! # Errors, for the pages
//!
//! Every error is a 4xx, and none reveals another organisation's data:
//!
//! - `NotFound` — the id does not exist, or belongs to another organisation (one answer for both);
//! - `Forbidden` — inside one's own organisation, the role does not allow this here;
//! - `Invalid { field, error }` and `Field { field, code }` — one form field is refused: show the
//!   message next to `field` (`AppError::field()`); over-long values and control characters are
//!   refused this way;
//! - `Stale` — the form's `version` is not the stored one (someone saved first): reload the form;
//! - `AccountEmailNotOwn { resembles, suggestion }` — a work address outside the organisation's
//!   own mail domains (RS-10); `resembles` names the domain it looks like, `suggestion` the
//!   address probably meant (`fred.dk` → `fredericia.dk`);
//! - `DomainResembles { domain, resembles }` — a mail domain or work address that looks like a
//!   protected domain (RS-61): show who it is not, and a reason field; the same call with a
//!   written reason of at least [`MIN_REASON_CHARS`] characters keeps it, and the reason goes to
//!   the audit entry.

mod centre;
mod form;
mod organisation;
mod queue;
mod service;
mod staff;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;
use skranke_core::access::{Permission, Target};
use skranke_core::audit::{AuditRecord, Detail};
use skranke_core::ids::{CentreId, OrganisationId};

pub use centre::{
    CentreForm, CentreSetup, ClosedDaysForm, add_closure, centre_setup, remove_closure, update_centre,
    update_closed_days,
};
pub use form::{MIN_REASON_CHARS, WEEKDAYS, closed_days_text, hours_text, parse_closed_days, parse_hours};
pub use organisation::{OrganisationForm, centres_in_reach, create_centre, organisation, update_organisation};
pub use queue::{QueueForm, QueueRulesForm, create_desk, create_queue, update_queue, update_queue_rules};
pub use service::{
    ServiceDetails, ServiceForm, create_service, service, service_details, set_service_active, update_service,
};
pub use staff::{
    StaffDetails, StaffForm, WorkAddress, add_absence, create_staff, create_staff_with_reason, remove_absence,
    set_staff_active, staff, staff_details, update_staff, update_staff_with_reason,
};

use super::accounts::{action, object};
use super::{App, AppError, Principal};
use crate::store::{CentreView, ObjectKey, Store as _, StoreError};

/// Where an object lives, read from storage, once the principal may manage it.
#[derive(Clone, Copy, Debug)]
struct Home {
    organisation: OrganisationId,
    centre: CentreId,
}

/// Looks up the object's home and checks `ManageCentre` there. An unknown id and another
/// organisation's id get the same `NotFound`.
async fn manage(app: &App, p: &Principal, object: ObjectKey, what: &'static str) -> Result<Home, AppError> {
    let (organisation, centre) = app.store.home_of(object).await?.ok_or(AppError::NotFound(what))?;
    p.authorize(Permission::ManageCentre, Target::Centre { organisation, centre })?;
    Ok(Home { organisation, centre })
}

/// The centre (with its organisation's time zone), once the principal may manage it.
async fn managed_centre(app: &App, p: &Principal, id: CentreId) -> Result<CentreView, AppError> {
    let view = app.store.get_centre(id).await?.ok_or(AppError::NotFound("centre"))?;
    p.authorize(Permission::ManageCentre, Target::Centre { organisation: view.centre.organisation_id, centre: id })?;
    Ok(view)
}

/// The organisation's time zone; local dates and times on forms are read in it.
fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

/// An update's store error as the form should see it.
fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => AppError::Stale,
        StoreError::NotFound => AppError::NotFound("record"),
        other => other.into(),
    }
}

/// One audit record by the principal. A detail too large for the log (a form at every limit at
/// once) refuses the change rather than recording less than happened.
fn record(
    p: &Principal,
    at: Timestamp,
    org: OrganisationId,
    name: &str,
    kind: &str,
    id: impl ToString,
    detail: Value,
) -> Result<AuditRecord, AppError> {
    Ok(AuditRecord {
        at,
        organisation: Some(org),
        actor: p.actor(),
        action: action(name),
        object: object(kind, id),
        detail: Detail::new(detail).map_err(|_| AppError::BadRequest("admin.change_too_large"))?,
    })
}
