//! Half-open time intervals `[start, end)` on the UTC time line.

use jiff::{SignedDuration, Timestamp};

/// A half-open interval `[start, end)`. Constructed only with `start <= end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    start: Timestamp,
    end: Timestamp,
}

impl Interval {
    /// Returns `None` when `end < start`.
    pub fn new(start: Timestamp, end: Timestamp) -> Option<Self> {
        (start <= end).then_some(Self { start, end })
    }

    /// An interval of `length` from `start`; `None` on overflow or negative length.
    pub fn starting_at(start: Timestamp, length: SignedDuration) -> Option<Self> {
        let end = start.checked_add(length).ok()?;
        Self::new(start, end)
    }

    pub const fn start(&self) -> Timestamp {
        self.start
    }

    pub const fn end(&self) -> Timestamp {
        self.end
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// `other` lies entirely within `self`.
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn contains_instant(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

/// True when any interval of the sorted-by-start list `sorted` overlaps `probe`.
///
/// `sorted` must be sorted by start and must not contain intervals longer than `max_len`
/// for the binary search to be exact; callers pass the longest length they stored.
pub fn any_overlap(sorted: &[Interval], probe: &Interval, max_len: SignedDuration) -> bool {
    // Only intervals starting in (probe.start - max_len, probe.end) can overlap.
    let lower = probe.start.checked_sub(max_len).unwrap_or(probe.start);
    let first = sorted.partition_point(|i| i.start <= lower);
    // Step one back in case an interval of exactly max_len starts at `lower`'s left edge.
    let first = first.saturating_sub(1);
    sorted[first..].iter().take_while(|i| i.start < probe.end).any(|i| i.overlaps(probe))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }
    fn iv(a: i64, b: i64) -> Interval {
        Interval::new(ts(a), ts(b)).unwrap()
    }

    #[test]
    fn overlap_is_half_open() {
        assert!(!iv(0, 10).overlaps(&iv(10, 20)));
        assert!(iv(0, 11).overlaps(&iv(10, 20)));
        assert!(iv(0, 100).contains(&iv(10, 20)));
        assert!(Interval::new(ts(5), ts(4)).is_none());
    }

    #[test]
    fn any_overlap_matches_linear_scan() {
        let list = vec![iv(0, 10), iv(20, 30), iv(25, 40), iv(100, 110)];
        let max = SignedDuration::from_secs(15);
        for a in -5..120 {
            for len in 1..20 {
                let p = iv(a, a + len);
                let linear = list.iter().any(|i| i.overlaps(&p));
                assert_eq!(any_overlap(&list, &p, max), linear, "probe {a}+{len}");
            }
        }
    }
}
