//! Table tests: one row per rule of RS-30 and of the detector's documented scoring.

use super::super::{Confidence, CprError, CprNumber, contains_cpr, find_cpr};
use super::{num, num_mod11};
use Confidence::{High, Low, Medium};

/// The single match's confidence, `None` if nothing is found; fails on more than one match.
fn conf(text: &str) -> Option<Confidence> {
    let found = find_cpr(text);
    assert!(found.len() <= 1, "{text:?}: {found:?}");
    found.first().map(|m| m.confidence)
}

/// A synthetic number failing modulus 11 (1 February 1990, serial 4000).
fn plain(sep: &str) -> String {
    let s = num(1, 2, 90, sep, 4000);
    assert!(!CprNumber::parse(&s).unwrap().passes_modulus_11());
    s
}

/// A synthetic number passing modulus 11 (1 February 1990, serial 402x).
fn m11(sep: &str) -> String {
    num_mod11(1, 2, 90, sep, 402).unwrap()
}

#[test]
fn cpr_parse_accepts_the_three_forms_and_typographic_separators() {
    for sep in ["-", "", " ", "\u{a0}", "\u{2010}", "\u{2011}", "\u{2013}", "\u{2212}"] {
        let n = CprNumber::parse(&num(1, 2, 90, sep, 4000)).unwrap();
        assert_eq!(n.birth_date(), (1990, 2, 1), "{sep:?}");
    }
    assert!(CprNumber::parse(&format!("  {}\n", plain("-"))).is_ok());
    assert_eq!(plain("-").parse::<CprNumber>(), CprNumber::parse(&plain("")));
}

#[test]
fn cpr_parse_rejects_other_shapes() {
    for bad in [
        "",
        "010290-400",
        "010290-40000",
        "01029-04000",
        "010290--4000",
        "0102-90-4000",
        "010290/4000",
        "O10290-4000",
        "010290-4000x",
        "٠١٠٢٩٠٤٠٠٠",
        "010290 - 4000",
    ] {
        assert_eq!(CprNumber::parse(bad), Err(CprError::Format), "{bad:?}");
    }
}

#[test]
fn cpr_century_rule_of_digit_7() {
    // (digit 7, YY, expected year)
    let rows = [
        (0, 0, 1900),
        (3, 99, 1999),
        (1, 36, 1936),
        (2, 58, 1958),
        (4, 0, 2000),
        (4, 36, 2036),
        (4, 37, 1937),
        (4, 99, 1999),
        (9, 36, 2036),
        (9, 37, 1937),
        (5, 0, 2000),
        (5, 57, 2057),
        (5, 58, 1858),
        (8, 57, 2057),
        (8, 58, 1858),
        (6, 99, 1899),
        (7, 20, 2020),
    ];
    for (d7, yy, year) in rows {
        let s = num(15, 6, yy, "-", d7 * 1000 + 123);
        assert_eq!(CprNumber::parse(&s).unwrap().birth_date(), (year, 6, 15), "digit 7 = {d7}, YY = {yy}");
    }
}

#[test]
fn cpr_day_must_exist_in_month_and_year() {
    // (day, month, YY, digit 7, valid)
    let rows = [
        (31, 1, 90, 0, true),
        (32, 1, 90, 0, false),
        (0, 1, 90, 0, false),
        (1, 0, 90, 0, false),
        (1, 13, 90, 0, false),
        (30, 11, 26, 4, true),
        (31, 11, 26, 4, false),
        (30, 4, 90, 0, true),
        (31, 4, 90, 0, false),
        (29, 2, 0, 4, true),   // 2000: leap (divisible by 400)
        (29, 2, 0, 0, false),  // 1900: not leap
        (29, 2, 60, 5, true),  // 1860: leap
        (29, 2, 0, 5, true),   // 2000 via digit 7 = 5
        (29, 2, 61, 5, false), // 1861
        (29, 2, 96, 1, true),
        (29, 2, 97, 1, false),
        (28, 2, 97, 1, true),
    ];
    for (day, month, yy, d7, valid) in rows {
        let s = num(day, month, yy, "-", d7 * 1000);
        let parsed = CprNumber::parse(&s);
        assert_eq!(parsed.is_ok(), valid, "{day}.{month}.{yy} digit 7 = {d7}");
        if !valid {
            assert_eq!(parsed, Err(CprError::Date));
            assert_eq!(conf(&s), None, "invalid dates are never matched");
            assert_eq!(conf(&format!("CPR-nr.: {s}")), None);
        }
    }
}

#[test]
fn cpr_modulus_11_raises_confidence_but_is_never_required() {
    let n = CprNumber::parse(&m11("-")).unwrap();
    assert!(n.passes_modulus_11());
    assert!(!CprNumber::parse(&plain("-")).unwrap().passes_modulus_11());
    assert_eq!(conf(&plain("")), Some(Medium));
    assert_eq!(conf(&m11("")), Some(Medium));
    assert_eq!(conf(&plain("-")), Some(Medium));
    assert_eq!(conf(&m11("-")), Some(High));
    assert!(find_cpr(&m11("-"))[0].modulus_11);
    assert!(!find_cpr(&plain("-"))[0].modulus_11);
}

#[test]
fn cpr_display_and_debug_mask_the_serial() {
    let n = CprNumber::parse(&num(1, 2, 90, "", 4567)).unwrap();
    assert_eq!(n.to_string(), "010290-****");
    assert_eq!(format!("{n:?}"), "CprNumber(010290-****)");
    assert_eq!(format!("{n:#?}"), "CprNumber(010290-****)");
    assert!(!format!("{:?}", CprNumber::parse(&plain("-"))).contains("4000"));
    // Errors never echo the input.
    assert!(!CprError::Date.to_string().contains("31"));
}

#[test]
fn cpr_match_offsets_and_separator() {
    for (sep, expect) in
        [("-", Some('-')), (" ", Some(' ')), ("", None), ("\u{a0}", Some('\u{a0}')), ("\u{2013}", Some('–'))]
    {
        let n = plain(sep);
        let text = format!("Kære Åse, dit personnummer {n} står på sagen.");
        let found = find_cpr(&text);
        assert_eq!(found.len(), 1, "{sep:?}");
        assert_eq!(&text[found[0].start..found[0].end], n);
        assert_eq!(found[0].separator, expect);
    }
}

#[test]
fn cpr_context_words_raise_confidence_any_case_with_danish_letters() {
    let n = plain("");
    for prefix in [
        "cpr ",
        "CPR: ",
        "Cpr-nr. ",
        "cpr.nr.: ",
        "CPR-NUMMER PÅ BØRNENE: ",
        "cprnr ",
        "Personnummer: ",
        "personnr. ",
        "PERS.NR. ",
        "Personal identity number: ",
        "Æblegrød og ål, CPR ",
        "(cpr-nr.) ",
        "Jeres personnumre er ",
        "cpr-nummeret på ægtefællen er ",
    ] {
        assert_eq!(conf(&format!("{prefix}{n}")), Some(High), "{prefix:?}");
    }
    // Context word further than ~30 characters away does not count.
    let far = format!("cpr {} {n}", "x".repeat(40));
    assert_eq!(conf(&far), Some(Medium));
    // A context word lifts even a lowered number back to at least Medium.
    assert_eq!(conf(&format!("cpr, dato {n}")), Some(Medium));
}

#[test]
fn cpr_dash_form_and_context_are_always_found() {
    for text in [
        format!("https://x.example/?id={}", plain("-")),
        format!("Dato: {}", plain("-")),
        format!("Ordrenr. {}", plain("-")),
        format!("{} kr.", plain("-")),
        format!("tlf {}", plain("-")),
        format!("cpr https://x.example/{}", plain("")),
        format!("CPR: {} 12", plain(" ")),
    ] {
        assert!(conf(&text) >= Some(Medium), "{text:?}");
        assert!(contains_cpr(&text), "{text:?}");
    }
}

#[test]
fn cpr_bare_and_space_forms_are_medium_unless_lowered() {
    for sep in ["", " "] {
        let n = plain(sep);
        assert_eq!(conf(&n), Some(Medium), "{sep:?}");
        assert_eq!(conf(&format!("Hej, her er tallet {n}. Mvh. Ole")), Some(Medium));
        // Words that merely start like a lowering word do not lower.
        for text in [
            format!("Kontoret har {n}"),
            format!("{n} kræver svar"),
            format!("Borger fra Europa {n}"),
            format!("Refusion {n}"),
            format!("{n} euro-skat"),
            format!("Opdateret {n}"),
        ] {
            assert_eq!(conf(&text), Some(Medium), "{text:?}");
        }
        for lowered in [
            format!("https://skranke.example/b/{n}"),
            format!("www.example.dk/{n}"),
            format!("{n}@borger.example"),
            format!("mail: a.{n}@example.dk"),
            format!("Dato {n}"),
            format!("date: {n}"),
            format!("kl. {n}"),
            format!("Bookingreference: {n}"),
            format!("Ordrenummer {n}"),
            format!("Faktura {n}"),
            format!("Kontonr. {n}"),
            format!("Ref. {n}"),
            format!("konto {n}"),
            format!("Mobil: {n}"),
            format!("{n} EUR"),
            format!("tlf. {n}"),
            format!("+{n}"),
            format!("+45 {n}"),
            format!("1234 {n}"),
            format!("{n} 56"),
            format!("{n} kr."),
            format!("{n},- DKK"),
            format!("Beløb: {n}"),
            format!("K7F-{n}"),
            format!("{n}-ABC"),
        ] {
            assert_eq!(conf(&lowered), Some(Low), "{lowered:?}");
            assert!(!contains_cpr(&lowered), "{lowered:?}");
        }
    }
}

#[test]
fn cpr_embedded_numbers_are_not_candidates() {
    let n = plain("");
    let d = plain("-");
    for text in [
        format!("1{n}"),
        format!("{n}1"),
        format!("x{n}"),
        format!("{n}x"),
        format!("_{n}"),
        format!("ø{n}"),
        format!("{d}1"),
        format!("1{d}"),
        format!("{d}-1"),
        format!("12-{d}"),
        format!("12-{n}"),
        format!("{n}-12"),
        format!("1.{n}"),
        format!("{n}.5"),
        format!("{n},50"),
        format!("1,{n}"),
        format!("2026/{n}"),
        format!("{n}/7"),
        format!("DK50{n}12"),
        format!("{n}12"),
        format!("12{n}"),
        // Separator at the wrong place, two separators, or too many serial digits.
        num(1, 2, 90, "-", 4000) + "0",
        num(1, 2, 90, "--", 4000),
        format!("01029-0{}", "4000"),
        num(1, 2, 90, " -", 4000),
    ] {
        assert_eq!(conf(&text), None, "{text:?}");
    }
    // A list is not one long number.
    let list = format!("{n},{}", plain(""));
    assert_eq!(find_cpr(&list).len(), 2);
    let spaced = format!("{n} {}", m11(""));
    assert_eq!(find_cpr(&spaced).iter().map(|m| m.confidence).collect::<Vec<_>>(), [Medium, Medium]);
}

#[test]
fn cpr_required_negatives_are_not_medium() {
    for text in [
        "12345678",
        "+45 12345678",
        "+45 12 34 56 78",
        "12 34 56 78",
        "+45 12 34 56 78 90",
        "0045 12 34 56 78",
        "03-12-2026",
        "2026-12-03",
        "03.12.26",
        "3/12-2026",
        "kl. 10.00",
        "10:30-11:15",
        "K7F-3QX",
        "234-567",
        "10.000 kr.",
        "1.234.567,89 kr.",
        "DKK 12.345.678,00",
        "12345678901",
        "123456789012",
        "0101901234567",
        "8000 Aarhus C",
        "7000 Fredericia",
        "DK50 0040 0440 1162 43",
        "DK5000400440116243",
        "GB82 WEST 1234 5698 7654 32",
        "320126-1234",
        "311126-1234",
        "290201-1234",
        "001290-1234",
        "011390-1234",
        "3201261234",
        "3111261234",
    ] {
        assert!(conf(text) < Some(Medium), "{text:?}");
        assert!(!contains_cpr(text), "{text:?}");
    }
}

#[test]
fn cpr_contains_cpr_is_any_match_at_least_medium() {
    let low = format!("https://x.example/{}", plain(""));
    assert_eq!(conf(&low), Some(Low));
    assert!(!contains_cpr(&low));
    assert!(contains_cpr(&format!("{low} og {}", plain(""))));
    assert!(!contains_cpr(""));
}

#[test]
fn cpr_multibyte_text_around_matches() {
    let n = m11("-");
    let text = format!("Ærø 🏝️ {n}, Å: {n}");
    let found = find_cpr(&text);
    assert_eq!(found.len(), 2);
    for m in found {
        assert_eq!(&text[m.start..m.end], n);
        assert_eq!(m.confidence, High);
    }
}
