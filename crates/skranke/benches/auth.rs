//! What authentication costs a request, and what a sign-in costs beyond its one argon2 hash,
//! through the real router in-process (no sockets), on SQLite and on PostgreSQL.
//!
//!     cargo bench -p skranke --bench auth
//!
//! Per database, side by side in one run:
//! - `static`: `GET /static/skranke.css`, no database (the router and middleware alone);
//! - `healthz`: `GET /healthz`, one `SELECT 1` (an unauthenticated request with one round trip);
//! - `me/token`: `GET /api/v1/staff/me` with `Authorization: Bearer skr_…` (the guard reads the
//!   token with its user and the user's grants in one query);
//! - `me/session`: the same with a session cookie (session, user and grants in one query);
//! - `sign_in`: `POST /staff/sign-in` with the right password, and `verify` one bare
//!   `verify_password` of the same stored hash (so the same parameters, `PasswordParams::DEFAULT`).
//!
//! Every request carries the client address the server's `into_make_service_with_connect_info`
//! gives it, so a sign-in counts failures per account and per address, as in production.
//!
//! Criterion reports means. After each database's criterion groups the bench also runs the four
//! cheap requests interleaved (one of each per round, `ROUNDS` rounds) and prints percentiles, so
//! that noise from other processes on the machine falls on all four alike; in the same rounds it
//! calls the store directly (`ping`, the token lookup, the session lookup: no router) to show
//! which part of a request is the database's. Then sign-in and bare verification interleaved
//! (`SIGN_IN_ROUNDS` rounds).
//!
//! PostgreSQL: `SKRANKE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/postgres); a
//! throw-away database is created and dropped.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use skranke::app::accounts::{AuthSettings, create_api_token, session_principal, sign_in};
use skranke::app::{App, AppSettings};
use skranke::auth::password::{PasswordParams, verify_password};
use skranke::auth::token::parse_token;
use skranke::clock::{Clock, SystemClock};
use skranke::http::{AppState, Metrics, router};
use skranke::store::{AnyStore, Store};
use skranke_core::secret::SecretHash;
use sqlx::Executor;
use tower::ServiceExt;

const ADMIN: &str = "org-admin@eksempelkommune.dk";
/// Interleaved rounds of the four cheap requests (one of each per round).
const ROUNDS: usize = 3_000;
/// Interleaved rounds of a sign-in and a bare verification.
const SIGN_IN_ROUNDS: usize = 30;

struct Setup {
    router: Router,
    store: AnyStore,
    token: String,
    token_hash: SecretHash,
    cookie: String,
    cookie_hash: SecretHash,
    stored_hash: String,
    form: String,
}

async fn setup(store: AnyStore) -> Setup {
    store.migrate().await.unwrap();
    let params = PasswordParams::DEFAULT;
    skranke::demo::seed(&store, SystemClock.now(), &params).await.unwrap();
    let settings =
        AppSettings { auth: AuthSettings { password: params, ..AuthSettings::default() }, ..AppSettings::default() };
    let app = App::new(store.clone(), Arc::new(SystemClock), settings);
    let signed = sign_in(&app, ADMIN, skranke::demo::DEMO_PASSWORD, None).await.unwrap();
    let cookie = signed.token.expose();
    let (principal, _, _) = session_principal(&app, &cookie).await.unwrap().unwrap();
    let token = create_api_token(&app, &principal, "bench", 0, 30).await.unwrap().token.expose();
    let stored_hash = store.find_user_by_email(ADMIN).await.unwrap().unwrap().password_hash.unwrap();
    let form = format!("email={}&password={}&next=%2Fstaff", ADMIN.replace('@', "%40"), skranke::demo::DEMO_PASSWORD);
    let state = AppState { app, metrics: Arc::new(Metrics::default()), demo: false };
    let token_hash = parse_token(&token).unwrap().hash();
    let cookie_hash = parse_token(&cookie).unwrap().hash();
    Setup { router: router(state), store, token, token_hash, cookie, cookie_hash, stored_hash, form }
}

/// The request kinds measured, in the order of the tables.
#[derive(Clone, Copy)]
enum Kind {
    Static,
    Healthz,
    MeToken,
    MeSession,
    SignIn,
    /// The store alone, no router: `SELECT 1`.
    StorePing,
    /// The store alone: the guard's token lookup.
    StoreToken,
    /// The store alone: the guard's session lookup.
    StoreSession,
}

impl Kind {
    const CHEAP: [Kind; 4] = [Kind::Static, Kind::Healthz, Kind::MeToken, Kind::MeSession];
    const INTERLEAVED: [Kind; 7] = [
        Kind::Static,
        Kind::Healthz,
        Kind::MeToken,
        Kind::MeSession,
        Kind::StorePing,
        Kind::StoreToken,
        Kind::StoreSession,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Static => "static",
            Kind::Healthz => "healthz",
            Kind::MeToken => "me/token",
            Kind::MeSession => "me/session",
            Kind::SignIn => "sign_in",
            Kind::StorePing => "store: ping",
            Kind::StoreToken => "store: token lookup",
            Kind::StoreSession => "store: session lookup",
        }
    }

    fn expected(self) -> StatusCode {
        match self {
            Kind::SignIn => StatusCode::SEE_OTHER,
            _ => StatusCode::OK,
        }
    }

    fn request(self, s: &Setup) -> Request<Body> {
        let b = match self {
            Kind::Static => Request::get("/static/skranke.css"),
            Kind::Healthz => Request::get("/healthz"),
            Kind::MeToken => {
                Request::get("/api/v1/staff/me").header(header::AUTHORIZATION, format!("Bearer {}", s.token))
            }
            Kind::MeSession => {
                Request::get("/api/v1/staff/me").header(header::COOKIE, format!("skranke_session={}", s.cookie))
            }
            Kind::SignIn => {
                Request::post("/staff/sign-in").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            }
            Kind::StorePing | Kind::StoreToken | Kind::StoreSession => panic!("not a request"),
        };
        let body = match self {
            Kind::SignIn => Body::from(s.form.clone()),
            _ => Body::empty(),
        };
        let mut req = b.body(body).unwrap();
        // What `into_make_service_with_connect_info` adds to every request of the real server.
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
        req
    }
}

/// One timed operation: a request through the router, or a store call.
async fn run(s: &Setup, kind: Kind) -> bool {
    let now = SystemClock.now();
    match kind {
        Kind::StorePing => s.store.ping().await.is_ok(),
        Kind::StoreToken => s.store.active_api_token(&s.token_hash, now).await.unwrap().is_some(),
        Kind::StoreSession => {
            let idle = AuthSettings::default().idle();
            s.store.active_session(&s.cookie_hash, now, idle).await.unwrap().is_some()
        }
        _ => call(&s.router, kind.request(s)).await == kind.expected(),
    }
}

async fn call(router: &Router, req: Request<Body>) -> StatusCode {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    // Read the body as a client would.
    let _ = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    status
}

fn checked(rt: &tokio::runtime::Runtime, s: &Setup, kind: Kind) {
    assert_eq!(rt.block_on(call(&s.router, kind.request(s))), kind.expected(), "{}", kind.name());
}

/// Percentile `q` (0–1) of sorted durations.
fn pct(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn print_row(label: &str, name: &str, mut times: Vec<Duration>, unit_ms: bool) -> Duration {
    times.sort_unstable();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let p50 = pct(&times, 0.5);
    let (scale, unit) = if unit_ms { (1e-3, "ms") } else { (1.0, "µs") };
    println!(
        "| {label} | {name} | {:.1} {unit} | {:.1} {unit} | {:.1} {unit} | {:.1} {unit} | {} |",
        us(mean) * scale,
        us(p50) * scale,
        us(pct(&times, 0.99)) * scale,
        us(*times.last().unwrap()) * scale,
        times.len()
    );
    p50
}

fn interleaved(rt: &tokio::runtime::Runtime, label: &str, s: &Setup) {
    println!("\n{label}: the four cheap requests and three store calls interleaved, {ROUNDS} rounds");
    println!("| database | request | mean | p50 | p99 | max | n |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    let n = Kind::INTERLEAVED.len();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); n];
    for round in 0..ROUNDS {
        // Rotate the order so that no operation always follows the same one.
        for k in 0..n {
            let i = (k + round) % n;
            let kind = Kind::INTERLEAVED[i];
            let started = Instant::now();
            let ok = rt.block_on(run(s, kind));
            times[i].push(started.elapsed());
            assert!(ok, "{}", kind.name());
        }
    }
    let p50: Vec<Duration> =
        Kind::INTERLEAVED.iter().zip(times).map(|(kind, t)| print_row(label, kind.name(), t, false)).collect();
    for (i, kind) in [(2, Kind::MeToken), (3, Kind::MeSession)] {
        println!(
            "{label}: {} p50 over static {:+.1} µs, over healthz {:+.1} µs",
            kind.name(),
            us(p50[i]) - us(p50[0]),
            us(p50[i]) - us(p50[1])
        );
    }
    println!(
        "{label}: store lookups p50 over store ping: token {:+.1} µs, session {:+.1} µs",
        us(p50[5]) - us(p50[4]),
        us(p50[6]) - us(p50[4])
    );

    println!("\n{label}: sign-in and one bare verify_password interleaved, {SIGN_IN_ROUNDS} rounds");
    println!("| database | operation | mean | p50 | p99 | max | n |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    let (mut sign_ins, mut verifies) = (Vec::new(), Vec::new());
    for _ in 0..SIGN_IN_ROUNDS {
        let req = Kind::SignIn.request(s);
        let started = Instant::now();
        let status = rt.block_on(call(&s.router, req));
        sign_ins.push(started.elapsed());
        assert_eq!(status, StatusCode::SEE_OTHER);
        let started = Instant::now();
        assert!(verify_password(&s.stored_hash, skranke::demo::DEMO_PASSWORD));
        verifies.push(started.elapsed());
    }
    let a = print_row(label, "sign_in", sign_ins, true);
    let b = print_row(label, "verify", verifies, true);
    println!("{label}: sign-in p50 over verify p50 {:+.2} ms", (us(a) - us(b)) / 1e3);
}

fn bench_db(c: &mut Criterion, rt: &tokio::runtime::Runtime, label: &str, s: &Setup) {
    let mut g = c.benchmark_group(format!("auth/{label}"));
    g.sample_size(50).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for kind in Kind::CHEAP {
        checked(rt, s, kind);
        g.bench_function(kind.name(), |b| b.iter(|| rt.block_on(call(&s.router, kind.request(s)))));
    }
    g.finish();

    let mut g = c.benchmark_group(format!("sign_in/{label}"));
    g.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    checked(rt, s, Kind::SignIn);
    g.bench_function("sign_in", |b| b.iter(|| rt.block_on(call(&s.router, Kind::SignIn.request(s)))));
    let hash = s.stored_hash.clone();
    g.bench_function("verify", |b| b.iter(|| verify_password(&hash, skranke::demo::DEMO_PASSWORD)));
    g.finish();

    interleaved(rt, label, s);
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = std::env::temp_dir().join(format!("skranke-auth-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite =
        rt.block_on(async { AnyStore::connect(&format!("sqlite://{}/auth.db", dir.display())).await.unwrap() });
    let s = rt.block_on(setup(sqlite));
    bench_db(c, &rt, "sqlite", &s);
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);

    let base =
        std::env::var("SKRANKE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("skranke_auth_{}", std::process::id());
    let admin = rt.block_on(async {
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        admin
    });
    let url = format!("{}/{name}?sslmode=disable", base.rsplit_once('/').unwrap().0);
    let pg = rt.block_on(AnyStore::connect(&url)).unwrap();
    let s = rt.block_on(setup(pg.clone()));
    bench_db(c, &rt, "postgres", &s);
    drop(s);
    rt.block_on(async {
        if let AnyStore::Postgres(p) = pg {
            p.pool().close().await;
        }
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).await.unwrap();
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
