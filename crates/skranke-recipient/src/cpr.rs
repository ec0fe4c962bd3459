//! CPR numbers (Danish personal identity numbers) in free text: RS-30 of `docs/recipient-safety.md`.
//!
//! The policy gate asks [`contains_cpr`] about the subject and the body of every outgoing message and
//! holds the message when the answer is yes. [`find_cpr`] says where and how sure; [`CprNumber`]
//! parses one number and never shows its serial digits in `Debug` or `Display`.
//!
//! Rule in short: `DDMMYY`, an optional `-` or space, four digits, standing alone, with a date that
//! exists under the century rule of digit 7. Modulus 11, the dash form and a context word such as
//! `cpr` or `personnummer` raise the confidence; a URL, date, phone, reference or amount context
//! lowers it. Everything at [`Confidence::Medium`] or above blocks, including a bare valid-date
//! 10-digit number: a leak is worse than a held message.
//!
//! ```
//! use skranke_recipient::cpr::{contains_cpr, find_cpr, Confidence};
//!
//! // Synthetic number (1 February 1990, serial 4000): never paste a real one.
//! assert!(contains_cpr("Hej, mit cpr-nummer er 010290-4000. Mvh."));
//! assert!(!contains_cpr("Din tid: 03-12-2026 kl. 10.00, ref. K7F-3QX, tlf. 12 34 56 78."));
//! assert_eq!(find_cpr("cpr 010290-4000")[0].confidence, Confidence::High);
//! ```

mod number;
mod scan;
mod signals;

#[cfg(test)]
mod tests;

pub use number::{CprError, CprNumber};
pub use scan::{Confidence, CprMatch, contains_cpr, find_cpr};
