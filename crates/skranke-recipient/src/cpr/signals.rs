//! What the text around a CPR candidate says about it: context words, URLs, phone grouping, amounts.

use super::scan::{digit_run, digit_run_back};

/// Characters before a candidate searched for a CPR context word.
const CONTEXT_WINDOW: usize = 30;
/// Characters before a candidate searched for a lowering word (date, reference, phone, amount): shorter,
/// so a word belonging to an earlier phrase does not clear a number.
const LOWERING_WINDOW: usize = 20;
/// Characters after a candidate searched for an amount unit.
const AFTER_WINDOW: usize = 8;
/// Longest URL or address fragment looked at on either side of a candidate, in characters.
const TOKEN_LIMIT: usize = 300;

/// Words that say a CPR number follows. Matched case-insensitively (Unicode lowercase) at a word start,
/// so `CPR-nr.`, `cpr.nr`, `Cpr-nummer`, `CPRNR` and `personnummeret` all count.
const CONTEXT_WORDS: &[&str] = &[
    "cpr",
    "personnummer",
    "personnumre",
    "personnr",
    "pers.nr",
    "pers. nr",
    "person-nr",
    "person nr",
    "personal identity number",
    "personal id number",
    "civil registration number",
    "identity number",
];

/// Words saying a number is a date or time.
const DATE_WORDS: &[&str] = &["dato", "date", "kl.", "kl ", "klokken", "tidspunkt"];

// Words are matched at a word start and may run on (Danish compounds: `ordrenummer`,
// `bookingreference`), except where a trailing space or punctuation is part of the word because the bare
// stem starts common unrelated words (`ref` → `refusion`, `konto` → `kontoret`, `eur` → `europa`).

/// Words saying a number is a reference, order, case, account or customer number.
const REFERENCE_WORDS: &[&str] = &[
    "ref.",
    "ref:",
    "ref ",
    "refnr",
    "reference",
    "booking",
    "bestilling",
    "ordre",
    "order",
    "faktura",
    "invoice",
    "konto ",
    "konto:",
    "kontonr",
    "konto-nr",
    "kontonummer",
    "account",
    "reg.nr",
    "regnr",
    "kundenr",
    "kundenummer",
    "customer",
    "sagsnr",
    "sags-nr",
    "sags nr",
    "sagsnummer",
    "journalnr",
    "journalnummer",
    "varenr",
    "varenummer",
    "ean ",
    "ean:",
    "ean-nr",
    "ean-nummer",
    "tracking",
    "forsendelse",
    "pakke ",
    "pakke:",
    "pakkenr",
    "pakke-nr",
    "pakkenummer",
];

/// Words saying a number is a phone number.
const PHONE_WORDS: &[&str] =
    &["tlf", "telefon", "mobil ", "mobil:", "mobilnr", "mobilnummer", "phone", "tel.", "tel:", "sms", "fax"];

/// Amount words before a number, and units right after it.
const AMOUNT_BEFORE: &[&str] =
    &["kr.", "kr ", "dkk", "eur ", "eur.", "euro ", "€", "beløb", "amount", "pris ", "pris:", "prisen"];
const AMOUNT_AFTER: &[&str] = &["kr", "dkk", "eur", "€", "$", ",-", ".-", "%"];

/// The signals found around one candidate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Signals {
    /// A CPR context word shortly before.
    pub context_word: bool,
    /// The digits are part of a URL or e-mail address.
    pub url_or_email: bool,
    /// A date or time word shortly before.
    pub date_word: bool,
    /// A reference word shortly before, or letters joined by a dash (`AB-0101901234`).
    pub reference: bool,
    /// A phone word shortly before, a `+`, or short digit groups right next to it.
    pub phone: bool,
    /// An amount word shortly before or a currency unit right after.
    pub amount: bool,
}

/// Reads the surroundings of the candidate at `start..end` (char boundaries of `text`).
pub(crate) fn signals(text: &str, start: usize, end: usize) -> Signals {
    let head = text.get(..start).unwrap_or("");
    let tail = text.get(end..).unwrap_or("");
    let context = last_chars(head, CONTEXT_WINDOW).to_lowercase();
    let near = last_chars(head, LOWERING_WINDOW).to_lowercase();
    let after = first_chars(tail, AFTER_WINDOW).to_lowercase();
    let after = after.trim_start_matches([' ', '\u{a0}']);
    Signals {
        context_word: CONTEXT_WORDS.iter().any(|w| has_word(&context, w)),
        url_or_email: in_url_or_email(head, tail),
        date_word: DATE_WORDS.iter().any(|w| has_word(&near, w)),
        reference: REFERENCE_WORDS.iter().any(|w| has_word(&near, w)) || dash_joined_to_letters(head, tail),
        phone: PHONE_WORDS.iter().any(|w| has_word(&near, w)) || phone_grouping(text, start, end),
        amount: AMOUNT_BEFORE.iter().any(|w| has_word(&near, w))
            || AMOUNT_AFTER.iter().any(|u| unit_at_start(after, u)),
    }
}

/// The last `n` characters of `s`.
fn last_chars(s: &str, n: usize) -> &str {
    match n.checked_sub(1).and_then(|k| s.char_indices().rev().nth(k)) {
        Some((i, _)) => s.get(i..).unwrap_or(s),
        None => s,
    }
}

/// The first `n` characters of `s`.
fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Whether `text` starts with the unit `unit` as a whole word (`kr` in `kr.`, not in `kræver`).
fn unit_at_start(text: &str, unit: &str) -> bool {
    text.strip_prefix(unit).is_some_and(|rest| !rest.chars().next().is_some_and(char::is_alphabetic))
}

/// Whether `word` occurs in `hay` at a word start (not preceded by a letter or digit).
fn has_word(hay: &str, word: &str) -> bool {
    hay.match_indices(word)
        .any(|(i, _)| hay.get(..i).and_then(|h| h.chars().next_back()).is_none_or(|c| !c.is_alphanumeric()))
}

/// Whether the candidate sits in a URL (`://`, `www.`) or an e-mail address (`@`): the
/// whitespace-delimited token around it says so.
fn in_url_or_email(head: &str, tail: &str) -> bool {
    let token_char = |c: &char| !c.is_whitespace() && !matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']');
    let left: String = head.chars().rev().take(TOKEN_LIMIT).take_while(token_char).collect();
    // `left` is reversed: look for the reversed markers.
    let url = left.contains("//:") || left.contains(".www") || left.contains('@');
    url || tail.chars().take(TOKEN_LIMIT).take_while(token_char).any(|c| c == '@')
}

/// `AB-0101901234` or `0101901234-AB`: a number joined to letters by a dash reads as a reference.
fn dash_joined_to_letters(head: &str, tail: &str) -> bool {
    let mut before = head.chars().rev();
    let mut after = tail.chars();
    let joined = |sep: Option<char>, letter: Option<char>| {
        sep.is_some_and(super::number::is_dash) && letter.is_some_and(char::is_alphabetic)
    };
    joined(before.next(), before.next()) || joined(after.next(), after.next())
}

/// `+` right before the number, or a group of 1–4 digits one space away on either side
/// (`+45 12 0101901234`, `1234 0101901234`, `010190 1234 56`): digits written in groups, as phone and
/// account numbers are.
fn phone_grouping(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let space = |c: Option<char>| c.is_some_and(|c| c == ' ' || c == '\u{a0}');
    let head = text.get(..start).unwrap_or("");
    let before = head.chars().next_back();
    if before == Some('+') {
        return true;
    }
    if space(before) {
        let at = start - before.map_or(0, char::len_utf8);
        if (1..=4).contains(&digit_run_back(bytes, at)) {
            return true;
        }
    }
    let after = text.get(end..).and_then(|t| t.chars().next());
    if space(after) {
        let at = end + after.map_or(0, char::len_utf8);
        let run = digit_run(bytes, at);
        let next = text.get(at + run..).and_then(|t| t.chars().next());
        if (1..=4).contains(&run) && !next.is_some_and(char::is_alphanumeric) {
            return true;
        }
    }
    false
}
