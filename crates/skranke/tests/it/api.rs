//! The public API against a real server on a random port (SQLite, a manual clock).

use std::sync::Arc;
use std::time::Duration;

use crate::support::{Arg, TestDb};
use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use skranke::app::AppSettings;
use skranke::clock::ManualClock;
use skranke::mail::WorkerSettings;
use skranke::server::Running;
use skranke::store::{AnyStore, Centre, Organisation, Queue, Service, SqliteStore, StaffMember, Store};
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::{CentreId, OrganisationId, QueueId, ServiceId, StaffId};
use skranke_core::service::{Sensitivity, ServiceRules};

struct TestApp {
    server: Running,
    clock: ManualClock,
    http: reqwest::Client,
    centre: CentreId,
    /// Capacity 1, one staff member.
    single: ServiceId,
    /// Capacity 2, confidential.
    double: ServiceId,
}

fn cph() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap()
}

fn local(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    cph().to_timestamp(date(y, m, d).at(h, min, 0, 0)).unwrap()
}

fn rfc(t: Timestamp) -> String {
    t.display_with_offset(cph().to_offset(t)).to_string()
}

async fn spawn_app() -> TestApp {
    let dir = std::env::temp_dir().join(format!("skranke-api-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}/t.db", dir.display())).await.unwrap();
    store.migrate().await.unwrap();
    // Monday 30 November 2026, 07:00 in Copenhagen.
    let clock = ManualClock::new(local(2026, 11, 30, 7, 0));
    let org = Organisation {
        id: OrganisationId::from_random_bytes([1; 16]),
        name: "Test Kommune".into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec!["test.example.org".into()],
    };
    store.create_organisation(&org).await.unwrap();
    let centre = Centre {
        id: CentreId::from_random_bytes([2; 16]),
        organisation_id: org.id,
        name: "Borgerservice Test".into(),
        address: "Testvej 1".into(),
        opening_hours: WeeklyHours::weekdays(&[TimeRange::parse("09:00-15:00").unwrap()]).unwrap(),
        closed_days: ClosedDays::default(),
    };
    store.create_centre(&centre).await.unwrap();
    let queue = Queue {
        id: QueueId::from_random_bytes([3; 16]),
        centre_id: centre.id,
        name_da: "Kø".into(),
        name_en: "Queue".into(),
        prefix: "A".into(),
    };
    store.create_queue(&queue).await.unwrap();
    let mk = |id: u8, cap: u16, sensitivity| Service {
        id: ServiceId::from_random_bytes([id; 16]),
        centre_id: centre.id,
        queue_id: queue.id,
        name_da: format!("Ydelse {id}"),
        name_en: format!("Service {id}"),
        rules: ServiceRules::new(20, 5, cap, 60, 150, true).unwrap(),
        sensitivity,
    };
    let single = mk(10, 1, Sensitivity::Normal);
    let double = mk(11, 2, Sensitivity::Confidential);
    store.create_service(&single).await.unwrap();
    store.create_service(&double).await.unwrap();
    for n in 0..2u8 {
        store
            .create_staff(&StaffMember {
                id: StaffId::from_random_bytes([20 + n; 16]),
                centre_id: centre.id,
                name: format!("Staff {n}"),
                schedule: WeeklyHours::weekdays(&[TimeRange::parse("08:00-16:00").unwrap()]).unwrap(),
                services: if n == 0 { vec![single.id, double.id] } else { vec![double.id] },
            })
            .await
            .unwrap();
    }
    let settings = AppSettings { public_url: String::new(), ..AppSettings::default() };
    let worker = WorkerSettings { poll: Duration::from_millis(20), ..WorkerSettings::default() };
    let server =
        skranke::server::start("127.0.0.1:0", AnyStore::Sqlite(store), Arc::new(clock.clone()), settings, true, worker)
            .await
            .unwrap();
    TestApp { server, clock, http: reqwest::Client::new(), centre: centre.id, single: single.id, double: double.id }
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn book(&self, service: ServiceId, start: Timestamp, email: Option<&str>) -> (StatusCode, Value) {
        let mut citizen = json!({"name": "Jens Hansen"});
        if let Some(e) = email {
            citizen["email"] = json!(e);
        }
        self.post("/api/v1/bookings", json!({"service": service, "start": rfc(start), "citizen": citizen}), None).await
    }

    /// The code from the newest dev-mailbox message to `to`, waiting for the worker.
    async fn code_for(&self, to: &str) -> String {
        for _ in 0..200 {
            let mails = self.server.app.store.list_dev_mail(50).await.unwrap();
            if let Some(m) = mails.iter().find(|m| m.recipient == to) {
                return m.body_text.chars().filter(char::is_ascii_digit).take(6).collect();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no mail reached {to}");
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn centres_services_and_openapi() {
    let app = spawn_app().await;
    let (s, centres) = app.get("/api/v1/centres").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(centres[0]["timezone"], "Europe/Copenhagen");
    let (s, services) = app.get(&format!("/api/v1/centres/{}/services", app.centre)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(services.as_array().unwrap().len(), 2);
    assert_eq!(services[0]["duration_minutes"], 20);
    let (s, e) = app.get("/api/v1/centres/not-a-uuid/services").await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, e) = app.get(&format!("/api/v1/centres/{}/services", uuid::Uuid::new_v4())).await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for path in ["/api/v1/centres", "/api/v1/availability", "/api/v1/bookings", "/api/v1/bookings/{id}/calendar.ics"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from OpenAPI");
    }
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.server.shutdown().await;
}

#[tokio::test]
async fn availability_shapes_and_bad_input() {
    let app = spawn_app().await;
    let q = |from: &str, to: &str| format!("/api/v1/availability?service={}&from={from}&to={to}", app.single);
    let (s, v) = app.get(&q("2026-12-01", "2026-12-01")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["timezone"], "Europe/Copenhagen");
    assert_eq!(v["slots"][0]["start"], "2026-12-01T09:00:00+01:00");
    assert_eq!(v["slots"][0]["end"], "2026-12-01T09:20:00+01:00");
    assert_eq!(v["slots"][0]["remaining"], 1);
    // DST: summer time starts on Sunday 28 March 2027, which is also Easter (Thursday 25 to
    // Monday 29 are holidays).
    app.clock.set(local(2027, 3, 20, 7, 0));
    let (_, v) = app.get(&q("2027-03-24", "2027-03-30")).await;
    let starts: Vec<&str> = v["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap()).collect();
    assert!(starts.contains(&"2027-03-24T09:00:00+01:00"));
    assert!(starts.contains(&"2027-03-30T09:00:00+02:00"));
    for closed in ["2027-03-25", "2027-03-26", "2027-03-27", "2027-03-28", "2027-03-29"] {
        assert!(!starts.iter().any(|s| s.starts_with(closed)), "{closed} should be closed");
    }
    app.clock.set(local(2026, 11, 30, 7, 0));
    for (path, status, expected) in [
        (q("2026-12-01", "2027-02-15"), StatusCode::UNPROCESSABLE_ENTITY, "range_too_long"),
        (q("2026-12-05", "2026-12-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_range"),
        (q("2026-13-01", "2026-12-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_date"),
        (q("yesterday", "2026-12-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_date"),
        (
            format!("/api/v1/availability?service={}&from=2026-12-01&to=2026-12-02", uuid::Uuid::new_v4()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/availability?from=2026-12-01&to=2026-12-02".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_service",
        ),
    ] {
        let (s, v) = app.get(&path).await;
        assert_eq!((s, code(&v)), (status, expected), "{path}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    app.server.shutdown().await;
}

#[tokio::test]
async fn book_without_email_is_confirmed_and_manageable() {
    let app = spawn_app().await;
    let start = local(2026, 12, 1, 9, 25);
    let (s, b) = app.book(app.single, start, None).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["status"], "confirmed");
    assert_eq!(b["start"], "2026-12-01T09:25:00+01:00");
    let reference = b["reference"].as_str().unwrap();
    assert!(reference.len() == 7 && reference.as_bytes()[3] == b'-');
    let id = b["id"].as_str().unwrap();
    let token = b["manage_token"].as_str().unwrap();

    // The slot is gone for everyone else: 409 slot_unavailable.
    let (s, e) = app.book(app.single, start, None).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "slot_unavailable"));

    // Reading needs the token; the token is not echoed back.
    let r = app.http.get(app.url(&format!("/api/v1/bookings/{id}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.http.get(app.url(&format!("/api/v1/bookings/{id}"))).bearer_auth("0".repeat(64)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.http.get(app.url(&format!("/api/v1/bookings/{id}"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["reference"], reference);
    assert!(got.get("manage_token").is_none());

    // Calendar file in UTC.
    let r =
        app.http.get(app.url(&format!("/api/v1/bookings/{id}/calendar.ics"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let ics = r.text().await.unwrap();
    assert!(ics.contains("DTSTART:20261201T082500Z\r\n"), "{ics}");
    assert!(ics.contains("DTEND:20261201T084500Z\r\n"));

    // Reschedule to another slot, then the old one is free again.
    let new_start = local(2026, 12, 2, 10, 15);
    let (s, moved) =
        app.post(&format!("/api/v1/bookings/{id}/reschedule"), json!({"start": rfc(new_start)}), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["start"], "2026-12-02T10:15:00+01:00");
    let (s, _) = app.book(app.single, start, None).await;
    assert_eq!(s, StatusCode::CREATED, "the old slot was freed by the move");

    // Cancel; a second cancel is refused.
    let (s, c) = app.post(&format!("/api/v1/bookings/{id}/cancel"), json!({}), Some(token)).await;
    assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("cancelled")));
    let (s, e) = app.post(&format!("/api/v1/bookings/{id}/cancel"), json!({}), Some(token)).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "invalid_state"));
    let (s, _) = app.book(app.single, new_start, None).await;
    assert_eq!(s, StatusCode::CREATED, "the cancelled slot is bookable again");
    app.server.shutdown().await;
}

#[tokio::test]
async fn booking_with_email_is_held_until_the_code_is_typed() {
    let app = spawn_app().await;
    let start = local(2026, 12, 1, 9, 0);
    let (s, b) = app.book(app.double, start, Some("borger@example.com")).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["status"], "held");
    assert!(b["hold_expires_at"].is_string());
    let (id, token) = (b["id"].as_str().unwrap(), b["manage_token"].as_str().unwrap());

    // RS-13: the only mail is the code, and it names nothing else.
    let code_text = app.code_for("borger@example.com").await;
    let mails = app.server.app.store.list_dev_mail(10).await.unwrap();
    assert_eq!(mails.len(), 1);
    for leak in ["Borgerservice", "Ydelse", b["reference"].as_str().unwrap(), "Jens"] {
        assert!(!mails[0].body_text.contains(leak) && !mails[0].subject.contains(leak), "{leak} in code mail");
    }

    let path = format!("/api/v1/bookings/{id}/confirm");
    let (s, e) = app.post(&path, json!({"code": "000000"}), Some(token)).await;
    let wrong = if code_text == "000000" { "111111" } else { "000000" };
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&e), "wrong_code");
    let (s, e) = app.post(&path, json!({"code": wrong}), None).await;
    assert_eq!((s, code(&e)), (StatusCode::UNAUTHORIZED, "invalid_token"));
    let (s, e) = app.post(&path, json!({"nope": 1}), Some(token)).await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"));
    let (s, ok) = app.post(&path, json!({"code": code_text}), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["status"], "confirmed");
    assert!(ok.get("hold_expires_at").is_none());

    // The confirmation mail does not name the confidential service (RS-02).
    for _ in 0..100 {
        if app.server.app.store.list_dev_mail(10).await.unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mails = app.server.app.store.list_dev_mail(10).await.unwrap();
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| !m.body_text.contains("Ydelse 11") && !m.body_text.contains("Service 11")));
    assert!(mails.iter().any(|m| m.body_text.contains("tirsdag 1. december 2026 kl. 09:00")));

    // Issue 7, point 4: the audit names the citizen by a keyed pseudonym, never the address, and
    // the mapping (kept under its own retention) says whom it stands for.
    let store = &app.server.app.store;
    let mut sent = Vec::new();
    for _ in 0..100 {
        store.chain_audit_inbox().await.unwrap();
        sent = store.audit_page(0, 1000).await.unwrap();
        sent.retain(|e| e.record.action.as_str() == "mail.sent");
        if sent.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sent.len(), 2);
    let pseudonym = app.server.app.address_pseudonym(sent[0].record.organisation, "borger@example.com").await.unwrap();
    for e in &sent {
        assert_eq!(e.record.detail.get("recipient").and_then(|r| r.as_str()), Some(pseudonym.as_str()));
        assert_eq!(e.record.detail.get("registrable_domain").and_then(|r| r.as_str()), Some("example.com"));
        assert!(!e.record.detail.to_canonical_json().contains("borger@"), "{:?}", e.record.detail);
    }
    let known = store.resolve_pseudonyms(std::slice::from_ref(&pseudonym)).await.unwrap();
    assert_eq!(known.get(&pseudonym).map(String::as_str), Some("borger@example.com"));
    // The delivered messages keep it too, for breach scoping after retention blanks the address.
    let AnyStore::Sqlite(sqlite) = store else { panic!("the API test runs on SQLite") };
    let kept = "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND recipient_pseudonym = $1";
    assert_eq!(sqlite.scalar(kept, &[Arg::Text(pseudonym.clone())]).await, 2);
    app.server.shutdown().await;
}

#[tokio::test]
async fn holds_expire_and_wrong_codes_release_the_slot() {
    let app = spawn_app().await;
    let start = local(2026, 12, 3, 9, 0);
    let (_, b) = app.book(app.single, start, Some("a@example.com")).await;
    let (id, token) = (b["id"].as_str().unwrap().to_owned(), b["manage_token"].as_str().unwrap().to_owned());
    let right = app.code_for("a@example.com").await;
    // While held, the slot is taken.
    let (s, _) = app.book(app.single, start, None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // After the hold (10 minutes) the slot is free and the code no longer works.
    app.clock.advance(SignedDuration::from_mins(11));
    let (s, e) = app.post(&format!("/api/v1/bookings/{id}/confirm"), json!({"code": right}), Some(&token)).await;
    assert_eq!((s, code(&e)), (StatusCode::GONE, "hold_expired"));
    let (s, _) = app.book(app.single, start, None).await;
    assert_eq!(s, StatusCode::CREATED);

    // Five wrong codes release a hold at once.
    let start2 = local(2026, 12, 3, 9, 25);
    let (_, b) = app.book(app.single, start2, Some("b@example.com")).await;
    let (id, token) = (b["id"].as_str().unwrap().to_owned(), b["manage_token"].as_str().unwrap().to_owned());
    let right = app.code_for("b@example.com").await;
    let wrong = if right == "999999" { "999998" } else { "999999" };
    for left in (1..=4).rev() {
        let (s, e) = app.post(&format!("/api/v1/bookings/{id}/confirm"), json!({"code": wrong}), Some(&token)).await;
        assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "wrong_code"));
        assert!(e["error"]["message"].as_str().unwrap().contains(&left.to_string()));
    }
    let (s, e) = app.post(&format!("/api/v1/bookings/{id}/confirm"), json!({"code": wrong}), Some(&token)).await;
    assert_eq!((s, code(&e)), (StatusCode::GONE, "code_attempts_exhausted"));
    let (s, e) = app.post(&format!("/api/v1/bookings/{id}/confirm"), json!({"code": right}), Some(&token)).await;
    assert_eq!((s, code(&e)), (StatusCode::GONE, "hold_expired"));
    let (s, _) = app.book(app.single, start2, None).await;
    assert_eq!(s, StatusCode::CREATED, "released slot is bookable");
    app.server.shutdown().await;
}

#[tokio::test]
async fn bad_booking_input_gets_clear_4xx() {
    let app = spawn_app().await;
    let ok_start = local(2026, 12, 1, 9, 0);
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"service": app.single, "start": rfc(local(2026, 11, 30, 7, 30)), "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_too_soon",
        ),
        (
            json!({"service": app.single, "start": rfc(local(2026, 11, 27, 9, 0)), "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_too_soon",
        ),
        (
            json!({"service": app.single, "start": rfc(local(2026, 12, 1, 9, 5)), "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_off_grid",
        ),
        (
            json!({"service": app.single, "start": rfc(local(2026, 12, 1, 18, 0)), "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_closed",
        ),
        (
            json!({"service": app.single, "start": rfc(local(2026, 12, 5, 9, 0)), "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_closed",
        ),
        (
            json!({"service": app.single, "start": rfc(local(2026, 12, 24, 9, 0)), "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_closed",
        ),
        (
            json!({"service": app.single, "start": rfc(local(2027, 9, 1, 9, 0)), "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_beyond_horizon",
        ),
        (
            json!({"service": app.single, "start": "tomorrow", "citizen": {"name": "A"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_start",
        ),
        (
            json!({"service": app.single, "start": rfc(ok_start), "citizen": {"name": "a".repeat(201)}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
        ),
        (
            json!({"service": app.single, "start": rfc(ok_start), "citizen": {"name": "A\u{0}B"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "control_character",
        ),
        (
            json!({"service": app.single, "start": rfc(ok_start), "citizen": {"name": "  "}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_value",
        ),
        (
            json!({"service": app.single, "start": rfc(ok_start), "citizen": {"name": "A", "email": "a@@example.com"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            json!({"service": app.single, "start": rfc(ok_start), "citizen": {"name": "A", "phone": "12ab"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_phone",
        ),
        (
            json!({"service": uuid::Uuid::new_v4(), "start": rfc(ok_start), "citizen": {"name": "A"}}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (json!({"service": "x", "start": rfc(ok_start), "citizen": {"name": "A"}}), StatusCode::NOT_FOUND, "not_found"),
        (json!({"service": app.single, "start": rfc(ok_start)}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
    ];
    for (body, status, expected) in cases {
        let (s, v) = app.post("/api/v1/bookings", body.clone(), None).await;
        assert_eq!((s, code(&v)), (status, expected), "{body}");
    }
    let r = app
        .http
        .post(app.url("/api/v1/bookings"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.http.post(app.url("/api/v1/bookings")).body("x".repeat(200_000)).send().await.unwrap();
    assert!(r.status().is_client_error());
    // None of it wrote a booking: the slot is still free.
    let (s, _) = app.book(app.single, ok_start, None).await;
    assert_eq!(s, StatusCode::CREATED);
    // English when asked.
    let r = app.http.get(app.url("/api/v1/availability?from=x")).header("accept-language", "en").send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["message"], "Give a service.");
    // Metrics count routes, never tokens or names.
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("skranke_http_requests_total{route=\"/api/v1/bookings\",status=\"201\"}"));
    assert!(!metrics.contains("Jens"));
    app.server.shutdown().await;
}

#[tokio::test]
async fn address_check_endpoint_and_warn_and_confirm_on_the_page() {
    let app = spawn_app().await;
    let (s, v) = app
        .post(
            "/api/v1/addresses/check",
            json!({"address": "borgerservice@fred.dk", "org_domains": ["fredericia.dk"]}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["verdict"], "lookalike");
    assert_eq!(v["suggestion"], "borgerservice@fredericia.dk");
    let (_, v) = app
        .post("/api/v1/addresses/check", json!({"address": "a@fredericia.dk", "org_domains": ["fredericia.dk"]}), None)
        .await;
    assert_eq!(v["verdict"], "internal");
    let (_, v) = app.post("/api/v1/addresses/check", json!({"address": "jens@@gmail.com"}), None).await;
    assert_eq!(v["verdict"], "invalid");
    assert!(!v["message"].as_str().unwrap().is_empty());
    let (s, e) =
        app.post("/api/v1/addresses/check", json!({"address": "a@b.dk", "org_domains": ["not a domain"]}), None).await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_org_domain"));

    // The booking page warns once about a likely typo, and keeps the address when sent again.
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let start = local(2026, 12, 1, 9, 0).to_string();
    let path = app.url(&format!("/book/{}/{}/details", app.centre, app.single));
    let form = [("start", start.as_str()), ("name", "Jens"), ("email", "jens@gmial.com"), ("phone", "")];
    let r = no_redirect.post(&path).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("jens@gmail.com"), "the page suggests the intended address");
    assert!(html.contains("name=\"confirm_email\" value=\"jens@gmial.com\""));
    let confirmed = [
        ("start", start.as_str()),
        ("name", "Jens"),
        ("email", "jens@gmial.com"),
        ("phone", ""),
        ("confirm_email", "jens@gmial.com"),
    ];
    let r = no_redirect.post(&path).form(&confirmed).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "kept as typed after the warning; never auto-corrected");
    let hint = no_redirect.post(app.url("/book/check-email")).form(&[("email", "a@hotmial.dk")]).send().await.unwrap();
    assert!(hint.text().await.unwrap().contains("a@hotmail.dk"));
    app.server.shutdown().await;
}
