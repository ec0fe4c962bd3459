//! Shared helpers for the store conformance and concurrency tests: fresh databases (a SQLite file
//! in its own temporary directory, a PostgreSQL database of its own), a seeded fixture, the
//! availability question asked exactly as the app asks it, and direct SQL probes of the claim
//! tables through the stores' pools.
//!
//! `both!(name, …)` instantiates each `async fn name<S: TestDb>(store: S)` once per database, as
//! the tests `name::sqlite` and `name::postgres`; `cargo test -p skranke --test it postgres`
//! runs one database only. Every test ends with `check_invariants`, so a test that leaves a claim
//! row behind (or a booking without its rows) fails even if its own assertions pass.
//!
//! PostgreSQL must be running (`postgres://postgres@127.0.0.1:5432/postgres`, trust auth, or the
//! server in `SKRANKE_TEST_PG_URL`): the tests fail, never skip, when it is not.

use std::future::Future;
use std::path::PathBuf;

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use skranke::i18n::Lang;
use skranke::store::{
    Appointment, Centre, NewAppointment, NewMessage, NewSlot, Organisation, PgStore, Queue, Service, SqliteStore,
    StaffMember, Store,
};
use skranke_core::Interval;
use skranke_core::availability::{AvailabilityInput, Slot, SlotError, check_start};
use skranke_core::booking::AppointmentStatus;
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::{AppointmentId, CentreId, MessageId, OrganisationId, QueueId, ServiceId, StaffId};
use skranke_core::reference::BookingReference;
use skranke_core::secret::{ConfirmationCode, ManageToken};
use skranke_core::service::{Sensitivity, ServiceRules};
use sqlx::Connection as _;
use uuid::Uuid;

/// Instantiates each generic test once per database as `name::sqlite` and `name::postgres`.
/// `both!(multi_thread: name, …)` runs them on a 4-worker multi-thread runtime.
macro_rules! both {
    (multi_thread: $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                crate::support::run_sqlite(super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                crate::support::run_pg(super::$name).await;
            }
        }
    )+};
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                crate::support::run_sqlite(super::$name).await;
            }
            #[tokio::test]
            async fn postgres() {
                crate::support::run_pg(super::$name).await;
            }
        }
    )+};
}
pub(crate) use both;

// ---------------------------------------------------------------------------------------------
// Fresh databases
// ---------------------------------------------------------------------------------------------

/// Without `sslmode=disable` every new connection first tries TLS against the local server, which
/// costs ~90 ms per connection in a debug build; the tests are about storage, not transport.
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

/// A migrated SQLite store in a file of its own (left behind; the runners clean up theirs).
#[allow(dead_code)] // for test modules that need a store outside `both!`
pub async fn sqlite_store() -> SqliteStore {
    fresh_sqlite().await.0
}

async fn fresh_sqlite() -> (SqliteStore, PathBuf) {
    let dir = std::env::temp_dir().join("skranke-it").join(Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("skranke.db").display()))
        .await
        .expect("open SQLite database");
    store.migrate().await.expect("migrate SQLite");
    (store, dir)
}

/// The PostgreSQL server the tests create their databases on.
pub fn pg_server_url() -> String {
    std::env::var("SKRANKE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{base}/{db}{query}")
}

async fn pg_admin() -> sqlx::PgConnection {
    let url = pg_server_url();
    sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url} ({e}). Start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             or point SKRANKE_TEST_PG_URL at a server"
        )
    })
}

/// A migrated PostgreSQL store on a database of its own (`skranke_test_<random>`), so tests run in
/// parallel without seeing each other's rows. The database is left behind; the runners drop theirs.
#[allow(dead_code)] // for test modules that need a store outside `both!`
pub async fn pg_store() -> PgStore {
    fresh_pg().await.0
}

/// A second connection pool to the database of `store` (a second app instance).
#[allow(dead_code)]
pub async fn pg_store_named(name: &str) -> PgStore {
    PgStore::connect(&with_database(&pg_server_url(), name)).await.expect("connect to test database")
}

pub async fn fresh_pg() -> (PgStore, String) {
    let name = format!("skranke_test_{}", Uuid::new_v4().simple());
    let mut admin = pg_admin().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    admin.close().await.ok();
    let store = PgStore::connect(&with_database(&pg_server_url(), &name)).await.expect("connect to test database");
    store.migrate().await.expect("migrate PostgreSQL");
    (store, name)
}

pub async fn drop_pg(name: &str) {
    let mut admin = pg_admin().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("DROP DATABASE {name}: {e}"));
    admin.close().await.ok();
}

/// Runs one test on a fresh SQLite store, checks the claim invariants and removes the file. A
/// failing test leaves its database behind for inspection.
pub async fn run_sqlite<F, Fut>(test: F)
where
    F: FnOnce(SqliteStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, dir) = fresh_sqlite().await;
    test(store.clone()).await;
    check_invariants(&store).await;
    store.pool().close().await;
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs one test on a fresh PostgreSQL database, checks the claim invariants and drops it. A
/// failing test leaves its database behind for inspection.
pub async fn run_pg<F, Fut>(test: F)
where
    F: FnOnce(PgStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, name) = fresh_pg().await;
    test(store.clone()).await;
    check_invariants(&store).await;
    store.pool().close().await;
    drop_pg(&name).await;
}

// ---------------------------------------------------------------------------------------------
// Direct SQL against either database
// ---------------------------------------------------------------------------------------------

/// A bind value for the probes.
#[derive(Clone, Debug)]
pub enum Arg {
    Id(Uuid),
    Int(i64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
    /// SQL NULL of a UUID column.
    NullId,
    /// SQL NULL of a text column.
    NullText,
}

pub fn at(t: Timestamp) -> Arg {
    Arg::Int(t.as_microsecond())
}

/// A store the tests can also query directly (same `$n` SQL on both databases).
pub trait TestDb: Store + Clone + std::fmt::Debug + 'static {
    /// Runs a query returning one `BIGINT`, e.g. a `COUNT(*)`.
    fn scalar(&self, sql: &'static str, args: &[Arg]) -> impl Future<Output = i64> + Send;
    /// Runs a statement, returning the rows affected.
    fn execute(&self, sql: &'static str, args: &[Arg]) -> impl Future<Output = u64> + Send;
    /// Whether this is PostgreSQL (for the few probes whose SQL differs, e.g. bulk generators).
    fn is_postgres(&self) -> bool;
}

macro_rules! impl_test_db {
    ($store:ty, $db:ty, $pg:expr) => {
        impl TestDb for $store {
            fn is_postgres(&self) -> bool {
                $pg
            }

            async fn scalar(&self, sql: &'static str, args: &[Arg]) -> i64 {
                let mut q = sqlx::query_scalar::<$db, i64>(sql);
                for a in args {
                    q = match a.clone() {
                        Arg::Id(v) => q.bind(v),
                        Arg::Int(v) => q.bind(v),
                        Arg::Text(v) => q.bind(v),
                        Arg::Bool(v) => q.bind(v),
                        Arg::Bytes(v) => q.bind(v),
                        Arg::NullId => q.bind(Option::<Uuid>::None),
                        Arg::NullText => q.bind(Option::<String>::None),
                    };
                }
                q.fetch_one(self.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
            }

            async fn execute(&self, sql: &'static str, args: &[Arg]) -> u64 {
                let mut q = sqlx::query::<$db>(sql);
                for a in args {
                    q = match a.clone() {
                        Arg::Id(v) => q.bind(v),
                        Arg::Int(v) => q.bind(v),
                        Arg::Text(v) => q.bind(v),
                        Arg::Bool(v) => q.bind(v),
                        Arg::Bytes(v) => q.bind(v),
                        Arg::NullId => q.bind(Option::<Uuid>::None),
                        Arg::NullText => q.bind(Option::<String>::None),
                    };
                }
                q.execute(self.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}")).rows_affected()
            }
        }
    };
}
impl_test_db!(SqliteStore, sqlx::Sqlite, false);
impl_test_db!(PgStore, sqlx::Postgres, true);

/// Each query counts violations of one rule the claim tables must always obey.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "every seat belongs to a live booking of that service and start, and a confirmed booking's seat is not a hold",
        "SELECT COUNT(*) FROM slot_seats s LEFT JOIN appointments a ON a.id = s.appointment_id \
         WHERE a.id IS NULL OR a.status NOT IN ('held', 'confirmed') OR a.service_id <> s.service_id \
         OR a.starts_at <> s.starts_at OR (a.status = 'confirmed' AND s.hold_expires_at IS NOT NULL)",
    ),
    (
        "no seat number reaches the service's capacity",
        "SELECT COUNT(*) FROM slot_seats s JOIN services v ON v.id = s.service_id WHERE s.seat >= v.capacity",
    ),
    (
        "every staff cell belongs to a live booking of that staff member, inside its occupied time",
        "SELECT COUNT(*) FROM staff_cells c LEFT JOIN appointments a ON a.id = c.appointment_id \
         WHERE a.id IS NULL OR a.status NOT IN ('held', 'confirmed') OR a.staff_id IS NULL \
         OR a.staff_id <> c.staff_id OR c.cell_at < a.starts_at OR c.cell_at >= a.occupied_until \
         OR (a.status = 'confirmed' AND c.hold_expires_at IS NOT NULL)",
    ),
    (
        "every confirmed booking owns exactly one seat",
        "SELECT COUNT(*) FROM appointments a WHERE a.status = 'confirmed' \
         AND (SELECT COUNT(*) FROM slot_seats s WHERE s.appointment_id = a.id) <> 1",
    ),
    (
        "every confirmed booking owns every 5-minute cell of its staff member's occupied time",
        "SELECT COUNT(*) FROM appointments a WHERE a.status = 'confirmed' \
         AND (SELECT COUNT(*) FROM staff_cells c WHERE c.appointment_id = a.id) * 300000000 \
             <> a.occupied_until - a.starts_at",
    ),
    (
        "no staff member has two overlapping confirmed bookings",
        "SELECT COUNT(*) FROM appointments a JOIN appointments b ON a.staff_id = b.staff_id AND a.id < b.id \
         AND a.starts_at < b.occupied_until AND b.starts_at < a.occupied_until \
         WHERE a.status = 'confirmed' AND b.status = 'confirmed'",
    ),
];

/// Asserts the claim-table invariants; run after every test.
pub async fn check_invariants<S: TestDb>(store: &S) {
    for (rule, sql) in INVARIANTS {
        assert_eq!(store.scalar(sql, &[]).await, 0, "invariant violated: {rule}");
    }
}

/// Seat rows owned by `appointment`.
pub async fn seats_of<S: TestDb>(store: &S, appointment: AppointmentId) -> i64 {
    store.scalar("SELECT COUNT(*) FROM slot_seats WHERE appointment_id = $1", &[Arg::Id(appointment.as_uuid())]).await
}

/// Staff cells owned by `appointment`.
pub async fn cells_of<S: TestDb>(store: &S, appointment: AppointmentId) -> i64 {
    store.scalar("SELECT COUNT(*) FROM staff_cells WHERE appointment_id = $1", &[Arg::Id(appointment.as_uuid())]).await
}

/// Seat rows of `service` at `start`, whoever owns them (expired holds included).
pub async fn seat_rows_at<S: TestDb>(store: &S, service: ServiceId, start: Timestamp) -> i64 {
    store
        .scalar(
            "SELECT COUNT(*) FROM slot_seats WHERE service_id = $1 AND starts_at = $2",
            &[Arg::Id(service.as_uuid()), at(start)],
        )
        .await
}

pub async fn appointment_rows<S: TestDb>(store: &S) -> i64 {
    store.scalar("SELECT COUNT(*) FROM appointments", &[]).await
}

pub async fn outbox_rows<S: TestDb>(store: &S) -> i64 {
    store.scalar("SELECT COUNT(*) FROM outbox", &[]).await
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

pub fn cph() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").expect("tz")
}

/// A Copenhagen wall-clock time.
pub fn local(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    cph().to_timestamp(date(y, m, d).at(h, min, 0, 0)).expect("local time")
}

/// The fixed "now" of every test: Monday 30 November 2026, 07:00 in Copenhagen.
pub fn now() -> Timestamp {
    local(2026, 11, 30, 7, 0)
}

/// `now()` plus `m` minutes.
pub fn later(m: i64) -> Timestamp {
    now() + SignedDuration::from_mins(m)
}

/// Tuesday 1 December 2026: an ordinary open day inside the horizon.
pub fn tuesday() -> Date {
    date(2026, 12, 1)
}

/// `h:min` on Tuesday 1 December 2026. Slots of the default service start at 09:00, 09:25,
/// 09:50, 10:15, 10:40, … (20 minutes plus a 5-minute buffer).
pub fn tue(h: i8, min: i8) -> Timestamp {
    local(2026, 12, 1, h, min)
}

/// The instants of the local day, as the app's `window_for` computes them.
pub fn day_window(day: Date) -> Interval {
    let tz = cph();
    let start = tz.to_timestamp(day.to_datetime(jiff::civil::Time::midnight())).expect("midnight");
    let end = tz
        .to_timestamp(day.tomorrow().expect("tomorrow").to_datetime(jiff::civil::Time::midnight()))
        .expect("midnight");
    Interval::new(start, end).expect("window")
}

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

pub fn range(s: &str) -> TimeRange {
    TimeRange::parse(s).expect("time range")
}

/// 20 minutes, 5 minutes buffer, `capacity` seats, 60 minutes notice, 60 days horizon, online.
pub fn default_rules(capacity: u16) -> ServiceRules {
    ServiceRules::new(20, 5, capacity, 60, 60, true).expect("rules")
}

/// An organisation (Europe/Copenhagen), a centre open Mon–Fri 09:00–15:00, a queue, one service
/// and staff qualified for it working 08:00–16:00 on weekdays.
#[derive(Clone, Debug)]
#[allow(dead_code)] // not every test needs every record
pub struct Fixture {
    pub org: Organisation,
    pub centre: Centre,
    pub queue: Queue,
    pub service: Service,
    pub staff: Vec<StaffMember>,
}

impl Fixture {
    pub async fn seed<S: Store>(store: &S, capacity: u16, staff: usize) -> Self {
        let (org, centre, queue) = seed_centre(store).await;
        let service = make_service(&centre, &queue, "Pas", default_rules(capacity), Sensitivity::Normal);
        store.create_service(&service).await.expect("create service");
        let mut members = Vec::with_capacity(staff);
        for i in 0..staff {
            let m = make_staff(&centre, &format!("Medarbejder {i}"), &[service.id]);
            store.create_staff(&m).await.expect("create staff");
            members.push(m);
        }
        Self { org, centre, queue, service, staff: members }
    }
}

/// The organisation, centre and queue of a fixture, without services or staff.
pub async fn seed_centre<S: Store>(store: &S) -> (Organisation, Centre, Queue) {
    let org = Organisation {
        id: OrganisationId::from_uuid(Uuid::new_v4()),
        name: "Testkommune".into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec!["test.example.org".into()],
    };
    store.create_organisation(&org).await.expect("create organisation");
    let centre = Centre {
        id: CentreId::from_uuid(Uuid::new_v4()),
        organisation_id: org.id,
        name: "Borgerservice Test".into(),
        address: "Testvej 1, 8000 Aarhus C".into(),
        opening_hours: WeeklyHours::weekdays(&[range("09:00-15:00")]).expect("hours"),
        closed_days: ClosedDays::default(),
    };
    store.create_centre(&centre).await.expect("create centre");
    let queue = Queue {
        id: QueueId::from_uuid(Uuid::new_v4()),
        centre_id: centre.id,
        name_da: "Kø".into(),
        name_en: "Queue".into(),
        prefix: "A".into(),
    };
    store.create_queue(&queue).await.expect("create queue");
    (org, centre, queue)
}

pub fn make_service(
    centre: &Centre,
    queue: &Queue,
    name: &str,
    rules: ServiceRules,
    sensitivity: Sensitivity,
) -> Service {
    Service {
        id: ServiceId::from_uuid(Uuid::new_v4()),
        centre_id: centre.id,
        queue_id: queue.id,
        name_da: name.to_owned(),
        name_en: format!("{name} (en)"),
        rules,
        sensitivity,
    }
}

/// A staff member working 08:00–16:00 Monday to Friday.
pub fn make_staff(centre: &Centre, name: &str, services: &[ServiceId]) -> StaffMember {
    StaffMember {
        id: StaffId::from_uuid(Uuid::new_v4()),
        centre_id: centre.id,
        name: name.to_owned(),
        schedule: WeeklyHours::weekdays(&[range("08:00-16:00")]).expect("schedule"),
        services: services.to_vec(),
    }
}

// ---------------------------------------------------------------------------------------------
// Booking as the app does it
// ---------------------------------------------------------------------------------------------

/// What `availability_input` says about `service` on `day`, as seen at `now`.
pub async fn input<S: Store>(store: &S, service: ServiceId, day: Date, now: Timestamp) -> AvailabilityInput {
    store.availability_input(service, day_window(day), now).await.expect("availability_input").expect("service exists")
}

/// `check_start` over a fresh `availability_input` of the start's local day.
pub async fn slot_at<S: Store>(
    store: &S,
    service: ServiceId,
    start: Timestamp,
    now: Timestamp,
) -> Result<Slot, SlotError> {
    let day = cph().to_datetime(start).date();
    check_start(&input(store, service, day, now).await, now, start)
}

/// A booking of `slot` with a fresh id, reference and token. With `hold` it is held until then
/// (and has an e-mail address and a code), otherwise confirmed at once.
pub fn new_appointment(service: &Service, slot: &Slot, now: Timestamp, hold: Option<Timestamp>) -> NewAppointment {
    let id = AppointmentId::from_uuid(Uuid::new_v4());
    let appointment = Appointment {
        id,
        centre_id: service.centre_id,
        service_id: service.id,
        staff_id: None,
        reference: BookingReference::from_random_bytes(rand::random()),
        manage_token_hash: ManageToken::from_random_bytes(rand::random()).hash(),
        status: if hold.is_some() { AppointmentStatus::Held } else { AppointmentStatus::Confirmed },
        slot: slot.interval,
        occupied_until: slot.interval.start() + service.rules.occupancy(),
        citizen_name: "Karen Jensen".into(),
        citizen_email: hold.map(|_| "karen@example.org".to_owned()),
        citizen_phone: None,
        language: Lang::Da,
        hold_expires_at: hold,
        code_hash: hold.map(|_| ConfirmationCode::from_random(123_456).hash(&id.to_string())),
        code_attempts: 0,
        created_at: now,
    };
    NewAppointment { appointment, capacity: service.rules.capacity(), candidate_staff: slot.free_staff.clone() }
}

/// Where a reschedule to `slot` goes, as the app builds it.
pub fn new_slot(service: &Service, slot: &Slot) -> NewSlot {
    NewSlot {
        slot: slot.interval,
        occupied_until: slot.interval.start() + service.rules.occupancy(),
        capacity: service.rules.capacity(),
        candidate_staff: slot.free_staff.clone(),
    }
}

/// An outbox message about `appointment`.
pub fn message(appointment: AppointmentId, template: &str) -> NewMessage {
    NewMessage {
        id: MessageId::from_uuid(Uuid::new_v4()),
        appointment_id: Some(appointment),
        template: template.to_owned(),
        recipient: "karen@example.org".into(),
        language: Lang::Da,
        payload: format!("{{\"template\":\"{template}\"}}"),
        organisation_id: None,
        address_id: None,
        purpose: skranke_core::notify::Purpose::Notification,
    }
}

/// Spawns a configured `skranke` command (`demo` or `serve`), waits for its "Listening on" line and
/// returns the child with the URL; stdout is drained from then on so the child never blocks.
#[allow(dead_code)]
pub fn spawn_listening(mut command: std::process::Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = command.stdout(std::process::Stdio::piped()).spawn().expect("start skranke");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("server exited before listening").expect("read stdout");
        if let Some(url) = line.strip_prefix("Listening on ") {
            break url.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}
