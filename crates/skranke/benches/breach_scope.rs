//! Breach scoping over 10,000,000 delivered messages on SQLite and PostgreSQL (issue 7: ≤ 1 s):
//! the whole run as `skranke breach scope` does it (grouped query, subject look-ups, folding, the
//! audit entry), for one address and for a whole domain, beside the same database's plain indexed
//! count of one address's messages, measured in the same run.
//!
//!     cargo bench -p skranke --bench breach_scope
//!
//! `SKRANKE_BENCH_MESSAGES` changes the number of messages (default 10,000,000). The messages go
//! to 5,000 addresses under 500 domains over three years, one in three about a booking (ids that
//! no appointment row has: the look-ups cost the same), plus 14 to the leaked address across two
//! years. PostgreSQL: `SKRANKE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/postgres);
//! a throw-away database is created and dropped (kept, for `EXPLAIN`, with `SKRANKE_BENCH_KEEP=1`).
//! `SKRANKE_BENCH_ONLY=sqlite` or `=postgres` runs one database. One citizen's address is
//! blanked as retention leaves it, and found through its pseudonym.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use skranke::app::breach;
use skranke::app::{App, AppSettings};
use skranke::clock::SystemClock;
use skranke::store::{AnyStore, Organisation, Store};
use skranke_core::ids::OrganisationId;
use sqlx::Executor;
use uuid::Uuid;

const RUNS: usize = 7;
const LEAKED: &str = "sagsbehandler@fred.dk";
/// The seeded citizens' address 7, blanked by retention.
const BLANKED: &str = "borger7@example7.dk";

async fn seed(store: &AnyStore, org: OrganisationId, messages: u64) {
    let start = jiff::Timestamp::from_second(1_483_228_800).unwrap().as_microsecond(); // 2017-01-01
    let step = 94_608_000_000_000 / messages as i64; // three years
    let org_id = org.as_uuid();
    match store {
        AnyStore::Sqlite(s) => {
            let pool = s.pool();
            sqlx::query(
                "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 5000) \
                 INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
                 registrable_domain, state, created_at) \
                 SELECT unhex(printf('%032x', k)), $1, 'citizen', 'appointment', randomblob(16), \
                 'borger' || k || '@example' || (k % 500) || '.dk', 'example' || (k % 500) || '.dk', 'unverified', 0 FROM n",
            )
            .bind(org_id)
            .execute(pool)
            .await
            .unwrap();
            // In slices of a million, so the statement journal stays small.
            for slice in 0..messages.div_ceil(1_000_000) {
                let (from, to) = (slice * 1_000_000 + 1, ((slice + 1) * 1_000_000).min(messages));
                sqlx::query(
                    "WITH RECURSIVE n(i) AS (SELECT $4 UNION ALL SELECT i + 1 FROM n WHERE i < $5) \
                     INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, \
                     next_attempt_at, created_at, sent_at, organisation_id, address_id, classes, recipient_pseudonym) \
                     SELECT randomblob(16), CASE WHEN i % 3 = 0 THEN randomblob(16) END, 'booking_confirmed', \
                     'someone@example.dk', 'da', '{}', 'sent', 0, 0, $2 + i * $3, $1, \
                     unhex(printf('%032x', 1 + i % 5000)), \
                     CASE WHEN i % 3 = 0 THEN 'appointment,booking_reference' ELSE 'operational' END, \
                     'ps_' || printf('%032x', 1 + i % 5000) FROM n",
                )
                .bind(org_id)
                .bind(start)
                .bind(step)
                .bind(from as i64)
                .bind(to as i64)
                .execute(pool)
                .await
                .unwrap();
            }
            pool.execute("ANALYZE").await.unwrap();
        }
        AnyStore::Postgres(p) => {
            let pool = p.pool();
            sqlx::query(
                "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
                 registrable_domain, state, created_at) \
                 SELECT lpad(to_hex(k), 32, '0')::uuid, $1, 'citizen', 'appointment', gen_random_uuid(), \
                 'borger' || k || '@example' || (k % 500) || '.dk', 'example' || (k % 500) || '.dk', 'unverified', 0 \
                 FROM generate_series(1, 5000) AS k",
            )
            .bind(org_id)
            .execute(pool)
            .await
            .unwrap();
            for slice in 0..messages.div_ceil(1_000_000) {
                let (from, to) = (slice * 1_000_000 + 1, ((slice + 1) * 1_000_000).min(messages));
                sqlx::query(
                    "INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, \
                     next_attempt_at, created_at, sent_at, organisation_id, address_id, classes, recipient_pseudonym) \
                     SELECT gen_random_uuid(), CASE WHEN i % 3 = 0 THEN gen_random_uuid() END, 'booking_confirmed', \
                     'someone@example.dk', 'da', '{}', 'sent', 0, 0, $2 + i * $3, $1, \
                     lpad(to_hex(1 + i % 5000), 32, '0')::uuid, \
                     CASE WHEN i % 3 = 0 THEN 'appointment,booking_reference' ELSE 'operational' END, \
                     'ps_' || lpad(to_hex(1 + i % 5000), 32, '0') \
                     FROM generate_series($4::bigint, $5::bigint) AS i",
                )
                .bind(org_id)
                .bind(start)
                .bind(step)
                .bind(from as i64)
                .bind(to as i64)
                .execute(pool)
                .await
                .unwrap();
            }
            pool.execute("VACUUM ANALYZE outbox").await.unwrap();
            pool.execute("ANALYZE addresses").await.unwrap();
        }
    }
    // The leak: 14 messages across two years to one address.
    let leaked = Uuid::new_v4();
    let insert_leaked_address = "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
         registrable_domain, state, created_at) VALUES ($1, $2, 'staff', 'queue', $3, $4, 'fred.dk', 'unverified', 0)";
    let insert_message = "INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, \
         next_attempt_at, created_at, sent_at, organisation_id, address_id, classes) \
         VALUES ($1, $2, 'booking_confirmed', $3, 'da', '{}', 'sent', 0, 0, $4, $5, $6, 'appointment,booking_reference')";
    macro_rules! leak {
        ($pool:expr) => {{
            sqlx::query(insert_leaked_address)
                .bind(leaked)
                .bind(org_id)
                .bind(Uuid::new_v4())
                .bind(LEAKED)
                .execute($pool)
                .await
                .unwrap();
            for i in 0..14i64 {
                sqlx::query(insert_message)
                    .bind(Uuid::new_v4())
                    .bind(Uuid::new_v4())
                    .bind(LEAKED)
                    .bind(start + 13_000_000_000_000 + i * 4_500_000_000_000)
                    .bind(org_id)
                    .bind(leaked)
                    .execute($pool)
                    .await
                    .unwrap();
            }
        }};
    }
    match store {
        AnyStore::Sqlite(s) => leak!(s.pool()),
        AnyStore::Postgres(p) => leak!(p.pool()),
    }
}

/// Median and slowest of `RUNS` timed calls.
async fn time<F, Fut>(mut f: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut took: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        f().await;
        took.push(started.elapsed());
    }
    took.sort_unstable();
    (took[RUNS / 2], took[RUNS - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}

async fn run(label: &str, store: AnyStore, messages: u64) {
    store.migrate().await.unwrap();
    let org = Organisation {
        id: OrganisationId::from_uuid(Uuid::new_v4()),
        name: "Benchkommune".into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec!["bench.example.org".into()],
    };
    store.create_organisation(&org).await.unwrap();
    let seeding = Instant::now();
    seed(&store, org.id, messages).await;
    let seeded = seeding.elapsed();
    let app = App::new(store.clone(), Arc::new(SystemClock), AppSettings::default());
    // One citizen address as retention leaves it after the identity period: blanked to its
    // domain, its messages found only through its pseudonym.
    let blanked = app.address_pseudonym(Some(org.id), BLANKED).await.unwrap();
    let seven = Uuid::from_u128(7);
    for sql in [
        "UPDATE outbox SET recipient_pseudonym = $1 WHERE address_id = $2",
        "UPDATE addresses SET address = '@' || registrable_domain WHERE $1 <> '' AND id = $2",
    ] {
        match &store {
            AnyStore::Sqlite(s) => {
                sqlx::query(sql).bind(&blanked).bind(seven).execute(s.pool()).await.unwrap().rows_affected()
            }
            AnyStore::Postgres(p) => {
                sqlx::query(sql).bind(&blanked).bind(seven).execute(p.pool()).await.unwrap().rows_affected()
            }
        };
    }

    // Baseline: the plain indexed count of one address's delivered messages.
    let one = Uuid::from_u128(42);
    let baseline = time(|| {
        let store = store.clone();
        async move {
            let sql = "SELECT COUNT(*) FROM outbox WHERE address_id = $1 AND status = 'sent'";
            let n: i64 = match &store {
                AnyStore::Sqlite(s) => sqlx::query_scalar(sql).bind(one).fetch_one(s.pool()).await.unwrap(),
                AnyStore::Postgres(p) => sqlx::query_scalar(sql).bind(one).fetch_one(p.pool()).await.unwrap(),
            };
            assert!(n > 0);
        }
    })
    .await;

    let cases = [
        (
            "one address (14 messages)",
            breach::request(Some(LEAKED), None, Some("2017-01-01"), Some("2019-12-31"), None),
        ),
        ("one blanked address, by its pseudonym", breach::request(Some(BLANKED), None, None, None, None)),
        ("one domain, 10 addresses", breach::request(None, Some("example7.dk"), None, None, None)),
        (
            "one domain, one year",
            breach::request(None, Some("example7.dk"), Some("2018-01-01"), Some("2018-12-31"), None),
        ),
    ];
    for (case, req) in cases {
        let req = req.unwrap();
        let scope = breach::scope_from_cli(&app, &req).await.unwrap();
        let (median, slowest) = time(|| {
            let (app, req) = (&app, &req);
            async move {
                breach::scope_from_cli(app, req).await.unwrap();
            }
        })
        .await;
        println!(
            "| {label} | {messages} | {case} | {} msgs, {} subjects | {} | {} | {} |",
            scope.messages,
            scope.subjects.len(),
            ms(median),
            ms(slowest),
            ms(baseline.0),
        );
    }
    eprintln!("{label}: seeded {messages} messages in {:.0} s", seeded.as_secs_f64());
}

fn main() {
    let messages: u64 = std::env::var("SKRANKE_BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        println!("| database | messages | scope | found | median of {RUNS} | slowest | baseline: indexed count of one address |");
        println!("| --- | ---: | --- | --- | ---: | ---: | ---: |");
        let only = std::env::var("SKRANKE_BENCH_ONLY").unwrap_or_default();
        if only != "postgres" {
            let dir = std::env::temp_dir().join(format!("skranke-breach-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let sqlite = AnyStore::connect(&format!("sqlite://{}/breach.db", dir.display())).await.unwrap();
            run("SQLite", sqlite, messages).await;
            let _ = std::fs::remove_dir_all(&dir);
        }
        if only == "sqlite" {
            return;
        }

        let base = std::env::var("SKRANKE_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("skranke_breach_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        let pg = AnyStore::connect(&url).await.unwrap();
        run("PostgreSQL", pg.clone(), messages).await;
        if let AnyStore::Postgres(p) = pg {
            p.pool().close().await;
        }
        if std::env::var_os("SKRANKE_BENCH_KEEP").is_some() {
            eprintln!("kept database {name} for inspection");
        } else {
            admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).await.unwrap();
        }
    });
}
