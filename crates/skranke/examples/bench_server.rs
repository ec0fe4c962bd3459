//! Serves a centre of issue #2's benchmark size for `bench/availability-http.sh`:
//! 40 staff, 20 services, 2,000 booked appointments, on a fresh SQLite file.
//!
//!     cargo run --release -p skranke --example bench_server -- 127.0.0.1:18100 /tmp/bench.db

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use jiff::SignedDuration;
use skranke::app::{App, AppSettings};
use skranke::clock::SystemClock;
use skranke::mail::WorkerSettings;
use skranke::store::{AnyStore, Store};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:18100".into());
    let path = args.next().unwrap_or_else(|| "/tmp/skranke-bench.db".into());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let cache_ms: i64 =
        std::env::var("SKRANKE_AVAILABILITY_CACHE_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let store = AnyStore::connect(&format!("sqlite://{path}")).await?;
    store.migrate().await?;
    let centre = skranke::loadtest::seed_centre(&store, 20, 40, 4).await?;
    let settings =
        AppSettings { availability_cache_ttl: SignedDuration::from_millis(cache_ms), ..AppSettings::default() };
    let seeding = App::new(store.clone(), Arc::new(SystemClock), settings.clone());
    let made = skranke::loadtest::book_spread(&seeding, &centre, 2_000).await?;
    let running =
        skranke::server::start(&listen, store, Arc::new(SystemClock), settings, false, WorkerSettings::default())
            .await?;
    println!("seeded {} services, 40 staff, {made} bookings", centre.services.len());
    println!("service {}", centre.services[0]);
    println!("Listening on {}", running.url());
    running.wait().await?;
    Ok(())
}
