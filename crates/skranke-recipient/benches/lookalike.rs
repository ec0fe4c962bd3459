//! Lookalike index: build time for 10,000 protected domains, and checks per second on a realistic
//! mix (9 in 10 unrelated, 1 in 10 a lookalike), against the built-in set and the 10,000 set.
//!
//!     cargo bench -p skranke-recipient --bench lookalike
//!
//! The domains are generated deterministically (syllables + suffixes), so every run sees the same.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use skranke_recipient::lookalike::{ProtectedSet, Verdict};

const SYLLABLES: &[&str] = &[
    "ma", "ter", "sk", "lund", "borg", "vig", "hus", "gaard", "by", "holm", "sted", "rup", "bjerg", "dal", "strand",
    "kro", "mark", "vej", "lev", "sø", "næs", "fjord", "bro", "toft", "lyng", "høj", "ager", "mose", "skov", "havn",
    "el", "ka", "ri", "no", "ve", "sa", "to", "li", "pe", "da",
];
const SUFFIXES: &[&str] = &["dk", "dk", "dk", "com", "net", "eu", "se", "no", "de", "org"];

/// A small deterministic generator (64-bit LCG), so the benchmark needs no `rand`.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

fn name(rng: &mut Lcg, parts: usize) -> String {
    (0..parts).map(|_| SYLLABLES[rng.next(SYLLABLES.len())]).collect()
}

/// `n` distinct plausible protected domains (three or four syllables under a common suffix).
fn protected(n: usize) -> Vec<String> {
    let mut rng = Lcg(7);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < n {
        let parts = 3 + rng.next(2);
        seen.insert(format!("{}.{}", name(&mut rng, parts), SUFFIXES[rng.next(SUFFIXES.len())]));
    }
    seen.into_iter().collect()
}

/// 10,000 typed domains: 90 % unrelated shop/company names, 10 % lookalikes of `targets`.
fn mix(targets: &[String]) -> Vec<String> {
    let mut rng = Lcg(11);
    (0..10_000)
        .map(|i| {
            if i % 10 != 0 {
                let parts = 2 + rng.next(3);
                let hyphen = if rng.next(3) == 0 { "-" } else { "" };
                return format!(
                    "{}{hyphen}{}.{}",
                    name(&mut rng, parts),
                    name(&mut rng, 1),
                    SUFFIXES[rng.next(SUFFIXES.len())]
                );
            }
            let target = &targets[rng.next(targets.len())];
            let (label, suffix) = target.split_once('.').unwrap();
            let chars: Vec<char> = label.chars().collect();
            match rng.next(5) {
                0 => format!("{}.{suffix}", chars[..chars.len() - 2].iter().collect::<String>()),
                1 => format!("{label}.com"),
                2 => format!("{label}kommune.{suffix}"),
                3 => {
                    let mut swapped = chars.clone();
                    swapped.swap(1, 2);
                    format!("{}.{suffix}", swapped.iter().collect::<String>())
                }
                _ => format!("{}.{suffix}", label.replacen('a', "а", 1)),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let domains = protected(10_000);
    let refs: Vec<&str> = domains.iter().map(String::as_str).collect();

    let mut build = c.benchmark_group("lookalike_build");
    build.sample_size(20);
    build.bench_function("builtin_plus_10000", |b| {
        b.iter_batched(
            || (),
            |()| ProtectedSet::builtin().with_protected(black_box(&refs)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    build.bench_function("builtin_only", |b| b.iter(ProtectedSet::builtin));
    build.finish();

    let builtin = ProtectedSet::builtin().with_own(&["fredericia.dk"]).unwrap();
    let large = ProtectedSet::builtin().with_protected(&refs).unwrap();
    let builtin_targets: Vec<String> = builtin.protected().filter(|d| d.len() > 7).map(str::to_owned).collect();
    let cases = [("builtin", &builtin, mix(&builtin_targets)), ("builtin_plus_10000", &large, mix(&domains))];
    let mut check = c.benchmark_group("lookalike_check");
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
