//! Faults on the way out (issue 6, "Bad input and faults"): a recipient record that may not be
//! mailed, a message that cannot be rendered, a relay that is down, slow or drops the connection
//! in the middle of a message, a full disk under SQLite, PostgreSQL cutting every connection, and
//! the process killed in the middle of a burst. Each ends with every message held (with its
//! reason) or delivered; a message the relay got more than once carries the same Message-ID
//! every time, `<outbox-id@skranke.test>`, so the relay can tell it is one message.
//!
//! The relays are real SMTP servers (`tests/smtp/server.py`, see `smtp_support`); the full disk
//! is a real one (a tiny tmpfs, which needs the `mount` privilege: root in the project's
//! container); the PostgreSQL cut is `pg_terminate_backend` on this test's database only, so tests
//! running beside it on the same server are not touched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use skranke::app::notify::{self, Mailbox};
use skranke::app::{App, AppSettings};
use skranke::clock::SystemClock;
use skranke::mail::smtp::Security;
use skranke::mail::{SEND_AT_ONCE, Worker, WorkerSettings};
use skranke::store::{AddressRecord, SqliteStore, Store as _, StoreError};
use skranke_core::access::Role;
use skranke_core::ids::MessageId;
use sqlx::Connection as _;
use uuid::Uuid;

use crate::notify_app::{IntoAny, World, drain_with, principal, set_mailbox, transfer_one, world};
use crate::smtp_support::{HELLO_NAME, SmtpServer, free_port, relay_settings, verified_over};
use crate::support::*;

both!(
    a_record_that_may_not_be_mailed_or_a_broken_template_holds_with_its_reason,
    a_relay_that_is_down_keeps_messages_pending_until_it_is_up,
    a_slow_relay_gets_the_retry_under_the_same_message_id,
    a_slow_relay_is_sent_to_over_several_connections_at_once,
    a_connection_dropped_mid_message_is_retried_under_the_same_message_id,
    a_late_failure_does_not_undo_another_workers_delivery,
);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Polls `done` every 20 ms until it holds; fails naming `what` after `limit`.
async fn wait_until<F, Fut>(limit: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The queue Ydelser's shared mailbox, set up (not yet proven): codes may go to it, nothing else.
async fn ydelser_mailbox(w: &World) -> AddressRecord {
    let admin = principal(w, Role::OrgAdmin);
    set_mailbox(w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fredericia.dk").await.unwrap()
}

/// A message waiting in the outbox, as the worker reads it back.
struct Queued {
    id: Uuid,
    /// Unique per message, in its text: how the test tells messages apart besides the Message-ID.
    code: String,
}

impl Queued {
    /// The Message-ID every copy of this message must carry.
    fn message_id(&self) -> String {
        format!("<{}@{HELLO_NAME}>", MessageId::from_uuid(self.id))
    }
}

/// Writes `n` address-code messages to `record` into the outbox, due at `due`, as
/// `notify::request_code` writes one (a code mail passes the gate whatever the record's state,
/// and over a relay without TLS, since it carries no personal data).
async fn queue_codes<S: TestDb>(store: &S, w: &World, record: &AddressRecord, n: usize, due: Timestamp) -> Vec<Queued> {
    let mut queued = Vec::with_capacity(n);
    for i in 0..n {
        let id = Uuid::new_v4();
        let code = format!("{}", 100_000 + i);
        let payload = json!({"template": "address_code", "code": code, "organisation": "Fredericia Kommune"});
        store
            .execute(
                "INSERT INTO outbox (id, template, recipient, language, payload, status, attempts, next_attempt_at, \
                 created_at, organisation_id, address_id, purpose) VALUES ($1, 'address_code', $2, 'da', $3, \
                 'pending', 0, $4, $4, $5, $6, 'verification')",
                &[
                    Arg::Id(id),
                    Arg::Text(record.address.clone()),
                    Arg::Text(payload.to_string()),
                    at(due),
                    Arg::Id(w.org.as_uuid()),
                    Arg::Id(record.id.as_uuid()),
                ],
            )
            .await;
        queued.push(Queued { id, code });
    }
    queued
}

/// Checks what the relay got against what was queued: every message at least once, every copy
/// with the message's own Message-ID, nothing else. Returns how many copies were repeats.
fn check_copies(received: &[Value], queued: &[Queued]) -> usize {
    let mut copies: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for mail in received {
        let body = mail["body"].as_str().unwrap();
        let owner = queued
            .iter()
            .find(|q| body.contains(&format!("Koden er: {}", q.code)))
            .unwrap_or_else(|| panic!("the relay got a message nobody queued: {mail}"));
        copies.entry(owner.code.as_str()).or_default().push(mail["message_id"].as_str().unwrap());
    }
    for q in queued {
        let ids = copies.get(q.code.as_str()).unwrap_or_else(|| panic!("message {} never reached the relay", q.id));
        let expected = q.message_id();
        assert!(ids.iter().all(|id| *id == expected), "copies of {} carry Message-IDs {ids:?}", q.id);
    }
    received.len() - queued.len()
}

async fn status_count<S: TestDb>(store: &S, status: &str) -> i64 {
    store.scalar("SELECT COUNT(*) FROM outbox WHERE status = $1", &[Arg::Text(status.to_owned())]).await
}

/// Outbox rows waiting for another try with a reason recorded that names no address: what the
/// worker leaves behind after a failed delivery.
async fn retrying_with_reason<S: TestDb>(store: &S, attempts: i64) -> i64 {
    store
        .scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = $1 AND last_error IS NOT NULL \
             AND last_error <> '' AND last_error NOT LIKE '%@%'",
            &[Arg::Int(attempts)],
        )
        .await
}

// ---------------------------------------------------------------------------------------------
// The recipient's record and the template
// ---------------------------------------------------------------------------------------------

/// A notification to an unverified, an expired and a suspended mailbox, and one whose stored
/// payload cannot be rendered: each is held (kept, with its reason on the held page and in the
/// audit log), the relay gets none of them, and the monitored mailbox is told each time.
async fn a_record_that_may_not_be_mailed_or_a_broken_template_holds_with_its_reason<S: TestDb + IntoAny>(store: S) {
    let server = SmtpServer::start("plain");
    let settings = server.settings(Security::None);
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let receptionist = principal(&w, Role::Receptionist);
    verified_over(&w, &server, &settings, Mailbox::Organisation(w.org), "it-drift@fredericia.dk").await;

    // Unverified: the mailbox is set up but nobody typed its code.
    let ydelser = ydelser_mailbox(&w).await;
    transfer_one(&w, &receptionist).await;
    drain_with(&w.app, settings.clone()).await;

    // Expired: proven once, a year ago as far as the record says.
    let ydelser = verified_over(&w, &server, &settings, Mailbox::Queue(w.ydelser.id), &ydelser.address).await;
    store
        .execute(
            "UPDATE addresses SET expires_at = $1 WHERE id = $2",
            &[at(w.app.clock.now() - SignedDuration::from_mins(1)), Arg::Id(ydelser.id.as_uuid())],
        )
        .await;
    transfer_one(&w, &receptionist).await;
    drain_with(&w.app, settings.clone()).await;

    // Suspended, as three bounces leave it.
    store
        .execute(
            "UPDATE addresses SET state = 'suspended', verified_at = NULL, expires_at = NULL WHERE id = $1",
            &[Arg::Id(ydelser.id.as_uuid())],
        )
        .await;
    transfer_one(&w, &receptionist).await;
    drain_with(&w.app, settings.clone()).await;

    // A stored payload this version cannot render (a field missing).
    store
        .execute(
            "INSERT INTO outbox (id, template, recipient, language, payload, status, attempts, next_attempt_at, \
             created_at, organisation_id, address_id, purpose) VALUES ($1, 'visit_transferred', $2, 'da', \
             '{\"template\": \"visit_transferred\", \"queue_name\": \"Ydelser\"}', 'pending', 0, $3, $3, $4, $5, \
             'notification')",
            &[
                Arg::Id(Uuid::new_v4()),
                Arg::Text(ydelser.address.clone()),
                at(w.app.clock.now()),
                Arg::Id(w.org.as_uuid()),
                Arg::Id(ydelser.id.as_uuid()),
            ],
        )
        .await;
    drain_with(&w.app, settings.clone()).await;

    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    let mut reasons: Vec<(&str, &str, &str)> =
        held.iter().map(|h| (h.template.as_str(), h.outcome.as_str(), h.reason.as_str())).collect();
    reasons.sort_unstable();
    assert_eq!(
        reasons,
        [
            ("visit_transferred", "hold", "render_failed"),
            ("visit_transferred", "hold", "suspended"),
            ("visit_transferred", "hold", "unverified"),
            ("visit_transferred", "hold", "verification_expired"),
        ]
    );
    // Held is kept: the three that could be rendered still have their text to release later.
    assert_eq!(
        store
            .scalar("SELECT COUNT(*) FROM outbox WHERE status = 'held' AND payload LIKE '%\"queue_name\"%'", &[])
            .await,
        4
    );
    assert_eq!(status_count(&store, "pending").await, 0);
    let received = server.received();
    // The mailbox got its code and nothing else; the monitored mailbox got its code and one
    // alert per held message, naming the reason, not the content.
    let to_ydelser: Vec<&Value> = received.iter().filter(|m| m["rcpt"][0] == "ydelser@fredericia.dk").collect();
    assert_eq!(to_ydelser.len(), 1);
    assert!(to_ydelser[0]["body"].as_str().unwrap().contains("Koden er:"));
    let alerts: Vec<&str> = received
        .iter()
        .filter(|m| m["rcpt"][0] == "it-drift@fredericia.dk" && m["subject"] == "En besked er tilbageholdt")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(alerts.len(), 4, "{alerts:?}");
    assert!(alerts.iter().all(|b| b.contains("Årsag:") && !b.contains("tandpleje")), "{alerts:?}");
    let audit = w.app.store.audit_page(0, 10_000).await.unwrap();
    let mut audited: Vec<String> = audit
        .iter()
        .filter(|e| e.record.action.as_str() == "mail.held")
        .map(|e| serde_json::to_value(&e.record.detail).unwrap()["reason"].as_str().unwrap().to_owned())
        .collect();
    audited.sort_unstable();
    assert_eq!(audited, ["render_failed", "suspended", "unverified", "verification_expired"]);
}

// ---------------------------------------------------------------------------------------------
// The relay
// ---------------------------------------------------------------------------------------------

/// Nothing listens where the relay should be: each try leaves the messages pending with the try
/// counted and a reason recorded, nothing is held; once the relay is up each arrives once.
async fn a_relay_that_is_down_keeps_messages_pending_until_it_is_up<S: TestDb + IntoAny>(store: S) {
    let port = free_port();
    let settings = relay_settings(port, Security::None, 2);
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let record = ydelser_mailbox(&w).await;
    let queued = queue_codes(&store, &w, &record, 3, w.app.clock.now()).await;
    let worker = Worker::new(w.app.clone(), settings.clone());
    for attempt in 1..=2 {
        assert_eq!(worker.tick().await.unwrap(), 3, "try {attempt} takes all three");
        assert_eq!(retrying_with_reason(&store, attempt).await, 3, "try {attempt}");
        assert!(notify::held_messages(&w.app, &admin, w.org).await.unwrap().is_empty());
        // Not due again before the backoff has passed.
        assert_eq!(worker.tick().await.unwrap(), 0);
        w.clock.advance(SignedDuration::from_hours(1));
    }

    let server = SmtpServer::start_with("plain", &["--port", &port.to_string()]);
    drain_with(&w.app, settings).await;
    assert_eq!(status_count(&store, "sent").await, 3);
    let received = server.received();
    assert_eq!(check_copies(&received, &queued), 0, "each message once: {received:?}");
}

/// The relay takes the message but answers after the sender's timeout: the sender cannot know
/// it arrived, so it tries again later; the relay's second copy has the first one's Message-ID.
async fn a_slow_relay_gets_the_retry_under_the_same_message_id<S: TestDb + IntoAny>(store: S) {
    let server = SmtpServer::start_with("slow", &["--count", "1", "--delay", "5"]);
    let settings = relay_settings(server.port, Security::None, 2);
    let w = world(&store, "fredericia.dk").await;
    let record = ydelser_mailbox(&w).await;
    let queued = queue_codes(&store, &w, &record, 1, w.app.clock.now()).await;
    let worker = Worker::new(w.app.clone(), settings.clone());
    let started = Instant::now();
    assert_eq!(worker.tick().await.unwrap(), 1);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(4), "the worker waited {waited:?} for a relay past its 2 s timeout");
    assert_eq!(retrying_with_reason(&store, 1).await, 1, "the timeout leaves it pending");
    assert_eq!(server.received().len(), 1, "the relay kept the first copy");

    w.clock.advance(SignedDuration::from_hours(1));
    drain_with(&w.app, settings).await;
    assert_eq!(status_count(&store, "sent").await, 1);
    let received = server.received();
    assert_eq!(check_copies(&received, &queued), 1, "one repeat: {received:?}");
}

/// A relay that takes its time with every message: the worker keeps up to `SEND_AT_ONCE`
/// messages waiting on it at once, each on its own connection, and never more; each message
/// arrives once and is marked sent.
async fn a_slow_relay_is_sent_to_over_several_connections_at_once<S: TestDb + IntoAny>(store: S) {
    let n = 3 * SEND_AT_ONCE;
    let server = SmtpServer::start_with("slow", &["--count", &n.to_string(), "--delay", "0.3"]);
    let settings = relay_settings(server.port, Security::None, 5);
    let w = world(&store, "fredericia.dk").await;
    let record = ydelser_mailbox(&w).await;
    let queued = queue_codes(&store, &w, &record, n, w.app.clock.now()).await;
    let worker = Worker::new(w.app.clone(), settings);
    assert_eq!(worker.tick().await.unwrap(), n);
    assert_eq!(status_count(&store, "sent").await, i64::try_from(n).unwrap());
    let received = server.received();
    assert_eq!(received.len(), n, "{received:?}");
    assert_eq!(check_copies(&received, &queued), 0, "each message once: {received:?}");
    let in_flight: Vec<u64> = received.iter().map(|m| m["in_flight"].as_u64().unwrap()).collect();
    let most = in_flight.iter().copied().max().unwrap();
    assert!(most >= 2, "sent one at a time: {in_flight:?}");
    assert!(most <= SEND_AT_ONCE as u64, "more than {SEND_AT_ONCE} at once: {in_flight:?}");
    let connections: std::collections::BTreeSet<u64> =
        received.iter().map(|m| m["peer_port"].as_u64().unwrap()).collect();
    assert!(
        (2..=SEND_AT_ONCE).contains(&connections.len()),
        "{} connections for {n} messages: {connections:?}",
        connections.len()
    );
}

/// The connection breaks in the middle of the message text (the relay took nothing: one copy in
/// the end) and, for a second message, after the whole text but before the answer (the relay
/// took it: two copies, one Message-ID).
async fn a_connection_dropped_mid_message_is_retried_under_the_same_message_id<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let record = ydelser_mailbox(&w).await;
    for (mode, repeats) in [("drop", 0), ("drop-after", 1)] {
        let server = SmtpServer::start_with(mode, &["--count", "1"]);
        let settings = relay_settings(server.port, Security::None, 5);
        let queued = queue_codes(&store, &w, &record, 1, w.app.clock.now()).await;
        let worker = Worker::new(w.app.clone(), settings.clone());
        assert_eq!(worker.tick().await.unwrap(), 1);
        assert_eq!(retrying_with_reason(&store, 1).await, 1, "{mode}: pending after the break");
        w.clock.advance(SignedDuration::from_hours(1));
        drain_with(&w.app, settings).await;
        assert_eq!(status_count(&store, "pending").await, 0, "{mode}");
        let received = server.received();
        assert_eq!(check_copies(&received, &queued), repeats, "{mode}: {received:?}");
    }
    assert_eq!(status_count(&store, "sent").await, 2);
    assert_eq!(status_count(&store, "held").await, 0);
}

/// Two workers (two app instances on one database). The first one's lease runs out while the
/// relay sits on its message; the second claims and delivers it. When the relay then drops the
/// first one's connection, its "try again later" must not turn the delivered message back into
/// a pending one (which would send it again and, its text cleared on delivery, hold it as
/// unrenderable).
async fn a_late_failure_does_not_undo_another_workers_delivery<S: TestDb + IntoAny>(store: S) {
    let server = SmtpServer::start_with("drop-after", &["--count", "1", "--delay", "6"]);
    let settings =
        WorkerSettings { lease: SignedDuration::from_secs(60), ..relay_settings(server.port, Security::None, 5) };
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let record = ydelser_mailbox(&w).await;
    let queued = queue_codes(&store, &w, &record, 1, w.app.clock.now()).await;
    let first = Worker::new(w.app.clone(), settings.clone());
    let second = Worker::new(w.app.clone(), settings.clone());
    let slow = tokio::spawn(async move { first.tick().await });
    wait_until(Duration::from_secs(10), "the relay to take the first copy", || async { !server.received().is_empty() })
        .await;
    // The first worker's lease runs out while it waits for the relay's answer.
    w.clock.advance(SignedDuration::from_secs(61));
    assert_eq!(second.tick().await.unwrap(), 1);
    assert_eq!(status_count(&store, "sent").await, 1);
    assert!(!slow.is_finished(), "the first worker was still waiting when the second delivered (timing)");
    assert_eq!(slow.await.unwrap().unwrap(), 1);
    assert_eq!(status_count(&store, "sent").await, 1, "the late failure undid the delivery");

    w.clock.advance(SignedDuration::from_hours(1));
    drain_with(&w.app, settings).await;
    assert_eq!(status_count(&store, "sent").await, 1);
    assert!(notify::held_messages(&w.app, &admin, w.org).await.unwrap().is_empty());
    assert_eq!(check_copies(&server.received(), &queued), 1);
}

// ---------------------------------------------------------------------------------------------
// A full disk under SQLite
// ---------------------------------------------------------------------------------------------

/// A tmpfs of a few megabytes mounted for one test, unmounted when dropped. Filling it with a
/// filler file makes every write that needs a new block fail with ENOSPC, as a full disk does.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount() -> Self {
        let dir = std::env::temp_dir().join("skranke-it-disk").join(Uuid::new_v4().simple().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
            .arg(&dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the full-disk test mounts a 16 MB tmpfs and needs the privilege to (root, as in the project's \
             container): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir }
    }

    fn filler(&self) -> PathBuf {
        self.dir.join("filler")
    }

    /// Fills the disk. First the WAL is checkpointed and truncated to nothing, so the next commit
    /// must grow it; otherwise a commit could reuse the blocks of an earlier WAL and succeed.
    async fn fill(&self, store: &SqliteStore, db: &Path) {
        let (busy, _, _): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(store.pool()).await.unwrap();
        assert_eq!(busy, 0, "the WAL could not be checkpointed");
        let wal = PathBuf::from(format!("{}-wal", db.display()));
        assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0, "the WAL was not truncated");
        use std::io::Write as _;
        let mut f = std::fs::File::create(self.filler()).unwrap();
        let block = vec![0u8; 64 * 1024];
        loop {
            match f.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily, so a test failing with the database still open does not leave the mount behind.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_disk_full(e: &StoreError) -> bool {
    // SQLITE_FULL (13): "database or disk is full".
    matches!(e, StoreError::Database(sqlx::Error::Database(db)) if db.code().as_deref() == Some("13"))
}

/// SQLite on a disk that fills up: a worker tick fails with the error (no panic) and changes
/// nothing, a booking is answered with a server error, not a dropped connection; a disk that
/// fills while a message is on its way leaves it pending, and once there is room again it is
/// delivered, the relay's second copy under the first one's Message-ID. Nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_sqlite_fails_the_tick_and_loses_nothing() {
    let disk = SmallDisk::mount();
    let db = disk.dir.join("skranke.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    store.migrate().await.unwrap();
    let server = SmtpServer::start_with("slow", &["--count", "1", "--delay", "3"]);
    let settings = relay_settings(server.port, Security::None, 10);
    let w = world(&store, "fredericia.dk").await;
    let staff = make_staff(&w.centre, "Medarbejder", &[w.service.id]);
    store.create_staff(&staff).await.unwrap();
    let record = ydelser_mailbox(&w).await;
    // The HTTP server, for a booking while the disk is full; its own worker claims nothing.
    let http_worker = WorkerSettings { batch: 0, poll: Duration::from_secs(3600), ..WorkerSettings::default() };
    let running = skranke::server::start(
        "127.0.0.1:0",
        store.any(),
        Arc::new(w.clock.clone()),
        AppSettings::default(),
        false,
        http_worker,
    )
    .await
    .unwrap();
    let queued = queue_codes(&store, &w, &record, 1, w.app.clock.now()).await;
    let worker = Worker::new(w.app.clone(), settings.clone());

    // Full before the worker starts: the claim itself cannot be written.
    disk.fill(&store, &db).await;
    let err = worker.tick().await.expect_err("a tick on a full disk fails");
    assert!(is_disk_full(&err), "{err:?}");
    assert!(server.received().is_empty());
    assert_eq!(store.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 0", &[]).await, 1);
    let http = reqwest::Client::new();
    let booking = json!({"service": w.service.id.to_string(), "start": tue(9, 0).to_string(), "citizen": {"name": "Karen Jensen"}});
    let r = http.post(format!("{}/api/v1/bookings", running.url())).json(&booking).send().await.unwrap();
    // A fault of the moment, not of the request: "try again shortly", with a message.
    assert_eq!(r.status(), 503, "a booking on a full disk");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    disk.free();
    // Room again: every pooled connection writes again. (A commit that failed on the full disk
    // was rolled back by SQLite itself; a connection that still counts it as open must not be
    // handed out again, or each write on it fails long after the disk has room.)
    for _ in 0..20 {
        store.claim_outbox(w.app.clock.now(), SignedDuration::ZERO, 0).await.expect("a write once there is room");
    }
    let r = http.post(format!("{}/api/v1/bookings", running.url())).json(&booking).send().await.unwrap();
    assert_eq!(r.status(), 201, "the same booking once there is room");
    running.shutdown().await;

    // Full while the message is on its way: the relay has it, the outcome cannot be written.
    let on_its_way = tokio::spawn(async move { worker.tick().await });
    wait_until(Duration::from_secs(10), "the relay to take the message", || async { !server.received().is_empty() })
        .await;
    disk.fill(&store, &db).await;
    let err = on_its_way.await.unwrap().expect_err("the outcome cannot be written");
    assert!(is_disk_full(&err), "{err:?}");
    assert_eq!(store.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 1", &[]).await, 1);

    // Room again; once the claim's lease has run out the message goes again, under its own id.
    disk.free();
    w.clock.advance(WorkerSettings::default().lease + SignedDuration::from_secs(1));
    drain_with(&w.app, settings).await;
    assert_eq!(status_count(&store, "sent").await, 1);
    assert_eq!(check_copies(&server.received(), &queued), 1);
    assert_eq!(appointment_rows(&store).await, 1);
    store.pool().close().await;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL cuts every connection
// ---------------------------------------------------------------------------------------------

/// `pg_terminate_backend` on every connection to this test's database, from a connection of its
/// own, as a PostgreSQL restart does to the app (other tests' databases are not touched).
async fn cut_connections(db_url: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(db_url).await.unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.ok();
    cut
}

/// The worker delivers a burst on the real clock while every database connection is cut, twice;
/// it recovers on a later tick, every message is delivered, none held, repeats only under their
/// own Message-ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cutting_every_connection_mid_burst_loses_nothing() {
    const N: usize = 120;
    let (store, name) = fresh_pg().await;
    let db_url = with_database(&pg_server_url(), &name);
    let server = SmtpServer::start("plain");
    let w = world(&store, "fredericia.dk").await;
    let record = ydelser_mailbox(&w).await;
    let queued = queue_codes(&store, &w, &record, N, Timestamp::UNIX_EPOCH).await;
    let app = App::new(store.any(), Arc::new(SystemClock), AppSettings::default());
    let settings = WorkerSettings {
        poll: Duration::from_millis(20),
        lease: SignedDuration::from_secs(2),
        batch: 10,
        ..relay_settings(server.port, Security::None, 5)
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(Worker::new(app, settings).run(stopped));

    for part in [3, 2] {
        wait_until(Duration::from_secs(60), "the burst to get going", || async { server.received().len() >= N / part })
            .await;
        // Right after the first cut nothing may have reconnected yet: wait for a connection to
        // cut rather than count a cut of none (a race the faster worker made likely).
        wait_until(Duration::from_secs(10), "the worker's connections to be cut", || async {
            cut_connections(&db_url).await >= 1
        })
        .await;
    }
    wait_until(Duration::from_secs(60), "every message to be sent", || async {
        status_count(&store, "sent").await == i64::try_from(N).unwrap()
    })
    .await;
    stop.send(true).unwrap();
    running.await.unwrap();
    assert_eq!(status_count(&store, "held").await, 0);
    let repeats = check_copies(&server.received(), &queued);
    eprintln!("{repeats} repeated deliveries after the cuts");
    store.pool().close().await;
    drop_pg(&name).await;
}

// ---------------------------------------------------------------------------------------------
// SIGKILL in the middle of a burst
// ---------------------------------------------------------------------------------------------

/// `skranke serve` on `database`, mailing through the relay at `port` without TLS.
fn serve(database: &str, port: u16, dir: &Path) -> (std::process::Child, String) {
    let config = dir.join("skranke.toml");
    std::fs::write(
        &config,
        format!(
            "mail_transport = \"smtp\"\nlog = \"warn\"\n\n[smtp]\nhost = \"localhost\"\nport = {port}\n\
             security = \"none\"\nfrom = \"skranke@fredericia.dk\"\nhello_name = \"{HELLO_NAME}\"\ntimeout_secs = 5\n"
        ),
    )
    .unwrap();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_skranke"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database, "--config"])
        .arg(&config)
        .stderr(Stdio::from(log));
    spawn_listening(command)
}

/// A few hundred messages wait; `skranke serve` is SIGKILLed when about half have reached the
/// relay and started again. Every message ends sent, the relay got each at least once, and a
/// message it got twice carries the same Message-ID both times.
async fn a_sigkill_mid_burst_loses_nothing<S: TestDb + IntoAny>(store: S, database: &str) {
    const N: usize = 300;
    let dir = std::env::temp_dir().join("skranke-it").join(format!("kill-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = SmtpServer::start("plain");
    let w = world(&store, "fredericia.dk").await;
    let record = ydelser_mailbox(&w).await;
    let queued = queue_codes(&store, &w, &record, N, Timestamp::UNIX_EPOCH).await;

    let (mut child, _) = serve(database, server.port, &dir);
    wait_until(Duration::from_secs(120), "half the burst to reach the relay", || async {
        server.received().len() >= N / 2
    })
    .await;
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let pending = status_count(&store, "pending").await;
    assert!(pending > 0, "the burst was over before the kill");
    // The messages the killed process had claimed stay leased (60 s in `serve`) and then go to
    // the next worker; the test moves their lease into the past instead of waiting for it.
    let leased = store
        .execute(
            "UPDATE outbox SET locked_until = locked_until - 61000000 WHERE status = 'pending' \
             AND locked_until IS NOT NULL",
            &[],
        )
        .await;
    eprintln!("killed with {pending} of {N} pending, {leased} of them claimed by the killed process");

    let (mut child, _) = serve(database, server.port, &dir);
    wait_until(Duration::from_secs(120), "every message to be sent after the restart", || async {
        status_count(&store, "sent").await == i64::try_from(N).unwrap()
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status_count(&store, "held").await, 0);
    let repeats = check_copies(&server.received(), &queued);
    eprintln!("{repeats} repeated deliveries after the kill");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_burst_loses_nothing_on_sqlite() {
    let dir = std::env::temp_dir().join("skranke-it").join(Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("skranke.db").display());
    let store = SqliteStore::connect(&database).await.unwrap();
    store.migrate().await.unwrap();
    a_sigkill_mid_burst_loses_nothing(store.clone(), &database).await;
    store.pool().close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_burst_loses_nothing_on_postgres() {
    let (store, name) = fresh_pg().await;
    a_sigkill_mid_burst_loses_nothing(store.clone(), &with_database(&pg_server_url(), &name)).await;
    store.pool().close().await;
    drop_pg(&name).await;
}
