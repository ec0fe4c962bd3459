//! Booking life cycle rules: holds, confirmation codes, statuses.
//!
//! A booking with an e-mail address is *held* until the citizen types back the code mailed to
//! them (RS-13: that mail carries nothing but the code). A hold expires after `hold` (default
//! 10 minutes); five wrong codes release it at once. Without an e-mail the booking is confirmed
//! immediately.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Held,
    Confirmed,
    Cancelled,
    /// A hold that ran out or used up its code attempts.
    Expired,
}

impl AppointmentStatus {
    pub const fn as_str(&self) -> &'static str {
        match self {
            AppointmentStatus::Held => "held",
            AppointmentStatus::Confirmed => "confirmed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "held" => Some(Self::Held),
            "confirmed" => Some(Self::Confirmed),
            "cancelled" => Some(Self::Cancelled),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }

    /// The status as seen at `now`: a hold past its expiry is expired even before the sweeper
    /// has written that down.
    pub fn effective(self, hold_expires_at: Option<Timestamp>, now: Timestamp) -> Self {
        match (self, hold_expires_at) {
            (AppointmentStatus::Held, Some(exp)) if exp <= now => AppointmentStatus::Expired,
            (s, _) => s,
        }
    }
}

/// Hold and code settings (configurable per deployment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldPolicy {
    pub hold: SignedDuration,
    pub max_code_attempts: u8,
}

impl Default for HoldPolicy {
    fn default() -> Self {
        Self { hold: SignedDuration::from_mins(10), max_code_attempts: 5 }
    }
}

/// What typing a code does to a held booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeOutcome {
    Confirm,
    /// Wrong code; this many attempts are left.
    Wrong {
        attempts_left: u8,
    },
    /// Wrong code and no attempts left: release the hold.
    Exhausted,
    /// The hold has already expired.
    Expired,
    /// The booking is not held (already confirmed, cancelled, …).
    NotHeld,
}

/// Decides the outcome of a code attempt. `attempts_so_far` counts earlier wrong codes.
pub fn judge_code(
    policy: &HoldPolicy,
    status: AppointmentStatus,
    hold_expires_at: Option<Timestamp>,
    attempts_so_far: u8,
    code_matches: bool,
    now: Timestamp,
) -> CodeOutcome {
    match status.effective(hold_expires_at, now) {
        AppointmentStatus::Held => {}
        AppointmentStatus::Expired => return CodeOutcome::Expired,
        _ => return CodeOutcome::NotHeld,
    }
    if code_matches {
        return CodeOutcome::Confirm;
    }
    let used = attempts_so_far.saturating_add(1);
    if used >= policy.max_code_attempts {
        CodeOutcome::Exhausted
    } else {
        CodeOutcome::Wrong { attempts_left: policy.max_code_attempts - used }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn code_attempts() {
        let p = HoldPolicy::default();
        let exp = Some(t(600));
        let h = AppointmentStatus::Held;
        assert_eq!(judge_code(&p, h, exp, 0, true, t(10)), CodeOutcome::Confirm);
        assert_eq!(judge_code(&p, h, exp, 0, false, t(10)), CodeOutcome::Wrong { attempts_left: 4 });
        assert_eq!(judge_code(&p, h, exp, 3, false, t(10)), CodeOutcome::Wrong { attempts_left: 1 });
        assert_eq!(judge_code(&p, h, exp, 4, false, t(10)), CodeOutcome::Exhausted);
        assert_eq!(judge_code(&p, h, exp, 0, true, t(600)), CodeOutcome::Expired);
        assert_eq!(judge_code(&p, AppointmentStatus::Confirmed, None, 0, true, t(1)), CodeOutcome::NotHeld);
    }

    #[test]
    fn effective_status() {
        assert_eq!(AppointmentStatus::Held.effective(Some(t(5)), t(5)), AppointmentStatus::Expired);
        assert_eq!(AppointmentStatus::Held.effective(Some(t(5)), t(4)), AppointmentStatus::Held);
        assert_eq!(AppointmentStatus::Confirmed.effective(None, t(4)), AppointmentStatus::Confirmed);
    }
}
