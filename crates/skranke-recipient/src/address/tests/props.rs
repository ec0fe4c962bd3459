//! Property tests: [`EmailAddress::parse`] never panics, and every accepted address round-trips
//! through its ASCII (`Display`) and Unicode forms.

use proptest::prelude::*;

use super::super::EmailAddress;

/// Every accepted address parses back to itself from both printed forms.
fn check(input: &str) {
    if let Ok(address) = EmailAddress::parse(input) {
        let ascii = address.to_string();
        assert!(ascii.is_ascii() && ascii.len() <= 254, "{ascii:?}");
        assert_eq!(EmailAddress::parse(&ascii).as_ref(), Ok(&address), "ASCII form of {input:?}");
        assert_eq!(
            EmailAddress::parse(&address.to_unicode_string()).as_ref(),
            Ok(&address),
            "Unicode form of {input:?}"
        );
    }
}

/// Characters that matter to the parser, including control, white space, invisible, full-width and
/// multi-byte ones.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::sample::select(vec!['a', 'b', 'x', 'n', 'k', 'Z', '0', '9', '.', '-', '@']),
        2 => prop::sample::select(vec![
            'æ', 'ø', 'å', 'Ø', 'ü', 'а', 'λ', '中', 'ש', '\u{301}', '．', '。', '－', 'ｘ', '⒈', '💩', '_', '+', '\'',
            '"', '\\', '(', ')', '<', '>', '[', ']', ',', ';', ':', ' ', '\t', '\n', '\r', '\0', '\u{7f}',
            '\u{85}', '\u{a0}', '\u{ad}', '\u{200b}', '\u{200d}', '\u{202e}', '\u{feff}', 'ß', 'ς', 'İ',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(tricky_char(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

/// Mostly well-formed addresses, so the round-trip property sees many accepted values.
fn plausible_address() -> impl Strategy<Value = String> {
    let local = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9_+-]{1,10}){0,2}";
    let label = prop_oneof![
        3 => "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?",
        1 => "[a-zæøåäöüßçéλаоесрх中心]{1,12}",
        1 => "[A-ZÆØÅ]{1,8}",
        1 => "xn--[a-z0-9]{2,8}",
    ];
    let tld = prop::sample::select(vec!["dk", "DK", "com", "co.uk", "xn--p1ai", "рф", "museum", "test", "d", "123"]);
    (local, proptest::collection::vec(label, 1..4), tld)
        .prop_map(|(local, labels, tld)| format!("{local}@{}.{tld}", labels.join(".")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn never_panics_on_any_string(input in any::<String>()) {
        check(&input);
    }

    #[test]
    fn never_panics_on_tricky_strings(input in tricky_string(80)) {
        check(&input);
    }

    #[test]
    fn accepted_plausible_addresses_round_trip(input in plausible_address()) {
        check(&input);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn never_panics_on_long_inputs(input in tricky_string(6000), local_len in 0usize..300, label_len in 0usize..300) {
        check(&input);
        check(&format!("{}@{}.dk", "a".repeat(local_len), "b".repeat(label_len)));
        check(&format!("x@{}", "ab.".repeat(label_len) + "dk"));
        check(&format!("x@{}dk", "ø.".repeat(label_len)));
    }
}

#[test]
fn plausible_generator_produces_accepted_addresses() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = plausible_address();
    let accepted = (0..500)
        .filter_map(|_| strategy.new_tree(&mut runner).ok())
        .filter(|tree| EmailAddress::parse(&tree.current()).is_ok())
        .count();
    assert!(accepted > 150, "only {accepted} of 500 generated addresses were accepted");
}
