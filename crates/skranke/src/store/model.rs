//! Records the store reads and writes. Built from core types, so a record cannot hold a value the
//! core would refuse.

use jiff::Timestamp;
use skranke_core::Interval;
use skranke_core::booking::AppointmentStatus;
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::WeeklyHours;
use skranke_core::ids::{AddressId, AppointmentId, CentreId, MessageId, OrganisationId, QueueId, ServiceId, StaffId};
use skranke_core::reference::BookingReference;
use skranke_core::secret::SecretHash;
use skranke_core::service::{Sensitivity, ServiceRules};

#[derive(Clone, Debug)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    /// IANA time zone name, e.g. `Europe/Copenhagen`.
    pub timezone: String,
    pub mail_domains: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Centre {
    pub id: CentreId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub address: String,
    pub opening_hours: WeeklyHours,
    pub closed_days: ClosedDays,
}

/// A centre together with its organisation's time zone, as the public API shows it.
#[derive(Clone, Debug)]
pub struct CentreView {
    pub centre: Centre,
    pub timezone: String,
}

#[derive(Clone, Debug)]
pub struct Queue {
    pub id: QueueId,
    pub centre_id: CentreId,
    pub name_da: String,
    pub name_en: String,
    pub prefix: String,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub id: ServiceId,
    pub centre_id: CentreId,
    pub queue_id: QueueId,
    pub name_da: String,
    pub name_en: String,
    pub rules: ServiceRules,
    pub sensitivity: Sensitivity,
}

impl Service {
    pub fn name(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Da => &self.name_da,
            crate::i18n::Lang::En => &self.name_en,
        }
    }
}

#[derive(Clone, Debug)]
pub struct StaffMember {
    pub id: StaffId,
    pub centre_id: CentreId,
    pub name: String,
    pub schedule: WeeklyHours,
    pub services: Vec<ServiceId>,
}

#[derive(Clone, Debug)]
pub struct Appointment {
    pub id: AppointmentId,
    pub centre_id: CentreId,
    pub service_id: ServiceId,
    pub staff_id: Option<StaffId>,
    pub reference: BookingReference,
    pub manage_token_hash: SecretHash,
    /// As stored; use `status_at(now)` for what a citizen should see.
    pub status: AppointmentStatus,
    pub slot: Interval,
    pub occupied_until: Timestamp,
    pub citizen_name: String,
    pub citizen_email: Option<String>,
    pub citizen_phone: Option<String>,
    pub language: crate::i18n::Lang,
    pub hold_expires_at: Option<Timestamp>,
    pub code_hash: Option<SecretHash>,
    pub code_attempts: u8,
    pub created_at: Timestamp,
}

impl Appointment {
    pub fn status_at(&self, now: Timestamp) -> AppointmentStatus {
        self.status.effective(self.hold_expires_at, now)
    }
}

/// A booking about to be written: everything but the claims, which the store makes.
#[derive(Clone, Debug)]
pub struct NewAppointment {
    pub appointment: Appointment,
    /// Seats the service offers per slot.
    pub capacity: u16,
    /// Staff free for the slot, in the order to try them.
    pub candidate_staff: Vec<StaffId>,
}

/// An outbox row to write in the same transaction as the change that causes it.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub id: MessageId,
    pub appointment_id: Option<AppointmentId>,
    pub template: String,
    pub recipient: String,
    pub language: crate::i18n::Lang,
    /// JSON of the template's typed fields.
    pub payload: String,
    /// The organisation the message belongs to; for a message about an appointment the store
    /// fills it from the appointment's centre.
    pub organisation_id: Option<OrganisationId>,
    /// The registry record of the recipient. `None` for a message about an appointment: the store
    /// then files the citizen's address as the appointment's record (RS-13: unverified until the
    /// code is typed) and points the message at it.
    pub address_id: Option<AddressId>,
    pub purpose: skranke_core::notify::Purpose,
}

#[derive(Clone, Debug)]
pub struct OutboxMessage {
    pub id: MessageId,
    pub template: String,
    pub recipient: String,
    pub language: crate::i18n::Lang,
    pub payload: String,
    pub attempts: u32,
    pub appointment_id: Option<AppointmentId>,
    pub organisation_id: Option<OrganisationId>,
    pub address_id: Option<AddressId>,
    pub purpose: skranke_core::notify::Purpose,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    Sent,
    Held,
    Failed,
}

#[derive(Clone, Debug)]
pub struct DevMail {
    pub outbox_id: MessageId,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub delivered_at: Timestamp,
}

/// A configuration row with the version it was read at: an update names it, and a stale one is
/// refused (`StoreError::Conflict`) instead of silently overwriting someone else's change.
#[derive(Clone, Debug)]
pub struct Versioned<T> {
    pub value: T,
    pub version: i64,
}

/// A staff member as the administration pages see them: with their work address.
#[derive(Clone, Debug)]
pub struct StaffAdmin {
    pub member: StaffMember,
    /// Lowercase; in the organisation's own mail domains (checked by the use case).
    pub email: Option<String>,
}

/// A dated closure of a centre (on top of its weekly hours and closed days).
#[derive(Clone, Debug)]
pub struct Closure {
    pub id: uuid::Uuid,
    pub centre_id: CentreId,
    pub when: Interval,
    pub reason: String,
}

/// A staff member's absence.
#[derive(Clone, Debug)]
pub struct Absence {
    pub id: uuid::Uuid,
    pub staff_id: StaffId,
    pub when: Interval,
}

/// A service as the administration pages read it: with whether it is still offered.
#[derive(Clone, Debug)]
pub struct ServiceEntry {
    pub service: Service,
    /// `false` once deactivated: no staff member gives it, so it has no free times. Kept (not
    /// deleted) because appointments refer to it.
    pub active: bool,
}

/// A staff member as the administration pages read them: with the state that only dedicated
/// changes set (the written reason for a flagged work address, being active).
#[derive(Clone, Debug)]
pub struct StaffEntry {
    pub staff: StaffAdmin,
    /// Why the work address was kept although its domain resembles a protected one (RS-61).
    pub email_flag_reason: Option<String>,
    /// `false` once deactivated: gives no services. Kept because appointments refer to them.
    pub active: bool,
}

/// An administration object by its typed id, for [`crate::store::Store::home_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKey {
    Centre(CentreId),
    Queue(QueueId),
    Service(ServiceId),
    Staff(StaffId),
    Closure(uuid::Uuid),
    Absence(uuid::Uuid),
}
