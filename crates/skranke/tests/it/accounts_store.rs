//! The accounts part of the store on both databases: users and grants, sessions and their ends,
//! API tokens, sign-in failures, reset links, server keys and the audit search. Every write that
//! records an audit entry commits it with the change (or neither).

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use skranke::store::{ApiTokenRecord, AuditQuery, NewSession, StoreError, User};
use skranke_core::access::{Grant, Role, Scope};
use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label, ObjectRef};
use skranke_core::ids::{ApiTokenId, SessionId, UserId};
use skranke_core::secret::SecretHash;
use uuid::Uuid;

use crate::support::*;

both!(
    users_and_grants,
    sessions_end_by_revocation_timeouts_and_sign_out_everywhere,
    api_tokens_live_until_revoked_expired_or_their_grant_goes,
    sign_in_failures_count_and_prune,
    reset_links_work_once,
    server_keys_are_decided_once,
    audit_search_filters_and_stays_in_its_organisation,
);

fn at(min: i64) -> Timestamp {
    now().checked_add(SignedDuration::from_mins(min)).unwrap()
}

fn hash(s: &str) -> SecretHash {
    SecretHash::from_stored(format!("{s:0>64}"))
}

fn user(org: Option<skranke_core::ids::OrganisationId>, email: &str) -> User {
    User {
        id: UserId::from_uuid(Uuid::new_v4()),
        organisation: org,
        email: email.into(),
        name: format!("Navn {email}"),
        password_hash: Some("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into()),
        created_at: now(),
        disabled_at: None,
        sessions_valid_after: Timestamp::UNIX_EPOCH,
    }
}

fn record(org: Option<skranke_core::ids::OrganisationId>, action: &str, object: &str, t: Timestamp) -> AuditRecord {
    AuditRecord {
        at: t,
        organisation: org,
        actor: Actor::User { id: Uuid::from_u128(1), label: Label::new("Admin").unwrap() },
        action: Action::new(action).unwrap(),
        object: Some(ObjectRef::new("user", object).unwrap()),
        detail: Detail::new(json!({ "n": 1 })).unwrap(),
    }
}

async fn audit_count<S: TestDb>(store: &S) -> i64 {
    store.scalar("SELECT COUNT(*) FROM audit_log", &[]).await
}

async fn users_and_grants<S: TestDb>(store: S) {
    let (org, centre, _) = seed_centre(&store).await;
    let u = user(Some(org.id), "a@test.example.org");
    let at_org = Grant::new(Role::OrgAdmin, Scope::Organisation(org.id)).unwrap();
    let at_centre = Grant::new(Role::Caseworker, Scope::Centre { organisation: org.id, centre: centre.id }).unwrap();
    store.create_user(&u, &[at_org], &[record(Some(org.id), "user.created", "a", now())]).await.unwrap();
    assert_eq!(audit_count(&store).await, 1);
    // The same address again: Duplicate, and no audit row.
    let dup = user(Some(org.id), "a@test.example.org");
    assert!(matches!(
        store.create_user(&dup, &[], &[record(Some(org.id), "user.created", "dup", now())]).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(audit_count(&store).await, 1);
    let found = store.find_user_by_email("a@test.example.org").await.unwrap().unwrap();
    assert_eq!(found.id, u.id);
    assert!(store.find_user_by_email("b@test.example.org").await.unwrap().is_none());
    // Grants: adding twice is one grant and one audit row.
    assert!(
        store
            .add_grant(u.id, &at_centre, now(), &[record(Some(org.id), "user.role_granted", "a", now())])
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_grant(u.id, &at_centre, now(), &[record(Some(org.id), "user.role_granted", "a", now())])
            .await
            .unwrap()
    );
    assert_eq!(audit_count(&store).await, 2);
    let grants = store.user_grants(u.id).await.unwrap();
    assert_eq!(grants.len(), 2);
    assert!(grants.contains(&at_org) && grants.contains(&at_centre));
    let listed = store.list_users(org.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].grants.len(), 2);
    assert!(
        store
            .remove_grant(u.id, &at_centre, now(), &[record(Some(org.id), "user.role_revoked", "a", now())])
            .await
            .unwrap()
    );
    assert!(!store.remove_grant(u.id, &at_centre, now(), &[]).await.unwrap());
    assert_eq!(store.user_grants(u.id).await.unwrap(), vec![at_org]);
    assert_eq!(store.organisation_mail_domains(org.id).await.unwrap().unwrap(), vec!["test.example.org".to_owned()]);
    // A platform operator has no organisation and a platform grant.
    let op = user(None, "op@platform.example.org");
    store.create_user(&op, &[Grant::new(Role::PlatformOperator, Scope::Platform).unwrap()], &[]).await.unwrap();
    assert_eq!(store.user_grants(op.id).await.unwrap()[0].scope(), Scope::Platform);
}

fn session(u: &User, token: &str, created: Timestamp) -> NewSession {
    NewSession {
        id: SessionId::from_uuid(Uuid::new_v4()),
        token_hash: hash(token),
        user: u.id,
        created_at: created,
        expires_at: created.checked_add(SignedDuration::from_hours(10)).unwrap(),
    }
}

async fn sessions_end_by_revocation_timeouts_and_sign_out_everywhere<S: TestDb>(store: S) {
    let (org, _, _) = seed_centre(&store).await;
    let u = user(Some(org.id), "s@test.example.org");
    let grant = Grant::new(Role::OrgAdmin, Scope::Organisation(org.id)).unwrap();
    store.create_user(&u, &[grant], &[]).await.unwrap();
    let idle = SignedDuration::from_mins(30);
    let s1 = session(&u, "a1", now());
    store.create_session(&s1, &[], &[record(Some(org.id), "auth.sign_in", "s", now())]).await.unwrap();
    let live = store.active_session(&hash("a1"), at(1), idle).await.unwrap().unwrap();
    assert_eq!(live.user.id, u.id);
    assert_eq!(live.grants, vec![grant]);
    assert!(store.active_session(&hash("zz"), at(1), idle).await.unwrap().is_none());
    // A visit moves the idle timeout (written at most once a minute).
    assert!(store.active_session(&hash("a1"), at(25), idle).await.unwrap().is_some());
    assert!(store.active_session(&hash("a1"), at(50), idle).await.unwrap().is_some());
    assert!(store.active_session(&hash("a1"), at(90), idle).await.unwrap().is_none(), "idle 40 minutes");
    // The absolute timeout.
    let s2 = session(&u, "a2", now());
    store.create_session(&s2, &[], &[]).await.unwrap();
    assert!(
        store.active_session(&hash("a2"), at(10 * 60 + 1), SignedDuration::from_hours(24)).await.unwrap().is_none()
    );
    // Sign-out ends one session.
    let s3 = session(&u, "a3", at(1));
    let s4 = session(&u, "a4", at(1));
    store.create_session(&s3, &[], &[]).await.unwrap();
    store.create_session(&s4, &[], &[]).await.unwrap();
    store.revoke_session(s3.id, at(2), &[record(Some(org.id), "auth.sign_out", "s", at(2))]).await.unwrap();
    assert!(store.active_session(&hash("a3"), at(3), idle).await.unwrap().is_none());
    assert!(store.active_session(&hash("a4"), at(3), idle).await.unwrap().is_some());
    // Sign out everywhere ends the rest, and sessions made before it stay void.
    store.revoke_user_sessions(u.id, at(4), &[]).await.unwrap();
    assert!(store.active_session(&hash("a4"), at(5), idle).await.unwrap().is_none());
    let s5 = session(&u, "a5", at(6));
    store.create_session(&s5, &[], &[]).await.unwrap();
    assert!(store.active_session(&hash("a5"), at(7), idle).await.unwrap().is_some());
    // A password change ends every session; disabling too, and keeps new ones from working.
    store.set_password(u.id, "$argon2id$new", at(8), &[]).await.unwrap();
    assert!(store.active_session(&hash("a5"), at(9), idle).await.unwrap().is_none());
    let s6 = session(&u, "a6", at(10));
    store.create_session(&s6, &[], &[]).await.unwrap();
    store.set_user_disabled(u.id, Some(at(11)), at(11), &[]).await.unwrap();
    let s7 = session(&u, "a7", at(12));
    store.create_session(&s7, &[], &[]).await.unwrap();
    assert!(store.active_session(&hash("a6"), at(12), idle).await.unwrap().is_none());
    assert!(
        store.active_session(&hash("a7"), at(12), idle).await.unwrap().is_none(),
        "a disabled account has no sessions"
    );
    assert!(matches!(
        store.set_password(UserId::from_uuid(Uuid::new_v4()), "x", at(13), &[]).await,
        Err(StoreError::NotFound)
    ));
    // Retention: ended sessions go.
    assert!(store.prune_sign_in_data(at(60 * 24), at(60 * 24)).await.unwrap() >= 7);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM sessions", &[]).await, 0);
}

fn token(u: &User, grant: Grant, expires: Option<Timestamp>) -> ApiTokenRecord {
    ApiTokenRecord {
        id: ApiTokenId::from_uuid(Uuid::new_v4()),
        user: u.id,
        hint: "skr_abcdef…".into(),
        label: "Integration".into(),
        grant,
        created_at: now(),
        expires_at: expires,
        last_used_at: None,
        revoked_at: None,
    }
}

async fn api_tokens_live_until_revoked_expired_or_their_grant_goes<S: TestDb>(store: S) {
    let (org, centre, _) = seed_centre(&store).await;
    let u = user(Some(org.id), "t@test.example.org");
    let g1 = Grant::new(Role::OrgAdmin, Scope::Organisation(org.id)).unwrap();
    let g2 = Grant::new(Role::Receptionist, Scope::Centre { organisation: org.id, centre: centre.id }).unwrap();
    store.create_user(&u, &[g1, g2], &[]).await.unwrap();
    let t1 = token(&u, g1, None);
    let t2 = token(&u, g2, Some(at(60)));
    store.create_api_token(&t1, &hash("t1"), &[record(Some(org.id), "api_token.created", "t1", now())]).await.unwrap();
    store.create_api_token(&t2, &hash("t2"), &[]).await.unwrap();
    let active = store.active_api_token(&hash("t1"), at(1)).await.unwrap().unwrap();
    assert_eq!(active.token.grant, g1);
    assert_eq!(active.user_grants.len(), 2);
    assert_eq!(store.list_api_tokens(u.id).await.unwrap().len(), 2);
    // Expiry.
    assert!(store.active_api_token(&hash("t2"), at(59)).await.unwrap().is_some());
    assert!(store.active_api_token(&hash("t2"), at(61)).await.unwrap().is_none());
    // Only the owner revokes.
    let stranger = UserId::from_uuid(Uuid::new_v4());
    assert!(!store.revoke_api_token(t1.id, stranger, at(2), &[]).await.unwrap());
    assert!(
        store
            .revoke_api_token(t1.id, u.id, at(2), &[record(Some(org.id), "api_token.revoked", "t1", at(2))])
            .await
            .unwrap()
    );
    assert!(store.active_api_token(&hash("t1"), at(3)).await.unwrap().is_none());
    // Removing a grant revokes the tokens that act with it.
    let t3 = token(&u, g2, None);
    store.create_api_token(&t3, &hash("t3"), &[]).await.unwrap();
    assert!(store.remove_grant(u.id, &g2, at(4), &[]).await.unwrap());
    assert!(store.active_api_token(&hash("t3"), at(5)).await.unwrap().is_none());
    // Token hashes are unique.
    let dup = token(&u, g1, None);
    assert!(matches!(store.create_api_token(&dup, &hash("t3"), &[]).await, Err(StoreError::Duplicate(_))));
}

async fn sign_in_failures_count_and_prune<S: TestDb>(store: S) {
    let subjects = vec!["account:aa".to_owned(), "ip:bb".to_owned()];
    for m in 0..3 {
        store
            .record_sign_in_failure(&subjects, at(m), &[record(None, "auth.sign_in_failed", "x", at(m))])
            .await
            .unwrap();
    }
    assert_eq!(store.sign_in_failures("account:aa", now()).await.unwrap(), (3, Some(at(2))));
    assert_eq!(store.sign_in_failures("account:aa", at(1)).await.unwrap(), (2, Some(at(2))));
    assert_eq!(store.sign_in_failures("ip:cc", now()).await.unwrap(), (0, None));
    // A successful sign-in clears the account's failures, not the address's.
    let (org, _, _) = seed_centre(&store).await;
    let u = user(Some(org.id), "f@test.example.org");
    store.create_user(&u, &[], &[]).await.unwrap();
    store.create_session(&session(&u, "f1", at(3)), &["account:aa".to_owned()], &[]).await.unwrap();
    assert_eq!(store.sign_in_failures("account:aa", now()).await.unwrap().0, 0);
    assert_eq!(store.sign_in_failures("ip:bb", now()).await.unwrap().0, 3);
    store.prune_sign_in_data(at(2), now()).await.unwrap();
    assert_eq!(store.sign_in_failures("ip:bb", now()).await.unwrap(), (1, Some(at(2))));
    assert_eq!(audit_count(&store).await, 3);
}

async fn reset_links_work_once<S: TestDb>(store: S) {
    let (org, _, _) = seed_centre(&store).await;
    let u = user(Some(org.id), "r@test.example.org");
    store.create_user(&u, &[], &[]).await.unwrap();
    store.create_session(&session(&u, "r-session", now()), &[], &[]).await.unwrap();
    store
        .create_password_reset(
            &hash("r1"),
            u.id,
            None,
            now(),
            at(60),
            &[record(Some(org.id), "user.password_link_created", "r", now())],
        )
        .await
        .unwrap();
    assert_eq!(store.password_reset_user(&hash("r1"), at(1)).await.unwrap().unwrap().id, u.id);
    assert!(store.password_reset_user(&hash("r1"), at(61)).await.unwrap().is_none(), "expired");
    // A newer link replaces an older one.
    store.create_password_reset(&hash("r2"), u.id, None, at(2), at(60), &[]).await.unwrap();
    assert!(store.password_reset_user(&hash("r1"), at(3)).await.unwrap().is_none());
    let make = |user: &User| vec![record(user.organisation, "auth.password_set_with_link", "r", at(4))];
    let before = audit_count(&store).await;
    assert_eq!(store.complete_password_reset(&hash("r2"), "$argon2id$set", at(4), &make).await.unwrap(), Some(u.id));
    assert_eq!(audit_count(&store).await, before + 1);
    assert_eq!(
        store.complete_password_reset(&hash("r2"), "$argon2id$again", at(5), &make).await.unwrap(),
        None,
        "used once"
    );
    assert_eq!(audit_count(&store).await, before + 1, "a refused use writes nothing");
    assert_eq!(store.get_user(u.id).await.unwrap().unwrap().password_hash.as_deref(), Some("$argon2id$set"));
    assert!(store.active_session(&hash("r-session"), at(6), SignedDuration::from_hours(1)).await.unwrap().is_none());
}

async fn server_keys_are_decided_once<S: TestDb>(store: S) {
    let first = store.server_key("throttle", &[1; 32], now()).await.unwrap();
    let second = store.server_key("throttle", &[2; 32], now()).await.unwrap();
    assert_eq!(first, vec![1; 32]);
    assert_eq!(second, first, "the first instance to ask decides");
}

async fn audit_search_filters_and_stays_in_its_organisation<S: TestDb>(store: S) {
    let (a, _, _) = seed_centre(&store).await;
    let (b, _, _) = seed_centre(&store).await;
    let mut records = Vec::new();
    for i in 0..30i64 {
        let org = if i % 3 == 0 { b.id } else { a.id };
        let action = if i % 2 == 0 { "service.update" } else { "user.created" };
        records.push(record(Some(org), action, &format!("o{}", i % 5), at(i)));
    }
    records.push(record(None, "organisation.created", "p", at(31)));
    store.append_audit(&records).await.unwrap();
    let q = |f: &dyn Fn(&mut AuditQuery)| {
        let mut q = AuditQuery { organisation: Some(a.id), limit: 100, ..AuditQuery::default() };
        f(&mut q);
        q
    };
    let all_a = store.search_audit(&q(&|_| {})).await.unwrap();
    assert_eq!(all_a.len(), 20);
    assert!(all_a.iter().all(|e| e.record.organisation == Some(a.id)));
    assert!(all_a.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let updates = store.search_audit(&q(&|q| q.action_prefix = Some("service.".into()))).await.unwrap();
    assert!(!updates.is_empty() && updates.iter().all(|e| e.record.action.as_str() == "service.update"));
    // A LIKE wildcard in the prefix is text, not a pattern.
    assert!(store.search_audit(&q(&|q| q.action_prefix = Some("%".into()))).await.unwrap().is_empty());
    let one = store
        .search_audit(&q(&|q| {
            q.object_kind = Some("user".into());
            q.object_id = Some("o1".into());
        }))
        .await
        .unwrap();
    assert!(!one.is_empty() && one.iter().all(|e| e.record.object.as_ref().unwrap().id() == "o1"));
    let window = store
        .search_audit(&q(&|q| {
            q.from = Some(at(10));
            q.to = Some(at(20));
        }))
        .await
        .unwrap();
    assert!(window.iter().all(|e| e.record.at >= at(10) && e.record.at < at(20)));
    assert_eq!(window.len(), (10..20).filter(|i| i % 3 != 0).count());
    let page1 = store.search_audit(&q(&|q| q.limit = 5)).await.unwrap();
    let page2 = store
        .search_audit(&q(&|q| {
            q.limit = 5;
            q.before_seq = Some(page1.last().unwrap().seq);
        }))
        .await
        .unwrap();
    assert_eq!(page2.len(), 5);
    assert!(page2[0].seq < page1[4].seq);
    let by_actor = store.search_audit(&q(&|q| q.actor = Some(Uuid::from_u128(1)))).await.unwrap();
    assert_eq!(by_actor.len(), 20);
    assert!(store.search_audit(&q(&|q| q.actor = Some(Uuid::from_u128(2)))).await.unwrap().is_empty());
    let platform =
        store.search_audit(&AuditQuery { organisation: None, limit: 10, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(platform.len(), 1);
    assert_eq!(platform[0].record.action.as_str(), "organisation.created");
}
