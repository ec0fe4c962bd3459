//! Killing the process loses nothing: every booking answered 201 before a SIGKILL is there after
//! a restart (SQLite in WAL mode). The same run checks that the server's debug log holds no
//! manage token and no citizen name.

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

fn start(db: &str, keep: bool, log: &std::path::Path) -> (Child, String) {
    let mut args = vec!["demo", "--listen", "127.0.0.1:0", "--database", db];
    if keep {
        args.push("--keep");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_skranke"));
    command
        .args(&args)
        .env("SKRANKE_LOG", "debug")
        .stderr(Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log file")));
    crate::support::spawn_listening(command)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_survive_a_sigkill() {
    let dir = std::env::temp_dir().join(format!("skranke-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/crash.db", dir.display());
    let log = dir.join("server.log");
    let (mut child, url) = start(&db, false, &log);
    let http = reqwest::Client::new();
    let centres: Value = http.get(format!("{url}/api/v1/centres")).send().await.unwrap().json().await.unwrap();
    let centre = centres[0]["id"].as_str().unwrap();
    let services: Value =
        http.get(format!("{url}/api/v1/centres/{centre}/services")).send().await.unwrap().json().await.unwrap();
    let service = services[0]["id"].as_str().unwrap();
    // The demo runs on the real clock, so the test asks it too.
    #[allow(clippy::disallowed_methods)]
    let today = jiff::ZonedDateTime::now().date();
    let to = today.checked_add(jiff::Span::new().days(20)).unwrap();
    let avail: Value = http
        .get(format!("{url}/api/v1/availability?service={service}&from={today}&to={to}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slots = avail["slots"].as_array().unwrap();
    assert!(slots.len() >= 20, "demo has slots in the coming weeks");

    let mut booked = Vec::new();
    for slot in slots.iter().take(20) {
        let r = http
            .post(format!("{url}/api/v1/bookings"))
            .json(&json!({"service": service, "start": slot["start"], "citizen": {"name": "Kirsten Kill"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let b: Value = r.json().await.unwrap();
        booked.push((b["id"].as_str().unwrap().to_owned(), b["manage_token"].as_str().unwrap().to_owned()));
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    let (mut child, url) = start(&db, true, &log);
    for (id, token) in &booked {
        let r = http.get(format!("{url}/api/v1/bookings/{id}")).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), 200, "booking {id} lost");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["status"], "confirmed");
    }
    // Pages with the token in the query string are logged by route pattern only.
    let (id, token) = &booked[0];
    let page = http.get(format!("{url}/booking/{id}?token={token}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("request"), "debug log has request lines");
    assert!(!logged.contains("Kirsten"), "a citizen's name reached the log");
    for (_, token) in &booked {
        assert!(!logged.contains(token.as_str()), "a manage token reached the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
