//! Text helpers: normalising a typed domain, splitting off the registrable domain, the UTS #39
//! confusable skeleton and the Danish spelling fold.

use std::borrow::Cow;

/// A domain as the checks see it: trimmed, lowercased, in A-label (ASCII) and Unicode form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name<'a> {
    /// Lowercase A-label form without a trailing dot: the typed text itself when it already is
    /// that (nearly every name checked, so they cost no allocation).
    pub(crate) ascii: Cow<'a, str>,
    /// Unicode form without a trailing dot; `None` when it equals `ascii`.
    unicode: Option<String>,
    /// The input ended with a dot (`fredericia.dk.`); kept as a fact, never silently dropped.
    pub(crate) trailing_dot: bool,
}

impl Name<'_> {
    /// The Unicode form (the A-label form when they are the same).
    pub(crate) fn unicode(&self) -> &str {
        self.unicode.as_deref().unwrap_or(&self.ascii)
    }
}

/// Whether an ASCII name holds an A-label (`xn--` in any case, `XN--kbenhavn-54a.dk` too).
fn has_a_label(ascii: &[u8]) -> bool {
    ascii.windows(4).any(|w| w.get(2..) == Some(b"--") && w.get(..2).is_some_and(|xn| xn.eq_ignore_ascii_case(b"xn")))
}

/// Trims, lowercases and maps a typed domain through UTS #46 (only when it is not plain ASCII or
/// holds an A-label). `None` for an empty input.
pub(crate) fn normalise(input: &str) -> Option<Name<'_>> {
    let trimmed = input.trim();
    let (body, trailing_dot) = match trimmed.strip_suffix('.') {
        Some(body) => (body, true),
        None => (trimmed, false),
    };
    if body.is_empty() {
        return None;
    }
    if body.is_ascii() && !has_a_label(body.as_bytes()) {
        let ascii = match body.bytes().any(|b| b.is_ascii_uppercase()) {
            true => Cow::Owned(body.to_ascii_lowercase()),
            false => Cow::Borrowed(body),
        };
        return Some(Name { unicode: None, ascii, trailing_dot });
    }
    let lower = body.to_lowercase();
    match idn_forms(&lower) {
        Some((ascii, unicode)) if !ascii.is_empty() => {
            let unicode = (unicode != ascii).then_some(unicode);
            Some(Name { ascii: Cow::Owned(ascii), unicode, trailing_dot })
        }
        // Not a valid IDN: keep the lowercased text so the skeleton can still see through it.
        _ => Some(Name { ascii: Cow::Owned(lower), unicode: None, trailing_dot }),
    }
}

/// The A-label and the Unicode form of a domain (UTS #46 as `idna::domain_to_ascii` and
/// `domain_to_unicode` apply it), from one pass of the mapping; `None` when it is not a valid
/// IDN. Two passes (to ASCII, then back to Unicode) cost some 8,000 instructions a name, which
/// every homoglyph typed pays.
fn idn_forms(lower: &str) -> Option<(String, String)> {
    use idna::uts46::{AsciiDenyList, ErrorPolicy, Hyphens, ProcessingSuccess, Uts46};
    let (mut unicode, mut ascii) = (String::new(), String::new());
    let processed = Uts46::new().process(
        lower.as_bytes(),
        AsciiDenyList::EMPTY,
        Hyphens::Allow,
        ErrorPolicy::FailFast,
        |_, _, _| true,
        &mut unicode,
        Some(&mut ascii),
    );
    match processed {
        Ok(ProcessingSuccess::Passthrough) => Some((lower.to_owned(), lower.to_owned())),
        // The ASCII sink is written only when the Unicode form is not ASCII itself.
        Ok(ProcessingSuccess::WroteToSink) if ascii.is_empty() => Some((unicode.clone(), unicode)),
        Ok(ProcessingSuccess::WroteToSink) => Some((ascii, unicode)),
        Err(_) => None,
    }
}

/// The registrable domain split into its first label and the public suffix, in both forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    /// The registrable label in A-label form (`fredericia`, `xn--kbenhavn-54a`).
    pub(crate) label_ascii: &'a str,
    /// The registrable label in Unicode form (`københavn`).
    pub(crate) label: &'a str,
    /// The public suffix (`dk`, `co.uk`); empty when the name has a single label.
    pub(crate) suffix: &'a str,
    /// Everything before the registrable domain, without its final dot (`www`, `fredericia.dk`).
    pub(crate) subdomain: &'a str,
    /// The registrable domain in A-label form.
    pub(crate) registrable: &'a str,
}

/// Splits a normalised name with the Public Suffix List. A single label is its own registrable
/// label with an empty suffix.
pub(crate) fn split<'a>(name: &'a Name<'_>) -> Parts<'a> {
    let ascii: &str = &name.ascii;
    // The list answers with the registrable domain and its suffix, tails of the name; their
    // lengths place the label and the suffix without searching the text again.
    let tail = |len: usize| ascii.len().checked_sub(len).and_then(|start| ascii.get(start..));
    let listed = psl::domain(ascii.as_bytes()).and_then(|domain| {
        let suffix_len = domain.suffix().as_bytes().len();
        let registrable = tail(domain.as_bytes().len())?;
        let label = registrable.get(..registrable.len().checked_sub(suffix_len + 1)?)?;
        Some((registrable, label, tail(suffix_len)?))
    });
    let (registrable, label_ascii, suffix) = listed.unwrap_or_else(|| {
        let (label, suffix) = ascii.split_once('.').unwrap_or((ascii, ""));
        (ascii, label, suffix)
    });
    let subdomain_end = ascii.len() - registrable.len();
    let subdomain = ascii.get(..subdomain_end.saturating_sub(1)).unwrap_or("");
    let label = match &name.unicode {
        None => label_ascii,
        Some(unicode) => {
            // The Unicode form has as many labels as the ASCII one; skip the subdomain's.
            let skip = if subdomain_end == 0 { 0 } else { subdomain.bytes().filter(|&b| b == b'.').count() + 1 };
            unicode.split('.').nth(skip).unwrap_or(label_ascii)
        }
    };
    Parts { label_ascii, label, suffix, subdomain, registrable }
}

/// Whether a public suffix is in the Public Suffix List (as opposed to the list's default rule).
pub(crate) fn is_known_suffix(suffix: &str) -> bool {
    if suffix.is_empty() {
        return false;
    }
    let probe = format!("x.{suffix}");
    psl::suffix(probe.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == suffix.as_bytes())
}

/// A short text built on the stack: the derived forms of a label (its fold, its skeleton, its
/// hyphens dropped) are looked up once and then thrown away, on every check, so they should not
/// cost an allocation. A form longer than the buffer (only Unicode forms of very long labels)
/// reports `None` and the caller builds a `String` instead.
pub(crate) struct Short {
    bytes: [u8; Short::CAPACITY],
    len: usize,
    overflow: bool,
}

impl Short {
    const CAPACITY: usize = 128;

    pub(crate) fn new() -> Self {
        Short { bytes: [0; Short::CAPACITY], len: 0, overflow: false }
    }

    pub(crate) fn push(&mut self, c: char) {
        match u8::try_from(c) {
            Ok(byte) if byte.is_ascii() => self.push_ascii(byte),
            _ => {
                let mut utf8 = [0u8; 4];
                self.push_str(c.encode_utf8(&mut utf8));
            }
        }
    }

    /// Pushes one ASCII byte (the caller's promise; anything else would not be UTF-8).
    #[inline]
    fn push_ascii(&mut self, byte: u8) {
        debug_assert!(byte.is_ascii());
        match self.bytes.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    pub(crate) fn push_str(&mut self, text: &str) {
        let end = self.len + text.len();
        match self.bytes.get_mut(self.len..end) {
            Some(slot) if !self.overflow => {
                slot.copy_from_slice(text.as_bytes());
                self.len = end;
            }
            _ => self.overflow = true,
        }
    }

    /// Appends [`fold`] of an ASCII text.
    fn fold_ascii(&mut self, bytes: &[u8]) {
        let start = self.len;
        match self.bytes.get_mut(start..start + bytes.len()) {
            Some(out) => self.len = start + fold_ascii_into(bytes, out),
            None => self.overflow = true,
        }
    }

    /// The text's bytes (whole UTF-8 characters), or `None` if it did not fit. Bytes, not a
    /// `&str`: the index is keyed by bytes, and checking UTF-8 again was a tenth of a fold.
    pub(crate) fn as_bytes(&self) -> Option<&[u8]> {
        if self.overflow {
            return None;
        }
        self.bytes.get(..self.len)
    }
}

/// Bytes that are their own skeleton: lowercase ASCII letters but `m` (`rn`), digits but `0`
/// (`o`) and `1` (`l`), and the hyphen. A table, so the test is one load per byte, not a chain of
/// comparisons.
static OWN_SKELETON: [bool; 256] = {
    let mut own = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        own[b] = byte.is_ascii_lowercase() && byte != b'm'
            || byte.is_ascii_digit() && byte != b'0' && byte != b'1'
            || byte == b'-';
        b += 1;
    }
    own
};

/// Whether a label is its own skeleton (plain lowercase ASCII without the letters and digits
/// that have confusables).
fn is_own_skeleton(label: &str) -> bool {
    label.bytes().fold(true, |own, b| own & OWN_SKELETON[usize::from(b)])
}

/// The skeleton of an ASCII label, byte by byte (every byte pushed is ASCII).
fn ascii_skeleton(label: &str, mut out: impl FnMut(u8)) {
    for byte in label.bytes() {
        match byte {
            b'm' => {
                out(b'r');
                out(b'n');
            }
            b'0' => out(b'o'),
            b'1' | b'|' => out(b'l'),
            other => out(other.to_ascii_lowercase()),
        }
    }
}

/// The UTS #39 confusable skeleton of a label, lowercased, so `fredericiа` (Cyrillic а),
/// `frederlcia`/`freder1cia` (digit one), `g00gle` and `rnitid` meet their originals.
pub(crate) fn skeleton(label: &str) -> Cow<'_, str> {
    if is_own_skeleton(label) {
        return Cow::Borrowed(label);
    }
    if label.is_ascii() {
        let mut out = String::with_capacity(label.len() + 2);
        ascii_skeleton(label, |byte| out.push(char::from(byte)));
        return Cow::Owned(out);
    }
    let raw: String = unicode_security::skeleton(label).collect();
    Cow::Owned(raw.to_lowercase())
}

/// Calls `use_it` with the bytes of [`skeleton`] of the label when that differs from the label
/// (without allocating for an ASCII label); `None` when the label is its own skeleton (nearly
/// every label checked), so the caller can reuse what it already knows about the label.
pub(crate) fn with_changed_skeleton<R>(label: &str, use_it: impl FnOnce(&[u8]) -> R) -> Option<R> {
    if is_own_skeleton(label) {
        return None;
    }
    if label.is_ascii() {
        let mut short = Short::new();
        ascii_skeleton(label, |byte| short.push_ascii(byte));
        if let Some(text) = short.as_bytes() {
            return Some(use_it(text));
        }
    }
    Some(use_it(skeleton(label).as_bytes()))
}

/// Whether [`fold`] leaves a text as it is (a non-ASCII text never counts as its own fold).
fn is_own_fold(text: &str) -> bool {
    let mut changes = 0u8;
    let mut previous = 0u8;
    for &byte in text.as_bytes() {
        let class = FOLD_CLASSES[usize::from(byte)];
        changes |= class & FOLD_DROPPED | previous & (class >> 4) | byte >> 7;
        previous = class;
    }
    changes == 0
}

/// What a byte does in the ASCII fold, as bits: [`FOLD_DROPPED`] alone, and in a pair with the
/// next byte: it may start one ([`FOLD_A`], [`FOLD_O`]) and may end one (the bits of the letters
/// it follows, shifted up by four).
static FOLD_CLASSES: [u8; 256] = {
    let mut classes = [0u8; 256];
    classes[b'-' as usize] = FOLD_DROPPED;
    classes[b' ' as usize] = FOLD_DROPPED;
    classes[b'.' as usize] = FOLD_DROPPED;
    // `aa`, `ae` and `oe` merge: `a` starts two pairs and ends one, `e` ends two.
    classes[b'a' as usize] = FOLD_A | FOLD_A << 4;
    classes[b'o' as usize] = FOLD_O;
    classes[b'e' as usize] = (FOLD_A | FOLD_O) << 4;
    classes
};
const FOLD_DROPPED: u8 = 1;
const FOLD_A: u8 = 2;
const FOLD_O: u8 = 4;

/// [`fold`] of an ASCII text written to `out` (at least as long as `bytes`); returns the length
/// written. For ASCII the fold only removes bytes, so the text is its own fold exactly when the
/// length comes back unchanged. No branch depends on the letters (the pairs it merges are common
/// in Danish names, and a loop that branched on them mispredicted its way to most of the fold's
/// time), and the byte tests are one table load ([`FOLD_CLASSES`]). Only ASCII is written.
fn fold_ascii_into(bytes: &[u8], out: &mut [u8]) -> usize {
    let class_of = |byte: u8| FOLD_CLASSES[usize::from(byte)];
    let mut len = 0;
    let mut skip = false;
    let mut class = bytes.first().map_or(0, |&byte| class_of(byte));
    for (k, &byte) in bytes.iter().enumerate() {
        let next = bytes.get(k + 1).copied().unwrap_or(0);
        let next_class = class_of(next);
        // `ae` → `e`, `oe` → `o`, `aa` → `a`: the pair's second byte is skipped, and for a pair
        // starting with `a` the second letter is the one kept.
        let pair = !skip & (class & (next_class >> 4) != 0);
        let keep = !skip & (class & FOLD_DROPPED == 0);
        if let Some(slot) = out.get_mut(len) {
            *slot = if pair & (byte == b'a') { next } else { byte };
        }
        len += usize::from(keep);
        skip = pair;
        class = next_class;
    }
    len
}

/// [`fold`] of any text, character by character.
fn fold_unicode(text: &str, mut out: impl FnMut(char)) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match (c, next) {
            ('a', Some('e')) => {
                chars.next();
                out('e');
            }
            ('o', Some('e')) => {
                chars.next();
                out('o');
            }
            ('a', Some('a')) => {
                chars.next();
                out('a');
            }
            ('æ' | 'é' | 'è' | 'ë' | 'ä', _) => out('e'),
            ('ø' | 'ö' | 'ó' | 'ò', _) => out('o'),
            ('å' | 'á' | 'à', _) => out('a'),
            ('ü' | 'ú', _) => out('u'),
            ('-' | ' ' | '.', _) => {}
            (other, _) => out(other),
        }
    }
}

/// The Danish spelling fold: `æ`/`ae` → `e`, `ø`/`oe`/`ö` → `o`, `å`/`aa` → `a`, accents dropped,
/// hyphens and spaces removed. `københavn`, `koebenhavn` and `kobenhavn` all fold to `kobenhavn`;
/// `århus`, `aarhus` and `arhus` to `arhus`.
pub(crate) fn fold(text: &str) -> Cow<'_, str> {
    if is_own_fold(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    fold_unicode(text, |c| out.push(c));
    Cow::Owned(out)
}

/// Calls `use_it` with the bytes of [`fold`] of the text when that differs from the text,
/// without allocating for a short one (and, for ASCII, in one branch-free pass; `fold` itself
/// serves the index build, where neither matters); `None` when the text is its own fold, so the
/// caller can reuse what it already knows about the text.
pub(crate) fn with_changed_fold<R>(text: &str, use_it: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let mut short = Short::new();
    if text.is_ascii() {
        short.fold_ascii(text.as_bytes());
        if !short.overflow && short.len == text.len() {
            return None;
        }
    } else {
        // Never its own fold by `is_own_fold`: a non-ASCII text is always folded.
        fold_unicode(text, |c| short.push(c));
    }
    Some(match short.as_bytes() {
        Some(folded) => use_it(folded),
        None => use_it(fold(text).as_bytes()),
    })
}

/// Calls `use_it` with the bytes of the text without its hyphens, without allocating for a short
/// one.
pub(crate) fn with_hyphens_dropped<R>(text: &str, use_it: impl FnOnce(&[u8]) -> R) -> R {
    let mut short = Short::new();
    match short.bytes.get_mut(..text.len()) {
        Some(out) => {
            // Each byte written where the next one goes; a hyphen is overwritten by what follows.
            let mut len = 0;
            for &byte in text.as_bytes() {
                if let Some(slot) = out.get_mut(len) {
                    *slot = byte;
                }
                len += usize::from(byte != b'-');
            }
            use_it(out.get(..len).unwrap_or_default())
        }
        None => use_it(text.replace('-', "").as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_trims_lowercases_and_maps_idn() {
        let name = normalise("  København.DK ").unwrap();
        assert_eq!(name.ascii, "xn--kbenhavn-54a.dk");
        assert_eq!(name.unicode(), "københavn.dk");
        assert!(!name.trailing_dot);
        assert!(normalise("fredericia.dk.").unwrap().trailing_dot);
        assert_eq!(normalise("   "), None);
        // A lowercase ASCII name is used as typed; anything else is a new text.
        assert!(matches!(normalise("fredericia.dk").unwrap().ascii, Cow::Borrowed("fredericia.dk")));
        assert!(matches!(normalise("FREDERICIA.dk").unwrap().ascii, Cow::Owned(ref s) if s == "fredericia.dk"));
        // An A-label in any case is an A-label.
        for typed in ["xn--kbenhavn-54a.dk", "XN--KBENHAVN-54A.DK", "Xn--kbenhavn-54a.dk"] {
            assert_eq!(normalise(typed).unwrap().unicode(), "københavn.dk", "{typed}");
        }
    }

    proptest::proptest! {
        /// The one-pass IDN mapping gives what the two library calls give.
        #[test]
        fn one_pass_idn_forms_are_the_two_pass_ones(text in "([a-zæøåа-я0-9ąéßς-]{1,8}\\.){0,2}(dk|com|xn--kbenhavn-54a|xn--a)") {
            let two_pass = idna::domain_to_ascii(&text).ok().map(|ascii| {
                let unicode = idna::domain_to_unicode(&ascii).0;
                (ascii, unicode)
            });
            proptest::prop_assert_eq!(idn_forms(&text), two_pass);
        }
    }

    #[test]
    fn split_finds_label_and_suffix() {
        let name = normalise("www.xn--kbenhavn-54a.co.uk").unwrap();
        let parts = split(&name);
        assert_eq!(parts.label, "københavn");
        assert_eq!(parts.label_ascii, "xn--kbenhavn-54a");
        assert_eq!(parts.suffix, "co.uk");
        assert_eq!(parts.subdomain, "www");
        let single = normalise("fredericia").unwrap();
        assert_eq!(split(&single).suffix, "");
        assert_eq!(split(&single).label, "fredericia");
    }

    #[test]
    fn skeleton_and_fold() {
        assert_eq!(skeleton("fredericiа"), skeleton("fredericia"));
        assert_eq!(skeleton("rnitid"), skeleton("mitid"));
        assert_eq!(skeleton("g00gle"), skeleton("google"));
        assert_eq!(fold("københavn"), fold("koebenhavn"));
        assert_eq!(fold("århus"), fold("aarhus"));
        assert_eq!(fold("høje-taastrup"), "hojetastrup");
        assert!(is_known_suffix("dk") && is_known_suffix("co.uk"));
        assert!(!is_known_suffix("dl") && !is_known_suffix("dkk"));
    }

    #[test]
    fn the_allocation_free_forms_equal_the_allocated_ones() {
        let long = "æ".repeat(100);
        for text in ["fredericia", "københavn", "koebenhavn", "høje-taastrup", "g00gle", "rnitid", "fredericiа", &long]
        {
            let changed_fold = with_changed_fold(text, <[u8]>::to_vec);
            assert_eq!(changed_fold.unwrap_or_else(|| text.into()), fold(text).as_bytes());
            let changed_skeleton = with_changed_skeleton(text, <[u8]>::to_vec);
            assert_eq!(changed_skeleton.unwrap_or_else(|| text.into()), skeleton(text).as_bytes());
            with_hyphens_dropped(text, |joined| assert_eq!(joined, text.replace('-', "").as_bytes()));
        }
        let mut short = Short::new();
        short.push_str(&"a".repeat(Short::CAPACITY));
        assert_eq!(short.as_bytes().map(<[u8]>::len), Some(Short::CAPACITY));
        short.push('b');
        assert_eq!(short.as_bytes(), None);
    }

    /// The three-pass split this module had before (kept to check the one-pass one against).
    fn split_by_counting<'a>(name: &'a Name<'_>) -> Parts<'a> {
        let ascii: &str = &name.ascii;
        let registrable = psl::domain_str(ascii).filter(|r| ascii.ends_with(r)).unwrap_or(ascii);
        let skip = ascii.split('.').count().saturating_sub(registrable.split('.').count());
        let label_ascii = registrable.split('.').next().unwrap_or(registrable);
        let suffix = registrable.split_once('.').map_or("", |(_, suffix)| suffix);
        let subdomain = ascii.strip_suffix(registrable).map_or("", |s| s.strip_suffix('.').unwrap_or(s));
        let label = match &name.unicode {
            None => label_ascii,
            Some(unicode) => unicode.split('.').nth(skip).unwrap_or(label_ascii),
        };
        Parts { label_ascii, label, suffix, subdomain, registrable }
    }

    proptest::proptest! {
        #[test]
        fn one_pass_split_is_the_counting_split(input in "([a-zø0-9-]{0,6}\\.){0,4}(dk|com|co\\.uk|københavn|xn--kbenhavn-54a|[a-z]{1,3})\\.?") {
            if let Some(name) = normalise(&input) {
                proptest::prop_assert_eq!(split(&name), split_by_counting(&name));
            }
        }

        #[test]
        fn the_byte_fold_is_the_char_fold(text in "[aeoæøå. -]{0,12}[a-z.-]{0,12}") {
            let (mut bytes, mut chars) = (String::new(), String::new());
            if text.is_ascii() {
                let mut out = vec![0u8; text.len()];
                let len = fold_ascii_into(text.as_bytes(), &mut out);
                bytes.extend(out.iter().take(len).map(|&b| char::from(b)));
                fold_unicode(&text, |c| chars.push(c));
                proptest::prop_assert_eq!(&bytes, &chars);
                let mut short = Short::new();
                short.fold_ascii(text.as_bytes());
                proptest::prop_assert_eq!(short.as_bytes(), Some(bytes.as_bytes()));
                proptest::prop_assert_eq!(is_own_fold(&text), bytes == text);
            }
            let changed_fold = with_changed_fold(&text, <[u8]>::to_vec);
            proptest::prop_assert_eq!(changed_fold.unwrap_or_else(|| text.clone().into()), fold(&text).as_bytes().to_vec());
            let changed_skeleton = with_changed_skeleton(&text, <[u8]>::to_vec);
            proptest::prop_assert_eq!(
                changed_skeleton.unwrap_or_else(|| text.clone().into()),
                skeleton(&text).as_bytes().to_vec()
            );
            let joined = with_hyphens_dropped(&text, <[u8]>::to_vec);
            proptest::prop_assert_eq!(joined, text.replace('-', "").into_bytes());
        }
    }

    #[test]
    fn split_keeps_the_subdomain_apart_in_both_forms() {
        let name = normalise("a.b.xn--kbenhavn-54a.dk").unwrap();
        let parts = split(&name);
        assert_eq!((parts.subdomain, parts.label, parts.suffix), ("a.b", "københavn", "dk"));
        let bare = normalise("dk").unwrap();
        assert_eq!((split(&bare).subdomain, split(&bare).label, split(&bare).suffix), ("", "dk", ""));
    }
}
