//! Audit chain at the size issue 4 names, scaled down: chaining and verifying 100,000 entries (the
//! requirement is 1,000,000 verified in ≤ 5 s including the database read). Entries look like a
//! configuration change: a user actor, an organisation, an object and an old → new detail.
//!
//!     cargo bench -p skranke-core --bench audit -- --warm-up-time 1 --measurement-time 3

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use serde_json::json;
use skranke_core::audit::{
    Action, Actor, AuditEntry, AuditRecord, ChainHead, Detail, Label, ObjectRef, Verifier, chain, chain_inline,
};
use skranke_core::ids::OrganisationId;
use uuid::Uuid;

const N: u64 = 100_000;

fn records() -> Vec<AuditRecord> {
    let start = Timestamp::from_second(1_780_000_000).unwrap();
    let org = OrganisationId::from_uuid(Uuid::from_bytes([7; 16]));
    let actor = Actor::User { id: Uuid::from_bytes([9; 16]), label: Label::new("anna.jensen@kommune.dk").unwrap() };
    let action = Action::new("service.update").unwrap();
    (0..N)
        .map(|i| AuditRecord {
            at: Timestamp::from_microsecond(start.as_microsecond() + i as i64 * 1_000_003).unwrap(),
            organisation: Some(org),
            actor: actor.clone(),
            action: action.clone(),
            object: Some(ObjectRef::new("service", &Uuid::from_u128(u128::from(i)).to_string()).unwrap()),
            detail: Detail::new(json!({
                "duration_minutes": { "old": 20 + i % 7, "new": 25 + i % 5 },
                "name": { "old": "Pas og kørekort", "new": "Pas" },
            }))
            .unwrap(),
        })
        .collect()
}

/// Chains `records` in format 2 (what Skranke writes), or in format 1 (`inline`, logs written
/// before schema v16) for comparison.
fn build(records: Vec<AuditRecord>, inline: bool) -> (Vec<AuditEntry>, ChainHead) {
    let mut head = ChainHead::GENESIS;
    let mut entries = Vec::with_capacity(records.len());
    for r in records {
        let e = if inline {
            chain_inline(head, r)
        } else {
            chain(head, r, skranke_core::audit::PayloadSalt::from_bytes([1; 16]))
        };
        head = e.head();
        entries.push(e);
    }
    (entries, head)
}

fn bench(c: &mut Criterion) {
    let records = records();
    let (entries, head) = build(records.clone(), false);
    let (entries_v1, head_v1) = build(records.clone(), true);
    let bytes: usize = records.iter().map(|r| r.canonical_bytes().len()).sum();
    eprintln!("{N} entries, {} canonical bytes each on average", bytes / records.len());

    let mut g = c.benchmark_group("audit");
    g.sample_size(10);
    // Copying the records in and dropping the entries is left out: only chaining is timed.
    g.bench_function("chain 100k", |b| {
        b.iter_batched(|| records.clone(), |rs| build(black_box(rs), false), BatchSize::PerIteration)
    });
    g.bench_function("verify 100k", |b| {
        b.iter(|| {
            let mut v = Verifier::new();
            for e in black_box(&entries) {
                v.push(e).unwrap();
            }
            v.finish(head).unwrap()
        })
    });
    g.bench_function("verify 100k format 1", |b| {
        b.iter(|| {
            let mut v = Verifier::new();
            for e in black_box(&entries_v1) {
                v.push(e).unwrap();
            }
            v.finish(head_v1).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
