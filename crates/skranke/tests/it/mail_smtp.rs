//! Delivery over real SMTP servers (issue 6): aiosmtpd with STARTTLS and a test CA (also capped
//! at TLS 1.2), with TLS from the first byte, one without TLS, one that answers 4xx then 5xx (`tests/smtp/server.py`, started and stopped by the tests
//! through `smtp_support`).
//! Includes the Fredericia replay acceptance test on both databases.

use serde_json::Value;
use skranke::app::AppError;
use skranke::app::notify::{self, Mailbox};
use skranke::mail::smtp::{Security, SmtpConfig, SmtpSender};
use skranke::mail::{Transport, WorkerSettings};
use skranke::store::Store as _;
use skranke_core::access::Role;
use skranke_core::notify::AddressState;
use uuid::Uuid;

use crate::notify_app::{
    IntoAny, World, drain_with, import_fred_dk, principal, set_mailbox, transfer_one, world, world_named,
};
use crate::smtp_support::{SmtpServer, code_in, verified_over};
use crate::support::*;

both!(
    the_fredericia_replay,
    a_relay_without_tls_gets_no_personal_data,
    a_cpr_number_in_a_message_blocks_it,
    a_relay_whose_certificate_is_not_trusted_gets_nothing,
    implicit_tls_and_a_tls_1_2_relay_deliver_and_are_recorded,
    transient_failures_retry_and_permanent_ones_hold_and_count_bounces,
);

/// Issue 6, point 10: the address typed at set-up is refused; written in by a bad import, it
/// receives nothing over SMTP while 14 transfers are held with their reason, the administrators
/// are alerted in the same run, and the audit log shows each.
async fn the_fredericia_replay<S: TestDb + IntoAny>(store: S) {
    let server = SmtpServer::start("starttls");
    let settings = server.settings(Security::Starttls);
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let receptionist = principal(&w, Role::Receptionist);

    match set_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fred.dk").await {
        Err(AppError::AccountEmailNotOwn { resembles, .. }) => assert_eq!(resembles.as_deref(), Some("fredericia.dk")),
        other => panic!("expected a refusal naming fredericia.dk, got {other:?}"),
    }
    verified_over(&w, &server, &settings, Mailbox::Organisation(w.org), "it-drift@fredericia.dk").await;

    import_fred_dk(&store, &w).await;
    let before = server.received().len();
    for _ in 0..14 {
        transfer_one(&w, &receptionist).await;
    }
    drain_with(&w.app, settings.clone()).await;

    let received = server.received();
    assert!(received.iter().all(|m| !m["rcpt"].to_string().contains("@fred.dk")), "the relay got mail for fred.dk");
    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    assert_eq!(held.iter().filter(|h| h.template == "visit_transferred" && h.reason == "not_own_domain").count(), 14);
    // The alerts went out in the same run, over TLS, without content.
    let alerts: Vec<&Value> = received[before..].iter().filter(|m| m["rcpt"][0] == "it-drift@fredericia.dk").collect();
    assert_eq!(alerts.len(), 14);
    for alert in &alerts {
        let body = alert["body"].as_str().unwrap();
        assert!(!body.contains("Ydelser") && !body.contains("tandpleje"), "{body}");
        // Text and HTML as multipart/alternative, the HTML saying no more than the text.
        let html = alert["html"].as_str().expect("an HTML part");
        assert!(html.contains("<html lang=\"da\"") && !html.contains("tandpleje"), "{html}");
        assert!(["TLSv1.2", "TLSv1.3"].contains(&alert["tls"]["version"].as_str().unwrap()), "{alert}");
        assert!(alert["message_id"].as_str().unwrap().ends_with("@skranke.test>"));
    }
    let entries = w.app.store.audit_page(0, 10_000).await.unwrap();
    let held_audit = entries
        .iter()
        .filter(|e| e.record.action.as_str() == "mail.held")
        .map(|e| serde_json::to_value(&e.record.detail).unwrap())
        .filter(|d| d["registrable_domain"] == "fred.dk" && d["reason"] == "not_own_domain")
        .count();
    assert_eq!(held_audit, 14);
    let sent_alerts = entries
        .iter()
        .filter(|e| e.record.action.as_str() == "mail.sent")
        .map(|e| serde_json::to_value(&e.record.detail).unwrap())
        .filter(|d| d["template"] == "message_held" && d["transport"].as_str().unwrap().starts_with("smtp starttls"))
        .count();
    assert_eq!(sent_alerts, 14);
    // RS-20: each sent message's audit entry names the TLS version and cipher its connection
    // negotiated, as the relay saw them (the IANA cipher name, which OpenSSL also uses for TLS 1.3).
    for alert in &alerts {
        let id = alert["message_id"].as_str().unwrap().trim_start_matches('<').split('@').next().unwrap().to_owned();
        let entry = entries
            .iter()
            .find(|e| e.record.action.as_str() == "mail.sent" && e.record.object.as_ref().is_some_and(|o| o.id() == id))
            .unwrap_or_else(|| panic!("no mail.sent entry for {id}"));
        let detail = serde_json::to_value(&entry.record.detail).unwrap();
        assert_eq!(detail["tls"]["version"], alert["tls"]["version"], "{detail}");
        assert_eq!(detail["tls"]["cipher"], alert["tls"]["cipher"], "{detail}");
        let transport = detail["transport"].as_str().unwrap();
        assert!(transport.contains(alert["tls"]["cipher"].as_str().unwrap()), "{transport}");
    }
}

/// RS-20: with TLS required, a relay that offers none gets nothing (held with an alert); a relay
/// configured without TLS gets content-free staff mail, never a citizen's booking facts.
async fn a_relay_without_tls_gets_no_personal_data<S: TestDb + IntoAny>(store: S) {
    let plain = SmtpServer::start("plain");
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    // TLS required, none offered: the code is held, never sent in plaintext.
    let record = set_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fredericia.dk").await.unwrap();
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    drain_with(&w.app, plain.settings(Security::Starttls)).await;
    assert!(plain.received().is_empty());
    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    assert!(held.iter().any(|h| h.template == "address_code" && h.reason == "tls_unavailable"), "{held:?}");

    // Configured without TLS: the code (no personal data) goes; the mailbox is proven.
    let settings = plain.settings(Security::None);
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    drain_with(&w.app, settings.clone()).await;
    let code = code_in(&plain, "ydelser@fredericia.dk");
    notify::confirm_code(&w.app, &admin, record.id, &code).await.unwrap();
    assert!(plain.received().iter().all(|m| m["tls"].is_null()));

    // A citizen's booking confirmation carries personal data: held, not sent.
    store
        .execute(
            "INSERT INTO outbox (id, template, recipient, language, payload, status, attempts, next_attempt_at, \
             created_at, organisation_id, address_id, purpose) VALUES ($1, 'booking_confirmed', 'borger@example.dk', \
             'da', $2, 'pending', 0, $3, $3, $4, $5, 'notification')",
            &[
                Arg::Id(Uuid::new_v4()),
                Arg::Text(
                    serde_json::json!({"template": "booking_confirmed", "reference": "K7F-3QX", "start": "2026-12-01T09:30:00Z",
                        "timezone": "Europe/Copenhagen", "centre_name": "Borgerservice", "centre_address": "Gothersgade 20",
                        "service_name": "Pas"})
                    .to_string(),
                ),
                at(local(2026, 11, 30, 10, 0)),
                Arg::Id(w.org.as_uuid()),
                Arg::Id(citizen_address(&store, &w).await),
            ],
        )
        .await;
    drain_with(&w.app, settings).await;
    assert!(plain.received().iter().all(|m| m["rcpt"][0] != "borger@example.dk"));
    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    assert!(held.iter().any(|h| h.template == "booking_confirmed" && h.reason == "tls_required"), "{held:?}");
}

/// A verified citizen address in the registry (as a confirmed booking leaves it).
async fn citizen_address<S: TestDb>(store: &S, w: &World) -> Uuid {
    let id = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, registrable_domain, \
             state, verified_at, expires_at, created_at) VALUES ($1, $2, 'citizen', 'appointment', $3, \
             'borger@example.dk', 'example.dk', 'verified', $4, $5, $4)",
            &[Arg::Id(id), Arg::Id(w.org.as_uuid()), Arg::Id(Uuid::new_v4()), at(now()), at(later(60 * 24 * 365))],
        )
        .await;
    id
}

/// RS-20: a relay offering STARTTLS with a certificate from a CA Skranke does not trust (the test
/// CA, not configured here) gets nothing: the code mail is held, never sent without verification.
async fn a_relay_whose_certificate_is_not_trusted_gets_nothing<S: TestDb + IntoAny>(store: S) {
    let server = SmtpServer::start("starttls");
    let config = SmtpConfig {
        host: "localhost".into(),
        port: server.port,
        security: Security::Starttls,
        extra_ca: None,
        from: "skranke@fredericia.dk".into(),
        hello_name: "skranke.test".into(),
        timeout_secs: 10,
    };
    let settings =
        WorkerSettings { transport: Transport::Smtp(SmtpSender::new(&config).unwrap()), ..Default::default() };
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let record = set_mailbox(&w, &admin, Mailbox::Centre(w.centre.id), "borgerservice@fredericia.dk").await.unwrap();
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    drain_with(&w.app, settings).await;
    assert!(server.received().is_empty());
    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    assert!(held.iter().any(|h| h.template == "address_code" && h.reason == "tls_unavailable"), "{held:?}");
}

/// RS-20 over both ways to TLS: a relay speaking TLS from the first byte (port 465 style,
/// `security = "tls"`) and a STARTTLS relay that offers nothing newer than TLS 1.2. Each gets the
/// message, and its audit entry names the version and cipher the relay saw.
async fn implicit_tls_and_a_tls_1_2_relay_deliver_and_are_recorded<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let record = set_mailbox(&w, &admin, Mailbox::Centre(w.centre.id), "borgerservice@fredericia.dk").await.unwrap();
    let relays = [
        (SmtpServer::start("tls"), Security::Tls, "smtp implicit TLS", None),
        (
            SmtpServer::start_with("starttls", &["--tls-max", "1.2"]),
            Security::Starttls,
            "smtp starttls",
            Some("TLSv1.2"),
        ),
    ];
    for (server, security, transport, version) in &relays {
        notify::request_code(&w.app, &admin, record.id).await.unwrap();
        drain_with(&w.app, server.settings(*security)).await;
        let received = server.received();
        assert_eq!(received.len(), 1, "{transport}: {received:?}");
        let seen = &received[0]["tls"];
        let seen_version = seen["version"].as_str().unwrap_or_else(|| panic!("{transport}: no TLS: {seen}"));
        assert!(["TLSv1.2", "TLSv1.3"].contains(&seen_version), "{transport}: {seen}");
        if let Some(version) = version {
            assert_eq!(seen_version, *version, "{transport}");
        }
        let id =
            received[0]["message_id"].as_str().unwrap().trim_start_matches('<').split('@').next().unwrap().to_owned();
        let entries = w.app.store.audit_page(0, 1000).await.unwrap();
        let entry = entries
            .iter()
            .find(|e| e.record.action.as_str() == "mail.sent" && e.record.object.as_ref().is_some_and(|o| o.id() == id))
            .unwrap_or_else(|| panic!("{transport}: no mail.sent entry for {id}"));
        let detail = serde_json::to_value(&entry.record.detail).unwrap();
        assert_eq!(detail["tls"]["version"], seen["version"], "{transport}: {detail}");
        let (ours, theirs) = (detail["tls"]["cipher"].as_str().unwrap(), seen["cipher"].as_str().unwrap());
        assert_eq!(cipher_key(ours), cipher_key(theirs), "{transport}: {ours} against the relay's {theirs}");
        assert!(detail["transport"].as_str().unwrap().starts_with(transport), "{detail}");
    }
}

/// A cipher suite's name without the spelling: Skranke records the IANA name
/// (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`), OpenSSL names TLS 1.2 suites its own way
/// (`ECDHE-RSA-AES256-GCM-SHA384`); TLS 1.3 suites have one name.
fn cipher_key(name: &str) -> String {
    name.trim_start_matches("TLS_").replace("WITH_", "").replace(['_', '-'], "")
}

/// RS-30: a CPR number anywhere in a message blocks it, whatever the template declared.
async fn a_cpr_number_in_a_message_blocks_it<S: TestDb + IntoAny>(store: S) {
    let server = SmtpServer::start("starttls");
    // Synthetic number in the organisation's name, which the code mail quotes.
    let w = world_named(&store, "fredericia.dk", "Kommune 010290-4000").await;
    let admin = principal(&w, Role::OrgAdmin);
    let record = set_mailbox(&w, &admin, Mailbox::Centre(w.centre.id), "borgerservice@fredericia.dk").await.unwrap();
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    drain_with(&w.app, server.settings(Security::Starttls)).await;
    assert!(server.received().is_empty());
    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].outcome.as_str(), held[0].reason.as_str()), ("block", "cpr_found"));
}

/// RS-41 and retries: 451 leaves the message pending for a later try (same Message-ID), 550 holds
/// it and counts a bounce; three in a row suspend the address.
async fn transient_failures_retry_and_permanent_ones_hold_and_count_bounces<S: TestDb + IntoAny>(store: S) {
    let flaky = SmtpServer::start("flaky");
    let settings = flaky.settings(Security::None);
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let record = set_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fredericia.dk").await.unwrap();
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    // First try: 451. The message waits for its next attempt.
    drain_with(&w.app, settings.clone()).await;
    assert_eq!(store.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 1", &[]).await, 1);
    assert!(notify::held_messages(&w.app, &admin, w.org).await.unwrap().is_empty());
    // An hour later: 550, held and counted.
    w.clock.advance(jiff::SignedDuration::from_hours(1));
    drain_with(&w.app, settings.clone()).await;
    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].reason, "smtp_rejected");
    assert_eq!(w.app.store.get_address(record.id).await.unwrap().unwrap().bounces, 1);
    for _ in 0..2 {
        notify::request_code(&w.app, &admin, record.id).await.unwrap();
        drain_with(&w.app, settings.clone()).await;
    }
    let address = w.app.store.get_address(record.id).await.unwrap().unwrap();
    assert_eq!(address.bounces, 3);
    assert_eq!(address.state, AddressState::Suspended);
}
