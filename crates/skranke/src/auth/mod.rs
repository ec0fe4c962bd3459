//! Staff authentication primitives, pure apart from the hashing work: no I/O, no clock (time is a
//! parameter), randomness passed in or drawn from `rand::rng()` by the caller.
//!
//! - [`password`]: argon2id hashes of staff passwords, the password policy, equal timing for
//!   unknown accounts.
//! - [`token`]: session and personal API tokens (`skrs_…`, `skr_…`), stored as SHA-256 hashes.
//! - [`throttle`]: when a failed sign-in must wait, decided from failure counts the store keeps.
//! - [`csrf`]: the synchroniser token that binds a form post or an htmx request to its session.
//!
//! Who may do what once signed in is `skranke_core::access`.

pub mod csrf;
pub mod password;
pub mod throttle;
pub mod token;

/// Compares two byte strings in time that depends only on their lengths (which are public: every
/// token and hash of one kind has the same length), so response timing does not tell an attacker
/// how many leading bytes of a guess were right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq() {
        use super::constant_time_eq as eq;
        assert!(eq(b"", b""));
        assert!(eq(b"abc", b"abc"));
        assert!(!eq(b"abc", b"abd"));
        assert!(!eq(b"abc", b"ab"));
    }
}
