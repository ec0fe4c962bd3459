//! The administration pages against a real server (SQLite, the demo's two organisations), and the
//! administration store methods on both databases: every change is validated, audited with what
//! changed, refused when stale, and invisible across organisations.

use reqwest::StatusCode;
use serde_json::json;
use skranke::store::{AdminObject, Closure, Queue, StaffAdmin, Store as _, StoreError};
use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label};
use skranke_core::hours::WeeklyHours;
use skranke_core::ids::QueueId;
use uuid::Uuid;

use crate::staff::{Browser, StaffApp, spawn};
use crate::support::*;

const CENTRE_ADMIN_A: &str = "centre-admin@eksempelkommune.dk";
const ORG_ADMIN_A: &str = "org-admin@eksempelkommune.dk";
const ORG_ADMIN_B: &str = "org-admin@proevestedkommune.dk";

async fn first_centre(app: &StaffApp, email: &str) -> skranke_core::ids::CentreId {
    let org = app.user(email).organisation.unwrap();
    let mut centres: Vec<_> =
        app.store.list_centres().await.unwrap().into_iter().filter(|c| c.centre.organisation_id == org).collect();
    centres.sort_by(|a, b| a.centre.name.cmp(&b.centre.name));
    centres[0].centre.id
}

async fn newest_audit(app: &StaffApp) -> skranke_core::audit::AuditEntry {
    let head = app.store.audit_head().await.unwrap();
    app.store.audit_page(head.seq - 1, 1).await.unwrap().remove(0)
}

fn service_form<'a>(queue: &'a str, duration: &'a str, version: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name_da", "Pas"),
        ("name_en", "Passport"),
        ("queue", queue),
        ("duration_minutes", duration),
        ("buffer_minutes", "5"),
        ("capacity", "2"),
        ("min_notice_minutes", "60"),
        ("horizon_days", "60"),
        ("online_bookable", "on"),
        ("sensitivity", "normal"),
        ("version", version),
    ]
}

#[tokio::test]
async fn a_service_change_is_validated_audited_and_refused_when_stale() {
    let app = spawn().await;
    let b: Browser = app.sign_in(CENTRE_ADMIN_A).await;
    let centre = first_centre(&app, CENTRE_ADMIN_A).await;
    let pas = app.store.list_services(centre).await.unwrap().into_iter().find(|s| s.name_da == "Pas").unwrap();
    let queue = pas.queue_id.to_string();
    let path = format!("/staff/admin/services/{}", pas.id);
    let (status, page) = app.get(&b, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"15\""));
    // Off the 5-minute grid: refused, naming the field, nothing written.
    let before = app.store.audit_head().await.unwrap().seq;
    let r = app.post(&b, &path, &service_form(&queue, "17", "0")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Varighed (minutter) skal være 5–480 minutter"), "{body}");
    assert!(body.contains("value=\"17\""), "the typed value is kept");
    assert_eq!(app.store.audit_head().await.unwrap().seq, before);
    // Saved: one audit entry naming the change, old and new.
    let r = app.post(&b, &path, &service_form(&queue, "20", "0")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let entry = newest_audit(&app).await;
    assert_eq!(entry.record.action.as_str(), "service.updated");
    assert_eq!(entry.record.object.as_ref().unwrap().id(), pas.id.to_string());
    assert_eq!(entry.record.detail.get("changes").unwrap(), &json!({ "duration_minutes": { "old": 15, "new": 20 } }));
    assert_eq!(app.store.get_service(pas.id).await.unwrap().unwrap().rules.duration_minutes(), 20);
    // The same form again (version 0): someone changed it meanwhile.
    let r = app.post(&b, &path, &service_form(&queue, "25", "0")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("Nogen har ændret det samme"));
    assert_eq!(app.store.get_service(pas.id).await.unwrap().unwrap().rules.duration_minutes(), 20);
    // A queue of another centre is refused.
    let other = app.store.list_queues(first_centre(&app, ORG_ADMIN_B).await).await.unwrap()[0].value.id.to_string();
    assert_eq!(app.post(&b, &path, &service_form(&other, "20", "1")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Script in a name is stored and shown escaped; control characters are refused.
    let mut f = service_form(&queue, "20", "1");
    f[0] = ("name_da", "<b>Pas</b>");
    assert_eq!(app.post(&b, &path, &f).await.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&b, &path).await;
    assert!(page.contains("&#60;b&#62;Pas&#60;/b&#62;") && !page.contains("<b>Pas</b>"));
    let mut f = service_form(&queue, "20", "2");
    f[0] = ("name_da", "Pas\u{0}");
    assert_eq!(app.post(&b, &path, &f).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(matches!(
        skranke::audit_verify::verify(&app.store).await.unwrap(),
        skranke::audit_verify::Outcome::Intact(_)
    ));
}

#[tokio::test]
async fn staff_addresses_must_be_own_and_lookalikes_are_named() {
    let app = spawn().await;
    let b = app.sign_in(CENTRE_ADMIN_A).await;
    let centre = first_centre(&app, CENTRE_ADMIN_A).await;
    let member = app.store.list_staff(centre).await.unwrap()[0].clone();
    let path = format!("/staff/admin/staff/{}", member.value.member.id);
    let form = |email: &'static str, version: &'static str| {
        vec![("name", "Anne Jensen (B)"), ("email", email), ("hours_mon", "08:30-16:00"), ("version", version)]
    };
    let r = app.post(&b, &path, &form("anne@eksempelkomune.dk", "0")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("ligner eksempelkommune.dk"), "{body}");
    assert!(body.contains("anne@eksempelkommune.dk"), "the meant address is suggested");
    assert_eq!(app.post(&b, &path, &form("anne@gmail.com", "0")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post(&b, &path, &form("anne@eksempelkommune.dk.evil.com", "0")).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = app.post(&b, &path, &form("Anne@EksempelKommune.dk", "0")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = app
        .store
        .list_staff(centre)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.value.member.id == member.value.member.id)
        .unwrap();
    assert_eq!(saved.value.email.as_deref(), Some("anne@eksempelkommune.dk"));
    let entry = newest_audit(&app).await;
    assert_eq!(entry.record.action.as_str(), "staff.updated");
    assert_eq!(entry.record.detail.get("changes").unwrap()["email"]["new"], "anne@eksempelkommune.dk");
    // Bad hours name the weekday.
    let r = app.post(&b, &path, &[("name", "Anne"), ("hours_wed", "16:00-08:00"), ("version", "1")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Onsdag"));
    // Absences: added, listed, removed, each audited.
    let r =
        app.post(&b, &format!("{path}/absences"), &[("from", "2027-02-01T08:00"), ("to", "2027-02-01T12:00")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&b, &path).await;
    assert!(page.contains("1. februar 2027"), "shown in local time");
    let r =
        app.post(&b, &format!("{path}/absences"), &[("from", "2027-02-01T12:00"), ("to", "2027-02-01T08:00")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let absence = app.store.list_absences(member.value.member.id, app.clock_now()).await.unwrap()[0].id;
    assert_eq!(app.post(&b, &format!("{path}/absences/{absence}/remove"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.post(&b, &format!("{path}/absences/{absence}/remove"), &[]).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn organisation_domains_that_resemble_others_need_a_reason() {
    let app = spawn().await;
    let b = app.sign_in(ORG_ADMIN_A).await;
    let form = |domains: &'static str, reason: &'static str, version: &'static str| {
        vec![("name", "Eksempel Kommune"), ("domains", domains), ("reason", reason), ("version", version)]
    };
    let r = app.post(&b, "/staff/admin/organisation", &form("eksempelkommune.dk, fred.dk", "", "0")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("fred.dk ligner fredericia.dk") && body.contains("name=\"reason\""));
    let r = app
        .post(&b, "/staff/admin/organisation", &form("eksempelkommune.dk, fred.dk", "Ejet af kommunen siden 2001", "0"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let entry = newest_audit(&app).await;
    assert_eq!(entry.record.action.as_str(), "organisation.updated");
    assert_eq!(entry.record.detail.get("reason").unwrap(), "Ejet af kommunen siden 2001");
    assert_eq!(entry.record.detail.get("flagged").unwrap()[0]["resembles"], "fredericia.dk");
    // A centre administrator may not change the organisation.
    let c = app.sign_in(CENTRE_ADMIN_A).await;
    assert_eq!(
        app.post(&c, "/staff/admin/organisation", &form("eksempelkommune.dk", "", "1")).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn another_organisations_configuration_does_not_exist() {
    let app = spawn().await;
    let b = app.sign_in(ORG_ADMIN_B).await;
    let centre = first_centre(&app, CENTRE_ADMIN_A).await;
    let service = app.store.list_services(centre).await.unwrap()[0].id;
    let staff = app.store.list_staff(centre).await.unwrap()[0].value.member.id;
    let queue = app.store.list_queues(centre).await.unwrap()[0].value.id;
    for path in [
        format!("/staff/admin/centres/{centre}"),
        format!("/staff/admin/services/{service}"),
        format!("/staff/admin/staff/{staff}"),
    ] {
        assert_eq!(app.get(&b, &path).await.0, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            app.post(&b, &path, &[("name", "Overtaget"), ("version", "0")]).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        app.post(
            &b,
            &format!("/staff/admin/queues/{queue}"),
            &[("name_da", "X"), ("name_en", "X"), ("prefix", "X"), ("version", "0")]
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &b,
            &format!("/staff/admin/centres/{centre}/closures"),
            &[("from", "2027-01-01"), ("to", "2027-01-02"), ("reason", "x")]
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let random = Uuid::new_v4();
    assert_eq!(app.get(&b, &format!("/staff/admin/services/{random}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&b, "/staff/admin/services/not-a-uuid").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.store.list_services(centre).await.unwrap()[0].name_da,
        app.store.get_service(service).await.unwrap().unwrap().name_da
    );
    let (_, overview) = app.get(&b, "/staff/admin").await;
    assert!(overview.contains("Borgerservice Prøvested") && !overview.contains("Borgerservice Eksempelby"));
}

trait ClockNow {
    fn clock_now(&self) -> jiff::Timestamp;
}

impl ClockNow for StaffApp {
    fn clock_now(&self) -> jiff::Timestamp {
        use skranke::clock::Clock as _;
        self.clock.now()
    }
}

// ----------------------------------------------------------------------- the store, both databases

both!(versioned_updates_and_their_audit_rows, closures_absences_and_homes);

fn audit(action: &str) -> AuditRecord {
    AuditRecord {
        at: now(),
        organisation: None,
        actor: Actor::User { id: Uuid::from_u128(1), label: Label::new("Admin").unwrap() },
        action: Action::new(action).unwrap(),
        object: None,
        detail: Detail::empty(),
    }
}

async fn audit_rows<S: TestDb>(store: &S) -> i64 {
    store.scalar("SELECT COUNT(*) FROM audit_log", &[]).await
}

async fn versioned_updates_and_their_audit_rows<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let org = store.get_organisation(fx.org.id).await.unwrap().unwrap();
    assert_eq!(org.version, 0);
    let renamed = skranke::store::Organisation { name: "Ny".into(), ..org.value.clone() };
    assert_eq!(store.update_organisation(&renamed, 0, &[audit("organisation.updated")]).await.unwrap(), 1);
    assert!(matches!(
        store.update_organisation(&renamed, 0, &[audit("organisation.updated")]).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(audit_rows(&store).await, 1, "a refused update writes no audit row");
    let services = store.list_services_versioned(fx.centre.id).await.unwrap();
    let mut svc = services[0].value.clone();
    svc.name_da = "Pas og ID".into();
    assert_eq!(store.update_service(&svc, 0, &[audit("service.updated")]).await.unwrap(), 1);
    assert!(matches!(store.update_service(&svc, 0, &[]).await, Err(StoreError::Conflict)));
    let mut gone = svc.clone();
    gone.id = skranke_core::ids::ServiceId::from_uuid(Uuid::new_v4());
    assert!(matches!(store.update_service(&gone, 0, &[]).await, Err(StoreError::NotFound)));
    assert_eq!(store.get_service(svc.id).await.unwrap().unwrap().name_da, "Pas og ID");
    let centres = store.organisation_centres(fx.org.id).await.unwrap();
    let mut c = centres[0].value.clone();
    c.opening_hours = WeeklyHours::default();
    assert_eq!(store.update_centre(&c, centres[0].version, &[audit("centre.updated")]).await.unwrap(), 1);
    let q = Queue {
        id: QueueId::from_uuid(Uuid::new_v4()),
        centre_id: fx.centre.id,
        name_da: "Kø 2".into(),
        name_en: "Queue 2".into(),
        prefix: "Q".into(),
    };
    store.create_queue_audited(&q, &[audit("queue.created")]).await.unwrap();
    let queues = store.list_queues(fx.centre.id).await.unwrap();
    assert_eq!(queues.len(), 2);
    let q2 = Queue { prefix: "R".into(), ..q.clone() };
    assert_eq!(store.update_queue(&q2, 0, &[audit("queue.updated")]).await.unwrap(), 1);
    let member = store.list_staff(fx.centre.id).await.unwrap().remove(0);
    let changed = StaffAdmin {
        email: Some("a@test.example.org".into()),
        member: skranke::store::StaffMember { services: vec![], ..member.value.member.clone() },
    };
    assert_eq!(store.update_staff(&changed, 0, &[audit("staff.updated")]).await.unwrap(), 1);
    let after = store.list_staff(fx.centre.id).await.unwrap().remove(0);
    assert_eq!(after.value.email.as_deref(), Some("a@test.example.org"));
    assert!(after.value.member.services.is_empty(), "the services are replaced as a set");
    assert_eq!(audit_rows(&store).await, 6);
    assert!(matches!(skranke::audit_verify::verify(&store).await.unwrap(), skranke::audit_verify::Outcome::Intact(_)));
}

async fn closures_absences_and_homes<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    let when = skranke_core::Interval::new(later(60), later(180)).unwrap();
    let closure = Closure { id: Uuid::new_v4(), centre_id: fx.centre.id, when, reason: "Flytning".into() };
    store.add_closure_audited(&closure, &[audit("centre.closure_added")]).await.unwrap();
    assert_eq!(store.list_closures(fx.centre.id, now()).await.unwrap().len(), 1);
    assert!(store.list_closures(fx.centre.id, later(200)).await.unwrap().is_empty(), "past closures are not listed");
    let other = seed_centre(&store).await.1;
    assert!(
        !store.remove_closure(other.id, closure.id, &[audit("centre.nothing_removed")]).await.unwrap(),
        "only the centre's own"
    );
    assert!(store.remove_closure(fx.centre.id, closure.id, &[audit("centre.closure_removed")]).await.unwrap());
    let staff = fx.staff[0].id;
    let absence = skranke::store::Absence { id: Uuid::new_v4(), staff_id: staff, when };
    store.add_absence_audited(&absence, &[audit("staff.absence_added")]).await.unwrap();
    assert_eq!(store.list_absences(staff, now()).await.unwrap()[0].id, absence.id);
    assert!(store.remove_absence(staff, absence.id, &[audit("staff.absence_removed")]).await.unwrap());
    assert!(!store.remove_absence(staff, absence.id, &[audit("centre.nothing_removed")]).await.unwrap());
    assert_eq!(audit_rows(&store).await, 4);
    assert_eq!(store.centre_of(AdminObject::Service, fx.service.id.as_uuid()).await.unwrap(), Some(fx.centre.id));
    assert_eq!(store.centre_of(AdminObject::Staff, staff.as_uuid()).await.unwrap(), Some(fx.centre.id));
    assert_eq!(store.centre_of(AdminObject::Queue, fx.queue.id.as_uuid()).await.unwrap(), Some(fx.centre.id));
    assert_eq!(store.centre_of(AdminObject::Queue, Uuid::new_v4()).await.unwrap(), None);
}
