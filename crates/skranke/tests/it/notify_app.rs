//! The address registry, the policy gate in the outbox worker, and the router, on both databases
//! with the dev mailbox (issue 6). The same story over real SMTP servers is the Fredericia replay
//! acceptance test.

use std::sync::Arc;

use skranke::app::notify::{self, Mailbox};
use skranke::app::queue::Action;
use skranke::app::{App, AppError, AppSettings, Principal, Via};
use skranke::clock::ManualClock;
use skranke::mail::{Worker, WorkerSettings};
use skranke::store::{Centre, Organisation, Queue, Service, Store as _};
use skranke_core::access::{Grant, Role, Scope};
use skranke_core::audit::Label;
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::WeeklyHours;
use skranke_core::ids::{CentreId, OrganisationId, QueueId, UserId};
use skranke_core::notify::AddressState;
use skranke_core::service::Sensitivity;
use uuid::Uuid;

use crate::support::*;

both!(
    the_fredericia_address_is_refused_when_typed_and_held_when_imported,
    mailbox_codes_verify_and_wrong_codes_are_counted,
    other_organisations_mailboxes_are_not_found,
    a_signed_in_user_proves_their_own_address,
    notifications_are_acknowledged_and_silence_raises_one_alert,
    a_second_administrator_approves_mailbox_changes,
);

pub use crate::admin_app::IntoAny;

pub struct World {
    pub app: App,
    pub clock: ManualClock,
    pub org: OrganisationId,
    pub centre: Centre,
    /// Where citizens queue first.
    pub borger: Queue,
    /// Where they are transferred to (the queue of the incident).
    pub ydelser: Queue,
    pub service: Service,
}

async fn queue<S: TestDb>(store: &S, centre: &Centre, name: &str, prefix: &str) -> Queue {
    let queue = Queue {
        id: QueueId::from_uuid(Uuid::new_v4()),
        centre_id: centre.id,
        name_da: name.into(),
        name_en: name.into(),
        prefix: prefix.into(),
    };
    store.create_queue(&queue).await.unwrap();
    queue
}

pub async fn world<S: TestDb + IntoAny>(store: &S, domain: &str) -> World {
    world_named(store, domain, "Fredericia Kommune").await
}

pub async fn world_named<S: TestDb + IntoAny>(store: &S, domain: &str, name: &str) -> World {
    let org = Organisation {
        id: OrganisationId::from_uuid(Uuid::new_v4()),
        name: name.into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec![domain.into()],
    };
    store.create_organisation(&org).await.unwrap();
    let centre = Centre {
        id: CentreId::from_uuid(Uuid::new_v4()),
        organisation_id: org.id,
        name: "Borgerservice".into(),
        address: "Gothersgade 20".into(),
        opening_hours: WeeklyHours::weekdays(&[range("09:00-15:00")]).unwrap(),
        closed_days: ClosedDays::default(),
    };
    store.create_centre(&centre).await.unwrap();
    let borger = queue(store, &centre, "Borgerservice", "B").await;
    let ydelser = queue(store, &centre, "Ydelser", "Y").await;
    let service = make_service(&centre, &borger, "Pas", default_rules(1), Sensitivity::Normal);
    store.create_service(&service).await.unwrap();
    // Monday 30 November 2026, 10:00: the centre is open.
    let clock = ManualClock::new(local(2026, 11, 30, 10, 0));
    let app = App::new(store.any(), Arc::new(clock.clone()), AppSettings::default());
    World { app, clock, org: org.id, centre, borger, ydelser, service }
}

pub fn principal(w: &World, role: Role) -> Principal {
    let scope = match role {
        Role::OrgAdmin | Role::DataProtectionOfficer => Scope::Organisation(w.org),
        _ => Scope::Centre { organisation: w.org, centre: w.centre.id },
    };
    Principal {
        user: UserId::from_uuid(Uuid::new_v4()),
        name: Label::new(&format!("{role} test")).unwrap(),
        organisation: Some(w.org),
        grants: vec![Grant::new(role, scope).unwrap()],
        via: Via::Session,
    }
}

/// Routes events and runs the outbox worker (dev mailbox) until nothing is left.
async fn drain(app: &App) {
    drain_with(app, WorkerSettings::default()).await;
}

/// Routes events and runs the outbox worker with `settings` until nothing is due.
pub async fn drain_with(app: &App, settings: WorkerSettings) {
    let worker = Worker::new(app.clone(), settings);
    for _ in 0..20 {
        let routed = skranke::mail::route_pending(app).await.unwrap();
        let sent = worker.tick().await.unwrap();
        if routed == 0 && sent == 0 {
            return;
        }
    }
    panic!("the worker did not settle");
}

/// The six-digit code of the newest dev mail to `address`.
pub async fn code_sent_to(app: &App, address: &str) -> String {
    let mails = app.store.list_dev_mail(100).await.unwrap();
    let mail = mails.iter().filter(|m| m.recipient == address).max_by_key(|m| m.delivered_at).expect("a code mail");
    mail.body_text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("six digits").to_owned()
}

/// The incident's bad import: `ydelser@fred.dk` written straight into the registry as the
/// transfer mailbox of `queue`, even marked verified, past every check the pages make.
pub async fn import_fred_dk<S: TestDb>(store: &S, w: &World) {
    store
        .execute(
            "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, registrable_domain, \
             state, verified_at, expires_at, created_at) VALUES ($1, $2, 'shared_mailbox', 'queue', $3, \
             'ydelser@fred.dk', 'fred.dk', 'verified', $4, $5, $4)",
            &[
                Arg::Id(Uuid::new_v4()),
                Arg::Id(w.org.as_uuid()),
                Arg::Id(w.ydelser.id.as_uuid()),
                at(now()),
                at(later(60 * 24 * 365)),
            ],
        )
        .await;
}

/// Proposes a mailbox address and has a second administrator approve it (RS-60).
pub async fn set_mailbox(
    w: &World,
    admin: &Principal,
    mailbox: Mailbox,
    address: &str,
) -> Result<skranke::store::AddressRecord, AppError> {
    let second = principal(w, Role::OrgAdmin);
    match notify::propose_mailbox(&w.app, admin, mailbox, address).await? {
        Some(change) => Ok(notify::decide_change(&w.app, &second, change.id, true).await?.unwrap()),
        None => Ok(notify::mailbox(&w.app, admin, mailbox).await?.unwrap()),
    }
}

/// Sets a mailbox and proves it with the code that reached it.
pub async fn verified_mailbox(w: &World, admin: &Principal, mailbox: Mailbox, address: &str) {
    let record = set_mailbox(w, admin, mailbox, address).await.unwrap();
    notify::request_code(&w.app, admin, record.id).await.unwrap();
    drain(&w.app).await;
    let code = code_sent_to(&w.app, address).await;
    let proven = notify::confirm_code(&w.app, admin, record.id, &code).await.unwrap();
    assert!(matches!(proven.state, AddressState::Verified { .. }));
}

pub async fn transfer_one(w: &World, receptionist: &Principal) {
    let ticket = w.app.take_ticket(receptionist, w.centre.id, w.service.id).await.unwrap();
    let step = Action::Transfer { to_queue: w.ydelser.id, reason: Some("tandpleje over 10.000 kr".into()) };
    w.app.visit_step(receptionist, ticket.visit.id, step, None, None).await.unwrap();
}

async fn the_fredericia_address_is_refused_when_typed_and_held_when_imported<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let receptionist = principal(&w, Role::Receptionist);

    // Typed at set-up: refused, naming the domain it resembles.
    let typed = set_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fred.dk").await;
    match typed {
        Err(AppError::AccountEmailNotOwn { resembles, .. }) => assert_eq!(resembles.as_deref(), Some("fredericia.dk")),
        other => panic!("expected a refusal naming fredericia.dk, got {other:?}"),
    }
    assert!(notify::mailbox(&w.app, &admin, Mailbox::Queue(w.ydelser.id)).await.unwrap().is_none());

    // The organisation's monitored mailbox, proven, receives the alerts.
    verified_mailbox(&w, &admin, Mailbox::Organisation(w.org), "it-drift@fredericia.dk").await;

    // A bad import writes the address straight into the registry, even marked verified.
    import_fred_dk(&store, &w).await;
    for _ in 0..14 {
        transfer_one(&w, &receptionist).await;
    }
    drain(&w.app).await;

    let mails = w.app.store.list_dev_mail(1000).await.unwrap();
    assert!(mails.iter().all(|m| !m.recipient.ends_with("@fred.dk")), "nothing reaches fred.dk");
    let held = notify::held_messages(&w.app, &admin, w.org).await.unwrap();
    let transfers: Vec<_> = held.iter().filter(|h| h.template == "visit_transferred").collect();
    assert_eq!(transfers.len(), 14);
    assert!(
        transfers.iter().all(|h| h.reason == "not_own_domain" && h.outcome == "hold" && h.classes == "operational")
    );
    // The administrators heard at once, without content.
    let alerts: Vec<_> = mails
        .iter()
        .filter(|m| m.recipient == "it-drift@fredericia.dk" && m.subject.contains("tilbageholdt"))
        .collect();
    assert_eq!(
        alerts.len(),
        14,
        "{:?} {:?}",
        mails.iter().map(|m| (&m.recipient, &m.subject)).collect::<Vec<_>>(),
        held.iter().map(|h| (&h.template, &h.reason)).collect::<Vec<_>>()
    );
    assert!(alerts.iter().all(|m| !m.body_text.contains("Ydelser") && !m.body_text.contains("tandpleje")));
    // The audit log shows each held message with its recipient's domain.
    let entries = w.app.store.audit_page(0, 10_000).await.unwrap();
    let held_entries: Vec<_> = entries
        .iter()
        .filter(|e| e.record.action.as_str() == "mail.held")
        .map(|e| serde_json::to_value(&e.record.detail).unwrap())
        .collect();
    assert_eq!(held_entries.len(), 14);
    assert!(held_entries.iter().all(|d| d["registrable_domain"] == "fred.dk" && d["reason"] == "not_own_domain"));
    assert!(held_entries.iter().all(|d| d["subjects"][0].as_str().unwrap().starts_with("visit:")));

    // Fixed properly: a verified own-domain mailbox gets the next transfer, content-free.
    verified_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fredericia.dk").await;
    transfer_one(&w, &receptionist).await;
    drain(&w.app).await;
    let mails = w.app.store.list_dev_mail(1000).await.unwrap();
    let told: Vec<_> =
        mails.iter().filter(|m| m.recipient == "ydelser@fredericia.dk" && m.subject.contains("flyttet")).collect();
    assert_eq!(told.len(), 1);
    assert!(told[0].body_text.contains("Ydelser") && !told[0].body_text.contains("tandpleje"));
    let sent = w.app.store.audit_page(0, 10_000).await.unwrap();
    let sent = sent.iter().rev().find(|e| e.record.action.as_str() == "mail.sent").unwrap();
    let detail = serde_json::to_value(&sent.record.detail).unwrap();
    assert_eq!(detail["template"], "visit_transferred");
    assert_eq!(detail["rule"], "verified_internal");
    assert_eq!(detail["registrable_domain"], "fredericia.dk");
    assert_eq!(detail["classes"], "operational");
}

async fn mailbox_codes_verify_and_wrong_codes_are_counted<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::CentreAdmin);
    let caseworker = principal(&w, Role::Caseworker);
    let mailbox = Mailbox::Queue(w.borger.id);
    let record = set_mailbox(&w, &admin, mailbox, "  Borgerservice@Fredericia.DK ").await.unwrap();
    assert_eq!(record.address, "borgerservice@fredericia.dk");
    assert_eq!(record.state, AddressState::Unverified);
    // A caseworker may not set or prove mailboxes.
    assert!(matches!(notify::request_code(&w.app, &caseworker, record.id).await, Err(AppError::Forbidden)));
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    drain(&w.app).await;
    let code = code_sent_to(&w.app, "borgerservice@fredericia.dk").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        notify::confirm_code(&w.app, &admin, record.id, wrong).await,
        Err(AppError::WrongCode { attempts_left: 4 })
    ));
    assert!(matches!(notify::confirm_code(&w.app, &admin, record.id, "abc").await, Err(AppError::WrongCode { .. })));
    let proven = notify::confirm_code(&w.app, &admin, record.id, &code).await.unwrap();
    match proven.state {
        AddressState::Verified { expires_at, .. } => {
            assert_eq!(expires_at, local(2026, 11, 30, 10, 0) + jiff::SignedDuration::from_hours(365 * 24));
        }
        other => panic!("not verified: {other:?}"),
    }
    // The code is used up.
    assert!(matches!(
        notify::confirm_code(&w.app, &admin, record.id, &code).await,
        Err(AppError::Field { code: "code_expired", .. })
    ));
    // Five wrong codes void a new one.
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    for _ in 0..4 {
        assert!(matches!(
            notify::confirm_code(&w.app, &admin, record.id, wrong).await,
            Err(AppError::WrongCode { .. })
        ));
    }
    assert!(matches!(
        notify::confirm_code(&w.app, &admin, record.id, wrong).await,
        Err(AppError::Field { code: "address_code_void", .. })
    ));
    // A new address is a new, unverified record; the old one is retired, not edited.
    let moved = set_mailbox(&w, &admin, mailbox, "kontakt@fredericia.dk").await.unwrap();
    assert_ne!(moved.id, record.id);
    assert_eq!(moved.state, AddressState::Unverified);
    assert!(w.app.store.get_address(record.id).await.unwrap().unwrap().retired_at.is_some());
    let changes: Vec<_> = w
        .app
        .store
        .audit_page(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.record.action.as_str().starts_with("address."))
        .map(|e| e.record.action.as_str().to_owned())
        .collect();
    assert_eq!(changes.first().map(String::as_str), Some("address.change_proposed"));
    assert!(changes.iter().any(|a| a == "address.verified"));
    assert_eq!(changes.last().map(String::as_str), Some("address.change_approved"));
}

/// RS-60: a new mailbox address is only a proposal until another administrator approves it; the
/// review shows old and new registrable domain and flags a change of domain; rejecting leaves the
/// mailbox as it was.
async fn a_second_administrator_approves_mailbox_changes<S: TestDb + IntoAny>(store: S) {
    let w = world_named(&store, "fredericia.dk", "Fredericia Kommune").await;
    // A second own domain, so a change of domain is possible inside the own domains.
    store
        .execute(
            "UPDATE organisations SET mail_domains = '[\"fredericia.dk\", \"trekantomraadet.dk\"]' WHERE id = $1",
            &[Arg::Id(w.org.as_uuid())],
        )
        .await;
    let anna = principal(&w, Role::OrgAdmin);
    let bo = principal(&w, Role::OrgAdmin);
    let mailbox = Mailbox::Queue(w.ydelser.id);
    let proposed = notify::propose_mailbox(&w.app, &anna, mailbox, "ydelser@fredericia.dk").await.unwrap().unwrap();
    // Nothing is set yet, and the proposer cannot approve it herself.
    assert!(notify::mailbox(&w.app, &anna, mailbox).await.unwrap().is_none());
    assert!(matches!(
        notify::decide_change(&w.app, &anna, proposed.id, true).await,
        Err(AppError::Field { code: "same_administrator", .. })
    ));
    let first = notify::decide_change(&w.app, &bo, proposed.id, true).await.unwrap().unwrap();
    assert_eq!(first.address, "ydelser@fredericia.dk");
    assert_eq!(first.state, AddressState::Unverified);
    // Decided once.
    assert!(matches!(
        notify::decide_change(&w.app, &bo, proposed.id, false).await,
        Err(AppError::Field { code: "change_decided", .. })
    ));
    // A change of registrable domain is flagged for the reviewer; rejected, nothing changes.
    let second = notify::propose_mailbox(&w.app, &anna, mailbox, "ydelser@trekantomraadet.dk").await.unwrap().unwrap();
    let pending = notify::pending_changes(&w.app, &bo, w.org).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].domain_changes());
    assert_eq!(pending[0].current.as_ref().unwrap().registrable_domain, "fredericia.dk");
    assert_eq!(pending[0].change.registrable_domain, "trekantomraadet.dk");
    assert!(notify::decide_change(&w.app, &bo, second.id, false).await.unwrap().is_none());
    assert_eq!(notify::mailbox(&w.app, &anna, mailbox).await.unwrap().unwrap().id, first.id);
    assert!(notify::pending_changes(&w.app, &bo, w.org).await.unwrap().is_empty());
    let entries = w.app.store.audit_page(0, 1000).await.unwrap();
    let rejected = entries.iter().find(|e| e.record.action.as_str() == "address.change_rejected").unwrap();
    let detail = serde_json::to_value(&rejected.record.detail).unwrap();
    assert_eq!(detail["domain_changed"], true);
    assert_eq!(detail["old"]["registrable_domain"], "fredericia.dk");
    assert_eq!(detail["new"]["registrable_domain"], "trekantomraadet.dk");
    // Another organisation's administrator cannot decide it.
    let third = notify::propose_mailbox(&w.app, &anna, mailbox, "kontakt@fredericia.dk").await.unwrap().unwrap();
    let stranger = principal(&world(&store, "vejle.dk").await, Role::OrgAdmin);
    assert!(matches!(notify::decide_change(&w.app, &stranger, third.id, true).await, Err(AppError::NotFound(_))));
}

async fn other_organisations_mailboxes_are_not_found<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let other = world(&store, "vejle.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let stranger = principal(&other, Role::OrgAdmin);
    let record = set_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fredericia.dk").await.unwrap();
    for result in [
        notify::propose_mailbox(&w.app, &stranger, Mailbox::Queue(w.ydelser.id), "x@vejle.dk").await.map(drop),
        notify::request_code(&w.app, &stranger, record.id).await,
        notify::confirm_code(&w.app, &stranger, record.id, "123456").await.map(drop),
        notify::held_messages(&w.app, &stranger, w.org).await.map(drop),
    ] {
        assert!(matches!(result, Err(AppError::NotFound(_))), "{result:?}");
    }
}

/// RS-11: a staff member, signed in, asks for a code to their own address and types it back;
/// nobody else can prove it for them.
async fn a_signed_in_user_proves_their_own_address<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let me = principal(&w, Role::Receptionist);
    let user = skranke::store::User {
        id: me.user,
        organisation: Some(w.org),
        email: "rikke@fredericia.dk".into(),
        name: "Rikke".into(),
        password_hash: None,
        created_at: now(),
        disabled_at: None,
        sessions_valid_after: jiff::Timestamp::UNIX_EPOCH,
    };
    store.create_user(&user, &me.grants, &[]).await.unwrap();
    let record = notify::own_address(&w.app, &me).await.unwrap();
    assert_eq!(record.address, "rikke@fredericia.dk");
    assert_eq!(record.state, AddressState::Unverified);
    // Asking again finds the same record.
    assert_eq!(notify::own_address(&w.app, &me).await.unwrap().id, record.id);
    notify::request_code(&w.app, &me, record.id).await.unwrap();
    drain(&w.app).await;
    let code = code_sent_to(&w.app, "rikke@fredericia.dk").await;
    // An administrator of the organisation cannot type it for her: a user's address is their own.
    let admin = principal(&w, Role::OrgAdmin);
    assert!(matches!(notify::confirm_code(&w.app, &admin, record.id, &code).await, Err(AppError::NotFound(_))));
    let proven = notify::confirm_code(&w.app, &me, record.id, &code).await.unwrap();
    assert!(matches!(proven.state, AddressState::Verified { .. }));
    assert_eq!(proven.verified_by, Some(me.user));
}

/// RS-40: opening a notification's link signed in, or acting on its visit, acknowledges it; three
/// unacknowledged ones (or one a day old) raise one content-free alert to the monitored mailbox.
async fn notifications_are_acknowledged_and_silence_raises_one_alert<S: TestDb + IntoAny>(store: S) {
    let w = world(&store, "fredericia.dk").await;
    let admin = principal(&w, Role::OrgAdmin);
    let receptionist = principal(&w, Role::Receptionist);
    verified_mailbox(&w, &admin, Mailbox::Organisation(w.org), "it-drift@fredericia.dk").await;
    verified_mailbox(&w, &admin, Mailbox::Queue(w.ydelser.id), "ydelser@fredericia.dk").await;
    let mailbox = notify::mailbox(&w.app, &admin, Mailbox::Queue(w.ydelser.id)).await.unwrap().unwrap();
    let sent_to_ydelser = |app: App| async move {
        let mails = app.store.list_dev_mail(1000).await.unwrap();
        mails
            .into_iter()
            .filter(|m| m.recipient == "ydelser@fredericia.dk" && m.subject.contains("flyttet"))
            .collect::<Vec<_>>()
    };

    // One transfer, acknowledged through its link by someone who works the centre.
    transfer_one(&w, &receptionist).await;
    drain(&w.app).await;
    let first = sent_to_ydelser(w.app.clone()).await;
    assert_eq!(first.len(), 1);
    assert_eq!(w.app.store.get_address(mailbox.id).await.unwrap().unwrap().unacknowledged, 1);
    let link = first[0].body_text.lines().find(|l| l.contains("/staff/ack/")).expect("an acknowledgement link").trim();
    let message: skranke_core::ids::MessageId = link.rsplit('/').next().unwrap().parse().unwrap();
    let stranger = principal(&world(&store, "vejle.dk").await, Role::OrgAdmin);
    assert!(matches!(notify::acknowledge(&w.app, &stranger, message).await, Err(AppError::NotFound(_))));
    assert_eq!(
        notify::acknowledge(&w.app, &receptionist, message).await.unwrap(),
        notify::AckTarget::Desk(w.centre.id)
    );
    let after = w.app.store.get_address(mailbox.id).await.unwrap().unwrap();
    assert_eq!(after.unacknowledged, 0);
    assert!(after.last_acknowledged_at.is_some());

    // Acting on the visit acknowledges too (in the background).
    let ticket = w.app.take_ticket(&receptionist, w.centre.id, w.service.id).await.unwrap();
    let step = Action::Transfer { to_queue: w.ydelser.id, reason: None };
    w.app.visit_step(&receptionist, ticket.visit.id, step, None, None).await.unwrap();
    drain(&w.app).await;
    assert_eq!(w.app.store.get_address(mailbox.id).await.unwrap().unwrap().unacknowledged, 1);
    w.app.visit_step(&receptionist, ticket.visit.id, Action::Cancel, None, None).await.unwrap();
    let mut acknowledged = false;
    for _ in 0..100 {
        if w.app.store.get_address(mailbox.id).await.unwrap().unwrap().unacknowledged == 0 {
            acknowledged = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(acknowledged, "acting on the visit acknowledged its notification");
    // And the audit log says who acknowledged it, by acting on the visit (RS-50). The background
    // acknowledgement's entry is chained just after its commit, so it may trail the count above
    // by a moment.
    let sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'mail.acknowledged' AND object_kind = 'visit' AND object_id = $1";
    let mut logged = 0;
    for _ in 0..100 {
        logged = store.scalar(sql, &[Arg::Text(ticket.visit.id.to_string())]).await;
        if logged > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(logged, 1);

    // Silence: two unread transfers are not yet an alarm, the third is; the alarm is raised once.
    let silence_alerts = |app: App| async move {
        let mails = app.store.list_dev_mail(1000).await.unwrap();
        mails
            .into_iter()
            .filter(|m| m.recipient == "it-drift@fredericia.dk" && m.subject.contains("ikke læst"))
            .collect::<Vec<_>>()
    };
    for _ in 0..2 {
        transfer_one(&w, &receptionist).await;
    }
    drain(&w.app).await;
    assert_eq!(skranke::mail::check_silence(&w.app).await.unwrap(), 0);
    transfer_one(&w, &receptionist).await;
    drain(&w.app).await;
    assert_eq!(skranke::mail::check_silence(&w.app).await.unwrap(), 1);
    drain(&w.app).await;
    let alerts = silence_alerts(w.app.clone()).await;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].body_text.contains("3 beskeder til ydelser@fredericia.dk"), "{}", alerts[0].body_text);
    assert!(!alerts[0].body_text.contains("tandpleje"));
    assert_eq!(skranke::mail::check_silence(&w.app).await.unwrap(), 0, "alerted once");
    // In the UI: the organisation's administrators, its DPO and the centre's administrators see
    // the silent mailbox when they sign in; a receptionist and another organisation do not.
    for role in [Role::OrgAdmin, Role::DataProtectionOfficer, Role::CentreAdmin] {
        let seen = notify::attention(&w.app, &principal(&w, role)).await.unwrap();
        assert_eq!(seen.silent.len(), 1, "{role}");
        assert_eq!(seen.silent[0].address.address, "ydelser@fredericia.dk");
        assert_eq!(seen.silent[0].count, 3);
    }
    assert!(notify::attention(&w.app, &receptionist).await.unwrap().silent.is_empty());
    assert!(notify::attention(&w.app, &stranger).await.unwrap().silent.is_empty());
    // One more, left for a day: a new alarm about it.
    transfer_one(&w, &receptionist).await;
    drain(&w.app).await;
    assert_eq!(skranke::mail::check_silence(&w.app).await.unwrap(), 0);
    w.clock.advance(jiff::SignedDuration::from_hours(25));
    assert_eq!(skranke::mail::check_silence(&w.app).await.unwrap(), 1);
    let entries = w.app.store.audit_page(0, 10_000).await.unwrap();
    assert_eq!(entries.iter().filter(|e| e.record.action.as_str() == "mail.silence_alert").count(), 2);
    assert!(entries.iter().any(|e| e.record.action.as_str() == "mail.acknowledged"));
}
