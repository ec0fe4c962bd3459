//! Citizens' rights (issue 7, point 5): everything Skranke holds about the citizen of a booking
//! (GDPR Art. 15), for the citizen through the booking's manage link or for a staff member at the
//! booking's centre on the citizen's request; and erasure on request (Art. 17) of what need not
//! stay, with the reason for what does. Every export and erasure is audited.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use skranke_core::access::{Permission, Target};
use skranke_core::audit::{Actor, AuditRecord};
use skranke_core::booking::AppointmentStatus;
use skranke_core::ids::AppointmentId;

use super::accounts::{action, detail, object};
use super::{App, AppError, Principal};
use crate::store::{Appointment, CitizenAddress, CitizenMessage, CitizenVisit, Store};

/// The booking as the citizen reads it.
#[derive(Debug, Clone, Serialize)]
pub struct BookingData {
    pub reference: String,
    pub status: &'static str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub centre: String,
    /// The centre's time zone (IANA name), in which the times are meant.
    pub timezone: String,
    pub service: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: &'static str,
    pub created_at: Timestamp,
}

/// What stays after an erasure, and why (catalogue keys `rights.kept.<what>`).
pub const KEPT_AFTER_ERASURE: [&str; 3] = ["booking", "message_records", "audit"];

/// Everything held about the citizen of one booking.
#[derive(Debug, Clone, Serialize)]
pub struct CitizenExport {
    /// The data controller.
    pub controller: String,
    pub generated_at: Timestamp,
    pub booking: BookingData,
    pub addresses: Vec<CitizenAddress>,
    pub messages: Vec<CitizenMessage>,
    pub visits: Vec<CitizenVisit>,
    /// Whether the citizen's identity on the booking is already anonymised.
    pub anonymised: bool,
    /// Whether the booking is still to come, so erasure waits for a cancellation.
    #[serde(skip)]
    pub must_cancel_first: bool,
}

/// A confirmed booking not yet over is cancelled before its citizen's data can be erased:
/// erasing it would leave a time nobody can be called for.
fn still_to_come(a: &Appointment, now: Timestamp) -> bool {
    a.status_at(now) == AppointmentStatus::Confirmed && a.slot.end() > now
}

fn status_name(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Held => "held",
        AppointmentStatus::Confirmed => "confirmed",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::Expired => "expired",
    }
}

async fn export_of(app: &App, a: &Appointment) -> Result<(CitizenExport, skranke_core::ids::OrganisationId), AppError> {
    let centre = app.store.get_centre(a.centre_id).await?.ok_or(AppError::NotFound("booking"))?;
    let service = app.store.get_service(a.service_id).await?.map(|s| s.name_da).unwrap_or_default();
    let controller =
        app.store.get_organisation(centre.centre.organisation_id).await?.map(|o| o.value.name).unwrap_or_default();
    let record = app.store.citizen_record(a.id).await?;
    let name = (!a.citizen_name.is_empty()).then(|| a.citizen_name.clone());
    let export = CitizenExport {
        controller,
        generated_at: app.clock.now(),
        booking: BookingData {
            reference: a.reference.to_string(),
            status: status_name(a.status_at(app.clock.now())),
            starts_at: a.slot.start(),
            ends_at: a.slot.end(),
            centre: centre.centre.name.clone(),
            timezone: centre.timezone.clone(),
            service,
            name: name.clone(),
            email: a.citizen_email.clone(),
            phone: a.citizen_phone.clone(),
            language: a.language.code(),
            created_at: a.created_at,
        },
        addresses: record.addresses,
        messages: record.messages,
        visits: record.visits,
        anonymised: name.is_none() && a.citizen_email.is_none() && a.citizen_phone.is_none(),
        must_cancel_first: still_to_come(a, app.clock.now()),
    };
    Ok((export, centre.centre.organisation_id))
}

fn audit(
    app: &App,
    org: skranke_core::ids::OrganisationId,
    actor: Actor,
    name: &str,
    id: AppointmentId,
    via: &str,
) -> AuditRecord {
    AuditRecord {
        at: app.clock.now(),
        organisation: Some(org),
        actor,
        action: action(name),
        object: object("appointment", id),
        detail: detail(json!({ "via": via })),
    }
}

/// The citizen's own export, through the booking's manage link.
///
/// # Errors
/// `InvalidToken` / `NotFound` as the manage pages.
pub async fn export_for_holder(app: &App, id: AppointmentId, token: Option<&str>) -> Result<CitizenExport, AppError> {
    let a = app.booking_for_holder(id, token).await?;
    let (export, org) = export_of(app, &a).await?;
    // The citizen is not a user: the entry names nobody, the booking is the object.
    app.store.append_audit(&[audit(app, org, Actor::Anonymous, "citizen.data_exported", id, "manage_link")]).await?;
    Ok(export)
}

/// A staff member's export on the citizen's request, by booking reference, at the booking's
/// centre (`ViewCitizenDetails` there).
///
/// # Errors
/// `NotFound` for an unknown reference or one of another organisation; `Forbidden` without the
/// permission at the booking's centre.
pub async fn export_by_staff(app: &App, p: &Principal, reference: &str) -> Result<CitizenExport, AppError> {
    let (a, org) = staff_booking(app, p, reference, Permission::ViewCitizenDetails).await?;
    let (export, _) = export_of(app, &a).await?;
    app.store.append_audit(&[audit(app, org, p.actor(), "citizen.data_exported", a.id, "staff")]).await?;
    Ok(export)
}

/// The booking with `reference` and its organisation, for a staff member with `permission` at its
/// centre: 404 for an unknown reference or one of another organisation, 403 without it.
async fn staff_booking(
    app: &App,
    p: &Principal,
    reference: &str,
    permission: Permission,
) -> Result<(Appointment, skranke_core::ids::OrganisationId), AppError> {
    let reference = skranke_core::reference::BookingReference::parse(reference.trim())
        .map_err(|_| AppError::Field { field: "reference", code: "reference_invalid" })?;
    let a = app.store.appointment_by_reference(reference.as_str()).await?.ok_or(AppError::NotFound("booking"))?;
    let centre = app.store.get_centre(a.centre_id).await?.ok_or(AppError::NotFound("booking"))?;
    let org = centre.centre.organisation_id;
    if p.organisation != Some(org) {
        return Err(AppError::NotFound("booking"));
    }
    p.authorize(permission, Target::Centre { organisation: org, centre: a.centre_id })?;
    Ok((a, org))
}

/// Erasure on the citizen's request (Art. 17): the name, e-mail and phone on the booking, the
/// booking's address, and the recipient of its messages go now. The booking's time, service and
/// status stay (statistics; they no longer identify anyone), as do the records that messages
/// were sent (breach scoping, [`KEPT_AFTER_ERASURE`]) and the audit log (accountability), whose
/// pseudonyms of the booking's addresses no longer resolve.
/// A booking still to come must be cancelled first.
///
/// # Errors
/// `InvalidToken` / `NotFound`; `rights_cancel_first` for a confirmed booking not yet over.
pub async fn erase_for_holder(app: &App, id: AppointmentId, token: Option<&str>) -> Result<(), AppError> {
    let a = app.booking_for_holder(id, token).await?;
    let centre = app.store.get_centre(a.centre_id).await?.ok_or(AppError::NotFound("booking"))?;
    erase(app, &a, centre.centre.organisation_id, Actor::Anonymous, "manage_link").await
}

/// The same erasure when the citizen asks the municipality (by letter, at the desk) rather than
/// through the booking's page: by booking reference, by a staff member who may manage the
/// booking's appointments (`ManageAppointments` at its centre, as for cancelling it), audited
/// with who did it.
///
/// # Errors
/// As [`export_by_staff`], and `rights_cancel_first` for a confirmed booking not yet over.
pub async fn erase_by_staff(app: &App, p: &Principal, reference: &str) -> Result<(), AppError> {
    let (a, org) = staff_booking(app, p, reference, Permission::ManageAppointments).await?;
    erase(app, &a, org, p.actor(), "staff").await
}

async fn erase(
    app: &App,
    a: &Appointment,
    org: skranke_core::ids::OrganisationId,
    actor: Actor,
    via: &str,
) -> Result<(), AppError> {
    if still_to_come(a, app.clock.now()) {
        return Err(AppError::Field { field: "booking", code: "rights_cancel_first" });
    }
    let id = a.id;
    // The audit's pseudonyms of the booking's addresses stop naming the citizen too.
    let held = app.store.citizen_record(id).await?;
    let mut pseudonyms = Vec::new();
    for address in a.citizen_email.iter().chain(held.addresses.iter().map(|h| &h.address)) {
        if address.split_once('@').is_some_and(|(local, _)| !local.is_empty()) {
            pseudonyms.push(app.address_pseudonym(Some(org), address).await?);
        }
    }
    let record = audit(app, org, actor, "citizen.data_erased", id, via);
    app.store.erase_booking_identity(id, &pseudonyms, &[record]).await?;
    Ok(())
}
