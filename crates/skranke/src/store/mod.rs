//! Storage: one `Store` trait, implemented for SQLite (embedded default) and PostgreSQL
//! (production, many app instances over one database). Both implementations share their SQL
//! (`sql.rs`) and differ only where the databases do (how a write transaction starts, the outbox
//! claim). One conformance suite (`tests/it/store_conformance.rs`) runs against both.
//!
//! Each write method is one use case's transaction: the state change, its outbox rows and (later)
//! its audit rows commit together or not at all.

mod accounts;
mod breach;
mod model;
mod notify;
mod postgres;
mod sql;
mod sql_accounts;
mod sql_admin;
mod sql_breach;
mod sql_notify;
mod sql_retention;
mod sql_routes;
mod sql_visits;
mod sqlite;
mod visits;

use std::future::Future;

use jiff::{SignedDuration, Timestamp};
use skranke_core::Interval;
use skranke_core::access::Grant;
use skranke_core::audit::{AuditEntry, AuditRecord, ChainHead};
use skranke_core::availability::AvailabilityInput;
use skranke_core::ids::{
    AddressId, ApiTokenId, AppointmentId, CentreId, DeskId, MessageId, OrganisationId, QueueId, ServiceId, SessionId,
    StaffId, UserId, VisitId,
};
use skranke_core::notify::route::RouteTable;
use skranke_core::secret::SecretHash;
use skranke_core::visit::order::CallOrder;
use skranke_core::visit::{Arrival, HistoryEntry, Visit};

pub use accounts::*;
pub use breach::*;
pub use model::*;
pub use notify::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use visits::*;

/// How long a verification of an address lasts before it must be renewed (RS-11: 365 days).
pub const VERIFICATION_VALIDITY: jiff::SignedDuration = jiff::SignedDuration::from_hours(365 * 24);

/// An address as the registry stores it (lowercase, A-label domain) and its registrable domain.
/// An address Skranke's rules refuse is kept as typed, lowercased, with the text after its last
/// `@` as the domain, so it can still be found and shown; the gate never lets mail go to it.
pub fn normalise_address(address: &str) -> (String, String) {
    match skranke_recipient::address::EmailAddress::parse(address) {
        Ok(parsed) => {
            let domain = parsed.domain();
            let registrable = domain.registrable().unwrap_or(domain.ascii()).to_owned();
            (parsed.to_string(), registrable)
        }
        Err(_) => {
            let lower = address.trim().to_lowercase();
            let domain = lower.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
            (lower, domain)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// No seat or no staff time left for the slot: the database refused a second claim.
    #[error("the slot has no capacity left")]
    SlotTaken,
    /// A hold ran out before the change could be made.
    #[error("the hold has expired")]
    HoldExpired,
    /// Someone else changed the row first (optimistic concurrency).
    #[error("the record was changed concurrently")]
    Conflict,
    #[error("unique constraint {0} violated")]
    Duplicate(String),
    #[error("the database schema is newer than this program (version {0}); refusing to run")]
    DatabaseTooNew(i64),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    UnsupportedUrl,
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration error")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Duplicate(db.constraint().unwrap_or("unknown").to_owned());
        }
        StoreError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::VersionMissing(v) => StoreError::DatabaseTooNew(v),
            other => StoreError::Migrate(other),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A configuration object that belongs to one centre, for [`Store::centre_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminObject {
    Queue,
    Service,
    Staff,
}

/// Where an appointment moves to.
#[derive(Clone, Debug)]
pub struct NewSlot {
    pub slot: Interval,
    pub occupied_until: Timestamp,
    pub capacity: u16,
    pub candidate_staff: Vec<StaffId>,
}

/// The persistence port. Every method is one transaction.
pub trait Store: Send + Sync {
    /// Applies pending migrations; refuses a database whose schema is newer than this program.
    fn migrate(&self) -> impl Future<Output = StoreResult<()>> + Send;
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;

    // Set-up (administration and seeding).
    fn create_organisation(&self, org: &Organisation) -> impl Future<Output = StoreResult<()>> + Send;
    fn create_centre(&self, centre: &Centre) -> impl Future<Output = StoreResult<()>> + Send;
    fn add_closure(
        &self,
        centre: CentreId,
        when: Interval,
        reason: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn create_queue(&self, queue: &Queue) -> impl Future<Output = StoreResult<()>> + Send;
    fn create_service(&self, service: &Service) -> impl Future<Output = StoreResult<()>> + Send;
    fn create_staff(&self, staff: &StaffMember) -> impl Future<Output = StoreResult<()>> + Send;
    fn add_absence(&self, staff: StaffId, when: Interval) -> impl Future<Output = StoreResult<()>> + Send;

    // --- queues and desks (sql_visits.rs)
    fn create_desk(&self, desk: &Desk) -> impl Future<Output = StoreResult<()>> + Send;
    /// A centre's desks, by name.
    fn list_desks(&self, centre: CentreId) -> impl Future<Output = StoreResult<Vec<Desk>>> + Send;
    fn get_desk(&self, id: DeskId) -> impl Future<Output = StoreResult<Option<Desk>>> + Send;
    /// The desk with its organisation and call order, in one read (call-next's hot path).
    fn desk_context(&self, id: DeskId) -> impl Future<Output = StoreResult<Option<DeskContext>>> + Send;
    fn create_desk_audited(&self, desk: &Desk, audit: &[AuditRecord]) -> impl Future<Output = StoreResult<()>> + Send;
    /// The centre's call order and the placements named in `rules`, with their audit records.
    fn set_queue_rules(
        &self,
        centre: CentreId,
        rules: &QueueRules,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Seats a staff member at an active desk with the queues it calls from (taking it over from
    /// whoever sat there). `NotFound` for an unknown or inactive desk.
    fn occupy_desk(&self, desk: DeskId, occupancy: &Occupancy) -> impl Future<Output = StoreResult<()>> + Send;
    /// Closes the desk if `user` sits there; `false` when someone else (or nobody) does.
    fn leave_desk(&self, desk: DeskId, user: UserId) -> impl Future<Output = StoreResult<bool>> + Send;
    /// A centre's visits that arrived on the local days `from..=to`, in arrival order.
    fn centre_visits(
        &self,
        centre: CentreId,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> impl Future<Output = StoreResult<Vec<VisitRecord>>> + Send;
    fn appointment_by_reference(
        &self,
        reference: &str,
    ) -> impl Future<Output = StoreResult<Option<Appointment>>> + Send;
    /// The centre's call order and its queues' transfer placements (`None`: no such centre).
    fn queue_rules(&self, centre: CentreId) -> impl Future<Output = StoreResult<Option<QueueRules>>> + Send;
    /// Creates a waiting visit with the queue's next ticket number of `new.day` (`prefix` is the
    /// queue's), and its "arrived" history entry.
    fn issue_ticket(
        &self,
        new: &Arrival,
        prefix: &str,
        actor: Option<UserId>,
    ) -> impl Future<Output = StoreResult<Visit>> + Send;
    fn get_visit(&self, id: VisitId) -> impl Future<Output = StoreResult<Option<Visit>>> + Send;
    /// A visit's steps, oldest first.
    fn visit_history(&self, id: VisitId) -> impl Future<Output = StoreResult<Vec<HistoryEntry>>> + Send;
    /// The waiting visits of `queues` in the order they will be called under `order` at `now`.
    fn waiting_visits(
        &self,
        queues: &[QueueId],
        order: CallOrder,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Visit>>> + Send;
    /// Calls the first waiting visit of `queues` (by `order` at `now`) to `desk`, atomically: two
    /// desks calling at once never get the same visit. `None` when nobody waits; `Conflict` when
    /// the desk already has a citizen at it.
    fn call_next(
        &self,
        desk: DeskId,
        queues: &[QueueId],
        order: CallOrder,
        now: Timestamp,
        actor: Option<UserId>,
    ) -> impl Future<Output = StoreResult<Option<Visit>>> + Send;
    /// Writes a step the core decided (`after`, `entry`) if the visit is still at
    /// `expected_version` (`Conflict` otherwise, or when the desk already has a citizen), with its
    /// domain event. Returns the visit with its new version.
    fn record_visit_step(
        &self,
        after: &Visit,
        expected_version: i64,
        entry: &HistoryEntry,
        event: Option<&DomainEvent>,
    ) -> impl Future<Output = StoreResult<Visit>> + Send;
    /// Domain events no router has marked yet, oldest first, with their ids.
    fn unrouted_events(&self, limit: u32) -> impl Future<Output = StoreResult<Vec<(i64, DomainEvent)>>> + Send;

    // --- administration (begin): configuration changes, each with its audit record (sql_admin.rs)
    fn get_organisation(
        &self,
        id: OrganisationId,
    ) -> impl Future<Output = StoreResult<Option<Versioned<Organisation>>>> + Send;
    /// Name and own mail domains; `Conflict` when `expected_version` is stale. Returns the new version.
    fn update_organisation(
        &self,
        org: &Organisation,
        expected_version: i64,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    /// An organisation's centres with their versions, by name.
    fn organisation_centres(
        &self,
        org: OrganisationId,
    ) -> impl Future<Output = StoreResult<Vec<Versioned<Centre>>>> + Send;
    fn create_centre_audited(
        &self,
        centre: &Centre,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Name, address, opening hours and closed days.
    fn update_centre(
        &self,
        centre: &Centre,
        expected_version: i64,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Closures of a centre that end after `from`, by start.
    fn list_closures(
        &self,
        centre: CentreId,
        from: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Closure>>> + Send;
    fn add_closure_audited(
        &self,
        closure: &Closure,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes one closure of `centre`; `false` (and no audit row) when there is none.
    fn remove_closure(
        &self,
        centre: CentreId,
        id: uuid::Uuid,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    fn list_queues(&self, centre: CentreId) -> impl Future<Output = StoreResult<Vec<Versioned<Queue>>>> + Send;
    fn create_queue_audited(
        &self,
        queue: &Queue,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn update_queue(
        &self,
        queue: &Queue,
        expected_version: i64,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    fn list_services_versioned(
        &self,
        centre: CentreId,
    ) -> impl Future<Output = StoreResult<Vec<Versioned<Service>>>> + Send;
    fn create_service_audited(
        &self,
        service: &Service,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Names, queue, rules and sensitivity (the centre never changes).
    fn update_service(
        &self,
        service: &Service,
        expected_version: i64,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    fn list_staff(&self, centre: CentreId) -> impl Future<Output = StoreResult<Vec<Versioned<StaffAdmin>>>> + Send;
    /// `email_flag_reason`: the written reason for an address that resembles a protected domain.
    fn create_staff_audited(
        &self,
        staff: &StaffAdmin,
        email_flag_reason: Option<&str>,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Name, e-mail, schedule and the services given (replaced as a set). The e-mail's flag reason
    /// is kept when the address is unchanged and cleared when it changes.
    fn update_staff(
        &self,
        staff: &StaffAdmin,
        expected_version: i64,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    /// [`Store::update_staff`] for an address that needs a written reason (RS-61), stored with it.
    fn update_staff_flagged(
        &self,
        staff: &StaffAdmin,
        email_flag_reason: &str,
        expected_version: i64,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Absences of a staff member that end after `from`, by start.
    fn list_absences(&self, staff: StaffId, from: Timestamp) -> impl Future<Output = StoreResult<Vec<Absence>>> + Send;
    fn add_absence_audited(
        &self,
        absence: &Absence,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn remove_absence(
        &self,
        staff: StaffId,
        id: uuid::Uuid,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The centre a staff member, service or queue belongs to (for the access check).
    fn centre_of(
        &self,
        kind: AdminObject,
        id: uuid::Uuid,
    ) -> impl Future<Output = StoreResult<Option<CentreId>>> + Send;
    /// The organisation and centre an object belongs to, from stored rows: the one lookup the
    /// access check needs (`Target::Centre`). `None` when there is no such object.
    fn home_of(
        &self,
        object: ObjectKey,
    ) -> impl Future<Output = StoreResult<Option<(OrganisationId, CentreId)>>> + Send;
    fn get_closure(&self, id: uuid::Uuid) -> impl Future<Output = StoreResult<Option<Closure>>> + Send;
    fn get_absence(&self, id: uuid::Uuid) -> impl Future<Output = StoreResult<Option<Absence>>> + Send;
    /// A centre's services, active or not, by Danish name.
    fn list_service_entries(
        &self,
        centre: CentreId,
    ) -> impl Future<Output = StoreResult<Vec<Versioned<ServiceEntry>>>> + Send;
    fn get_service_entry(
        &self,
        id: ServiceId,
    ) -> impl Future<Output = StoreResult<Option<Versioned<ServiceEntry>>>> + Send;
    /// A centre's staff members, active or not, by name.
    fn list_staff_entries(
        &self,
        centre: CentreId,
    ) -> impl Future<Output = StoreResult<Vec<Versioned<StaffEntry>>>> + Send;
    fn get_staff_entry(&self, id: StaffId) -> impl Future<Output = StoreResult<Option<Versioned<StaffEntry>>>> + Send;
    /// The work addresses of an organisation's staff members (active or not), for the check that
    /// an own mail domain still in use is not removed.
    fn organisation_staff_emails(&self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Deactivates (`false`) or reactivates a service; `Conflict` when `expected_version` is stale.
    /// Deactivating also takes it from every staff member who gave it (bumping their versions, so
    /// their open forms are stale too): with no one giving it, it has no free times anywhere.
    /// `audit` gets those staff members, so the records name exactly what was removed.
    fn set_service_active(
        &self,
        id: ServiceId,
        active: bool,
        expected_version: i64,
        audit: &(dyn Fn(&[StaffId]) -> Vec<AuditRecord> + Sync),
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Deactivates (`false`) or reactivates a staff member; deactivating also clears the services
    /// they give (so availability no longer counts them), which `audit` gets.
    fn set_staff_active(
        &self,
        id: StaffId,
        active: bool,
        expected_version: i64,
        audit: &(dyn Fn(&[ServiceId]) -> Vec<AuditRecord> + Sync),
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    // --- administration (end)

    // --- accounts (begin): users, grants, sessions, API tokens, throttling, resets (sql_accounts.rs)
    /// Creates an account with its first grants. `Duplicate` when the e-mail is taken.
    fn create_user(
        &self,
        user: &User,
        grants: &[Grant],
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_user(&self, id: UserId) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// By sign-in name (already lowercased).
    fn find_user_by_email(&self, email: &str) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// An organisation's users, by name.
    fn list_users(&self, organisation: OrganisationId)
    -> impl Future<Output = StoreResult<Vec<UserWithGrants>>> + Send;
    fn user_grants(&self, user: UserId) -> impl Future<Output = StoreResult<Vec<Grant>>> + Send;
    /// Adds a grant; `false` (and no audit row) when the user already holds it.
    fn add_grant(
        &self,
        user: UserId,
        grant: &Grant,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Removes a grant; `false` (and no audit row) when the user did not hold it.
    fn remove_grant(
        &self,
        user: UserId,
        grant: &Grant,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Disables (`Some`) or re-enables (`None`) an account; disabling ends its sessions.
    fn set_user_disabled(
        &self,
        user: UserId,
        disabled_at: Option<Timestamp>,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Sets a new password hash and voids every session of the user created before `now`.
    fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Replaces a hash made with old parameters, only if it is still `old` (no audit: same password).
    fn rehash_password(&self, user: UserId, old: &str, new: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Sign-in: creates the session, clears the failures counted under `clear_failures` (the
    /// account's throttle subject) and writes the audit rows, in one transaction.
    fn create_session(
        &self,
        session: &NewSession,
        clear_failures: &[String],
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The live session with this token hash: not revoked, not past its absolute timeout, seen
    /// within `idle`, not voided by the user's `sessions_valid_after`, account enabled. Notes the
    /// visit (at most once a minute, so reads stay reads).
    fn active_session(
        &self,
        token_hash: &SecretHash,
        now: Timestamp,
        idle: SignedDuration,
    ) -> impl Future<Output = StoreResult<Option<ActiveSession>>> + Send;
    /// Ends one session (sign-out).
    fn revoke_session(
        &self,
        id: SessionId,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Ends every session of the user ("sign out everywhere").
    fn revoke_user_sessions(
        &self,
        user: UserId,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Failed sign-ins counted under `subject` at or after `since`: how many, and the newest.
    fn sign_in_failures(
        &self,
        subject: &str,
        since: Timestamp,
    ) -> impl Future<Output = StoreResult<(u32, Option<Timestamp>)>> + Send;
    /// Records a failed sign-in under each subject, with its audit rows.
    fn record_sign_in_failure(
        &self,
        subjects: &[String],
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Retention for sign-in data: deletes failures before `failures_before`, and sessions and
    /// reset links that ended before `ended_before`. Returns the rows deleted.
    fn prune_sign_in_data(
        &self,
        failures_before: Timestamp,
        ended_before: Timestamp,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// The server key `name`: the stored one, or `fresh` stored now when there is none (the
    /// first instance to ask decides for all).
    fn server_key(
        &self,
        name: &str,
        fresh: &[u8; 32],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<u8>>> + Send;

    fn create_api_token(
        &self,
        token: &ApiTokenRecord,
        token_hash: &SecretHash,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn list_api_tokens(&self, user: UserId) -> impl Future<Output = StoreResult<Vec<ApiTokenRecord>>> + Send;
    /// Revokes one of `user`'s tokens; `false` when there is no such live token of theirs.
    fn revoke_api_token(
        &self,
        id: ApiTokenId,
        user: UserId,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The live token with this hash (not revoked, not expired, account enabled), noting its use
    /// at most once a minute.
    fn active_api_token(
        &self,
        token_hash: &SecretHash,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Option<ActiveApiToken>>> + Send;

    /// Stores a one-time password link made by an administrator.
    fn create_password_reset(
        &self,
        token_hash: &SecretHash,
        user: UserId,
        created_by: Option<UserId>,
        now: Timestamp,
        expires_at: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The account a still-usable reset link is for.
    fn password_reset_user(
        &self,
        token_hash: &SecretHash,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// Uses a reset link once: marks it used, sets the password and voids the user's sessions, in
    /// one transaction. `None` (and nothing changed) when the link is unknown, used or expired.
    fn complete_password_reset(
        &self,
        token_hash: &SecretHash,
        password_hash: &str,
        now: Timestamp,
        audit: &(dyn Fn(&User) -> Vec<AuditRecord> + Sync),
    ) -> impl Future<Output = StoreResult<Option<UserId>>> + Send;

    /// Every organisation, by name (the platform operator's list).
    fn list_organisations(&self) -> impl Future<Output = StoreResult<Vec<Organisation>>> + Send;
    /// Creates an organisation with its first administrator, in one transaction.
    fn create_organisation_with_admin(
        &self,
        org: &Organisation,
        admin: &User,
        grant: &Grant,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The own mail domains of an organisation (`None` when there is no such organisation).
    fn organisation_mail_domains(
        &self,
        organisation: OrganisationId,
    ) -> impl Future<Output = StoreResult<Option<Vec<String>>>> + Send;
    /// Audit entries matching `query`, newest first.
    fn search_audit(&self, query: &AuditQuery) -> impl Future<Output = StoreResult<Vec<AuditEntry>>> + Send;
    // --- accounts (end)

    // Reads.
    fn list_centres(&self) -> impl Future<Output = StoreResult<Vec<CentreView>>> + Send;
    fn get_centre(&self, id: CentreId) -> impl Future<Output = StoreResult<Option<CentreView>>> + Send;
    fn list_services(&self, centre: CentreId) -> impl Future<Output = StoreResult<Vec<Service>>> + Send;
    fn get_service(&self, id: ServiceId) -> impl Future<Output = StoreResult<Option<Service>>> + Send;
    /// Everything availability needs for `service` within `window`, as seen at `now`.
    fn availability_input(
        &self,
        service: ServiceId,
        window: Interval,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Option<AvailabilityInput>>> + Send;
    fn get_appointment(&self, id: AppointmentId) -> impl Future<Output = StoreResult<Option<Appointment>>> + Send;

    // Booking use cases.
    /// Writes the appointment, claims a seat and a staff member's time, and writes `messages`,
    /// in one transaction. `SlotTaken` when the database holds no free seat or staff time.
    fn create_appointment(
        &self,
        new: &NewAppointment,
        messages: &[NewMessage],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Appointment>> + Send;
    /// Confirms a held appointment whose code was typed right. `HoldExpired` when its claims were
    /// lost; `Conflict` when `expected_attempts` no longer matches.
    fn confirm_hold(
        &self,
        id: AppointmentId,
        expected_attempts: u8,
        messages: &[NewMessage],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Counts a wrong code; with `release` the hold is given up at once.
    fn record_wrong_code(
        &self,
        id: AppointmentId,
        expected_attempts: u8,
        release: bool,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn cancel_appointment(
        &self,
        id: AppointmentId,
        messages: &[NewMessage],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn reschedule_appointment(
        &self,
        id: AppointmentId,
        to: &NewSlot,
        messages: &[NewMessage],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Appointment>> + Send;
    /// Marks holds past their expiry as expired and frees their rows. Idempotent.
    fn sweep_expired_holds(&self, now: Timestamp) -> impl Future<Output = StoreResult<u64>> + Send;

    // Outbox.
    /// Claims up to `limit` due messages for `lease`; a crashed worker's claims return after it.
    fn claim_outbox(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<OutboxMessage>>> + Send;
    fn mark_outbox_sent(&self, id: MessageId, now: Timestamp) -> impl Future<Output = StoreResult<()>> + Send;
    fn mark_outbox_retry(
        &self,
        id: MessageId,
        error: &str,
        next_attempt_at: Timestamp,
        give_up: bool,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn outbox_counts(&self) -> impl Future<Output = StoreResult<Vec<(String, i64)>>> + Send;
    fn list_outbox_for(
        &self,
        appointment: AppointmentId,
    ) -> impl Future<Output = StoreResult<Vec<(String, OutboxStatus)>>> + Send;

    // The dev-mailbox transport.
    /// Idempotent per outbox message: a retried delivery is stored once.
    fn deliver_dev_mail(&self, mail: &DevMail) -> impl Future<Output = StoreResult<()>> + Send;
    fn list_dev_mail(&self, limit: u32) -> impl Future<Output = StoreResult<Vec<DevMail>>> + Send;

    // The audit log (hash-chained, see `skranke_core::audit`). Use cases that change state append
    // their records inside their own transaction; this method is for events that change nothing
    // else (sign-ins, failed sign-ins, reads worth recording).
    /// Appends `records` in one transaction; they are chained when this returns.
    fn append_audit(&self, records: &[AuditRecord]) -> impl Future<Output = StoreResult<()>> + Send;
    /// The recorded head: the newest entry's number and hash (`ChainHead::GENESIS` when empty).
    fn audit_head(&self) -> impl Future<Output = StoreResult<ChainHead>> + Send;
    /// Chains audit entries written but not yet chained (schema v12: writers chain their own
    /// right after commit; this is the pass for any a crash left behind). Returns how
    /// many; at once when none wait.
    fn chain_audit_inbox(&self) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Up to `limit` entries with `seq > after`, in order. Rows that no longer decode are
    /// `Corrupt`, which `skranke audit verify` reports as a broken chain at that entry.
    fn audit_page(&self, after: u64, limit: u32) -> impl Future<Output = StoreResult<Vec<AuditEntry>>> + Send;

    // The address registry and the gate's outcomes (issue 6).
    /// Files `new` as its owner's current address, retiring the previous one and its open code.
    fn put_address(&self, new: &NewAddress, audit: &[AuditRecord]) -> impl Future<Output = StoreResult<()>> + Send;
    fn get_address(&self, id: AddressId) -> impl Future<Output = StoreResult<Option<AddressRecord>>> + Send;
    /// Files a proposed new mailbox address for a second administrator (RS-60), replacing an
    /// open proposal for the same owner.
    fn propose_address(
        &self,
        change: &AddressChange,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The organisation's open proposals, oldest first.
    fn address_changes(
        &self,
        organisation: OrganisationId,
    ) -> impl Future<Output = StoreResult<Vec<AddressChange>>> + Send;
    fn get_address_change(&self, id: uuid::Uuid) -> impl Future<Output = StoreResult<Option<AddressChange>>> + Send;
    /// Approves (filing `approved` as the owner's address) or rejects an open proposal; `Conflict`
    /// when it is decided already or `by` is the one who asked.
    fn decide_address_change(
        &self,
        id: uuid::Uuid,
        by: UserId,
        now: Timestamp,
        approved: Option<&NewAddress>,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    // Routing rules (issue 6, point 3) and reminders.
    /// The organisation's routes: its approved changes over the defaults.
    fn route_table(&self, organisation: OrganisationId) -> impl Future<Output = StoreResult<RouteTable>> + Send;
    /// Files a proposed route change for a second administrator (RS-60), replacing an open
    /// proposal for the same route.
    fn propose_route(
        &self,
        change: &RouteChange,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The organisation's open route proposals, oldest first.
    fn route_changes(&self, organisation: OrganisationId)
    -> impl Future<Output = StoreResult<Vec<RouteChange>>> + Send;
    fn get_route_change(&self, id: uuid::Uuid) -> impl Future<Output = StoreResult<Option<RouteChange>>> + Send;
    /// Approves (the route changes in the same transaction) or rejects an open proposal;
    /// `Conflict` when it is decided already or `by` is the one who asked.
    fn decide_route_change(
        &self,
        id: uuid::Uuid,
        by: UserId,
        now: Timestamp,
        approve: bool,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A bookable staff member's own proven address: the current registry record of the user
    /// of the same organisation who signs in with the staff member's work address.
    fn staff_address(&self, staff: StaffId) -> impl Future<Output = StoreResult<Option<AddressRecord>>> + Send;
    /// Confirmed appointments starting within `lead` that have had no reminder and were booked
    /// at least `lead` ahead.
    fn due_reminders(
        &self,
        now: Timestamp,
        lead: SignedDuration,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<AppointmentId>>> + Send;
    /// Marks the appointment reminded and writes `messages` (possibly none: the route is off) in
    /// one transaction; `false` when it was reminded or cancelled meanwhile.
    fn record_reminder(
        &self,
        appointment: AppointmentId,
        messages: &[NewMessage],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    fn current_address(&self, owner: Owner) -> impl Future<Output = StoreResult<Option<AddressRecord>>> + Send;
    /// Current addresses of an organisation; citizens' only when asked for.
    fn list_addresses(
        &self,
        organisation: OrganisationId,
        include_citizens: bool,
    ) -> impl Future<Output = StoreResult<Vec<AddressRecord>>> + Send;
    /// Opens (or replaces) the verification code of an address and writes the message that
    /// carries it (none when the code is consumed at once, as the demo's seeding does). `Conflict` when the address was retired meanwhile.
    fn open_address_code(
        &self,
        code: &AddressCode,
        messages: &[NewMessage],
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn address_code(&self, address: AddressId) -> impl Future<Output = StoreResult<Option<AddressCode>>> + Send;
    /// Counts a wrong code; at `max_attempts` the code is void. Returns the count.
    fn record_address_code_failure(
        &self,
        address: AddressId,
        max_attempts: u32,
    ) -> impl Future<Output = StoreResult<u32>> + Send;
    /// Consumes the open code with this hash and marks the address verified until `expires_at`.
    /// `Conflict` when the code is no longer open or the address was retired.
    fn verify_address(
        &self,
        address: AddressId,
        code_hash: &SecretHash,
        by: Option<UserId>,
        now: Timestamp,
        expires_at: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Writes what the gate decided (and, for a delivered message, that it was sent), with the
    /// alerts and audit entries it causes, in one transaction. `Conflict` if the message is no
    /// longer pending.
    fn finish_outbox(
        &self,
        id: MessageId,
        outcome: &GateOutcome,
        now: Timestamp,
        alerts: &[NewMessage],
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// [`Store::finish_outbox`] for several messages in one transaction (one tick of the worker:
    /// one commit instead of one per message). A message no longer pending (another worker
    /// finished it first) is skipped with its alerts and audit entries; returns the skipped ids.
    fn finish_outbox_batch(&self, items: &[OutboxFinish]) -> impl Future<Output = StoreResult<Vec<MessageId>>> + Send;
    fn list_held(&self, organisation: OrganisationId) -> impl Future<Output = StoreResult<Vec<HeldMessage>>> + Send;
    /// Acknowledges a sent notification (and every earlier one to the same address) by a signed-in
    /// person (RS-40); returns its address, `None` if no such sent message.
    fn acknowledge_message(
        &self,
        id: MessageId,
        by: UserId,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<Option<AddressId>>> + Send;
    /// Acknowledges the notifications about `subject_ref` (`visit:<id>`), as acting on it does;
    /// `audit` is written only when something was acknowledged.
    fn acknowledge_subject(
        &self,
        subject_ref: &str,
        by: UserId,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Addresses with unacknowledged notifications (not yet alerted about) sent before
    /// `older_than`, or at least `min_count` of them.
    fn silent_addresses(
        &self,
        older_than: Timestamp,
        min_count: u32,
    ) -> impl Future<Output = StoreResult<Vec<Silence>>> + Send;
    /// An organisation's addresses that are silent now (alerted about or not), oldest first.
    fn silent_now(
        &self,
        organisation: OrganisationId,
        older_than: Timestamp,
        min_count: u32,
    ) -> impl Future<Output = StoreResult<Vec<Silence>>> + Send;
    /// Marks an address's unacknowledged notifications up to `up_to` as alerted, with the alerts.
    fn record_silence_alert(
        &self,
        address: AddressId,
        up_to: Timestamp,
        now: Timestamp,
        alerts: &[NewMessage],
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The registry record a message goes to.
    fn message_address(&self, id: MessageId) -> impl Future<Output = StoreResult<Option<AddressId>>> + Send;
    /// The organisation a message belongs to (for the access check).
    fn outbox_organisation(&self, id: MessageId) -> impl Future<Output = StoreResult<Option<OrganisationId>>> + Send;
    /// Releases a held message back to the worker (`release`; blocked ones cannot be released) or
    /// discards it, with its audit entry; `false` when no such held message of the organisation.
    fn resolve_held(
        &self,
        id: MessageId,
        organisation: OrganisationId,
        release: bool,
        by: UserId,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Breach scoping (issue 7): the messages delivered to `target` in `window` (of one
    /// organisation, or all), grouped by subject, recipient and data classes. A visit that came
    /// from a booking is reported as the booking's subject. For an address target, messages
    /// whose address retention has blanked are found by `pseudonyms` (the address's, one per
    /// organisation scoped).
    fn breach_scope_rows(
        &self,
        target: &skranke_core::breach::Target,
        window: skranke_core::breach::Window,
        organisation: Option<OrganisationId>,
        pseudonyms: &[String],
    ) -> impl Future<Output = StoreResult<Vec<skranke_core::breach::ScopeRow>>> + Send;
    /// What is still held about each subject (name, address, reference); subjects with nothing
    /// held are left out.
    fn subject_info(
        &self,
        subjects: &[skranke_core::breach::SubjectRef],
    ) -> impl Future<Output = StoreResult<Vec<(skranke_core::breach::SubjectRef, skranke_core::breach::SubjectInfo)>>> + Send;
    /// Opens a breach case, with its audit entry.
    fn create_breach_case(
        &self,
        case: &BreachCase,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// An organisation's breach cases, the most recent awareness first.
    fn list_breach_cases(
        &self,
        organisation: OrganisationId,
    ) -> impl Future<Output = StoreResult<Vec<BreachCase>>> + Send;
    /// A case with its entries in time order.
    fn get_breach_case(
        &self,
        id: uuid::Uuid,
    ) -> impl Future<Output = StoreResult<Option<(BreachCase, Vec<CaseEntry>)>>> + Send;
    /// Appends an entry (an update or a scoping run) to a case, with its audit entry.
    fn add_breach_case_entry(
        &self,
        entry: &CaseEntry,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records the decision once; `false` (and no audit entry) if the case was decided already.
    fn decide_breach_case(
        &self,
        id: uuid::Uuid,
        decision: &str,
        text: Option<&str>,
        by: UserId,
        at: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// An organisation's retention overrides, as (class name, days).
    fn retention_settings(
        &self,
        organisation: OrganisationId,
    ) -> impl Future<Output = StoreResult<Vec<(String, u32)>>> + Send;
    /// Sets one class's retention period, with its audit entry.
    fn set_retention(
        &self,
        organisation: OrganisationId,
        class: &str,
        days: u32,
        by: UserId,
        now: Timestamp,
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Applies one class's retention to at most `limit` of the oldest rows due before `cutoff`,
    /// in one short transaction; returns how many were removed or anonymised (0: done).
    fn apply_retention(
        &self,
        organisation: OrganisationId,
        class: skranke_core::retention::RetentionClass,
        cutoff: Timestamp,
        limit: u32,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// What is held about the citizen of a booking besides the booking (Art. 15).
    fn citizen_record(&self, appointment: AppointmentId) -> impl Future<Output = StoreResult<CitizenRecord>> + Send;
    /// Anonymises one booking now (Art. 17), as retention would later, with its audit entry.
    /// `pseudonyms` (of the booking's addresses in the audit log) stop naming anyone.
    fn erase_booking_identity(
        &self,
        appointment: AppointmentId,
        pseudonyms: &[String],
        audit: &[AuditRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Appends `audit`, whose entries name someone by the pseudonyms `pseudonyms` map, with the
    /// mapping, in one transaction.
    fn append_audit_naming(
        &self,
        audit: &[AuditRecord],
        pseudonyms: &[PseudonymUse],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// What each of `pseudonyms` stands for, where the mapping is still kept.
    fn resolve_pseudonyms(
        &self,
        pseudonyms: &[String],
    ) -> impl Future<Output = StoreResult<std::collections::HashMap<String, String>>> + Send;
    /// Marks a domain event routed and writes its messages; `false` if it was routed already.
    fn route_event(
        &self,
        event: i64,
        messages: &[NewMessage],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// The store chosen at start-up from the database URL.
#[derive(Clone, Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(AnyStore::Postgres(PgStore::connect(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "sqlite",
            AnyStore::Postgres(_) => "postgres",
        }
    }

    /// How long one batch of background work (retention) should hold the database. SQLite's
    /// writers take turns, and an audited write takes two (its transaction, then chaining), so
    /// a booking can wait for two batches: 8 ms keeps that well under 50 ms. PostgreSQL's
    /// batches block no booking's rows; smaller ones only add round trips (20 ms batches made a
    /// pass over a million bookings 60 s instead of 40 s), so its batches are sized for 40 ms.
    pub const fn batch_target(&self) -> std::time::Duration {
        match self {
            AnyStore::Sqlite(_) => std::time::Duration::from_millis(8),
            AnyStore::Postgres(_) => std::time::Duration::from_millis(40),
        }
    }
}

/// Forwards every `Store` method to the chosen implementation.
macro_rules! forward {
    ($( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        impl Store for AnyStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        AnyStore::Sqlite(s) => s.$name($($arg),*).await,
                        AnyStore::Postgres(s) => s.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

forward! {
    fn migrate(&self) -> StoreResult<()>;
    fn ping(&self) -> StoreResult<()>;
    fn create_organisation(&self, org: &Organisation) -> StoreResult<()>;
    fn create_centre(&self, centre: &Centre) -> StoreResult<()>;
    fn add_closure(&self, centre: CentreId, when: Interval, reason: &str) -> StoreResult<()>;
    fn create_queue(&self, queue: &Queue) -> StoreResult<()>;
    fn create_service(&self, service: &Service) -> StoreResult<()>;
    fn create_staff(&self, staff: &StaffMember) -> StoreResult<()>;
    fn add_absence(&self, staff: StaffId, when: Interval) -> StoreResult<()>;
    fn create_desk(&self, desk: &Desk) -> StoreResult<()>;
    fn list_desks(&self, centre: CentreId) -> StoreResult<Vec<Desk>>;
    fn get_desk(&self, id: DeskId) -> StoreResult<Option<Desk>>;
    fn desk_context(&self, id: DeskId) -> StoreResult<Option<DeskContext>>;
    fn create_desk_audited(&self, desk: &Desk, audit: &[AuditRecord]) -> StoreResult<()>;
    fn set_queue_rules(&self, centre: CentreId, rules: &QueueRules, audit: &[AuditRecord]) -> StoreResult<()>;
    fn occupy_desk(&self, desk: DeskId, occupancy: &Occupancy) -> StoreResult<()>;
    fn leave_desk(&self, desk: DeskId, user: UserId) -> StoreResult<bool>;
    fn centre_visits(&self, centre: CentreId, from: jiff::civil::Date, to: jiff::civil::Date) -> StoreResult<Vec<VisitRecord>>;
    fn appointment_by_reference(&self, reference: &str) -> StoreResult<Option<Appointment>>;
    fn queue_rules(&self, centre: CentreId) -> StoreResult<Option<QueueRules>>;
    fn issue_ticket(&self, new: &Arrival, prefix: &str, actor: Option<UserId>) -> StoreResult<Visit>;
    fn get_visit(&self, id: VisitId) -> StoreResult<Option<Visit>>;
    fn visit_history(&self, id: VisitId) -> StoreResult<Vec<HistoryEntry>>;
    fn waiting_visits(&self, queues: &[QueueId], order: CallOrder, now: Timestamp) -> StoreResult<Vec<Visit>>;
    fn call_next(&self, desk: DeskId, queues: &[QueueId], order: CallOrder, now: Timestamp, actor: Option<UserId>) -> StoreResult<Option<Visit>>;
    fn record_visit_step(&self, after: &Visit, expected_version: i64, entry: &HistoryEntry, event: Option<&DomainEvent>) -> StoreResult<Visit>;
    fn unrouted_events(&self, limit: u32) -> StoreResult<Vec<(i64, DomainEvent)>>;
    // --- administration forwards (begin)
    fn get_organisation(&self, id: OrganisationId) -> StoreResult<Option<Versioned<Organisation>>>;
    fn update_organisation(&self, org: &Organisation, expected_version: i64, audit: &[AuditRecord]) -> StoreResult<i64>;
    fn organisation_centres(&self, org: OrganisationId) -> StoreResult<Vec<Versioned<Centre>>>;
    fn create_centre_audited(&self, centre: &Centre, audit: &[AuditRecord]) -> StoreResult<()>;
    fn update_centre(&self, centre: &Centre, expected_version: i64, audit: &[AuditRecord]) -> StoreResult<i64>;
    fn list_closures(&self, centre: CentreId, from: Timestamp) -> StoreResult<Vec<Closure>>;
    fn add_closure_audited(&self, closure: &Closure, audit: &[AuditRecord]) -> StoreResult<()>;
    fn remove_closure(&self, centre: CentreId, id: uuid::Uuid, audit: &[AuditRecord]) -> StoreResult<bool>;
    fn list_queues(&self, centre: CentreId) -> StoreResult<Vec<Versioned<Queue>>>;
    fn create_queue_audited(&self, queue: &Queue, audit: &[AuditRecord]) -> StoreResult<()>;
    fn update_queue(&self, queue: &Queue, expected_version: i64, audit: &[AuditRecord]) -> StoreResult<i64>;
    fn list_services_versioned(&self, centre: CentreId) -> StoreResult<Vec<Versioned<Service>>>;
    fn create_service_audited(&self, service: &Service, audit: &[AuditRecord]) -> StoreResult<()>;
    fn update_service(&self, service: &Service, expected_version: i64, audit: &[AuditRecord]) -> StoreResult<i64>;
    fn list_staff(&self, centre: CentreId) -> StoreResult<Vec<Versioned<StaffAdmin>>>;
    fn create_staff_audited(&self, staff: &StaffAdmin, email_flag_reason: Option<&str>, audit: &[AuditRecord]) -> StoreResult<()>;
    fn update_staff(&self, staff: &StaffAdmin, expected_version: i64, audit: &[AuditRecord]) -> StoreResult<i64>;
    fn update_staff_flagged(&self, staff: &StaffAdmin, email_flag_reason: &str, expected_version: i64, audit: &[AuditRecord]) -> StoreResult<i64>;
    fn list_absences(&self, staff: StaffId, from: Timestamp) -> StoreResult<Vec<Absence>>;
    fn add_absence_audited(&self, absence: &Absence, audit: &[AuditRecord]) -> StoreResult<()>;
    fn remove_absence(&self, staff: StaffId, id: uuid::Uuid, audit: &[AuditRecord]) -> StoreResult<bool>;
    fn centre_of(&self, kind: AdminObject, id: uuid::Uuid) -> StoreResult<Option<CentreId>>;
    fn home_of(&self, object: ObjectKey) -> StoreResult<Option<(OrganisationId, CentreId)>>;
    fn get_closure(&self, id: uuid::Uuid) -> StoreResult<Option<Closure>>;
    fn get_absence(&self, id: uuid::Uuid) -> StoreResult<Option<Absence>>;
    fn list_service_entries(&self, centre: CentreId) -> StoreResult<Vec<Versioned<ServiceEntry>>>;
    fn get_service_entry(&self, id: ServiceId) -> StoreResult<Option<Versioned<ServiceEntry>>>;
    fn list_staff_entries(&self, centre: CentreId) -> StoreResult<Vec<Versioned<StaffEntry>>>;
    fn get_staff_entry(&self, id: StaffId) -> StoreResult<Option<Versioned<StaffEntry>>>;
    fn organisation_staff_emails(&self, org: OrganisationId) -> StoreResult<Vec<String>>;
    fn set_service_active(&self, id: ServiceId, active: bool, expected_version: i64, audit: &(dyn Fn(&[StaffId]) -> Vec<AuditRecord> + Sync)) -> StoreResult<i64>;
    fn set_staff_active(&self, id: StaffId, active: bool, expected_version: i64, audit: &(dyn Fn(&[ServiceId]) -> Vec<AuditRecord> + Sync)) -> StoreResult<i64>;
    // --- administration forwards (end)
    // --- accounts forwards (begin)
    fn create_user(&self, user: &User, grants: &[Grant], audit: &[AuditRecord]) -> StoreResult<()>;
    fn get_user(&self, id: UserId) -> StoreResult<Option<User>>;
    fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    fn list_users(&self, organisation: OrganisationId) -> StoreResult<Vec<UserWithGrants>>;
    fn user_grants(&self, user: UserId) -> StoreResult<Vec<Grant>>;
    fn add_grant(&self, user: UserId, grant: &Grant, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool>;
    fn remove_grant(&self, user: UserId, grant: &Grant, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool>;
    fn set_user_disabled(&self, user: UserId, disabled_at: Option<Timestamp>, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn set_password(&self, user: UserId, password_hash: &str, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn rehash_password(&self, user: UserId, old: &str, new: &str) -> StoreResult<()>;
    fn create_session(&self, session: &NewSession, clear_failures: &[String], audit: &[AuditRecord]) -> StoreResult<()>;
    fn active_session(&self, token_hash: &SecretHash, now: Timestamp, idle: SignedDuration) -> StoreResult<Option<ActiveSession>>;
    fn revoke_session(&self, id: SessionId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn revoke_user_sessions(&self, user: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn sign_in_failures(&self, subject: &str, since: Timestamp) -> StoreResult<(u32, Option<Timestamp>)>;
    fn record_sign_in_failure(&self, subjects: &[String], now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn prune_sign_in_data(&self, failures_before: Timestamp, ended_before: Timestamp) -> StoreResult<u64>;
    fn server_key(&self, name: &str, fresh: &[u8; 32], now: Timestamp) -> StoreResult<Vec<u8>>;
    fn create_api_token(&self, token: &ApiTokenRecord, token_hash: &SecretHash, audit: &[AuditRecord]) -> StoreResult<()>;
    fn list_api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiTokenRecord>>;
    fn revoke_api_token(&self, id: ApiTokenId, user: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool>;
    fn active_api_token(&self, token_hash: &SecretHash, now: Timestamp) -> StoreResult<Option<ActiveApiToken>>;
    fn create_password_reset(&self, token_hash: &SecretHash, user: UserId, created_by: Option<UserId>, now: Timestamp, expires_at: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn password_reset_user(&self, token_hash: &SecretHash, now: Timestamp) -> StoreResult<Option<User>>;
    fn complete_password_reset(&self, token_hash: &SecretHash, password_hash: &str, now: Timestamp, audit: &(dyn Fn(&User) -> Vec<AuditRecord> + Sync)) -> StoreResult<Option<UserId>>;
    fn list_organisations(&self) -> StoreResult<Vec<Organisation>>;
    fn create_organisation_with_admin(&self, org: &Organisation, admin: &User, grant: &Grant, audit: &[AuditRecord]) -> StoreResult<()>;
    fn organisation_mail_domains(&self, organisation: OrganisationId) -> StoreResult<Option<Vec<String>>>;
    fn search_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
    // --- accounts forwards (end)
    fn list_centres(&self) -> StoreResult<Vec<CentreView>>;
    fn get_centre(&self, id: CentreId) -> StoreResult<Option<CentreView>>;
    fn list_services(&self, centre: CentreId) -> StoreResult<Vec<Service>>;
    fn get_service(&self, id: ServiceId) -> StoreResult<Option<Service>>;
    fn availability_input(&self, service: ServiceId, window: Interval, now: Timestamp) -> StoreResult<Option<AvailabilityInput>>;
    fn get_appointment(&self, id: AppointmentId) -> StoreResult<Option<Appointment>>;
    fn create_appointment(&self, new: &NewAppointment, messages: &[NewMessage], now: Timestamp) -> StoreResult<Appointment>;
    fn confirm_hold(&self, id: AppointmentId, expected_attempts: u8, messages: &[NewMessage], now: Timestamp) -> StoreResult<()>;
    fn record_wrong_code(&self, id: AppointmentId, expected_attempts: u8, release: bool, now: Timestamp) -> StoreResult<()>;
    fn cancel_appointment(&self, id: AppointmentId, messages: &[NewMessage], now: Timestamp) -> StoreResult<()>;
    fn reschedule_appointment(&self, id: AppointmentId, to: &NewSlot, messages: &[NewMessage], now: Timestamp) -> StoreResult<Appointment>;
    fn sweep_expired_holds(&self, now: Timestamp) -> StoreResult<u64>;
    fn claim_outbox(&self, now: Timestamp, lease: SignedDuration, limit: u32) -> StoreResult<Vec<OutboxMessage>>;
    fn mark_outbox_sent(&self, id: MessageId, now: Timestamp) -> StoreResult<()>;
    fn mark_outbox_retry(&self, id: MessageId, error: &str, next_attempt_at: Timestamp, give_up: bool) -> StoreResult<()>;
    fn outbox_counts(&self) -> StoreResult<Vec<(String, i64)>>;
    fn list_outbox_for(&self, appointment: AppointmentId) -> StoreResult<Vec<(String, OutboxStatus)>>;
    fn deliver_dev_mail(&self, mail: &DevMail) -> StoreResult<()>;
    fn list_dev_mail(&self, limit: u32) -> StoreResult<Vec<DevMail>>;
    fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()>;
    fn audit_head(&self) -> StoreResult<ChainHead>;
    fn chain_audit_inbox(&self) -> StoreResult<u64>;
    fn audit_page(&self, after: u64, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    fn put_address(&self, new: &NewAddress, audit: &[AuditRecord]) -> StoreResult<()>;
    fn get_address(&self, id: AddressId) -> StoreResult<Option<AddressRecord>>;
    fn propose_address(&self, change: &AddressChange, audit: &[AuditRecord]) -> StoreResult<()>;
    fn address_changes(&self, organisation: OrganisationId) -> StoreResult<Vec<AddressChange>>;
    fn get_address_change(&self, id: uuid::Uuid) -> StoreResult<Option<AddressChange>>;
    fn decide_address_change(&self, id: uuid::Uuid, by: UserId, now: Timestamp, approved: Option<&NewAddress>, audit: &[AuditRecord]) -> StoreResult<()>;
    fn route_table(&self, organisation: OrganisationId) -> StoreResult<RouteTable>;
    fn propose_route(&self, change: &RouteChange, audit: &[AuditRecord]) -> StoreResult<()>;
    fn route_changes(&self, organisation: OrganisationId) -> StoreResult<Vec<RouteChange>>;
    fn get_route_change(&self, id: uuid::Uuid) -> StoreResult<Option<RouteChange>>;
    fn decide_route_change(&self, id: uuid::Uuid, by: UserId, now: Timestamp, approve: bool, audit: &[AuditRecord]) -> StoreResult<()>;
    fn staff_address(&self, staff: StaffId) -> StoreResult<Option<AddressRecord>>;
    fn due_reminders(&self, now: Timestamp, lead: SignedDuration, limit: u32) -> StoreResult<Vec<AppointmentId>>;
    fn record_reminder(&self, appointment: AppointmentId, messages: &[NewMessage], now: Timestamp) -> StoreResult<bool>;
    fn current_address(&self, owner: Owner) -> StoreResult<Option<AddressRecord>>;
    fn list_addresses(&self, organisation: OrganisationId, include_citizens: bool) -> StoreResult<Vec<AddressRecord>>;
    fn open_address_code(&self, code: &AddressCode, messages: &[NewMessage], audit: &[AuditRecord]) -> StoreResult<()>;
    fn address_code(&self, address: AddressId) -> StoreResult<Option<AddressCode>>;
    fn record_address_code_failure(&self, address: AddressId, max_attempts: u32) -> StoreResult<u32>;
    fn verify_address(&self, address: AddressId, code_hash: &SecretHash, by: Option<UserId>, now: Timestamp, expires_at: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn finish_outbox(&self, id: MessageId, outcome: &GateOutcome, now: Timestamp, alerts: &[NewMessage], audit: &[AuditRecord]) -> StoreResult<()>;
    fn finish_outbox_batch(&self, items: &[OutboxFinish]) -> StoreResult<Vec<MessageId>>;
    fn list_held(&self, organisation: OrganisationId) -> StoreResult<Vec<HeldMessage>>;
    fn acknowledge_message(&self, id: MessageId, by: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<Option<AddressId>>;
    fn acknowledge_subject(&self, subject_ref: &str, by: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<u64>;
    fn silent_addresses(&self, older_than: Timestamp, min_count: u32) -> StoreResult<Vec<Silence>>;
    fn silent_now(&self, organisation: OrganisationId, older_than: Timestamp, min_count: u32) -> StoreResult<Vec<Silence>>;
    fn record_silence_alert(&self, address: AddressId, up_to: Timestamp, now: Timestamp, alerts: &[NewMessage], audit: &[AuditRecord]) -> StoreResult<()>;
    fn message_address(&self, id: MessageId) -> StoreResult<Option<AddressId>>;
    fn outbox_organisation(&self, id: MessageId) -> StoreResult<Option<OrganisationId>>;
    fn resolve_held(&self, id: MessageId, organisation: OrganisationId, release: bool, by: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool>;
    fn create_breach_case(&self, case: &BreachCase, audit: &[AuditRecord]) -> StoreResult<()>;
    fn list_breach_cases(&self, organisation: OrganisationId) -> StoreResult<Vec<BreachCase>>;
    fn get_breach_case(&self, id: uuid::Uuid) -> StoreResult<Option<(BreachCase, Vec<CaseEntry>)>>;
    fn add_breach_case_entry(&self, entry: &CaseEntry, audit: &[AuditRecord]) -> StoreResult<()>;
    fn decide_breach_case(&self, id: uuid::Uuid, decision: &str, text: Option<&str>, by: UserId, at: Timestamp, audit: &[AuditRecord]) -> StoreResult<bool>;
    fn retention_settings(&self, organisation: OrganisationId) -> StoreResult<Vec<(String, u32)>>;
    fn set_retention(&self, organisation: OrganisationId, class: &str, days: u32, by: UserId, now: Timestamp, audit: &[AuditRecord]) -> StoreResult<()>;
    fn apply_retention(&self, organisation: OrganisationId, class: skranke_core::retention::RetentionClass, cutoff: Timestamp, limit: u32) -> StoreResult<u64>;
    fn citizen_record(&self, appointment: AppointmentId) -> StoreResult<CitizenRecord>;
    fn erase_booking_identity(&self, appointment: AppointmentId, pseudonyms: &[String], audit: &[AuditRecord]) -> StoreResult<()>;
    fn append_audit_naming(&self, audit: &[AuditRecord], pseudonyms: &[PseudonymUse]) -> StoreResult<()>;
    fn resolve_pseudonyms(&self, pseudonyms: &[String]) -> StoreResult<std::collections::HashMap<String, String>>;
    fn breach_scope_rows(&self, target: &skranke_core::breach::Target, window: skranke_core::breach::Window, organisation: Option<OrganisationId>, pseudonyms: &[String]) -> StoreResult<Vec<skranke_core::breach::ScopeRow>>;
    fn subject_info(&self, subjects: &[skranke_core::breach::SubjectRef]) -> StoreResult<Vec<(skranke_core::breach::SubjectRef, skranke_core::breach::SubjectInfo)>>;
    fn route_event(&self, event: i64, messages: &[NewMessage], now: Timestamp) -> StoreResult<bool>;
}

/// The embedded migrations of one database, as `(version, name, SQL)`.
pub(crate) fn migrator(migrations: &[(i64, &str, &'static str)]) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr as _;
    use sqlx::migrate::{Migration, MigrationType};
    sqlx::migrate::Migrator::with_migrations(
        migrations
            .iter()
            .map(|&(version, name, sql)| {
                Migration::new(
                    version,
                    name.to_owned().into(),
                    MigrationType::Simple,
                    sqlx::AssertSqlSafe(sql).into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Microseconds since the Unix epoch: how both databases store instants.
pub(crate) fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_us(v: i64) -> StoreResult<Timestamp> {
    Timestamp::from_microsecond(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The 5-minute cells a staff member's time is locked in, covering `[start, end)`.
pub(crate) fn cells(start: Timestamp, end: Timestamp) -> Vec<i64> {
    const CELL_US: i64 = 5 * 60 * 1_000_000;
    let first = us(start).div_euclid(CELL_US) * CELL_US;
    (0..).map(|k| first + k * CELL_US).take_while(|c| *c < us(end)).collect()
}

/// A write transaction. On SQLite it also holds this process's writer turn: writers queue in
/// order in-process instead of each polling SQLite's lock with `busy_timeout`'s growing sleeps
/// (1, 2, 5, 10 … ms), which made the tail of every write under load. It derefs to the
/// connection, so statements run on `&mut *tx` as on a plain transaction.
pub(crate) struct WriteTx<DB: sqlx::Database> {
    inner: sqlx::Transaction<'static, DB>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// What to run once this transaction has committed, if it was armed (chain the audit entries
    /// it wrote, see `append_audit_tx`).
    after_commit: Option<AfterCommit>,
    armed: bool,
}

/// Work a committed transaction leaves to be done (see [`WriteTx::arm_after_commit`]).
pub(crate) type AfterCommit = Box<dyn FnOnce() -> futures_util::future::BoxFuture<'static, ()> + Send>;

/// One store's chaining of audit entries from `audit_inbox` into the chain (schema v12): one
/// pass at a time in this process, numbered. A writer that committed audit entries needs a pass
/// that *started* after its commit to have finished, since such a pass saw its entries. Writers
/// that commit while a pass runs wait for the turn and then usually find a later pass has done
/// their work, instead of each running a transaction on the head's lock.
#[derive(Debug, Default)]
pub(crate) struct Chaining {
    turn: tokio::sync::Mutex<()>,
    started: std::sync::atomic::AtomicU64,
    finished: std::sync::atomic::AtomicU64,
}

impl Chaining {
    /// Runs a pass in turn (the worker's, `audit verify`'s).
    pub(crate) async fn pass(&self, run: impl Future<Output = StoreResult<u64>>) -> StoreResult<u64> {
        use std::sync::atomic::Ordering::SeqCst;
        let _turn = self.turn.lock().await;
        let pass = self.started.fetch_add(1, SeqCst) + 1;
        let chained = run.await;
        self.finished.store(pass, SeqCst);
        chained
    }

    /// The work for a writing transaction's commit: wait for a pass that started after the
    /// commit, running one if none has. A failed pass does not fail the committed change: its
    /// entries wait for the next pass.
    pub(crate) fn after_commit(
        self: &std::sync::Arc<Self>,
        run: impl FnOnce() -> futures_util::future::BoxFuture<'static, StoreResult<u64>> + Send + 'static,
    ) -> AfterCommit {
        use std::sync::atomic::Ordering::SeqCst;
        let chaining = self.clone();
        Box::new(move || {
            // Called after the commit: any pass numbered above this one started after it.
            let needed = chaining.started.load(SeqCst) + 1;
            Box::pin(async move {
                let _turn = chaining.turn.lock().await;
                if chaining.finished.load(SeqCst) >= needed {
                    return;
                }
                let pass = chaining.started.fetch_add(1, SeqCst) + 1;
                if let Err(e) = run().await {
                    tracing::warn!(error = %e, "chaining audit entries after a commit failed; they wait for the next pass");
                }
                chaining.finished.store(pass, SeqCst);
            })
        })
    }
}

impl<DB: sqlx::Database> std::fmt::Debug for WriteTx<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx").field("armed", &self.armed).finish_non_exhaustive()
    }
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub(crate) fn new(inner: sqlx::Transaction<'static, DB>, turn: Option<tokio::sync::OwnedMutexGuard<()>>) -> Self {
        Self { inner, _turn: turn, after_commit: None, armed: false }
    }

    /// Gives the transaction work to run after its commit, should something arm it.
    pub(crate) fn with_after_commit(mut self, work: AfterCommit) -> Self {
        self.after_commit = Some(work);
        self
    }

    /// Asks for the after-commit work to run (a no-op where none was given).
    pub(crate) fn arm_after_commit(&mut self) {
        self.armed = true;
    }

    /// Commits; then, if armed, runs the after-commit work (with the writer's turn released).
    /// That work's failure is its own to report: the change has committed either way.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let Self { inner, _turn, after_commit, armed } = self;
        inner.commit().await?;
        drop(_turn);
        if armed && let Some(work) = after_commit {
            work().await;
        }
        Ok(())
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.inner
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.inner
    }
}
