//! The audit log's tamper evidence on both databases: entries are appended through the store,
//! then rows are edited, deleted and reordered behind its back with plain SQL, and
//! `audit_verify::verify` (what `skranke audit verify` runs) must name the first bad entry.

use jiff::Timestamp;
use serde_json::json;
use skranke::audit_verify::{Outcome, verify};
use skranke_core::audit::{Action, Actor, AuditRecord, BreakKind, Detail, Label, ObjectRef};
use skranke_core::ids::OrganisationId;
use skranke_core::retention::RetentionClass;
use uuid::Uuid;

use crate::support::*;

both!(
    an_untouched_chain_verifies,
    an_edited_entry_is_named,
    an_edited_detail_is_named,
    a_deleted_entry_is_named,
    reordered_entries_are_named,
    deleting_the_newest_entries_is_caught_by_the_head,
    a_row_beyond_the_head_is_caught,
    a_row_that_cannot_be_read_is_reported_not_skipped,
    another_writer_moving_the_head_is_noticed,
    many_writers_at_once_make_one_chain,
    entries_a_dead_writer_left_unchained_are_chained_by_verify,
    erased_payloads_verify_and_tampering_is_still_caught,
);

fn record(i: u32) -> AuditRecord {
    AuditRecord {
        at: Timestamp::from_second(1_790_000_000 + i64::from(i)).unwrap(),
        organisation: Some(OrganisationId::from_uuid(Uuid::from_u128(7))),
        actor: Actor::User {
            id: Uuid::from_u128(42),
            label: Label::new("admin@eksempel-kommune.example.org").unwrap(),
        },
        action: Action::new("service.update").unwrap(),
        object: Some(ObjectRef::new("service", &format!("svc-{i}")).unwrap()),
        detail: Detail::new(json!({ "duration_minutes": { "old": 10, "new": 10 + i } })).unwrap(),
    }
}

/// Appends 30 entries in three transactions (10 each), as three use cases would.
async fn seed<S: TestDb>(store: &S) {
    for batch in 0..3u32 {
        let records: Vec<AuditRecord> = (0..10).map(|i| record(batch * 10 + i + 1)).collect();
        store.append_audit(&records).await.unwrap();
    }
    assert_eq!(store.audit_head().await.unwrap().seq, 30);
}

async fn broken_at<S: TestDb>(store: &S) -> (u64, BreakKind) {
    match verify(store).await.unwrap() {
        Outcome::Broken(b) => (b.seq, b.kind),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

async fn an_untouched_chain_verifies<S: TestDb>(store: S) {
    match verify(&store).await.unwrap() {
        Outcome::Intact(summary) => assert_eq!((summary.entries, summary.head.seq), (0, 0), "empty log"),
        other => panic!("{other:?}"),
    }
    seed(&store).await;
    match verify(&store).await.unwrap() {
        Outcome::Intact(summary) => assert_eq!(summary.entries, 30),
        other => panic!("{other:?}"),
    }
    let page = store.audit_page(10, 5).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [11, 12, 13, 14, 15]);
    assert_eq!(page[0].record, record(11), "entries read back exactly as recorded");
}

async fn an_edited_entry_is_named<S: TestDb>(store: S) {
    seed(&store).await;
    store.execute("UPDATE audit_log SET actor_label = 'someone.else@example.org' WHERE seq = 17", &[]).await;
    assert_eq!(broken_at(&store).await, (17, BreakKind::HashMismatch));
}

async fn an_edited_detail_is_named<S: TestDb>(store: S) {
    seed(&store).await;
    store
        .execute("UPDATE audit_log SET detail = '{\"duration_minutes\":{\"new\":99,\"old\":10}}' WHERE seq = 4", &[])
        .await;
    // The chain covers the detail through its commitment (format 2).
    assert_eq!(broken_at(&store).await, (4, BreakKind::PayloadMismatch));
}

async fn a_deleted_entry_is_named<S: TestDb>(store: S) {
    seed(&store).await;
    store.execute("DELETE FROM audit_log WHERE seq = 12", &[]).await;
    let (seq, kind) = broken_at(&store).await;
    assert_eq!(seq, 12, "{kind:?}");
}

async fn reordered_entries_are_named<S: TestDb>(store: S) {
    seed(&store).await;
    // Swap the contents of entries 20 and 21, keeping their numbers (what "reordering" is when
    // seq is the primary key).
    for sql in [
        "UPDATE audit_log SET seq = -20 WHERE seq = 20",
        "UPDATE audit_log SET seq = 20 WHERE seq = 21",
        "UPDATE audit_log SET seq = 21 WHERE seq = -20",
    ] {
        assert_eq!(store.execute(sql, &[]).await, 1);
    }
    let (seq, _) = broken_at(&store).await;
    assert_eq!(seq, 20);
}

async fn deleting_the_newest_entries_is_caught_by_the_head<S: TestDb>(store: S) {
    seed(&store).await;
    store.execute("DELETE FROM audit_log WHERE seq > 27", &[]).await;
    let (seq, kind) = broken_at(&store).await;
    assert_eq!((seq, kind), (28, BreakKind::Truncated { recorded_seq: 30 }));
}

async fn a_row_beyond_the_head_is_caught<S: TestDb>(store: S) {
    seed(&store).await;
    // Roll the head back by hand: rows 29 and 30 now lie beyond what was recorded.
    store.execute("UPDATE audit_head SET seq = 28, hash = (SELECT hash FROM audit_log WHERE seq = 28)", &[]).await;
    let (seq, kind) = broken_at(&store).await;
    assert!(matches!(kind, BreakKind::BeyondHead { recorded_seq: 28 }), "{seq} {kind:?}");
}

async fn a_row_that_cannot_be_read_is_reported_not_skipped<S: TestDb>(store: S) {
    seed(&store).await;
    store.execute("UPDATE audit_log SET hash = 'not hex' WHERE seq = 9", &[]).await;
    match verify(&store).await.unwrap() {
        Outcome::Unreadable { reason, .. } => assert!(reason.contains("audit entry 9"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// The command itself: exit 0 on an intact log, 1 naming the entry on a broken one.
#[tokio::test]
async fn the_cli_exits_non_zero_and_names_the_entry() {
    let dir = std::env::temp_dir().join("skranke-it").join(Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("audit.db").display());
    let store = skranke::store::SqliteStore::connect(&url).await.unwrap();
    skranke::store::Store::migrate(&store).await.unwrap();
    seed(&store).await;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_skranke"))
            .args(["audit", "verify", "--database", &url])
            .env("SKRANKE_LOG", "error")
            .output()
            .unwrap()
    };
    let ok = run();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("intact: 30 entries (0 with the payload erased)"));
    // After retention erased the payloads of the first 14: still intact, and it says so.
    let org = OrganisationId::from_uuid(Uuid::from_u128(7));
    skranke::store::Store::apply_retention(&store, org, RetentionClass::AuditPayloads, record(15).at, 1000)
        .await
        .unwrap();
    let erased = run();
    assert_eq!(erased.status.code(), Some(0), "{}", String::from_utf8_lossy(&erased.stdout));
    assert!(String::from_utf8_lossy(&erased.stdout).starts_with("intact: 30 entries (14 with the payload erased)"));
    store.execute("UPDATE audit_log SET action = 'service.delete' WHERE seq = 5", &[]).await;
    let broken = run();
    assert_eq!(broken.status.code(), Some(1));
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(out.contains("BROKEN") && out.contains("entry 5"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Another instance (or a command) appends between two appends of this store: the head this
/// store wrote last is stale, its conditional update fails, and it chains from the real head.
async fn another_writer_moving_the_head_is_noticed<S: TestDb>(store: S) {
    seed(&store).await;
    let head = store.audit_head().await.unwrap();
    let entry = skranke_core::audit::chain_inline(head, record(100));
    let object = entry.record.object.clone().unwrap();
    let inserted = store
        .execute(
            "INSERT INTO audit_log (seq, at, organisation_id, actor_kind, actor_id, actor_label, action, object_kind, \
             object_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                Arg::Int(i64::try_from(entry.seq).unwrap()),
                at(entry.record.at),
                Arg::Id(entry.record.organisation.unwrap().as_uuid()),
                Arg::Text(entry.record.actor.kind().into()),
                Arg::Id(entry.record.actor.id().unwrap()),
                Arg::Text(entry.record.actor.label().into()),
                Arg::Text(entry.record.action.as_str().into()),
                Arg::Text(object.kind().into()),
                Arg::Text(object.id().into()),
                Arg::Text(entry.record.detail.to_canonical_json()),
                Arg::Text(entry.prev_hash.to_hex()),
                Arg::Text(entry.hash.to_hex()),
            ],
        )
        .await;
    assert_eq!(inserted, 1);
    store
        .execute(
            "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
            &[Arg::Int(i64::try_from(entry.seq).unwrap()), Arg::Text(entry.hash.to_hex())],
        )
        .await;
    store.append_audit(&[record(101), record(102)]).await.unwrap();
    assert_eq!(store.audit_head().await.unwrap().seq, entry.seq + 2);
    match verify(&store).await.unwrap() {
        Outcome::Intact(summary) => assert_eq!(summary.entries, entry.seq + 2),
        other => panic!("expected an intact chain, got {other:?}"),
    }
}

/// Writers put their entries in the inbox and chain them right after their commit, many
/// writers' entries to a pass: 300 at once still make one chain with each entry once, nothing
/// left waiting, and each writer's entry chained by the time its call returned.
async fn many_writers_at_once_make_one_chain<S: TestDb>(store: S) {
    let writers: Vec<_> = (1..=300u32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store.append_audit(&[record(i)]).await.unwrap();
                // Chained when the call returns: the head has reached it.
                store.audit_head().await.unwrap().seq
            })
        })
        .collect();
    for writer in writers {
        assert!(writer.await.unwrap() >= 1);
    }
    assert_eq!(store.audit_head().await.unwrap().seq, 300);
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_inbox", &[]).await, 0);
    assert_eq!(store.scalar("SELECT COUNT(DISTINCT object_id) FROM audit_log", &[]).await, 300);
    match verify(&store).await.unwrap() {
        Outcome::Intact(summary) => assert_eq!(summary.entries, 300),
        other => panic!("expected an intact chain, got {other:?}"),
    }
}

/// A writer that committed its entries and died before chaining them leaves them in the inbox;
/// the next pass (here `verify`'s, also the worker's) chains them after the rest.
async fn entries_a_dead_writer_left_unchained_are_chained_by_verify<S: TestDb>(store: S) {
    seed(&store).await;
    let left = store
        .execute(
            "INSERT INTO audit_inbox (at, organisation_id, actor_kind, actor_id, actor_label, action, object_kind, \
             object_id, detail) SELECT at, organisation_id, actor_kind, actor_id, actor_label, action, object_kind, \
             object_id, detail FROM audit_log WHERE seq <= 3 ORDER BY seq",
            &[],
        )
        .await;
    assert_eq!(left, 3);
    match verify(&store).await.unwrap() {
        Outcome::Intact(summary) => assert_eq!(summary.entries, 33),
        other => panic!("expected an intact chain, got {other:?}"),
    }
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_inbox", &[]).await, 0);
    assert_eq!(store.audit_head().await.unwrap().seq, 33);
}

/// Issue 7, point 4: retention erases the payloads of old entries (the detail and its salt); the
/// chain still verifies, counting them, and tampering with an erased entry is still caught.
async fn erased_payloads_verify_and_tampering_is_still_caught<S: TestDb>(store: S) {
    seed(&store).await;
    let org = OrganisationId::from_uuid(Uuid::from_u128(7));
    // Entries 1–14 are older than the cutoff (record(15)'s time), in two batches of 10 and 4.
    let cutoff = record(15).at;
    assert_eq!(store.apply_retention(org, RetentionClass::AuditPayloads, cutoff, 10).await.unwrap(), 10);
    assert_eq!(store.apply_retention(org, RetentionClass::AuditPayloads, cutoff, 10).await.unwrap(), 4);
    assert_eq!(store.apply_retention(org, RetentionClass::AuditPayloads, cutoff, 10).await.unwrap(), 0);
    assert_eq!(
        store.scalar("SELECT COUNT(*) FROM audit_log WHERE detail = '' AND payload_salt IS NULL", &[]).await,
        14
    );
    assert_eq!(store.scalar("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%duration%'", &[]).await, 16);
    match verify(&store).await.unwrap() {
        Outcome::Intact(summary) => assert_eq!((summary.entries, summary.erased), (30, 14)),
        other => panic!("expected an intact chain after erasure, got {other:?}"),
    }
    let page = store.audit_page(0, 1).await.unwrap();
    assert!(page[0].payload.is_erased() && page[0].record.detail.as_map().is_empty());
    assert_eq!(page[0].record.action.as_str(), "service.update", "the header stays");

    // The header of an erased entry is still bound.
    let actor = "UPDATE audit_log SET actor_label = 'someone.else@example.org' WHERE seq = 6";
    store.execute(actor, &[]).await;
    assert_eq!(broken_at(&store).await, (6, BreakKind::HashMismatch));
    store.execute("UPDATE audit_log SET actor_label = 'admin@eksempel-kommune.example.org' WHERE seq = 6", &[]).await;
    assert!(matches!(verify(&store).await.unwrap(), Outcome::Intact(_)));
    // So is its commitment.
    let commitment = "UPDATE audit_log SET commitment = '0000000000000000000000000000000000000000000000000000000000000000' WHERE seq = 9";
    store.execute(commitment, &[]).await;
    assert_eq!(broken_at(&store).await, (9, BreakKind::HashMismatch));
}
