//! Retention (issue 7, point 3; GDPR Art. 5(1)(e) storage limitation): how long each class of
//! personal data is kept, per organisation, with documented defaults and the shortest period a
//! class may be set to. Pure: the job in the `skranke` crate asks [`Policy::cutoff`] for the
//! instant before which a class goes, and applies it in small batches.

use jiff::{SignedDuration, Timestamp};

/// The classes of data retention applies to. The minimums are the periods below which the data
/// could not do its job (a booking must still work; a breach must still be answerable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RetentionClass {
    /// A citizen's name, e-mail and phone on a booking (and the booking's address in the
    /// registry and on its messages), counted from the end of the appointment. Anonymised, not
    /// deleted: statistics keep their numbers.
    CitizenIdentity,
    /// Addresses never proven (no code typed back) and never mailed, counted from their creation.
    UnverifiedAddresses,
    /// Bookings whose hold expired before the code was typed, counted from the expiry.
    ExpiredHolds,
    /// The content of a message (its template fields), counted from delivery, once it needs no
    /// acknowledgement or has one. The record that it was sent stays.
    MessageBodies,
    /// The record that a message was sent (to whom, about which subject, which data classes):
    /// what breach scoping reads. Counted from delivery.
    MessageRecords,
    /// What a keyed pseudonym of a citizen's address in the audit log stands for (the mapping
    /// `audit_pseudonyms`), counted from the last entry that used it. After it the audit still
    /// counts the pseudonym, with its domain and data classes, but no longer names the address.
    AuditPseudonyms,
    /// The particulars (detail) of audit entries, counted from the entry. Who did what, to which
    /// object and when stay for as long as the log; the chain verifies either way (format 2).
    AuditPayloads,
}

impl RetentionClass {
    pub const ALL: [RetentionClass; 7] = [
        RetentionClass::CitizenIdentity,
        RetentionClass::UnverifiedAddresses,
        RetentionClass::ExpiredHolds,
        RetentionClass::MessageBodies,
        RetentionClass::MessageRecords,
        RetentionClass::AuditPseudonyms,
        RetentionClass::AuditPayloads,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RetentionClass::CitizenIdentity => "citizen_identity",
            RetentionClass::UnverifiedAddresses => "unverified_addresses",
            RetentionClass::ExpiredHolds => "expired_holds",
            RetentionClass::MessageBodies => "message_bodies",
            RetentionClass::MessageRecords => "message_records",
            RetentionClass::AuditPseudonyms => "audit_pseudonyms",
            RetentionClass::AuditPayloads => "audit_payloads",
        }
    }

    pub fn parse(s: &str) -> Option<RetentionClass> {
        RetentionClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The default in days, documented in ARCHITECTURE.md.
    pub const fn default_days(self) -> u32 {
        match self {
            RetentionClass::CitizenIdentity => 90,
            RetentionClass::UnverifiedAddresses => 30,
            RetentionClass::ExpiredHolds => 7,
            RetentionClass::MessageBodies => 30,
            RetentionClass::MessageRecords => 5 * 365,
            // Fredericia's leak ran two years before anyone noticed: within that, a scope can
            // still say which citizen an address in the audit was.
            RetentionClass::AuditPseudonyms => 2 * 365,
            RetentionClass::AuditPayloads => 5 * 365,
        }
    }

    /// The shortest allowed period in days, and why (a catalogue key, `retention.why.<class>`).
    /// Message records answer "who got what, when" for a breach: they are kept at least three
    /// years, the general limitation period for claims under Danish law (forældelsesloven § 3),
    /// within which a citizen may still ask; the audit's particulars likewise.
    pub const fn min_days(self) -> u32 {
        match self {
            RetentionClass::CitizenIdentity => 1,
            RetentionClass::UnverifiedAddresses => 1,
            RetentionClass::ExpiredHolds => 1,
            RetentionClass::MessageBodies => 1,
            RetentionClass::MessageRecords | RetentionClass::AuditPayloads => 3 * 365,
            RetentionClass::AuditPseudonyms => 1,
        }
    }

    /// The longest period accepted (ten years): longer is a typo, not a policy.
    pub const fn max_days(self) -> u32 {
        3_650
    }
}

/// Why a retention setting was refused; `code()` is the catalogue key `error.<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    #[error("{class:?} must be kept at least {min} days")]
    BelowMinimum { class: RetentionClass, min: u32 },
    #[error("{class:?} may be kept at most {max} days")]
    AboveMaximum { class: RetentionClass, max: u32 },
}

impl RetentionError {
    pub const fn code(self) -> &'static str {
        match self {
            RetentionError::BelowMinimum { .. } => "retention_below_minimum",
            RetentionError::AboveMaximum { .. } => "retention_above_maximum",
        }
    }
}

/// An organisation's retention periods: the defaults, overridden class by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    days: [u32; RetentionClass::ALL.len()],
}

impl Default for Policy {
    fn default() -> Self {
        Policy { days: RetentionClass::ALL.map(RetentionClass::default_days) }
    }
}

impl Policy {
    /// Sets one class's period.
    ///
    /// # Errors
    /// Below the class's minimum or above ten years.
    pub fn set(&mut self, class: RetentionClass, days: u32) -> Result<(), RetentionError> {
        if days < class.min_days() {
            return Err(RetentionError::BelowMinimum { class, min: class.min_days() });
        }
        if days > class.max_days() {
            return Err(RetentionError::AboveMaximum { class, max: class.max_days() });
        }
        self.days[class as usize] = days;
        Ok(())
    }

    pub const fn days(&self, class: RetentionClass) -> u32 {
        self.days[class as usize]
    }

    /// Data of `class` older than this instant goes.
    pub fn cutoff(&self, class: RetentionClass, now: Timestamp) -> Timestamp {
        now - SignedDuration::from_hours(24 * i64::from(self.days(class)))
    }
}

/// Sizes a retention pass's batches by how long the last one took, so that each transaction
/// holds the database for about a target time whatever the machine and the data: on SQLite a
/// batch holds the write lock a booking waits for; on PostgreSQL a large batch's commit (page
/// images after a checkpoint) makes other commits wait for its WAL flush. A fixed 1,000 rows
/// held SQLite's lock for 12 ms on a quiet day and 55 ms on a busy one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSizer {
    rows: u32,
    target: std::time::Duration,
}

impl BatchSizer {
    pub const START: u32 = 1_000;
    /// Below this the round trips cost more than the rows.
    pub const MIN: u32 = 50;
    pub const MAX: u32 = 10_000;

    /// Starts at [`Self::START`] rows, aiming for batches of `target`.
    pub const fn new(target: std::time::Duration) -> Self {
        BatchSizer { rows: Self::START, target }
    }

    /// Rows for the next batch.
    pub const fn rows(self) -> u32 {
        self.rows
    }

    /// Learns from a batch of `rows` rows that took `took`: a slow batch shrinks the next in
    /// proportion at once; a fast one grows it by a quarter at most, so one lucky batch cannot
    /// make the next one long.
    pub fn observe(&mut self, rows: u64, took: std::time::Duration) {
        if rows == 0 {
            return;
        }
        let target = self.target.as_secs_f64();
        let took = took.as_secs_f64().max(1e-6);
        let per_row = took / rows as f64;
        let fitting = target / per_row;
        let next = if took > target { fitting } else { fitting.min(f64::from(self.rows) * 1.25) };
        // Clamped to MIN..=MAX first, so the cast cannot overflow.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to u32 bounds")]
        let next = next.clamp(f64::from(Self::MIN), f64::from(Self::MAX)) as u32;
        self.rows = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_lie_within_their_bounds_and_are_documented_values() {
        let p = Policy::default();
        for c in RetentionClass::ALL {
            assert!(c.min_days() <= p.days(c) && p.days(c) <= c.max_days(), "{c:?}");
            assert_eq!(RetentionClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(p.days(RetentionClass::CitizenIdentity), 90);
        assert_eq!(p.days(RetentionClass::MessageRecords), 1_825);
        assert_eq!(p.days(RetentionClass::AuditPseudonyms), 730);
        assert_eq!(p.days(RetentionClass::AuditPayloads), 1_825);
    }

    #[test]
    fn a_period_below_the_minimum_is_refused_with_the_minimum() {
        let mut p = Policy::default();
        assert_eq!(
            p.set(RetentionClass::MessageRecords, 365),
            Err(RetentionError::BelowMinimum { class: RetentionClass::MessageRecords, min: 1_095 })
        );
        assert_eq!(
            p.set(RetentionClass::CitizenIdentity, 0),
            Err(RetentionError::BelowMinimum { class: RetentionClass::CitizenIdentity, min: 1 })
        );
        assert_eq!(
            p.set(RetentionClass::MessageBodies, 4_000),
            Err(RetentionError::AboveMaximum { class: RetentionClass::MessageBodies, max: 3_650 })
        );
        assert_eq!(p, Policy::default(), "nothing changed by a refusal");
        p.set(RetentionClass::CitizenIdentity, 30).unwrap();
        assert_eq!(p.days(RetentionClass::CitizenIdentity), 30);
    }

    #[test]
    fn the_cutoff_counts_whole_days_of_24_hours_back() {
        let mut p = Policy::default();
        p.set(RetentionClass::ExpiredHolds, 2).unwrap();
        let now: Timestamp = "2026-03-30T12:00:00Z".parse().unwrap();
        assert_eq!(p.cutoff(RetentionClass::ExpiredHolds, now), "2026-03-28T12:00:00Z".parse().unwrap());
    }

    #[test]
    fn batches_shrink_at_once_when_slow_and_grow_gently_when_fast() {
        use std::time::Duration;
        let mut sizer = BatchSizer::new(Duration::from_millis(20));
        assert_eq!(sizer.rows(), 1_000);
        // 1,000 rows in 50 ms: 20 ms fits 400.
        sizer.observe(1_000, Duration::from_millis(50));
        assert_eq!(sizer.rows(), 400);
        // 400 rows in 4 ms would fit 2,000: grown by a quarter only.
        sizer.observe(400, Duration::from_millis(4));
        assert_eq!(sizer.rows(), 500);
        for _ in 0..100 {
            let rows = u64::from(sizer.rows());
            sizer.observe(rows, Duration::from_micros(rows));
        }
        assert_eq!(sizer.rows(), BatchSizer::MAX, "never above the cap");
        sizer.observe(10_000, Duration::from_secs(60));
        assert_eq!(sizer.rows(), BatchSizer::MIN, "never below the floor");
        // A batch that found nothing says nothing about speed.
        sizer.observe(0, Duration::from_secs(1));
        assert_eq!(sizer.rows(), BatchSizer::MIN);
        // A batch shorter than it was asked for (the last one) still teaches its rate.
        sizer.observe(10, Duration::from_micros(10));
        assert_eq!(sizer.rows(), 62);
    }
}
