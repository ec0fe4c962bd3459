//! Keyed pseudonyms of citizens in the audit log (issue 7, point 4).
//!
//! An audit entry about a message to anyone outside the organisation names the recipient by a
//! pseudonym instead of the address:
//!
//! ```text
//! "ps_" ‖ hex( HMAC-SHA256(key, kind ‖ 0 ‖ organisation uuid (16 bytes, nil for none) ‖ lowercase value)[..16] )
//! ```
//!
//! The mapping back (`audit_pseudonyms`, written with the entry) has its own retention class
//! (`audit_pseudonyms`) and goes at once when the citizen has their data erased. Within it, the
//! audit page and API name the address; after it, the entries still count the pseudonym with its
//! domain and data classes. The delivered message keeps the same pseudonym (schema v17), so
//! breach scoping follows the same rule after retention has blanked the address. Staff and
//! shared mailboxes (internal addresses) are named as they are: which staff address got what is
//! exactly what an investigation of a misdirected mail needs.
//!
//! The key is `server_keys.audit_pseudonym`, drawn once per database. Whoever holds it and an
//! address can compute the address's pseudonym and so find that address's entries after the
//! mapping is gone; the key is as private as the database it is in.
//! 128 bits of the HMAC make a collision between two addresses of one organisation negligible.

use std::fmt::Write as _;

use skranke_core::ids::OrganisationId;

use super::{App, random_bytes};
use crate::auth::csrf::hmac_sha256;
use crate::store::{Store, StoreError};

/// Every pseudonym starts with this, so a reader of the log can tell one from an address.
pub const PREFIX: &str = "ps_";

/// The `server_keys` name of the pseudonym key.
const KEY_NAME: &str = "audit_pseudonym";

/// The pseudonym of `address` in `organisation`'s audit entries.
pub fn address_pseudonym(key: &[u8; 32], organisation: Option<OrganisationId>, address: &str) -> String {
    pseudonym(key, Kind::Address, organisation, address)
}

/// What a pseudonym names. Each kind is its own HMAC domain, so one value has a different
/// pseudonym per kind and a mapping kept for one use never resolves another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A recipient of messages (the gate's `mail.*` entries, the messages' records).
    Address,
    /// The address a breach scope was run for (its `breach.scope` entry): kept apart from the
    /// recipient's, so looking an address up after its mapping ran out does not name it again.
    BreachTarget,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Address => "address",
            Kind::BreachTarget => "breach_target",
        }
    }
}

/// The pseudonym of `value` of `kind` in `organisation`'s audit entries.
pub fn pseudonym(key: &[u8; 32], kind: Kind, organisation: Option<OrganisationId>, value: &str) -> String {
    let org = organisation.map_or(uuid::Uuid::nil(), |o| o.as_uuid());
    let mut message = Vec::with_capacity(32 + value.len());
    message.extend_from_slice(kind.as_str().as_bytes());
    message.push(0);
    message.extend_from_slice(org.as_bytes());
    message.extend_from_slice(value.trim().to_lowercase().as_bytes());
    let mac = hmac_sha256(key, &message);
    let mut out = String::with_capacity(PREFIX.len() + 32);
    out.push_str(PREFIX);
    for b in &mac[..16] {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

impl App {
    /// The pseudonym key, read (or drawn, the first time) once per process.
    pub(crate) async fn pseudonym_key(&self) -> Result<[u8; 32], StoreError> {
        let key = self
            .pseudonym_key
            .get_or_try_init(|| async {
                let stored = self.store.server_key(KEY_NAME, &random_bytes::<32>(), self.clock.now()).await?;
                <[u8; 32]>::try_from(stored.as_slice())
                    .map_err(|_| StoreError::Corrupt("server_keys.audit_pseudonym".into()))
            })
            .await?;
        Ok(*key)
    }

    /// [`address_pseudonym`] under this database's key.
    pub async fn address_pseudonym(
        &self,
        organisation: Option<OrganisationId>,
        address: &str,
    ) -> Result<String, StoreError> {
        Ok(address_pseudonym(&self.pseudonym_key().await?, organisation, address))
    }

    /// [`pseudonym`] of `kind` under this database's key.
    pub async fn pseudonym(
        &self,
        kind: Kind,
        organisation: Option<OrganisationId>,
        value: &str,
    ) -> Result<String, StoreError> {
        Ok(pseudonym(&self.pseudonym_key().await?, kind, organisation, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_ignore_case_and_differ_per_organisation_and_key() {
        let key = [7u8; 32];
        let org = Some(OrganisationId::from_uuid(uuid::Uuid::from_u128(1)));
        let a = address_pseudonym(&key, org, "Anna@Example.dk");
        assert_eq!(a, address_pseudonym(&key, org, " anna@example.dk"));
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 32, "{a}");
        assert!(!a.contains("anna"));
        assert_ne!(a, address_pseudonym(&key, None, "anna@example.dk"));
        assert_ne!(a, address_pseudonym(&[8u8; 32], org, "anna@example.dk"));
        assert_ne!(a, address_pseudonym(&key, org, "anne@example.dk"));
        assert_ne!(a, pseudonym(&key, Kind::BreachTarget, org, "anna@example.dk"));
    }
}
