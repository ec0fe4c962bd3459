//! Validated free-text values a citizen types: name, phone, e-mail.
//!
//! Errors carry a stable code; the adapters turn codes into Danish or English sentences from the
//! message catalogue, so no user-facing text lives in the core.

use serde::Serialize;

/// Why a typed value was refused. `code()` is stable and used as the catalogue key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the value is empty")]
    Empty,
    #[error("the value is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the value contains a control character")]
    ControlCharacter,
    #[error("the phone number is not valid")]
    InvalidPhone,
    #[error("the e-mail address is not valid")]
    InvalidEmail,
}

impl TextError {
    pub const fn code(&self) -> &'static str {
        match self {
            TextError::Empty => "empty",
            TextError::TooLong { .. } => "too_long",
            TextError::ControlCharacter => "control_character",
            TextError::InvalidPhone => "invalid_phone",
            TextError::InvalidEmail => "invalid_email",
        }
    }
}

/// One line of text a person typed (a name, a label): surrounding space trimmed, not empty, no
/// control characters (which also rules out line breaks), at most `max` characters.
pub fn clean_line(raw: &str, max: usize) -> Result<String, TextError> {
    clean(raw, max)
}

fn clean(raw: &str, max: usize) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(trimmed.to_owned())
}

/// A citizen's name as typed: 1–200 characters, no control characters, surrounding space trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        clean(raw, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with an optional leading `+`, spaces and dashes allowed; 8–15 digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let s = clean(raw, 32)?;
        let mut digits = 0usize;
        for (i, c) in s.chars().enumerate() {
            match c {
                '0'..='9' => digits += 1,
                '+' if i == 0 => {}
                ' ' | '-' => {}
                _ => return Err(TextError::InvalidPhone),
            }
        }
        if !(8..=15).contains(&digits) {
            return Err(TextError::InvalidPhone);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address that passed a basic syntax check (one `@`, a dot-atom local part, a host name
/// with at least two labels). The recipient-safety library replaces this check with the full policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let s = clean(raw, 254)?;
        let (local, domain) = s.rsplit_once('@').ok_or(TextError::InvalidEmail)?;
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local.split('.').all(|part| !part.is_empty() && part.chars().all(atext));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
        if !(local_ok && domain_ok) {
            return Err(TextError::InvalidEmail);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with the local part masked, for logs and audit summaries: `a***@example.com`.
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(PersonName::parse("  Jens Hansen ").unwrap().as_str(), "Jens Hansen");
        assert_eq!(PersonName::parse("   "), Err(TextError::Empty));
        assert_eq!(PersonName::parse("a\u{7}b"), Err(TextError::ControlCharacter));
        assert_eq!(PersonName::parse("line\nbreak"), Err(TextError::ControlCharacter));
        assert!(PersonName::parse(&"æ".repeat(200)).is_ok());
        assert_eq!(PersonName::parse(&"æ".repeat(201)), Err(TextError::TooLong { max: 200 }));
        assert_eq!(PersonName::parse("<script>").unwrap().as_str(), "<script>");
    }

    #[test]
    fn phones() {
        for ok in ["12345678", "+45 12 34 56 78", "+4512345678", "12-34-56-78"] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["1234", "12a45678", "++4512345678", "1234567890123456"] {
            assert_eq!(PhoneNumber::parse(bad), Err(TextError::InvalidPhone), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["borger@example.com", "a.b+c@sub.example.org", "x@EXAMPLE.DK"] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "a@b", "a@b.c", "@example.com", "a..b@example.com", "a@-x.dk", "a b@x.dk", "a@x.d1"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(EmailAddress::parse("x@EXAMPLE.DK").unwrap().as_str(), "x@example.dk");
        assert_eq!(EmailAddress::parse("jens@example.com").unwrap().masked(), "j***@example.com");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parsers_never_panic(s in "\\PC*|.*") {
                let _ = PersonName::parse(&s);
                let _ = PhoneNumber::parse(&s);
                let _ = EmailAddress::parse(&s);
            }

            #[test]
            fn accepted_names_are_clean_and_reparse_to_themselves(s in ".{0,250}") {
                if let Ok(n) = PersonName::parse(&s) {
                    prop_assert!(!n.as_str().chars().any(char::is_control));
                    prop_assert!(n.as_str().chars().count() <= PersonName::MAX_CHARS);
                    prop_assert_eq!(PersonName::parse(n.as_str()).unwrap(), n);
                }
            }

            #[test]
            fn accepted_emails_reparse_to_themselves(
                local in "[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[a-z0-9-]{1,10}){0,2}",
                domain in "[a-z0-9]{1,10}(-[a-z0-9]{1,5})?\\.[a-z]{2,6}",
            ) {
                let e = EmailAddress::parse(&format!("{local}@{domain}")).unwrap();
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e);
            }
        }
    }
}
