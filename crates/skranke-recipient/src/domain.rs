//! Host names, registrable domains and the own-domain rule (RS-10 and RS-12 of
//! `docs/recipient-safety.md`).
//!
//! [`Domain`] is a host name that passed UTS #46 / IDNA2008 processing and Skranke's host-name policy
//! (see [`Domain::parse`]); it holds the lowercase A-label (ASCII) form, the Unicode form and where
//! the public suffix and the registrable domain start (Public Suffix List embedded by the `psl`
//! crate). [`OwnDomains`] answers RS-10's question "is this one of the organisation's own domains?".
//!
//! ```
//! use skranke_recipient::domain::{Domain, OwnDomains};
//!
//! let own = OwnDomains::new(["fredericia.dk"], ["mail.fredericia.dk"])?;
//! for accepted in ["fredericia.dk", "FREDERICIA.DK", "mail.fredericia.dk"] {
//!     assert!(own.contains(&Domain::parse(accepted)?));
//! }
//! for refused in ["fred.dk", "fredericia.com", "fredericia.dk.evil.com", "x.fredericia.dk", "fredericiа.dk"] {
//!     assert!(!own.contains(&Domain::parse(refused)?));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;
mod own;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub(crate) use check::is_invisible;
pub use own::{OwnDomains, OwnDomainsError};

/// Longest input [`Domain::parse`] looks at, in bytes. Anything longer cannot come down to a host
/// name of at most 253 octets (every character either stays, or is refused as invisible), so it is
/// refused as [`DomainError::TooLong`] before any Unicode processing.
pub(crate) const MAX_INPUT_BYTES: usize = 4096;

/// The special-use and reserved top-level domains (RFC 2606, RFC 6761, RFC 6762, RFC 7686,
/// RFC 9476, ICANN's `.internal`) that can never be a real recipient.
pub const SPECIAL_USE_TLDS: [&str; 9] =
    ["test", "example", "invalid", "localhost", "local", "onion", "arpa", "internal", "alt"];

/// A host name after UTS #46 / IDNA2008 processing, valid under Skranke's policy.
///
/// Held in lowercase A-label (ASCII) form and in Unicode form; both forms of the same name give the
/// same value, so `==` compares names, not spellings. `Display` prints the ASCII form.
#[derive(Clone)]
pub struct Domain {
    /// Lowercase A-label form, e.g. `xn--kbenhavn-54a.dk`.
    ascii: String,
    /// Unicode form, e.g. `københavn.dk`.
    unicode: String,
    /// Byte offset in `ascii` where the public suffix starts.
    suffix_start: usize,
    /// Byte offset in `ascii` where the registrable domain starts; `None` when `ascii` is itself a
    /// public suffix.
    registrable_start: Option<usize>,
}

/// Why a string is not an acceptable host name. One variant per rule; never contains the input, so
/// it is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// Nothing after the `@`.
    #[error("the domain is empty")]
    Empty,
    /// The name ends with a dot (`fredericia.dk.`).
    #[error("the domain ends with a dot")]
    TrailingDot,
    /// Two dots in a row, or a dot at the start.
    #[error("the domain has an empty label")]
    EmptyLabel,
    /// A label longer than 63 octets (in A-label form).
    #[error("a domain label is longer than 63 octets")]
    LabelTooLong,
    /// More than 253 octets in A-label form.
    #[error("the domain is longer than 253 octets")]
    TooLong,
    /// A character that is not a letter, a digit or a hyphen (after IDNA mapping), or white space or
    /// a control character.
    #[error("the domain contains a character that is not allowed")]
    InvalidCharacter,
    /// An invisible (default-ignorable) character such as a zero-width space or a soft hyphen.
    #[error("the domain contains an invisible character")]
    InvisibleCharacter,
    /// A label starts or ends with a hyphen.
    #[error("a domain label starts or ends with a hyphen")]
    HyphenAtEdge,
    /// `??--` at positions 3–4 of a label that is not an A-label (RFC 5891 §4.2.3.1).
    #[error("a domain label has '--' at positions 3 and 4")]
    ReservedHyphens,
    /// An `xn--` label that is not a valid A-label (does not decode, decodes to ASCII, holds a
    /// character IDNA2008 refuses, or does not round-trip).
    #[error("a domain label is not a valid A-label (xn--)")]
    InvalidALabel,
    /// A Unicode label that UTS #46 / IDNA2008 processing refuses (symbols, emoji, bidi rule …).
    #[error("the domain is not a valid internationalised domain name")]
    InvalidIdn,
    /// Only one label (`localhost`, `dk`).
    #[error("the domain has only one label")]
    SingleLabel,
    /// The top-level domain is not alphabetic with at least two letters, nor an A-label.
    #[error("the top-level domain is not valid")]
    InvalidTld,
    /// An IP address (`192.168.0.1`) or an address literal (`[192.168.0.1]`) instead of a name.
    #[error("the domain is an IP address, not a name")]
    IpAddress,
    /// A special-use or reserved top-level domain (see [`SPECIAL_USE_TLDS`]).
    #[error("the domain uses a reserved top-level domain that cannot receive mail")]
    SpecialUseTld,
}

impl Domain {
    /// Parses a host name written with U-labels (`københavn.dk`), A-labels (`xn--kbenhavn-54a.dk`)
    /// or both, in any case, and applies UTS #46 mapping (non-transitional; full-width dots and
    /// letters are mapped) and the IDNA2008 validity rules.
    ///
    /// Refused, each with its own [`DomainError`]: an empty string, a trailing dot, empty labels,
    /// labels over 63 octets, more than 253 octets, characters other than letters, digits and
    /// hyphens (after mapping), invisible characters, a hyphen at the start or end of a label, `??--`
    /// at positions 3–4 unless `xn--`, an `xn--` label that does not round-trip, Unicode that IDNA2008
    /// refuses (emoji, symbols), fewer than two labels, a TLD that is not alphabetic with at least two
    /// letters (or an A-label), IP addresses and address literals, and the special-use TLDs in
    /// [`SPECIAL_USE_TLDS`].
    ///
    /// # Errors
    /// The first rule the input breaks, as a [`DomainError`].
    ///
    /// ```
    /// use skranke_recipient::domain::{Domain, DomainError};
    ///
    /// let d = Domain::parse("FREDERICIA.DK")?;
    /// assert_eq!(d.ascii(), "fredericia.dk");
    ///
    /// let idn = Domain::parse("københavn.dk")?;
    /// assert_eq!(idn.ascii(), "xn--kbenhavn-54a.dk");
    /// assert_eq!(idn, Domain::parse("xn--kbenhavn-54a.dk")?);
    ///
    /// assert_eq!(Domain::parse("fredericia.dk.").unwrap_err(), DomainError::TrailingDot);
    /// assert_eq!(Domain::parse("skranke.test").unwrap_err(), DomainError::SpecialUseTld);
    /// assert_eq!(Domain::parse("192.168.0.1").unwrap_err(), DomainError::IpAddress);
    /// # Ok::<(), DomainError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Domain, DomainError> {
        let ascii = check::to_ascii(input)?;
        let unicode = check::to_unicode(&ascii);
        let suffix_start = psl::suffix_str(&ascii).map_or_else(|| tld_start(&ascii), |s| ascii.len() - s.len());
        let registrable_start = psl::domain_str(&ascii).map(|r| ascii.len() - r.len());
        Ok(Domain { ascii, unicode, suffix_start, registrable_start })
    }

    /// The lowercase A-label (ASCII) form, e.g. `xn--kbenhavn-54a.dk`. This is the form that goes
    /// on the wire and the form to compare and store.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// The Unicode form, e.g. `københavn.dk`. For showing to people; a lookalike (`fredericiа.dk`
    /// with a Cyrillic `а`) looks like the real name here, so decisions use [`Domain::ascii`].
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// The labels of the ASCII form, from left to right (`["mail", "fredericia", "dk"]`).
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.ascii.split('.')
    }

    /// The labels of the Unicode form, from left to right (`["københavn", "dk"]`).
    pub fn unicode_labels(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.unicode.split('.')
    }

    /// The registrable domain (eTLD+1 per the Public Suffix List) in ASCII form:
    /// `a.b.example.co.uk` → `example.co.uk`, `fredericia.dk.evil.com` → `evil.com`. `None` when the
    /// domain is itself a public suffix (`co.uk`). A TLD missing from the list counts as a public
    /// suffix of one label (the list's default rule).
    ///
    /// ```
    /// use skranke_recipient::domain::Domain;
    ///
    /// assert_eq!(Domain::parse("fredericia.dk.evil.com")?.registrable(), Some("evil.com"));
    /// assert_eq!(Domain::parse("co.uk")?.registrable(), None);
    /// # Ok::<(), skranke_recipient::domain::DomainError>(())
    /// ```
    pub fn registrable(&self) -> Option<&str> {
        self.registrable_start.and_then(|start| self.ascii.get(start..))
    }

    /// The public suffix (per the Public Suffix List) in ASCII form: `dk`, `co.uk`.
    pub fn public_suffix(&self) -> &str {
        self.ascii.get(self.suffix_start..).unwrap_or(&self.ascii)
    }

    /// True when the domain is its own registrable domain (`fredericia.dk`, not `mail.fredericia.dk`).
    pub fn is_registrable(&self) -> bool {
        self.registrable_start == Some(0)
    }
}

/// Byte offset of the last label; a fallback that the Public Suffix List's default rule makes
/// unreachable in practice.
fn tld_start(ascii: &str) -> usize {
    ascii.rfind('.').map_or(0, |dot| dot + 1)
}

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.ascii == other.ascii
    }
}

impl Eq for Domain {}

impl std::hash::Hash for Domain {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.ascii.hash(state);
    }
}

impl PartialOrd for Domain {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Domain {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.ascii.cmp(&other.ascii)
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Domain({})", self.ascii)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

impl AsRef<str> for Domain {
    fn as_ref(&self) -> &str {
        &self.ascii
    }
}

impl FromStr for Domain {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Domain::parse(s)
    }
}

impl TryFrom<&str> for Domain {
    type Error = DomainError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Domain::parse(s)
    }
}

impl serde::Serialize for Domain {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.ascii)
    }
}

impl<'de> serde::Deserialize<'de> for Domain {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Domain::parse(&text).map_err(serde::de::Error::custom)
    }
}
