//! Tests of [`Domain`] and [`OwnDomains`]: case folding, IDN forms, registrable domains, every
//! [`DomainError`] rule, and the RS-10 examples.

use super::{Domain, DomainError, OwnDomains, OwnDomainsError};

fn domain(text: &str) -> Domain {
    Domain::parse(text).unwrap_or_else(|error| panic!("{text:?} should parse: {error}"))
}

#[test]
fn case_is_folded_and_display_is_ascii() {
    let d = domain("FREDERICIA.DK");
    assert_eq!(d.ascii(), "fredericia.dk");
    assert_eq!(d.unicode(), "fredericia.dk");
    assert_eq!(d.to_string(), "fredericia.dk");
    assert_eq!(d, domain("Fredericia.Dk"));
    assert_eq!(domain("KØBENHAVN.DK"), domain("københavn.dk"));
}

#[test]
fn u_labels_and_a_labels_give_the_same_domain() {
    let cases = [
        ("københavn.dk", "xn--kbenhavn-54a.dk"),
        ("sønderborg.dk", "xn--snderborg-l8a.dk"),
        ("ærø.dk", "xn--r-3fa9c.dk"),
        ("臺網中心.tw", "xn--fiqq24b10vi0d.tw"),
        ("профи-инвест.рф", "xn----dtbjjb4adhjrlq.xn--p1ai"),
    ];
    for (unicode, ascii) in cases {
        let from_unicode = domain(unicode);
        let from_ascii = domain(ascii);
        assert_eq!(from_unicode, from_ascii, "{unicode} vs {ascii}");
        assert_eq!(from_unicode.ascii(), ascii);
        assert_eq!(from_ascii.unicode(), unicode);
        assert_eq!(domain(&ascii.to_uppercase()), from_ascii, "upper-case A-label {ascii}");
    }
}

#[test]
fn uts46_mapping_applies_to_full_width_forms() {
    assert_eq!(domain("example．dk").ascii(), "example.dk");
    assert_eq!(domain("ｅｘａｍｐｌｅ。dk").ascii(), "example.dk");
}

#[test]
fn labels_are_listed_left_to_right() {
    let d = domain("Mail.København.DK");
    assert_eq!(d.labels().collect::<Vec<_>>(), ["mail", "xn--kbenhavn-54a", "dk"]);
    assert_eq!(d.unicode_labels().collect::<Vec<_>>(), ["mail", "københavn", "dk"]);
    assert_eq!(d.labels().next_back(), Some("dk"));
}

#[test]
fn registrable_domain_and_public_suffix_follow_the_public_suffix_list() {
    let cases: [(&str, Option<&str>, &str); 10] = [
        ("a.b.example.co.uk", Some("example.co.uk"), "co.uk"),
        ("fredericia.dk.evil.com", Some("evil.com"), "com"),
        ("kk.dk", Some("kk.dk"), "dk"),
        ("mail.fredericia.dk", Some("fredericia.dk"), "dk"),
        ("København.dk", Some("xn--kbenhavn-54a.dk"), "dk"),
        ("co.uk", None, "co.uk"),
        ("sub.domain.example.dk", Some("example.dk"), "dk"),
        ("1500111.профи-инвест.рф", Some("xn----dtbjjb4adhjrlq.xn--p1ai"), "xn--p1ai"),
        // A TLD missing from the list: the default rule makes the last label the suffix.
        ("my-domain.thisisminekthx", Some("my-domain.thisisminekthx"), "thisisminekthx"),
        ("a.b.example.tld", Some("example.tld"), "tld"),
    ];
    for (input, registrable, suffix) in cases {
        let d = domain(input);
        assert_eq!(d.registrable(), registrable, "registrable of {input}");
        assert_eq!(d.public_suffix(), suffix, "public suffix of {input}");
        assert_eq!(d.is_registrable(), registrable == Some(d.ascii()), "is_registrable of {input}");
    }
}

#[test]
fn each_rule_refuses_its_examples() {
    use DomainError as E;
    let long_label = "a".repeat(64);
    let long_domain = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
    assert_eq!(long_domain.len(), 253);
    let too_long = format!("{long_domain}a");
    let cases: Vec<(&str, DomainError)> = vec![
        ("", E::Empty),
        ("fredericia.dk.", E::TrailingDot),
        ("fredericia.dk。", E::TrailingDot),
        (".fredericia.dk", E::EmptyLabel),
        ("fredericia..dk", E::EmptyLabel),
        (&long_label, E::LabelTooLong),
        (&too_long, E::TooLong),
        ("exa_mple.dk", E::InvalidCharacter),
        ("example,dk.dk", E::InvalidCharacter),
        ("exa mple.dk", E::InvalidCharacter),
        ("exa\tmple.dk", E::InvalidCharacter),
        ("exa\u{200B}mple.dk", E::InvisibleCharacter),
        ("exa\u{00AD}mple.dk", E::InvisibleCharacter),
        ("-example.dk", E::HyphenAtEdge),
        ("example-.dk", E::HyphenAtEdge),
        ("ex--ample.dk", E::ReservedHyphens),
        ("xn--example.com", E::InvalidALabel),
        ("xn--zz.dk", E::InvalidALabel),
        ("xn--ls8h.la", E::InvalidALabel),
        ("xn--abc-.dk", E::InvalidALabel),
        ("xn--r-4ia8b.dk", E::InvalidALabel),
        ("XN--0.DK", E::InvalidALabel),
        ("💩.la", E::InvalidIdn),
        ("⒈example.com", E::InvalidIdn),
        ("localhost", E::SingleLabel),
        ("dk", E::SingleLabel),
        ("example.d", E::InvalidTld),
        ("example.123", E::InvalidTld),
        ("example.co-uk", E::InvalidTld),
        ("192.168.0.1", E::IpAddress),
        ("[192.168.0.1]", E::IpAddress),
        ("skranke.test", E::SpecialUseTld),
        ("www.example", E::SpecialUseTld),
        ("foo.invalid", E::SpecialUseTld),
        ("localhost.localhost", E::SpecialUseTld),
        ("printer.local", E::SpecialUseTld),
        ("abc.onion", E::SpecialUseTld),
        ("1.0.0.127.in-addr.arpa", E::SpecialUseTld),
        ("host.internal", E::SpecialUseTld),
        ("x.alt", E::SpecialUseTld),
        ("FOO.TEST", E::SpecialUseTld),
    ];
    for (input, expected) in cases {
        assert_eq!(Domain::parse(input), Err(expected), "{input:?}");
    }
}

#[test]
fn limits_are_inclusive() {
    let label = "a".repeat(63);
    assert!(Domain::parse(&format!("{label}.dk")).is_ok());
    let longest = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
    assert_eq!(domain(&longest).ascii().len(), 253);
    assert!(Domain::parse("e.com").is_ok());
    assert!(Domain::parse("c--n.com").is_ok());
    assert!(Domain::parse("123.example.dk").is_ok());
}

#[test]
fn example_com_style_domains_are_valid_syntax() {
    // Only the TLD `.example` is special-use; example.com/.org/.net are ordinary names.
    for input in ["example.com", "example.org", "example.net", "example.co.uk"] {
        assert!(Domain::parse(input).is_ok(), "{input}");
    }
}

#[test]
fn serde_uses_the_ascii_form_and_validates() {
    let d = domain("København.dk");
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(json, "\"xn--kbenhavn-54a.dk\"");
    assert_eq!(serde_json::from_str::<Domain>(&json).unwrap(), d);
    assert!(serde_json::from_str::<Domain>("\"fredericia.dk.\"").is_err());
}

fn fredericia() -> OwnDomains {
    OwnDomains::new(["fredericia.dk"], ["mail.fredericia.dk"]).unwrap()
}

#[test]
fn rs10_own_domains_are_exact_registrable_or_listed_subdomains() {
    let own = fredericia();
    for accepted in ["fredericia.dk", "FREDERICIA.DK", "mail.fredericia.dk", "Mail.Fredericia.Dk"] {
        assert!(own.contains(&domain(accepted)), "{accepted} should be own");
    }
    let refused = [
        "fredericia.dk.evil.com", // the own name as a subdomain of someone else's
        "fred.dk",                // the 2017–2019 truncation
        "fredericia.com",         // TLD swap
        "fredericiа.dk",          // Cyrillic а (U+0430)
        "xn--frederici-8yh.dk",   // the same lookalike as an A-label
        "fredericiakommune.dk",   // compound
        "x.fredericia.dk",        // subdomain not listed
        "mail.mail.fredericia.dk",
        "mail.fredericia.dk.evil.com",
        "fredericia.dk.dk",
        "frederica.dk",
    ];
    for input in refused {
        assert!(!own.contains(&domain(input)), "{input} must not be own");
    }
    // A trailing dot never becomes a Domain at all.
    assert_eq!(Domain::parse("fredericia.dk."), Err(DomainError::TrailingDot));
}

#[test]
fn rs10_idn_own_domains_match_in_either_form() {
    let own = OwnDomains::new(["københavn.dk", "kk.dk"], ["post-københavn.kk.dk"]).unwrap();
    assert!(own.contains(&domain("xn--kbenhavn-54a.dk")));
    assert!(own.contains(&domain("KØBENHAVN.DK")));
    assert!(own.contains(&domain("kk.dk")));
    assert!(own.contains(&domain("POST-KØBENHAVN.kk.dk")));
    assert!(!own.contains(&domain("post.kk.dk")));
    assert!(!own.contains(&domain("kobenhavn.dk")));
    assert!(!own.contains(&domain("kk.dk.evil.com")));
}

#[test]
fn rs10_configuration_errors() {
    let subdomain_as_registrable = OwnDomains::new(["mail.fredericia.dk"], [] as [&str; 0]);
    assert_eq!(
        subdomain_as_registrable,
        Err(OwnDomainsError::NotRegistrable {
            entry: "mail.fredericia.dk".into(),
            registrable: Some("fredericia.dk".into())
        })
    );
    assert_eq!(
        OwnDomains::new(["co.uk"], [] as [&str; 0]),
        Err(OwnDomainsError::NotRegistrable { entry: "co.uk".into(), registrable: None })
    );
    assert_eq!(
        OwnDomains::new(["fredericia.dk."], [] as [&str; 0]),
        Err(OwnDomainsError::Invalid { entry: "fredericia.dk.".into(), error: DomainError::TrailingDot })
    );
    for outside in ["mail.vejle.dk", "fredericia.dk", "fredericia.dk.evil.com"] {
        assert_eq!(
            OwnDomains::new(["fredericia.dk"], [outside]),
            Err(OwnDomainsError::SubdomainOutside { entry: outside.into() }),
            "{outside}"
        );
    }
}

#[test]
fn rs10_empty_set_contains_nothing() {
    let own = OwnDomains::new([] as [&str; 0], [] as [&str; 0]).unwrap();
    assert!(!own.contains(&domain("fredericia.dk")));
    assert_eq!(own.registrable_domains().count(), 0);
}

#[test]
fn own_domains_accessors_and_debug() {
    let own = fredericia();
    assert_eq!(own.registrable_domains().map(Domain::ascii).collect::<Vec<_>>(), ["fredericia.dk"]);
    assert_eq!(own.subdomains().map(Domain::ascii).collect::<Vec<_>>(), ["mail.fredericia.dk"]);
    assert_eq!(
        format!("{own:?}"),
        r#"OwnDomains { registrable: ["fredericia.dk"], subdomains: ["mail.fredericia.dk"] }"#
    );
}
