//! The audit log on SQLite and PostgreSQL: appends per second (one entry per transaction, as a
//! sign-in writes, with 2,000 writers at once; and 100 per transaction, as an import would), and
//! `skranke audit verify` over 1,000,000 entries, beside the raw single-row insert rate of the same
//! database measured in the same run.
//!
//!     cargo bench -p skranke --bench audit_log
//!
//! `SKRANKE_BENCH_AUDIT_ENTRIES` changes the size of the verified log (default 1,000,000).
//! PostgreSQL: `SKRANKE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/postgres); a
//! throw-away database is created and dropped.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use jiff::Timestamp;
use skranke::audit_verify::{Outcome, verify};
use skranke::store::{AnyStore, Store};
use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label, ObjectRef};
use skranke_core::ids::OrganisationId;
use sqlx::Executor;
use uuid::Uuid;

const SINGLE: usize = 2_000;

fn record(i: usize) -> AuditRecord {
    AuditRecord {
        at: Timestamp::from_second(1_790_000_000 + i as i64).unwrap(),
        organisation: Some(OrganisationId::from_uuid(Uuid::from_u128(7))),
        actor: Actor::User {
            id: Uuid::from_u128(i as u128 % 50),
            label: Label::new("medarbejder@eksempel.example.org").unwrap(),
        },
        action: Action::new("user.sign_in").unwrap(),
        object: Some(ObjectRef::new("user", &format!("{:032x}", i % 50)).unwrap()),
        detail: Detail::new(serde_json::json!({ "method": "password" })).unwrap(),
    }
}

async fn run(label: &str, store: AnyStore, total: usize) {
    store.migrate().await.unwrap();
    let raw = skranke::loadtest::raw_insert_rate(&store, SINGLE).await;

    let started = Instant::now();
    let tasks: Vec<_> = (0..SINGLE)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.append_audit(&[record(i)]).await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let single = SINGLE as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut written = SINGLE;
    for chunk in 0..20 {
        let records: Vec<AuditRecord> = (0..100).map(|i| record(written + chunk * 100 + i)).collect();
        store.append_audit(&records).await.unwrap();
    }
    let batched = 2_000.0 / started.elapsed().as_secs_f64();
    written += 2_000;

    // Fill up to `total` in transactions of 1,000 (not timed), then verify the whole log.
    while written < total {
        let n = (total - written).min(1_000);
        let records: Vec<AuditRecord> = (0..n).map(|i| record(written + i)).collect();
        store.append_audit(&records).await.unwrap();
        written += n;
    }
    // Twice: the first pass right after a million inserts also pays for what the database does
    // to freshly written rows on first reading (PostgreSQL sets their hint bits, autovacuum may
    // run beside it); the second reads a settled table, as a nightly verify would.
    let mut times = Vec::new();
    let mut entries = 0;
    for _ in 0..2 {
        let started = Instant::now();
        let outcome = verify(&store).await.unwrap();
        times.push(started.elapsed().as_secs_f64());
        let Outcome::Intact(summary) = outcome else { panic!("{outcome:?}") };
        assert_eq!(summary.entries as usize, written);
        entries = summary.entries;
    }
    println!(
        "| {label} | {raw:.0} | {single:.0} | {batched:.0} | {entries} | {:.2} s · {:.2} s | {:.0} |",
        times[0],
        times[1],
        entries as f64 / times[1]
    );
}

fn main() {
    let total: usize =
        std::env::var("SKRANKE_BENCH_AUDIT_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        println!("| database | raw inserts/s | audit appends/s, 1 per tx | audit appends/s, 100 per tx | entries verified | verify time (first · again) | entries/s verified (again) |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        let dir = std::env::temp_dir().join(format!("skranke-audit-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = AnyStore::connect(&format!("sqlite://{}/audit.db", dir.display())).await.unwrap();
        run("SQLite", sqlite, total).await;
        let _ = std::fs::remove_dir_all(&dir);

        let base = std::env::var("SKRANKE_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("skranke_audit_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        let pg = AnyStore::connect(&url).await.unwrap();
        run("PostgreSQL", pg.clone(), total).await;
        if let AnyStore::Postgres(p) = pg {
            p.pool().close().await;
        }
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).await.unwrap();
    });
}
