//! Citizens' rights (issue 7, point 5) on both databases: the citizen's export through the
//! manage link holds the booking, its address, its messages and visits; staff at the booking's
//! centre export it on request by reference, others cannot; erasure blanks what need not stay,
//! refuses a booking still to come, and says what stays; every export and erasure is audited.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use skranke::app::{App, AppError, AppSettings, Principal, Via, rights};
use skranke::clock::ManualClock;
use skranke_core::access::{Grant, Role, Scope as GrantScope};
use skranke_core::audit::Label;
use skranke_core::ids::{AppointmentId, OrganisationId, UserId};
use skranke_core::secret::ManageToken;
use uuid::Uuid;

use crate::admin_app::IntoAny;
use crate::support::*;

both!(
    the_citizen_sees_everything_held_and_erases_what_need_not_stay,
    staff_export_and_erasure_on_request_at_the_booking_centre_only
);

const NOW: &str = "2026-06-15T10:00:00Z";

/// A booking ending `ends_in` from now with its address, one message and a visit.
async fn booking<S: TestDb>(
    store: &S,
    fx: &Fixture,
    status: &str,
    ends_in: SignedDuration,
    reference: &str,
) -> (AppointmentId, String) {
    let id = Uuid::new_v4();
    let token = ManageToken::from_random_bytes([reference.len() as u8; 32]);
    let end = NOW.parse::<Timestamp>().unwrap() + ends_in;
    store
        .execute(
            "INSERT INTO appointments (id, centre_id, service_id, reference, manage_token_hash, status, starts_at, \
             ends_at, occupied_until, citizen_name, citizen_email, citizen_phone, language, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 'Anna Holm', 'anna@example.org', '+4512345678', 'da', $7, $7)",
            &[
                Arg::Id(id),
                Arg::Id(fx.centre.id.as_uuid()),
                Arg::Id(fx.service.id.as_uuid()),
                Arg::Text(reference.into()),
                Arg::Text(token.hash().as_str().to_owned()),
                Arg::Text(status.into()),
                at(end - SignedDuration::from_mins(15)),
                at(end),
            ],
        )
        .await;
    let address = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, registrable_domain, \
             state, created_at) VALUES ($1, $2, 'citizen', 'appointment', $3, 'anna@example.org', 'example.org', 'unverified', 0)",
            &[Arg::Id(address), Arg::Id(fx.org.id.as_uuid()), Arg::Id(id)],
        )
        .await;
    store
        .execute(
            "INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, next_attempt_at, \
             created_at, sent_at, organisation_id, address_id, classes) \
             VALUES ($1, $2, 'booking_confirmed', 'anna@example.org', 'da', '{}', 'sent', 0, 0, $3, $4, $5, 'appointment,booking_reference')",
            &[Arg::Id(Uuid::new_v4()), Arg::Id(id), at(end - SignedDuration::from_hours(48)), Arg::Id(fx.org.id.as_uuid()), Arg::Id(address)],
        )
        .await;
    (AppointmentId::from_uuid(id), token.expose().to_owned())
}

fn app_for<S: TestDb + IntoAny>(store: &S) -> App {
    App::new(store.any(), Arc::new(ManualClock::new(NOW.parse().unwrap())), AppSettings::default())
}

async fn the_citizen_sees_everything_held_and_erases_what_need_not_stay<S: TestDb + IntoAny>(store: S) {
    let fx = Fixture::seed(&store, 5, 1).await;
    let app = app_for(&store);
    let (past, token) = booking(&store, &fx, "cancelled", -SignedDuration::from_hours(24), "K7Q-4MX").await;

    // The export: the booking with name and contact details, the address, the message.
    assert!(matches!(rights::export_for_holder(&app, past, Some("wrong")).await, Err(AppError::InvalidToken)));
    let export = rights::export_for_holder(&app, past, Some(&token)).await.unwrap();
    assert_eq!(export.controller, "Testkommune");
    assert_eq!(export.booking.reference, "K7Q-4MX");
    assert_eq!(export.booking.name.as_deref(), Some("Anna Holm"));
    assert_eq!(export.booking.phone.as_deref(), Some("+4512345678"));
    assert_eq!(export.addresses.len(), 1);
    assert_eq!(export.messages.len(), 1);
    assert_eq!(export.messages[0].recipient, "anna@example.org");
    assert!(!export.anonymised);
    let json = serde_json::to_value(&export).unwrap();
    assert_eq!(json["booking"]["email"], "anna@example.org");

    // The audit named the citizen's address by a pseudonym; its mapping goes with the erasure.
    let pseudonym = app.address_pseudonym(Some(fx.org.id), "anna@example.org").await.unwrap();
    store
        .execute(
            "INSERT INTO audit_pseudonyms (pseudonym, organisation_id, kind, value, first_at, last_at) \
             VALUES ($1, $2, 'address', 'anna@example.org', 0, 0)",
            &[Arg::Text(pseudonym.clone()), Arg::Id(fx.org.id.as_uuid())],
        )
        .await;
    assert_eq!(store.resolve_pseudonyms(std::slice::from_ref(&pseudonym)).await.unwrap().len(), 1);

    // Erasure: identity gone, the booking and the message record stay (without the recipient).
    rights::erase_for_holder(&app, past, Some(&token)).await.unwrap();
    assert!(store.resolve_pseudonyms(std::slice::from_ref(&pseudonym)).await.unwrap().is_empty());
    let after = rights::export_for_holder(&app, past, Some(&token)).await.unwrap();
    assert!(after.anonymised);
    assert_eq!((after.booking.name, after.booking.email, after.booking.phone), (None, None, None));
    assert_eq!(after.addresses[0].address, "@example.org");
    assert_eq!((after.messages.len(), after.messages[0].recipient.as_str()), (1, ""));
    assert_eq!(after.booking.status, "cancelled");

    // A booking still to come: cancel first. (Confirmed only for this call: a confirmed booking
    // owns seats, which the harness checks after every test.)
    let (upcoming, token2) = booking(&store, &fx, "cancelled", SignedDuration::from_hours(24), "HPX-2AB").await;
    let set = |status: &'static str| {
        let store = store.clone();
        async move {
            store
                .execute(
                    "UPDATE appointments SET status = $2 WHERE id = $1",
                    &[Arg::Id(upcoming.as_uuid()), Arg::Text(status.into())],
                )
                .await
        }
    };
    set("confirmed").await;
    let refused = rights::erase_for_holder(&app, upcoming, Some(&token2)).await;
    assert!(matches!(refused, Err(AppError::Field { field: "booking", code: "rights_cancel_first" })), "{refused:?}");
    set("cancelled").await;
    rights::erase_for_holder(&app, upcoming, Some(&token2)).await.unwrap();

    // Audited: two exports and two erasures, with no name in any entry.
    store.chain_audit_inbox().await.unwrap();
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'citizen.data_exported'", &[]).await, 2);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'citizen.data_erased'", &[]).await, 2);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%Anna%'", &[]).await, 0);
}

fn staff(org: OrganisationId, grant: Grant) -> Principal {
    Principal {
        user: UserId::from_uuid(Uuid::new_v4()),
        name: Label::new("Receptionist").unwrap(),
        organisation: Some(org),
        grants: vec![grant],
        via: Via::Session,
    }
}

async fn staff_export_and_erasure_on_request_at_the_booking_centre_only<S: TestDb + IntoAny>(store: S) {
    let fx = Fixture::seed(&store, 5, 1).await;
    let app = app_for(&store);
    booking(&store, &fx, "cancelled", -SignedDuration::from_hours(24), "K7Q-4MX").await;
    let org = fx.org.id;
    let at_centre = GrantScope::Centre { organisation: org, centre: fx.centre.id };
    let receptionist = staff(org, Grant::new(Role::Receptionist, at_centre).unwrap());
    let export = rights::export_by_staff(&app, &receptionist, " k7q-4mx ").await.unwrap();
    assert_eq!(export.booking.name.as_deref(), Some("Anna Holm"));
    // Not allowed: an organisation administrator (sees no citizens), another centre's staff,
    // another organisation's; a reference that is not one; one nobody has.
    let admin = staff(org, Grant::new(Role::OrgAdmin, GrantScope::Organisation(org)).unwrap());
    assert!(matches!(rights::export_by_staff(&app, &admin, "K7Q-4MX").await, Err(AppError::Forbidden)));
    let elsewhere = staff(
        org,
        Grant::new(
            Role::Receptionist,
            GrantScope::Centre { organisation: org, centre: skranke_core::ids::CentreId::from_uuid(Uuid::new_v4()) },
        )
        .unwrap(),
    );
    assert!(matches!(rights::export_by_staff(&app, &elsewhere, "K7Q-4MX").await, Err(AppError::Forbidden)));
    let stranger_org = OrganisationId::from_uuid(Uuid::new_v4());
    let stranger = staff(stranger_org, Grant::new(Role::OrgAdmin, GrantScope::Organisation(stranger_org)).unwrap());
    assert!(matches!(rights::export_by_staff(&app, &stranger, "K7Q-4MX").await, Err(AppError::NotFound(_))));
    assert!(matches!(
        rights::export_by_staff(&app, &receptionist, "not a ref").await,
        Err(AppError::Field { field: "reference", code: "reference_invalid" })
    ));
    assert!(matches!(rights::export_by_staff(&app, &receptionist, "XXX-9XX").await, Err(AppError::NotFound(_))));
    store.chain_audit_inbox().await.unwrap();
    let by_staff = store
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'citizen.data_exported' AND actor_kind = 'user'", &[])
        .await;
    assert_eq!(by_staff, 1, "only the export that happened");

    // Erasure on a request made to the municipality: staff who may manage the booking's
    // appointments there; not another centre's, not the administrator; audited as the user.
    assert!(matches!(rights::erase_by_staff(&app, &elsewhere, "K7Q-4MX").await, Err(AppError::Forbidden)));
    assert!(matches!(rights::erase_by_staff(&app, &admin, "K7Q-4MX").await, Err(AppError::Forbidden)));
    assert!(matches!(rights::erase_by_staff(&app, &stranger, "K7Q-4MX").await, Err(AppError::NotFound(_))));
    rights::erase_by_staff(&app, &receptionist, "K7Q-4MX").await.unwrap();
    let after = rights::export_by_staff(&app, &receptionist, "K7Q-4MX").await.unwrap();
    assert!(after.anonymised && after.booking.name.is_none() && after.booking.email.is_none());
    store.chain_audit_inbox().await.unwrap();
    let erased = store
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'citizen.data_erased' AND actor_kind = 'user' \
             AND detail LIKE '%staff%'",
            &[],
        )
        .await;
    assert_eq!(erased, 1);
}
