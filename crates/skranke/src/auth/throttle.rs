//! When a sign-in must wait: a sliding window of failures with exponential back-off, per account
//! and per client IP. Pure: the store keeps the failures and counts them; this decides.
//!
//! # How the sign-in uses it
//!
//! 1. Count the failed sign-ins in each [`Limit::window_start`]`(now)`..`now` for the submitted
//!    account name (normalised, *whether or not such an account exists*) and for the client IP,
//!    and read the newest failure of each.
//! 2. [`ThrottlePolicy::decide`]. On [`Decision::Wait`] answer 429 with `Retry-After`
//!    ([`Decision::retry_after_secs`]) **without** checking the password, and record nothing: a
//!    refused attempt costs nothing and proves nothing.
//! 3. Otherwise check the password. Record a failure for the account name and the IP if it was
//!    wrong; clear the account name's failures if it was right (the IP's stay).
//!
//! Because failures are kept per submitted name, an unknown account is throttled exactly like a
//! real one, and the throttle does not reveal which accounts exist.
//!
//! # Why back-off and not a hard lock
//!
//! The first [`Limit::max_failures`] in the window are free (typos). After that each failure
//! doubles the wait from the newest failure ([`Limit::first_delay`], ×2, ×4, …), up to
//! [`Limit::lockout`]. Guessing then proceeds at about one attempt per `lockout`, which is
//! hopeless against a 12-character password, while an attacker who knows a caseworker's address
//! cannot shut them out for longer than `lockout` at a time. The per-IP limit is far higher than
//! the per-account one because a whole town hall signs in from behind one address.
//!
//! The window should be at least as long as the lockout; otherwise failures leave the window
//! before the wait is over and the back-off starts again from zero ([`Limit::validate`]).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// One throttle: how many failures in how long are free, and how the wait grows after that.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Failures within `window` that cost no wait.
    pub max_failures: u32,
    /// How far back failures count (a sliding window ending now).
    pub window: SignedDuration,
    /// The wait after failure number `max_failures`; it doubles with every further failure.
    pub first_delay: SignedDuration,
    /// The longest wait.
    pub lockout: SignedDuration,
}

/// A [`Limit`] that makes no sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the window must be longer than zero")]
    EmptyWindow,
    #[error("the delays must not be negative, and the first delay must not exceed the lockout")]
    Delays,
    #[error("the window must be at least as long as the lockout, or the back-off restarts")]
    WindowShorterThanLockout,
}

impl Limit {
    /// The start of the window ending at `now`: failures at or after it count.
    pub fn window_start(&self, now: Timestamp) -> Timestamp {
        now.checked_sub(self.window).unwrap_or(Timestamp::MIN)
    }

    /// The wait after the newest of `failures` failures in the window, or `None` if they are free.
    pub fn delay_after(&self, failures: u32) -> Option<SignedDuration> {
        let beyond = failures.checked_sub(self.max_failures)?;
        let lockout = self.lockout.max(SignedDuration::ZERO);
        let factor = 1i32 << beyond.min(30);
        let delay = self.first_delay.checked_mul(factor).unwrap_or(lockout);
        Some(delay.clamp(SignedDuration::ZERO, lockout))
    }

    /// Whether a sign-in may be tried now, given the failures counted in the window and the newest
    /// of them.
    pub fn decide(&self, failures_in_window: u32, last_failure_at: Option<Timestamp>, now: Timestamp) -> Decision {
        let (Some(delay), Some(last)) = (self.delay_after(failures_in_window), last_failure_at) else {
            return Decision::Allow;
        };
        let until = last.checked_add(delay).unwrap_or(Timestamp::MAX);
        if until > now { Decision::Wait(until) } else { Decision::Allow }
    }

    /// Checks the limit when the configuration is loaded.
    pub fn validate(&self) -> Result<(), LimitError> {
        if self.window <= SignedDuration::ZERO {
            return Err(LimitError::EmptyWindow);
        }
        if self.first_delay.is_negative() || self.lockout.is_negative() || self.first_delay > self.lockout {
            return Err(LimitError::Delays);
        }
        if self.window < self.lockout {
            return Err(LimitError::WindowShorterThanLockout);
        }
        Ok(())
    }
}

/// The failures the store counted for one key (an account name or an IP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures at or after [`Limit::window_start`].
    pub in_window: u32,
    /// The newest failure, if any.
    pub last_at: Option<Timestamp>,
}

/// The sign-in throttle: one limit per account name, one per client IP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottlePolicy {
    pub per_account: Limit,
    pub per_ip: Limit,
}

impl ThrottlePolicy {
    /// Per account: 10 free failures a day, then 30 s, 1 min, 2 min, … up to 15 min.
    /// Per IP: 100 free failures an hour, then 1 s, 2 s, 4 s, … up to 15 min.
    pub const DEFAULT: ThrottlePolicy = ThrottlePolicy {
        per_account: Limit {
            max_failures: 10,
            window: SignedDuration::from_hours(24),
            first_delay: SignedDuration::from_secs(30),
            lockout: SignedDuration::from_mins(15),
        },
        per_ip: Limit {
            max_failures: 100,
            window: SignedDuration::from_hours(1),
            first_delay: SignedDuration::from_secs(1),
            lockout: SignedDuration::from_mins(15),
        },
    };

    /// The later of the two limits' decisions.
    pub fn decide(&self, account: Failures, ip: Failures, now: Timestamp) -> Decision {
        let a = self.per_account.decide(account.in_window, account.last_at, now);
        let b = self.per_ip.decide(ip.in_window, ip.last_at, now);
        a.later(b)
    }

    pub fn validate(&self) -> Result<(), LimitError> {
        self.per_account.validate()?;
        self.per_ip.validate()
    }
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whether to try the password now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not before this instant.
    Wait(Timestamp),
}

impl Decision {
    /// The stricter of two decisions.
    pub fn later(self, other: Decision) -> Decision {
        match (self, other) {
            (Decision::Allow, d) | (d, Decision::Allow) => d,
            (Decision::Wait(a), Decision::Wait(b)) => Decision::Wait(a.max(b)),
        }
    }

    /// Whole seconds to wait from `now`, rounded up (for `Retry-After`); `None` for `Allow`.
    pub fn retry_after_secs(&self, now: Timestamp) -> Option<u64> {
        match self {
            Decision::Allow => None,
            Decision::Wait(until) => {
                let d = until.duration_since(now);
                let secs = d.as_secs() + i64::from(d.subsec_nanos() > 0);
                Some(u64::try_from(secs).unwrap_or(0).max(1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const LIMIT: Limit = Limit {
        max_failures: 3,
        window: SignedDuration::from_mins(30),
        first_delay: SignedDuration::from_secs(10),
        lockout: SignedDuration::from_mins(5),
    };

    #[test]
    fn delays_double_up_to_the_lockout() {
        let secs: Vec<Option<i64>> = (0..12).map(|n| LIMIT.delay_after(n).map(|d| d.as_secs())).collect();
        assert_eq!(
            secs,
            [
                None,
                None,
                None,
                Some(10),
                Some(20),
                Some(40),
                Some(80),
                Some(160),
                Some(300),
                Some(300),
                Some(300),
                Some(300)
            ]
        );
        assert_eq!(LIMIT.delay_after(u32::MAX), Some(SignedDuration::from_mins(5)));
        let huge = Limit { first_delay: SignedDuration::MAX, lockout: SignedDuration::MAX, ..LIMIT };
        assert_eq!(huge.delay_after(40), Some(SignedDuration::MAX));
    }

    #[test]
    fn decide_with_explicit_times() {
        let last = at("2026-03-02T08:00:00Z");
        // Free failures.
        assert_eq!(LIMIT.decide(0, None, last), Decision::Allow);
        assert_eq!(LIMIT.decide(2, Some(last), last), Decision::Allow);
        // Third failure: 10 s from the newest failure.
        assert_eq!(LIMIT.decide(3, Some(last), at("2026-03-02T08:00:05Z")), Decision::Wait(at("2026-03-02T08:00:10Z")));
        assert_eq!(LIMIT.decide(3, Some(last), at("2026-03-02T08:00:10Z")), Decision::Allow);
        // Fifth: 40 s.
        assert_eq!(LIMIT.decide(5, Some(last), at("2026-03-02T08:00:39Z")), Decision::Wait(at("2026-03-02T08:00:40Z")));
        assert_eq!(LIMIT.decide(5, Some(last), at("2026-03-02T08:00:40Z")), Decision::Allow);
        // Many: the lockout.
        assert_eq!(
            LIMIT.decide(50, Some(last), at("2026-03-02T08:01:00Z")),
            Decision::Wait(at("2026-03-02T08:05:00Z"))
        );
        assert_eq!(LIMIT.decide(50, Some(last), at("2026-03-02T08:05:00Z")), Decision::Allow);
        // A count without a newest failure (should not happen) allows rather than locks for ever.
        assert_eq!(LIMIT.decide(50, None, last), Decision::Allow);
    }

    #[test]
    fn window_start() {
        assert_eq!(LIMIT.window_start(at("2026-03-02T08:00:00Z")), at("2026-03-02T07:30:00Z"));
        assert_eq!(LIMIT.window_start(Timestamp::MIN), Timestamp::MIN);
    }

    #[test]
    fn policy_takes_the_later_wait() {
        let p = ThrottlePolicy::DEFAULT;
        let now = at("2026-03-02T08:00:00Z");
        let last = Some(at("2026-03-02T07:59:50Z"));
        let none = Failures::default();
        assert_eq!(p.decide(none, none, now), Decision::Allow);
        // 11 account failures: 60 s from 07:59:50.
        let account = Failures { in_window: 11, last_at: last };
        assert_eq!(p.decide(account, none, now), Decision::Wait(at("2026-03-02T08:00:50Z")));
        // 100 IP failures: 1 s, already over; 104: 16 s.
        assert_eq!(p.decide(none, Failures { in_window: 100, last_at: last }, now), Decision::Allow);
        let ip = Failures { in_window: 104, last_at: last };
        assert_eq!(p.decide(none, ip, now), Decision::Wait(at("2026-03-02T08:00:06Z")));
        assert_eq!(p.decide(account, ip, now), Decision::Wait(at("2026-03-02T08:00:50Z")));
        p.validate().unwrap();
    }

    #[test]
    fn retry_after_rounds_up() {
        let now = at("2026-03-02T08:00:00Z");
        assert_eq!(Decision::Allow.retry_after_secs(now), None);
        assert_eq!(Decision::Wait(at("2026-03-02T08:00:10Z")).retry_after_secs(now), Some(10));
        assert_eq!(Decision::Wait(at("2026-03-02T08:00:10.2Z")).retry_after_secs(now), Some(11));
        assert_eq!(Decision::Wait(at("2026-03-02T08:00:00.001Z")).retry_after_secs(now), Some(1));
        assert_eq!(Decision::Wait(at("2026-03-02T07:00:00Z")).retry_after_secs(now), Some(1));
    }

    #[test]
    fn later() {
        let a = Decision::Wait(at("2026-03-02T08:00:00Z"));
        let b = Decision::Wait(at("2026-03-02T09:00:00Z"));
        assert_eq!(a.later(b), b);
        assert_eq!(b.later(a), b);
        assert_eq!(Decision::Allow.later(a), a);
        assert_eq!(a.later(Decision::Allow), a);
        assert_eq!(Decision::Allow.later(Decision::Allow), Decision::Allow);
    }

    #[test]
    fn validation() {
        assert_eq!(LIMIT.validate(), Ok(()));
        assert_eq!(Limit { window: SignedDuration::ZERO, ..LIMIT }.validate(), Err(LimitError::EmptyWindow));
        assert_eq!(Limit { first_delay: SignedDuration::from_secs(-1), ..LIMIT }.validate(), Err(LimitError::Delays));
        assert_eq!(Limit { first_delay: SignedDuration::from_mins(6), ..LIMIT }.validate(), Err(LimitError::Delays));
        assert_eq!(
            Limit { window: SignedDuration::from_mins(4), ..LIMIT }.validate(),
            Err(LimitError::WindowShorterThanLockout)
        );
        // Nonsense limits still decide without panicking.
        let bad = Limit { first_delay: SignedDuration::from_secs(-5), lockout: SignedDuration::from_secs(-1), ..LIMIT };
        assert_eq!(bad.decide(10, Some(Timestamp::MAX), Timestamp::MIN), Decision::Wait(Timestamp::MAX));
        assert_eq!(bad.decide(10, Some(Timestamp::MIN), Timestamp::MAX), Decision::Allow);
    }

    #[test]
    fn from_config() {
        let p: ThrottlePolicy = serde_json::from_str(
            r#"{"per_account": {"max_failures": 5, "window": "PT1H", "first_delay": "PT1S", "lockout": "PT10M"}}"#,
        )
        .unwrap();
        assert_eq!(p.per_account.max_failures, 5);
        assert_eq!(p.per_account.lockout, SignedDuration::from_mins(10));
        assert_eq!(p.per_ip, ThrottlePolicy::DEFAULT.per_ip);
    }
}
