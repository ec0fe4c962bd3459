//! Staff sign-in, sessions, CSRF, API tokens, the route × role table and tenant isolation, against
//! a real server on a random port (SQLite, a manual clock, the demo's two organisations with one
//! user per role).

use std::collections::HashMap;
use std::sync::Arc;

use jiff::SignedDuration;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use skranke::app::AppSettings;
use skranke::app::accounts::AuthSettings;
use skranke::auth::password::PasswordParams;
use skranke::clock::{Clock as _, ManualClock};
use skranke::mail::WorkerSettings;
use skranke::server::Running;
use skranke::store::{AnyStore, SqliteStore, Store, User};
use skranke_core::access::{Permission, Role, Target, permits};
use skranke_core::ids::{CentreId, OrganisationId};

/// Cheap hashing: the tests are about sessions, not argon2's cost.
const FAST: PasswordParams = PasswordParams { memory_kib: 64, iterations: 1, parallelism: 1 };
const PASSWORD: &str = skranke::demo::DEMO_PASSWORD;

#[allow(missing_debug_implementations)] // holds the running server
pub struct StaffApp {
    pub server: Running,
    pub clock: ManualClock,
    pub store: AnyStore,
    pub http: reqwest::Client,
    /// Demo accounts by e-mail.
    pub users: HashMap<String, User>,
    dir: std::path::PathBuf,
}

impl Drop for StaffApp {
    fn drop(&mut self) {
        // The server still has the file open; on Unix the directory goes when the test ends.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A signed-in browser: its session cookie and the CSRF token of its pages.
#[derive(Clone, Debug)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

pub async fn spawn() -> StaffApp {
    let dir = std::env::temp_dir().join(format!("skranke-staff-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}/t.db", dir.display())).await.unwrap();
    store.migrate().await.unwrap();
    let clock = ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap());
    let store = AnyStore::Sqlite(store);
    skranke::demo::seed(&store, clock.now(), &FAST).await.unwrap();
    spawn_on(store, clock, dir).await
}

/// The accounts `skranke::demo::seed` makes.
const DEMO_ACCOUNTS: [&str; 8] = [
    "operator@skranke.example.org",
    "receptionist@eksempelkommune.dk",
    "caseworker@eksempelkommune.dk",
    "centre-admin@eksempelkommune.dk",
    "org-admin@eksempelkommune.dk",
    "dpo@eksempelkommune.dk",
    "org-admin@proevestedkommune.dk",
    "receptionist@proevestedkommune.dk",
];

/// A server on `store`, which holds the demo's seed already (a second instance on one database).
pub async fn spawn_on(store: AnyStore, clock: ManualClock, dir: std::path::PathBuf) -> StaffApp {
    std::fs::create_dir_all(&dir).unwrap();
    let seeded = DEMO_ACCOUNTS.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>();
    let mut users = HashMap::new();
    for email in seeded {
        users.insert(email.clone(), store.find_user_by_email(&email).await.unwrap().unwrap());
    }
    let settings = AppSettings {
        public_url: String::new(),
        auth: AuthSettings { password: FAST, ..AuthSettings::default() },
        ..AppSettings::default()
    };
    let server = skranke::server::start(
        "127.0.0.1:0",
        store.clone(),
        Arc::new(clock.clone()),
        settings,
        true,
        WorkerSettings::default(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    StaffApp { server, clock, store, http, users, dir }
}

pub fn csrf_of(html: &str) -> Option<String> {
    let i = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    Some(html[i..].chars().take_while(|c| c.is_ascii_hexdigit()).collect())
}

fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let v = c.strip_prefix("skranke_session=")?.split(';').next()?;
        (!v.is_empty()).then(|| v.to_owned())
    })
}

impl StaffApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub fn user(&self, email: &str) -> &User {
        self.users.get(email).unwrap_or_else(|| panic!("no demo user {email}"))
    }

    pub async fn sign_in_raw(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/staff/sign-in"))
            .form(&[("email", email), ("password", password), ("next", "/staff")])
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str) -> Browser {
        let resp = self.sign_in_raw(email, PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
        let cookie = session_cookie(&resp).expect("a session cookie");
        let mut b = Browser { cookie, csrf: String::new() };
        let (status, html) = self.get(&b, "/staff/account").await;
        assert_eq!(status, StatusCode::OK);
        b.csrf = csrf_of(&html).expect("a CSRF token in the account page");
        b
    }

    pub async fn get(&self, b: &Browser, path: &str) -> (StatusCode, String) {
        let r =
            self.http.get(self.url(path)).header(COOKIE, format!("skranke_session={}", b.cookie)).send().await.unwrap();
        (r.status(), r.text().await.unwrap_or_default())
    }

    /// A form post with the browser's CSRF token added.
    pub async fn post(&self, b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", b.csrf.as_str())];
        fields.extend_from_slice(form);
        self.http
            .post(self.url(path))
            .header(COOKIE, format!("skranke_session={}", b.cookie))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    async fn audit_actions(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store.audit_page(after, 1000).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.seq;
            out.extend(page.iter().map(|e| e.record.action.to_string()));
        }
        out
    }
}

const ORG_ADMIN_A: &str = "org-admin@eksempelkommune.dk";
const RECEPTIONIST_A: &str = "receptionist@eksempelkommune.dk";
const ORG_ADMIN_B: &str = "org-admin@proevestedkommune.dk";

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_rotates_the_session() {
    let app = spawn().await;
    let first = app.sign_in_raw(ORG_ADMIN_A, PASSWORD).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let set_cookie = first.headers().get(SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax") && set_cookie.contains("Path=/"));
    assert!(!set_cookie.contains("Secure"), "plain HTTP in the test");
    let a = session_cookie(&first).unwrap();
    let b = session_cookie(&app.sign_in_raw(ORG_ADMIN_A, PASSWORD).await).unwrap();
    assert_ne!(a, b, "every sign-in makes a new session token");
    assert!(a.starts_with("skrs_"));
    // Only the hash is stored.
    let AnyStore::Sqlite(s) = &app.store else { unreachable!() };
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
        .bind(&a)
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    assert!(app.audit_actions().await.iter().filter(|a| *a == "auth.sign_in").count() >= 2);
}

#[tokio::test]
async fn wrong_password_and_unknown_account_look_the_same_and_are_throttled() {
    let app = spawn().await;
    let wrong = app.sign_in_raw(ORG_ADMIN_A, "not the password at all").await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = app.sign_in_raw("nobody@eksempelkommune.dk", "not the password at all").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_body = unknown.text().await.unwrap();
    let msg = "Forkert e-mailadresse eller adgangskode.";
    assert!(wrong_body.contains(msg) && unknown_body.contains(msg));
    // The password is never echoed.
    assert!(!wrong_body.contains("not the password at all"));

    // Nine more failures are free; the eleventh attempt must wait, even with the right password.
    for _ in 0..9 {
        assert_eq!(app.sign_in_raw(ORG_ADMIN_A, "still not the password").await.status(), StatusCode::UNAUTHORIZED);
    }
    let _ = app.sign_in_raw(ORG_ADMIN_A, "one too many wrong ones").await;
    let throttled = app.sign_in_raw(ORG_ADMIN_A, PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().get("retry-after").is_some());
    let body = throttled.text().await.unwrap();
    assert!(body.contains("For mange mislykkede forsøg"), "{body}");
    // An unknown account is throttled exactly like a real one (no hint that it exists).
    for _ in 0..11 {
        let _ = app.sign_in_raw("nobody@eksempelkommune.dk", "wrong wrong wrong").await;
    }
    assert_eq!(
        app.sign_in_raw("nobody@eksempelkommune.dk", "wrong wrong wrong").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // After the back-off the right password works and clears the account's failures.
    app.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(app.sign_in_raw(ORG_ADMIN_A, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let actions = app.audit_actions().await;
    assert!(actions.iter().filter(|a| *a == "auth.sign_in_failed").count() >= 11);
    // Neither the typed name nor the password lands in the failure table.
    let AnyStore::Sqlite(s) = &app.store else { unreachable!() };
    let leaked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures WHERE subject LIKE '%@%'")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn sessions_time_out_and_end() {
    let app = spawn().await;
    let b = app.sign_in(RECEPTIONIST_A).await;
    // Idle timeout (30 minutes by default): 29 minutes keeps it alive, 31 without a visit ends it.
    app.clock.advance(SignedDuration::from_mins(29));
    assert_eq!(app.get(&b, "/staff").await.0, StatusCode::OK);
    app.clock.advance(SignedDuration::from_mins(31));
    let r =
        app.http.get(app.url("/staff")).header(COOKIE, format!("skranke_session={}", b.cookie)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()[LOCATION].to_str().unwrap().starts_with("/staff/sign-in"));
    assert!(r.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"), "the dead cookie is cleared");

    // Absolute timeout (10 hours), however active.
    let b = app.sign_in(RECEPTIONIST_A).await;
    for _ in 0..30 {
        app.clock.advance(SignedDuration::from_mins(29));
        if app.get(&b, "/staff").await.0 != StatusCode::OK {
            break;
        }
    }
    assert_ne!(app.get(&b, "/staff").await.0, StatusCode::OK, "a session ends after 10 hours");

    // Sign-out ends the session; replaying its cookie gets the sign-in page.
    let b = app.sign_in(RECEPTIONIST_A).await;
    let out = app.post(&b, "/staff/sign-out", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&b, "/staff").await.0, StatusCode::SEE_OTHER);

    // Sign out everywhere ends every session of the user, not other users'.
    let one = app.sign_in(RECEPTIONIST_A).await;
    let two = app.sign_in(RECEPTIONIST_A).await;
    let other = app.sign_in(ORG_ADMIN_A).await;
    assert_eq!(app.post(&one, "/staff/account/sign-out-everywhere", &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&one, "/staff").await.0, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&two, "/staff").await.0, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&other, "/staff").await.0, StatusCode::OK);
}

#[tokio::test]
async fn forged_and_malformed_cookies_are_refused() {
    let app = spawn().await;
    for cookie in [
        "skrs_0000000000000000000000000000000000000000000000000000",
        "skr_0000000000000000000000000000000000000000000000000000",
        "garbage",
        "skrs_\u{7f}",
        &"a".repeat(5000),
    ] {
        let r = app.http.get(app.url("/staff")).header(COOKIE, format!("skranke_session={cookie}")).send().await;
        // A header too large for the server may be refused before routing; anything else is the
        // sign-in page. Never a 500.
        if let Ok(r) = r {
            assert!(
                matches!(
                    r.status(),
                    StatusCode::SEE_OTHER | StatusCode::BAD_REQUEST | StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
                ),
                "{cookie}: {}",
                r.status()
            );
        }
    }
    let r = app.http.get(app.url("/api/v1/staff/me")).bearer_auth("skr_nottoken").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.http.get(app.url("/api/v1/staff/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn csrf_is_required_on_every_staff_form() {
    let app = spawn().await;
    let b = app.sign_in(ORG_ADMIN_A).await;
    let before = app.store.list_users(app.user(ORG_ADMIN_A).organisation.unwrap()).await.unwrap().len();
    let form = [("email", "ny@eksempelkommune.dk"), ("name", "Ny"), ("role", "caseworker"), ("centre", "")];
    for token in [None, Some(""), Some("00"), Some("deadbeef".repeat(8).as_str())] {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        if let Some(t) = token {
            fields.push(("_csrf", t));
        }
        let r = app
            .http
            .post(app.url("/staff/users"))
            .header(COOKIE, format!("skranke_session={}", b.cookie))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("Genindlæs siden"));
    }
    // Another session's token does not work either.
    let other = app.sign_in(ORG_ADMIN_A).await;
    let mut fields = form.to_vec();
    fields.push(("_csrf", other.csrf.as_str()));
    let r = app
        .http
        .post(app.url("/staff/users"))
        .header(COOKIE, format!("skranke_session={}", b.cookie))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.list_users(app.user(ORG_ADMIN_A).organisation.unwrap()).await.unwrap().len(),
        before,
        "nothing changed"
    );
    // The header works for htmx requests, and a correct token passes.
    let r = app
        .http
        .post(app.url("/staff/users"))
        .header(COOKIE, format!("skranke_session={}", b.cookie))
        .header("X-CSRF-Token", &b.csrf)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.store.list_users(app.user(ORG_ADMIN_A).organisation.unwrap()).await.unwrap().len(), before + 1);
    // A sign-in form posted from another site is refused (login CSRF).
    let r = app
        .http
        .post(app.url("/staff/sign-in"))
        .header("Origin", "https://evil.example")
        .form(&[("email", ORG_ADMIN_A), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for site in ["cross-site", "same-site"] {
        let r = app
            .http
            .post(app.url("/staff/sign-in"))
            .header("Sec-Fetch-Site", site)
            .header("Origin", "null")
            .form(&[("email", ORG_ADMIN_A), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site}");
    }
    // Our own page's form (Chromium sends Origin: null under Referrer-Policy: no-referrer).
    let r = app
        .http
        .post(app.url("/staff/sign-in"))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Origin", "null")
        .form(&[("email", ORG_ADMIN_A), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn password_change_ends_other_sessions_and_reset_links_work_once() {
    let app = spawn().await;
    let b = app.sign_in(RECEPTIONIST_A).await;
    let elsewhere = app.sign_in(RECEPTIONIST_A).await;
    let r = app
        .post(
            &b,
            "/staff/account/password",
            &[("current", "wrong one entirely"), ("new", "a new long password"), ("repeat", "a new long password")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        app.post(&b, "/staff/account/password", &[("current", PASSWORD), ("new", "short"), ("repeat", "short")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("mindst 12 tegn"));
    let r = app
        .post(
            &b,
            "/staff/account/password",
            &[("current", PASSWORD), ("new", "a new long password"), ("repeat", "a different one!!")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &b,
            "/staff/account/password",
            &[("current", PASSWORD), ("new", "a new long password"), ("repeat", "a new long password")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fresh = session_cookie(&r).expect("a fresh session after the change");
    assert_eq!(app.get(&elsewhere, "/staff").await.0, StatusCode::SEE_OTHER, "other sessions ended");
    assert_eq!(app.get(&b, "/staff").await.0, StatusCode::SEE_OTHER, "the old cookie ended too");
    assert_eq!(app.get(&Browser { cookie: fresh, csrf: String::new() }, "/staff").await.0, StatusCode::OK);
    assert_eq!(app.sign_in_raw(RECEPTIONIST_A, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.sign_in_raw(RECEPTIONIST_A, "a new long password").await.status(), StatusCode::SEE_OTHER);

    // An administrator's link sets a password once.
    let admin = app.sign_in(ORG_ADMIN_A).await;
    let target = app.user(RECEPTIONIST_A).id;
    let page = app.post(&admin, &format!("/staff/users/{target}/password-link"), &[]).await.text().await.unwrap();
    let start = page.find("/account/password/skrp_").unwrap();
    let path: String = page[start..].chars().take_while(|c| *c != '<' && *c != '"').collect();
    let r = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set = |pw: &'static str| app.http.post(app.url(&path)).form(&[("new", pw), ("repeat", pw)]).send();
    assert_eq!(set("tiny").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(set("the password from the link").await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(set("the password from the link").await.unwrap().status(), StatusCode::GONE, "used once");
    assert_eq!(app.sign_in_raw(RECEPTIONIST_A, "the password from the link").await.status(), StatusCode::SEE_OTHER);
    let actions = app.audit_actions().await;
    for a in ["auth.password_changed", "user.password_link_created", "auth.password_set_with_link"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn api_tokens_are_shown_once_act_with_one_role_and_can_be_revoked() {
    let app = spawn().await;
    let b = app.sign_in(ORG_ADMIN_A).await;
    let page = app
        .post(&b, "/staff/account/tokens", &[("label", "Rapport-integration"), ("grant", "0"), ("days", "30")])
        .await
        .text()
        .await
        .unwrap();
    let start = page.find("skr_").unwrap();
    let token: String = page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(token.len(), 56);
    let me = app.http.get(app.url("/api/v1/staff/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["via"], "api_token");
    assert!(me["grants"][0].as_str().unwrap().starts_with("org_admin@"));
    // Shown once: the account page lists only its hint.
    let (_, again) = app.get(&b, "/staff/account").await;
    assert!(!again.contains(&token) && again.contains(&token[..10]));
    // The audit API answers with the token's role (org_admin may read its organisation's log).
    let r = app.http.get(app.url("/api/v1/staff/audit?action=api_token.")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let entries: serde_json::Value = r.json().await.unwrap();
    assert_eq!(entries[0]["action"], "api_token.created");
    // A session cookie is not a bearer token, and a token cannot mint tokens.
    let r = app.http.get(app.url("/api/v1/staff/me")).bearer_auth(&b.cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .http
        .post(app.url("/staff/account/tokens"))
        .bearer_auth(&token)
        .form(&[("label", "x"), ("grant", "0"), ("days", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Revoked: refused at once.
    let id = app.store.list_api_tokens(app.user(ORG_ADMIN_A).id).await.unwrap()[0].id;
    assert_eq!(app.post(&b, &format!("/staff/account/tokens/{id}/revoke"), &[]).await.status(), StatusCode::SEE_OTHER);
    let r = app.http.get(app.url("/api/v1/staff/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Expiry.
    let page = app
        .post(&b, "/staff/account/tokens", &[("label", "kort"), ("grant", "0"), ("days", "1")])
        .await
        .text()
        .await
        .unwrap();
    let start = page.find("skr_").unwrap();
    let short: String = page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(
        app.http.get(app.url("/api/v1/staff/me")).bearer_auth(&short).send().await.unwrap().status(),
        StatusCode::OK
    );
    app.clock.advance(SignedDuration::from_hours(25));
    assert_eq!(
        app.http.get(app.url("/api/v1/staff/me")).bearer_auth(&short).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn user_admin_checks_addresses_escapes_names_and_audits() {
    let app = spawn().await;
    let b = app.sign_in(ORG_ADMIN_A).await;
    // A lookalike of the own domain is named; a foreign domain is refused.
    let r = app
        .post(
            &b,
            "/staff/users",
            &[("email", "ny@eksempelkommune.dk.evil.com"), ("name", "Ny"), ("role", "caseworker"), ("centre", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &b,
            "/staff/users",
            &[("email", "ny@eksempelkomune.dk"), ("name", "Ny"), ("role", "caseworker"), ("centre", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("eksempelkommune.dk") && body.contains("ligner"), "{body}");
    // Control characters and over-long names are refused; script is stored and shown escaped.
    let r = app
        .post(
            &b,
            "/staff/users",
            &[("email", "a@eksempelkommune.dk"), ("name", "A\u{7}B"), ("role", "caseworker"), ("centre", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let long = "x".repeat(121);
    let r = app
        .post(
            &b,
            "/staff/users",
            &[("email", "a@eksempelkommune.dk"), ("name", &long), ("role", "caseworker"), ("centre", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &b,
            "/staff/users",
            &[
                ("email", "a@eksempelkommune.dk"),
                ("name", "<script>alert(1)</script>"),
                ("role", "caseworker"),
                ("centre", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, list) = app.get(&b, "/staff/users").await;
    assert!(list.contains("&#60;script&#62;alert(1)&#60;/script&#62;") && !list.contains("<script>alert"));
    // Same address twice: a clear error.
    let r = app
        .post(
            &b,
            "/staff/users",
            &[("email", "A@eksempelkommune.dk"), ("name", "Igen"), ("role", "caseworker"), ("centre", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Bad role and a centre of another organisation.
    let r = app
        .post(&b, "/staff/users", &[("email", "c@eksempelkommune.dk"), ("name", "C"), ("role", "king"), ("centre", "")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let other_centre = centres_of(&app, app.user(ORG_ADMIN_B).organisation.unwrap()).await[0];
    let r = app
        .post(
            &b,
            "/staff/users",
            &[
                ("email", "c@eksempelkommune.dk"),
                ("name", "C"),
                ("role", "caseworker"),
                ("centre", &other_centre.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Roles: granted and revoked with audit rows; one cannot change one's own.
    let target = app.user(RECEPTIONIST_A).id;
    let centre = centres_of(&app, app.user(ORG_ADMIN_A).organisation.unwrap()).await[1];
    assert_eq!(
        app.post(
            &b,
            &format!("/staff/users/{target}/grants"),
            &[("role", "caseworker"), ("centre", &centre.to_string())]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert!(app.store.user_grants(target).await.unwrap().iter().any(|g| g.role() == Role::Caseworker));
    assert_eq!(
        app.post(
            &b,
            &format!("/staff/users/{target}/grants/revoke"),
            &[("role", "caseworker"), ("centre", &centre.to_string())]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert!(!app.store.user_grants(target).await.unwrap().iter().any(|g| g.role() == Role::Caseworker));
    let me = app.user(ORG_ADMIN_A).id;
    assert_eq!(
        app.post(&b, &format!("/staff/users/{me}/grants/revoke"), &[("role", "org_admin"), ("centre", "")])
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Disabled users cannot sign in and lose their sessions.
    let victim = app.sign_in(RECEPTIONIST_A).await;
    assert_eq!(app.post(&b, &format!("/staff/users/{target}/disable"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&victim, "/staff").await.0, StatusCode::SEE_OTHER);
    assert_eq!(app.sign_in_raw(RECEPTIONIST_A, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.post(&b, &format!("/staff/users/{target}/enable"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.sign_in_raw(RECEPTIONIST_A, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let actions = app.audit_actions().await;
    for a in ["user.created", "user.role_granted", "user.role_revoked", "user.disabled", "user.enabled"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
    // The chain verifies after all of it.
    assert!(matches!(
        skranke::audit_verify::verify(&app.store).await.unwrap(),
        skranke::audit_verify::Outcome::Intact(_)
    ));
}

async fn centres_of(app: &StaffApp, org: OrganisationId) -> Vec<CentreId> {
    app.store
        .list_centres()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.centre.organisation_id == org)
        .map(|c| c.centre.id)
        .collect()
}

/// Where a route acts, for the expected answer.
#[derive(Clone, Copy, Debug)]
enum At {
    /// The signed-in user's own account.
    Own,
    /// The caller's own organisation (or the platform for the operator).
    OwnOrg,
    /// Organisation A, named by an id in the path (another organisation's callers get 404).
    OrgA,
    /// The platform (the list of organisations): organisation staff get 404, as for anything
    /// outside their organisation.
    Platform,
    /// The first centre of organisation A (Borgerservice), named by an id in the path.
    CentreA,
    /// Any centre of the caller's own organisation (the set-up overview).
    SomeOwnCentre,
}

/// Every staff route: method, path, form, the permission it needs and where. In paths `{user}` is
/// a user of organisation A, `{token}` one of the caller's own API tokens, `{centre}` the first
/// centre of A and `{queue}`, `{service}`, `{staff}`, `{closure}`, `{absence}` objects of it (a
/// fresh closure and absence per caller); `{n}` in a form makes it unique.
type RouteSpec = (&'static str, &'static str, &'static [(&'static str, &'static str)], Permission, At);

const ROUTES: &[RouteSpec] = &[
    ("GET", "/staff", &[], Permission::ManageOwnAccount, At::Own),
    ("GET", "/staff/account", &[], Permission::ManageOwnAccount, At::Own),
    (
        "POST",
        "/staff/account/password",
        &[("current", "wrong"), ("new", "x"), ("repeat", "y")],
        Permission::ManageOwnAccount,
        At::Own,
    ),
    (
        "POST",
        "/staff/account/tokens",
        &[("label", "walk"), ("grant", "0"), ("days", "7")],
        Permission::ManageOwnAccount,
        At::Own,
    ),
    ("POST", "/staff/account/tokens/{token}/revoke", &[], Permission::ManageOwnAccount, At::Own),
    ("GET", "/api/v1/staff/me", &[], Permission::ManageOwnAccount, At::Own),
    ("GET", "/staff/users", &[], Permission::ManageUsers, At::OwnOrg),
    (
        "POST",
        "/staff/users",
        &[("email", "walk-{n}@eksempelkommune.dk"), ("name", "Walk"), ("role", "caseworker"), ("centre", "")],
        Permission::ManageUsers,
        At::OwnOrg,
    ),
    ("GET", "/staff/users/{user}", &[], Permission::ManageUsers, At::OrgA),
    (
        "POST",
        "/staff/users/{user}/grants",
        &[("role", "caseworker"), ("centre", "")],
        Permission::ManageUsers,
        At::OrgA,
    ),
    (
        "POST",
        "/staff/users/{user}/grants/revoke",
        &[("role", "caseworker"), ("centre", "")],
        Permission::ManageUsers,
        At::OrgA,
    ),
    ("POST", "/staff/users/{user}/disable", &[], Permission::ManageUsers, At::OrgA),
    ("POST", "/staff/users/{user}/enable", &[], Permission::ManageUsers, At::OrgA),
    ("POST", "/staff/users/{user}/password-link", &[], Permission::ManageUsers, At::OrgA),
    ("GET", "/staff/platform/organisations", &[], Permission::ManageOrganisations, At::Platform),
    (
        "POST",
        "/staff/platform/organisations",
        &[
            ("name", "Walk {n}"),
            ("domains", "walk{n}.dk"),
            ("admin_email", "admin@walk{n}.dk"),
            ("admin_name", "Admin"),
        ],
        Permission::ManageOrganisations,
        At::Platform,
    ),
    ("GET", "/staff/admin", &[], Permission::ManageCentre, At::SomeOwnCentre),
    (
        "POST",
        "/staff/admin/organisation",
        &[("name", "Kommune {n}"), ("domains", "eksempelkommune.dk"), ("version", "0")],
        Permission::ManageOrganisation,
        At::OwnOrg,
    ),
    (
        "POST",
        "/staff/admin/centres",
        &[("name", "Center {n}"), ("address", "Vej {n}")],
        Permission::ManageOrganisation,
        At::OwnOrg,
    ),
    ("GET", "/staff/admin/centres/{centre}", &[], Permission::ManageCentre, At::CentreA),
    (
        "POST",
        "/staff/admin/centres/{centre}",
        &[
            ("name", "Borgerservice Eksempelby"),
            ("address", "Torvet 1"),
            ("hours_mon", "09:00-15:00"),
            ("version", "0"),
        ],
        Permission::ManageCentre,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/admin/centres/{centre}/closures",
        &[("from", "2027-01-05"), ("to", "2027-01-06"), ("reason", "Flytning {n}")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    ("POST", "/staff/admin/centres/{centre}/closures/{closure}/remove", &[], Permission::ManageCentre, At::CentreA),
    (
        "POST",
        "/staff/admin/centres/{centre}/queues",
        &[("name_da", "Kø {n}"), ("name_en", "Queue {n}"), ("prefix", "K")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/admin/centres/{centre}/queue-rules",
        &[("call_order", "priority_arrival"), ("placement_{queue}", "keep_arrival")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    ("POST", "/staff/admin/centres/{centre}/desks", &[("name", "Skranke {n}")], Permission::ManageCentre, At::CentreA),
    (
        "POST",
        "/staff/admin/centres/{centre}/closed-days",
        &[("public_holidays", "on"), ("recurring", "5/6, 24/12"), ("version", "0")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    // Setting the state it already has: allowed, and changes nothing the walk relies on.
    (
        "POST",
        "/staff/admin/services/{service}/active",
        &[("active", "true"), ("version", "0")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/admin/staff/{staff}/active",
        &[("active", "true"), ("version", "0")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/admin/queues/{queue}",
        &[("name_da", "Borgerservice"), ("name_en", "Citizen service"), ("prefix", "B"), ("version", "0")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/admin/centres/{centre}/services",
        &[
            ("name_da", "Ydelse {n}"),
            ("name_en", "Service {n}"),
            ("queue", "{queue}"),
            ("duration_minutes", "15"),
            ("buffer_minutes", "0"),
            ("capacity", "1"),
            ("min_notice_minutes", "60"),
            ("horizon_days", "30"),
            ("sensitivity", "normal"),
        ],
        Permission::ManageCentre,
        At::CentreA,
    ),
    ("GET", "/staff/admin/services/{service}", &[], Permission::ManageCentre, At::CentreA),
    (
        "POST",
        "/staff/admin/services/{service}",
        &[
            ("name_da", "Pas"),
            ("name_en", "Passport"),
            ("queue", "{queue}"),
            ("duration_minutes", "15"),
            ("buffer_minutes", "5"),
            ("capacity", "2"),
            ("min_notice_minutes", "60"),
            ("horizon_days", "60"),
            ("online_bookable", "on"),
            ("sensitivity", "normal"),
            ("version", "0"),
        ],
        Permission::ManageCentre,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/admin/centres/{centre}/staff",
        &[("name", "Medarbejder {n}"), ("email", "m{n}@eksempelkommune.dk")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    ("GET", "/staff/admin/staff/{staff}", &[], Permission::ManageCentre, At::CentreA),
    (
        "POST",
        "/staff/admin/staff/{staff}",
        &[("name", "Anne Jensen (B)"), ("email", ""), ("hours_mon", "08:30-16:00"), ("version", "0")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/admin/staff/{staff}/absences",
        &[("from", "2027-02-01T08:00"), ("to", "2027-02-01T12:00")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    ("POST", "/staff/admin/staff/{staff}/absences/{absence}/remove", &[], Permission::ManageCentre, At::CentreA),
    ("GET", "/staff/audit", &[], Permission::ViewAudit, At::OwnOrg),
    ("GET", "/api/v1/staff/audit", &[], Permission::ViewAudit, At::OwnOrg),
    // Breach scoping (issue 7): the data-protection officer only.
    ("GET", "/staff/breach", &[], Permission::RunBreachReport, At::OwnOrg),
    ("GET", "/staff/breach/affected.csv", &[], Permission::RunBreachReport, At::OwnOrg),
    ("GET", "/staff/breach/anmeldelse.txt", &[], Permission::RunBreachReport, At::OwnOrg),
    ("GET", "/staff/breach/letters", &[], Permission::RunBreachReport, At::OwnOrg),
    // A citizen's data on request (issue 7): staff who see citizens, at some centre of theirs.
    ("GET", "/staff/citizen-data", &[], Permission::ViewCitizenDetails, At::SomeOwnCentre),
    ("GET", "/api/v1/staff/citizen-data", &[], Permission::ViewCitizenDetails, At::SomeOwnCentre),
    ("POST", "/staff/citizen-data/erase", &[("reference", "")], Permission::ManageAppointments, At::SomeOwnCentre),
    // Retention periods (issue 7): the organisation's administrators.
    ("GET", "/staff/admin/retention", &[], Permission::ManageOrganisation, At::OwnOrg),
    (
        "POST",
        "/staff/admin/retention",
        &[("class", "citizen_identity"), ("days", "60")],
        Permission::ManageOrganisation,
        At::OwnOrg,
    ),
    // Breach records (issue 7): the DPO and the organisation's administrators.
    ("GET", "/staff/breach/cases", &[], Permission::ManageBreaches, At::OwnOrg),
    (
        "POST",
        "/staff/breach/cases",
        &[("title", "Sag {n}"), ("aware_at", "2026-11-29T10:00")],
        Permission::ManageBreaches,
        At::OwnOrg,
    ),
    ("GET", "/staff/breach/cases/{case}", &[], Permission::ManageBreaches, At::OrgA),
    ("GET", "/staff/breach/cases/{case}/countdown", &[], Permission::ManageBreaches, At::OrgA),
    (
        "POST",
        "/staff/breach/cases/{case}/updates",
        &[("update", "Opdatering {n}")],
        Permission::ManageBreaches,
        At::OrgA,
    ),
    (
        "POST",
        "/staff/breach/cases/{case}/decision",
        &[("decision", "not_notifiable"), ("reasoning", "Modtageren er en anden myndighed, der har slettet den.")],
        Permission::ManageBreaches,
        At::OrgA,
    ),
    // Mail and recipients (issue 6).
    ("GET", "/staff/mail", &[], Permission::ManageOrganisation, At::OwnOrg),
    ("POST", "/staff/account/address/code", &[], Permission::ManageOwnAccount, At::Own),
    ("POST", "/staff/account/address/confirm", &[("code", "000000")], Permission::ManageOwnAccount, At::Own),
    ("GET", "/staff/mail/held", &[], Permission::ManageOrganisation, At::OwnOrg),
    ("GET", "/staff/mail/flows", &[], Permission::ManageOrganisation, At::OwnOrg),
    ("GET", "/staff/ack/{sent}", &[], Permission::ViewQueue, At::CentreA),
    ("POST", "/staff/mail/addresses/{address}/code", &[], Permission::ManageCentre, At::CentreA),
    ("POST", "/staff/mail/addresses/{address}/confirm", &[("code", "000000")], Permission::ManageCentre, At::CentreA),
    ("POST", "/staff/mail/held/{held}/release", &[], Permission::ManageOrganisation, At::OrgA),
    ("POST", "/staff/mail/held/{held2}/discard", &[], Permission::ManageOrganisation, At::OrgA),
    // After the address routes: approving retires the queue's current address.
    ("POST", "/staff/mail/changes/{change}/approve", &[], Permission::ManageCentre, At::CentreA),
    ("POST", "/staff/mail/changes/{change2}/reject", &[], Permission::ManageCentre, At::CentreA),
    // Routing rules (RS-60: proposed by one administrator, decided by another).
    ("GET", "/staff/mail/routes", &[], Permission::ManageOrganisation, At::OwnOrg),
    (
        "POST",
        "/staff/mail/routes",
        &[("event", "arrival"), ("recipient", "queue_mailbox"), ("enabled", "on")],
        Permission::ManageOrganisation,
        At::OwnOrg,
    ),
    ("POST", "/staff/mail/routes/changes/{rchange}/approve", &[], Permission::ManageOrganisation, At::OrgA),
    ("POST", "/staff/mail/routes/changes/{rchange2}/reject", &[], Permission::ManageOrganisation, At::OrgA),
    (
        "POST",
        "/staff/mail/mailboxes",
        &[("owner", "queue:{queue}"), ("address", "koe{n}@eksempelkommune.dk")],
        Permission::ManageCentre,
        At::CentreA,
    ),
    // Queues (issue 5). `{desk}` is a desk of centre A, `{visit}` a waiting visit there.
    ("GET", "/staff/centres/{centre}/kiosk", &[], Permission::OperateKiosk, At::CentreA),
    (
        "POST",
        "/staff/centres/{centre}/kiosk/ticket",
        &[("service", "{service}")],
        Permission::OperateKiosk,
        At::CentreA,
    ),
    (
        "POST",
        "/staff/centres/{centre}/kiosk/check-in",
        &[("reference", "ZZZ-ZZZ")],
        Permission::OperateKiosk,
        At::CentreA,
    ),
    ("GET", "/staff/centres/{centre}/kiosk/tickets/{visit}", &[], Permission::OperateKiosk, At::CentreA),
    ("GET", "/staff/centres/{centre}/desk", &[], Permission::ServeCitizens, At::CentreA),
    ("POST", "/staff/centres/{centre}/desk/open", &[("desk", "{desk}")], Permission::ServeCitizens, At::CentreA),
    ("POST", "/staff/centres/{centre}/desk/call-next", &[("desk", "{desk}")], Permission::ServeCitizens, At::CentreA),
    (
        "POST",
        "/staff/centres/{centre}/desk/visits/{visit}/park",
        &[("desk", "{desk}")],
        Permission::ServeCitizens,
        At::CentreA,
    ),
    ("POST", "/staff/centres/{centre}/desk/leave", &[("desk", "{desk}")], Permission::ServeCitizens, At::CentreA),
    ("GET", "/staff/centres/{centre}/stats", &[], Permission::ManageCentre, At::CentreA),
    ("GET", "/api/v1/staff/centres/{centre}/board", &[], Permission::ViewQueue, At::CentreA),
    ("GET", "/api/v1/staff/centres/{centre}/desks", &[], Permission::ViewQueue, At::CentreA),
    (
        "POST",
        "/api/v1/staff/centres/{centre}/tickets",
        &[("service", "{service}")],
        Permission::OperateKiosk,
        At::CentreA,
    ),
    (
        "POST",
        "/api/v1/staff/centres/{centre}/check-ins",
        &[("reference", "ZZZ-ZZZ")],
        Permission::OperateKiosk,
        At::CentreA,
    ),
    ("GET", "/api/v1/staff/centres/{centre}/stats", &[], Permission::ManageCentre, At::CentreA),
    ("GET", "/api/v1/staff/centres/{centre}/stats.csv", &[], Permission::ManageCentre, At::CentreA),
    ("POST", "/api/v1/staff/desks/{desk}/open", &[], Permission::ServeCitizens, At::CentreA),
    ("POST", "/api/v1/staff/desks/{desk}/call-next", &[], Permission::ServeCitizens, At::CentreA),
    ("POST", "/api/v1/staff/desks/{desk}/leave", &[], Permission::ServeCitizens, At::CentreA),
    ("GET", "/api/v1/staff/visits/{visit}", &[], Permission::ViewQueue, At::CentreA),
    ("POST", "/api/v1/staff/visits/{visit}/park", &[], Permission::ServeCitizens, At::CentreA),
    // Last: these end the session.
    ("POST", "/staff/account/sign-out-everywhere", &[], Permission::ManageOwnAccount, At::Own),
    ("POST", "/staff/sign-out", &[], Permission::ManageOwnAccount, At::Own),
];

/// The route × role table: every route for every role of both organisations (and the platform
/// operator), signed out too. Allowed → 2xx/3xx (or a 422 for the deliberately wrong password
/// form: the check passed), forbidden in one's own organisation → 403, another organisation's
/// object → 404, signed out → the sign-in page (pages) or 401 (API).
#[tokio::test]
async fn every_route_for_every_role() {
    let app = spawn().await;
    let org_a = app.user(ORG_ADMIN_A).organisation.unwrap();
    // A user of organisation A that nobody in the walk signs in as.
    let target = {
        let admin = app.sign_in(ORG_ADMIN_A).await;
        let r = app
            .post(
                &admin,
                "/staff/users",
                &[("email", "target@eksempelkommune.dk"), ("name", "Target"), ("role", "receptionist"), ("centre", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        app.store.find_user_by_email("target@eksempelkommune.dk").await.unwrap().unwrap().id
    };
    let centre_a = centres_of(&app, org_a).await[0];
    let queue_a = app.store.list_queues(centre_a).await.unwrap()[0].value.id;
    let service_a = app.store.list_services(centre_a).await.unwrap()[0].id;
    let staff_a = app.store.list_staff(centre_a).await.unwrap()[0].value.member.id;
    let desk_a = app.store.list_desks(centre_a).await.unwrap()[0].id;
    let mut emails: Vec<String> = app.users.keys().cloned().collect();
    emails.sort();
    let mut n = 0;
    let mut failures = Vec::new();
    for email in &emails {
        let user = app.user(email).clone();
        let grants = app.store.user_grants(user.id).await.unwrap();
        let mut b = app.sign_in(email).await;
        // One of the caller's own API tokens, for the revoke route.
        let page = app.post(&b, "/staff/account/tokens", &[("label", "own"), ("grant", "0"), ("days", "7")]).await;
        assert_eq!(page.status(), StatusCode::OK);
        let token = app.store.list_api_tokens(user.id).await.unwrap()[0].id;
        // A closure and an absence of their own for the remove routes.
        let closure = skranke::store::Closure {
            id: uuid::Uuid::new_v4(),
            centre_id: centre_a,
            when: skranke_core::Interval::new(app.clock.now(), app.clock.now() + SignedDuration::from_hours(48))
                .unwrap(),
            reason: "Walk".into(),
        };
        app.store.add_closure_audited(&closure, &[]).await.unwrap();
        let absence = skranke::store::Absence { id: uuid::Uuid::new_v4(), staff_id: staff_a, when: closure.when };
        app.store.add_absence_audited(&absence, &[]).await.unwrap();
        // A waiting visit of their own at centre A, for the visit routes.
        let arrival = skranke_core::visit::Arrival {
            id: skranke_core::ids::VisitId::from_uuid(uuid::Uuid::new_v4()),
            centre: centre_a,
            queue: queue_a,
            service: Some(service_a),
            appointment: None,
            kind: skranke_core::visit::VisitKind::WalkIn,
            priority: skranke_core::visit::Priority::Normal,
            at: app.clock.now(),
            due_at: None,
            day: "2026-11-30".parse().unwrap(),
        };
        let visit = app.store.issue_ticket(&arrival, "B", None).await.unwrap().id;
        // A mailbox address of queue A with an open code, and two held messages of organisation A.
        let (address, held, held2, sent) = mail_fixtures(&app, org_a, queue_a).await;
        let (change, change2) = change_fixtures(&app, org_a, queue_a, centre_a).await;
        let (rchange, rchange2) = route_fixtures(&app, org_a).await;
        let case = breach_case_fixture(&app, org_a).await;
        let fill = |text: &str, n: usize| {
            text.replace("{user}", &target.to_string())
                .replace("{case}", &case.to_string())
                .replace("{token}", &token.to_string())
                .replace("{centre}", &centre_a.to_string())
                .replace("{queue}", &queue_a.to_string())
                .replace("{service}", &service_a.to_string())
                .replace("{staff}", &staff_a.to_string())
                .replace("{closure}", &closure.id.to_string())
                .replace("{absence}", &absence.id.to_string())
                .replace("{desk}", &desk_a.to_string())
                .replace("{visit}", &visit.to_string())
                .replace("{address}", &address.to_string())
                .replace("{held2}", &held2.to_string())
                .replace("{held}", &held.to_string())
                .replace("{sent}", &sent.to_string())
                .replace("{rchange2}", &rchange2.to_string())
                .replace("{rchange}", &rchange.to_string())
                .replace("{change2}", &change2.to_string())
                .replace("{change}", &change.to_string())
                .replace("{n}", &n.to_string())
        };
        for (method, path, form, permission, at) in ROUTES {
            n += 1;
            let path = fill(path, n);
            let form: Vec<(String, String)> = form.iter().map(|(k, v)| (fill(k, n), fill(v, n))).collect();
            let form_refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let target_at = match at {
                At::Own => Target::OwnAccount,
                At::OwnOrg => user.organisation.map_or(Target::Platform, Target::Organisation),
                At::OrgA => Target::Organisation(org_a),
                At::Platform => Target::Platform,
                At::CentreA => Target::Centre { organisation: org_a, centre: centre_a },
                At::SomeOwnCentre => user.organisation.map_or(Target::Platform, Target::Organisation),
            };
            let allowed = match at {
                // The set-up overview opens for anyone who configures some centre of their own.
                At::SomeOwnCentre => {
                    user.organisation.is_some()
                        && grants.iter().any(|g| skranke_core::access::allows(g.role(), *permission))
                }
                _ => permits(&grants, *permission, target_at),
            };
            let own_place = match target_at {
                Target::Organisation(o) | Target::Centre { organisation: o, .. } => user.organisation == Some(o),
                Target::Platform => user.organisation.is_none(),
                _ => true,
            };
            let status = if *method == "GET" {
                app.get(&b, &path).await.0
            } else if path.starts_with("/api/") {
                // The JSON API: the same fields as a JSON object, the CSRF token as a header.
                let body: serde_json::Map<String, serde_json::Value> =
                    form.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
                app.http
                    .post(app.url(&path))
                    .header(COOKIE, format!("skranke_session={}", b.cookie))
                    .header("X-CSRF-Token", &b.csrf)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            } else {
                app.post(&b, &path, &form_refs).await.status()
            };
            // Allowed: done, or refused for the input (422) or a stale version (409) — the access
            // check passed either way.
            let ok = if allowed {
                status.is_success()
                    || status.is_redirection()
                    || status == StatusCode::UNPROCESSABLE_ENTITY
                    || status == StatusCode::CONFLICT
            } else if own_place {
                status == StatusCode::FORBIDDEN
            } else {
                status == StatusCode::NOT_FOUND
            };
            if !ok {
                failures.push(format!("{email} {method} {path}: {status} (allowed: {allowed})"));
            }
            if path.ends_with("sign-out-everywhere") || path.ends_with("sign-out") {
                b = app.sign_in(email).await;
            }
        }
        // Signed out: every route sends to the sign-in page (pages) or answers 401 (API).
        for (method, path, _, _, _) in ROUTES {
            let path = fill(path, 0);
            let req = if *method == "GET" {
                app.http.get(app.url(&path))
            } else {
                app.http.post(app.url(&path)).form(&[("a", "b")])
            };
            let r = req.send().await.unwrap();
            let expected = if path.starts_with("/api/") {
                r.status() == StatusCode::UNAUTHORIZED
            } else {
                r.status() == StatusCode::SEE_OTHER
                    && r.headers()[LOCATION].to_str().unwrap().starts_with("/staff/sign-in")
            };
            if !expected {
                failures.push(format!("signed out {method} {path}: {}", r.status()));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {n} checks failed:\n{}", failures.len(), failures.join("\n"));
}

/// A fresh mailbox address of `queue` (with an open code) and two held messages of `org`, for
/// the mail routes of the walk.
async fn mail_fixtures(
    app: &StaffApp,
    org: skranke_core::ids::OrganisationId,
    queue: skranke_core::ids::QueueId,
) -> (uuid::Uuid, uuid::Uuid, uuid::Uuid, uuid::Uuid) {
    use skranke::store::{AddressCode, GateOutcome, NewAddress, NewMessage, Owner, OwnerKind};
    let now = app.clock.now();
    let address = skranke_core::ids::AddressId::from_uuid(uuid::Uuid::new_v4());
    let new = NewAddress {
        id: address,
        organisation: org,
        owner: Owner::new(OwnerKind::Queue, queue.as_uuid()),
        address: "walk@eksempelkommune.dk".into(),
        registrable_domain: "eksempelkommune.dk".into(),
        flag_reason: None,
        created_by: None,
        created_at: now,
    };
    app.store.put_address(&new, &[]).await.unwrap();
    let mut held = Vec::new();
    for i in 0..3 {
        let id = skranke_core::ids::MessageId::from_uuid(uuid::Uuid::new_v4());
        let message = NewMessage {
            id,
            appointment_id: None,
            template: "address_code".into(),
            recipient: new.address.clone(),
            language: skranke::i18n::Lang::Da,
            payload: "{}".into(),
            organisation_id: Some(org),
            address_id: Some(address),
            purpose: skranke_core::notify::Purpose::Verification,
        };
        let code = AddressCode {
            address,
            code_hash: skranke_core::secret::ConfirmationCode::from_random(1).hash("walk"),
            requested_by: None,
            created_at: now,
            expires_at: now + SignedDuration::from_mins(30),
            attempts: 0,
        };
        app.store.open_address_code(&code, std::slice::from_ref(&message), &[]).await.unwrap();
        // Two held, and one sent staff notice about a visit (for the acknowledgement link).
        let outcome = if i < 2 {
            GateOutcome {
                outcome: "hold",
                reason: Some("unverified"),
                rule: None,
                classes: "verification_code".into(),
                bounced_address: None,
                subject_ref: None,
                recipient_pseudonym: None,
            }
        } else {
            GateOutcome {
                outcome: "send",
                reason: None,
                rule: Some("verified_internal"),
                classes: "operational".into(),
                bounced_address: None,
                subject_ref: Some(format!("visit:{}", uuid::Uuid::new_v4())),
                recipient_pseudonym: None,
            }
        };
        app.store.finish_outbox(id, &outcome, now, &[], &[]).await.unwrap();
        held.push(id.as_uuid());
    }
    (address.as_uuid(), held[0], held[1], held[2])
}

/// Two open mailbox proposals of organisation A (a queue's and a centre's), asked by someone
/// who is not in the walk, for the approve and reject routes.
/// A breach case of organisation A.
async fn breach_case_fixture(app: &StaffApp, org: OrganisationId) -> uuid::Uuid {
    let id = uuid::Uuid::new_v4();
    let case = skranke::store::BreachCase {
        id,
        organisation: org,
        title: "Mails til fred.dk".into(),
        aware_at: app.clock.now(),
        opened_by: app.user(ORG_ADMIN_A).id,
        opened_at: app.clock.now(),
        decision: None,
        decision_text: None,
        decided_by: None,
        decided_at: None,
    };
    app.store.create_breach_case(&case, &[]).await.unwrap();
    id
}

async fn change_fixtures(
    app: &StaffApp,
    org: skranke_core::ids::OrganisationId,
    queue: skranke_core::ids::QueueId,
    centre: skranke_core::ids::CentreId,
) -> (uuid::Uuid, uuid::Uuid) {
    use skranke::store::{AddressChange, Owner, OwnerKind};
    let mut ids = Vec::new();
    for (owner, address) in [
        (Owner::new(OwnerKind::Queue, queue.as_uuid()), "koe-ny@eksempelkommune.dk"),
        (Owner::new(OwnerKind::Centre, centre.as_uuid()), "center-ny@eksempelkommune.dk"),
    ] {
        let change = AddressChange {
            id: uuid::Uuid::new_v4(),
            organisation: org,
            owner,
            address: address.into(),
            registrable_domain: "eksempelkommune.dk".into(),
            requested_by: skranke_core::ids::UserId::from_uuid(uuid::Uuid::new_v4()),
            requested_at: app.clock.now(),
            approved: None,
            decided_by: None,
            decided_at: None,
        };
        app.store.propose_address(&change, &[]).await.unwrap();
        ids.push(change.id);
    }
    (ids[0], ids[1])
}

/// Two open route changes of organisation A, proposed by someone else, for approve and reject.
async fn route_fixtures(app: &StaffApp, org: skranke_core::ids::OrganisationId) -> (uuid::Uuid, uuid::Uuid) {
    use skranke::store::RouteChange;
    use skranke_core::notify::route::{Event, Recipient};
    let mut ids = Vec::new();
    for (event, recipient) in [(Event::Arrival, Recipient::CentreMailbox), (Event::NoShow, Recipient::Citizen)] {
        let change = RouteChange {
            id: uuid::Uuid::new_v4(),
            organisation: org,
            event,
            recipient,
            enabled: true,
            requested_by: skranke_core::ids::UserId::from_uuid(uuid::Uuid::new_v4()),
            requested_at: app.clock.now(),
            approved: None,
            decided_by: None,
            decided_at: None,
        };
        app.store.propose_route(&change, &[]).await.unwrap();
        ids.push(change.id);
    }
    (ids[0], ids[1])
}

/// Whether a table path (`/x/{centre}/desk/visits/{visit}/park`) is an instance of a route
/// pattern (`/x/{centre}/desk/visits/{visit}/{action}`): a parameter of the route matches any
/// segment; literal segments must be equal.
fn same_route(path: &str, route: &str) -> bool {
    let (p, r): (Vec<&str>, Vec<&str>) = (path.split('/').collect(), route.split('/').collect());
    let param = |s: &str| s.starts_with('{') && s.ends_with('}');
    p.len() == r.len() && p.iter().zip(&r).all(|(a, b)| a == b || param(b))
}

/// Every staff route in the code is in `ROUTES` above, so a new route
/// cannot skip the walk.
#[test]
fn the_route_table_lists_every_staff_route() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/staff");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for part in text.split(".route(\"").skip(1) {
            let route = part.split('"').next().unwrap();
            if route == "/staff/sign-in" || route.starts_with("/account/password/") {
                continue; // public: the sign-in form and the password link
            }
            let known = ROUTES.iter().any(|(_, p, ..)| same_route(p, route));
            if !known {
                missing.push(format!("{route} ({})", path.display()));
            }
        }
    }
    assert!(missing.is_empty(), "routes missing from the route × role table: {missing:?}");
}

/// Signed in to organisation B, every route naming organisation A's objects answers 404, and the
/// lists show B's data only.
#[tokio::test]
async fn another_organisations_objects_do_not_exist() {
    let app = spawn().await;
    let b = app.sign_in(ORG_ADMIN_B).await;
    let a_user = app.user(RECEPTIONIST_A).id;
    for (method, path) in [
        ("GET", format!("/staff/users/{a_user}")),
        ("POST", format!("/staff/users/{a_user}/grants")),
        ("POST", format!("/staff/users/{a_user}/grants/revoke")),
        ("POST", format!("/staff/users/{a_user}/disable")),
        ("POST", format!("/staff/users/{a_user}/enable")),
        ("POST", format!("/staff/users/{a_user}/password-link")),
    ] {
        let status = if method == "GET" {
            app.get(&b, &path).await.0
        } else {
            app.post(&b, &path, &[("role", "receptionist"), ("centre", "")]).await.status()
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (_, users) = app.get(&b, "/staff/users").await;
    assert!(users.contains("Paula Prøvested") && !users.contains("Rikke Reception"));
    let (_, audit) = app.get(&b, "/staff/audit").await;
    assert!(!audit.contains("Ole Organisation"));
    // A's admin's token cannot read B's log either: the query is always the caller's organisation.
    let a = app.sign_in(ORG_ADMIN_A).await;
    let (_, a_audit) = app.get(&a, "/staff/audit").await;
    assert!(!a_audit.contains("Paula Prøvested"));
    assert_eq!(app.store.user_grants(a_user).await.unwrap().len(), 1, "nothing changed in A");
}

#[tokio::test]
async fn the_platform_operator_creates_organisations_and_lookalike_domains_need_a_reason() {
    let app = spawn().await;
    let op = app.sign_in("operator@skranke.example.org").await;
    let create = |fields: Vec<(&'static str, &'static str)>| {
        let op = op.clone();
        let app = &app;
        async move { app.post(&op, "/staff/platform/organisations", &fields).await }
    };
    // fred.dk resembles fredericia.dk: refused without a reason, named in the message.
    let r =
        create(vec![("name", "Fred"), ("domains", "fred.dk"), ("admin_email", "a@fred.dk"), ("admin_name", "A")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("fred.dk ligner fredericia.dk"), "{body}");
    assert!(body.contains("name=\"reason\""), "the reason field appears");
    // The first administrator's address must lie in the new domains.
    let r = create(vec![
        ("name", "Ny Kommune"),
        ("domains", "nykommune.dk"),
        ("admin_email", "a@gmail.com"),
        ("admin_name", "A"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = create(vec![
        ("name", "Ny Kommune"),
        ("domains", "not a domain"),
        ("admin_email", "a@nykommune.dk"),
        ("admin_name", "A"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // With a reason the flagged domain is kept, and the reason is in the audit log.
    let r = create(vec![
        ("name", "Fred Kommune"),
        ("domains", "fred.dk"),
        ("admin_email", "admin@fred.dk"),
        ("admin_name", "Admin"),
        ("reason", "Vi ejer fred.dk, se kontrakt 2026-17"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("/account/password/skrp_"));
    let orgs = app.store.list_organisations().await.unwrap();
    assert!(orgs.iter().any(|o| o.mail_domains == vec!["fred.dk".to_owned()]));
    let entries =
        app.store.search_audit(&skranke::store::AuditQuery { limit: 10, ..Default::default() }).await.unwrap();
    let created = entries.iter().find(|e| e.record.action.as_str() == "organisation.created").unwrap();
    assert_eq!(created.record.detail.get("reason").unwrap(), "Vi ejer fred.dk, se kontrakt 2026-17");
    // An organisation administrator cannot see the platform page at all.
    let admin = app.sign_in(ORG_ADMIN_A).await;
    assert_eq!(app.get(&admin, "/staff/platform/organisations").await.0, StatusCode::NOT_FOUND);
}

/// Citizen forms have no session for a CSRF token; a form posted from another site is refused by
/// the browser's own `Sec-Fetch-Site`, a same-origin one goes through.
#[tokio::test]
async fn citizen_forms_posted_from_another_site_are_refused() {
    let app = spawn().await;
    let centre = app.store.list_centres().await.unwrap()[0].centre.id;
    let service = app.store.list_services(centre).await.unwrap()[0].id;
    let path = app.url(&format!("/book/{centre}/{service}/details"));
    let form = [("start", "2026-12-01T10:00:00+01:00"), ("name", "Jens Hansen"), ("email", "")];
    let before = app.store.list_dev_mail(100).await.unwrap().len();
    let r = app.http.post(&path).header("Sec-Fetch-Site", "cross-site").form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Genindlæs siden"));
    let r = app.http.post(&path).header("Sec-Fetch-Site", "same-origin").form(&form).send().await.unwrap();
    assert_ne!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.list_dev_mail(100).await.unwrap().len(), before);
}

/// RS-61 on the staff member page: an address on an own domain that resembles a protected one is
/// refused with a reason field; with a reason it is kept, and the page shows the reason. The same
/// page deactivates and reactivates the member; the centre page sets the regular closed days.
#[tokio::test]
async fn a_flagged_work_address_needs_a_reason_on_the_page() {
    let app = spawn().await;
    let org_admin = app.sign_in(ORG_ADMIN_A).await;
    let org = app.user(ORG_ADMIN_A).organisation.unwrap();
    let version = app.store.get_organisation(org).await.unwrap().unwrap().version.to_string();
    let r = app
        .post(
            &org_admin,
            "/staff/admin/organisation",
            &[
                ("name", "Eksempel Kommune"),
                ("domains", "eksempelkommune.dk, eksempelkomune.dk"),
                ("reason", "Det gamle domæne fra før sammenlægningen"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let centre = centres_of(&app, org).await[0];
    let member = app.store.list_staff(centre).await.unwrap()[0].clone();
    let path = format!("/staff/admin/staff/{}", member.value.member.id);
    let v = member.version.to_string();
    let form = |reason: &'static str| {
        vec![
            ("name", "Anne Jensen (B)"),
            ("email", "anne@eksempelkomune.dk"),
            ("hours_mon", "08:30-16:00"),
            ("reason", reason),
        ]
    };
    let mut fields = form("");
    fields.push(("version", &v));
    let r = app.post(&org_admin, &path, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"reason\"") && page.contains("ligner eksempelkommune.dk"), "{page}");
    let mut fields = form("Fælles postkasse fra før sammenlægningen");
    fields.push(("version", &v));
    let r = app.post(&org_admin, &path, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&org_admin, &path).await;
    assert!(page.contains("Fælles postkasse fra før sammenlægningen"));

    let v = app.store.list_staff(centre).await.unwrap()[0].version.to_string();
    let r = app.post(&org_admin, &format!("{path}/active"), &[("active", "false"), ("version", &v)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&org_admin, &path).await;
    assert!(page.contains("Aktivér igen"));

    let cv = app.store.organisation_centres(org).await.unwrap()[0].version.to_string();
    let r = app
        .post(
            &org_admin,
            &format!("/staff/admin/centres/{centre}/closed-days"),
            &[("recurring", "5/6, 31/13"), ("version", &cv)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &org_admin,
            &format!("/staff/admin/centres/{centre}/closed-days"),
            &[("public_holidays", "on"), ("recurring", "5/6, 24/12"), ("version", &cv)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&org_admin, &format!("/staff/admin/centres/{centre}")).await;
    assert!(page.contains("value=\"5/6, 24/12\""), "closed days shown");
}

/// The data-protection officer's breach page (issue 7): the form, "nothing found" said plainly,
/// bad input answered 422 with the catalogue's sentence on the page, the downloads' types, and
/// the officer's runs in the audit log.
#[tokio::test]
async fn the_breach_page_scopes_for_the_data_protection_officer() {
    let app = spawn().await;
    let dpo = app.sign_in("dpo@eksempelkommune.dk").await;
    let (status, home) = app.get(&dpo, "/staff").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("href=\"/staff/breach/cases\""), "the DPO's menu links the breach records");
    let (_, cases) = app.get(&dpo, "/staff/breach/cases").await;
    assert!(cases.contains("href=\"/staff/breach\""), "and they link the scoping page: {cases}");
    let (status, form) = app.get(&dpo, "/staff/breach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"domain\"") && !form.contains("role=\"status\""), "{form}");
    let (status, none) = app.get(&dpo, "/staff/breach?domain=fred.dk&from=2026-01-01&to=2026-12-31").await;
    assert_eq!(status, StatusCode::OK);
    assert!(none.contains("Intet fundet"), "{none}");
    let (status, reversed) = app.get(&dpo, "/staff/breach?domain=fred.dk&from=2026-12-31&to=2026-01-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reversed.contains("Perioden begynder efter den slutter"), "{reversed}");
    let (status, both) = app.get(&dpo, "/staff/breach?domain=fred.dk&address=a%40fred.dk").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(both.contains("enten én e-mailadresse eller ét domæne"), "{both}");
    let r = app
        .http
        .get(app.url("/staff/breach/affected.csv?domain=fred.dk"))
        .header(COOKIE, format!("skranke_session={}", dpo.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(r.text().await.unwrap().starts_with("subject,kind,name,email,reference,messages"));
    let (status, draft) = app.get(&dpo, "/staff/breach/anmeldelse.txt?domain=fred.dk").await;
    assert_eq!(status, StatusCode::OK);
    assert!(draft.starts_with("UDKAST: Anmeldelse") && draft.contains("Dataansvarlig: Eksempel Kommune"), "{draft}");
    let (status, letters) = app.get(&dpo, "/staff/breach/letters?domain=fred.dk").await;
    assert_eq!(status, StatusCode::OK);
    assert!(letters.contains("Der er ingen breve at skrive."), "{letters}");
    // Four runs that scoped (the page, the CSV, the draft, the letters), each audited; the
    // refused ones never ran.
    let admin = app.sign_in(ORG_ADMIN_A).await;
    let (_, audit) = app.get(&admin, "/staff/audit?action=breach.scope").await;
    assert_eq!(audit.matches("<code>breach.scope</code>").count(), 4, "{audit}");
    let (status, _) = app.get(&admin, "/staff/breach?domain=fred.dk").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an organisation administrator is not the DPO");
}

/// Retention periods on the page (issue 7): the administrator sees each class with its default
/// and minimum, saves a period, and a period below the minimum is shown with its reason (422).
#[tokio::test]
async fn retention_periods_are_set_on_the_admin_page() {
    let app = spawn().await;
    let admin = app.sign_in(ORG_ADMIN_A).await;
    let (status, home) = app.get(&admin, "/staff/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("href=\"/staff/admin/retention\""));
    let (status, page) = app.get(&admin, "/staff/admin/retention").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"1825\"") && page.contains("Oplysninger om afsendte e-mails"), "{page}");
    let r = app.post(&admin, "/staff/admin/retention", &[("class", "message_records"), ("days", "100")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"error-summary\"") && body.contains("forældelsesloven"), "{body}");
    let r = app.post(&admin, "/staff/admin/retention", &[("class", "citizen_identity"), ("days", "45")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&admin, "/staff/admin/retention?done=saved").await;
    assert!(page.contains("value=\"45\"") && page.contains("Perioden er gemt"), "{page}");
}

/// Issue 7, point 4: the audit page and its API show a citizen's pseudonym with the address it
/// stands for while the mapping is kept, and an entry whose particulars retention erased as such.
#[tokio::test]
async fn the_audit_resolves_pseudonyms_and_shows_erased_particulars() {
    use crate::support::{Arg, TestDb};
    use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label};
    let app = spawn().await;
    let AnyStore::Sqlite(db) = app.store.clone() else { unreachable!("spawn uses SQLite") };
    let org = app.user(ORG_ADMIN_A).organisation.unwrap();
    let pseudonym = app.server.app.address_pseudonym(Some(org), "anna.holm@example.org").await.unwrap();
    let mapped = db
        .execute(
            "INSERT INTO audit_pseudonyms (pseudonym, organisation_id, kind, value, first_at, last_at) \
             VALUES ($1, $2, 'address', 'anna.holm@example.org', $3, $3)",
            // Used recently: the worker's hourly retention pass would remove an old mapping.
            &[Arg::Text(pseudonym.clone()), Arg::Id(org.as_uuid()), crate::support::at(app.clock.now())],
        )
        .await;
    assert_eq!(mapped, 1);
    assert_eq!(app.store.resolve_pseudonyms(std::slice::from_ref(&pseudonym)).await.unwrap().len(), 1);
    let entry = |at: &str, recipient: &str| AuditRecord {
        at: at.parse().unwrap(),
        organisation: Some(org),
        actor: Actor::System { label: Label::new("outbox").unwrap() },
        action: Action::new("mail.sent").unwrap(),
        object: None,
        detail: Detail::new(serde_json::json!({ "recipient": recipient, "template": "booking_confirmed" })).unwrap(),
    };
    let old = entry("2019-01-02T10:00:00Z", "ps_0123456789abcdef0123456789abcdef");
    app.store.append_audit(&[old, entry("2026-11-29T10:00:00Z", &pseudonym)]).await.unwrap();
    let cutoff = "2020-01-01T00:00:00Z".parse().unwrap();
    let erased = db.apply_retention(org, skranke_core::retention::RetentionClass::AuditPayloads, cutoff, 100).await;
    assert_eq!(erased.unwrap(), 1);

    let admin = app.sign_in(ORG_ADMIN_A).await;
    let (status, page) = app.get(&admin, "/staff/audit?action=mail.sent").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("{pseudonym} = anna.holm@example.org")), "{page}");
    assert!(page.contains("Detaljerne er slettet efter reglerne for opbevaring"), "{page}");
    assert!(!page.contains("0123456789abcdef"), "the erased entry shows nothing of its payload");
    let r = app
        .http
        .get(app.url("/api/v1/staff/audit?action=mail.sent"))
        .header(COOKIE, format!("skranke_session={}", admin.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let entries: serde_json::Value = r.json().await.unwrap();
    let mine: Vec<&serde_json::Value> =
        entries.as_array().unwrap().iter().filter(|e| e["actor_label"] == "outbox").collect();
    assert!(mine.iter().any(|e| e["payload"] == "erased" && e["detail"] == serde_json::json!({})), "{entries}");
    assert!(
        mine.iter().any(|e| e["payload"] == "committed" && e["pseudonyms"][&pseudonym] == "anna.holm@example.org"),
        "{entries}"
    );
}
