//! E-mail addresses under Skranke's address policy (RS-12 of `docs/recipient-safety.md`; the
//! policy is written out in `shared/corpora/README.md` and checked against its 679 cases).
//!
//! An [`EmailAddress`] is an RFC 5321 mailbox with an ASCII dot-string local part and a host-name
//! [`Domain`]; everything RFC 5321/5322 allows beyond that (quoted strings, comments, folding white
//! space, address literals, obsolete syntax, display names, SMTPUTF8 local parts) is refused with an
//! [`AddressError`] that names the rule and says, in Danish or English, what to fix.
//!
//! ```
//! use skranke_recipient::address::{AddressError, EmailAddress, Language};
//!
//! let address = EmailAddress::parse("Ole.Hansen@Fredericia.DK")?;
//! assert_eq!(address.to_string(), "Ole.Hansen@fredericia.dk");
//!
//! let error = EmailAddress::parse("ole.hansen.fredericia.dk").unwrap_err();
//! assert_eq!(error, AddressError::NoAt);
//! assert_eq!(error.code(), "no_at");
//! assert_eq!(error.message(Language::Da), "E-mailadressen mangler et @.");
//! # Ok::<(), AddressError>(())
//! ```

mod catalogue;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::domain::{Domain, DomainError, MAX_INPUT_BYTES};

/// Longest local part, in octets (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL_OCTETS: usize = 64;

/// Longest address, in octets of the ASCII form (RFC 5321 path limit of 256 minus the angle
/// brackets).
const MAX_ADDRESS_OCTETS: usize = 254;

/// The language of a message shown to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Danish (the default).
    #[default]
    Da,
    /// English.
    En,
}

/// An e-mail address that Skranke's policy accepts: `local@domain`, the local part ASCII and
/// case-preserved, the domain a [`Domain`] (lowercase, IDNA-processed).
///
/// `==` compares the local part exactly (it is case-sensitive on the receiving server) and the
/// domain by name, so `ole@københavn.dk` equals `ole@xn--kbenhavn-54a.dk`. `Display` prints the ASCII
/// form; [`EmailAddress::to_unicode_string`] the Unicode form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress {
    /// ASCII dot-string, 1–64 octets.
    local: String,
    /// Host name.
    domain: Domain,
}

/// Why a string is not an acceptable e-mail address: one variant per rule. Never contains the input,
/// so it is safe to log. [`AddressError::code`] is stable; [`AddressError::message`] is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing was entered.
    #[error("the address is empty")]
    Empty,
    /// More than 254 octets in ASCII form.
    #[error("the address is longer than 254 octets")]
    TooLong,
    /// A control character (C0, DEL, C1), e.g. a tab, CR, LF or NUL.
    #[error("the address contains a control character")]
    ControlCharacter,
    /// White space anywhere (also folding white space and no-break spaces).
    #[error("the address contains white space")]
    Whitespace,
    /// An invisible (default-ignorable) character such as a zero-width space.
    #[error("the address contains an invisible character")]
    InvisibleCharacter,
    /// `Name <a@b.c>` or `<a@b.c>`: a display name or angle brackets.
    #[error("the address has a display name or angle brackets")]
    DisplayName,
    /// A quoted string (`"john doe"@example.com`).
    #[error("the address contains a quoted string")]
    Quoted,
    /// A comment in parentheses (RFC 5322 CFWS).
    #[error("the address contains a comment")]
    Comment,
    /// A backslash: a quoted pair outside a quoted string (obsolete syntax).
    #[error("the address contains a backslash")]
    Backslash,
    /// An address literal `[192.0.2.1]` or `[IPv6:…]` instead of a domain.
    #[error("the address has an address literal instead of a domain")]
    AddressLiteral,
    /// No `@`.
    #[error("the address has no @")]
    NoAt,
    /// More than one `@`.
    #[error("the address has more than one @")]
    SeveralAt,
    /// Nothing before the `@`.
    #[error("the local part is empty")]
    LocalEmpty,
    /// More than 64 octets before the `@`.
    #[error("the local part is longer than 64 octets")]
    LocalTooLong,
    /// A non-ASCII character before the `@` (would need SMTPUTF8).
    #[error("the local part contains a non-ASCII character")]
    LocalNonAscii,
    /// An ASCII character that is not `atext` or a dot before the `@` (`,` `:` `;` `@` `[` …).
    #[error("the local part contains a character that is not allowed")]
    LocalBadCharacter,
    /// The local part starts with a dot.
    #[error("the local part starts with a dot")]
    LocalLeadingDot,
    /// The local part ends with a dot.
    #[error("the local part ends with a dot")]
    LocalTrailingDot,
    /// Two dots in a row in the local part.
    #[error("the local part has two dots in a row")]
    LocalDoubleDot,
    /// The domain breaks a host-name rule.
    #[error("invalid domain: {0}")]
    Domain(#[from] DomainError),
}

impl EmailAddress {
    /// Parses an address under Skranke's policy (`shared/corpora/README.md`).
    ///
    /// Accepted: `local@domain` where the local part is an ASCII dot-string of 1–64 octets (`atext`
    /// characters separated by single dots), the domain passes [`Domain::parse`] (U-labels and
    /// A-labels allowed), and the ASCII form is at most 254 octets. The input is not trimmed: a
    /// leading or trailing space is an error, so the person sees what is being refused.
    ///
    /// The checks run in a fixed order and the first one that fails is returned: empty, length,
    /// control characters, display-name form, quotes, comments, backslashes, white space, invisible
    /// characters, the number of `@`, address literal, local part, domain, total length.
    ///
    /// # Errors
    /// The [`AddressError`] of the first rule broken.
    ///
    /// ```
    /// use skranke_recipient::address::{AddressError, EmailAddress};
    /// use skranke_recipient::domain::DomainError;
    ///
    /// let a = EmailAddress::parse("jens@københavn.dk")?;
    /// assert_eq!(a.local(), "jens");
    /// assert_eq!(a.to_string(), "jens@xn--kbenhavn-54a.dk");
    /// assert_eq!(a.to_unicode_string(), "jens@københavn.dk");
    /// assert_eq!(a, EmailAddress::parse("jens@XN--KBENHAVN-54A.DK")?);
    ///
    /// assert_eq!(EmailAddress::parse("Ole <ole@fredericia.dk>"), Err(AddressError::DisplayName));
    /// assert_eq!(EmailAddress::parse("\"ole\"@fredericia.dk"), Err(AddressError::Quoted));
    /// assert_eq!(EmailAddress::parse("ole@[192.0.2.1]"), Err(AddressError::AddressLiteral));
    /// assert_eq!(EmailAddress::parse("søren@fredericia.dk"), Err(AddressError::LocalNonAscii));
    /// assert_eq!(
    ///     EmailAddress::parse("ole@fredericia.dk."),
    ///     Err(AddressError::Domain(DomainError::TrailingDot))
    /// );
    /// # Ok::<(), AddressError>(())
    /// ```
    pub fn parse(input: &str) -> Result<EmailAddress, AddressError> {
        check_whole(input)?;
        let (local, domain) = split_at_sign(input)?;
        if domain.starts_with('[') {
            return Err(AddressError::AddressLiteral);
        }
        check_local(local)?;
        let domain = Domain::parse(domain)?;
        if local.len() + 1 + domain.ascii().len() > MAX_ADDRESS_OCTETS {
            return Err(AddressError::TooLong);
        }
        Ok(EmailAddress { local: local.to_owned(), domain })
    }

    /// The local part, as typed (case-preserved), e.g. `Ole.Hansen`.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The domain.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// `local@unicode-domain`, e.g. `jens@københavn.dk`, for showing to people.
    pub fn to_unicode_string(&self) -> String {
        format!("{}@{}", self.local, self.domain.unicode())
    }
}

/// Rules about the address as a whole, before it is split at the `@`.
fn check_whole(input: &str) -> Result<(), AddressError> {
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    if input.len() > MAX_INPUT_BYTES {
        return Err(AddressError::TooLong);
    }
    if input.chars().any(char::is_control) {
        return Err(AddressError::ControlCharacter);
    }
    let has = |set: &[char]| input.contains(set);
    if has(&['<', '>']) {
        return Err(AddressError::DisplayName);
    }
    if has(&['"']) {
        return Err(AddressError::Quoted);
    }
    if has(&['(', ')']) {
        return Err(AddressError::Comment);
    }
    if has(&['\\']) {
        return Err(AddressError::Backslash);
    }
    if input.chars().any(char::is_whitespace) {
        return Err(AddressError::Whitespace);
    }
    if input.chars().any(crate::domain::is_invisible) {
        return Err(AddressError::InvisibleCharacter);
    }
    Ok(())
}

/// Splits at the single `@`.
fn split_at_sign(input: &str) -> Result<(&str, &str), AddressError> {
    let mut parts = input.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => Ok((local, domain)),
        (_, None, _) => Err(AddressError::NoAt),
        _ => Err(AddressError::SeveralAt),
    }
}

/// The local part: an ASCII dot-string of 1–64 octets.
fn check_local(local: &str) -> Result<(), AddressError> {
    if local.is_empty() {
        return Err(AddressError::LocalEmpty);
    }
    if !local.is_ascii() {
        return Err(AddressError::LocalNonAscii);
    }
    if local.starts_with('.') {
        return Err(AddressError::LocalLeadingDot);
    }
    if local.ends_with('.') {
        return Err(AddressError::LocalTrailingDot);
    }
    if local.contains("..") {
        return Err(AddressError::LocalDoubleDot);
    }
    if !local.bytes().all(|b| b == b'.' || is_atext(b)) {
        return Err(AddressError::LocalBadCharacter);
    }
    if local.len() > MAX_LOCAL_OCTETS {
        return Err(AddressError::LocalTooLong);
    }
    Ok(())
}

/// RFC 5322 `atext`: letters, digits and ``! # $ % & ' * + - / = ? ^ _ ` { | } ~``.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

impl AddressError {
    /// A stable snake_case code for the rule (`no_at`, `local_double_dot`, `domain_trailing_dot` …).
    /// A domain error has its own code, the same as [`DomainError::code`].
    pub fn code(&self) -> &'static str {
        catalogue::lookup(self).code
    }

    /// A short sentence a citizen understands, e.g. "E-mailadressen mangler et @." /
    /// "The address has no @.".
    pub fn message(&self, language: Language) -> &'static str {
        let entry = catalogue::lookup(self);
        match language {
            Language::Da => entry.da,
            Language::En => entry.en,
        }
    }
}

impl DomainError {
    /// A stable snake_case code for the rule, e.g. `domain_trailing_dot`.
    pub fn code(&self) -> &'static str {
        AddressError::Domain(*self).code()
    }

    /// A short sentence a citizen understands, from the same catalogue as
    /// [`AddressError::message`].
    pub fn message(&self, language: Language) -> &'static str {
        AddressError::Domain(*self).message(language)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({}@{})", self.local, self.domain)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl FromStr for EmailAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

impl TryFrom<&str> for EmailAddress {
    type Error = AddressError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        EmailAddress::parse(s)
    }
}

impl serde::Serialize for EmailAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EmailAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        EmailAddress::parse(&text).map_err(serde::de::Error::custom)
    }
}
