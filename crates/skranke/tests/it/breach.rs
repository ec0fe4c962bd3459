//! Breach scoping (issue 7, points 1 and 6) on both databases: among a million delivered
//! messages over three years, the fourteen that went to one mistyped address across two years
//! are found exactly, with their citizens and data categories; the drafts are generated; the run
//! is audited; bad input gets its clear error.

use std::sync::Arc;

use skranke::app::breach::{self, ScopeRequest};
use skranke::app::{App, AppError, AppSettings, Principal, Via};
use skranke::clock::ManualClock;
use skranke_core::access::{Grant, Role, Scope as GrantScope};
use skranke_core::audit::Label;
use skranke_core::breach::{SubjectRef, Target, Window};

use skranke_core::ids::{AppointmentId, OrganisationId, UserId, VisitId};
use skranke_core::notify::{DataClass, DataClasses};
use uuid::Uuid;

use crate::admin_app::IntoAny;
use crate::support::*;

both!(
    a_breach_case_counts_down_keeps_its_log_and_is_decided_once,
    the_scope_finds_exactly_the_fourteen_among_a_million,
    a_domain_scope_covers_every_address_under_it_and_nothing_found_is_clear,
    after_retention_the_audit_mapping_names_citizens_and_after_it_they_are_still_counted,
    only_the_data_protection_officer_may_scope_and_bad_input_is_refused,
);

/// The mistyped staff address of the Fredericia leak.
const LEAKED: &str = "Sagsbehandler@fred.dk";

const BOOKING_CLASSES: &str = "appointment,booking_reference,service_name";

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

async fn address_row<S: TestDb>(store: &S, org: OrganisationId, address: &str, domain: &str) -> Uuid {
    let id = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
             registrable_domain, state, created_at) VALUES ($1, $2, 'staff', 'queue', $3, $4, $5, 'unverified', 0)",
            &[
                Arg::Id(id),
                Arg::Id(org.as_uuid()),
                Arg::Id(Uuid::new_v4()),
                Arg::Text(address.into()),
                Arg::Text(domain.into()),
            ],
        )
        .await;
    id
}

async fn appointment<S: TestDb>(store: &S, fx: &Fixture, name: &str, email: &str, reference: &str) -> AppointmentId {
    let id = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO appointments (id, centre_id, service_id, reference, manage_token_hash, status, starts_at, \
             ends_at, occupied_until, citizen_name, citizen_email, language, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'x', 'cancelled', 0, 1, 1, $5, $6, 'da', 0, 0)",
            &[
                Arg::Id(id),
                Arg::Id(fx.centre.id.as_uuid()),
                Arg::Id(fx.service.id.as_uuid()),
                Arg::Text(reference.into()),
                Arg::Text(name.into()),
                Arg::Text(email.into()),
            ],
        )
        .await;
    AppointmentId::from_uuid(id)
}

/// One outbox row as the worker leaves a delivered (or held) message.
#[allow(clippy::too_many_arguments)]
async fn message<S: TestDb>(
    store: &S,
    org: OrganisationId,
    address: Uuid,
    recipient: &str,
    appointment: Option<AppointmentId>,
    subject_ref: Option<String>,
    classes: &str,
    sent_at: &str,
    status: &str,
) {
    store
        .execute(
            "INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, \
             next_attempt_at, created_at, sent_at, organisation_id, address_id, classes, subject_ref) \
             VALUES ($1, $2, 'booking_confirmed', $3, 'da', '{}', $4, 0, 0, $5, $6, $7, $8, $9)",
            &[
                Arg::Id(Uuid::new_v4()),
                appointment.map_or(Arg::NullId, |a| Arg::Id(a.as_uuid())),
                Arg::Text(recipient.into()),
                Arg::Text(status.into()),
                at(ts(sent_at)),
                Arg::Id(org.as_uuid()),
                Arg::Id(address),
                Arg::Text(classes.into()),
                subject_ref.map_or(Arg::NullText, Arg::Text),
            ],
        )
        .await;
}

/// A million delivered messages from 2017 to 2019 to 500 other addresses: booking mail about
/// no real appointment, operational notes, one every ~95 s.
async fn a_million_others<S: TestDb>(store: &S, org: OrganisationId) {
    let (start, step) = (ts("2017-01-01T00:00:00Z").as_microsecond(), 94_608_000_000_000 / 1_000_000);
    if store.is_postgres() {
        store
            .execute(
                "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
                 registrable_domain, state, created_at) \
                 SELECT lpad(to_hex(k), 32, '0')::uuid, $1, 'citizen', 'appointment', gen_random_uuid(), \
                 'borger' || k || '@example' || (k % 50) || '.dk', 'example' || (k % 50) || '.dk', 'unverified', 0 \
                 FROM generate_series(1, 500) AS k",
                &[Arg::Id(org.as_uuid())],
            )
            .await;
        store
            .execute(
                "INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, \
                 next_attempt_at, created_at, sent_at, organisation_id, address_id, classes) \
                 SELECT gen_random_uuid(), CASE WHEN i % 3 = 0 THEN gen_random_uuid() END, 'booking_confirmed', \
                 'someone@example.dk', 'da', '{}', 'sent', 0, 0, $2 + i * $3, $1, \
                 lpad(to_hex(1 + i % 500), 32, '0')::uuid, \
                 CASE WHEN i % 3 = 0 THEN 'appointment,booking_reference' ELSE 'operational' END \
                 FROM generate_series(1, 1000000) AS i",
                &[Arg::Id(org.as_uuid()), Arg::Int(start), Arg::Int(step)],
            )
            .await;
        store.execute("ANALYZE outbox", &[]).await;
        store.execute("ANALYZE addresses", &[]).await;
    } else {
        store
            .execute(
                "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 500) \
                 INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
                 registrable_domain, state, created_at) \
                 SELECT unhex(printf('%032x', k)), $1, 'citizen', 'appointment', randomblob(16), \
                 'borger' || k || '@example' || (k % 50) || '.dk', 'example' || (k % 50) || '.dk', 'unverified', 0 FROM n",
                &[Arg::Id(org.as_uuid())],
            )
            .await;
        store
            .execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
                 INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, \
                 next_attempt_at, created_at, sent_at, organisation_id, address_id, classes) \
                 SELECT randomblob(16), CASE WHEN i % 3 = 0 THEN randomblob(16) END, 'booking_confirmed', \
                 'someone@example.dk', 'da', '{}', 'sent', 0, 0, $2 + i * $3, $1, unhex(printf('%032x', 1 + i % 500)), \
                 CASE WHEN i % 3 = 0 THEN 'appointment,booking_reference' ELSE 'operational' END FROM n",
                &[Arg::Id(org.as_uuid()), Arg::Int(start), Arg::Int(step)],
            )
            .await;
        store.execute("ANALYZE", &[]).await;
    }
}

struct Leak {
    fx: Fixture,
    citizens: Vec<AppointmentId>,
    visit: VisitId,
}

/// Five citizens' bookings; 14 messages to the leaked address between June 2017 and May 2019
/// (one of them about a visit that came from the first booking), two held by the gate (never
/// sent), one delivered in 2016 (outside the window), three to another fred.dk address.
async fn leak<S: TestDb>(store: &S) -> Leak {
    let fx = Fixture::seed(store, 1, 1).await;
    let org = fx.org.id;
    let leaked = address_row(store, org, LEAKED, "fred.dk").await;
    let other = address_row(store, org, "post@fred.dk", "fred.dk").await;
    let mut citizens = Vec::new();
    for (i, name) in ["Anna Holm", "Bo Jensen", "Carla Møller", "Dan Ibsen", "=HYPERLINK(\"x\")"].iter().enumerate() {
        citizens.push(appointment(store, &fx, name, &format!("borger{i}@example.org"), &format!("REF-{i}")).await);
    }
    let counts = [4, 3, 3, 2, 1];
    let mut month = 0;
    for (citizen, n) in citizens.iter().zip(counts) {
        for _ in 0..n {
            let year = 2017 + (5 + month) / 12;
            let m = (5 + month) % 12 + 1;
            let sent = format!("{year}-{m:02}-10T08:00:00Z");
            month += 1;
            message(store, org, leaked, LEAKED, Some(*citizen), None, BOOKING_CLASSES, &sent, "sent").await;
        }
    }
    // The visit of the first booking: about the same citizen, operational only.
    let visit = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO visits (id, centre_id, queue_id, appointment_id, kind, ticket, day, priority, state, \
             arrived_at, queued_at, calls, transfers, version) \
             VALUES ($1, $2, $3, $4, 'appointment', 'A001', '2019-05-20', 0, 'done', 0, 0, 1, 1, 1)",
            &[
                Arg::Id(visit),
                Arg::Id(fx.centre.id.as_uuid()),
                Arg::Id(fx.queue.id.as_uuid()),
                Arg::Id(citizens[0].as_uuid()),
            ],
        )
        .await;
    message(
        store,
        org,
        leaked,
        LEAKED,
        None,
        Some(format!("visit:{visit}")),
        "operational",
        "2019-05-20T09:00:00Z",
        "sent",
    )
    .await;
    for held in ["2018-02-01T08:00:00Z", "2018-03-01T08:00:00Z"] {
        message(store, org, leaked, LEAKED, Some(citizens[1]), None, BOOKING_CLASSES, held, "held").await;
    }
    message(store, org, leaked, LEAKED, Some(citizens[2]), None, BOOKING_CLASSES, "2016-11-01T08:00:00Z", "sent").await;
    for sent in ["2018-04-01T08:00:00Z", "2018-04-02T08:00:00Z", "2018-04-03T08:00:00Z"] {
        message(store, org, other, "post@fred.dk", None, None, "operational", sent, "sent").await;
    }
    Leak { fx, citizens, visit: VisitId::from_uuid(visit) }
}

fn app_for<S: TestDb + IntoAny>(store: &S) -> App {
    App::new(store.any(), Arc::new(ManualClock::new(ts("2019-06-03T10:00:00Z"))), AppSettings::default())
}

fn dpo(org: OrganisationId, role: Role) -> Principal {
    principal(org, Grant::new(role, GrantScope::Organisation(org)).unwrap())
}

fn principal(org: OrganisationId, grant: Grant) -> Principal {
    Principal {
        user: UserId::from_uuid(Uuid::new_v4()),
        name: Label::new("Dorte DPO").unwrap(),
        organisation: Some(org),
        grants: vec![grant],
        via: Via::Session,
    }
}

async fn the_scope_finds_exactly_the_fourteen_among_a_million<S: TestDb + IntoAny>(store: S) {
    let leak = leak(&store).await;
    a_million_others(&store, leak.fx.org.id).await;
    assert!(store.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent'", &[]).await > 1_000_000);
    let app = app_for(&store);
    let req =
        breach::request(Some("sagsbehandler@FRED.dk"), None, Some("2017-01-01"), Some("2019-12-31"), None).unwrap();
    assert_eq!(req.target, Target::Address("sagsbehandler@fred.dk".into()), "matched in any case");
    let started = std::time::Instant::now();
    let scope = breach::scope(&app, &dpo(leak.fx.org.id, Role::DataProtectionOfficer), req.clone()).await.unwrap();
    let took = started.elapsed();
    assert_eq!(scope.messages, 14, "held, earlier and other addresses' messages are not counted");
    assert_eq!(scope.messages_without_subject, 0);
    assert_eq!(scope.recipients, vec![LEAKED.to_owned()]);
    assert_eq!(scope.first, Some(ts("2017-06-10T08:00:00Z")));
    assert_eq!(scope.last, Some(ts("2019-05-20T09:00:00Z")));
    let got: Vec<(SubjectRef, u64)> = scope.subjects.iter().map(|s| (s.subject, s.messages)).collect();
    let want: Vec<(SubjectRef, u64)> =
        leak.citizens.iter().map(|c| SubjectRef::Appointment(*c)).zip([5, 3, 3, 2, 1]).collect();
    assert_eq!(got, want, "the visit from the first booking counts for its citizen");
    assert!(!got.iter().any(|(s, _)| *s == SubjectRef::Visit(leak.visit)));
    let first = &scope.subjects[0];
    assert_eq!(first.info.name.as_deref(), Some("Anna Holm"));
    assert_eq!(first.info.email.as_deref(), Some("borger0@example.org"));
    assert_eq!(first.info.reference.as_deref(), Some("REF-0"));
    assert_eq!(
        first.classes,
        DataClasses::of(&[
            DataClass::Operational,
            DataClass::Appointment,
            DataClass::BookingReference,
            DataClass::ServiceName
        ])
    );
    assert_eq!(
        scope.subjects_per_class,
        vec![(DataClass::Appointment, 5), (DataClass::BookingReference, 5), (DataClass::ServiceName, 5)]
    );
    eprintln!("scope over {} messages took {took:?}", 1_000_000 + 23);

    // The run is in the audit log, with counts and no names; the target address is named by its
    // pseudonym (an entry's object cannot be erased later), which the mapping resolves.
    store.chain_audit_inbox().await.unwrap();
    let target = app
        .pseudonym(skranke::app::pseudonym::Kind::BreachTarget, Some(leak.fx.org.id), "sagsbehandler@fred.dk")
        .await
        .unwrap();
    let runs = store
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'breach.scope' AND object_id = $1",
            &[Arg::Text(target.clone())],
        )
        .await;
    assert_eq!(runs, 1);
    let known = store.resolve_pseudonyms(std::slice::from_ref(&target)).await.unwrap();
    assert_eq!(known.get(&target).map(String::as_str), Some("sagsbehandler@fred.dk"));
    let in_clear = store.scalar("SELECT COUNT(*) FROM audit_log WHERE object_id LIKE '%fred.dk%'", &[]).await;
    assert_eq!(in_clear, 0);
    let named = store
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'breach.scope' AND detail LIKE '%Anna%'", &[])
        .await;
    assert_eq!(named, 0, "no subject's name in the log");

    // The drafts: the CSV has one row per citizen with the formula neutralised, the Art. 33
    // draft states the numbers, every citizen gets a letter that names the domain, not the address.
    let ctx = breach::draft_context(&app, &ScopeRequest { organisation: Some(leak.fx.org.id), ..req }).await.unwrap();
    let csv = skranke::breach_docs::csv(&scope);
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
    let draft = skranke::breach_docs::art33_draft(&scope, &ctx).unwrap();
    for needle in ["Testkommune", "Der er leveret 14 e-mails", "berørte registrerede: 5", "[UDFYLDES", "72 timer"] {
        assert!(draft.contains(needle), "{needle} missing from:\n{draft}");
    }
    let letters = skranke::breach_docs::letters(&scope, &ctx).unwrap();
    assert_eq!(letters.len(), 5);
    assert_eq!(letters[0].to, "borger0@example.org");
    assert!(letters[0].text.starts_with("Kære Anna Holm"), "{}", letters[0].text);
    assert!(letters[0].text.contains("domænet fred.dk") && !letters[0].text.contains(LEAKED), "{}", letters[0].text);
    assert!(
        letters[4].html.contains("Kære =HYPERLINK(&quot;x&quot;)")
            || letters[4].html.contains("Kære =HYPERLINK(&#34;x&#34;)"),
        "{}",
        letters[4].html
    );
}

async fn a_domain_scope_covers_every_address_under_it_and_nothing_found_is_clear<S: TestDb + IntoAny>(store: S) {
    let leak = leak(&store).await;
    let app = app_for(&store);
    let officer = dpo(leak.fx.org.id, Role::DataProtectionOfficer);
    let req = breach::request(None, Some("mail.FRED.dk."), None, None, None).unwrap();
    assert_eq!(req.target, Target::Domain("fred.dk".into()));
    let scope = breach::scope(&app, &officer, req).await.unwrap();
    assert_eq!(scope.messages, 14 + 1 + 3, "the whole log: with 2016 and the other fred.dk address");
    assert_eq!(scope.messages_without_subject, 3);
    assert_eq!(scope.recipients, vec![LEAKED.to_owned(), "post@fred.dk".to_owned()]);

    // A window that ends before anything was sent, and an address nobody mailed: nothing found.
    let before = breach::request(None, Some("fred.dk"), None, Some("2016-01-01"), None).unwrap();
    assert!(breach::scope(&app, &officer, before).await.unwrap().is_empty());
    let unknown = breach::request(Some("nobody@fredericia.dk"), None, None, None, None).unwrap();
    let nothing = breach::scope(&app, &officer, unknown.clone()).await.unwrap();
    assert!(nothing.is_empty() && nothing.subjects.is_empty());
    let summary = skranke::breach_docs::summary(&nothing, &unknown.target, &unknown.window);
    assert!(
        summary.starts_with("Nothing found: no message was delivered to address nobody@fredericia.dk"),
        "{summary}"
    );
    // Another organisation's officer sees none of this organisation's messages.
    let elsewhere = dpo(OrganisationId::from_uuid(Uuid::new_v4()), Role::DataProtectionOfficer);
    let theirs = breach::request(None, Some("fred.dk"), None, None, None).unwrap();
    assert!(breach::scope(&app, &elsewhere, theirs).await.unwrap().is_empty());
}

async fn only_the_data_protection_officer_may_scope_and_bad_input_is_refused<S: TestDb + IntoAny>(store: S) {
    let leak = leak(&store).await;
    let app = app_for(&store);
    let req = breach::request(Some(LEAKED), None, None, None, None).unwrap();
    let org = leak.fx.org.id;
    let at_centre = GrantScope::Centre { organisation: org, centre: leak.fx.centre.id };
    let others = [
        Grant::new(Role::OrgAdmin, GrantScope::Organisation(org)).unwrap(),
        Grant::new(Role::CentreAdmin, at_centre).unwrap(),
        Grant::new(Role::Caseworker, at_centre).unwrap(),
    ];
    for grant in others {
        let role = grant.role();
        let p = principal(org, grant);
        let refused = breach::scope(&app, &p, req.clone()).await;
        assert!(matches!(refused, Err(AppError::Forbidden)), "{role}: {refused:?}");
    }
    let field = |r: Result<ScopeRequest, AppError>| match r {
        Err(AppError::Field { field, code }) => (field, code),
        other => panic!("expected a field error, got {other:?}"),
    };
    assert_eq!(field(breach::request(None, None, None, None, None)), ("target", "breach_target"));
    assert_eq!(field(breach::request(Some(LEAKED), Some("fred.dk"), None, None, None)), ("target", "breach_target"));
    assert_eq!(field(breach::request(Some("not an address"), None, None, None, None)), ("address", "breach_address"));
    assert_eq!(field(breach::request(None, Some("fred..dk"), None, None, None)), ("domain", "breach_domain"));
    assert_eq!(field(breach::request(Some(LEAKED), None, Some("2019-13-01"), None, None)), ("from", "breach_date"));
    assert_eq!(field(breach::request(Some(LEAKED), None, None, Some("yesterday"), None)), ("to", "breach_date"));
    assert_eq!(
        field(breach::request(Some(LEAKED), None, Some("2019-02-01"), Some("2019-01-01"), None)),
        ("from", "window_reversed")
    );
    // A date as `to` includes that whole day, in Copenhagen time (2019-03-31 is a DST day).
    let day = breach::request(Some(LEAKED), None, Some("2019-03-31"), Some("2019-03-31"), None).unwrap();
    assert_eq!(day.window, Window::new(Some(ts("2019-03-30T23:00:00Z")), Some(ts("2019-03-31T22:00:00Z"))).unwrap());
    // Every refused request is answered with a sentence from the catalogue, in both languages.
    for lang in [skranke::i18n::Lang::Da, skranke::i18n::Lang::En] {
        let e = breach::request(Some(LEAKED), None, Some("2019-02-01"), Some("2019-01-01"), None).unwrap_err();
        let text = skranke::http::error::message_of(&e, lang);
        assert!(!text.contains("error.") && text.len() > 20, "{text}");
    }
}

/// The command: exit 0 with the report (and the files with `--out`), exit 2 with the catalogue's
/// sentence on bad input, and every run in the audit log.
#[tokio::test]
async fn the_cli_scopes_writes_the_files_and_refuses_bad_input() {
    let dir = std::env::temp_dir().join("skranke-it").join(Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("breach.db").display());
    let store = skranke::store::SqliteStore::connect(&url).await.unwrap();
    skranke::store::Store::migrate(&store).await.unwrap();
    leak(&store).await;
    let out_dir = dir.join("out");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_skranke"))
            .args(["breach", "scope", "--database", &url])
            .args(args)
            .env("SKRANKE_LOG", "error")
            .output()
            .unwrap()
    };
    let out_arg = out_dir.display().to_string();
    let ok = run(&[
        "--address",
        LEAKED,
        "--from",
        "2017-01-01",
        "--to",
        "2019-12-31",
        "--organisation",
        "Testkommune",
        "--out",
        &out_arg,
    ]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains("Messages delivered: 14") && stdout.contains("Data subjects: 5"), "{stdout}");
    for file in
        ["affected.csv", "anmeldelse-datatilsynet.txt", "breve/001.txt", "breve/005.html", "breve/modtagere.csv"]
    {
        assert!(out_dir.join(file).is_file(), "{file} not written:\n{stdout}");
    }
    let draft = std::fs::read_to_string(out_dir.join("anmeldelse-datatilsynet.txt")).unwrap();
    assert!(draft.contains("Dataansvarlig: Testkommune"), "{draft}");

    let nothing = run(&["--domain", "fredericia.dk"]);
    assert_eq!(nothing.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&nothing.stdout).starts_with("Nothing found"));

    for bad in [
        vec!["--address", LEAKED, "--from", "2019-02-01", "--to", "2019-01-01"],
        vec!["--address", LEAKED, "--from", "1. marts"],
        vec!["--address", "ikke en adresse"],
        vec!["--address", LEAKED, "--organisation", "Ingen Kommune"],
        vec!["--address", LEAKED, "--domain", "fred.dk"],
        vec![],
    ] {
        let refused = run(&bad);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(!stderr.is_empty() && !stderr.contains("error.breach"), "{bad:?}: {stderr}");
    }
    skranke::store::Store::chain_audit_inbox(&store).await.unwrap();
    let runs = store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'breach.scope'", &[]).await;
    assert_eq!(runs, 2, "each run that scoped is audited");
    let _ = std::fs::remove_dir_all(dir);
}

/// A case (issue 7, point 2): opened with the moment of awareness, counted down to the 72-hour
/// deadline and past it, updated in phases, scoped, decided once with a reasoning; audited; only
/// its own organisation's DPO and administrators reach it.
async fn a_breach_case_counts_down_keeps_its_log_and_is_decided_once<S: TestDb + IntoAny>(store: S) {
    use skranke::store::EntryKind;
    use skranke_core::breach::case::Countdown;
    let leak = leak(&store).await;
    let org = leak.fx.org.id;
    // Saturday of the spring DST change, 10:00 in Copenhagen: 72 hours are 72 real hours.
    let clock = ManualClock::new(ts("2026-03-28T09:00:00Z"));
    let app = App::new(store.any(), Arc::new(clock.clone()), AppSettings::default());
    let officer = dpo(org, Role::DataProtectionOfficer);
    let admin = dpo(org, Role::OrgAdmin);

    // Bad input first: each refused with its field, nothing stored.
    let refused = |r: Result<uuid::Uuid, AppError>| match r {
        Err(AppError::Field { field, code }) => (field, code.to_owned()),
        Err(AppError::Invalid { field, error }) => (field, error.code().to_owned()),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(refused(breach::open_case(&app, &officer, "", "2026-03-28T08:00").await), ("title", "empty".into()));
    assert_eq!(
        refused(breach::open_case(&app, &officer, "Mails til fred.dk", "2026-03-29T08:00").await),
        ("aware_at", "breach_aware_future".into())
    );
    assert_eq!(
        refused(breach::open_case(&app, &officer, "Mails til fred.dk", "i går").await),
        ("aware_at", "breach_date".into())
    );
    assert_eq!(
        refused(breach::open_case(&app, &officer, "Mails til fred.dk", "").await),
        ("aware_at", "missing_value".into())
    );
    let caseworker = principal(
        org,
        Grant::new(Role::Caseworker, GrantScope::Centre { organisation: org, centre: leak.fx.centre.id }).unwrap(),
    );
    assert!(matches!(breach::open_case(&app, &caseworker, "x", "2026-03-28T08:00").await, Err(AppError::Forbidden)));
    assert!(breach::list_cases(&app, &officer).await.unwrap().is_empty());

    // Aware at 10:00 local (09:00 UTC); the deadline is 72 hours later in UTC.
    let id = breach::open_case(&app, &admin, "Mails om flytninger til fred.dk", "2026-03-28T10:00").await.unwrap();
    let (case, entries) = breach::get_case(&app, &officer, id).await.unwrap();
    assert_eq!(case.aware_at, ts("2026-03-28T09:00:00Z"));
    assert!(entries.is_empty());
    assert_eq!(breach::countdown_of(&app, &case), Countdown::Remaining(jiff::SignedDuration::from_hours(72)));
    clock.set(ts("2026-03-31T11:30:00Z"));
    assert_eq!(breach::countdown_of(&app, &case), Countdown::Overdue(jiff::SignedDuration::from_mins(150)));

    // Phased updates and a scoping run land in the case's log, in order.
    breach::add_update(&app, &admin, id, "Adressen er rettet.\r\nModtageren er kontaktet.").await.unwrap();
    assert!(matches!(breach::add_update(&app, &admin, id, " ").await, Err(AppError::Invalid { field: "update", .. })));
    clock.advance(jiff::SignedDuration::from_mins(1));
    let req = breach::request(Some(LEAKED), None, Some("2017-01-01"), Some("2019-12-31"), None).unwrap();
    let scope = breach::scope_for_case(&app, &officer, id, req.clone()).await.unwrap();
    assert_eq!(scope.messages, 14);
    assert!(
        matches!(breach::scope_for_case(&app, &admin, id, req).await, Err(AppError::Forbidden)),
        "scoping names citizens: the DPO's alone"
    );
    let (_, entries) = breach::get_case(&app, &officer, id).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0].kind, entries[0].body.as_str()),
        (EntryKind::Update, "Adressen er rettet.\nModtageren er kontaktet.")
    );
    assert_eq!(entries[1].kind, EntryKind::Scope);
    let run: serde_json::Value = serde_json::from_str(&entries[1].body).unwrap();
    assert_eq!((run["messages"].as_u64(), run["subjects"].as_u64()), (Some(14), Some(5)));
    assert!(!entries[1].body.contains("Anna"), "counts, not names");

    // The decision: a reasoning is required for "not notifiable"; then it is final.
    let short = breach::decide(&app, &officer, id, "not_notifiable", "lav risiko").await;
    assert!(matches!(short, Err(AppError::Field { field: "reasoning", code: "breach_reasoning_short" })), "{short:?}");
    assert!(matches!(
        breach::decide(&app, &officer, id, "maybe", "").await,
        Err(AppError::Field { field: "decision", code: "breach_decision" })
    ));
    breach::decide(
        &app,
        &officer,
        id,
        "not_notifiable",
        "Modtageren er en anden myndighed, der har bekræftet sletning.",
    )
    .await
    .unwrap();
    let again = breach::decide(&app, &admin, id, "notified", "2026-123").await;
    assert!(matches!(again, Err(AppError::Field { field: "decision", code: "breach_decided" })), "{again:?}");
    let (case, _) = breach::get_case(&app, &officer, id).await.unwrap();
    assert_eq!(case.decision.as_deref(), Some("not_notifiable"));
    assert_eq!(breach::countdown_of(&app, &case), Countdown::Decided);

    // Another organisation's officer: the case does not exist for them.
    let stranger = dpo(OrganisationId::from_uuid(Uuid::new_v4()), Role::DataProtectionOfficer);
    assert!(matches!(breach::get_case(&app, &stranger, id).await, Err(AppError::NotFound(_))));
    assert!(matches!(breach::add_update(&app, &stranger, id, "x").await, Err(AppError::NotFound(_))));

    // Everything audited: opened, updated, scoped (and the scope run itself), decided once.
    store.chain_audit_inbox().await.unwrap();
    for (action, n) in [
        ("breach_case.opened", 1),
        ("breach_case.updated", 1),
        ("breach_case.scoped", 1),
        ("breach.scope", 1),
        ("breach_case.decided", 1),
    ] {
        let got = store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1", &[Arg::Text(action.into())]).await;
        assert_eq!(got, n, "{action}");
    }
    let late = store
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'breach_case.decided' AND detail LIKE '%\"after_deadline\":true%'",
            &[],
        )
        .await;
    assert_eq!(late, 1, "a decision after the deadline says so");
}

/// Issue 7, point 4: within the audit mapping's retention a scope names citizens whose booking
/// retention has made anonymous (found by their address's pseudonym, told at that address);
/// after the mapping goes, it still counts them and their categories.
async fn after_retention_the_audit_mapping_names_citizens_and_after_it_they_are_still_counted<S: TestDb + IntoAny>(
    store: S,
) {
    use skranke_core::retention::RetentionClass;
    let fx = Fixture::seed(&store, 1, 1).await;
    let org = fx.org.id;
    let app = app_for(&store);
    let eva = appointment(&store, &fx, "Eva Lund", "eva@example.org", "REF-E").await;
    let address = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, \
             registrable_domain, state, created_at) \
             VALUES ($1, $2, 'citizen', 'appointment', $3, 'eva@example.org', 'example.org', 'unverified', 0)",
            &[Arg::Id(address), Arg::Id(org.as_uuid()), Arg::Id(eva.as_uuid())],
        )
        .await;
    for sent in ["2019-03-01T08:00:00Z", "2019-03-02T08:00:00Z"] {
        message(&store, org, address, "eva@example.org", Some(eva), None, BOOKING_CLASSES, sent, "sent").await;
    }
    // As the worker leaves them: the recipient's pseudonym on the messages, its mapping in the audit.
    let pseudonym = app.address_pseudonym(Some(org), "eva@example.org").await.unwrap();
    store
        .execute(
            "UPDATE outbox SET recipient_pseudonym = $1 WHERE address_id = $2",
            &[Arg::Text(pseudonym.clone()), Arg::Id(address)],
        )
        .await;
    store
        .execute(
            "INSERT INTO audit_pseudonyms (pseudonym, organisation_id, kind, value, first_at, last_at) \
             VALUES ($1, $2, 'address', 'eva@example.org', $3, $3)",
            &[Arg::Text(pseudonym.clone()), Arg::Id(org.as_uuid()), at(ts("2019-03-02T08:00:00Z"))],
        )
        .await;
    let officer = dpo(org, Role::DataProtectionOfficer);
    let by_address = breach::request(Some("Eva@example.org"), None, None, None, None).unwrap();
    let by_domain = breach::request(None, Some("example.org"), None, None, None).unwrap();
    let ctx =
        breach::draft_context(&app, &ScopeRequest { organisation: Some(org), ..by_address.clone() }).await.unwrap();
    let classes = DataClasses::of(&[DataClass::Appointment, DataClass::BookingReference, DataClass::ServiceName]);

    // Before retention: found by the address, named by the booking.
    let scope = breach::scope(&app, &officer, by_address.clone()).await.unwrap();
    assert_eq!((scope.messages, scope.subjects.len()), (2, 1));
    assert_eq!(scope.subjects[0].info.name.as_deref(), Some("Eva Lund"));

    // Retention blanks the booking's citizen, its address and its messages' recipient.
    let cutoff = ts("2019-06-01T00:00:00Z");
    assert_eq!(store.apply_retention(org, RetentionClass::CitizenIdentity, cutoff, 100).await.unwrap(), 1);
    let blanked = "SELECT COUNT(*) FROM outbox WHERE recipient = '' AND recipient_pseudonym = $1";
    assert_eq!(store.scalar(blanked, &[Arg::Text(pseudonym.clone())]).await, 2);
    for req in [&by_address, &by_domain] {
        let scope = breach::scope(&app, &officer, req.clone()).await.unwrap();
        assert_eq!((scope.messages, scope.subjects.len()), (2, 1), "{:?}", req.target);
        let eva_now = &scope.subjects[0];
        assert_eq!(eva_now.subject, SubjectRef::Appointment(eva));
        assert_eq!(eva_now.info.name, None, "the name is gone");
        assert_eq!(eva_now.info.email.as_deref(), Some("eva@example.org"), "the mapping names the address");
        assert_eq!(eva_now.info.reference.as_deref(), Some("REF-E"));
        assert_eq!(scope.recipients, vec!["eva@example.org".to_owned()]);
        assert_eq!(eva_now.classes, classes);
        let letters = skranke::breach_docs::letters(&scope, &ctx).unwrap();
        assert_eq!(letters.iter().map(|l| l.to.as_str()).collect::<Vec<_>>(), vec!["eva@example.org"]);
    }
    // Another address of the domain has another pseudonym: nothing found.
    let other = breach::request(Some("eve@example.org"), None, None, None, None).unwrap();
    assert_eq!(breach::scope(&app, &officer, other).await.unwrap().messages, 0);

    // After the mapping's retention: still found by the address and counted with its categories,
    // but no longer named, so no letter can be drafted.
    let later = ts("2021-04-01T00:00:00Z");
    // Three mappings go: Eva's as a recipient, and the officer's two looked-up addresses (kept
    // apart, so looking Eva up again below does not name her again).
    assert_eq!(store.apply_retention(org, RetentionClass::AuditPseudonyms, later, 100).await.unwrap(), 3);
    let cli = ScopeRequest { organisation: None, ..by_address.clone() };
    for scope in [
        breach::scope(&app, &officer, by_address.clone()).await.unwrap(),
        breach::scope_from_cli(&app, &cli).await.unwrap(),
        breach::scope(&app, &officer, by_domain.clone()).await.unwrap(),
    ] {
        assert_eq!((scope.messages, scope.subjects.len()), (2, 1));
        assert_eq!(scope.subjects[0].subject, SubjectRef::Appointment(eva));
        assert_eq!(scope.subjects[0].info.email, None);
        assert_eq!(scope.subjects[0].classes, classes);
        assert_eq!(scope.recipients, vec!["@example.org".to_owned()]);
        assert!(skranke::breach_docs::letters(&scope, &ctx).unwrap().is_empty());
    }
    // The runs' own mappings (their last use 2019) go under the same class; the command-line
    // run's, made across every organisation, under any organisation's period.
    let null_org = "SELECT COUNT(*) FROM audit_pseudonyms WHERE organisation_id IS NULL";
    assert_eq!(store.scalar(null_org, &[]).await, 1);
    assert_eq!(store.apply_retention(org, RetentionClass::AuditPseudonyms, later, 100).await.unwrap(), 2);
    assert_eq!(store.scalar(null_org, &[]).await, 0);
    // No run left the address in the audit log.
    store.chain_audit_inbox().await.unwrap();
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_log WHERE object_id LIKE '%eva%'", &[]).await, 0);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'breach.scope'", &[]).await, 7);
}
