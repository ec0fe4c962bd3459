//! [`CprNumber`]: a parsed CPR number whose `Debug` and `Display` never show the serial digits.

use std::fmt;
use std::str::FromStr;

/// Modulus-11 weights of the ten digits (the "gamle" CPR control rule).
const MODULUS_11_WEIGHTS: [u32; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

/// A Danish CPR number (personal identity number): `DDMMYY` + four serial digits.
///
/// The value is only constructed through [`CprNumber::parse`], so it always holds a date that exists
/// under the century rule of the first serial digit (digit 7):
///
/// | digit 7 | `YY` 00–36 | `YY` 37–57 | `YY` 58–99 |
/// | --- | --- | --- | --- |
/// | 0–3 | 19YY | 19YY | 19YY |
/// | 4, 9 | 20YY | 19YY | 19YY |
/// | 5–8 | 20YY | 20YY | 18YY |
///
/// Modulus 11 is *not* required: numbers failing it have been issued since 2007. See
/// [`CprNumber::passes_modulus_11`].
///
/// `Debug` and `Display` mask the serial (`DDMMYY-****`) so a CPR number cannot reach a log through
/// formatting. There is deliberately no accessor for the full number.
///
/// ```
/// use skranke_recipient::cpr::CprNumber;
///
/// // Synthetic: 1 February 1990, serial 0000.
/// let cpr = CprNumber::parse("010290-0000")?;
/// assert_eq!(cpr.birth_date(), (1990, 2, 1));
/// assert_eq!(cpr.to_string(), "010290-****");
/// assert_eq!(format!("{cpr:?}"), "CprNumber(010290-****)");
/// # Ok::<(), skranke_recipient::cpr::CprError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CprNumber {
    /// The ten digits as values 0–9.
    digits: [u8; 10],
}

/// Why a string is not a CPR number. Never contains the input, so it is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CprError {
    /// Not `DDMMYY`, an optional separator and four digits.
    #[error("not a CPR number: expected DDMMYY, an optional '-' or space, and four digits")]
    Format,
    /// The six date digits do not name a day that exists under the century rule.
    #[error("not a CPR number: the date does not exist")]
    Date,
}

impl CprNumber {
    /// Parses `DDMMYY-SSSS`, `DDMMYYSSSS` or `DDMMYY SSSS`.
    ///
    /// Surrounding whitespace is ignored. Besides `-` and a space, the separators that word
    /// processors substitute for them are accepted as well, because [`find_cpr`](super::find_cpr)
    /// finds them too: no-break space (U+00A0), hyphen (U+2010), non-breaking hyphen (U+2011), en dash
    /// (U+2013) and minus sign (U+2212).
    ///
    /// # Errors
    /// [`CprError::Format`] for the wrong shape, [`CprError::Date`] when the day does not exist
    /// (month 13, 31 November, 29 February outside a leap year …). A failing modulus-11 check is not
    /// an error.
    ///
    /// ```
    /// use skranke_recipient::cpr::{CprError, CprNumber};
    ///
    /// assert!(CprNumber::parse("0102904000").is_ok());
    /// assert!(CprNumber::parse("010290 4000").is_ok());
    /// assert_eq!(CprNumber::parse("311190-1000"), Err(CprError::Date)); // November has 30 days
    /// assert_eq!(CprNumber::parse("010290-400"), Err(CprError::Format));
    /// ```
    pub fn parse(text: &str) -> Result<Self, CprError> {
        let text = text.trim();
        let mut digits = [0u8; 10];
        let mut count = 0usize;
        let mut separator_seen = false;
        for c in text.chars() {
            if let Some(d) = c.to_digit(10) {
                let slot = digits.get_mut(count).ok_or(CprError::Format)?;
                *slot = u8::try_from(d).map_err(|_| CprError::Format)?;
                count += 1;
            } else if count == 6 && !separator_seen && is_separator(c) {
                separator_seen = true;
            } else {
                return Err(CprError::Format);
            }
        }
        if count != 10 {
            return Err(CprError::Format);
        }
        if birth_date_of(&digits).is_none() {
            return Err(CprError::Date);
        }
        Ok(Self { digits })
    }

    /// The birth date as `(year, month, day)`, with the century taken from digit 7.
    ///
    /// ```
    /// use skranke_recipient::cpr::CprNumber;
    ///
    /// assert_eq!(CprNumber::parse("290200-4000")?.birth_date(), (2000, 2, 29));
    /// assert_eq!(CprNumber::parse("010160-5000")?.birth_date(), (1860, 1, 1));
    /// # Ok::<(), skranke_recipient::cpr::CprError>(())
    /// ```
    #[must_use]
    pub fn birth_date(&self) -> (u16, u8, u8) {
        // parse() only builds values whose date exists; the fallback is unreachable.
        birth_date_of(&self.digits).unwrap_or((0, 0, 0))
    }

    /// Whether the weighted digit sum (weights 4 3 2 7 6 5 4 3 2 1) is divisible by 11.
    ///
    /// Numbers issued before 2007 all pass; since 2007 numbers that fail have been issued too, so this
    /// only raises the confidence of a detection and never rejects a number.
    ///
    /// ```
    /// use skranke_recipient::cpr::CprNumber;
    ///
    /// assert!(CprNumber::parse("010101-0007")?.passes_modulus_11());
    /// assert!(!CprNumber::parse("010101-0000")?.passes_modulus_11());
    /// # Ok::<(), skranke_recipient::cpr::CprError>(())
    /// ```
    #[must_use]
    pub fn passes_modulus_11(&self) -> bool {
        modulus_11(&self.digits)
    }

    /// `DDMMYY-****`: the only rendering of a CPR number this type offers.
    fn write_masked(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.digits.iter().take(6) {
            write!(f, "{d}")?;
        }
        f.write_str("-****")
    }
}

impl fmt::Display for CprNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_masked(f)
    }
}

impl fmt::Debug for CprNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CprNumber(")?;
        self.write_masked(f)?;
        f.write_str(")")
    }
}

impl FromStr for CprNumber {
    type Err = CprError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The separators accepted between `DDMMYY` and the serial: `-`, space, and their typographic
/// stand-ins (no-break space, hyphen, non-breaking hyphen, en dash, minus sign).
pub(crate) fn is_separator(c: char) -> bool {
    c == ' ' || is_dash(c) || c == '\u{00A0}'
}

/// `-` and the dashes word processors put in its place.
pub(crate) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{2212}')
}

/// Modulus-11 check over ten digit values.
pub(crate) fn modulus_11(digits: &[u8; 10]) -> bool {
    let sum: u32 = digits.iter().zip(MODULUS_11_WEIGHTS).map(|(&d, w)| u32::from(d) * w).sum();
    sum.is_multiple_of(11)
}

/// The birth date of ten digit values under the century rule, or `None` if that day does not exist.
pub(crate) fn birth_date_of(digits: &[u8; 10]) -> Option<(u16, u8, u8)> {
    let [d1, d2, m1, m2, y1, y2, s1, ..] = *digits;
    let day = d1 * 10 + d2;
    let month = m1 * 10 + m2;
    let yy = u16::from(y1) * 10 + u16::from(y2);
    let century: u16 = match s1 {
        0..=3 => 1900,
        4 | 9 if yy <= 36 => 2000,
        4 | 9 => 1900,
        5..=8 if yy <= 57 => 2000,
        5..=8 => 1800,
        _ => return None,
    };
    let year = century + yy;
    (day >= 1 && day <= days_in_month(year, month)?).then_some((year, month, day))
}

/// Days in `month` of `year` (Gregorian), or `None` for a month outside 1–12.
fn days_in_month(year: u16, month: u8) -> Option<u8> {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if leap => Some(29),
        2 => Some(28),
        _ => None,
    }
}
