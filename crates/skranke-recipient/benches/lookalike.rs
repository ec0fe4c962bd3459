//! Lookalike index: build time for 10,000 protected domains, and checks per second on a
//! few mixes (see `bench`), against the built-in set and sets of 10,000 more.
//!
//!     cargo bench -p skranke-recipient --bench lookalike
//!
//! The domains are generated deterministically (`mixes`), so every run sees the same.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use skranke_recipient::lookalike::{ProtectedSet, Verdict};

mod mixes;
use mixes::{Names, Sets, mix};

fn bench(c: &mut Criterion) {
    let sets = Sets::new();
    let sparse_refs: Vec<&str> = sets.sparse.iter().map(String::as_str).collect();

    let mut build = c.benchmark_group("lookalike_build");
    build.sample_size(20);
    build.bench_function("builtin_plus_10000", |b| {
        b.iter_batched(
            || (),
            |()| ProtectedSet::builtin().with_protected(black_box(&sparse_refs)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    build.bench_function("builtin_only", |b| b.iter(ProtectedSet::builtin));
    build.finish();

    let cases = sets.cases();
    let mut check = c.benchmark_group("lookalike_check");
    // The floor, measured in the same run: lowercasing each name and looking it up in a hash
    // set of the protected domains (what a plain allow-list costs).
    let exact: std::collections::HashSet<String> = sets.sparse.iter().cloned().collect();
    let baseline_mix = mix(&sets.sparse, Names::Sparse, 0);
    check.throughput(Throughput::Elements(baseline_mix.len() as u64));
    check.bench_function("baseline_exact_lookup", |b| {
        b.iter(|| baseline_mix.iter().filter(|d| exact.contains(&black_box(d).to_lowercase())).count())
    });
    for (label, set, typed) in &cases {
        let flagged = typed.iter().filter(|d| matches!(set.check(d), Verdict::Lookalike { .. })).count();
        eprintln!("{label}: {flagged} of {} typed domains flagged", typed.len());
        check.throughput(Throughput::Elements(typed.len() as u64));
        check.bench_function(*label, |b| {
            b.iter(|| typed.iter().filter(|d| matches!(set.check(black_box(d)), Verdict::Lookalike { .. })).count())
        });
    }
    check.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
