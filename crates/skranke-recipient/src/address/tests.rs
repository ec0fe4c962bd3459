//! Tests of [`EmailAddress`] and the message catalogue: one example per rule, case handling, IDN
//! forms, the RS-10 examples as addresses. Property tests are in `props`.

mod props;

use std::collections::HashSet;

use super::{AddressError, EmailAddress, Language};
use crate::domain::{Domain, DomainError, OwnDomains};

fn address(text: &str) -> EmailAddress {
    EmailAddress::parse(text).unwrap_or_else(|error| panic!("{text:?} should parse: {error}"))
}

/// Every variant, one example each. The `match` in [`all_variants_listed`] fails to compile when a
/// variant is added without being listed here.
fn examples() -> Vec<(String, AddressError)> {
    use AddressError as A;
    use DomainError as D;
    let long_local = "a".repeat(65);
    let long_total =
        format!("{}@{}.{}.{}.{}.dk", "x".repeat(64), "a".repeat(61), "b".repeat(61), "c".repeat(61), "d".repeat(8));
    vec![
        (String::new(), A::Empty),
        (long_total, A::TooLong),
        ("x".repeat(5000), A::TooLong),
        ("ole\n@example.dk".into(), A::ControlCharacter),
        ("ole@example.dk\r\n".into(), A::ControlCharacter),
        ("ole\0@example.dk".into(), A::ControlCharacter),
        ("ole\u{85}@example.dk".into(), A::ControlCharacter),
        (" ole@example.dk".into(), A::Whitespace),
        ("ole@example.dk ".into(), A::Whitespace),
        ("ole hansen@example.dk".into(), A::Whitespace),
        ("ole\u{a0}@example.dk".into(), A::Whitespace),
        ("ole@example.dk, anna@example.dk".into(), A::Whitespace),
        ("o\u{200b}le@example.dk".into(), A::InvisibleCharacter),
        ("ole@exa\u{200b}mple.dk".into(), A::InvisibleCharacter),
        ("ole@exam\u{ad}ple.dk".into(), A::InvisibleCharacter),
        ("Ole <ole@example.dk>".into(), A::DisplayName),
        ("<ole@example.dk>".into(), A::DisplayName),
        ("\"ole\"@example.dk".into(), A::Quoted),
        ("\"ole@x\"@example.dk".into(), A::Quoted),
        ("ole(comment)@example.dk".into(), A::Comment),
        ("ole@(comment)example.dk".into(), A::Comment),
        ("ole\\@example.dk".into(), A::Backslash),
        ("ole@[192.0.2.1]".into(), A::AddressLiteral),
        ("ole@[IPv6:2001:db8::1]".into(), A::AddressLiteral),
        ("ole.example.dk".into(), A::NoAt),
        ("ole@@example.dk".into(), A::SeveralAt),
        ("ole@example.dk@evil.com".into(), A::SeveralAt),
        ("@example.dk".into(), A::LocalEmpty),
        (format!("{long_local}@example.dk"), A::LocalTooLong),
        ("søren@example.dk".into(), A::LocalNonAscii),
        ("ole,hansen@example.dk".into(), A::LocalBadCharacter),
        ("ole:hansen@example.dk".into(), A::LocalBadCharacter),
        ("ole;@example.dk".into(), A::LocalBadCharacter),
        ("ole[1]@example.dk".into(), A::LocalBadCharacter),
        (".ole@example.dk".into(), A::LocalLeadingDot),
        ("ole.@example.dk".into(), A::LocalTrailingDot),
        ("ole..hansen@example.dk".into(), A::LocalDoubleDot),
        ("ole@".into(), A::Domain(D::Empty)),
        ("ole@fredericia.dk.".into(), A::Domain(D::TrailingDot)),
        ("ole@fredericia..dk".into(), A::Domain(D::EmptyLabel)),
        (format!("ole@{}.dk", "a".repeat(64)), A::Domain(D::LabelTooLong)),
        (
            format!("o@{}.{}.{}.{}.dk", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(60)),
            A::Domain(D::TooLong),
        ),
        ("ole@exa_mple.dk".into(), A::Domain(D::InvalidCharacter)),
        ("ole@-example.dk".into(), A::Domain(D::HyphenAtEdge)),
        ("ole@ex--ample.dk".into(), A::Domain(D::ReservedHyphens)),
        ("jens@xn--zz.dk".into(), A::Domain(D::InvalidALabel)),
        ("ole@💩.la".into(), A::Domain(D::InvalidIdn)),
        ("ole@localhost".into(), A::Domain(D::SingleLabel)),
        ("ole@example.d".into(), A::Domain(D::InvalidTld)),
        ("ole@192.168.0.1".into(), A::Domain(D::IpAddress)),
        ("ole@skranke.test".into(), A::Domain(D::SpecialUseTld)),
        ("ole@printer.local".into(), A::Domain(D::SpecialUseTld)),
    ]
}

#[test]
fn each_rule_refuses_its_examples() {
    for (input, expected) in examples() {
        assert_eq!(EmailAddress::parse(&input), Err(expected), "{input:?}");
    }
}

#[test]
fn all_variants_listed() {
    let listed: HashSet<AddressError> = examples().into_iter().map(|(_, error)| error).collect();
    // Exhaustive on purpose: a new variant must get an example above and a catalogue entry.
    let check = |error: &AddressError| match error {
        AddressError::Empty
        | AddressError::TooLong
        | AddressError::ControlCharacter
        | AddressError::Whitespace
        | AddressError::InvisibleCharacter
        | AddressError::DisplayName
        | AddressError::Quoted
        | AddressError::Comment
        | AddressError::Backslash
        | AddressError::AddressLiteral
        | AddressError::NoAt
        | AddressError::SeveralAt
        | AddressError::LocalEmpty
        | AddressError::LocalTooLong
        | AddressError::LocalNonAscii
        | AddressError::LocalBadCharacter
        | AddressError::LocalLeadingDot
        | AddressError::LocalTrailingDot
        | AddressError::LocalDoubleDot => 1,
        AddressError::Domain(
            DomainError::Empty
            | DomainError::TrailingDot
            | DomainError::EmptyLabel
            | DomainError::LabelTooLong
            | DomainError::TooLong
            | DomainError::InvalidCharacter
            | DomainError::HyphenAtEdge
            | DomainError::ReservedHyphens
            | DomainError::InvalidALabel
            | DomainError::InvalidIdn
            | DomainError::SingleLabel
            | DomainError::InvalidTld
            | DomainError::IpAddress
            | DomainError::SpecialUseTld,
        ) => 1,
        // The address-level check (AddressError::InvisibleCharacter) runs first; Domain::parse
        // alone reaches this one (see the domain tests).
        AddressError::Domain(DomainError::InvisibleCharacter) => 0,
    };
    assert_eq!(listed.iter().map(check).sum::<usize>(), 19 + 14, "every variant needs an example");
}

#[test]
fn codes_are_unique_snake_case_and_messages_exist_in_both_languages() {
    let errors: HashSet<AddressError> = examples().into_iter().map(|(_, error)| error).collect();
    let mut codes = HashSet::new();
    for error in &errors {
        let code = error.code();
        assert!(codes.insert(code), "duplicate code {code}");
        assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code} is not snake_case");
        assert_eq!(matches!(error, AddressError::Domain(_)), code.starts_with("domain_"), "{code}");
        let (da, en) = (error.message(Language::Da), error.message(Language::En));
        assert_ne!(da, en, "{code}");
        for text in [da, en] {
            assert!(text.ends_with('.') && text.len() < 100, "{code}: {text:?} should be one short sentence");
            assert!(text.chars().next().is_some_and(char::is_uppercase), "{code}: {text:?}");
        }
        if let AddressError::Domain(domain_error) = error {
            assert_eq!(domain_error.code(), code);
            assert_eq!(domain_error.message(Language::Da), da);
        }
    }
    assert_eq!(AddressError::NoAt.message(Language::Da), "E-mailadressen mangler et @.");
    assert_eq!(AddressError::NoAt.message(Language::En), "The address has no @.");
    assert_eq!(Language::default(), Language::Da);
}

#[test]
fn local_part_keeps_its_case_and_domain_is_lowercased() {
    let a = address("Ole.Hansen@Fredericia.DK");
    assert_eq!(a.local(), "Ole.Hansen");
    assert_eq!(a.domain().ascii(), "fredericia.dk");
    assert_eq!(a.to_string(), "Ole.Hansen@fredericia.dk");
    assert_ne!(a, address("ole.hansen@fredericia.dk"));
    assert_eq!(a, address("Ole.Hansen@fredericia.dk"));
}

#[test]
fn idn_domains_parse_to_the_same_address_in_either_form() {
    let unicode = address("jens@københavn.dk");
    let ascii = address("jens@xn--kbenhavn-54a.dk");
    assert_eq!(unicode, ascii);
    assert_eq!(unicode.to_string(), "jens@xn--kbenhavn-54a.dk");
    assert_eq!(ascii.to_unicode_string(), "jens@københavn.dk");
    assert_eq!(address("jens@KØBENHAVN.DK"), ascii);
    assert_eq!(ascii.domain().registrable(), Some("xn--kbenhavn-54a.dk"));
}

#[test]
fn atext_and_limits() {
    for ok in [
        "!#$%&'*+-/=?^_`{|}~@example.dk",
        "o'brien@example.dk",
        "ole+booking@fredericia.dk",
        "a@e.com",
        "user%uucp!path@berkeley.edu",
        "xn--test@iana.org",
    ] {
        assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
    }
    let local64 = "x".repeat(64);
    assert!(EmailAddress::parse(&format!("{local64}@example.dk")).is_ok());
    // 64 + 1 + 189 = 254 octets: the longest address.
    let domain189 = format!("{}.{}.{}.dk", "a".repeat(63), "b".repeat(63), "c".repeat(58));
    assert_eq!(domain189.len(), 189);
    let longest = format!("{local64}@{domain189}");
    assert_eq!(longest.len(), 254);
    assert!(EmailAddress::parse(&longest).is_ok());
    let one_more = format!("{local64}@{}.{}.{}.dk", "a".repeat(63), "b".repeat(63), "c".repeat(59));
    assert_eq!(EmailAddress::parse(&one_more), Err(AddressError::TooLong));
}

#[test]
fn total_length_counts_the_ascii_form() {
    // UTS #46 maps U+2177 SMALL ROMAN NUMERAL EIGHT (3 UTF-8 bytes) to "viii" (4 octets): 212 bytes
    // as typed, 257 octets on the wire.
    let viii = "\u{2177}".repeat(15);
    let typed = format!("{}@abcdef.{viii}.{viii}.{viii}.dk", "x".repeat(64));
    assert_eq!(typed.len(), 212);
    let domain = Domain::parse(typed.split('@').nth(1).unwrap()).unwrap();
    assert_eq!(65 + domain.ascii().len(), 257);
    assert_eq!(EmailAddress::parse(&typed), Err(AddressError::TooLong));
}

#[test]
fn rs10_examples_as_addresses() {
    let own = OwnDomains::new(["fredericia.dk"], ["mail.fredericia.dk"]).unwrap();
    let is_own = |text: &str| EmailAddress::parse(text).is_ok_and(|a| own.contains(a.domain()));
    assert!(is_own("x@fredericia.dk"));
    assert!(is_own("X@FREDERICIA.DK"));
    assert!(is_own("x@mail.fredericia.dk"));
    for refused in [
        "x@fredericia.dk.evil.com",
        "x@fredericia.dk.",
        "x@fred.dk",
        "x@fredericia.com",
        "x@fredericiа.dk", // Cyrillic а
        "x@intern.fredericia.dk",
        "x@[192.0.2.1]",
    ] {
        assert!(!is_own(refused), "{refused} must not be own");
    }
}

#[test]
fn serde_round_trip() {
    let a = address("Jens@København.dk");
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, "\"Jens@xn--kbenhavn-54a.dk\"");
    assert_eq!(serde_json::from_str::<EmailAddress>(&json).unwrap(), a);
    assert!(serde_json::from_str::<EmailAddress>("\"ole@fredericia.dk.\"").is_err());
    assert_eq!(serde_json::to_string(&Language::En).unwrap(), "\"en\"");
}

#[test]
fn from_str_and_debug() {
    let a: EmailAddress = "ole@example.dk".parse().unwrap();
    assert_eq!(format!("{a:?}"), "EmailAddress(ole@example.dk)");
    assert_eq!(EmailAddress::try_from("ole"), Err(AddressError::NoAt));
}
