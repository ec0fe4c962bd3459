//! The host-name rules behind [`Domain::parse`](super::Domain::parse), in the order they are applied.

use idna::AsciiDenyList;
use idna::uts46::{DnsLength, Hyphens, Uts46};
use unicode_security::GeneralSecurityProfile;
use unicode_security::general_security_profile::IdentifierType;

use super::{DomainError, MAX_INPUT_BYTES, SPECIAL_USE_TLDS};

/// The characters UTS #46 treats as label separators: full stop, ideographic full stop, full-width
/// full stop and half-width ideographic full stop.
const DOTS: [char; 4] = ['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'];

/// Longest label, in octets of the A-label form (RFC 1035 §2.3.4).
const MAX_LABEL_OCTETS: usize = 63;

/// Longest host name, in octets of the A-label form, without a trailing dot (RFC 1035, RFC 5321).
const MAX_DOMAIN_OCTETS: usize = 253;

/// Runs every rule and returns the lowercase A-label form.
pub(super) fn to_ascii(input: &str) -> Result<String, DomainError> {
    if input.is_empty() {
        return Err(DomainError::Empty);
    }
    if input.len() > MAX_INPUT_BYTES {
        return Err(DomainError::TooLong);
    }
    if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(DomainError::InvalidCharacter);
    }
    if input.chars().any(is_invisible) {
        return Err(DomainError::InvisibleCharacter);
    }
    if input.starts_with('[') {
        return Err(DomainError::IpAddress);
    }
    if input.ends_with(DOTS) {
        return Err(DomainError::TrailingDot);
    }
    let typed: Vec<&str> = input.split(DOTS).collect();
    if typed.iter().any(|label| label.is_empty()) {
        return Err(DomainError::EmptyLabel);
    }
    // A-labels as typed are checked before mapping, so that a broken one is reported as such and not
    // as a failed conversion.
    for label in &typed {
        if label.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("xn--")) {
            check_a_label(&label.to_ascii_lowercase())?;
        }
    }

    // UTS #46 mapping and validation, non-transitional. No ASCII deny list: the LDH rule below is
    // stricter than STD3 and names the rule that failed.
    let mapped = Uts46::new()
        .to_ascii(input.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow, DnsLength::Ignore)
        .map_err(|_| DomainError::InvalidIdn)?;
    let labels: Vec<&str> = mapped.split('.').collect();
    if labels.len() != typed.len() {
        // A character that maps to something holding a dot (U+2488 DIGIT ONE FULL STOP → "1.").
        return Err(DomainError::InvalidCharacter);
    }
    for (typed, label) in typed.iter().zip(&labels) {
        check_label(label).map_err(|error| match error {
            // An A-label produced from Unicode that IDNA2008 refuses (emoji, symbols …).
            DomainError::InvalidALabel if !typed.is_ascii() => DomainError::InvalidIdn,
            other => other,
        })?;
    }
    if mapped.len() > MAX_DOMAIN_OCTETS {
        return Err(DomainError::TooLong);
    }
    check_tld(&labels)?;
    Ok(mapped.into_owned())
}

/// The Unicode form of an A-label domain that [`to_ascii`] produced.
pub(super) fn to_unicode(ascii: &str) -> String {
    idna::domain_to_unicode(ascii).0
}

/// One label of the mapped (ASCII) form: length, LDH, hyphens, A-label validity.
fn check_label(label: &str) -> Result<(), DomainError> {
    if label.is_empty() {
        return Err(DomainError::EmptyLabel);
    }
    if label.len() > MAX_LABEL_OCTETS {
        return Err(DomainError::LabelTooLong);
    }
    if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(DomainError::InvalidCharacter);
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(DomainError::HyphenAtEdge);
    }
    if label.starts_with("xn--") {
        check_a_label(label)
    } else if label.get(2..4) == Some("--") {
        Err(DomainError::ReservedHyphens)
    } else {
        Ok(())
    }
}

/// An `xn--` label (lowercase) must decode to a non-ASCII U-label of IDNA2008 characters whose
/// A-label is the label again.
fn check_a_label(label: &str) -> Result<(), DomainError> {
    let Some(encoded) = label.strip_prefix("xn--") else {
        return Ok(());
    };
    if !label.is_ascii() {
        return Err(DomainError::InvalidALabel);
    }
    let decoded = idna::punycode::decode_to_string(encoded).ok_or(DomainError::InvalidALabel)?;
    if decoded.is_ascii() || !decoded.chars().all(is_idna2008_char) {
        return Err(DomainError::InvalidALabel);
    }
    let again = Uts46::new()
        .to_ascii(decoded.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow, DnsLength::Ignore)
        .map_err(|_| DomainError::InvalidALabel)?;
    if again == label { Ok(()) } else { Err(DomainError::InvalidALabel) }
}

/// At least two labels; not an IP address; an alphabetic TLD of at least two letters or an A-label;
/// not a special-use TLD.
fn check_tld(labels: &[&str]) -> Result<(), DomainError> {
    let tld = match labels {
        [] | [_] => return Err(DomainError::SingleLabel),
        [.., tld] => *tld,
    };
    if labels.iter().all(|label| label.bytes().all(|b| b.is_ascii_digit())) {
        return Err(DomainError::IpAddress);
    }
    let alphabetic = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_lowercase());
    if !alphabetic && !tld.starts_with("xn--") {
        return Err(DomainError::InvalidTld);
    }
    if SPECIAL_USE_TLDS.contains(&tld) {
        return Err(DomainError::SpecialUseTld);
    }
    Ok(())
}

/// A character of a U-label that IDNA2008 would accept, approximated from below by the UTS #39
/// identifier types: letters, marks and digits of every script (including historic and limited-use
/// ones) pass; symbols, punctuation, emoji, unassigned and default-ignorable code points do not.
fn is_idna2008_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    }
    matches!(
        c.identifier_type(),
        Some(
            IdentifierType::Recommended
                | IdentifierType::Inclusion
                | IdentifierType::Limited_Use
                | IdentifierType::Uncommon_Use
                | IdentifierType::Technical
                | IdentifierType::Obsolete
                | IdentifierType::Exclusion
        )
    )
}

/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt): characters that
/// render as nothing, such as U+200B ZERO WIDTH SPACE, U+00AD SOFT HYPHEN, joiners, bidi controls
/// and variation selectors. UTS #46 silently drops some of them, so `exa\u{200B}mple.dk` would
/// otherwise become `example.dk`: an address nobody can see is what it is.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}
