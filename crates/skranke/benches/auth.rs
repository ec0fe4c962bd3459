//! What authentication costs a request, and what a sign-in costs beyond its one argon2 hash,
//! through the real router in-process (no sockets), on SQLite and on PostgreSQL.
//!
//!     cargo bench -p skranke --bench auth
//!
//! Per database, side by side in one run:
//! - `static`: `GET /static/skranke.css`, no database (the router and middleware alone);
//! - `healthz`: `GET /healthz`, one `SELECT 1` (an unauthenticated request with one round trip);
//! - `me/token`: `GET /api/v1/staff/me` with `Authorization: Bearer skr_…` (the guard looks the token
//!   up with its user, then the user's grants);
//! - `me/session`: the same with a session cookie (session with user, then grants);
//! - `sign_in`: `POST /staff/sign-in` with the right password, and `verify` one bare
//!   `verify_password` at the same parameters.
//!
//! PostgreSQL: `SKRANKE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/postgres); a
//! throw-away database is created and dropped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use skranke::app::accounts::{AuthSettings, create_api_token, session_principal, sign_in};
use skranke::app::{App, AppSettings};
use skranke::auth::password::{PasswordParams, verify_password};
use skranke::clock::{Clock, SystemClock};
use skranke::http::{AppState, Metrics, router};
use skranke::store::{AnyStore, Store};
use sqlx::Executor;
use tower::ServiceExt;

const ADMIN: &str = "org-admin@eksempelkommune.dk";

struct Setup {
    router: Router,
    token: String,
    cookie: String,
    stored_hash: String,
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
    let state = AppState { app, metrics: Arc::new(Metrics::default()), demo: false };
    Setup { router: router(state), token, cookie, stored_hash }
}

async fn call(router: &Router, req: Request<Body>) -> StatusCode {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    // Read the body as a client would.
    let _ = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    status
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn bench_db(c: &mut Criterion, rt: &tokio::runtime::Runtime, label: &str, s: &Setup) {
    let mut g = c.benchmark_group(format!("auth/{label}"));
    g.sample_size(50).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    let r = &s.router;
    assert_eq!(rt.block_on(call(r, get("/static/skranke.css"))), StatusCode::OK);
    g.bench_function("static", |b| b.iter(|| rt.block_on(call(r, get("/static/skranke.css")))));
    assert_eq!(rt.block_on(call(r, get("/healthz"))), StatusCode::OK);
    g.bench_function("healthz", |b| b.iter(|| rt.block_on(call(r, get("/healthz")))));
    let with_token = || {
        Request::get("/api/v1/staff/me")
            .header(header::AUTHORIZATION, format!("Bearer {}", s.token))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(rt.block_on(call(r, with_token())), StatusCode::OK);
    g.bench_function("me/token", |b| b.iter(|| rt.block_on(call(r, with_token()))));
    let with_cookie = || {
        Request::get("/api/v1/staff/me")
            .header(header::COOKIE, format!("skranke_session={}", s.cookie))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(rt.block_on(call(r, with_cookie())), StatusCode::OK);
    g.bench_function("me/session", |b| b.iter(|| rt.block_on(call(r, with_cookie()))));
    g.finish();

    let mut g = c.benchmark_group(format!("sign_in/{label}"));
    g.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    let form = format!("email={}&password={}&next=%2Fstaff", ADMIN.replace('@', "%40"), skranke::demo::DEMO_PASSWORD);
    let post = || {
        Request::post("/staff/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.clone()))
            .unwrap()
    };
    assert_eq!(rt.block_on(call(r, post())), StatusCode::SEE_OTHER);
    g.bench_function("sign_in", |b| b.iter(|| rt.block_on(call(r, post()))));
    let hash = s.stored_hash.clone();
    g.bench_function("verify", |b| b.iter(|| verify_password(&hash, skranke::demo::DEMO_PASSWORD)));
    g.finish();
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
