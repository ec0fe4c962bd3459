//! Session tokens and personal API tokens: 32 random bytes, stored only as a SHA-256 hash.
//!
//! # Format
//!
//! `skr_` (API token) or `skrs_` (session) followed by the 32 bytes in lowercase Crockford base32
//! (`0-9 a-z` without `i l o u`), 52 characters with no padding: `skr_` + 52 = 56 characters. The
//! prefix lets a secret scanner (or a person) recognise a leaked Skranke API token, and keeps a
//! session cookie from ever being accepted where an API token is expected. Base32 survives
//! copying, URLs and headers, and without `i l o u` nothing looks like `1 1 0 v`. Parsing is
//! strict: only the canonical spelling of a token is accepted, so one token has one string.
//!
//! # Storage
//!
//! Only [`Token::hash`] is stored, and the token is looked up by it. SHA-256 is enough here, and
//! argon2 is not needed: a slow hash protects *low-entropy* secrets (passwords) from guessing, but
//! guessing 256 random bits is hopeless at any speed, so a stolen hash column gives nothing a fast
//! hash would not. A slow salted hash would also rule out looking a token up by its hash (each row
//! would need its own salt and its own hashing). The hash is domain-separated by kind, so an API
//! token's hash never equals a session's.
//!
//! Timing: the lookup is an index search by hash, whose timing can at most tell how much of a
//! *hash* matched, which does not help find a token that hashes to it.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use skranke_core::secret::SecretHash;

/// Which kind of token. They are kept apart by prefix and by hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A browser session (the session cookie).
    Session,
    /// A personal API token (`Authorization: Bearer skr_…`).
    Api,
    /// A one-time link to set a password, made by an administrator (`/account/reset/skrp_…`).
    PasswordReset,
}

impl TokenKind {
    /// The text that starts a token of this kind.
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "skrs_",
            TokenKind::Api => "skr_",
            TokenKind::PasswordReset => "skrp_",
        }
    }

    const fn hash_label(self) -> &'static [u8] {
        match self {
            TokenKind::Session => b"skranke-session-token",
            TokenKind::Api => b"skranke-api-token",
            TokenKind::PasswordReset => b"skranke-password-reset-token",
        }
    }
}

/// Why a presented token was refused. None of them says anything about the secret, and none of
/// them carries the presented text (it may be a real token with a typo; it must not reach a log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token does not start with skr_, skrs_ or skrp_")]
    UnknownPrefix,
    #[error("the token has the wrong length")]
    WrongLength,
    #[error("the token contains a character outside its alphabet")]
    InvalidCharacter,
    #[error("the token is not spelt canonically")]
    NonCanonical,
}

/// Bytes of secret in a token (256 bits).
pub const SECRET_LEN: usize = 32;
/// Characters of base32 that encode [`SECRET_LEN`] bytes (260 bits; the last 4 are zero).
pub const ENCODED_LEN: usize = 52;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A session or API token. `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    kind: TokenKind,
    secret: [u8; SECRET_LEN],
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({:?}, <redacted>)", self.kind)
    }
}

impl Token {
    /// A token from 32 random bytes supplied by the caller.
    pub const fn from_random_bytes(kind: TokenKind, secret: [u8; SECRET_LEN]) -> Self {
        Self { kind, secret }
    }

    /// A fresh token from a cryptographically secure generator.
    pub fn generate<R: rand::CryptoRng + ?Sized>(kind: TokenKind, rng: &mut R) -> Self {
        let mut secret = [0u8; SECRET_LEN];
        rng.fill_bytes(&mut secret);
        Self { kind, secret }
    }

    /// A fresh token from the thread-local generator (`rand::rng()`, a CSPRNG seeded by the OS).
    pub fn random(kind: TokenKind) -> Self {
        Self::generate(kind, &mut rand::rng())
    }

    pub const fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The token as the user or the browser holds it. Shown once (an API token at creation) or
    /// set as a cookie; never logged, never stored.
    pub fn expose(&self) -> String {
        let mut out = String::with_capacity(self.kind.prefix().len() + ENCODED_LEN);
        out.push_str(self.kind.prefix());
        encode(&self.secret, &mut out);
        out
    }

    /// What is stored and looked up: hex SHA-256 of the kind's label and the secret.
    pub fn hash(&self) -> SecretHash {
        let mut h = Sha256::new();
        for part in [self.kind.hash_label(), &self.secret[..]] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        SecretHash::from_stored(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A short, non-secret reminder of which token this is, for a list of one's API tokens
    /// (`skr_3f9k2a…`): the first 6 characters, 30 of the 256 bits, leaving 226 unknown.
    pub fn hint(&self) -> String {
        let full = self.expose();
        let end = self.kind.prefix().len() + 6;
        format!("{}…", full.get(..end).unwrap_or_default())
    }

    /// The raw secret, as key material for things bound to this token (the CSRF token of a
    /// session, see [`super::csrf`]).
    pub const fn secret_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.secret
    }
}

impl FromStr for Token {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_token(s)
    }
}

/// Reads a presented token: the prefix decides the kind, and anything but exactly the canonical
/// spelling of 32 bytes is refused. Never panics. Callers check [`Token::kind`] against what they
/// expect (an API route accepts only [`TokenKind::Api`]).
pub fn parse_token(s: &str) -> Result<Token, TokenError> {
    let (kind, body) = if let Some(body) = s.strip_prefix(TokenKind::Api.prefix()) {
        (TokenKind::Api, body)
    } else if let Some(body) = s.strip_prefix(TokenKind::Session.prefix()) {
        (TokenKind::Session, body)
    } else if let Some(body) = s.strip_prefix(TokenKind::PasswordReset.prefix()) {
        (TokenKind::PasswordReset, body)
    } else {
        return Err(TokenError::UnknownPrefix);
    };
    Ok(Token { kind, secret: decode(body)? })
}

/// Crockford base32, lowercase, no padding: 5 bits per character, most significant first.
fn encode(bytes: &[u8], out: &mut String) {
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).and_then(|i| u32::try_from(i).ok())
}

fn decode(body: &str) -> Result<[u8; SECRET_LEN], TokenError> {
    if body.len() != ENCODED_LEN {
        return Err(TokenError::WrongLength);
    }
    let mut out = [0u8; SECRET_LEN];
    let mut written = 0;
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in body.bytes() {
        buffer = (buffer << 5) | value(c).ok_or(TokenError::InvalidCharacter)?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            let slot = out.get_mut(written).ok_or(TokenError::WrongLength)?;
            *slot = (buffer >> bits) as u8;
            written += 1;
            buffer &= (1 << bits) - 1;
        }
    }
    // 52 characters carry 260 bits: 32 bytes and 4 bits that must be zero, else two spellings
    // would decode to the same token.
    if written != SECRET_LEN || buffer != 0 {
        return Err(TokenError::NonCanonical);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn format() {
        let t = Token::from_random_bytes(TokenKind::Api, [0; 32]);
        assert_eq!(t.expose(), format!("skr_{}", "0".repeat(52)));
        let t = Token::from_random_bytes(TokenKind::Session, [0xff; 32]);
        // 256 one-bits: 51 full characters and a last one with 1 bit of data and 4 zero bits.
        assert_eq!(t.expose(), format!("skrs_{}g", "z".repeat(51)));
        let mut bytes = [0u8; 32];
        bytes[0] = 0b0000_1000; // the second character carries the low 3 bits of the first byte
        let s = Token::from_random_bytes(TokenKind::Api, bytes).expose();
        assert!(s.starts_with("skr_10"), "{s}");
        assert_eq!(s.len(), 56);
    }

    #[test]
    fn known_encoding() {
        // "hello" then zeros: 01101 00001 10010 10110 11000 11011 00011 01111 = d 1 j p r v 3 f.
        let mut bytes = [0u8; 32];
        bytes[..5].copy_from_slice(b"hello");
        let s = Token::from_random_bytes(TokenKind::Api, bytes).expose();
        assert!(s.starts_with("skr_d1jprv3f"), "{s}");
    }

    #[test]
    fn round_trip_and_kinds() {
        for kind in [TokenKind::Api, TokenKind::Session, TokenKind::PasswordReset] {
            let t = Token::from_random_bytes(kind, [42; 32]);
            let back = parse_token(&t.expose()).unwrap();
            assert_eq!(back, t);
            assert_eq!(back.kind(), kind);
            assert_eq!(t.expose().parse::<Token>().unwrap(), t);
        }
    }

    #[test]
    fn hashes_differ_by_kind_and_secret() {
        let api = Token::from_random_bytes(TokenKind::Api, [1; 32]);
        let session = Token::from_random_bytes(TokenKind::Session, [1; 32]);
        assert!(!api.hash().matches(&session.hash()));
        assert!(api.hash().matches(&parse_token(&api.expose()).unwrap().hash()));
        assert!(!api.hash().matches(&Token::from_random_bytes(TokenKind::Api, [2; 32]).hash()));
        assert_eq!(api.hash().as_str().len(), 64);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let t = Token::from_random_bytes(TokenKind::Api, [7; 32]);
        let s = t.expose();
        let debug = format!("{t:?}");
        assert!(!debug.contains(&s[4..]), "{debug}");
        assert_eq!(t.hint(), format!("{}…", &s[..10]));
    }

    #[test]
    fn generated_tokens_differ() {
        let a = Token::random(TokenKind::Api);
        let b = Token::random(TokenKind::Api);
        assert_ne!(a, b);
        assert_eq!(parse_token(&a.expose()).unwrap(), a);
    }

    #[test]
    fn refusals() {
        let good = Token::from_random_bytes(TokenKind::Api, [9; 32]).expose();
        let body = &good[4..];
        let cases: Vec<(String, TokenError)> = vec![
            (String::new(), TokenError::UnknownPrefix),
            (format!("SKR_{body}"), TokenError::UnknownPrefix),
            (format!("skr-{body}"), TokenError::UnknownPrefix),
            (body.to_owned(), TokenError::UnknownPrefix),
            ("skr_".to_owned(), TokenError::WrongLength),
            (format!("skr_{}", &body[1..]), TokenError::WrongLength),
            (format!("{good}0"), TokenError::WrongLength),
            (format!(" {good}"), TokenError::UnknownPrefix),
            (format!("{good} "), TokenError::WrongLength),
            (format!("skr_{}", body.to_uppercase()), TokenError::InvalidCharacter),
            (format!("skr_i{}", &body[1..]), TokenError::InvalidCharacter),
            (format!("skr_u{}", &body[1..]), TokenError::InvalidCharacter),
            (format!("skr_æ{}", &body[2..]), TokenError::InvalidCharacter),
            // Last character with a non-zero padding bit.
            (format!("skr_{}1", &body[..51]), TokenError::NonCanonical),
        ];
        for (s, want) in cases {
            assert_eq!(parse_token(&s), Err(want), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse_token(&s);
        }

        #[test]
        fn never_panics_on_near_misses(prefix in "(skr_|skrs_|skr|sk)", body in "[0-9a-zA-Z_é]{0,60}") {
            let s = format!("{prefix}{body}");
            if let Ok(t) = parse_token(&s) {
                prop_assert_eq!(t.expose(), s);
            }
        }

        #[test]
        fn round_trips(bytes in proptest::array::uniform32(any::<u8>()), api in any::<bool>()) {
            let kind = if api { TokenKind::Api } else { TokenKind::Session };
            let t = Token::from_random_bytes(kind, bytes);
            let s = t.expose();
            prop_assert_eq!(s.len(), kind.prefix().len() + ENCODED_LEN);
            prop_assert_eq!(parse_token(&s), Ok(t));
        }

        /// Any accepted string is the canonical spelling of its token.
        #[test]
        fn accepted_means_canonical(body in "[0-9a-hjkmnp-tv-z]{52}") {
            let s = format!("skr_{body}");
            match parse_token(&s) {
                Ok(t) => prop_assert_eq!(t.expose(), s),
                Err(e) => prop_assert_eq!(e, TokenError::NonCanonical),
            }
        }
    }
}
