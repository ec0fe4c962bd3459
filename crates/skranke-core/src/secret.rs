//! Secrets handed to citizens: the manage token and the e-mail confirmation code.
//!
//! Only their SHA-256 hashes are stored. The token has 256 bits of entropy, so a fast hash is
//! enough; the 6-digit code has little entropy, so it is salted with the appointment id and
//! guarded by an attempt limit and a short hold (see `booking`).

use sha2::{Digest, Sha256};

/// The bearer token that lets a citizen manage one booking. Never logged (`Debug` is redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct ManageToken(String);

impl std::fmt::Debug for ManageToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManageToken(<redacted>)")
    }
}

/// Hex SHA-256 of a secret; safe to store and compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Constant-time comparison, so response timing tells nothing about how much matched.
    pub fn matches(&self, other: &SecretHash) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl ManageToken {
    /// 32 random bytes from the caller, rendered as 64 hex characters.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Accepts what a client presents; anything but 64 lowercase hex characters is refused early.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash(sha256_hex(&[b"skranke-manage-token", self.0.as_bytes()]))
    }
}

/// The 6-digit code mailed to a citizen to prove the address and confirm a held booking.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfirmationCode(String);

impl std::fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfirmationCode(<redacted>)")
    }
}

impl ConfirmationCode {
    /// A uniformly distributed code from a caller-supplied random number.
    pub fn from_random(n: u32) -> Self {
        Self(format!("{:06}", n % 1_000_000))
    }

    /// What a citizen typed: spaces are ignored, anything but six digits is refused.
    pub fn parse(raw: &str) -> Option<Self> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(Self(digits))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Salted with the appointment, so equal codes on two bookings hash differently.
    pub fn hash(&self, salt: &str) -> SecretHash {
        SecretHash(sha256_hex(&[b"skranke-confirmation-code", salt.as_bytes(), self.0.as_bytes()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_roundtrip_and_redaction() {
        let t = ManageToken::from_random_bytes([7; 32]);
        assert_eq!(t.expose().len(), 64);
        assert_eq!(ManageToken::parse(t.expose()), Some(t.clone()));
        assert!(ManageToken::parse("nothex").is_none());
        assert!(!format!("{t:?}").contains(t.expose()));
        assert!(t.hash().matches(&t.hash()));
        assert!(!t.hash().matches(&ManageToken::from_random_bytes([8; 32]).hash()));
    }

    #[test]
    fn codes() {
        assert_eq!(ConfirmationCode::from_random(42).expose(), "000042");
        assert_eq!(ConfirmationCode::parse(" 123 456 ").unwrap().expose(), "123456");
        assert!(ConfirmationCode::parse("12345").is_none());
        assert!(ConfirmationCode::parse("12345a").is_none());
        let c = ConfirmationCode::from_random(123456);
        assert_ne!(c.hash("a"), c.hash("b"));
    }
}
