//! The administration use cases (`skranke::app::admin`) on both databases, with principals built
//! directly: access (404 across organisations, 403 inside one's own), field-specific refusals,
//! work addresses in the organisation's own domains (RS-10), written reasons for lookalikes
//! (RS-61), stale forms, deactivation, and an audit entry with exactly what changed.

use std::sync::Arc;

use serde_json::json;
use skranke::app::admin::{self, CentreForm, ClosedDaysForm, OrganisationForm, QueueForm, ServiceForm, StaffForm};
use skranke::app::{App, AppError, AppSettings, Principal, Via};
use skranke::clock::ManualClock;
use skranke::i18n::Lang;
use skranke::store::{AnyStore, Centre, Organisation, PgStore, Queue, Service, SqliteStore, StaffMember, Store as _};
use skranke_core::access::{Grant, Role, Scope};
use skranke_core::audit::{AuditEntry, Label};
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::WeeklyHours;
use skranke_core::ids::{CentreId, OrganisationId, QueueId, UserId};
use skranke_core::service::Sensitivity;
use uuid::Uuid;

use crate::support::*;

both!(
    another_organisations_objects_are_not_found_and_stay_unchanged,
    roles_without_the_permission_are_forbidden,
    invalid_fields_name_their_field,
    work_addresses_must_lie_in_own_domains,
    lookalike_domains_and_addresses_need_a_written_reason,
    names_are_stored_as_typed_and_bad_text_is_refused,
    stale_forms_are_refused_and_empty_saves_write_nothing,
    deactivation_through_the_use_cases,
    closures_absences_and_closed_days,
);

/// Builds the app over whichever store the test runs on.
pub trait IntoAny {
    fn any(&self) -> AnyStore;
}

impl IntoAny for SqliteStore {
    fn any(&self) -> AnyStore {
        AnyStore::Sqlite(self.clone())
    }
}

impl IntoAny for PgStore {
    fn any(&self) -> AnyStore {
        AnyStore::Postgres(self.clone())
    }
}

/// One organisation with a centre, a queue, a service and one staff member giving it.
struct Org {
    id: OrganisationId,
    centre: Centre,
    queue: Queue,
    service: Service,
    staff: StaffMember,
}

async fn seed_org<S: TestDb>(store: &S, name: &str, domain: &str) -> Org {
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
        name: format!("Borgerservice {name}"),
        address: "Torvet 1".into(),
        opening_hours: WeeklyHours::weekdays(&[range("09:00-15:00")]).unwrap(),
        closed_days: ClosedDays::default(),
    };
    store.create_centre(&centre).await.unwrap();
    let queue = Queue {
        id: QueueId::from_uuid(Uuid::new_v4()),
        centre_id: centre.id,
        name_da: "Kø".into(),
        name_en: "Queue".into(),
        prefix: "A".into(),
    };
    store.create_queue(&queue).await.unwrap();
    let service = make_service(&centre, &queue, "Pas", default_rules(1), Sensitivity::Normal);
    store.create_service(&service).await.unwrap();
    let staff = make_staff(&centre, "Anne Jensen", &[service.id]);
    store.create_staff(&staff).await.unwrap();
    Org { id: org.id, centre, queue, service, staff }
}

struct World {
    app: App,
    a: Org,
    b: Org,
}

async fn world<S: TestDb + IntoAny>(store: &S) -> World {
    let a = seed_org(store, "Fredericia", "fredericia.dk").await;
    let b = seed_org(store, "Prøvested", "proevested.dk").await;
    let app = App::new(store.any(), Arc::new(ManualClock::new(now())), AppSettings::default());
    World { app, a, b }
}

fn principal(org: &Org, role: Role, at_centre: bool) -> Principal {
    let scope = if at_centre {
        Scope::Centre { organisation: org.id, centre: org.centre.id }
    } else {
        Scope::Organisation(org.id)
    };
    Principal {
        user: UserId::from_uuid(Uuid::new_v4()),
        name: Label::new(&format!("{role} test")).unwrap(),
        organisation: Some(org.id),
        grants: vec![Grant::new(role, scope).unwrap()],
        via: Via::Session,
    }
}

fn centre_admin(org: &Org) -> Principal {
    principal(org, Role::CentreAdmin, true)
}

fn org_admin(org: &Org) -> Principal {
    principal(org, Role::OrgAdmin, false)
}

fn service_form(s: &Service, version: i64) -> ServiceForm {
    ServiceForm {
        name_da: s.name_da.clone(),
        name_en: s.name_en.clone(),
        queue: s.queue_id.to_string(),
        duration_minutes: s.rules.duration_minutes().to_string(),
        buffer_minutes: s.rules.buffer_minutes().to_string(),
        capacity: s.rules.capacity().to_string(),
        min_notice_minutes: s.rules.min_notice_minutes().to_string(),
        horizon_days: s.rules.horizon_days().to_string(),
        online_bookable: s.rules.online_bookable(),
        sensitivity: s.sensitivity.as_str().into(),
        version,
    }
}

fn staff_form(name: &str, email: &str, services: &[&Service], version: i64) -> StaffForm {
    let mut hours: [String; 7] = Default::default();
    hours[0] = "08:00-16:00".into();
    StaffForm {
        name: name.into(),
        email: email.into(),
        hours,
        services: services.iter().map(|s| s.id.to_string()).collect(),
        version,
    }
}

fn org_form(name: &str, domains: &str, reason: &str, version: i64) -> OrganisationForm {
    OrganisationForm { name: name.into(), domains: domains.into(), reason: reason.into(), version }
}

async fn audit_rows(w: &World) -> u64 {
    w.app.store.audit_head().await.unwrap().seq
}

async fn newest(w: &World) -> AuditEntry {
    let head = w.app.store.audit_head().await.unwrap();
    w.app.store.audit_page(head.seq - 1, 1).await.unwrap().remove(0)
}

fn field_error(r: Result<impl std::fmt::Debug, AppError>) -> (&'static str, String) {
    match r {
        Err(e @ (AppError::Field { .. } | AppError::Invalid { .. })) => (e.field().unwrap(), e.code().to_owned()),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn intact(w: &World) {
    let outcome = skranke::audit_verify::verify(&w.app.store).await.unwrap();
    assert!(matches!(outcome, skranke::audit_verify::Outcome::Intact(_)));
}

async fn another_organisations_objects_are_not_found_and_stay_unchanged<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let intruder = centre_admin(&w.b);
    let also = org_admin(&w.b);
    let (app, a) = (&w.app, &w.a);
    let rows = audit_rows(&w).await;
    let mut changed = service_form(&a.service, 0);
    changed.name_da = "Overtaget".into();
    for p in [&intruder, &also] {
        let nf = |r: Result<(), AppError>| assert!(matches!(r, Err(AppError::NotFound(_))), "{r:?}");
        nf(admin::update_service(app, p, a.service.id, &changed).await);
        nf(admin::update_staff(app, p, a.staff.id, &staff_form("X", "", &[], 0)).await);
        let q = QueueForm { name_da: "X".into(), name_en: "X".into(), prefix: "X".into(), version: 0 };
        nf(admin::update_queue(app, p, a.queue.id, &q).await);
        nf(admin::update_centre(
            app,
            p,
            a.centre.id,
            &CentreForm { name: "X".into(), address: "X".into(), ..Default::default() },
        )
        .await);
        nf(admin::add_closure(app, p, a.centre.id, "2027-01-04", "2027-01-05", "Overtaget").await);
        nf(admin::add_absence(app, p, a.staff.id, "2027-01-04T08:00", "2027-01-04T12:00").await);
        nf(admin::set_service_active(app, p, a.service.id, false, 0).await);
        nf(admin::set_staff_active(app, p, a.staff.id, false, 0).await);
        nf(admin::update_organisation(app, p, a.id, &org_form("X", "proevested.dk", "", 0)).await);
        assert!(matches!(admin::create_service(app, p, a.centre.id, &changed).await, Err(AppError::NotFound(_))));
        assert!(matches!(admin::centre_setup(app, p, a.centre.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(admin::service_details(app, p, a.service.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(admin::staff_details(app, p, a.staff.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(admin::organisation(app, p, a.id).await, Err(AppError::NotFound(_))));
    }
    // Ids that do not exist at all get the same answer.
    let ghost = skranke_core::ids::ServiceId::from_uuid(Uuid::new_v4());
    assert!(matches!(admin::update_service(app, &intruder, ghost, &changed).await, Err(AppError::NotFound(_))));
    assert!(matches!(
        admin::remove_closure(app, &intruder, a.centre.id, Uuid::new_v4()).await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(audit_rows(&w).await, rows, "nothing was written");
    assert_eq!(app.store.get_service(a.service.id).await.unwrap().unwrap().name_da, "Pas");
    assert!(admin::centres_in_reach(app, &intruder, a.id).await.unwrap().is_empty());
    // The owner's administrator can, and B's centre admin still sees their own.
    admin::update_service(app, &centre_admin(a), a.service.id, &changed).await.unwrap();
    assert_eq!(app.store.get_service(a.service.id).await.unwrap().unwrap().name_da, "Overtaget");
    assert_eq!(admin::centres_in_reach(app, &intruder, w.b.id).await.unwrap().len(), 1);
}

async fn roles_without_the_permission_are_forbidden<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let rows = audit_rows(&w).await;
    let mut changed = service_form(&a.service, 0);
    changed.duration_minutes = "30".into();
    for role in [Role::Receptionist, Role::Caseworker] {
        let p = principal(a, role, true);
        assert!(matches!(admin::update_service(app, &p, a.service.id, &changed).await, Err(AppError::Forbidden)));
        assert!(matches!(admin::centre_setup(app, &p, a.centre.id).await, Err(AppError::Forbidden)));
    }
    let dpo = principal(a, Role::DataProtectionOfficer, false);
    assert!(matches!(admin::update_service(app, &dpo, a.service.id, &changed).await, Err(AppError::Forbidden)));
    // A centre administrator runs the centre, not the organisation.
    let ca = centre_admin(a);
    let r = admin::update_organisation(app, &ca, a.id, &org_form("Ny", "fredericia.dk", "", 0)).await;
    assert!(matches!(r, Err(AppError::Forbidden)));
    assert!(matches!(admin::create_centre(app, &ca, a.id, "Filial", "Vej 2").await, Err(AppError::Forbidden)));
    // …and only their own centre.
    let id = admin::create_centre(app, &org_admin(a), a.id, "Filial", "Vej 2").await.unwrap();
    let form = CentreForm { name: "Filial 2".into(), address: "Vej 2".into(), ..Default::default() };
    assert!(matches!(admin::update_centre(app, &ca, id, &form).await, Err(AppError::Forbidden)));
    assert_eq!(audit_rows(&w).await, rows + 1, "only the creation was written");
    assert_eq!(app.store.get_service(a.service.id).await.unwrap().unwrap().rules.duration_minutes(), 20);
}

async fn invalid_fields_name_their_field<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let p = centre_admin(a);
    let rows = audit_rows(&w).await;
    let base = service_form(&a.service, 0);
    let cases: Vec<(ServiceForm, (&str, &str))> = vec![
        (ServiceForm { duration_minutes: "17".into(), ..base.clone() }, ("duration_minutes", "invalid_duration")),
        (ServiceForm { capacity: "mange".into(), ..base.clone() }, ("capacity", "not_a_number")),
        (ServiceForm { capacity: "70000".into(), ..base.clone() }, ("capacity", "invalid_capacity")),
        (ServiceForm { horizon_days: "9".repeat(40), ..base.clone() }, ("horizon_days", "not_a_number")),
        (ServiceForm { name_da: "  ".into(), ..base.clone() }, ("name_da", "missing_value")),
        (ServiceForm { name_en: "x".repeat(121), ..base.clone() }, ("name_en", "too_long")),
        (ServiceForm { sensitivity: "secret".into(), ..base.clone() }, ("sensitivity", "invalid_sensitivity")),
        (ServiceForm { queue: w.b.queue.id.to_string(), ..base.clone() }, ("queue", "invalid_queue")),
        (ServiceForm { queue: "not-an-id".into(), ..base.clone() }, ("queue", "invalid_queue")),
    ];
    for (form, (field, code)) in cases {
        let got = field_error(admin::update_service(app, &p, a.service.id, &form).await);
        assert_eq!((got.0, got.1.as_str()), (field, code));
    }
    let mut form = CentreForm { name: "Borgerservice".into(), address: "Torvet 1".into(), ..Default::default() };
    form.hours[2] = "16:00-08:00".into();
    assert_eq!(
        field_error(admin::update_centre(app, &p, a.centre.id, &form).await),
        ("hours_wed", "empty_range".into())
    );
    let q = |prefix: &str| QueueForm {
        name_da: "Kørekort".into(),
        name_en: "Licences".into(),
        prefix: prefix.into(),
        version: 0,
    };
    assert_eq!(
        field_error(admin::create_queue(app, &p, a.centre.id, &q("ÆØ")).await),
        ("prefix", "invalid_prefix".into())
    );
    assert_eq!(
        field_error(admin::create_queue(app, &p, a.centre.id, &q("a")).await),
        ("prefix", "admin.prefix_taken".into())
    );
    let bad_service = staff_form("Bo", "", &[&w.b.service], 0);
    assert_eq!(
        field_error(admin::update_staff(app, &p, a.staff.id, &bad_service).await),
        ("services", "invalid_service".into())
    );
    assert_eq!(audit_rows(&w).await, rows, "refused forms write nothing");
    // A lowercase prefix of its own is raised and kept.
    let id = admin::create_queue(app, &p, a.centre.id, &q("kk")).await.unwrap();
    let queues = app.store.list_queues(a.centre.id).await.unwrap();
    assert_eq!(queues.iter().find(|x| x.value.id == id).unwrap().value.prefix, "KK");
}

async fn work_addresses_must_lie_in_own_domains<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let p = centre_admin(a);
    let rows = audit_rows(&w).await;
    // The incident: fred.dk typed for fredericia.dk.
    let r = admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", "anne@fred.dk", &[], 0)).await;
    let Err(e @ AppError::AccountEmailNotOwn { .. }) = r else { panic!("{r:?}") };
    let AppError::AccountEmailNotOwn { resembles, suggestion } = &e else { unreachable!() };
    assert_eq!(resembles.as_deref(), Some("fredericia.dk"));
    assert_eq!(suggestion.as_deref(), Some("anne@fredericia.dk"));
    let message = skranke::http::error::message_of(&e, Lang::En);
    assert!(message.contains("fredericia.dk") && message.contains("anne@fredericia.dk"), "{message}");
    assert_eq!(skranke::http::error::status_of(&e).as_u16(), 422);
    for typed in [
        "anne@gmail.com",
        "anne@fredericia.dk.evil.com",
        "anne@fredericia.com",
        "anne@proevested.dk",
        "anne@mail.fredericia.dk",
    ] {
        let r = admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", typed, &[], 0)).await;
        assert!(matches!(r, Err(AppError::AccountEmailNotOwn { .. })), "{typed}: {r:?}");
    }
    for (typed, code) in [("anne@@fredericia.dk", "invalid_email"), ("anne@fredericia.dk.", "invalid_email")] {
        assert_eq!(
            field_error(admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", typed, &[], 0)).await),
            ("email", code.into())
        );
    }
    let long = format!("{}@fredericia.dk", "a".repeat(250));
    assert_eq!(
        field_error(admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", &long, &[], 0)).await),
        ("email", "too_long".into())
    );
    assert_eq!(audit_rows(&w).await, rows);
    // Own, in any case: stored in lowercase.
    admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", " Anne@Fredericia.DK ", &[&a.service], 0))
        .await
        .unwrap();
    let d = admin::staff_details(app, &p, a.staff.id).await.unwrap();
    assert_eq!(d.staff.value.staff.email.as_deref(), Some("anne@fredericia.dk"));
    assert_eq!(d.staff.value.email_flag_reason, None);
    let entry = newest(&w).await;
    assert_eq!(entry.record.action.as_str(), "staff.updated");
    assert_eq!(entry.record.object.as_ref().unwrap().id(), a.staff.id.to_string());
    assert_eq!(
        entry.record.detail.get("changes").unwrap(),
        &json!({ "email": { "old": null, "new": "anne@fredericia.dk" }, "name": { "old": "Anne Jensen", "new": "Anne" },
                 "schedule.tue": { "old": "08:00-16:00", "new": "" }, "schedule.wed": { "old": "08:00-16:00", "new": "" },
                 "schedule.thu": { "old": "08:00-16:00", "new": "" }, "schedule.fri": { "old": "08:00-16:00", "new": "" } })
    );
}

async fn lookalike_domains_and_addresses_need_a_written_reason<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let oa = org_admin(a);
    let rows = audit_rows(&w).await;
    // The organisation form: fred.dk beside fredericia.dk is named and needs a reason.
    for reason in ["", "ja", "kort"] {
        let r = admin::update_organisation(
            app,
            &oa,
            a.id,
            &org_form("Fredericia Kommune", "fredericia.dk, fred.dk", reason, 0),
        )
        .await;
        let Err(AppError::DomainResembles { domain, resembles }) = r else { panic!("{r:?}") };
        assert_eq!((domain.as_str(), resembles.as_str()), ("fred.dk", "fredericia.dk"));
    }
    let r = admin::update_organisation(app, &oa, a.id, &org_form("F", "fredericia.dk fred.dk", "Ejet\u{1b} af os", 0))
        .await;
    assert_eq!(field_error(r), ("reason", "control_character".into()));
    assert_eq!(
        field_error(admin::update_organisation(app, &oa, a.id, &org_form("F", "fredericia..dk", "", 0)).await),
        ("domains", "invalid_org_domain".into())
    );
    assert_eq!(
        field_error(admin::update_organisation(app, &oa, a.id, &org_form("F", " ", "", 0)).await),
        ("domains", "missing_value".into())
    );
    assert_eq!(audit_rows(&w).await, rows);
    let reason = "Kommunens gamle domæne fra før 2007";
    admin::update_organisation(app, &oa, a.id, &org_form("Fredericia Kommune", "fredericia.dk, fred.dk", reason, 0))
        .await
        .unwrap();
    let entry = newest(&w).await;
    assert_eq!(entry.record.action.as_str(), "organisation.updated");
    assert_eq!(entry.record.detail.get("reason").unwrap(), reason);
    assert_eq!(
        entry.record.detail.get("flagged").unwrap(),
        &json!([{ "domain": "fred.dk", "resembles": "fredericia.dk" }])
    );
    assert_eq!(entry.record.detail.get("changes").unwrap()["mail_domains"]["new"], json!(["fredericia.dk", "fred.dk"]));

    // A work address on the flagged own domain needs its own reason (RS-61), kept with the address.
    let p = centre_admin(a);
    let form = staff_form("Anne", "anne@fred.dk", &[], 0);
    let r = admin::update_staff(app, &p, a.staff.id, &form).await;
    let Err(AppError::DomainResembles { domain, resembles }) = r else { panic!("{r:?}") };
    assert_eq!((domain.as_str(), resembles.as_str()), ("fred.dk", "fredericia.dk"));
    let why = "Fælles postkasse, der stadig modtager post";
    admin::update_staff_with_reason(app, &p, a.staff.id, &form, why).await.unwrap();
    let d = admin::staff_details(app, &p, a.staff.id).await.unwrap();
    assert_eq!(d.staff.value.email_flag_reason.as_deref(), Some(why));
    let detail = newest(&w).await.record.detail;
    assert_eq!(
        detail.get("email_flag").unwrap(),
        &json!({ "domain": "fred.dk", "resembles": "fredericia.dk", "reason": why })
    );
    // Saving the same address again needs no new reason and keeps the old one.
    admin::update_staff(app, &p, a.staff.id, &staff_form("Anne J.", "anne@fred.dk", &[], 1)).await.unwrap();
    let d = admin::staff_details(app, &p, a.staff.id).await.unwrap();
    assert_eq!((d.staff.value.email_flag_reason.as_deref(), d.staff.version), (Some(why), 2));
    // fred.dk cannot be removed while the address uses it.
    let r = admin::update_organisation(app, &oa, a.id, &org_form("Fredericia Kommune", "fredericia.dk", "", 1)).await;
    assert_eq!(field_error(r), ("domains", "admin.domain_in_use".into()));
    admin::update_staff(app, &p, a.staff.id, &staff_form("Anne J.", "anne@fredericia.dk", &[], 2)).await.unwrap();
    assert_eq!(admin::staff_details(app, &p, a.staff.id).await.unwrap().staff.value.email_flag_reason, None);
    admin::update_organisation(app, &oa, a.id, &org_form("Fredericia Kommune", "fredericia.dk", "", 1)).await.unwrap();
    intact(&w).await;
}

async fn names_are_stored_as_typed_and_bad_text_is_refused<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let p = centre_admin(a);
    let script = "<script>alert('x')</script> & \"Pas\"";
    let mut form = service_form(&a.service, 0);
    form.name_da = script.into();
    admin::update_service(app, &p, a.service.id, &form).await.unwrap();
    assert_eq!(
        app.store.get_service(a.service.id).await.unwrap().unwrap().name_da,
        script,
        "escaping is the page's job"
    );
    let rows = audit_rows(&w).await;
    for (typed, code) in [
        ("Anne\u{0}", "control_character"),
        ("Anne\nJensen", "control_character"),
        ("Anne\u{7f}", "control_character"),
        (&*"æ".repeat(121), "too_long"),
        ("", "missing_value"),
    ] {
        let got = field_error(admin::update_staff(app, &p, a.staff.id, &staff_form(typed, "", &[], 0)).await);
        assert_eq!(got, ("name", code.to_owned()), "{typed:?}");
        let got = field_error(admin::create_centre(app, &org_admin(a), a.id, typed, "Vej 1").await);
        assert_eq!(got, ("name", code.to_owned()), "{typed:?}");
    }
    let r = admin::add_closure(app, &p, a.centre.id, "2027-01-04", "2027-01-04", &"x".repeat(201)).await;
    assert_eq!(field_error(r), ("reason", "too_long".into()));
    let mut form = CentreForm { name: "Borgerservice".into(), address: "Torvet 1".into(), ..Default::default() };
    form.hours[0] = "09:00-12:00".repeat(30);
    assert_eq!(
        field_error(admin::update_centre(app, &p, a.centre.id, &form).await),
        ("hours_mon", "unreadable_time".into())
    );
    assert_eq!(audit_rows(&w).await, rows);
    // Exactly 120 characters is fine.
    admin::update_staff(app, &p, a.staff.id, &staff_form(&"æ".repeat(120), "", &[], 0)).await.unwrap();
}

async fn stale_forms_are_refused_and_empty_saves_write_nothing<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let (one, two) = (centre_admin(a), org_admin(a));
    let mut first = service_form(&a.service, 0);
    first.duration_minutes = "25".into();
    let mut second = service_form(&a.service, 0);
    second.capacity = "3".into();
    admin::update_service(app, &one, a.service.id, &first).await.unwrap();
    let rows = audit_rows(&w).await;
    assert!(matches!(admin::update_service(app, &two, a.service.id, &second).await, Err(AppError::Stale)));
    assert_eq!(skranke::http::error::status_of(&AppError::Stale).as_u16(), 409);
    let stored = app.store.get_service(a.service.id).await.unwrap().unwrap();
    assert_eq!((stored.rules.duration_minutes(), stored.rules.capacity()), (25, 1), "the first save stands");
    assert_eq!(audit_rows(&w).await, rows);
    let entry = newest(&w).await;
    assert_eq!(entry.record.action.as_str(), "service.updated");
    assert_eq!(entry.record.organisation, Some(a.id));
    assert_eq!(entry.record.detail.get("changes").unwrap(), &json!({ "duration_minutes": { "old": 20, "new": 25 } }));
    // Saving what is stored changes nothing and records nothing, whatever the version.
    let mut same = service_form(&app.store.get_service(a.service.id).await.unwrap().unwrap(), 0);
    admin::update_service(app, &two, a.service.id, &same).await.unwrap();
    same.version = 1;
    admin::update_service(app, &two, a.service.id, &same).await.unwrap();
    assert_eq!(audit_rows(&w).await, rows);
    assert_eq!(admin::service_details(app, &one, a.service.id).await.unwrap().service.version, 1);
    // The stale staff form too.
    admin::update_staff(app, &one, a.staff.id, &staff_form("Anne", "", &[&a.service], 0)).await.unwrap();
    let r = admin::update_staff(app, &two, a.staff.id, &staff_form("Anna", "", &[&a.service], 0)).await;
    assert!(matches!(r, Err(AppError::Stale)));
    intact(&w).await;
}

async fn deactivation_through_the_use_cases<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let p = centre_admin(a);
    admin::set_service_active(app, &p, a.service.id, false, 0).await.unwrap();
    let setup = admin::centre_setup(app, &p, a.centre.id).await.unwrap();
    assert_eq!(setup.inactive_services, [a.service.id]);
    assert_eq!(setup.services.len(), 1, "still listed, to show as inactive");
    let head = app.store.audit_head().await.unwrap();
    let last_two = app.store.audit_page(head.seq - 2, 2).await.unwrap();
    assert_eq!(last_two[0].record.action.as_str(), "service.deactivated");
    assert_eq!(last_two[0].record.detail.get("given_by").unwrap(), &json!([a.staff.id.to_string()]));
    assert_eq!(last_two[0].record.detail.get("changes").unwrap(), &json!({ "active": { "old": true, "new": false } }));
    assert_eq!(last_two[1].record.action.as_str(), "staff.service_removed");
    assert_eq!(last_two[1].record.object.as_ref().unwrap().id(), a.staff.id.to_string());
    // Deactivating again is a no-op; assigning it again is refused until reactivated.
    admin::set_service_active(app, &p, a.service.id, false, 0).await.unwrap();
    assert_eq!(app.store.audit_head().await.unwrap().seq, head.seq);
    let r = admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", "", &[&a.service], 1)).await;
    assert_eq!(field_error(r), ("services", "admin.service_inactive".into()));
    assert!(matches!(admin::set_service_active(app, &p, a.service.id, true, 0).await, Err(AppError::Stale)));
    admin::set_service_active(app, &p, a.service.id, true, 1).await.unwrap();
    admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", "", &[&a.service], 1)).await.unwrap();
    // A deactivated staff member gives nothing, and cannot be given services until reactivated.
    admin::set_staff_active(app, &p, a.staff.id, false, 2).await.unwrap();
    let d = admin::staff_details(app, &p, a.staff.id).await.unwrap();
    assert!(!d.staff.value.active && d.staff.value.staff.member.services.is_empty());
    assert_eq!(newest(&w).await.record.detail.get("services_removed").unwrap(), &json!([a.service.id.to_string()]));
    let r = admin::update_staff(app, &p, a.staff.id, &staff_form("Anne", "", &[&a.service], 3)).await;
    assert_eq!(field_error(r), ("services", "admin.staff_inactive".into()));
    admin::update_staff(app, &p, a.staff.id, &staff_form("Anne H.", "", &[], 3)).await.unwrap();
    assert_eq!(admin::centre_setup(app, &p, a.centre.id).await.unwrap().inactive_staff, [a.staff.id]);
    intact(&w).await;
}

async fn closures_absences_and_closed_days<S: TestDb + IntoAny>(store: S) {
    let w = world(&store).await;
    let (app, a) = (&w.app, &w.a);
    let p = centre_admin(a);
    // Whole local days, in the organisation's time zone; ended ones are refused.
    assert_eq!(
        field_error(admin::add_closure(app, &p, a.centre.id, "2026-11-20", "2026-11-27", "Flytning").await),
        ("to", "admin.in_the_past".into())
    );
    assert_eq!(
        field_error(admin::add_closure(app, &p, a.centre.id, "2027-01-05", "2027-01-04", "Flytning").await),
        ("to", "end_before_start".into())
    );
    assert_eq!(
        field_error(admin::add_closure(app, &p, a.centre.id, "2027-01-05", "2028-02-04", "Flytning").await),
        ("to", "too_long_period".into())
    );
    assert_eq!(
        field_error(admin::add_closure(app, &p, a.centre.id, "4/1 2027", "2027-01-04", "Flytning").await),
        ("from", "invalid_date_field".into())
    );
    admin::add_closure(app, &p, a.centre.id, "2027-01-04", "2027-01-05", "Flytning").await.unwrap();
    let setup = admin::centre_setup(app, &p, a.centre.id).await.unwrap();
    assert_eq!(setup.timezone, "Europe/Copenhagen");
    let closure = &setup.closures[0];
    assert_eq!(closure.when.start(), local(2027, 1, 4, 0, 0));
    assert_eq!(closure.when.end(), local(2027, 1, 6, 0, 0));
    let added = newest(&w).await;
    assert_eq!(added.record.action.as_str(), "centre.closure_added");
    assert_eq!(added.record.detail.get("changes").unwrap()["reason"], json!({ "old": null, "new": "Flytning" }));
    // Removed through the centre it belongs to only.
    let other = admin::create_centre(app, &org_admin(a), a.id, "Filial", "Vej 2").await.unwrap();
    let oa = org_admin(a);
    assert!(matches!(admin::remove_closure(app, &oa, other, closure.id).await, Err(AppError::NotFound(_))));
    admin::remove_closure(app, &p, a.centre.id, closure.id).await.unwrap();
    assert_eq!(
        newest(&w).await.record.detail.get("changes").unwrap()["reason"],
        json!({ "old": "Flytning", "new": null })
    );
    assert!(matches!(admin::remove_closure(app, &p, a.centre.id, closure.id).await, Err(AppError::NotFound(_))));
    // Absences likewise.
    assert_eq!(
        field_error(admin::add_absence(app, &p, a.staff.id, "2027-02-01T12:00", "2027-02-01T08:00").await),
        ("to", "end_before_start".into())
    );
    assert_eq!(
        field_error(admin::add_absence(app, &p, a.staff.id, "2026-11-01T08:00", "2026-11-02T08:00").await),
        ("to", "admin.in_the_past".into())
    );
    admin::add_absence(app, &p, a.staff.id, "2027-02-01T08:00", "2027-02-01T12:00").await.unwrap();
    let d = admin::staff_details(app, &p, a.staff.id).await.unwrap();
    assert_eq!(d.absences[0].when.start(), local(2027, 2, 1, 8, 0));
    let other_staff = admin::create_staff(app, &p, a.centre.id, &staff_form("Bo", "", &[], 0)).await.unwrap();
    assert!(matches!(admin::remove_absence(app, &p, other_staff, d.absences[0].id).await, Err(AppError::NotFound(_))));
    admin::remove_absence(app, &p, a.staff.id, d.absences[0].id).await.unwrap();
    // Recurring closed days.
    let form = ClosedDaysForm { public_holidays: false, recurring: "31/12, 24.12".into(), version: 0 };
    admin::update_closed_days(app, &p, a.centre.id, &form).await.unwrap();
    let centre = admin::centre_setup(app, &p, a.centre.id).await.unwrap().centre;
    assert!(!centre.value.closed_days.public_holidays);
    assert_eq!(admin::closed_days_text(&centre.value.closed_days), "24/12, 31/12");
    assert_eq!(
        newest(&w).await.record.detail.get("changes").unwrap(),
        &json!({ "closed_days.public_holidays": { "old": true, "new": false }, "closed_days.recurring": { "old": "5/6, 24/12, 31/12", "new": "24/12, 31/12" } })
    );
    let bad = ClosedDaysForm { recurring: "30/2".into(), ..form };
    assert_eq!(
        field_error(admin::update_closed_days(app, &p, a.centre.id, &bad).await),
        ("closed_days", "admin.invalid_closed_day".into())
    );
    intact(&w).await;
}
