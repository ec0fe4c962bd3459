//! The lookalike bench's mixes without criterion, for measurements that count instead of time,
//! and for comparing two revisions' verdicts.
//!
//! Checks per second drift by 10–40 % within minutes on a shared machine; instructions and
//! simulated cache misses per check do not (`bench/lookalike-counts.sh` runs this under
//! cachegrind):
//!
//!     cargo build --release -p skranke-recipient --example lookalike_profile
//!     target/release/examples/lookalike_profile unknown_builtin_plus_10000 100   # checks/s
//!     target/release/examples/lookalike_profile --verdicts > verdicts.tsv       # every verdict
//!     target/release/examples/lookalike_profile --build 50                      # index builds
//!
//! `--verdicts` prints, for each bench mix and for the repo's corpora against each set, one line
//! per typed domain with its verdict: two revisions that must judge alike give identical files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::io::Write;

use skranke_recipient::lookalike::{ProtectedSet, Verdict};

#[path = "../benches/mixes/mod.rs"]
mod mixes;

/// Every domain of the repo's corpora (lookalikes, negatives, typos).
fn corpus() -> Vec<String> {
    let mut domains = Vec::new();
    for file in ["lookalikes.tsv", "negatives.tsv", "typos.tsv"] {
        let path = format!("{}/corpora/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for line in text.lines().skip(1) {
            domains.extend(
                line.split('\t')
                    .map(|f| f.rsplit('@').next().unwrap_or(f))
                    .filter(|d| d.contains('.'))
                    .map(str::to_owned),
            );
        }
    }
    domains
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sets = mixes::Sets::new();
    let cases = sets.cases();
    if args.first().map(String::as_str) == Some("--verdicts") {
        let corpus = corpus();
        let corpus_sets: [(&str, &ProtectedSet); 3] = [
            ("corpus_builtin", &sets.builtin),
            ("corpus_plus_10000", &sets.large),
            ("corpus_dense", &sets.large_dense),
        ];
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let all = cases.iter().map(|(name, set, typed)| (*name, *set, typed.as_slice()));
        for (name, set, typed) in all.chain(corpus_sets.iter().map(|(name, set)| (*name, *set, corpus.as_slice()))) {
            for domain in typed {
                writeln!(out, "{name}\t{domain}\t{:?}", set.check(domain)).unwrap();
            }
        }
        return;
    }
    if args.first().map(String::as_str) == Some("--build") {
        // As the criterion bench's build: built-in + the 10,000 sparse domains, each set dropped
        // outside the timed part.
        let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(20);
        let refs: Vec<&str> = sets.sparse.iter().map(String::as_str).collect();
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = std::time::Instant::now();
            let set = ProtectedSet::builtin().with_protected(black_box(&refs)).unwrap();
            times.push(started.elapsed().as_secs_f64() * 1e3);
            drop(black_box(set));
        }
        times.sort_by(f64::total_cmp);
        eprintln!("index build, built-in + 10,000: median {:.2} ms over {rounds}", times[rounds / 2]);
        return;
    }
    let wanted = args.first().map_or("unknown_builtin_plus_10000", String::as_str);
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(20);
    let Some((_, set, typed)) = cases.iter().find(|(name, _, _)| *name == wanted) else {
        let names: Vec<&str> = cases.iter().map(|(name, _, _)| *name).collect();
        panic!("unknown mix {wanted}; one of {names:?}");
    };
    let started = std::time::Instant::now();
    let mut flagged = 0;
    for _ in 0..rounds {
        flagged += typed.iter().filter(|d| matches!(set.check(black_box(d)), Verdict::Lookalike { .. })).count();
    }
    let checks = rounds * typed.len();
    eprintln!(
        "{wanted}: {checks} checks, {flagged} flagged, {:.3} M/s",
        checks as f64 / started.elapsed().as_secs_f64() / 1e6
    );
}
