//! Property tests: `find_cpr` never panics and reports char-boundary offsets of parseable numbers;
//! formatting a `CprNumber` never shows the serial.

use proptest::prelude::*;

use super::super::{CprNumber, contains_cpr, find_cpr};
use super::num;

/// Text made of the characters that matter to the detector, plus multi-byte ones.
fn cpr_ish_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('0', '9'),
            1 => prop::sample::select(vec![
                ' ', '-', '\u{a0}', '\u{2013}', '\u{2011}', '\u{2212}', '.', ',', '/', '+', '@', ':', '_', 'a', 'c',
                'p', 'r', 'æ', 'Ø', 'å', '€', '🏝', '\u{301}', '٣', '\n',
            ]),
        ],
        0..80,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn check(text: &str) {
    let found = find_cpr(text);
    let mut last_end = 0;
    for m in &found {
        assert!(m.start < m.end && m.end <= text.len());
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        assert!(m.start >= last_end, "matches are ordered and disjoint");
        last_end = m.end;
        let n = CprNumber::parse(&text[m.start..m.end]).expect("every match parses");
        assert_eq!(n.passes_modulus_11(), m.modulus_11);
    }
    assert_eq!(contains_cpr(text), found.iter().any(|m| m.confidence >= super::super::Confidence::Medium));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn cpr_find_never_panics_on_any_string(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn cpr_find_never_panics_on_digit_heavy_text(text in cpr_ish_text()) {
        check(&text);
    }

    #[test]
    fn cpr_display_and_debug_never_show_the_serial(
        day in 0u8..=35, month in 0u8..=14, yy in 0u8..=99, serial in 0u16..=9999, sep in prop::sample::select(vec!["-", "", " "]),
    ) {
        let s = num(day, month, yy, sep, serial);
        if let Ok(n) = CprNumber::parse(&s) {
            let masked = format!("{day:02}{month:02}{yy:02}-****");
            prop_assert_eq!(n.to_string(), masked.clone());
            prop_assert_eq!(format!("{n:?}"), format!("CprNumber({masked})"));
            prop_assert_eq!(format!("{n:#?}").chars().filter(char::is_ascii_digit).count(), 6);
        }
    }
}
