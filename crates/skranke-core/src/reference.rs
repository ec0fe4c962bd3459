//! Human-friendly booking references such as `K7F-3QX`.
//!
//! Six symbols from an alphabet without look-alike characters (no 0/O, 1/I/L, U), so a reference
//! read aloud at a desk or typed from a letter is hard to get wrong. 29^6 ≈ 594 million values;
//! uniqueness is enforced by the database and a collision simply draws again.

use serde::Serialize;

const ALPHABET: &[u8; 29] = b"23456789ABCDEFGHJKMNPQRSTVWXY";
const LEN: usize = 6;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct BookingReference(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a booking reference")]
pub struct InvalidReference;

impl BookingReference {
    /// Builds a reference from caller-supplied random bytes (one byte per symbol, reduced modulo
    /// the alphabet; the tiny bias is irrelevant for an identifier that is not a secret).
    pub fn from_random_bytes(bytes: [u8; LEN]) -> Self {
        let symbols: Vec<char> = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
        let s: String = symbols[..3].iter().chain(std::iter::once(&'-')).chain(&symbols[3..]).collect();
        Self(s)
    }

    /// Parses what a person typed: case-insensitive, with or without the dash or spaces.
    pub fn parse(raw: &str) -> Result<Self, InvalidReference> {
        let symbols: Vec<char> =
            raw.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
        if symbols.len() != LEN || !symbols.iter().all(|c| c.is_ascii() && ALPHABET.contains(&(*c as u8))) {
            return Err(InvalidReference);
        }
        let s: String = symbols[..3].iter().chain(std::iter::once(&'-')).chain(&symbols[3..]).collect();
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BookingReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shape() {
        let r = BookingReference::from_random_bytes([0, 1, 2, 3, 4, 28]);
        assert_eq!(r.as_str(), "234-56Y");
        assert_eq!(BookingReference::parse("234 56y").unwrap(), r);
        assert!(BookingReference::parse("O10-ILU").is_err());
        assert!(BookingReference::parse("234-56").is_err());
        assert!(BookingReference::parse("ÆØÅ-ÆØÅ").is_err());
    }

    proptest! {
        #[test]
        fn generated_references_parse_back(bytes in any::<[u8; 6]>()) {
            let r = BookingReference::from_random_bytes(bytes);
            prop_assert_eq!(BookingReference::parse(r.as_str()).unwrap(), r);
        }

        #[test]
        fn parse_never_panics(s in ".*") {
            let _ = BookingReference::parse(&s);
        }
    }
}
