//! Cross-site request forgery protection: a synchroniser token tied to the session.
//!
//! A forged request from another site carries the victim's session cookie (the browser adds it)
//! but cannot read Skranke's pages, so it cannot know a value that appears only in them. Every
//! state-changing staff request must therefore present the session's CSRF token:
//!
//! - HTML forms in a hidden field named [`FORM_FIELD`] (`_csrf`);
//! - htmx requests in the header [`HEADER`] (`X-CSRF-Token`; the layout sets it for every htmx
//!   request with `hx-headers`).
//!
//! The token is `HMAC-SHA256(session secret, "skranke-csrf-v1")`, hex. It needs no storage: the
//! server recomputes it from the session cookie on every request. Keyed with the session's raw
//! secret (which the server never stores, see [`super::token`]), it cannot be forged by someone who
//! can read the sessions table, and a CSRF token seen in a page reveals nothing about the session
//! (HMAC is one-way). It changes with the session, so signing in again invalidates old forms.
//! `SameSite=Lax` cookies are the first line; this is the second, and the one that also covers
//! same-site subdomains and older browsers.
//!
//! The token is the same for every page of a session, so compressing pages that contain it over
//! TLS would expose it to BREACH-style guessing; Skranke does not compress HTML responses. If that
//! changes, mask the token per response.

use sha2::{Digest, Sha256};

use super::constant_time_eq;

/// The hidden form field that carries the token.
pub const FORM_FIELD: &str = "_csrf";
/// The request header that carries the token on htmx (and other script) requests.
pub const HEADER: &str = "X-CSRF-Token";

const PURPOSE: &[u8] = b"skranke-csrf-v1";

/// HMAC-SHA256 (RFC 2104) of `message` under `key`. Written out rather than a dependency: it is
/// the two nested hashes below, and tested against the RFC 4231 vectors.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// The CSRF token of a session, from the session token's raw secret
/// ([`super::token::Token::secret_bytes`]): 64 lowercase hex characters.
pub fn csrf_token(session_key: &[u8; 32]) -> String {
    hmac_sha256(session_key, PURPOSE).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `presented` is this session's CSRF token. Constant-time, so timing does not reveal how
/// much of a guess was right. Anything else, the empty string included, is `false`.
pub fn verify_csrf(session_key: &[u8; 32], presented: &str) -> bool {
    constant_time_eq(csrf_token(session_key).as_bytes(), presented.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 4231 test cases 1, 2, 6 and 7 (HMAC-SHA-256).
    #[test]
    fn hmac_matches_rfc_4231() {
        let cases: [(&[u8], &[u8], &str); 4] = [
            (&[0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                &[0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. \
                  The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, message, want) in cases {
            assert_eq!(hex(&hmac_sha256(key, message)), want);
        }
    }

    #[test]
    fn token_per_session() {
        let a = csrf_token(&[1; 32]);
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(a, csrf_token(&[1; 32]), "stable within a session");
        assert_ne!(a, csrf_token(&[2; 32]), "differs between sessions");
        assert!(verify_csrf(&[1; 32], &a));
        assert!(!verify_csrf(&[2; 32], &a));
    }

    #[test]
    fn refuses_near_misses() {
        let key = [7; 32];
        let good = csrf_token(&key);
        let mut flipped = good.clone().into_bytes();
        flipped[63] = if flipped[63] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        for bad in ["", &good[..63], &format!("{good}0"), &good.to_uppercase(), &flipped, &format!(" {}", &good[1..])] {
            assert!(!verify_csrf(&key, bad), "{bad:?}");
        }
    }
}
