//! Tests of the CPR detector. Every number is SYNTHETIC: built from a date and a serial by the helpers
//! below, never copied from a real person.

mod false_alarms;
mod props;
mod recall;
mod table;

/// `DDMMYY` + separator + serial, e.g. `num(1, 2, 90, "-", 4000)` → `010290-4000`.
pub(super) fn num(day: u8, month: u8, yy: u8, sep: &str, serial: u16) -> String {
    format!("{day:02}{month:02}{yy:02}{sep}{serial:04}")
}

/// Like [`num`], but the last serial digit is chosen so that modulus 11 passes (`serial3` is the first
/// three serial digits). `None` when no last digit works (the check digit would be 10).
pub(super) fn num_mod11(day: u8, month: u8, yy: u8, sep: &str, serial3: u16) -> Option<String> {
    (0..10).map(|last| num(day, month, yy, sep, serial3 * 10 + last)).find(|s| weighted_sum(s).is_multiple_of(11))
}

/// The modulus-11 weighted sum of the digits in `s`, computed independently of the module under test.
pub(super) fn weighted_sum(s: &str) -> u32 {
    let w = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    s.chars().filter_map(|c| c.to_digit(10)).zip(w).map(|(d, w)| d * w).sum()
}

/// A tiny deterministic generator (SplitMix64), so the generated sets are the same on every run.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub(super) fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

/// Days in a month, computed independently of the module under test.
pub(super) fn days_in(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(400) || (year.is_multiple_of(4) && !year.is_multiple_of(100)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The full year for digit 7 and `YY`, written out as the table of RS-30 states it.
pub(super) fn century_year(digit7: u8, yy: u8) -> u16 {
    let yy16 = u16::from(yy);
    match digit7 {
        0..=3 => 1900 + yy16,
        4 | 9 if yy <= 36 => 2000 + yy16,
        4 | 9 => 1900 + yy16,
        _ if yy <= 57 => 2000 + yy16,
        _ => 1800 + yy16,
    }
}

/// A random valid-date synthetic number and its birth date `(year, month, day)`.
pub(super) fn random_number(rng: &mut Rng, sep: &str, mod11: bool) -> (String, (u16, u8, u8)) {
    loop {
        let digit7 = rng.below(10) as u8;
        let yy = rng.below(100) as u8;
        let year = century_year(digit7, yy);
        let month = 1 + rng.below(12) as u8;
        let day = 1 + rng.below(u64::from(days_in(year, month))) as u8;
        let serial3 = u16::from(digit7) * 100 + rng.below(100) as u16;
        let candidate = if mod11 {
            num_mod11(day, month, yy, sep, serial3)
        } else {
            let last = rng.below(10) as u16;
            Some(num(day, month, yy, sep, serial3 * 10 + last)).filter(|s| !weighted_sum(s).is_multiple_of(11))
        };
        if let Some(s) = candidate {
            return (s, (year, month, day));
        }
    }
}
