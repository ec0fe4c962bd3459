//! A short-lived cache of availability answers.
//!
//! Availability is read far more often than it changes, and one answer reads the whole
//! schedule of a service's staff. An answer is reused for `ttl` (default one second) and dropped
//! at once when this process changes a booking. Another app instance over the same PostgreSQL
//! database sees the change within `ttl`. Correctness does not depend on the cache: a slot that
//! was just taken elsewhere is refused by the database (409 `slot_unavailable`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use skranke_core::ids::ServiceId;

use super::booking::Availability;

/// Entries beyond this are dropped wholesale; the cache only has to hold the hot ranges.
const MAX_ENTRIES: usize = 4_096;

type Key = (ServiceId, Date, Date);

#[derive(Debug)]
pub struct AvailabilityCache {
    ttl: SignedDuration,
    entries: Mutex<HashMap<Key, (Timestamp, Arc<Availability>)>>,
    /// One computation per key at a time: when an answer expires under load, the first request
    /// recomputes it and the others wait for that answer instead of all recomputing.
    computing: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl AvailabilityCache {
    pub fn new(ttl: SignedDuration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()), computing: Mutex::new(HashMap::new()) }
    }

    /// The lock that serialises computing `key`.
    pub fn computing_lock(&self, key: Key) -> Arc<tokio::sync::Mutex<()>> {
        match self.computing.lock() {
            Ok(mut m) => {
                if m.len() >= MAX_ENTRIES {
                    m.retain(|_, l| Arc::strong_count(l) > 1);
                }
                Arc::clone(m.entry(key).or_default())
            }
            Err(_) => Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    pub fn get(&self, key: Key, now: Timestamp) -> Option<Arc<Availability>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(&key)?;
        // A clock set backwards (tests) also misses.
        let age = now.duration_since(*at);
        (age >= SignedDuration::ZERO && age < self.ttl).then(|| Arc::clone(value))
    }

    pub fn put(&self, key: Key, now: Timestamp, value: Arc<Availability>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (now, value));
        }
    }

    /// Called by every use case that changes bookings.
    pub fn invalidate(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}
