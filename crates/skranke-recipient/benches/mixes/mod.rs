//! The generated protected sets and typed-domain mixes of the lookalike bench, shared by
//! `benches/lookalike.rs` (criterion) and `examples/lookalike_profile.rs` (instruction counts
//! under cachegrind, verdict dumps). Deterministic: every run sees the same domains.
#![allow(dead_code)]

use skranke_recipient::lookalike::ProtectedSet;

/// The first generator: 40 syllables, 3–4 per name. 10,000 protected names fill some 15 % of its
/// whole space of 3-syllable names, so nearly every "unrelated" name lies within an edit or two of
/// several protected ones; kept as a worst case ("dense"), not as what real domains look like.
pub const SYLLABLES: &[&str] = &[
    "ma", "ter", "sk", "lund", "borg", "vig", "hus", "gaard", "by", "holm", "sted", "rup", "bjerg", "dal", "strand",
    "kro", "mark", "vej", "lev", "sø", "næs", "fjord", "bro", "toft", "lyng", "høj", "ager", "mose", "skov", "havn",
    "el", "ka", "ri", "no", "ve", "sa", "to", "li", "pe", "da",
];
/// Onset + vowel + coda syllables (some 6,000), 2–3 per name: names as sparse among themselves as
/// real organisations' domains are. ASCII, as nearly all registered `.dk` names are (`ae`, `oe`,
/// `aa` stand in for æ, ø, å); the homoglyph lookalikes bring the non-ASCII ones.
pub const ONSETS: &[&str] = &[
    "", "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "bl", "br", "dr", "fl", "fr", "gr",
    "kl", "kr", "pr", "sk", "sl", "sn", "sp", "st", "str", "tr",
];
pub const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "y", "a", "e", "o", "ei", "au", "ae", "oe", "aa"];
pub const CODAS: &[&str] = &["", "n", "r", "l", "s", "t", "k", "nd", "ng", "rg", "ld", "st", "rk", "ft", "m", "g", "d"];
pub const SUFFIXES: &[&str] = &["dk", "dk", "dk", "com", "net", "eu", "se", "no", "de", "org"];
/// What most citizens type: the big providers and municipalities, all known.
pub const COMMON: &[&str] = &[
    "gmail.com",
    "hotmail.com",
    "hotmail.dk",
    "outlook.dk",
    "live.dk",
    "yahoo.dk",
    "icloud.com",
    "mail.dk",
    "outlook.com",
    "jubii.dk",
    "fredericia.dk",
    "aarhus.dk",
    "kk.dk",
    "odense.dk",
    "vejle.dk",
    "borger.dk",
];

/// A small deterministic generator (64-bit LCG), so the benchmark needs no `rand`.
pub struct Lcg(u64);
impl Lcg {
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

#[derive(Clone, Copy)]
pub enum Names {
    Dense,
    Sparse,
}

pub fn name(rng: &mut Lcg, names: Names, parts: usize) -> String {
    (0..parts)
        .map(|_| match names {
            Names::Dense => SYLLABLES[rng.next(SYLLABLES.len())].to_owned(),
            Names::Sparse => {
                format!(
                    "{}{}{}",
                    ONSETS[rng.next(ONSETS.len())],
                    VOWELS[rng.next(VOWELS.len())],
                    CODAS[rng.next(CODAS.len())]
                )
            }
        })
        .collect()
}

/// `n` distinct plausible protected domains under a common suffix.
pub fn protected(n: usize, names: Names) -> Vec<String> {
    let mut rng = Lcg(7);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < n {
        let parts = match names {
            Names::Dense => 3 + rng.next(2),
            Names::Sparse => 2 + rng.next(2),
        };
        let label = name(&mut rng, names, parts);
        if label.chars().count() >= 4 {
            seen.insert(format!("{label}.{}", SUFFIXES[rng.next(SUFFIXES.len())]));
        }
    }
    seen.into_iter().collect()
}

/// A lookalike of `target`: truncation, TLD swap, compound, transposition or homoglyph.
pub fn lookalike(rng: &mut Lcg, target: &str) -> String {
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
        _ => format!("{}.{suffix}", label.replacen('a', "а", 1).replacen('e', "е", 1)),
    }
}

/// 10,000 typed domains. `common` in 100 are [`COMMON`] (known), 10 in 100 lookalikes of
/// `targets`, the rest unrelated names from `names`, distinct from the protected ones.
pub fn mix(targets: &[String], names: Names, common: usize) -> Vec<String> {
    let mut rng = Lcg(11);
    (0..10_000)
        .map(|i| {
            let slot = i % 100;
            if slot < 10 {
                let target = &targets[rng.next(targets.len())];
                return lookalike(&mut rng, target);
            }
            if slot < 10 + common {
                return COMMON[rng.next(COMMON.len())].to_owned();
            }
            let parts = 2 + rng.next(2);
            let hyphen = if rng.next(3) == 0 { "-" } else { "" };
            format!(
                "{}{hyphen}{}.{}",
                name(&mut rng, names, parts),
                name(&mut rng, names, 1),
                SUFFIXES[rng.next(SUFFIXES.len())]
            )
        })
        .collect()
}

/// The protected sets the mixes are checked against.
pub struct Sets {
    /// 10,000 sparse protected domains (see [`Names::Sparse`]).
    pub sparse: Vec<String>,
    /// 10,000 dense protected domains (see [`SYLLABLES`]).
    pub dense: Vec<String>,
    /// The built-in lists with `fredericia.dk` as the organisation's own.
    pub builtin: ProtectedSet,
    /// `builtin` plus the sparse 10,000.
    pub large: ProtectedSet,
    /// The built-in lists plus the dense 10,000.
    pub large_dense: ProtectedSet,
}

impl Sets {
    pub fn new() -> Self {
        let sparse = protected(10_000, Names::Sparse);
        let dense = protected(10_000, Names::Dense);
        let sparse_refs: Vec<&str> = sparse.iter().map(String::as_str).collect();
        let dense_refs: Vec<&str> = dense.iter().map(String::as_str).collect();
        let builtin = ProtectedSet::builtin().with_own(&["fredericia.dk"]).unwrap();
        let large = builtin.clone().with_protected(&sparse_refs).unwrap();
        let large_dense = ProtectedSet::builtin().with_protected(&dense_refs).unwrap();
        Sets { sparse, dense, builtin, large, large_dense }
    }

    /// The checked mixes: a name, the set, 10,000 typed domains.
    pub fn cases(&self) -> [(&'static str, &ProtectedSet, Vec<String>); 4] {
        let builtin_targets: Vec<String> =
            self.builtin.protected().filter(|d| d.len() > 7).map(str::to_owned).collect();
        [
            // What citizens type: 60 % known providers and municipalities, 30 % unrelated, 10 % lookalikes.
            ("citizens_builtin_plus_10000", &self.large, mix(&self.sparse, Names::Sparse, 60)),
            // Nothing known: 90 % unrelated names, 10 % lookalikes.
            ("unknown_builtin", &self.builtin, mix(&builtin_targets, Names::Sparse, 0)),
            ("unknown_builtin_plus_10000", &self.large, mix(&self.sparse, Names::Sparse, 0)),
            // The worst case: protected and typed names from a small syllable set (see `SYLLABLES`).
            ("dense_builtin_plus_10000", &self.large_dense, mix(&self.dense, Names::Dense, 0)),
        ]
    }
}
