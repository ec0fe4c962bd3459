//! The lookup structures behind [`ProtectedSet`](super::ProtectedSet), built once per set.
//!
//! Every structure answers one class with a hash lookup (or a handful), so a check costs about the
//! same whether 300 or 10,000 domains are protected.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::distance::{self, MAX_LABEL};
use super::text;

/// A small, fast, non-cryptographic hasher (FxHash) for the index's short string keys. The keys
/// come from the built-in lists and the organisation's configuration, not from attackers, so
/// hash flooding is not a concern.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;
pub(crate) type FxSet<K> = HashSet<K, BuildHasherDefault<Fx>>;

/// Where a protected domain comes from; also its priority when a typed domain resembles several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Origin {
    /// The organisation's own domain ([`ProtectedSet::with_own`](super::ProtectedSet::with_own)).
    Own,
    /// Added by the caller ([`ProtectedSet::with_protected`](super::ProtectedSet::with_protected)).
    Caller,
    Municipality,
    Region,
    State,
    Provider,
}

impl Origin {
    /// Shortest label that TLD swaps, compounds and hyphenations are looked for around. Short
    /// provider and state labels (`web`, `me`, `live`) are everyday words.
    pub(crate) fn min_affix_label(self) -> usize {
        match self {
            Origin::Own | Origin::Caller | Origin::Municipality | Origin::Region => 3,
            Origin::State => 4,
            Origin::Provider => 5,
        }
    }
}

/// One protected registrable domain.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) domain: String,
    pub(crate) suffix: String,
    pub(crate) origin: Origin,
}

/// One distinct registrable label (Unicode form) and the protected domains that carry it.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub(crate) text: String,
    pub(crate) chars: Vec<char>,
    /// Entries with this label, best first.
    pub(crate) entries: Vec<u32>,
    /// The best origin among `entries`.
    pub(crate) origin: Origin,
}

/// Edit-distance budget for a protected label of `len` characters: none below 4 (every short
/// word is within one edit of `kk`, `rm` or `ltk`), 1 for 4–7, 2 from 8.
pub(crate) fn edit_budget(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Key-value pairs grouped by region: region `r`'s are `pairs[starts[r]..starts[r + 1]]`.
struct RegionPairs {
    pairs: Vec<(u64, u32)>,
    starts: Vec<usize>,
}

impl RegionPairs {
    /// All pairs in one region (region 0).
    fn one_region(pairs: Vec<(u64, u32)>) -> Self {
        let starts = vec![0, pairs.len()];
        RegionPairs { pairs, starts }
    }

    /// The pairs of each region in turn.
    fn regions(&self) -> impl Iterator<Item = &[(u64, u32)]> {
        self.starts.windows(2).map(|w| self.pairs.get(w[0]..w[1]).unwrap_or(&[]))
    }

    /// Lays the regions out one after another from index 1 (index 0 stays empty: empty regions
    /// point at it), each of `size(its pair count)` places. Returns, per region, its first index
    /// (0 when it has no pairs) and its number of places, and the total.
    fn lay_out(&self, size: impl Fn(usize) -> usize) -> (Vec<(usize, usize)>, usize) {
        let mut total = 1usize;
        let regions = self
            .regions()
            .map(|pairs| {
                if pairs.is_empty() {
                    return (0, 0);
                }
                let places = size(pairs.len());
                total += places;
                (total - places, places)
            })
            .collect();
        (regions, total)
    }
}

/// The deletion forms of every label with an edit budget, as (hash, label id) pairs
/// grouped by [`filter_region`]. How many forms of each length a label has follows from its
/// length, so the pairs are counted first and then written straight into their region: the
/// filter and the table are filled one region at a time, with no per-pair region bookkeeping.
fn deletion_pairs(labels: &[Label]) -> RegionPairs {
    // (region, number of forms, depth) of each depth of a label's deletions. Labels longer than
    // MAX_LABEL have none.
    let groups = |label: &Label| {
        let n = label.chars.len();
        let budget = edit_budget(n);
        (0..=budget.min(n).min(2)).filter(move |_| n <= MAX_LABEL).map(move |depth| {
            let forms = match depth {
                0 => 1,
                1 => n,
                _ => n * n.saturating_sub(1) / 2,
            };
            (filter_region(budget, n - depth), forms, depth)
        })
    };
    let mut counts = vec![0usize; FILTER_REGIONS];
    for label in labels {
        for (region, forms, _) in groups(label) {
            if let Some(count) = counts.get_mut(region) {
                *count += forms;
            }
        }
    }
    let mut starts = Vec::with_capacity(counts.len() + 1);
    let mut total = 0;
    starts.push(0);
    for count in &counts {
        total += count;
        starts.push(total);
    }
    let mut pairs = vec![(0u64, 0u32); total];
    let mut cursors = starts.clone();
    for (id, label) in labels.iter().enumerate().filter(|(_, label)| label.chars.len() <= MAX_LABEL) {
        let forms = distance::Deletions::new(&label.chars);
        for (region, _, depth) in groups(label) {
            let Some(cursor) = cursors.get_mut(region) else { continue };
            forms.each(depth, |hash| {
                if let Some(slot) = pairs.get_mut(*cursor) {
                    *slot = (hash, id as u32);
                }
                *cursor += 1;
            });
        }
    }
    RegionPairs { pairs, starts }
}

/// Open-addressing multimap from 64-bit hashes to label ids, one `u64` per slot (upper half: the
/// hash's lower 32 bits with the lowest set, so never 0: its tag; lower half: the id). A key's
/// upper 32 bits choose where its probe starts. A lookup may return ids of other keys with the
/// same tag; every caller verifies what it gets.
///
/// Cut into regions like the [`BitFilter`] in front of it, for the same reason: a probe that gets
/// through the filter then lands in the region of the same form length, which for the lengths
/// few protected labels have stays in cache, instead of a cold line of an 8 MB table.
#[derive(Debug, Clone, Default)]
pub(crate) struct MultiTable {
    /// Slot 0 stays empty: empty regions point at it.
    slots: Vec<u64>,
    /// Per region: its first slot (0 for an empty region) and its number of slots.
    regions: Vec<(usize, usize)>,
}

impl MultiTable {
    /// A table of one region (region 0).
    fn build(pairs: Vec<(u64, u32)>) -> Self {
        MultiTable::build_in_regions(&RegionPairs::one_region(pairs))
    }

    /// A table of pairs in regions.
    fn build_in_regions(pairs: &RegionPairs) -> Self {
        // Each region sized to its pairs at a load of 5/8, not rounded up to a power of two: with
        // regions, rounding made the table 40 % larger, and its page faults slowed the build.
        let (regions, total) = pairs.lay_out(|count| count + count * 3 / 5 + 1);
        let mut slots = vec![0u64; total];
        for (region_pairs, &(base, places)) in pairs.regions().zip(&regions) {
            for &(key, value) in region_pairs {
                let packed = tag(key) | u64::from(value);
                let mut offset = start(key, places);
                while let Some(slot) = slots.get_mut(base + offset) {
                    if *slot == 0 || *slot == packed {
                        *slot = packed;
                        break;
                    }
                    offset = next(offset, places);
                }
            }
        }
        MultiTable { slots, regions }
    }

    /// A region's first slot and number of slots; empty regions are the one slot 0.
    #[inline]
    fn region(&self, region: usize) -> (usize, usize) {
        match self.regions.get(region) {
            Some(&(base, places)) if places > 0 => (base, places),
            _ => (0, 1),
        }
    }

    /// Calls `found` with every id stored under `key` in `region` (and rarely a few more).
    #[inline]
    pub(crate) fn get(&self, key: u64, region: usize, mut found: impl FnMut(u32)) {
        let (base, places) = self.region(region);
        let tag = tag(key);
        let mut offset = start(key, places);
        while let Some(&packed) = self.slots.get(base + offset) {
            if packed == 0 {
                return;
            }
            if packed & 0xffff_ffff_0000_0000 == tag {
                found(packed as u32);
            }
            offset = next(offset, places);
        }
    }
}

/// Where a key's probe starts among `places` slots: its upper 32 bits (the best mixed of a
/// multiplicative hash) scaled to the range.
#[inline]
fn start(key: u64, places: usize) -> usize {
    (((key >> 32) * places as u64) >> 32) as usize
}

/// A key's tag in a slot's upper half: its lower 32 bits, the lowest set so no tag is 0 (an empty
/// slot).
#[inline]
fn tag(key: u64) -> u64 {
    key << 32 | 1 << 32
}

/// The slot after `offset`, wrapping at the end of the region.
#[inline]
fn next(offset: usize, places: usize) -> usize {
    if offset + 1 < places { offset + 1 } else { 0 }
}

/// A blocked Bloom filter over 64-bit hashes, in regions: one per length of deletion form and
/// edit budget ([`filter_region`]). Three bits per key, all in one 64-bit word, about 16 to 32
/// bits per key (each region rounded up to a power of two of words, at least eight), so one cache
/// line answers and about one absent key in 200 gets through (measured on the all-unknown bench:
/// 0.6 false passes in some 120 probes a check).
///
/// A check of an unrelated name probes some 120 deletion hashes, nearly all absent; without the
/// filter each was a cache (and TLB) miss in the [`MultiTable`] behind it. Why regions: a typed
/// name of `n` characters can only meet forms of `n - 2` to `n` characters, so its probes land in
/// three regions, and names of a length few protected labels have (long ones, usually) probe
/// small regions that stay in cache, instead of lines spread over the whole filter (measured:
/// simulated L2 misses per check of the all-unknown bench from 74 to 26). A region no protected
/// form falls in is empty, and its probes are skipped.
#[derive(Debug, Clone, Default)]
pub(crate) struct BitFilter {
    /// Word 0 stays unused: an empty region starts there.
    words: Vec<u64>,
    /// Per region: its first word (0 for an empty region) and its number of words.
    regions: Vec<(usize, usize)>,
}

/// Number of filter regions: two budget classes × form lengths 0 to 63 ([`filter_region`]).
const FILTER_REGIONS: usize = 128;

/// The filter region of a deletion form of `len` characters of a label with edit budget `budget`
/// (below [`FILTER_REGIONS`]). Budgets 0 and 1 share regions; budget 2 has its own. A label with
/// budget 1 meets a typed label only through one deletion or none on each side, a label with
/// budget 2 through up to two; kept together, a typed name's two-deletion forms would meet the
/// one-deletion forms of every shorter label around them, candidates that the distance check
/// then throws away (most of the cost of a check against 10,000 domains). The table behind the
/// filter has the same regions, so the two budgets never meet there either.
pub(crate) fn filter_region(budget: usize, len: usize) -> usize {
    usize::from(budget >= 2) * 64 + len.min(63)
}

/// 1,024 words with three of their 64 bits set, chosen by a fixed xorshift sequence. A key's
/// bits are one of them, picked by its top ten bits: one load from an 8 KB table that stays in L1,
/// where three variable shifts cost more instructions than the rest of a probe.
static BIT_PATTERNS: [u64; 1024] = bit_patterns();

const fn bit_patterns() -> [u64; 1024] {
    let mut patterns = [0u64; 1024];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut i = 0;
    while i < patterns.len() {
        let mut pattern = 0u64;
        while pattern.count_ones() < 3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            pattern |= 1 << (state >> 58);
        }
        patterns[i] = pattern;
        i += 1;
    }
    patterns
}

impl BitFilter {
    /// Builds the filter from keys grouped by [`filter_region`].
    fn build(keys: &RegionPairs) -> Self {
        // At least eight words: a region of a handful of keys still answers "absent" well.
        let (regions, total) = keys.lay_out(|count| (count / 4).clamp(8, 1 << 22).next_power_of_two());
        let mut words = vec![0u64; total];
        for (region_keys, &(base, len)) in keys.regions().zip(&regions) {
            let Some(region) = words.get_mut(base..base + len) else { continue };
            for &(key, _) in region_keys {
                if let Some(word) = region.get_mut(BitFilter::word(key, len)) {
                    *word |= BitFilter::bits(key);
                }
            }
        }
        BitFilter { words, regions }
    }

    /// A region's words, or `None` when no key lies in it (its probes are skipped).
    #[inline]
    pub(crate) fn region(&self, region: usize) -> Option<FilterRegion<'_>> {
        let &(base, len) = self.regions.get(region)?;
        let words = self.words.get(base..base + len).filter(|_| base != 0)?;
        Some(FilterRegion { words })
    }

    /// A key's word among a region's `len` (a power of two, at most 2^22), from bits 22 to 43:
    /// below the top ten (its bits in the word) and below most of the bits that place it in the
    /// table (the top of its upper half).
    #[inline]
    fn word(key: u64, len: usize) -> usize {
        (key >> 22) as usize & len.wrapping_sub(1)
    }

    /// A key's bits in its word, from its top ten bits.
    #[inline]
    fn bits(key: u64) -> u64 {
        BIT_PATTERNS.get((key >> 54) as usize).copied().unwrap_or(0)
    }

    /// Whether `key` may be present in `region` (no false negatives).
    #[inline]
    pub(crate) fn may_contain(region: FilterRegion<'_>, key: u64) -> bool {
        let words = region.words;
        let bits = BitFilter::bits(key);
        words.get(BitFilter::word(key, words.len())).is_some_and(|w| w & bits == bits)
    }
}

/// One region of a [`BitFilter`]: a power of two of words (at least eight).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilterRegion<'a> {
    words: &'a [u64],
}

/// The first eight bytes of a text, big-endian, zero-padded: ordered like the texts themselves
/// (labels hold no NUL), so `sort_key(a) < sort_key(b)` implies `a < b`.
pub(crate) fn sort_key(text: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, byte) in bytes.iter_mut().zip(text.bytes()) {
        *slot = byte;
    }
    u64::from_be_bytes(bytes)
}

/// A set of 65,536 bits, one per hash of the first six bytes of a label (from its [`sort_key`]).
/// The binary search of a prefix search is a chain of dependent cache misses, on every check
/// (truncations), and nearly always finds nothing: a text of six bytes or more whose first six
/// start no label skips it. Each distinct start sets one bit, so 10,000 labels set at most 15 %.
#[derive(Debug, Clone)]
pub(crate) struct PrefixBits(Vec<u64>);

impl Default for PrefixBits {
    fn default() -> Self {
        PrefixBits(vec![0; PrefixBits::WORDS])
    }
}

impl PrefixBits {
    const WORDS: usize = 1024;
    /// Bytes of the prefix that are hashed.
    const BYTES: usize = 6;

    /// The bit of the first six bytes of a sort key.
    fn bit(key: u64) -> (usize, u64) {
        let hash = (key >> 16).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 48;
        ((hash >> 6) as usize, 1 << (hash & 63))
    }

    fn of(keys: &[u64]) -> Self {
        let mut bits = PrefixBits::default();
        for &key in keys {
            // A label shorter than six bytes has zero bytes in its key's first six; it can only
            // start with a shorter text, which is never filtered.
            let (word, bit) = PrefixBits::bit(key);
            if let Some(word) = bits.0.get_mut(word) {
                *word |= bit;
            }
        }
        bits
    }

    /// Whether a label may start with a text of `len` bytes whose sort key is `key`; always true
    /// for a text shorter than six bytes.
    #[inline]
    fn may_start(&self, key: u64, len: usize) -> bool {
        if len < PrefixBits::BYTES {
            return true;
        }
        let (word, bit) = PrefixBits::bit(key);
        self.0.get(word).is_none_or(|w| w & bit != 0)
    }
}

/// Hash of an abbreviation key: a first character and an ending (`f` + `havn`).
pub(crate) fn first_suffix_key(first: char, tail: &[char]) -> u64 {
    let mut h = Fx::default();
    h.write_u32(u32::from(first));
    for &c in tail {
        h.write_u32(u32::from(c));
    }
    let x = h.finish().wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// Endings of 4 to 6 characters are indexed for abbreviations (`havn`, `borg`; 3 letters let
/// `holm.dk` through as an abbreviation of `horsholm`).
pub(crate) const ABBREVIATION_TAIL: std::ops::RangeInclusive<usize> = 4..=6;

/// All lookup structures.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    pub(crate) entries: Vec<Entry>,
    pub(crate) labels: Vec<Label>,
    /// Registrable domains of every protected and well-known organisation.
    pub(crate) known: FxSet<String>,
    /// Protected registrable domain → entry id.
    pub(crate) by_domain: FxMap<String, u32>,
    /// Every label and every form derived from one (its skeleton, its fold, a municipality's name
    /// folded, the domain with a dot dropped, the label without hyphens, a customary
    /// abbreviation) → what that text is a form of. One map instead of one per form: a typed
    /// label is looked up once for all the forms it may be, instead of six times.
    pub(crate) forms: FxMap<Box<[u8]>, Forms>,
    /// Labels sorted by text with their ids, for prefix ranges (truncations, abbreviations).
    pub(crate) sorted: Vec<(String, u32)>,
    /// [`sort_key`] of each of `sorted`: the binary search runs over this compact array and looks
    /// at the texts only among equal keys (a search over the texts was a cache miss per step).
    pub(crate) sorted_keys: Vec<u64>,
    /// Which first six bytes start a label ([`PrefixBits`]): a prefix search for a text of six
    /// bytes or more is skipped when no label starts like it.
    pub(crate) prefixes: PrefixBits,
    /// First character + an ending of 3–6 characters, not touching the first two (`f` + `havn`)
    /// → label ids.
    pub(crate) by_first_suffix: MultiTable,
    /// Deletion neighbourhoods ([`distance::Deletions`]) → label ids.
    pub(crate) deletions: MultiTable,
    /// Which deletion hashes are in `deletions` (asked first: it is small and in cache).
    pub(crate) deletion_filter: BitFilter,
    /// Length in characters of the longest label with an edit budget.
    pub(crate) longest_label: usize,
}

/// What a text is in the index: for each kind of form, the label (or, for a dropped dot, the
/// entry) it is that form of. The first one added wins, as entries come best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Forms([u32; 6]);

/// The kinds of [`Forms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// The label itself → label id.
    Label = 0,
    /// Confusable skeleton of a label → label id.
    Skeleton = 1,
    /// Danish fold of a label or of a municipality's name → label id.
    Fold = 2,
    /// A protected domain with a dot dropped (`fredericiadk`, `wwwfredericia`) → entry id.
    Dotless = 3,
    /// A hyphenated label without its hyphens (`ikastbrande`) → label id.
    NoHyphen = 4,
    /// A customary abbreviation (`frb`) → label id.
    Abbreviation = 5,
}

impl Forms {
    /// A text that is no form of anything.
    pub(crate) const NONE: Forms = Forms([u32::MAX; 6]);

    /// The id this text is the `form` of, if any.
    #[inline]
    pub(crate) fn get(self, form: Form) -> Option<u32> {
        self.0.get(form as usize).copied().filter(|&id| id != u32::MAX)
    }

    fn add(&mut self, form: Form, id: u32) {
        if let Some(slot) = self.0.get_mut(form as usize).filter(|slot| **slot == u32::MAX) {
            *slot = id;
        }
    }
}

impl Default for Forms {
    fn default() -> Self {
        Forms::NONE
    }
}

impl Index {
    /// Builds the index. `entries` must be deduplicated and ordered best first; `names` are extra
    /// names for entries, as `(entry id, name)`; `well_known` are registrable domains that are known
    /// but not protected.
    pub(crate) fn build(
        entries: Vec<Entry>,
        names: &[(u32, &str)],
        abbreviations: &[(u32, &str)],
        well_known: &[String],
    ) -> Self {
        let n = entries.len();
        let mut index = Index {
            entries,
            known: FxSet::with_capacity_and_hasher(n + well_known.len(), Default::default()),
            by_domain: FxMap::with_capacity_and_hasher(n, Default::default()),
            // About 3.7 texts per entry (10,190 entries: 38,376); room for 4 keeps the map at
            // 65,536 buckets (3 MB) without a rehash, where 6 per entry doubled it.
            forms: FxMap::with_capacity_and_hasher(4 * n + names.len(), Default::default()),
            labels: Vec::with_capacity(n),
            ..Index::default()
        };
        let mut abbreviation_pairs: Vec<(u64, u32)> = Vec::new();
        for entry_id in 0..index.entries.len() {
            let Some(entry) = index.entries.get(entry_id) else { continue };
            let (domain, suffix, origin) = (entry.domain.clone(), entry.suffix.clone(), entry.origin);
            let id = entry_id as u32;
            index.known.insert(domain.clone());
            index.by_domain.insert(domain.clone(), id);
            let label_ascii = domain.split('.').next().unwrap_or(&domain).to_owned();
            let label_text = if label_ascii.starts_with("xn--") {
                idna::domain_to_unicode(&label_ascii).0
            } else {
                label_ascii.clone()
            };
            let dotless_suffix: String = suffix.split('.').collect();
            index.add_form(format!("{label_text}{dotless_suffix}"), Form::Dotless, id);
            if let Some(first) = suffix.split('.').next().filter(|first| *first != dotless_suffix) {
                index.add_form(format!("{label_text}{first}"), Form::Dotless, id);
            }
            index.add_form(format!("www{label_text}"), Form::Dotless, id);
            let label_id = match index.label_id(&label_text) {
                Some(existing) => {
                    if let Some(label) = index.labels.get_mut(existing as usize) {
                        label.entries.push(id);
                    }
                    continue;
                }
                None => index.labels.len() as u32,
            };
            let chars: Vec<char> = label_text.chars().collect();
            index.add_form(label_text.clone(), Form::Label, label_id);
            index.add_form(text::skeleton(&label_text).into_owned(), Form::Skeleton, label_id);
            index.add_form(text::fold(&label_text).into_owned(), Form::Fold, label_id);
            if label_text.contains('-') {
                index.add_form(label_text.replace('-', ""), Form::NoHyphen, label_id);
            }
            let n = chars.len();
            if n <= MAX_LABEL {
                if let Some(&first) = chars.first() {
                    for start in 2..n.saturating_sub(2) {
                        if ABBREVIATION_TAIL.contains(&(n - start)) {
                            abbreviation_pairs.push((first_suffix_key(first, &chars[start..]), label_id));
                        }
                    }
                }
                index.longest_label = index.longest_label.max(n);
            }
            index.labels.push(Label { text: label_text, chars, entries: vec![id], origin });
        }
        let label_of = |index: &Index, entry_id: u32| {
            index
                .entries
                .get(entry_id as usize)
                .and_then(|entry| entry.domain.split('.').next())
                .and_then(|label| index.label_id(label))
        };
        for &(entry_id, name) in names {
            if let Some(label_id) = label_of(&index, entry_id) {
                index.add_form(text::fold(&name.to_lowercase()).into_owned(), Form::Fold, label_id);
            }
        }
        for &(entry_id, abbreviation) in abbreviations {
            if let Some(label_id) = label_of(&index, entry_id) {
                index.add_form(abbreviation.to_owned(), Form::Abbreviation, label_id);
            }
        }
        let pairs = deletion_pairs(&index.labels);
        index.deletions = MultiTable::build_in_regions(&pairs);
        index.deletion_filter = BitFilter::build(&pairs);
        index.by_first_suffix = MultiTable::build(abbreviation_pairs);
        index.known.extend(well_known.iter().cloned());
        let mut sorted: Vec<(String, u32)> =
            index.labels.iter().enumerate().map(|(id, l)| (l.text.clone(), id as u32)).collect();
        sorted.sort_unstable();
        index.sorted_keys = sorted.iter().map(|(text, _)| sort_key(text)).collect();
        index.prefixes = PrefixBits::of(&index.sorted_keys);
        index.sorted = sorted;
        index
    }

    fn add_form(&mut self, text: String, form: Form, id: u32) {
        self.forms.entry(text.into_bytes().into_boxed_slice()).or_default().add(form, id);
    }

    /// What `text` (UTF-8 bytes: derived forms are built as bytes) is a form of ([`Forms::NONE`]
    /// when nothing).
    #[inline]
    pub(crate) fn forms_of(&self, text: &(impl AsRef<[u8]> + ?Sized)) -> Forms {
        self.forms.get(text.as_ref()).copied().unwrap_or(Forms::NONE)
    }

    /// The id of the label `text`, if it is one.
    #[inline]
    pub(crate) fn label_id(&self, text: &(impl AsRef<[u8]> + ?Sized)) -> Option<u32> {
        self.forms_of(text).get(Form::Label)
    }

    /// Ids of the labels that start with `prefix` and are longer than it, in text order. Callers
    /// that want the best one take the minimum of [`Index::rank`]; no allocation, since this runs
    /// on every check and almost always finds nothing.
    pub(crate) fn longer_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = u32> + 'a {
        let key = sort_key(prefix);
        let start = match self.prefixes.may_start(key, prefix.len()) {
            true => self.sorted_keys.partition_point(|&k| k < key),
            false => self.sorted_keys.len(),
        };
        let start = start
            + self.sorted[start..]
                .iter()
                .zip(&self.sorted_keys[start..])
                .take_while(|((text, _), k)| **k == key && text.as_str() < prefix)
                .count();
        // Up to 8 bytes the key alone says whether a text starts with the prefix.
        let short = prefix.len() <= 8;
        let mask = if short { u64::MAX.checked_shl(8 * (8 - prefix.len() as u32)).unwrap_or(0) } else { u64::MAX };
        self.sorted[start..]
            .iter()
            .zip(&self.sorted_keys[start..])
            .take_while(move |((text, _), k)| *k & mask == key && (short || text.starts_with(prefix)))
            .filter(move |((text, _), _)| text.len() > prefix.len())
            .map(|(&(_, id), _)| id)
    }

    /// How good a candidate label is when several fit: own and municipal before providers, then
    /// shorter, then the lower id.
    pub(crate) fn rank(&self, id: u32) -> (Origin, usize, u32) {
        self.labels.get(id as usize).map_or((Origin::Provider, usize::MAX, id), |l| (l.origin, l.chars.len(), id))
    }

    pub(crate) fn label(&self, id: u32) -> Option<&Label> {
        self.labels.get(id as usize)
    }

    pub(crate) fn entry(&self, id: u32) -> Option<&Entry> {
        self.entries.get(id as usize)
    }
}
