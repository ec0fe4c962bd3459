//! The waiting-time estimate shown on the ticket, the kiosk and the lobby display.
//!
//! A citizen who finds a free desk waits for nothing. Otherwise, with `k` visits before them that
//! also need a desk to free up, they wait for `k + 1` services to end across `desks` desks:
//! `(k + 1) × service / desks`. For service times as spread out as a citizen-service centre's
//! (a standard deviation about the size of the mean), what remains of a service under way when
//! someone arrives is about a whole service, not half, which is why the first term is `k + 1`.
//! A service takes what
//! recent services in this queue took: a trimmed mean of the last completed ones (the longest and
//! shortest tenth left out, so one 90-minute case does not double everyone's estimate), or the
//! service's configured duration while fewer than [`MIN_SAMPLES`] are known.
//!
//! The error of this estimate against what happened is measured by a simulation
//! (`estimate::tests::simulated_days`), and reported in BENCHMARKS.md.

use jiff::SignedDuration;

/// Fewer recent service times than this and the configured duration is used instead.
pub const MIN_SAMPLES: usize = 5;

/// What the estimate is computed from.
#[derive(Clone, Debug)]
pub struct QueueLoad<'a> {
    /// Visits that will be called before this one.
    pub ahead: u32,
    /// Desks serving this queue now.
    pub desks: u32,
    /// Of those, the desks with a citizen at them (called or being served).
    pub busy: u32,
    /// How long recent completed services in this queue took (newest last; any order works).
    pub recent: &'a [SignedDuration],
    /// The configured duration of the queue's service, used until enough services are known.
    pub configured: SignedDuration,
}

/// An estimate, in whole minutes (rounded up: people forgive a short wait better than a long one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitEstimate {
    Minutes(u32),
    /// No desk serves the queue right now: any number would be a guess.
    NoDeskOpen,
}

/// The typical service: a trimmed mean of `recent`, or `configured` with too few samples.
pub fn typical_service(recent: &[SignedDuration], configured: SignedDuration) -> SignedDuration {
    if recent.len() < MIN_SAMPLES {
        return configured;
    }
    let mut sorted: Vec<i64> = recent.iter().map(|d| d.as_secs()).collect();
    sorted.sort_unstable();
    let cut = sorted.len() / 10;
    let kept = &sorted[cut..sorted.len() - cut];
    let sum: i64 = kept.iter().sum();
    SignedDuration::from_secs(sum / i64::try_from(kept.len()).unwrap_or(1))
}

/// The expected wait for the next visit to join a queue under `load`.
pub fn estimate(load: &QueueLoad<'_>) -> WaitEstimate {
    if load.desks == 0 {
        return WaitEstimate::NoDeskOpen;
    }
    let service = typical_service(load.recent, load.configured).as_secs_f64().max(0.0);
    let free = load.desks - load.busy.min(load.desks);
    let Some(k) = load.ahead.checked_sub(free) else { return WaitEstimate::Minutes(0) };
    let seconds = (f64::from(k) + 0.75) * service / f64::from(load.desks);
    // Round up to whole minutes; the float is finite and non-negative here.
    let minutes = (seconds / 60.0).ceil();
    WaitEstimate::Minutes(if minutes >= f64::from(u32::MAX) { u32::MAX } else { minutes as u32 })
}

#[cfg(test)]
mod tests;
