//! The administration store methods on both databases: every write commits together with its
//! audit rows, and a refused one (stale version, missing row, deactivated service) changes
//! nothing and writes no audit row; deactivation takes services from staff; reads stay inside
//! their centre or organisation; the audit chain verifies after it all.

use std::sync::Mutex;

use skranke::audit_verify::{Outcome, verify};
use skranke::store::{Absence, Closure, ObjectKey, Queue, Service, StaffAdmin, StaffMember, StoreError, Versioned};
use skranke_core::Interval;
use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label};
use skranke_core::ids::{CentreId, QueueId, ServiceId, StaffId};
use skranke_core::service::Sensitivity;
use uuid::Uuid;

use crate::support::*;

both!(
    writes_commit_with_their_audit_rows_or_not_at_all,
    staff_flag_reasons_follow_the_address,
    deactivating_a_service_takes_it_from_its_staff,
    deactivating_staff_clears_their_services,
    reads_and_homes_stay_in_their_place,
);
both!(multi_thread: no_link_to_an_inactive_service_survives_a_race);

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

async fn intact<S: TestDb>(store: &S) {
    assert!(matches!(verify(store).await.unwrap(), Outcome::Intact(_)), "the audit chain verifies");
}

async fn staff_entry<S: TestDb>(store: &S, id: StaffId) -> Versioned<skranke::store::StaffEntry> {
    store.get_staff_entry(id).await.unwrap().unwrap()
}

fn admin(member: &StaffMember, email: Option<&str>) -> StaffAdmin {
    StaffAdmin { member: member.clone(), email: email.map(str::to_owned) }
}

async fn writes_commit_with_their_audit_rows_or_not_at_all<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 1).await;
    // Creations: row and audit row together.
    let centre =
        skranke::store::Centre { id: CentreId::from_uuid(Uuid::new_v4()), name: "Filial".into(), ..fx.centre.clone() };
    store.create_centre_audited(&centre, &[audit("centre.created")]).await.unwrap();
    let queue = Queue {
        id: QueueId::from_uuid(Uuid::new_v4()),
        centre_id: centre.id,
        name_da: "Kø".into(),
        name_en: "Queue".into(),
        prefix: "B".into(),
    };
    store.create_queue_audited(&queue, &[audit("queue.created")]).await.unwrap();
    let service = make_service(&centre, &queue, "Kørekort", default_rules(1), Sensitivity::Normal);
    store.create_service_audited(&service, &[audit("service.created")]).await.unwrap();
    let member = make_staff(&centre, "Ny", &[service.id]);
    store
        .create_staff_audited(&admin(&member, Some("ny@test.example.org")), None, &[audit("staff.created")])
        .await
        .unwrap();
    assert_eq!(audit_rows(&store).await, 4);
    assert_eq!(store.organisation_centres(fx.org.id).await.unwrap().len(), 2);
    let entry = staff_entry(&store, member.id).await;
    assert_eq!((entry.version, entry.value.active), (0, true));
    assert_eq!(entry.value.staff.member.services, [service.id]);

    // A stale version changes nothing and writes no audit row, on every versioned table.
    let org = store.get_organisation(fx.org.id).await.unwrap().unwrap();
    let renamed = skranke::store::Organisation { name: "Ny".into(), ..org.value.clone() };
    assert_eq!(store.update_organisation(&renamed, 0, &[audit("organisation.updated")]).await.unwrap(), 1);
    let before = audit_rows(&store).await;
    let again = skranke::store::Organisation { name: "Anden".into(), ..org.value.clone() };
    assert!(matches!(
        store.update_organisation(&again, 0, &[audit("organisation.updated")]).await,
        Err(StoreError::Conflict)
    ));
    let moved = skranke::store::Centre { name: "Flyttet".into(), ..centre.clone() };
    assert!(matches!(store.update_centre(&moved, 7, &[audit("centre.updated")]).await, Err(StoreError::Conflict)));
    let q2 = Queue { prefix: "C".into(), ..queue.clone() };
    assert!(matches!(store.update_queue(&q2, 3, &[audit("queue.updated")]).await, Err(StoreError::Conflict)));
    let s2 = Service { name_da: "Ændret".into(), ..service.clone() };
    assert!(matches!(store.update_service(&s2, 1, &[audit("service.updated")]).await, Err(StoreError::Conflict)));
    let m2 = StaffMember { name: "Ændret".into(), ..member.clone() };
    assert!(matches!(
        store.update_staff(&admin(&m2, None), 1, &[audit("staff.updated")]).await,
        Err(StoreError::Conflict)
    ));
    let none = |_: &[StaffId]| vec![audit("service.deactivated")];
    assert!(matches!(store.set_service_active(service.id, false, 5, &none).await, Err(StoreError::Conflict)));
    let none = |_: &[ServiceId]| vec![audit("staff.deactivated")];
    assert!(matches!(store.set_staff_active(member.id, false, 5, &none).await, Err(StoreError::Conflict)));
    // …and a missing row is `NotFound`, not a conflict.
    let ghost = Service { id: ServiceId::from_uuid(Uuid::new_v4()), ..service.clone() };
    assert!(matches!(store.update_service(&ghost, 0, &[audit("service.updated")]).await, Err(StoreError::NotFound)));
    assert_eq!(audit_rows(&store).await, before, "refused writes leave no audit row");
    let stored = store.get_organisation(fx.org.id).await.unwrap().unwrap();
    assert_eq!((stored.value.name.as_str(), stored.version), ("Ny", 1));
    assert_eq!(store.get_service(service.id).await.unwrap().unwrap().name_da, "Kørekort");
    assert_eq!(staff_entry(&store, member.id).await.value.staff.member.name, "Ny");
    assert_eq!(store.list_queues(centre.id).await.unwrap()[0].value.prefix, "B");

    // The right versions apply, each with its audit row, and return the next version.
    assert_eq!(store.update_centre(&moved, 0, &[audit("centre.updated")]).await.unwrap(), 1);
    assert_eq!(store.update_queue(&q2, 0, &[audit("queue.updated")]).await.unwrap(), 1);
    assert_eq!(store.update_service(&s2, 0, &[audit("service.updated")]).await.unwrap(), 1);
    assert_eq!(store.update_staff(&admin(&m2, None), 0, &[audit("staff.updated")]).await.unwrap(), 1);
    assert_eq!(audit_rows(&store).await, before + 4);
    // Closures and absences: added and removed with their rows; removing what is gone writes nothing.
    let when = Interval::new(later(60), later(180)).unwrap();
    let closure = Closure { id: Uuid::new_v4(), centre_id: centre.id, when, reason: "Flytning".into() };
    store.add_closure_audited(&closure, &[audit("centre.closure_added")]).await.unwrap();
    let absence = Absence { id: Uuid::new_v4(), staff_id: member.id, when };
    store.add_absence_audited(&absence, &[audit("staff.absence_added")]).await.unwrap();
    assert!(store.remove_closure(centre.id, closure.id, &[audit("centre.closure_removed")]).await.unwrap());
    assert!(store.remove_absence(member.id, absence.id, &[audit("staff.absence_removed")]).await.unwrap());
    assert!(!store.remove_closure(centre.id, closure.id, &[audit("centre.closure_removed")]).await.unwrap());
    assert!(!store.remove_absence(member.id, absence.id, &[audit("staff.absence_removed")]).await.unwrap());
    assert_eq!(audit_rows(&store).await, before + 8);
    intact(&store).await;
}

async fn staff_flag_reasons_follow_the_address<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 0).await;
    let member = make_staff(&fx.centre, "Anne", &[fx.service.id]);
    let reason = "Kommunens gamle domæne, stadig i brug";
    store
        .create_staff_audited(&admin(&member, Some("anne@fred.dk")), Some(reason), &[audit("staff.created")])
        .await
        .unwrap();
    assert_eq!(staff_entry(&store, member.id).await.value.email_flag_reason.as_deref(), Some(reason));
    // Same address: the reason stays.
    let renamed = StaffMember { name: "Anne J.".into(), ..member.clone() };
    assert_eq!(
        store.update_staff(&admin(&renamed, Some("anne@fred.dk")), 0, &[audit("staff.updated")]).await.unwrap(),
        1
    );
    assert_eq!(staff_entry(&store, member.id).await.value.email_flag_reason.as_deref(), Some(reason));
    // A new flagged address carries its own reason…
    let other = "Afdelingens postkasse på det gamle domæne";
    store
        .update_staff_flagged(&admin(&renamed, Some("afd@fred.dk")), other, 1, &[audit("staff.updated")])
        .await
        .unwrap();
    assert_eq!(staff_entry(&store, member.id).await.value.email_flag_reason.as_deref(), Some(other));
    // …and another address drops it (a reason is about one address).
    store.update_staff(&admin(&renamed, Some("anne@test.example.org")), 2, &[audit("staff.updated")]).await.unwrap();
    let entry = staff_entry(&store, member.id).await;
    assert_eq!(entry.value.email_flag_reason, None);
    assert_eq!(entry.value.staff.email.as_deref(), Some("anne@test.example.org"));
    assert_eq!(entry.version, 3);
    assert_eq!(audit_rows(&store).await, 4);
    intact(&store).await;
}

async fn deactivating_a_service_takes_it_from_its_staff<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 2).await;
    let day = tuesday();
    assert_eq!(input(&store, fx.service.id, day, now()).await.staff.len(), 2);
    let seen = Mutex::new(Vec::new());
    let audit_for = |removed: &[StaffId]| {
        seen.lock().unwrap().push(removed.to_vec());
        let mut records = vec![audit("service.deactivated")];
        records.extend(removed.iter().map(|_| audit("staff.service_removed")));
        records
    };
    assert_eq!(store.set_service_active(fx.service.id, false, 0, &audit_for).await.unwrap(), 1);
    let mut expected: Vec<StaffId> = fx.staff.iter().map(|s| s.id).collect();
    expected.sort();
    assert_eq!(seen.lock().unwrap().as_slice(), [expected], "the records name exactly the removed links");
    assert_eq!(audit_rows(&store).await, 3);
    let entry = store.get_service_entry(fx.service.id).await.unwrap().unwrap();
    assert_eq!((entry.value.active, entry.version), (false, 1));
    assert!(input(&store, fx.service.id, day, now()).await.staff.is_empty(), "no one gives it: no free times");
    for s in &fx.staff {
        let e = staff_entry(&store, s.id).await;
        assert!(e.value.staff.member.services.is_empty());
        assert_eq!(e.version, 1, "open staff forms are stale now");
    }
    // The service cannot be given again while it is inactive: the whole change is refused.
    let back = admin(&fx.staff[0], Some("x@test.example.org"));
    assert!(matches!(store.update_staff(&back, 1, &[audit("staff.updated")]).await, Err(StoreError::Conflict)));
    let newcomer = make_staff(&fx.centre, "Ny", &[fx.service.id]);
    assert!(matches!(
        store.create_staff_audited(&admin(&newcomer, None), None, &[audit("staff.created")]).await,
        Err(StoreError::Conflict)
    ));
    assert!(store.get_staff_entry(newcomer.id).await.unwrap().is_none(), "nothing of the refused creation stays");
    assert_eq!(staff_entry(&store, fx.staff[0].id).await.value.staff.email, None);
    assert_eq!(audit_rows(&store).await, 3);
    // Reactivated, it is given by no one until staff are assigned again.
    let reactivated = |removed: &[StaffId]| {
        assert!(removed.is_empty());
        vec![audit("service.reactivated")]
    };
    assert_eq!(store.set_service_active(fx.service.id, true, 1, &reactivated).await.unwrap(), 2);
    assert!(store.get_service_entry(fx.service.id).await.unwrap().unwrap().value.active);
    assert!(input(&store, fx.service.id, day, now()).await.staff.is_empty());
    assert_eq!(store.update_staff(&back, 1, &[audit("staff.updated")]).await.unwrap(), 2);
    assert_eq!(input(&store, fx.service.id, day, now()).await.staff.len(), 1);
    // A service of another centre is refused the same way.
    let (_, other_centre, other_queue) = seed_centre(&store).await;
    let foreign = make_service(&other_centre, &other_queue, "Fremmed", default_rules(1), Sensitivity::Normal);
    store.create_service(&foreign).await.unwrap();
    let wrong = StaffMember { services: vec![foreign.id], ..fx.staff[1].clone() };
    assert!(matches!(
        store.update_staff(&admin(&wrong, None), 1, &[audit("staff.updated")]).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(audit_rows(&store).await, 5);
    intact(&store).await;
}

async fn deactivating_staff_clears_their_services<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 2).await;
    let second = make_service(&fx.centre, &fx.queue, "Kørekort", default_rules(1), Sensitivity::Normal);
    store.create_service(&second).await.unwrap();
    let gives_both = StaffMember { services: vec![fx.service.id, second.id], ..fx.staff[0].clone() };
    store.update_staff(&admin(&gives_both, None), 0, &[audit("staff.updated")]).await.unwrap();
    let seen = Mutex::new(Vec::new());
    let audit_for = |removed: &[ServiceId]| {
        seen.lock().unwrap().extend_from_slice(removed);
        vec![audit("staff.deactivated")]
    };
    assert_eq!(store.set_staff_active(fx.staff[0].id, false, 1, &audit_for).await.unwrap(), 2);
    let mut expected = vec![fx.service.id, second.id];
    expected.sort();
    assert_eq!(*seen.lock().unwrap(), expected);
    let entry = staff_entry(&store, fx.staff[0].id).await;
    assert!(!entry.value.active && entry.value.staff.member.services.is_empty());
    let qualified: Vec<StaffId> =
        input(&store, fx.service.id, tuesday(), now()).await.staff.iter().map(|s| s.id).collect();
    assert_eq!(qualified, [fx.staff[1].id]);
    // Stale: refused, nothing written.
    assert!(matches!(store.set_staff_active(fx.staff[0].id, true, 1, &audit_for).await, Err(StoreError::Conflict)));
    assert!(!staff_entry(&store, fx.staff[0].id).await.value.active);
    assert_eq!(audit_rows(&store).await, 2);
    assert_eq!(store.set_staff_active(fx.staff[0].id, true, 2, &audit_for).await.unwrap(), 3);
    assert!(staff_entry(&store, fx.staff[0].id).await.value.active);
    intact(&store).await;
}

async fn reads_and_homes_stay_in_their_place<S: TestDb>(store: S) {
    let a = Fixture::seed(&store, 1, 1).await;
    let b = Fixture::seed(&store, 1, 1).await;
    let when = Interval::new(later(60), later(120)).unwrap();
    let closure = Closure { id: Uuid::new_v4(), centre_id: a.centre.id, when, reason: "Kursus".into() };
    store.add_closure_audited(&closure, &[audit("centre.closure_added")]).await.unwrap();
    let absence = Absence { id: Uuid::new_v4(), staff_id: a.staff[0].id, when };
    store.add_absence_audited(&absence, &[audit("staff.absence_added")]).await.unwrap();
    let home = Some((a.org.id, a.centre.id));
    for key in [
        ObjectKey::Centre(a.centre.id),
        ObjectKey::Queue(a.queue.id),
        ObjectKey::Service(a.service.id),
        ObjectKey::Staff(a.staff[0].id),
        ObjectKey::Closure(closure.id),
        ObjectKey::Absence(absence.id),
    ] {
        assert_eq!(store.home_of(key).await.unwrap(), home, "{key:?}");
    }
    assert_eq!(store.home_of(ObjectKey::Service(b.service.id)).await.unwrap(), Some((b.org.id, b.centre.id)));
    for key in [
        ObjectKey::Centre(CentreId::from_uuid(Uuid::new_v4())),
        ObjectKey::Queue(QueueId::from_uuid(Uuid::new_v4())),
        ObjectKey::Service(ServiceId::from_uuid(Uuid::new_v4())),
        ObjectKey::Staff(StaffId::from_uuid(Uuid::new_v4())),
        ObjectKey::Closure(Uuid::new_v4()),
        ObjectKey::Absence(a.service.id.as_uuid()),
    ] {
        assert_eq!(store.home_of(key).await.unwrap(), None, "{key:?}");
    }
    // By id, and only for the centre or staff member they belong to.
    assert_eq!(store.get_closure(closure.id).await.unwrap().unwrap().reason, "Kursus");
    assert_eq!(store.get_absence(absence.id).await.unwrap().unwrap().staff_id, a.staff[0].id);
    assert!(store.get_closure(absence.id).await.unwrap().is_none());
    let rows = audit_rows(&store).await;
    assert!(!store.remove_closure(b.centre.id, closure.id, &[audit("centre.closure_removed")]).await.unwrap());
    assert!(!store.remove_absence(b.staff[0].id, absence.id, &[audit("staff.absence_removed")]).await.unwrap());
    assert_eq!(audit_rows(&store).await, rows, "a refused removal writes no audit row");
    assert!(store.list_closures(b.centre.id, now()).await.unwrap().is_empty());
    assert_eq!(store.list_closures(a.centre.id, now()).await.unwrap().len(), 1);
    assert!(store.list_closures(a.centre.id, later(120)).await.unwrap().is_empty(), "ended closures are not listed");
    assert!(store.list_absences(b.staff[0].id, now()).await.unwrap().is_empty());
    // Lists hold their centre's rows only.
    let ids =
        |v: Vec<Versioned<skranke::store::ServiceEntry>>| v.into_iter().map(|s| s.value.service.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list_service_entries(a.centre.id).await.unwrap()), [a.service.id]);
    assert_eq!(ids(store.list_service_entries(b.centre.id).await.unwrap()), [b.service.id]);
    let staff = store.list_staff_entries(a.centre.id).await.unwrap();
    assert_eq!(staff.iter().map(|s| s.value.staff.member.id).collect::<Vec<_>>(), [a.staff[0].id]);
    assert_eq!(staff[0].value.staff.member.services, [a.service.id]);
    assert_eq!(store.list_staff(a.centre.id).await.unwrap().len(), 1);
    assert_eq!(store.list_services_versioned(a.centre.id).await.unwrap()[0].value.id, a.service.id);
    // Work addresses by organisation.
    let with_email = admin(&a.staff[0], Some("a@test.example.org"));
    store.update_staff(&with_email, 0, &[audit("staff.updated")]).await.unwrap();
    let with_email = admin(&b.staff[0], Some("b@test.example.org"));
    store.update_staff(&with_email, 0, &[audit("staff.updated")]).await.unwrap();
    assert_eq!(store.organisation_staff_emails(a.org.id).await.unwrap(), ["a@test.example.org"]);
    assert_eq!(store.organisation_staff_emails(b.org.id).await.unwrap(), ["b@test.example.org"]);
    // Centres by organisation, with versions.
    let centres = store.organisation_centres(a.org.id).await.unwrap();
    assert_eq!(centres.iter().map(|c| (c.value.id, c.version)).collect::<Vec<_>>(), [(a.centre.id, 0)]);
    intact(&store).await;
}

/// A deactivation racing staff updates that give the service: whichever commits first, no link
/// to the inactive service remains, and neither side fails with anything but `Conflict`.
async fn no_link_to_an_inactive_service_survives_a_race<S: TestDb>(store: S) {
    let fx = Fixture::seed(&store, 1, 0).await;
    for round in 0..15 {
        let service =
            make_service(&fx.centre, &fx.queue, &format!("Ydelse {round}"), default_rules(1), Sensitivity::Normal);
        store.create_service(&service).await.unwrap();
        let members: Vec<StaffMember> = (0..3).map(|i| make_staff(&fx.centre, &format!("M{round}-{i}"), &[])).collect();
        for m in &members {
            store.create_staff(m).await.unwrap();
        }
        let deactivate = {
            let store = store.clone();
            tokio::spawn(async move {
                let records = |_: &[StaffId]| vec![audit("service.deactivated")];
                store.set_service_active(service.id, false, 0, &records).await
            })
        };
        let updates: Vec<_> = members
            .iter()
            .map(|m| {
                let (store, giving) = (store.clone(), StaffMember { services: vec![service.id], ..m.clone() });
                tokio::spawn(
                    async move { store.update_staff(&admin(&giving, None), 0, &[audit("staff.updated")]).await },
                )
            })
            .collect();
        let deactivated = deactivate.await.unwrap();
        assert!(matches!(deactivated, Ok(1)), "{deactivated:?}");
        for u in updates {
            let r = u.await.unwrap();
            assert!(matches!(r, Ok(1) | Err(StoreError::Conflict)), "{r:?}");
        }
        let links = store
            .scalar("SELECT COUNT(*) FROM staff_services WHERE service_id = $1", &[Arg::Id(service.id.as_uuid())])
            .await;
        assert_eq!(links, 0, "round {round}: a link to the deactivated service survived");
    }
    intact(&store).await;
}
