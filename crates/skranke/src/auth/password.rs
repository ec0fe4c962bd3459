//! Staff passwords: argon2id hashes, the password policy, and equal timing for unknown accounts.
//!
//! Passwords have little entropy, so a stolen hash must be expensive to guess against: argon2id
//! (RFC 9106, the OWASP recommendation) is deliberately slow and memory-hard, which takes away
//! most of a GPU's advantage. Hashes are stored as PHC strings
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) that carry their own parameters, so raising
//! [`PasswordParams`] later does not lock anyone out: [`verify_password`] uses the stored
//! parameters and [`needs_rehash`] tells the sign-in to store a fresh hash while it has the
//! password in hand.
//!
//! Hashing takes tens of milliseconds of CPU and tens of MiB of memory: callers run it on a
//! blocking thread (`tokio::task::spawn_blocking`) and bound how many run at once.

use std::fmt;

use argon2::password_hash::phc::PasswordHash as PhcHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use serde::{Deserialize, Serialize};

/// Length of the stored hash output in bytes (argon2's default; 256 bits).
const OUTPUT_LEN: usize = 32;

/// The argon2id cost. The defaults take 60–75 ms for one hash or verification on the 2-core
/// reference machine in a release build (`cargo bench -p skranke --bench password`) and are above
/// the OWASP minimum (19 MiB, 2 passes, 1 lane). Each hash in flight holds `memory_kib` of memory.
///
/// `parallelism` above 1 buys no speed here (lanes are computed one after another in this
/// build) and only changes the hash; it is a parameter so that hashes from elsewhere keep
/// verifying and can be compared in [`needs_rehash`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordParams {
    /// Memory per hash, KiB (m).
    pub memory_kib: u32,
    /// Passes over the memory (t).
    pub iterations: u32,
    /// Lanes (p).
    pub parallelism: u32,
}

impl PasswordParams {
    /// 48 MiB, 2 passes, 1 lane: ~65 ms per hash on the 2-core reference machine (quiet; 32 MiB
    /// gave 41 ms, under the 50–100 ms aim).
    pub const DEFAULT: PasswordParams = PasswordParams { memory_kib: 48 * 1024, iterations: 2, parallelism: 1 };

    fn argon2(&self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(OUTPUT_LEN))
            .map_err(PasswordError::Params)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Checks the parameters against argon2's limits (memory at least 8 KiB per lane, at least one
    /// pass and one lane). Call when loading the configuration, so a bad value stops start-up
    /// rather than the first sign-in.
    pub fn validate(&self) -> Result<(), PasswordError> {
        self.argon2().map(|_| ())
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Hashing failed: bad parameters (a configuration error) or, in principle, an internal argon2
/// error. Never caused by the password itself.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    #[error("argon2 hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
}

/// A PHC-format argon2id hash, as stored. Not secret in the way a password is, but offline-guessable,
/// so `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

impl PasswordHash {
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a new password was refused. `code()` is the catalogue key of the message shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("the password is shorter than {} characters", NewPassword::MIN_CHARS)]
    TooShort,
    #[error("the password is longer than {} bytes", NewPassword::MAX_BYTES)]
    TooLong,
    #[error("the password repeats one character")]
    RepeatedCharacter,
    #[error("the password contains a control character")]
    ControlCharacter,
}

impl PasswordPolicyError {
    pub const fn code(&self) -> &'static str {
        match self {
            PasswordPolicyError::TooShort => "password.too_short",
            PasswordPolicyError::TooLong => "password.too_long",
            PasswordPolicyError::RepeatedCharacter => "password.repeated_character",
            PasswordPolicyError::ControlCharacter => "password.control_character",
        }
    }
}

/// A password a user chose, checked against the policy. The policy follows NIST SP 800-63B: a
/// minimum length and no composition rules (no "one digit, one symbol"), any printable character
/// including spaces and non-ASCII letters, nothing trimmed.
///
/// - at least [`Self::MIN_CHARS`] characters (Unicode scalar values);
/// - at most [`Self::MAX_BYTES`] bytes of UTF-8, which bounds the work per sign-in;
/// - not one character repeated (`aaaaaaaaaaaa`);
/// - no control characters (they cannot be typed reliably, and a stray newline from a paste would
///   make a password the user cannot reproduce).
///
/// Not normalised (NFC): browsers send what the keyboard produced, the same on every sign-in from
/// the same device.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_BYTES: usize = 256;

    pub fn parse(raw: &str) -> Result<NewPassword, PasswordPolicyError> {
        if raw.len() > Self::MAX_BYTES {
            return Err(PasswordPolicyError::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(PasswordPolicyError::ControlCharacter);
        }
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(PasswordPolicyError::TooShort);
        }
        let mut chars = raw.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err(PasswordPolicyError::RepeatedCharacter);
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Hashes a new password with argon2id at `params`. `salt` must be fresh random bytes per hash
/// (`rand::random()`); it is stored in the PHC string.
pub fn hash_password(
    params: &PasswordParams,
    password: &NewPassword,
    salt: [u8; 16],
) -> Result<PasswordHash, PasswordError> {
    let hash = params.argon2()?.hash_password_with_salt(password.0.as_bytes(), &salt).map_err(PasswordError::Hash)?;
    Ok(PasswordHash(hash.to_string()))
}

/// Whether `password` matches the stored `hash`, using the parameters stored in the hash. The
/// comparison of the outputs is constant-time (argon2's `Output` compares so). A malformed or
/// non-argon2id hash, or a password longer than [`NewPassword::MAX_BYTES`] (no stored password can
/// be), gives `false`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > NewPassword::MAX_BYTES {
        return false;
    }
    let Ok(parsed) = PhcHash::new(hash) else {
        return false;
    };
    if parsed.algorithm.as_str() != Algorithm::Argon2id.as_str() {
        return false;
    }
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Whether a hash that just verified should be replaced by one at `params`: it is not argon2id
/// version 19, its cost differs from `params`, or it cannot be read. The sign-in then hashes the
/// password it holds with a fresh salt and stores the result.
pub fn needs_rehash(hash: &str, params: &PasswordParams) -> bool {
    let Ok(parsed) = PhcHash::new(hash) else {
        return true;
    };
    if parsed.algorithm.as_str() != Algorithm::Argon2id.as_str() || parsed.version != Some(Version::V0x13.into()) {
        return true;
    }
    let Ok(stored) = Params::try_from(&parsed) else {
        return true;
    };
    (stored.m_cost(), stored.t_cost(), stored.p_cost()) != (params.memory_kib, params.iterations, params.parallelism)
        || parsed.hash.map(|h| h.len()) != Some(OUTPUT_LEN)
}

/// Does the work of one [`verify_password`] at `params` and returns `false`. A sign-in for an
/// account that does not exist calls this instead of returning at once, so the response takes as
/// long as a wrong password for an existing account and does not tell whether the account exists.
pub fn dummy_verify(params: &PasswordParams, password: &str) -> bool {
    if password.len() > NewPassword::MAX_BYTES {
        return false;
    }
    if let Ok(argon2) = params.argon2() {
        let mut out = [0u8; OUTPUT_LEN];
        let _ = argon2.hash_password_into(password.as_bytes(), b"skranke-dummy-salt", &mut out);
        std::hint::black_box(out);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so the tests stay fast; the cost does not change the logic.
    const FAST: PasswordParams = PasswordParams { memory_kib: 64, iterations: 1, parallelism: 1 };

    fn pw(s: &str) -> NewPassword {
        NewPassword::parse(s).unwrap()
    }

    #[test]
    fn hash_and_verify() {
        let h = hash_password(&FAST, &pw("correct horse battery"), [1; 16]).unwrap();
        assert!(h.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{}", h.as_str());
        assert!(verify_password(h.as_str(), "correct horse battery"));
        assert!(!verify_password(h.as_str(), "correct horse batterY"));
        assert!(!verify_password(h.as_str(), ""));
        // Same password, other salt: other hash.
        let h2 = hash_password(&FAST, &pw("correct horse battery"), [2; 16]).unwrap();
        assert_ne!(h, h2);
        assert!(verify_password(h2.as_str(), "correct horse battery"));
        assert!(!format!("{h:?}").contains("argon2"));
    }

    #[test]
    fn default_parameters_hash_and_verify() {
        let params = PasswordParams::default();
        params.validate().unwrap();
        let h = hash_password(&params, &pw("Ærø og Æbeltoft 2024"), [9; 16]).unwrap();
        assert!(h.as_str().starts_with("$argon2id$v=19$m=49152,t=2,p=1$"), "{}", h.as_str());
        assert!(verify_password(h.as_str(), "Ærø og Æbeltoft 2024"));
        assert!(!needs_rehash(h.as_str(), &params));
    }

    /// A hash made by the reference C implementation (libargon2:
    /// `argon2id_hash_encoded(t = 2, m = 65536, p = 4, "password", "somesalt", 32 bytes)`) verifies.
    #[test]
    fn verifies_reference_vector() {
        let h = "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        assert!(verify_password(h, "password"));
        assert!(!verify_password(h, "passwore"));
    }

    #[test]
    fn malformed_or_foreign_hashes_do_not_verify() {
        for h in ["", "plain", "$argon2id$", "$argon2id$v=19$m=64,t=1,p=1$AAAA$", "$2b$12$abcdefghijklmnopqrstuv"] {
            assert!(!verify_password(h, "whatever password"), "{h}");
            assert!(needs_rehash(h, &FAST), "{h}");
        }
        // argon2i of the same password: readable, but not what we accept.
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(64, 1, 1, None).unwrap())
            .hash_password_with_salt(b"correct horse battery", &[1; 16])
            .unwrap()
            .to_string();
        assert!(!verify_password(&argon2i, "correct horse battery"));
        assert!(needs_rehash(&argon2i, &FAST));
    }

    #[test]
    fn rehash_when_parameters_change() {
        let h = hash_password(&FAST, &pw("correct horse battery"), [1; 16]).unwrap();
        assert!(!needs_rehash(h.as_str(), &FAST));
        assert!(needs_rehash(h.as_str(), &PasswordParams { memory_kib: 128, ..FAST }));
        assert!(needs_rehash(h.as_str(), &PasswordParams { iterations: 2, ..FAST }));
        assert!(needs_rehash(h.as_str(), &PasswordParams { parallelism: 2, memory_kib: 128, ..FAST }));
    }

    #[test]
    fn bad_parameters_are_an_error() {
        assert!(matches!(
            PasswordParams { memory_kib: 1, iterations: 1, parallelism: 1 }.validate(),
            Err(PasswordError::Params(_))
        ));
        assert!(PasswordParams { iterations: 0, ..FAST }.validate().is_err());
        assert!(PasswordParams { parallelism: 0, ..FAST }.validate().is_err());
        assert!(
            hash_password(&PasswordParams { iterations: 0, ..FAST }, &pw("correct horse battery"), [1; 16]).is_err()
        );
    }

    #[test]
    fn params_from_config() {
        let p: PasswordParams = serde_json::from_str(r#"{"memory_kib": 65536}"#).unwrap();
        assert_eq!(p, PasswordParams { memory_kib: 65536, ..PasswordParams::DEFAULT });
        assert!(serde_json::from_str::<PasswordParams>(r#"{"memory": 1}"#).is_err());
    }

    #[test]
    fn dummy_verify_is_false() {
        assert!(!dummy_verify(&FAST, "anything at all"));
        assert!(!dummy_verify(&FAST, &"x".repeat(10_000)));
    }

    #[test]
    fn overlong_passwords_never_verify() {
        let h = hash_password(&FAST, &pw("correct horse battery"), [1; 16]).unwrap();
        assert!(!verify_password(h.as_str(), &"correct horse battery".repeat(20)));
    }

    #[test]
    fn policy() {
        use PasswordPolicyError as E;
        let cases: &[(&str, Result<(), E>)] = &[
            ("", Err(E::TooShort)),
            ("elevenchars", Err(E::TooShort)),
            ("twelve chars", Ok(())),
            ("   leading and trailing   ", Ok(())),
            ("æøåÆØÅæøåÆØÅ", Ok(())),          // 12 characters, 24 bytes
            ("æøåÆØÅæøåÆØ", Err(E::TooShort)), // 11 characters, 22 bytes
            ("aaaaaaaaaaaa", Err(E::RepeatedCharacter)),
            ("ææææææææææææææ", Err(E::RepeatedCharacter)),
            ("aaaaaaaaaaab", Ok(())),
            ("tab\tinside password", Err(E::ControlCharacter)),
            ("newline at the end\n", Err(E::ControlCharacter)),
            ("nul \0 inside password", Err(E::ControlCharacter)),
            ("del \u{7f} inside password", Err(E::ControlCharacter)),
        ];
        for (raw, want) in cases {
            assert_eq!(NewPassword::parse(raw).map(|_| ()), *want, "{raw:?}");
        }
        assert!(NewPassword::parse(&"ab".repeat(128)).is_ok());
        assert_eq!(NewPassword::parse(&("ab".repeat(128) + "c")).unwrap_err(), E::TooLong);
        // 256 bytes but only 128 characters: fine; 129 two-byte characters: too long.
        assert!(NewPassword::parse(&"æb".repeat(85)).is_ok());
        assert_eq!(NewPassword::parse(&"æ".repeat(129)).unwrap_err(), E::TooLong);
        let p = pw("correct horse battery");
        assert_eq!(p.expose(), "correct horse battery");
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn policy_error_codes() {
        use PasswordPolicyError as E;
        let codes: Vec<&str> =
            [E::TooShort, E::TooLong, E::RepeatedCharacter, E::ControlCharacter].iter().map(E::code).collect();
        assert_eq!(
            codes,
            ["password.too_short", "password.too_long", "password.repeated_character", "password.control_character"]
        );
    }
}
