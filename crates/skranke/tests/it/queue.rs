//! Queues end to end over HTTP, against real servers: a kiosk ticket is called, transferred to
//! another centre and finished there; every bad input of the issue gets its clear answer and
//! changes nothing; the lobby's server-sent events arrive, also across two `skranke serve`
//! instances on one PostgreSQL database.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use skranke::clock::ManualClock;
use skranke::store::{AnyStore, Store};
use skranke_core::ids::CentreId;

use crate::staff::{Browser, StaffApp, spawn, spawn_on};
use crate::support::{drop_pg, fresh_pg, pg_store_named};

const RECEPTIONIST: &str = "receptionist@eksempelkommune.dk";
const CASEWORKER: &str = "caseworker@eksempelkommune.dk";
const DPO: &str = "dpo@eksempelkommune.dk";
const OTHER_ORG: &str = "receptionist@proevestedkommune.dk";

impl StaffApp {
    async fn api(&self, b: &Browser, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = match method {
            "GET" => self.http.get(self.url(path)),
            _ => self.http.post(self.url(path)).header("X-CSRF-Token", &b.csrf),
        };
        req = req.header(COOKIE, format!("skranke_session={}", b.cookie));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Organisation A's centres: Borgerservice, then Ydelsescenter.
    async fn centres_a(&self) -> (CentreId, CentreId) {
        let org = self.user(RECEPTIONIST).organisation.unwrap();
        let centres = self.store.organisation_centres(org).await.unwrap();
        let by_name = |n: &str| centres.iter().find(|c| c.value.name.starts_with(n)).unwrap().value.id;
        (by_name("Borgerservice"), by_name("Ydelsescenter"))
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

async fn services_of(app: &StaffApp, centre: CentreId) -> Vec<String> {
    app.store.list_services(centre).await.unwrap().iter().map(|s| s.id.to_string()).collect()
}

async fn desk_of(app: &StaffApp, b: &Browser, centre: CentreId, n: usize) -> String {
    let (s, desks) = app.api(b, "GET", &format!("/api/v1/staff/centres/{centre}/desks"), None).await;
    assert_eq!(s, StatusCode::OK, "{desks}");
    desks[n]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn ticket_call_transfer_and_finish_at_another_centre() {
    let app = spawn().await;
    let (borger, ydelse) = app.centres_a().await;
    let rec = app.sign_in(RECEPTIONIST).await;
    let case = app.sign_in(CASEWORKER).await;
    let service = services_of(&app, borger).await[0].clone();

    // A ticket at the kiosk: the first of the day, nobody ahead, no desk open yet.
    let (s, t) = app
        .api(&rec, "POST", &format!("/api/v1/staff/centres/{borger}/tickets"), Some(json!({"service": service})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["visit"]["ticket"], "B001");
    assert_eq!(t["visit"]["state"], "waiting");
    assert_eq!(t["ahead"], 0);
    assert_eq!(t["estimate_minutes"], Value::Null);
    let visit = t["visit"]["id"].as_str().unwrap().to_owned();
    // (Visits that arrive in the same microsecond are ordered by id; a real clock has moved on.)
    app.clock.advance(jiff::SignedDuration::from_secs(30));
    let (_, t2) = app
        .api(&rec, "POST", &format!("/api/v1/staff/centres/{borger}/tickets"), Some(json!({"service": service})))
        .await;
    assert_eq!(t2["visit"]["ticket"], "B002");
    assert_eq!(t2["ahead"], 1);

    // The receptionist opens desk 1 and calls: B001 first; the estimate now counts the desk.
    let desk = desk_of(&app, &rec, borger, 0).await;
    let (s, d) = app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/open"), Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["mine"], true);
    let (s, called) = app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/call-next"), None).await;
    assert_eq!(s, StatusCode::OK, "{called}");
    assert_eq!(called["ticket"], "B001");
    assert_eq!(called["state"], "called");
    let (_, lobby) = app.api(&rec, "GET", &format!("/api/v1/centres/{borger}/lobby"), None).await;
    assert_eq!(lobby["calls"][0]["ticket"], "B001");
    assert_eq!(lobby["calls"][0]["desk"], "Skranke 1");
    assert_eq!(lobby["queues"][0]["waiting"], 1);
    assert!(lobby["queues"][0]["estimate_minutes"].is_u64(), "{lobby}");

    // The desk has a citizen: calling again is refused and changes nothing.
    let (s, e) = app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/call-next"), None).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "desk_busy"));
    // A second call of the visit already called.
    let (s, e) =
        app.api(&rec, "POST", &format!("/api/v1/staff/visits/{visit}/call"), Some(json!({"desk": desk}))).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "visit_already_called"));

    // Transfer to the Ydelsescenter's queue with a reason.
    let target_queue = app.store.list_queues(ydelse).await.unwrap()[0].value.id;
    let (s, moved) = app
        .api(
            &rec,
            "POST",
            &format!("/api/v1/staff/visits/{visit}/transfer"),
            Some(json!({"to_queue": target_queue, "reason": "Spørgsmål om enkeltydelse"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["state"], "waiting");
    assert_eq!(moved["centre"], ydelse.to_string());
    assert_eq!(moved["transfers"], 1);
    // One transfer event for the notification part to route (beside the arrival's): ids only,
    // not the reason.
    let events: Vec<_> =
        app.store.unrouted_events(10).await.unwrap().into_iter().filter(|e| e.1.kind != "visit.arrived").collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1.kind, "visit.transferred");
    let payload = events[0].1.payload.to_string();
    assert!(payload.contains(&visit) && !payload.contains("enkeltydelse"), "{payload}");

    // The caseworker at the Ydelsescenter calls it, serves and finishes.
    let ydesk = desk_of(&app, &case, ydelse, 0).await;
    let (s, _) = app.api(&case, "POST", &format!("/api/v1/staff/desks/{ydesk}/open"), Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, called) = app.api(&case, "POST", &format!("/api/v1/staff/desks/{ydesk}/call-next"), None).await;
    assert_eq!((s, called["id"].as_str()), (StatusCode::OK, Some(visit.as_str())), "{called}");
    let version = called["version"].as_i64().unwrap();
    let (s, started) =
        app.api(&case, "POST", &format!("/api/v1/staff/visits/{visit}/start"), Some(json!({"version": version}))).await;
    assert_eq!((s, started["state"].as_str()), (StatusCode::OK, Some("serving")), "{started}");
    // A step decided on an old version is refused.
    let (s, e) = app
        .api(&case, "POST", &format!("/api/v1/staff/visits/{visit}/complete"), Some(json!({"version": version})))
        .await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "stale"));
    let (s, done) = app.api(&case, "POST", &format!("/api/v1/staff/visits/{visit}/complete"), None).await;
    assert_eq!((s, done["state"].as_str()), (StatusCode::OK, Some("done")), "{done}");

    // Transferring the finished visit: refused, nothing changes.
    let borger_queue = app.store.list_queues(borger).await.unwrap()[0].value.id;
    let (s, e) = app
        .api(&case, "POST", &format!("/api/v1/staff/visits/{visit}/transfer"), Some(json!({"to_queue": borger_queue})))
        .await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "visit_ended"));
    let (s, v) = app.api(&case, "GET", &format!("/api/v1/staff/visits/{visit}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["state"], "done");
    assert_eq!(v["version"], done["version"]);
    let kinds: Vec<&str> = v["history"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["arrived", "called", "transferred", "called", "started", "completed"]);
    assert_eq!(v["history"][2]["reason"], "Spørgsmål om enkeltydelse");

    // Statistics: the finished visit counts at the Ydelsescenter; the CSV has the header.
    let admin = app.sign_in("centre-admin@eksempelkommune.dk").await;
    let (s, rows) = app.api(&admin, "GET", &format!("/api/v1/staff/centres/{borger}/stats"), None).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    assert_eq!(rows.as_array().unwrap().iter().map(|r| r["visits"].as_u64().unwrap()).sum::<u64>(), 1, "B002 waits");
    let csv = app
        .http
        .get(app.url(&format!("/api/v1/staff/centres/{borger}/stats.csv")))
        .header(COOKIE, format!("skranke_session={}", admin.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert!(body.trim_start_matches('\u{feff}').starts_with("day,queue,service,visits"), "{body}");
    let (s, page) = app.get(&admin, &format!("/staff/centres/{borger}/stats")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<svg") && page.contains("role=\"img\""));
}

#[tokio::test]
async fn bad_input_gets_clear_answers_and_changes_nothing() {
    let app = spawn().await;
    let (borger, ydelse) = app.centres_a().await;
    let rec = app.sign_in(RECEPTIONIST).await;
    let service = services_of(&app, borger).await[0].clone();
    let tickets = format!("/api/v1/staff/centres/{borger}/tickets");

    // An unknown service, a malformed one, another centre's, and broken JSON.
    let (s, e) = app.api(&rec, "POST", &tickets, Some(json!({"service": uuid::Uuid::new_v4()}))).await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, _) = app.api(&rec, "POST", &tickets, Some(json!({"service": "pas"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let other = services_of(&app, ydelse).await[0].clone();
    let (s, _) = app.api(&rec, "POST", &tickets, Some(json!({"service": other}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = app
        .http
        .post(app.url(&tickets))
        .header(COOKIE, format!("skranke_session={}", rec.cookie))
        .header("X-CSRF-Token", &rec.csrf)
        .header("content-type", "application/json")
        .body("{\"service\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&r.json::<Value>().await.unwrap()), "invalid_json");

    // A closed centre: Sunday, then after hours on a weekday.
    // (A session of its own each time: sessions end after a quiet while.)
    for closed in ["2026-12-06T10:00:00Z", "2026-11-30T16:30:00Z"] {
        app.clock.set(closed.parse().unwrap());
        let late = app.sign_in(RECEPTIONIST).await;
        let (s, e) = app.api(&late, "POST", &tickets, Some(json!({"service": service}))).await;
        assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "centre_closed"), "{closed}");
        assert!(e["error"]["message"].as_str().unwrap().contains("lukket"), "{e}");
    }
    app.clock.set("2026-11-30T08:00:00Z".parse().unwrap());
    assert!(
        app.store
            .centre_visits(borger, "2026-11-29".parse().unwrap(), "2026-12-06".parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );

    // Calling with an empty queue; calling at a desk one has not opened.
    let desk = desk_of(&app, &rec, borger, 0).await;
    let (s, e) = app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/call-next"), None).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "desk_closed"));
    app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/open"), Some(json!({}))).await;
    let (s, e) = app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/call-next"), None).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "queue_empty"));
    assert!(e["error"]["message"].as_str().unwrap().contains("venter"), "{e}");
    // Opening a desk with another centre's queue.
    let foreign = app.store.list_queues(ydelse).await.unwrap()[0].value.id;
    let desk2 = desk_of(&app, &rec, borger, 1).await;
    let (s, e) =
        app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk2}/open"), Some(json!({"queues": [foreign]}))).await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "queue_other_centre"));

    // Check-in: an appointment booked today works once; another centre's and another day's are
    // refused, as are malformed and unknown references.
    let slot_of = |service: String, day: &'static str| {
        let app = &app;
        let rec = &rec;
        async move {
            let (_, slots) =
                app.api(rec, "GET", &format!("/api/v1/availability?service={service}&from={day}&to={day}"), None).await;
            slots["slots"][0]["start"].as_str().expect("a free slot").to_owned()
        }
    };
    let book = |service: String, start: String| {
        let app = &app;
        async move {
            let r = app
                .http
                .post(app.url("/api/v1/bookings"))
                .json(&json!({"service": service, "start": start, "citizen": {"name": "Jens Hansen"}}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let v = r.json::<Value>().await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{v}");
            v["reference"].as_str().unwrap().to_owned()
        }
    };
    let today = book(service.clone(), slot_of(service.clone(), "2026-11-30").await).await;
    let tomorrow = book(service.clone(), slot_of(service.clone(), "2026-12-01").await).await;
    let elsewhere_service = services_of(&app, ydelse).await[0].clone();
    let elsewhere = book(elsewhere_service.clone(), slot_of(elsewhere_service, "2026-11-30").await).await;
    let check_in = |centre: CentreId, reference: String| {
        let app = &app;
        let rec = &rec;
        async move {
            app.api(
                rec,
                "POST",
                &format!("/api/v1/staff/centres/{centre}/check-ins"),
                Some(json!({"reference": reference})),
            )
            .await
        }
    };
    let (s, e) = check_in(borger, elsewhere).await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "reference_other_centre"));
    let (s, e) = check_in(borger, tomorrow).await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "reference_other_day"));
    let (s, e) = check_in(borger, "not a reference".into()).await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "reference_invalid"));
    let (s, t) = check_in(borger, today.to_lowercase()).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["visit"]["kind"], "appointment");
    let (s, e) = check_in(borger, today).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "already_checked_in"));

    // Unknown steps and visits; a reason that is too long; an unknown transfer queue.
    let visit = t["visit"]["id"].as_str().unwrap();
    let (s, _) = app.api(&rec, "POST", &format!("/api/v1/staff/visits/{visit}/teleport"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.api(&rec, "POST", &format!("/api/v1/staff/visits/{}/start", uuid::Uuid::new_v4()), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let long = "x".repeat(501);
    let (s, e) = app
        .api(
            &rec,
            "POST",
            &format!("/api/v1/staff/visits/{visit}/transfer"),
            Some(json!({"to_queue": foreign, "reason": long})),
        )
        .await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "visit_bad_reason"));
    let (s, e) = app
        .api(
            &rec,
            "POST",
            &format!("/api/v1/staff/visits/{visit}/transfer"),
            Some(json!({"to_queue": uuid::Uuid::new_v4()})),
        )
        .await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "queue_unknown"));
    let (_, v) = app.api(&rec, "GET", &format!("/api/v1/staff/visits/{visit}"), None).await;
    assert_eq!(
        (v["state"].as_str(), v["version"].as_i64(), v["transfers"].as_u64()),
        (Some("waiting"), Some(0), Some(0))
    );

    // Roles: the data-protection officer sees no queue; another organisation gets 404.
    let dpo = app.sign_in(DPO).await;
    let (s, _) = app.api(&dpo, "GET", &format!("/api/v1/staff/centres/{borger}/board"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = app.sign_in(OTHER_ORG).await;
    let (s, _) = app.api(&other, "GET", &format!("/api/v1/staff/visits/{visit}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.api(&other, "POST", &tickets, Some(json!({"service": service}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The pages answer in place, never with a 500: kiosk errors go back to the kiosk.
    let r = app.post(&rec, &format!("/staff/centres/{borger}/kiosk/check-in"), &[("reference", "234-567")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("error=reference_unknown"), "{location}");
    let (s, page) = app.get(&rec, &location).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("role=\"alert\"") && page.contains("234-567"));
}

/// Reads server-sent events until one satisfies `want`, or fails after a few seconds.
async fn next_board(resp: &mut reqwest::Response, buf: &mut String, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                let v: Value = serde_json::from_str(data.trim()).unwrap();
                if want(&v) {
                    return v;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk()).await.expect("an event within 10 s").unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
    }
}

async fn open_lobby(app: &StaffApp, centre: CentreId) -> reqwest::Response {
    let r = app.http.get(app.url(&format!("/centres/{centre}/lobby/events"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    r
}

#[tokio::test]
async fn lobby_events_arrive_and_a_reconnect_catches_up() {
    let app = spawn().await;
    let (borger, _) = app.centres_a().await;
    let rec = app.sign_in(RECEPTIONIST).await;
    let service = services_of(&app, borger).await[0].clone();
    let mut lobby = open_lobby(&app, borger).await;
    let mut buf = String::new();
    let first = next_board(&mut lobby, &mut buf, |_| true).await;
    assert_eq!(first["calls"].as_array().unwrap().len(), 0);

    app.api(&rec, "POST", &format!("/api/v1/staff/centres/{borger}/tickets"), Some(json!({"service": service}))).await;
    next_board(&mut lobby, &mut buf, |v| v["queues"][0]["waiting"] == 1).await;
    let desk = desk_of(&app, &rec, borger, 2).await;
    app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/open"), Some(json!({}))).await;
    app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/call-next"), None).await;
    let called = next_board(&mut lobby, &mut buf, |v| v["calls"].as_array().is_some_and(|c| !c.is_empty())).await;
    assert_eq!(called["calls"][0]["ticket"], "B001");
    assert_eq!(called["calls"][0]["desk"], "Skranke 3");
    assert_eq!(called["calls"][0]["time"], "09:00");

    // A screen that was away reconnects and gets the current board at once.
    drop(lobby);
    let mut again = open_lobby(&app, borger).await;
    let mut buf = String::new();
    let caught_up = next_board(&mut again, &mut buf, |_| true).await;
    assert_eq!(caught_up["calls"][0]["ticket"], "B001");
    // The page renders the same board for browsers without script.
    let html = app.http.get(app.url(&format!("/centres/{borger}/lobby"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("B001") && html.contains("Skranke 3"));
    // Unknown centres: 404, also for the stream.
    let r = app.http.get(app.url(&format!("/centres/{}/lobby/events", uuid::Uuid::new_v4()))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    drop(again);
}

/// Two `skranke serve` instances on one PostgreSQL database: a call made on one reaches the lobby
/// screen connected to the other (LISTEN/NOTIFY).
#[tokio::test]
async fn two_instances_on_postgresql_show_the_same_lobby() {
    let (pg, name) = fresh_pg().await;
    let clock = ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap());
    let first_store = AnyStore::Postgres(pg);
    let params = skranke::auth::password::PasswordParams { memory_kib: 64, iterations: 1, parallelism: 1 };
    skranke::demo::seed(&first_store, "2026-11-30T08:00:00Z".parse().unwrap(), &params).await.unwrap();
    let dir = std::env::temp_dir().join(format!("skranke-two-{}", uuid::Uuid::new_v4()));
    let a = spawn_on(first_store, clock.clone(), dir.join("a")).await;
    let b = spawn_on(AnyStore::Postgres(pg_store_named(&name).await), clock, dir.join("b")).await;
    let (borger, _) = a.centres_a().await;
    let rec = a.sign_in(RECEPTIONIST).await;
    let service = services_of(&a, borger).await[0].clone();

    let mut lobby_b = open_lobby(&b, borger).await;
    let mut buf = String::new();
    next_board(&mut lobby_b, &mut buf, |_| true).await;
    let (s, _) = a
        .api(&rec, "POST", &format!("/api/v1/staff/centres/{borger}/tickets"), Some(json!({"service": service})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let desk = desk_of(&a, &rec, borger, 0).await;
    a.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/open"), Some(json!({}))).await;
    let (s, _) = a.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/call-next"), None).await;
    assert_eq!(s, StatusCode::OK);
    let seen = next_board(&mut lobby_b, &mut buf, |v| v["calls"].as_array().is_some_and(|c| !c.is_empty())).await;
    assert_eq!(seen["calls"][0]["ticket"], "B001");
    // The session made on instance A works on B: the instances share nothing but the database.
    let (s, board) = b.api(&rec, "GET", &format!("/api/v1/staff/centres/{borger}/board"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(board["active"][0]["ticket"], "B001");
    drop(lobby_b);
    drop((a, b));
    drop_pg(&name).await;
}

/// A `skranke` process; killed when dropped.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `skranke demo` on `database` (a `serve` with a seeded database and its clock set to
/// a Monday morning) and returns it with its URL.
fn start_process(database: &str, keep: bool) -> (Process, String) {
    let mut args = vec!["demo", "--listen", "127.0.0.1:0", "--database", database, "--now", "2026-11-30T09:00"];
    if keep {
        args.push("--keep");
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_skranke"));
    command.args(&args).stderr(std::process::Stdio::null());
    let (child, url) = crate::support::spawn_listening(command);
    (Process(child), url)
}

/// The issue's own words: two server processes on one PostgreSQL database show the same lobby.
/// Process A seeds the database; process B starts on it with `--keep`; a call made through A
/// reaches the lobby stream served by B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgresql_show_the_same_lobby() {
    let (pg, name) = fresh_pg().await;
    pg.pool().close().await;
    let database = crate::support::with_database(&crate::support::pg_server_url(), &name);
    let (_a, url_a) = start_process(&database, false);
    let (_b, url_b) = start_process(&database, true);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let centres: Value = http.get(format!("{url_a}/api/v1/centres")).send().await.unwrap().json().await.unwrap();
    let borger = centres.as_array().unwrap().iter().find(|c| c["name"] == "Borgerservice Eksempelby").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let services: Value =
        http.get(format!("{url_a}/api/v1/centres/{borger}/services")).send().await.unwrap().json().await.unwrap();
    let service = services[0]["id"].as_str().unwrap().to_owned();

    // The lobby screen is connected to B.
    let mut lobby = http.get(format!("{url_b}/centres/{borger}/lobby/events")).send().await.unwrap();
    assert_eq!(lobby.status(), StatusCode::OK);
    let mut buf = String::new();
    next_board(&mut lobby, &mut buf, |_| true).await;

    // The receptionist works through A.
    let signed_in = http
        .post(format!("{url_a}/staff/sign-in"))
        .form(&[("email", RECEPTIONIST), ("password", skranke::demo::DEMO_PASSWORD), ("next", "/staff")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().ok()?.strip_prefix("skranke_session=")?.split(';').next().map(str::to_owned))
        .unwrap();
    let cookie = format!("skranke_session={cookie}");
    let page = http.get(format!("{url_a}/staff/account")).header(COOKIE, &cookie).send().await.unwrap();
    let csrf = crate::staff::csrf_of(&page.text().await.unwrap()).unwrap();
    let post = |path: String, body: Value| {
        let (http, cookie, csrf) = (&http, &cookie, &csrf);
        async move {
            let r =
                http.post(path).header(COOKIE, cookie).header("X-CSRF-Token", csrf).json(&body).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, t) = post(format!("{url_a}/api/v1/staff/centres/{borger}/tickets"), json!({"service": service})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let desks: Value = http
        .get(format!("{url_a}/api/v1/staff/centres/{borger}/desks"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let desk = desks[1]["id"].as_str().unwrap();
    let (s, _) = post(format!("{url_a}/api/v1/staff/desks/{desk}/open"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, called) = post(format!("{url_a}/api/v1/staff/desks/{desk}/call-next"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{called}");

    let seen = next_board(&mut lobby, &mut buf, |v| v["calls"].as_array().is_some_and(|c| !c.is_empty())).await;
    assert_eq!(seen["calls"][0]["ticket"], t["visit"]["ticket"]);
    assert_eq!(seen["calls"][0]["desk"], "Skranke 2");
    drop(lobby);
    drop((_a, _b));
    drop_pg(&name).await;
}

/// The centre administrator sets the call order and where transfers land; both are audited, a
/// choice that is not offered is refused, and call-next follows the new order.
#[tokio::test]
async fn call_order_and_transfer_placement_are_configured_per_centre_and_queue() {
    let app = spawn().await;
    let (borger, _) = app.centres_a().await;
    let admin = app.sign_in("centre-admin@eksempelkommune.dk").await;
    let queue = app.store.list_queues(borger).await.unwrap()[0].value.id;
    let path = format!("/staff/admin/centres/{borger}/queue-rules");
    let placement = format!("placement_{queue}");
    let r = app.post(&admin, &path, &[("call_order", "first_come"), (placement.as_str(), "back")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("vælg en af mulighederne"));
    let r = app.post(&admin, &path, &[("call_order", "arrival"), (placement.as_str(), "keep_arrival")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rules = app.store.queue_rules(borger).await.unwrap().unwrap();
    assert_eq!(rules.call_order.as_str(), "arrival");
    assert_eq!(rules.placement(queue).as_str(), "keep_arrival");
    let entries = app.store.audit_page(0, 1000).await.unwrap();
    let entry = entries.iter().rev().find(|e| e.record.action.to_string() == "centre.queue_rules_updated").unwrap();
    let detail = serde_json::to_string(&entry.record.detail).unwrap();
    assert!(detail.contains("keep_arrival") && detail.contains("priority_appointments_arrival"), "{detail}");

    // Under "arrival", an assisted citizen who came later is not called first.
    let rec = app.sign_in(RECEPTIONIST).await;
    let service = services_of(&app, borger).await[0].clone();
    let tickets = format!("/api/v1/staff/centres/{borger}/tickets");
    let (_, first) = app.api(&rec, "POST", &tickets, Some(json!({"service": service}))).await;
    app.clock.advance(jiff::SignedDuration::from_secs(60));
    let (_, second) = app.api(&rec, "POST", &tickets, Some(json!({"service": service}))).await;
    let second_id = second["visit"]["id"].as_str().unwrap();
    let (s, _) = app
        .api(&rec, "POST", &format!("/api/v1/staff/visits/{second_id}/priority"), Some(json!({"priority": "assisted"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let desk = desk_of(&app, &rec, borger, 0).await;
    app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/open"), Some(json!({}))).await;
    let (_, called) = app.api(&rec, "POST", &format!("/api/v1/staff/desks/{desk}/call-next"), None).await;
    assert_eq!(called["id"], first["visit"]["id"]);

    // A desk added on the set-up page appears in the desk picker.
    let r = app.post(&admin, &format!("/staff/admin/centres/{borger}/desks"), &[("name", "Skranke 9")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.post(&admin, &format!("/staff/admin/centres/{borger}/desks"), &[("name", "skranke 9")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, desks) = app.api(&rec, "GET", &format!("/api/v1/staff/centres/{borger}/desks"), None).await;
    assert!(desks.as_array().unwrap().iter().any(|d| d["name"] == "Skranke 9"));
}

#[tokio::test]
async fn the_queue_api_is_in_the_openapi_document() {
    let app = spawn().await;
    let doc: Value = app.http.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in [
        "/api/v1/staff/centres/{centre}/board",
        "/api/v1/staff/centres/{centre}/desks",
        "/api/v1/staff/centres/{centre}/tickets",
        "/api/v1/staff/centres/{centre}/check-ins",
        "/api/v1/staff/centres/{centre}/stats",
        "/api/v1/staff/centres/{centre}/stats.csv",
        "/api/v1/staff/desks/{desk}/open",
        "/api/v1/staff/desks/{desk}/leave",
        "/api/v1/staff/desks/{desk}/call-next",
        "/api/v1/staff/visits/{visit}",
        "/api/v1/staff/visits/{visit}/{action}",
        "/api/v1/centres/{centre}/lobby",
        "/api/v1/bookings",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from OpenAPI");
    }
    for schema in ["Board", "TicketDto", "VisitDto", "StepDto", "LobbyView"] {
        assert!(doc["components"]["schemas"].get(schema).is_some(), "{schema} missing");
    }
}
