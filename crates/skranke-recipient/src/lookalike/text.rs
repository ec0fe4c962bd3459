//! Text helpers: normalising a typed domain, splitting off the registrable domain, the UTS #39
//! confusable skeleton and the Danish spelling fold.

use std::borrow::Cow;

/// A domain as the checks see it: trimmed, lowercased, in A-label (ASCII) and Unicode form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    /// Lowercase A-label form without a trailing dot.
    pub(crate) ascii: String,
    /// Unicode form without a trailing dot; `None` when it equals `ascii` (plain ASCII names,
    /// nearly every name checked, so they cost one allocation, not two).
    unicode: Option<String>,
    /// The input ended with a dot (`fredericia.dk.`); kept as a fact, never silently dropped.
    pub(crate) trailing_dot: bool,
}

impl Name {
    /// The Unicode form (the A-label form when they are the same).
    pub(crate) fn unicode(&self) -> &str {
        self.unicode.as_deref().unwrap_or(&self.ascii)
    }
}

/// Trims, lowercases and maps a typed domain through UTS #46 (only when it is not plain ASCII or
/// holds an A-label). `None` for an empty input.
pub(crate) fn normalise(input: &str) -> Option<Name> {
    let trimmed = input.trim();
    let (body, trailing_dot) = match trimmed.strip_suffix('.') {
        Some(body) => (body, true),
        None => (trimmed, false),
    };
    if body.is_empty() {
        return None;
    }
    let plain = body.is_ascii() && !body.contains("xn--") && !body.contains("XN--");
    if plain {
        let ascii = body.to_ascii_lowercase();
        return Some(Name { unicode: None, ascii, trailing_dot });
    }
    let lower = body.to_lowercase();
    match idna::domain_to_ascii(&lower) {
        Ok(ascii) if !ascii.is_empty() => {
            let (unicode, _) = idna::domain_to_unicode(&ascii);
            let unicode = (unicode != ascii).then_some(unicode);
            Some(Name { ascii, unicode, trailing_dot })
        }
        // Not a valid IDN: keep the lowercased text so the skeleton can still see through it.
        _ => Some(Name { ascii: lower, unicode: None, trailing_dot }),
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
pub(crate) fn split(name: &Name) -> Parts<'_> {
    let ascii = name.ascii.as_str();
    let registrable = psl::domain_str(ascii).filter(|r| ascii.ends_with(r)).unwrap_or(ascii);
    let reg_labels = registrable.split('.').count();
    let all_labels = ascii.split('.').count();
    let skip = all_labels.saturating_sub(reg_labels);
    let label_ascii = registrable.split('.').next().unwrap_or(registrable);
    let suffix = registrable.split_once('.').map_or("", |(_, suffix)| suffix);
    let subdomain = ascii.strip_suffix(registrable).map_or("", |s| s.strip_suffix('.').unwrap_or(s));
    let label = match &name.unicode {
        None => label_ascii,
        Some(unicode) => unicode.split('.').nth(skip).unwrap_or(label_ascii),
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

/// The UTS #39 confusable skeleton of a label, lowercased, so `fredericiа` (Cyrillic а),
/// `frederlcia`/`freder1cia` (digit one), `g00gle` and `rnitid` meet their originals.
pub(crate) fn skeleton(label: &str) -> Cow<'_, str> {
    if label
        .bytes()
        .all(|b| b.is_ascii_lowercase() && b != b'm' || b.is_ascii_digit() && b != b'0' && b != b'1' || b == b'-')
    {
        return Cow::Borrowed(label);
    }
    if label.is_ascii() {
        let mut out = String::with_capacity(label.len() + 2);
        for byte in label.bytes() {
            match byte {
                b'm' => out.push_str("rn"),
                b'0' => out.push('o'),
                b'1' | b'|' => out.push('l'),
                other => out.push(char::from(other.to_ascii_lowercase())),
            }
        }
        return Cow::Owned(out);
    }
    let raw: String = unicode_security::skeleton(label).collect();
    Cow::Owned(raw.to_lowercase())
}

/// The Danish spelling fold: `æ`/`ae` → `e`, `ø`/`oe`/`ö` → `o`, `å`/`aa` → `a`, accents dropped,
/// hyphens and spaces removed. `københavn`, `koebenhavn` and `kobenhavn` all fold to `kobenhavn`;
/// `århus`, `aarhus` and `arhus` to `arhus`.
pub(crate) fn fold(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let plain = text.is_ascii()
        && !bytes.iter().any(|b| matches!(b, b'-' | b' ' | b'.'))
        && !bytes.windows(2).any(|w| matches!(w, [b'a', b'e'] | [b'o', b'e'] | [b'a', b'a']));
    if plain {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match (c, next) {
            ('a', Some('e')) => {
                chars.next();
                out.push('e');
            }
            ('o', Some('e')) => {
                chars.next();
                out.push('o');
            }
            ('a', Some('a')) => {
                chars.next();
                out.push('a');
            }
            ('æ' | 'é' | 'è' | 'ë' | 'ä', _) => out.push('e'),
            ('ø' | 'ö' | 'ó' | 'ò', _) => out.push('o'),
            ('å' | 'á' | 'à', _) => out.push('a'),
            ('ü' | 'ú', _) => out.push('u'),
            ('-' | ' ' | '.', _) => {}
            (other, _) => out.push(other),
        }
    }
    Cow::Owned(out)
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
}
