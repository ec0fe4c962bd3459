//! Use cases. Each one validates with the core, asks the store for one transaction, and returns
//! an `AppError` the HTTP layer maps to a status and a catalogue message.

pub mod accounts;
pub mod admin;
pub mod booking;
pub mod breach;
mod cache;
mod error;
pub mod live;
pub mod notify;
pub mod platform;
pub mod principal;
pub mod pseudonym;
pub mod queue;
pub mod retention;
pub mod rights;
pub mod routes;

use std::sync::Arc;

use jiff::SignedDuration;
use skranke_core::booking::HoldPolicy;

use crate::clock::Clock;
use crate::store::AnyStore;

pub use error::AppError;
pub use principal::{Principal, Via};

/// Settings the use cases need.
#[derive(Clone, Debug)]
pub struct AppSettings {
    pub hold: HoldPolicy,
    /// The public base URL, for links in mail and calendar files.
    pub public_url: String,
    /// How long an availability answer may be reused (zero turns the cache off).
    pub availability_cache_ttl: SignedDuration,
    pub auth: accounts::AuthSettings,
    /// How long before an appointment its reminder goes out (issue 6: the day before by default).
    pub reminder_lead: SignedDuration,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            hold: HoldPolicy::default(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            availability_cache_ttl: SignedDuration::from_secs(1),
            auth: accounts::AuthSettings::default(),
            reminder_lead: booking::REMINDER_LEAD,
        }
    }
}

/// The application: store, clock and settings, cheap to clone into every request.
#[derive(Clone, Debug)]
pub struct App {
    pub store: AnyStore,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<AppSettings>,
    availability_cache: Arc<cache::AvailabilityCache>,
    /// The key that names sign-in failures (`server_keys.throttle`), read once from the store.
    throttle_key: Arc<tokio::sync::OnceCell<[u8; 32]>>,
    /// The key of citizens' pseudonyms in the audit log (`server_keys.audit_pseudonym`).
    pseudonym_key: Arc<tokio::sync::OnceCell<[u8; 32]>>,
    /// Live boards of the centres someone watches.
    pub live: Arc<live::Hub>,
}

impl App {
    pub fn new(store: AnyStore, clock: Arc<dyn Clock>, settings: AppSettings) -> Self {
        let availability_cache = Arc::new(cache::AvailabilityCache::new(settings.availability_cache_ttl));
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            availability_cache,
            throttle_key: Arc::default(),
            pseudonym_key: Arc::default(),
            live: Arc::default(),
        }
    }

    /// Drops cached availability answers after a configuration change that shapes them.
    pub(crate) fn invalidate_availability(&self) {
        self.availability_cache.invalidate();
    }

    pub fn hold_duration(&self) -> SignedDuration {
        self.settings.hold.hold
    }
}

/// Random values for identifiers and secrets, from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::fill(&mut b);
    b
}

/// `n` random bytes as hex, for operation ids.
pub(crate) fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::fill(&mut b[..]);
    b.iter().map(|x| format!("{x:02x}")).collect()
}
