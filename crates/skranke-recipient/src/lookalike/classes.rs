//! The detectors, one per [`Class`], tried from the most to the least specific.

use super::Class;
use super::distance::{self, Edit};
use super::index::{self, Form, Forms, Index, edit_budget};
use super::text::{self, Name, Parts};

/// What a detector found: the class and the protected entry it points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) class: Class,
    pub(crate) entry: u32,
}

/// Words that turn a municipality's or service's label into an official-looking compound
/// (`fredericiakommune`, `mitskat`, `fredericia-borgerservice`). Deliberately no trades or place
/// words: `bageriet-aalborg.dk` is a bakery, not an impersonation.
const AFFIXES: &[&str] = &[
    "kommune",
    "kommunen",
    "kommunes",
    "komm",
    "kom",
    "borger",
    "borgere",
    "borgerservice",
    "service",
    "services",
    "mail",
    "email",
    "webmail",
    "post",
    "postkasse",
    "www",
    "web",
    "info",
    "kontakt",
    "login",
    "logon",
    "secure",
    "sikker",
    "sikkerhed",
    "verify",
    "verificer",
    "mit",
    "min",
    "mine",
    "my",
    "net",
    "online",
    "dk",
    "danmark",
    "denmark",
    "official",
    "support",
    "hjaelp",
    "help",
    "portal",
    "selvbetjening",
    "raadhus",
    "radhus",
    "rådhus",
    "jobcenter",
    "intra",
    "intranet",
    "sso",
    "auth",
    "konto",
    "account",
    "booking",
    "tidsbestilling",
    "digital",
    "gov",
    "admin",
    "forvaltning",
    "region",
    "regionen",
    "staten",
    "stat",
];

/// Labels too generic to warn about when they appear as a subdomain (`mail.example.com`).
const GENERIC_SUBDOMAINS: &[&str] =
    &["email", "mail", "post", "webmail", "online", "live", "outlook", "privat", "web", "tele", "sol", "borger"];

const _: () = assert!(AFFIXES.len() <= 128, "AffixMasks holds 128 affixes");

/// Whether `word` is one of [`AFFIXES`]. Only the affixes whose first two and last two bytes fit
/// are compared (almost always none): this runs for every range of pieces of a hyphenated label,
/// and a scan of the whole list, a `memcmp` each, was 6 % of the time of the all-unknown bench.
fn is_affix(word: &str) -> bool {
    let (start, end) = affix_ends(word);
    affixes_in(start & end).any(|affix| affix == word)
}

/// Whether a typed public suffix is a typo of the protected one: missing, or one edit away and
/// either not a real suffix (`dl`, `dkk`) or a neighbouring key / swapped pair (`sk`, `kd`).
pub(crate) fn tld_typo(typed: &str, meant: &str) -> bool {
    if typed.is_empty() {
        return true;
    }
    if typed == meant {
        return false;
    }
    // The last letter dropped (`hotmail.co` for `hotmail.com`): a typo even where the shorter
    // suffix exists, since nobody means Colombia when they type a provider's name.
    if meant.len() == typed.len() + 1 && meant.starts_with(typed) {
        return true;
    }
    let (t, m): (Vec<char>, Vec<char>) = (typed.chars().collect(), meant.chars().collect());
    if distance::osa_within(&t, &m, 1).is_none() {
        return false;
    }
    !text::is_known_suffix(typed) || distance::single_edit(&t, &m) != Edit::Other
}

/// Whether two suffixes are one edit apart (`cm` and `com`): the nearer of a label's domains is
/// the one meant, even when the typed suffix is a real one.
fn one_edit(typed: &str, meant: &str) -> bool {
    let (t, m): (Vec<char>, Vec<char>) = (typed.chars().collect(), meant.chars().collect());
    distance::osa_within(&t, &m, 1).is_some()
}

fn compatible(typed: &str, meant: &str) -> bool {
    typed == meant || tld_typo(typed, meant)
}

/// The entry of a label that best matches the typed suffix: the same suffix, else a suffix the
/// typed one is a typo of, else the label's best entry.
fn entry_for(index: &Index, label_id: u32, suffix: &str) -> Option<u32> {
    let label = index.label(label_id)?;
    let suffix_of = |id: &&u32| index.entry(**id).map_or("", |e| e.suffix.as_str());
    label
        .entries
        .iter()
        .find(|id| suffix_of(id) == suffix)
        .or_else(|| label.entries.iter().find(|id| tld_typo(suffix, suffix_of(id))))
        .or_else(|| label.entries.iter().find(|id| one_edit(suffix, suffix_of(id))))
        .or_else(|| label.entries.first())
        .copied()
}

/// An entry of the label whose suffix the typed suffix is compatible with.
fn compatible_entry(index: &Index, label_id: u32, suffix: &str) -> Option<u32> {
    let entry = entry_for(index, label_id, suffix)?;
    index.entry(entry).filter(|e| compatible(suffix, &e.suffix)).map(|_| entry)
}

fn hit(class: Class, entry: Option<u32>) -> Option<Hit> {
    entry.map(|entry| Hit { class, entry })
}

/// Runs every detector on a name that is not known.
pub(crate) fn detect(index: &Index, name: &Name, parts: &Parts<'_>) -> Option<Hit> {
    if let Some(found) = embedded_domain(index, name, parts) {
        return Some(found);
    }
    registrable(index, parts).or_else(|| subdomain_label(index, parts))
}

/// `fredericia.dk.evil.com`, `fredericia.dk.dk`: a whole protected domain inside a longer name.
fn embedded_domain(index: &Index, name: &Name<'_>, parts: &Parts<'_>) -> Option<Hit> {
    // Two dots at least, which `parts` tell without scanning the name: a subdomain, or a suffix of
    // two labels or more (`co.uk`).
    if parts.subdomain.is_empty() && !parts.suffix.bytes().any(|b| b == b'.') {
        return None;
    }
    let ascii: &str = &name.ascii;
    let starts: Vec<usize> = std::iter::once(0).chain(ascii.match_indices('.').map(|(dot, _)| dot + 1)).collect();
    if starts.len() < 3 {
        return None;
    }
    for (i, &start) in starts.iter().enumerate() {
        // A protected domain ending before the last label: the registrable is something else.
        for &next in starts.iter().skip(i + 2) {
            let candidate = ascii.get(start..next - 1)?;
            if let Some(&entry) = index.by_domain.get(candidate) {
                return hit(Class::ExtraLabel, Some(entry));
            }
        }
    }
    None
}

/// `fredericia.evil.com`: a protected label as a subdomain of something else.
fn subdomain_label(index: &Index, parts: &Parts<'_>) -> Option<Hit> {
    if parts.subdomain.is_empty() {
        return None;
    }
    parts.subdomain.split('.').filter(|l| !GENERIC_SUBDOMAINS.contains(l)).find_map(|sub| {
        let label_id = index.label_id(sub)?;
        let label = index.label(label_id)?;
        (label.chars.len() >= label.origin.min_affix_label().max(4))
            .then(|| hit(Class::ExtraLabel, label.entries.first().copied()))
            .flatten()
    })
}

fn registrable(index: &Index, parts: &Parts<'_>) -> Option<Hit> {
    let label = parts.label;
    let suffix = parts.suffix;
    // One lookup for everything the label itself may be (the derived forms are other texts).
    let forms = index.forms_of(label);
    if let Some(found) = forms.get(Form::Label).and_then(|label_id| tld_change(index, label_id, suffix)) {
        return Some(found);
    }
    hyphenation(index, label, suffix, forms)
        .or_else(|| lookup_class(index, Class::NameVariant, folded(index, label, forms), label, suffix))
        .or_else(|| lookup_class(index, Class::Homoglyph, skeletonised(index, label, forms), label, suffix))
        .or_else(|| hit(Class::MissingDot, forms.get(Form::Dotless)))
        .or_else(|| compound(index, label, suffix))
        .or_else(|| truncation(index, label, suffix))
        .or_else(|| edit(index, label, suffix))
        .or_else(|| abbreviation(index, label, suffix, forms))
}

/// The label whose fold the text's fold is; `forms` are the text's own (its fold when it is its
/// own fold).
fn folded(index: &Index, text: &str, forms: Forms) -> Option<u32> {
    text::with_changed_fold(text, |folded| index.forms_of(folded).get(Form::Fold)).unwrap_or(forms.get(Form::Fold))
}

/// The label whose skeleton the text's skeleton is; `forms` are the text's own.
fn skeletonised(index: &Index, text: &str, forms: Forms) -> Option<u32> {
    text::with_changed_skeleton(text, |skeleton| index.forms_of(skeleton).get(Form::Skeleton))
        .unwrap_or(forms.get(Form::Skeleton))
}

/// The label is protected, the suffix is not: `fredericia.com` (swap) or `fredericia.dl` (typo).
/// A typo counts for every label (`kk.dl` cannot be a real domain); a swap only for labels long
/// enough not to be everyday words ([`Origin::min_affix_label`](super::index::Origin)).
fn tld_change(index: &Index, label_id: u32, suffix: &str) -> Option<Hit> {
    let label = index.label(label_id)?;
    let entry = entry_for(index, label_id, suffix)?;
    let meant = index.entry(entry)?;
    if tld_typo(suffix, &meant.suffix) {
        return hit(Class::TldTypo, Some(entry));
    }
    (label.chars.len() >= label.origin.min_affix_label()).then(|| hit(Class::TldSwap, Some(entry))).flatten()
}

fn lookup_class(index: &Index, class: Class, found: Option<u32>, label: &str, suffix: &str) -> Option<Hit> {
    let label_id = found?;
    let protected = index.label(label_id)?;
    (protected.text != label).then(|| hit(class, entry_for(index, label_id, suffix))).flatten()
}

/// A label, or a municipality's name, that an affix-stripped core stands for.
fn resolve_core(index: &Index, core: &str) -> Option<u32> {
    let long_enough = |&id: &u32| index.label(id).is_some_and(|l| l.chars.len() >= l.origin.min_affix_label());
    let forms = index.forms_of(core);
    forms
        .get(Form::Label)
        .or(forms.get(Form::NoHyphen))
        .or_else(|| folded(index, core, forms))
        .or_else(|| core.strip_suffix('s').filter(|c| c.len() >= 3).and_then(|c| folded(index, c, index.forms_of(c))))
        .filter(long_enough)
}

/// `frederi-cia.dk`, `ikastbrande.dk`, `fredericia-kommune.dk`, `mail-fredericia.dk`.
fn hyphenation(index: &Index, label: &str, suffix: &str, forms: Forms) -> Option<Hit> {
    if let Some(label_id) = forms.get(Form::NoHyphen) {
        return hit(Class::Hyphenation, entry_for(index, label_id, suffix));
    }
    // A byte loop, not `contains('-')`: for a label of a dozen bytes the char searcher's set-up
    // costs more than the search.
    if !label.bytes().any(|b| b == b'-') {
        return None;
    }
    if let Some(label_id) = text::with_hyphens_dropped(label, |joined| index.label_id(joined)) {
        return hit(Class::Hyphenation, entry_for(index, label_id, suffix));
    }
    // Byte ranges of the pieces between hyphens: a run of pieces joined by their hyphens is a
    // slice of the label, so no piece is ever copied. A DNS label (63 octets) has at most 32
    // pieces; a longer text is no domain anyone can receive mail at.
    let mut pieces: [(usize, usize); 32] = [(0, 0); 32];
    let mut count = 0;
    let mut start = 0;
    let hyphens = label.bytes().enumerate().filter(|&(_, b)| b == b'-').map(|(at, _)| at);
    for at in hyphens.chain(std::iter::once(label.len())) {
        let slot = pieces.get_mut(count)?;
        *slot = (start, at);
        count += 1;
        start = at + 1;
    }
    let pieces = pieces.get(..count)?;
    let piece = |k: usize| pieces.get(k).and_then(|&(from, to)| label.get(from..to)).unwrap_or("");
    for i in 0..count {
        for j in i + 1..=count {
            if (i, j) == (0, count) {
                continue;
            }
            let rest_affixes = (0..i).chain(j..count).map(piece).all(|p| p.is_empty() || is_affix(p));
            if !rest_affixes {
                continue;
            }
            let core = match (pieces.get(i), pieces.get(j - 1)) {
                (Some(&(from, _)), Some(&(_, to))) => label.get(from..to).unwrap_or(""),
                _ => continue,
            };
            if let Some(label_id) = resolve_core(index, core).or_else(|| compound_core(index, core)) {
                return hit(Class::Hyphenation, entry_for(index, label_id, suffix));
            }
        }
    }
    None
}

/// The label without `affix` at its start and at its end (where it is there), compared byte by
/// byte first so most affixes are rejected without a `memcmp`.
fn strip_affix<'a>(label: &'a str, affix: &str) -> [Option<&'a str>; 2] {
    let (l, a) = (label.as_bytes(), affix.as_bytes());
    let (Some(&lf), Some(&ll), Some(&af), Some(&al)) = (l.first(), l.last(), a.first(), a.last()) else {
        return [None, None];
    };
    [if lf == af { label.strip_prefix(affix) } else { None }, if ll == al { label.strip_suffix(affix) } else { None }]
}

/// For each byte, the affixes (bit `i` for `AFFIXES[i]`) that have it first, second, last and
/// last but one: a label is tried against only the affixes whose two first or two last bytes
/// fit it, in `AFFIXES` order (one byte at each end let a dozen through for most labels).
struct AffixMasks {
    first: [u128; 256],
    second: [u128; 256],
    last: [u128; 256],
    penultimate: [u128; 256],
}

static AFFIX_MASKS: std::sync::LazyLock<AffixMasks> = std::sync::LazyLock::new(|| {
    let mut masks = AffixMasks { first: [0; 256], second: [0; 256], last: [0; 256], penultimate: [0; 256] };
    for (i, affix) in AFFIXES.iter().enumerate().take(128) {
        let bytes = affix.as_bytes();
        let n = bytes.len();
        if let (Some(&f), Some(&s), Some(&p), Some(&l)) =
            (bytes.first(), bytes.get(1), bytes.get(n.wrapping_sub(2)), bytes.last())
        {
            masks.first[usize::from(f)] |= 1 << i;
            masks.second[usize::from(s)] |= 1 << i;
            masks.penultimate[usize::from(p)] |= 1 << i;
            masks.last[usize::from(l)] |= 1 << i;
        }
    }
    masks
});

const _: () = assert!(
    {
        let mut i = 0;
        let mut all_long = true;
        while i < AFFIXES.len() {
            all_long &= AFFIXES[i].len() >= 2;
            i += 1;
        }
        all_long
    },
    "every affix has two bytes at each end"
);

/// The affixes that may start or end `label`, in `AFFIXES` order.
fn fitting_affixes(label: &str) -> impl Iterator<Item = &'static str> {
    let (start, end) = affix_ends(label);
    affixes_in(start | end)
}

/// The affixes whose first two bytes are the text's first two, and those whose last two bytes are
/// its last two, as sets of [`AFFIXES`] positions ([`AffixMasks`]).
fn affix_ends(text: &str) -> (u128, u128) {
    let bytes = text.as_bytes();
    let masks = &*AFFIX_MASKS;
    let n = bytes.len();
    match (bytes.first(), bytes.get(1), bytes.get(n.wrapping_sub(2)), bytes.last()) {
        (Some(&f), Some(&s), Some(&p), Some(&l)) => (
            masks.first[usize::from(f)] & masks.second[usize::from(s)],
            masks.last[usize::from(l)] & masks.penultimate[usize::from(p)],
        ),
        _ => (0, 0),
    }
}

/// The affixes of a set of [`AFFIXES`] positions, in `AFFIXES` order.
fn affixes_in(mut set: u128) -> impl Iterator<Item = &'static str> {
    std::iter::from_fn(move || {
        if set == 0 {
            return None;
        }
        let i = set.trailing_zeros() as usize;
        set &= set - 1;
        AFFIXES.get(i).copied()
    })
}

/// The label with one affix removed from either end, if the rest resolves.
fn compound_core(index: &Index, label: &str) -> Option<u32> {
    fitting_affixes(label).find_map(|affix| {
        if label.len() < affix.len() + 3 {
            return None;
        }
        let cores = strip_affix(label, affix);
        cores.into_iter().flatten().find_map(|core| resolve_core(index, core))
    })
}

/// `fredericiakommune.dk`, `kommunefredericia.dk`, `minfredericiakommune.dk`.
fn compound(index: &Index, label: &str, suffix: &str) -> Option<Hit> {
    let found = compound_core(index, label).or_else(|| {
        fitting_affixes(label).find_map(|affix| {
            let cores = strip_affix(label, affix);
            cores.into_iter().flatten().filter(|core| core.len() >= 6).find_map(|core| compound_core(index, core))
        })
    })?;
    hit(Class::Compound, entry_for(index, found, suffix))
}

/// `fred.dk`: a proper prefix of at least 3 characters, under the same (or a mistyped) suffix.
fn truncation(index: &Index, label: &str, suffix: &str) -> Option<Hit> {
    if label.chars().count() < 3 {
        return None;
    }
    let best = index
        .longer_with_prefix(label)
        .filter_map(|id| Some((index.rank(id), compatible_entry(index, id, suffix)?)))
        .min_by_key(|(rank, _)| *rank)?;
    hit(Class::Truncation, Some(best.1))
}

/// Adds the labels stored under a deletion hash that passed the filter. Kept out of line: it runs
/// for about one probe in a hundred, and inlined it made the probe loop too large to inline.
#[inline(never)]
fn add_candidates(index: &Index, hash: u64, region: usize, candidates: &mut Vec<u32>) {
    index.deletions.get(hash, region, |id| {
        if !candidates.contains(&id) {
            candidates.push(id);
        }
    });
}

/// The labels that share a deletion form with `typed` within their edit budget: every label
/// within its budget of it (and a few more, which the distance check drops).
fn edit_candidates(index: &Index, typed: &[char]) -> Vec<u32> {
    let mut candidates: Vec<u32> = Vec::new();
    let filter = &index.deletion_filter;
    if typed.len() > distance::MAX_LABEL {
        return candidates;
    }
    let forms = distance::Deletions::new(typed);
    let n = typed.len();
    // Labels of budget 1 (4–7 characters) through at most one deletion on each side; labels of
    // budget 2 (8 and more, so the typed name has at least 6) through at most two. Deleting `d`
    // characters only meets protected forms of `n - d` characters, each length a region of the
    // filter; an empty region is not probed.
    for (budget, applies) in [(1, n <= 8), (2, n >= 6)] {
        if !applies {
            continue;
        }
        for depth in 0..=budget.min(n) {
            let region = index::filter_region(budget, n - depth);
            let Some(place) = filter.region(region) else { continue };
            forms.each(depth, |hash| {
                if index::BitFilter::may_contain(place, hash) {
                    add_candidates(index, hash, region, &mut candidates);
                }
            });
        }
    }
    candidates
}

/// Damerau distance within the budget of the protected label's length.
fn edit(index: &Index, label: &str, suffix: &str) -> Option<Hit> {
    // The label's characters on the stack: this runs for nearly every name checked. No label
    // longer than MAX_LABEL has a deletion hash or a distance, so a longer one matches nothing.
    let mut buffer = ['\0'; distance::MAX_LABEL];
    let mut len = 0;
    for c in label.chars() {
        *buffer.get_mut(len)? = c;
        len += 1;
    }
    let typed = buffer.get(..len)?;
    if typed.len() > index.longest_label + 2 || typed.len() < 3 {
        return None;
    }
    let mut best: Option<(usize, super::index::Origin, u32, u32)> = None;
    for id in edit_candidates(index, typed) {
        let Some(protected) = index.label(id) else { continue };
        let Some(d) = distance::osa_within(typed, &protected.chars, edit_budget(protected.chars.len())) else {
            continue;
        };
        let entry =
            if protected.chars.len() <= 5 { compatible_entry(index, id, suffix) } else { entry_for(index, id, suffix) };
        let Some(entry) = entry else { continue };
        // Two letters added at one end is a compound (`silkeborgel`), not a typo.
        let glued = d == 2
            && typed.len() == protected.chars.len() + 2
            && (typed.starts_with(&protected.chars) || typed.ends_with(&protected.chars));
        if glued {
            continue;
        }
        let key = (d, protected.origin, id, entry);
        if d > 0 && best.is_none_or(|b| (key.0, key.1, key.2) < (b.0, b.1, b.2)) {
            best = Some(key);
        }
    }
    let (d, _, id, entry) = best?;
    let class = if d == 1 {
        match index.label(id).map(|p| distance::single_edit(typed, &p.chars)) {
            Some(Edit::Transposition) => Class::Transposition,
            Some(Edit::Keyboard) => Class::KeyboardNeighbour,
            _ => Class::EditDistance,
        }
    } else {
        Class::EditDistance
    };
    hit(class, Some(entry))
}

/// An abbreviation keeps at most 60 % of the label (`fredc` of `fredericia`, not `sten` of
/// `stevns`).
fn short_enough(abbreviation: usize, label: usize) -> bool {
    abbreviation * 5 <= label * 3
}

fn is_consonant(c: char) -> bool {
    c.is_ascii_lowercase() && !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// `fhavn.dk` (first letter(s) + the label's ending of 4–6 letters), `fredc.dk` (a prefix of at
/// least 3 letters + one or two consonants found further on), and the customary abbreviations of
/// [`known::ABBREVIATIONS`](super::known::ABBREVIATIONS) (`frb.dk`, `kbh.dk`). At least 3
/// characters and at most 60 % of the label; tuned on short Danish words (`mad`, `bog`, `vig`,
/// `holm` are not abbreviations of Mariagerfjord, Borger, Viborg, Hørsholm).
fn abbreviation(index: &Index, label: &str, suffix: &str, forms: Forms) -> Option<Hit> {
    if let Some(id) = forms.get(Form::Abbreviation) {
        return hit(Class::Abbreviation, compatible_entry(index, id, suffix));
    }
    let n = label.len();
    if !(3..=8).contains(&n) || !label.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let chars: Vec<char> = label.chars().collect();
    let first = *chars.first()?;
    for split in 1..n.saturating_sub(2) {
        let (head, tail) = (label.get(..split)?, label.get(split..)?);
        if !index::ABBREVIATION_TAIL.contains(&tail.len()) {
            continue;
        }
        let mut found = None;
        index.by_first_suffix.get(index::first_suffix_key(first, &chars[split..]), 0, |id| {
            let fits = index.label(id).is_some_and(|p| {
                short_enough(n, p.text.len())
                    && p.text.starts_with(head)
                    && p.text.ends_with(tail)
                    && p.text.len() - tail.len() > split
            });
            if fits && found.is_none() {
                found = compatible_entry(index, id, suffix);
            }
        });
        if found.is_some() {
            return hit(Class::Abbreviation, found);
        }
    }
    for cut in [n - 1, n.saturating_sub(2)] {
        let (head, tail) = (label.get(..cut)?, label.get(cut..)?);
        if head.len() < 3 || !tail.chars().all(is_consonant) {
            continue;
        }
        let best = index
            .longer_with_prefix(head)
            .filter_map(|id| {
                let p = index.label(id)?;
                if !short_enough(n, p.text.len()) {
                    return None;
                }
                let mut rest = p.text.get(cut + 1..).unwrap_or("").chars();
                let subsequence = tail.chars().all(|c| rest.any(|r| r == c));
                subsequence.then(|| Some((index.rank(id), compatible_entry(index, id, suffix)?))).flatten()
            })
            .min_by_key(|(rank, _)| *rank);
        if let Some((_, entry)) = best {
            return hit(Class::Abbreviation, Some(entry));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label with up to `edits` random edits (substitution, insertion, deletion, transposition)
    /// from a small alphabet, so that edits often meet other labels too.
    fn edited(label: &[char], edits: &[(u8, usize, char)]) -> Vec<char> {
        let mut out = label.to_vec();
        for &(kind, at, c) in edits {
            let at = at % (out.len() + 1);
            match kind % 4 {
                0 if at < out.len() => out[at] = c,
                1 => out.insert(at, c),
                2 if at < out.len() && out.len() > 1 => {
                    out.remove(at);
                }
                3 if at + 1 < out.len() => out.swap(at, at + 1),
                _ => {}
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// The deletion index and its filter regions lose no label: every protected label within
        /// its edit budget of a typed one is a candidate, whatever the lengths.
        #[test]
        fn every_label_within_its_budget_is_a_candidate(
            labels in proptest::collection::vec("[abdeøå]{4,16}", 1..12),
            pick in 0usize..12,
            edits in proptest::collection::vec((0u8..4, 0usize..20, proptest::sample::select(vec!['a', 'b', 'e', 'ø'])), 0..3),
        ) {
            let domains: Vec<String> = labels.iter().map(|l| format!("{l}.dk")).collect();
            let refs: Vec<&str> = domains.iter().map(String::as_str).collect();
            let set = super::super::ProtectedSet::builtin().with_protected(&refs).unwrap();
            let index = &set.index;
            let source: Vec<char> = labels[pick % labels.len()].chars().collect();
            let typed = edited(&source, &edits);
            let found = edit_candidates(index, &typed);
            for (id, label) in index.labels.iter().enumerate() {
                let within = distance::osa_within(&typed, &label.chars, edit_budget(label.chars.len())).is_some();
                proptest::prop_assert!(!within || found.contains(&(id as u32)), "{typed:?} misses {}", label.text);
            }
        }

        /// The prefix search (and the prefix bits in front of it) finds exactly the labels that
        /// start with a text and are longer than it.
        #[test]
        fn prefix_search_finds_every_longer_label(
            labels in proptest::collection::vec("[abeø]{3,12}", 1..16),
            pick in 0usize..16,
            cut in 1usize..13,
            other in "[abeø]{1,10}",
        ) {
            let domains: Vec<String> = labels.iter().map(|l| format!("{l}.dk")).collect();
            let refs: Vec<&str> = domains.iter().map(String::as_str).collect();
            let set = super::super::ProtectedSet::builtin().with_protected(&refs).unwrap();
            let index = &set.index;
            let source = &labels[pick % labels.len()];
            let prefix: String = source.chars().take(cut).collect();
            for typed in [prefix.as_str(), other.as_str()] {
                let mut found: Vec<u32> = index.longer_with_prefix(typed).collect();
                found.sort_unstable();
                let want: Vec<u32> = (0..index.labels.len() as u32)
                    .filter(|&id| index.labels[id as usize].text.starts_with(typed))
                    .filter(|&id| index.labels[id as usize].text.len() > typed.len())
                    .collect();
                proptest::prop_assert_eq!(found, want, "{}", typed);
            }
        }

        /// The byte-mask pre-selection finds exactly the words of the list.
        #[test]
        fn is_affix_is_membership_in_the_list(word in "[a-zå]{0,14}") {
            proptest::prop_assert_eq!(is_affix(&word), AFFIXES.contains(&word.as_str()));
        }
    }

    #[test]
    fn every_affix_is_an_affix() {
        for affix in AFFIXES {
            assert!(is_affix(affix), "{affix}");
            let longer = format!("{affix}x");
            assert_eq!(is_affix(&longer), AFFIXES.contains(&longer.as_str()), "{longer}");
        }
        assert!(!is_affix("") && !is_affix("k") && !is_affix("fredericia"));
    }
}
