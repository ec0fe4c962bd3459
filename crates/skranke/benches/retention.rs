//! The retention pass over 1,000,000 bookings on SQLite and PostgreSQL (issue 7: ≤ 60 s, without
//! blocking bookings for more than 50 ms at a time): every booking ended more than 90 days ago,
//! so the pass anonymises all of them, in batches. Beside it, a writer appends one audit entry
//! after another (a write that, like a booking, needs the database's write lock on SQLite) and
//! records how long each waited: the longest wait is what a booking would have felt. Baseline in
//! the same run: the same writer alone.
//!
//!     cargo bench -p skranke --bench retention
//!
//! `SKRANKE_BENCH_BOOKINGS` changes the number of bookings (default 1,000,000);
//! `SKRANKE_BENCH_ONLY=sqlite` or `=postgres` runs one database. PostgreSQL:
//! `SKRANKE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/postgres); a throw-away
//! database is created and dropped.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use skranke::app::{App, AppSettings, retention};
use skranke::auth::password::PasswordParams;
use skranke::clock::ManualClock;
use skranke::store::{AnyStore, Store};
use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label};
use sqlx::Executor;

const FAST: PasswordParams = PasswordParams { memory_kib: 64, iterations: 1, parallelism: 1 };

async fn seed(store: &AnyStore, bookings: u64, now: Timestamp) {
    let seeded = skranke::demo::seed(store, now, &FAST).await.unwrap();
    let (centre, service) = (seeded.services[0].0, seeded.services[0].1);
    // Ended between 100 days and four years ago, one every ~2 minutes.
    let end = (now - SignedDuration::from_hours(24 * 100)).as_microsecond();
    let step: i64 = 120_000_000;
    for slice in 0..bookings.div_ceil(100_000) {
        let (from, to) = (slice * 100_000 + 1, ((slice + 1) * 100_000).min(bookings));
        macro_rules! insert {
            ($pool:expr, $ids:literal, $series:literal) => {
                sqlx::query(concat!(
                    "INSERT INTO appointments (id, centre_id, service_id, reference, manage_token_hash, status, \
                     starts_at, ends_at, occupied_until, citizen_name, citizen_email, citizen_phone, language, \
                     created_at, updated_at) SELECT ",
                    $ids,
                    ", $1, $2, 'R' || i, 'x', 'cancelled', $3 - i * $4 - 900000000, $3 - i * $4, $3 - i * $4, \
                     'Borger ' || i, 'borger' || i || '@example.org', '+4512345678', 'da', $3 - i * $4, $3 - i * $4 FROM ",
                    $series
                ))
                .bind(centre.as_uuid())
                .bind(service.as_uuid())
                .bind(end)
                .bind(step)
                .bind(from as i64)
                .bind(to as i64)
                .execute($pool)
                .await
                .unwrap()
            };
        }
        match store {
            AnyStore::Sqlite(s) => {
                insert!(
                    s.pool(),
                    "randomblob(16)",
                    "(WITH RECURSIVE n(i) AS (SELECT $5 UNION ALL SELECT i + 1 FROM n WHERE i < $6) SELECT i FROM n)"
                );
            }
            AnyStore::Postgres(p) => {
                insert!(p.pool(), "gen_random_uuid()", "generate_series($5::bigint, $6::bigint) AS i");
            }
        }
    }
    // Settled before anything is timed: the bulk load's pages, left dirty in the page cache, are
    // written back by the kernel 30 s later (vm.dirty_expire_centisecs), which landed inside the
    // pass and stalled every commit on the machine for 70–170 ms, measured as if the pass had
    // done it (PostgreSQL's slow-statement log put the slow commits 30 s after the load, 12 s
    // into a checkpoint that the pass's own WAL had not caused). Bookings that came over years
    // have no such backlog.
    match store {
        AnyStore::Sqlite(s) => {
            s.pool().execute("ANALYZE").await.unwrap();
            s.pool().execute("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
        }
        AnyStore::Postgres(p) => {
            p.pool().execute("VACUUM ANALYZE appointments").await.unwrap();
            p.pool().execute("CHECKPOINT").await.unwrap();
        }
    }
    let synced = std::process::Command::new("sync").status().map(|s| s.success()).unwrap_or(false);
    assert!(synced, "sync(1) flushes the load to disk before the pass is timed");
}

fn record(i: u64, at: Timestamp) -> AuditRecord {
    AuditRecord {
        at,
        organisation: None,
        actor: Actor::System { label: Label::new("bench").unwrap() },
        action: Action::new("bench.write").unwrap(),
        object: None,
        detail: Detail::new(serde_json::json!({ "i": i })).unwrap(),
    }
}

/// Writes one entry after another until `stop`; returns each write's latency.
async fn writer(store: AnyStore, stop: Arc<AtomicBool>, at: Timestamp) -> Vec<Duration> {
    let mut took = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        store.append_audit(&[record(i, at)]).await.unwrap();
        took.push(started.elapsed());
        i += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    took
}

fn summary(mut took: Vec<Duration>) -> (usize, f64, f64) {
    took.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    let p99 = took.get(took.len() * 99 / 100).copied().unwrap_or_default();
    (took.len(), ms(p99), ms(took.last().copied().unwrap_or_default()))
}

async fn run(label: &str, store: AnyStore, bookings: u64) {
    store.migrate().await.unwrap();
    let now: Timestamp = "2026-06-15T10:00:00Z".parse().unwrap();
    let seeding = Instant::now();
    seed(&store, bookings, now).await;
    let seeded = seeding.elapsed();
    let app = App::new(store.clone(), Arc::new(ManualClock::new(now)), AppSettings::default());

    // Baseline: the writer alone for two seconds.
    let stop = Arc::new(AtomicBool::new(false));
    let alone = tokio::spawn(writer(store.clone(), stop.clone(), now));
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let (n0, p99_0, max0) = summary(alone.await.unwrap());

    // The pass, with the writer beside it.
    let stop = Arc::new(AtomicBool::new(false));
    let beside = tokio::spawn(writer(store.clone(), stop.clone(), now));
    let started = Instant::now();
    let reports = retention::run(&app).await.unwrap();
    let pass = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (n1, p99_1, max1) = summary(beside.await.unwrap());
    let anonymised: u64 = reports.iter().map(|r| r.done[0].1).sum();
    assert_eq!(anonymised, bookings, "every booking was due");
    // Idempotent: a second pass finds nothing.
    let again = Instant::now();
    let second: u64 = retention::run(&app).await.unwrap().iter().map(retention::OrgReport::total).sum();
    assert_eq!(second, 0);
    println!(
        "| {label} | {bookings} | {:.1} s | {:.0}/s | {n1} writes: p99 {p99_1:.1} ms, max {max1:.1} ms | {n0} writes: p99 {p99_0:.1} ms, max {max0:.1} ms | {:.0} ms |",
        pass.as_secs_f64(),
        bookings as f64 / pass.as_secs_f64(),
        again.elapsed().as_secs_f64() * 1_000.0,
    );
    eprintln!("{label}: seeded {bookings} bookings in {:.0} s", seeded.as_secs_f64());
}

fn main() {
    let bookings: u64 = std::env::var("SKRANKE_BENCH_BOOKINGS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        println!(
            "| database | bookings anonymised | pass | rate | a writer beside the pass: wait per write | the writer alone (baseline) | second pass |"
        );
        println!("| --- | ---: | ---: | ---: | --- | --- | ---: |");
        let only = std::env::var("SKRANKE_BENCH_ONLY").unwrap_or_default();
        if only != "postgres" {
            let dir = std::env::temp_dir().join(format!("skranke-retention-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let sqlite = AnyStore::connect(&format!("sqlite://{}/retention.db", dir.display())).await.unwrap();
            run("SQLite", sqlite, bookings).await;
            let _ = std::fs::remove_dir_all(&dir);
        }
        if only == "sqlite" {
            return;
        }

        let base = std::env::var("SKRANKE_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("skranke_retention_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        let pg = AnyStore::connect(&url).await.unwrap();
        run("PostgreSQL", pg.clone(), bookings).await;
        if let AnyStore::Postgres(p) = pg {
            p.pool().close().await;
        }
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).await.unwrap();
    });
}
