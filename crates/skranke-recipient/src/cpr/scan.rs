//! Finding CPR numbers in free text: candidates, word boundaries and the confidence score.

use serde::{Deserialize, Serialize};

use super::number::{birth_date_of, is_dash, is_separator, modulus_11};
use super::signals::{Signals, signals};

/// How sure the detector is that a match is a CPR number. Ordered: `Low < Medium < High`.
///
/// The policy gate blocks at [`Confidence::Medium`] and above (see [`contains_cpr`]); `Low` matches
/// are returned so a caller can show or count them, but they do not block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A valid-date 10-digit number whose surroundings say it is something else (a URL, a date or
    /// phone context, a reference or amount, grouped digits).
    Low,
    /// A valid-date 10-digit number with nothing against it, or any dash-form or context-word match.
    Medium,
    /// At least two independent signs: dash form and modulus 11, or a context word.
    High,
}

/// One CPR-shaped number found by [`find_cpr`]. Holds positions only, never the digits, so it is safe
/// to log and to keep with a held message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct CprMatch {
    /// Byte offset of the first digit in the scanned text (always a char boundary).
    pub start: usize,
    /// Byte offset just past the last digit (always a char boundary).
    pub end: usize,
    /// How sure the detector is.
    pub confidence: Confidence,
    /// Whether the number passes the modulus-11 check (raises confidence, never required).
    pub modulus_11: bool,
    /// The character between `DDMMYY` and the serial, if any (`-`, space, or a typographic dash or
    /// no-break space).
    pub separator: Option<char>,
}

/// Every CPR-shaped number in `text`, in order, with a confidence.
///
/// A candidate is `DDMMYY`, an optional separator (`-`, space, no-break space, or a typographic
/// dash), and four digits, whose date exists under the century rule of digit 7 (see
/// [`CprNumber`](super::CprNumber)). It must stand alone: the characters next to it are not letters,
/// digits or `_`, and it is not glued by `-` `.` `/` `,` to further digits (`12-0101901234`,
/// `0101901234,50`), so 11+-digit numbers, IBANs and account numbers with a prefix are not
/// candidates. A comma between two long numbers is read as a list (`0101901234,0202901234`).
///
/// Scoring (base 2; ≤ 1 is `Low`, 2–3 `Medium`, ≥ 4 `High`):
/// - +2 a context word in the 30 characters before it (`cpr`, `cpr-nr`, `cpr.nr`, `cpr-nummer`,
///   `personnummer`, `personnr`, `pers.nr`, `personal identity number` …, any case);
/// - +1 modulus 11 passes; +1 the dash form (`DDMMYY-SSSS`);
/// - −2 inside a URL or e-mail address; −2 a date/time word (`dato`, `date`, `kl.`, `klokken`), a
///   reference word (`ref.`, `booking`, `ordre`, `faktura`, `kontonr`, `kundenr` …) or a phone word
///   (`tlf`, `telefon`, `mobil`, `phone`) in the 20 characters before it; −2 phone-like grouping (a
///   `+` or a short digit group of 1–4 digits right before or after it, as in `+45 12 …` or
///   `1234 0101901234`); −2 joined to letters by a dash (`AB-0101901234`, a reference); −2 an amount
///   (`kr`, `dkk`, `eur`, `€`, `,-` right after it).
/// - Floor: the dash form and a context word are each enough on their own: such a match is never
///   below `Medium`, whatever lowers it.
///
/// A bare 10-digit number with a valid date and nothing around it is `Medium` and so blocks: in a
/// mail body a leaked CPR number is worse than a false alarm (which holds the message for a person
/// to look at). About 3.7 % of uniformly random 10-digit numbers have a valid date.
///
/// ```
/// use skranke_recipient::cpr::{find_cpr, Confidence};
///
/// // Synthetic number: 1 February 1990, serial 4000.
/// let text = "Borgerens CPR-nr. er 010290-4000, tlf. 12 34 56 78.";
/// let found = find_cpr(text);
/// assert_eq!(found.len(), 1);
/// assert_eq!(&text[found[0].start..found[0].end], "010290-4000");
/// assert_eq!(found[0].confidence, Confidence::High);
/// assert_eq!(found[0].separator, Some('-'));
///
/// assert!(find_cpr("Ring på 12 34 56 78 den 03-12-2026 kl. 10.00 (ref. K7F-3QX).").is_empty());
/// ```
#[must_use]
pub fn find_cpr(text: &str) -> Vec<CprMatch> {
    Scanner { text, pos: 0 }.collect()
}

/// The policy gate's question (RS-30): does `text` contain a match of at least
/// [`Confidence::Medium`]?
///
/// So every valid-date number in dash form or after a context word blocks, and so does a bare
/// valid-date 10-digit number unless its surroundings make it `Low` (see [`find_cpr`]).
///
/// ```
/// use skranke_recipient::cpr::contains_cpr;
///
/// assert!(contains_cpr("personnummer 0102904000"));
/// assert!(contains_cpr("0102904000")); // bare: blocks (a leak is worse than a false alarm)
/// assert!(!contains_cpr("https://skranke.example/b/0102904000")); // digits in a URL: Low
/// assert!(!contains_cpr("Tlf. +45 12 34 56 78, dato 03.12.26"));
/// ```
#[must_use]
pub fn contains_cpr(text: &str) -> bool {
    Scanner { text, pos: 0 }.any(|m| m.confidence >= Confidence::Medium)
}

/// Walks the digit runs of a text and yields the candidates that are CPR-shaped.
struct Scanner<'a> {
    text: &'a str,
    /// Byte offset where the search for the next digit run starts.
    pos: usize,
}

impl Iterator for Scanner<'_> {
    type Item = CprMatch;

    fn next(&mut self) -> Option<CprMatch> {
        let bytes = self.text.as_bytes();
        loop {
            let start = self.pos + bytes.get(self.pos..)?.iter().position(u8::is_ascii_digit)?;
            let run = digit_run(bytes, start);
            self.pos = start + run;
            if let Some(found) = candidate(self.text, start, run) {
                self.pos = found.end;
                return Some(found);
            }
        }
    }
}

/// Number of ASCII digits starting at `at`.
pub(crate) fn digit_run(bytes: &[u8], at: usize) -> usize {
    bytes.get(at..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count())
}

/// Number of ASCII digits ending just before `at`.
pub(crate) fn digit_run_back(bytes: &[u8], at: usize) -> usize {
    bytes.get(..at).map_or(0, |head| head.iter().rev().take_while(|b| b.is_ascii_digit()).count())
}

/// The match starting at the digit run `start..start + run`, if it is a stand-alone CPR candidate.
fn candidate(text: &str, start: usize, run: usize) -> Option<CprMatch> {
    let bytes = text.as_bytes();
    let (separator, end) = match run {
        10 => (None, start + 10),
        6 => {
            let c = text.get(start + 6..)?.chars().next().filter(|&c| is_separator(c))?;
            let serial = start + 6 + c.len_utf8();
            (digit_run(bytes, serial) == 4).then_some((Some(c), serial + 4))?
        }
        _ => return None,
    };
    let mut digits = [0u8; 10];
    let date_part = bytes.get(start..start + 6)?.iter();
    let serial_part = bytes.get(end - 4..end)?.iter();
    for (slot, b) in digits.iter_mut().zip(date_part.chain(serial_part)) {
        *slot = b - b'0';
    }
    birth_date_of(&digits)?;
    if embedded(text, start, end) {
        return None;
    }
    let modulus_11 = modulus_11(&digits);
    let dash = separator.is_some_and(is_dash);
    let confidence = score(modulus_11, dash, signals(text, start, end));
    Some(CprMatch { start, end, confidence, modulus_11, separator })
}

/// Whether `start..end` is part of a longer number or word, so not a CPR number on its own.
fn embedded(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let joiner = |c: char| is_dash(c) || matches!(c, '.' | '/' | ',');
    let head = text.get(..start).unwrap_or("");
    let tail = text.get(end..).unwrap_or("");
    let mut before = head.chars().rev();
    let mut after = tail.chars();
    match (before.next(), before.next()) {
        (Some(c), _) if word(c) => return true,
        (Some(c), Some(d)) if joiner(c) && d.is_ascii_digit() => {
            // `0101901234,0202901234` is a list; `1,0101901234` or `12-0101901234` one longer number.
            let list = c == ',' && digit_run_back(bytes, start - 1) >= 6;
            if !list {
                return true;
            }
        }
        _ => {}
    }
    match (after.next(), after.next()) {
        (Some(c), _) if word(c) => true,
        (Some(c), Some(d)) if joiner(c) && d.is_ascii_digit() => !(c == ',' && digit_run(bytes, end + 1) >= 6),
        _ => false,
    }
}

/// Turns the signals into a confidence; see [`find_cpr`] for the rule.
fn score(modulus_11: bool, dash: bool, s: Signals) -> Confidence {
    let mut points: i32 = 2;
    points += i32::from(modulus_11) + i32::from(dash) + 2 * i32::from(s.context_word);
    let lowering = [s.url_or_email, s.date_word, s.reference, s.phone, s.amount];
    points -= 2 * lowering.iter().map(|&b| i32::from(b)).sum::<i32>();
    let confidence = match points {
        ..=1 => Confidence::Low,
        2..=3 => Confidence::Medium,
        _ => Confidence::High,
    };
    if dash || s.context_word { confidence.max(Confidence::Medium) } else { confidence }
}
