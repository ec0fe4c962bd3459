//! Booking rush: 1,000 concurrent clients on 500 slots (two clients per slot, capacity 1), on
//! SQLite and on PostgreSQL, each beside the raw single-row insert rate of the same database
//! measured in the same run with the same concurrency limit (the connection pool).
//!
//!     cargo bench -p skranke --bench booking_rush
//!
//! PostgreSQL: `SKRANKE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/postgres); a
//! throw-away database is created and dropped.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use skranke::app::booking::BookingRequest;
use skranke::app::{App, AppError, AppSettings};
use skranke::clock::SystemClock;
use skranke::i18n::Lang;
use skranke::store::{AnyStore, Store};
use skranke_core::availability::{SlotError, local_today};
use sqlx::Executor;

const CLIENTS: usize = 1_000;
const SLOTS: usize = 500;

async fn rush(label: &str, store: AnyStore) {
    store.migrate().await.unwrap();
    let raw = skranke::loadtest::raw_insert_rate(&store, 2_000).await;
    let centre = skranke::loadtest::seed_centre(&store, 1, 1, 1).await.unwrap();
    let app = App::new(store.clone(), Arc::new(SystemClock), AppSettings::default());
    let tz = TimeZone::get("Europe/Copenhagen").unwrap();
    let today: Date = local_today(app.clock.now(), &tz);
    let service = centre.services[0];
    let a = app.availability(service, today, today.checked_add(jiff::Span::new().days(61)).unwrap()).await.unwrap();
    assert!(a.slots.len() >= SLOTS, "only {} slots", a.slots.len());
    let starts: Vec<_> = a.slots.iter().take(SLOTS).map(|s| s.interval.start()).collect();

    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let app = app.clone();
            let start = starts[i % SLOTS];
            tokio::spawn(async move {
                app.book(BookingRequest {
                    service,
                    start,
                    name: format!("Borger {i}"),
                    email: None,
                    phone: None,
                    language: Lang::Da,
                })
                .await
            })
        })
        .collect();
    let (mut ok, mut full, mut other) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(AppError::Slot(SlotError::Full)) => full += 1,
            Err(e) => other.push(e.to_string()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let confirmed: i64 = match &store {
        AnyStore::Sqlite(s) => sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE status = 'confirmed'")
            .fetch_one(s.pool())
            .await
            .unwrap(),
        AnyStore::Postgres(s) => sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE status = 'confirmed'")
            .fetch_one(s.pool())
            .await
            .unwrap(),
    };
    println!(
        "| {label} | {:.0} | {:.0} | {:.2} s | {ok} | {full} | {} | {confirmed} |",
        CLIENTS as f64 / elapsed,
        raw,
        elapsed,
        other.len()
    );
    assert_eq!(ok, SLOTS, "exactly one booking per slot; other errors: {other:?}");
    assert_eq!(confirmed as usize, SLOTS);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        println!("| database | booking attempts/s | raw inserts/s | wall time | confirmed | 409 | other errors | rows in db |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        let dir = std::env::temp_dir().join(format!("skranke-rush-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = AnyStore::connect(&format!("sqlite://{}/rush.db", dir.display())).await.unwrap();
        rush("SQLite", sqlite).await;
        let _ = std::fs::remove_dir_all(&dir);

        let base = std::env::var("SKRANKE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("skranke_rush_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        let pg = AnyStore::connect(&url).await.unwrap();
        rush("PostgreSQL", pg.clone()).await;
        if let AnyStore::Postgres(p) = pg {
            p.pool().close().await;
        }
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).await.unwrap();
    });
}
