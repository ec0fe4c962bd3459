//! Retention (issue 7, point 3) on both databases: a pass at a chosen clock time removes or
//! anonymises exactly what each class's period says and nothing else; a second pass finds
//! nothing; an organisation's own period is honoured; a period below a class's minimum is refused
//! with its reason; statistics keep their numbers; every pass that removed something is audited.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use skranke::app::{App, AppError, AppSettings, Principal, Via, retention};
use skranke::clock::ManualClock;
use skranke_core::access::{Grant, Role, Scope as GrantScope};
use skranke_core::audit::Label;
use skranke_core::ids::{OrganisationId, UserId};
use skranke_core::retention::RetentionClass;
use uuid::Uuid;

use crate::admin_app::IntoAny;
use crate::support::*;

both!(retention_removes_exactly_what_the_periods_say_and_is_idempotent, periods_are_set_per_organisation_within_bounds);

const NOW: &str = "2026-06-15T10:00:00Z";

fn days_ago(days: i64) -> Timestamp {
    NOW.parse::<Timestamp>().unwrap() - SignedDuration::from_hours(24 * days)
}

async fn booking<S: TestDb>(store: &S, fx: &Fixture, status: &str, ends_days_ago: i64, reference: &str) -> Uuid {
    let id = Uuid::new_v4();
    let end = days_ago(ends_days_ago);
    store
        .execute(
            "INSERT INTO appointments (id, centre_id, service_id, reference, manage_token_hash, status, starts_at, \
             ends_at, occupied_until, citizen_name, citizen_email, citizen_phone, language, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'x', $5, $6, $7, $7, 'Anna Holm', 'anna@example.org', '+4512345678', 'da', $6, $7)",
            &[
                Arg::Id(id),
                Arg::Id(fx.centre.id.as_uuid()),
                Arg::Id(fx.service.id.as_uuid()),
                Arg::Text(reference.into()),
                Arg::Text(status.into()),
                at(end - SignedDuration::from_mins(15)),
                at(end),
            ],
        )
        .await;
    id
}

async fn address<S: TestDb>(
    store: &S,
    org: OrganisationId,
    owner: (&str, Uuid),
    text: &str,
    created_days_ago: i64,
) -> Uuid {
    let id = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO addresses (id, organisation_id, audience, owner_kind, owner_id, address, registrable_domain, \
             state, created_at) VALUES ($1, $2, 'citizen', $3, $4, $5, 'example.org', 'unverified', $6)",
            &[
                Arg::Id(id),
                Arg::Id(org.as_uuid()),
                Arg::Text(owner.0.into()),
                Arg::Id(owner.1),
                Arg::Text(text.into()),
                at(days_ago(created_days_ago)),
            ],
        )
        .await;
    id
}

async fn sent<S: TestDb>(store: &S, org: OrganisationId, address: Uuid, appointment: Option<Uuid>, days: i64) -> Uuid {
    let id = Uuid::new_v4();
    store
        .execute(
            "INSERT INTO outbox (id, appointment_id, template, recipient, language, payload, status, next_attempt_at, \
             created_at, sent_at, organisation_id, address_id, classes) \
             VALUES ($1, $2, 'booking_confirmed', 'anna@example.org', 'da', '{}', 'sent', 0, $3, $3, $4, $5, 'appointment')",
            &[
                Arg::Id(id),
                appointment.map_or(Arg::NullId, Arg::Id),
                at(days_ago(days)),
                Arg::Id(org.as_uuid()),
                Arg::Id(address),
            ],
        )
        .await;
    store
        .execute(
            "INSERT INTO dev_mailbox (id, outbox_id, recipient, subject, body_text, delivered_at) \
             VALUES ($1, $2, 'anna@example.org', 'Din tid', 'Kære Anna …', $3)",
            &[Arg::Id(Uuid::new_v4()), Arg::Id(id), at(days_ago(days))],
        )
        .await;
    id
}

fn admin(org: OrganisationId, role: Role) -> Principal {
    Principal {
        user: UserId::from_uuid(Uuid::new_v4()),
        name: Label::new("Administrator").unwrap(),
        organisation: Some(org),
        grants: vec![Grant::new(role, GrantScope::Organisation(org)).unwrap()],
        via: Via::Session,
    }
}

async fn count<S: TestDb>(store: &S, sql: &'static str, id: Uuid) -> i64 {
    store.scalar(sql, &[Arg::Id(id)]).await
}

fn done(report: &[retention::OrgReport], org: OrganisationId) -> Vec<(RetentionClass, u64)> {
    report.iter().find(|r| r.organisation == org).map(|r| r.done.clone()).unwrap_or_default()
}

async fn retention_removes_exactly_what_the_periods_say_and_is_idempotent<S: TestDb + IntoAny>(store: S) {
    let fx = Fixture::seed(&store, 5, 1).await;
    let org = fx.org.id;
    // Bookings: one ended 100 days ago (past the 90-day default), one 80 days ago (not yet), a
    // hold that expired 10 days ago (past 7), one 3 days ago (not yet).
    let old = booking(&store, &fx, "cancelled", 100, "OLD-1").await;
    let recent = booking(&store, &fx, "cancelled", 80, "NEW-1").await;
    let expired = booking(&store, &fx, "expired", 10, "EXP-1").await;
    let just_expired = booking(&store, &fx, "expired", 3, "EXP-2").await;
    // The old booking's address, mailed; unverified addresses: one never mailed 40 days old
    // (past 30), one mailed, one 10 days old.
    let old_address = address(&store, org, ("appointment", old), "anna@example.org", 100).await;
    let unmailed = address(&store, org, ("appointment", Uuid::new_v4()), "bo@example.org", 40).await;
    let mailed = address(&store, org, ("appointment", Uuid::new_v4()), "carl@example.org", 40).await;
    let young = address(&store, org, ("appointment", Uuid::new_v4()), "dan@example.org", 10).await;
    // Messages: six years old (past the five-year default), four years old, and copies in the
    // demo mailbox 40 and 10 days old.
    let ancient = sent(&store, org, mailed, None, 6 * 365).await;
    let four_years = sent(&store, org, mailed, None, 4 * 365).await;
    let about_old = sent(&store, org, old_address, Some(old), 100).await;
    let copy_young = sent(&store, org, mailed, None, 10).await;
    let bookings_before = store.scalar("SELECT COUNT(*) FROM appointments WHERE status = 'cancelled'", &[]).await;
    // The audit: what two pseudonyms stand for, last used 800 days ago (past the two-year default)
    // and 100 days ago; entries of this organisation six years old (past five) and four.
    for (pseudonym, days) in [("ps_old", 800), ("ps_recent", 100)] {
        store
            .execute(
                "INSERT INTO audit_pseudonyms (pseudonym, organisation_id, kind, value, first_at, last_at) \
                 VALUES ($1, $2, 'address', 'x@example.org', $3, $3)",
                &[Arg::Text(pseudonym.into()), Arg::Id(org.as_uuid()), at(days_ago(days))],
            )
            .await;
    }
    let audit_at = |days| skranke_core::audit::AuditRecord {
        at: days_ago(days),
        organisation: Some(org),
        actor: skranke_core::audit::Actor::System { label: skranke_core::audit::Label::new("outbox").unwrap() },
        action: skranke_core::audit::Action::new("mail.sent").unwrap(),
        object: None,
        detail: skranke_core::audit::Detail::new(serde_json::json!({ "recipient": "ps_old" })).unwrap(),
    };
    store.append_audit(&[audit_at(6 * 365), audit_at(4 * 365)]).await.unwrap();

    let clock = ManualClock::new(NOW.parse().unwrap());
    let app = App::new(store.any(), Arc::new(clock.clone()), AppSettings::default());
    let first = retention::run(&app).await.unwrap();
    assert_eq!(
        done(&first, org),
        vec![
            (RetentionClass::CitizenIdentity, 1),
            (RetentionClass::UnverifiedAddresses, 1),
            (RetentionClass::ExpiredHolds, 1),
            // The demo mailbox copy of the 100-day message went with its citizen's identity;
            // those of the 6- and 4-year messages are past 30 days: 2.
            (RetentionClass::MessageBodies, 2),
            (RetentionClass::MessageRecords, 1),
            (RetentionClass::AuditPseudonyms, 1),
            (RetentionClass::AuditPayloads, 1),
        ]
    );
    // The audit: the old mapping is gone, the recent one stays; the six-year-old entry lost its
    // payload, the four-year-old did not, and the chain verifies.
    let mapped = "SELECT COUNT(*) FROM audit_pseudonyms WHERE pseudonym = $1";
    assert_eq!(store.scalar(mapped, &[Arg::Text("ps_old".into())]).await, 0);
    assert_eq!(store.scalar(mapped, &[Arg::Text("ps_recent".into())]).await, 1);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'mail.sent' AND detail = ''", &[]).await, 1);
    assert_eq!(
        store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'mail.sent' AND detail <> ''", &[]).await,
        1
    );
    match skranke::audit_verify::verify(&store).await.unwrap() {
        skranke::audit_verify::Outcome::Intact(summary) => assert_eq!(summary.erased, 1),
        other => panic!("{other:?}"),
    }
    // The old booking: anonymised, still counted; its address keeps only its domain; its
    // message keeps the record but not the recipient.
    let name_of = "SELECT COUNT(*) FROM appointments WHERE id = $1 AND citizen_name = '' AND citizen_email IS NULL \
                   AND citizen_phone IS NULL AND status = 'cancelled'";
    assert_eq!(count(&store, name_of, old).await, 1);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM appointments WHERE id = $1 AND citizen_name = 'Anna Holm'", recent).await,
        1
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM addresses WHERE id = $1 AND address = '@example.org'", old_address).await,
        1
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox WHERE id = $1 AND recipient = ''", about_old).await, 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM dev_mailbox WHERE outbox_id = $1", about_old).await, 0);
    assert_eq!(
        store.scalar("SELECT COUNT(*) FROM appointments WHERE status = 'cancelled'", &[]).await,
        bookings_before,
        "statistics keep their numbers"
    );
    // Holds and addresses.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM appointments WHERE id = $1", expired).await, 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM appointments WHERE id = $1", just_expired).await, 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM addresses WHERE id = $1", unmailed).await, 0);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM addresses WHERE id = $1", mailed).await,
        1,
        "mailed: kept for scoping"
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM addresses WHERE id = $1", young).await, 1);
    // Messages.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox WHERE id = $1", ancient).await, 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox WHERE id = $1", four_years).await, 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM dev_mailbox WHERE outbox_id = $1", four_years).await, 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM dev_mailbox WHERE outbox_id = $1", copy_young).await, 1);

    // Idempotent: the same time again finds nothing.
    let second = retention::run(&app).await.unwrap();
    assert!(done(&second, org).iter().all(|(_, n)| *n == 0), "{second:?}");

    // Twenty days later the recent booking (then 100 days) and the young address (30 days,
    // exactly the period: not past it) are due; the former goes.
    clock.advance(SignedDuration::from_hours(24 * 20));
    let later = retention::run(&app).await.unwrap();
    assert_eq!(done(&later, org)[0], (RetentionClass::CitizenIdentity, 1));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM appointments WHERE id = $1 AND citizen_name = ''", recent).await, 1);
    assert_eq!(done(&later, org)[1], (RetentionClass::UnverifiedAddresses, 0));

    // Each pass that removed something is audited with its counts, as the retention job.
    store.chain_audit_inbox().await.unwrap();
    let passes = store
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'retention.applied' AND actor_label = 'retention'", &[])
        .await;
    assert_eq!(passes, 2);
}

async fn periods_are_set_per_organisation_within_bounds<S: TestDb + IntoAny>(store: S) {
    let fx = Fixture::seed(&store, 5, 1).await;
    let org = fx.org.id;
    let other = Fixture::seed(&store, 5, 1).await;
    let mine = booking(&store, &fx, "cancelled", 40, "MINE-1").await;
    let theirs = booking(&store, &other, "cancelled", 40, "THEIRS-1").await;
    let app = App::new(store.any(), Arc::new(ManualClock::new(NOW.parse().unwrap())), AppSettings::default());
    let administrator = admin(org, Role::OrgAdmin);

    // Refused: below a minimum (with the reason), above ten years, not a number, unknown class,
    // and anyone but an organisation administrator.
    let refused = |r: Result<(), AppError>| match r {
        Err(AppError::Field { field, code }) => (field, code),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused(retention::set_period(&app, &administrator, "message_records", "365").await),
        ("days", "retention_min_message_records")
    );
    let reason = skranke::http::error::message_of(
        &AppError::Field { field: "days", code: "retention_min_message_records" },
        skranke::i18n::Lang::Da,
    );
    assert!(reason.contains("3 år") && reason.contains("forældelsesloven"), "{reason}");
    assert_eq!(
        refused(retention::set_period(&app, &administrator, "citizen_identity", "0").await),
        ("days", "retention_min_one_day")
    );
    assert_eq!(
        refused(retention::set_period(&app, &administrator, "citizen_identity", "4000").await),
        ("days", "retention_above_maximum")
    );
    assert_eq!(
        refused(retention::set_period(&app, &administrator, "citizen_identity", "tre").await),
        ("days", "not_a_number")
    );
    assert_eq!(refused(retention::set_period(&app, &administrator, "cpr", "30").await), ("class", "retention_class"));
    let dpo = admin(org, Role::DataProtectionOfficer);
    assert!(matches!(retention::set_period(&app, &dpo, "citizen_identity", "30").await, Err(AppError::Forbidden)));
    assert_eq!(retention::policy(&app, org).await.unwrap(), skranke_core::retention::Policy::default());

    // Thirty days for this organisation only: its 40-day-old booking goes, the other's stays.
    retention::set_period(&app, &administrator, "citizen_identity", "30").await.unwrap();
    assert_eq!(retention::policy(&app, org).await.unwrap().days(RetentionClass::CitizenIdentity), 30);
    retention::run(&app).await.unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM appointments WHERE id = $1 AND citizen_name = ''", mine).await, 1);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM appointments WHERE id = $1 AND citizen_name = 'Anna Holm'", theirs).await,
        1
    );
    store.chain_audit_inbox().await.unwrap();
    let changed = store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'retention.changed'", &[]).await;
    assert_eq!(changed, 1, "only the accepted change is audited");
}
