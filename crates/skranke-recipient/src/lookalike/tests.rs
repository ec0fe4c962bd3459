//! Unit tests of the lookalike classes; the corpus test (`tests/lookalike_corpus.rs`) measures
//! recall and false positives at scale.

use super::*;

fn set() -> ProtectedSet {
    match ProtectedSet::builtin().with_own(&["fredericia.dk"]) {
        Ok(set) => set,
        Err(error) => panic!("{error}"),
    }
}

fn class_of(domain: &str) -> Option<(Class, String)> {
    match set().check(domain) {
        Verdict::Lookalike { class, resembles } => Some((class, resembles)),
        _ => None,
    }
}

#[test]
fn every_class_has_an_example() {
    let cases = [
        ("fredrcia.dk", Class::EditDistance, "fredericia.dk"),
        ("fredwricia.dk", Class::KeyboardNeighbour, "fredericia.dk"),
        ("fredreicia.dk", Class::Transposition, "fredericia.dk"),
        ("wwwfredericia.dk", Class::MissingDot, "fredericia.dk"),
        ("fredericiadk.com", Class::MissingDot, "fredericia.dk"),
        ("fredericia.dk.evil.com", Class::ExtraLabel, "fredericia.dk"),
        ("fredericia.dk.dk", Class::ExtraLabel, "fredericia.dk"),
        ("fredericia.evil.com", Class::ExtraLabel, "fredericia.dk"),
        ("fredericia.dk.", Class::ExtraLabel, "fredericia.dk"),
        ("fredericia.com", Class::TldSwap, "fredericia.dk"),
        ("fredericia.de", Class::TldSwap, "fredericia.dk"),
        ("fredericia.dl", Class::TldTypo, "fredericia.dk"),
        ("fredericia.kd", Class::TldTypo, "fredericia.dk"),
        ("frederi-cia.dk", Class::Hyphenation, "fredericia.dk"),
        ("fredericia-kommune.dk", Class::Hyphenation, "fredericia.dk"),
        ("mail-fredericia.dk", Class::Hyphenation, "fredericia.dk"),
        ("ikastbrande.dk", Class::Hyphenation, "ikast-brande.dk"),
        ("fredericiakommune.dk", Class::Compound, "fredericia.dk"),
        ("kommunefredericia.dk", Class::Compound, "fredericia.dk"),
        ("fredericiа.dk", Class::Homoglyph, "fredericia.dk"),
        ("xn--frederici-8yh.dk", Class::Homoglyph, "fredericia.dk"),
        ("heming.dk", Class::Homoglyph, "herning.dk"),
        ("fred.dk", Class::Truncation, "fredericia.dk"),
        ("frederi.dk", Class::Truncation, "fredericia.dk"),
        ("frb.dk", Class::Abbreviation, "frederiksberg.dk"),
        ("fhavn.dk", Class::Abbreviation, "frederikshavn.dk"),
        ("fredc.dk", Class::Abbreviation, "fredericia.dk"),
        ("koebenhavn.dk", Class::NameVariant, "kk.dk"),
        ("kobenhavn.dk", Class::NameVariant, "kk.dk"),
        ("københavn.dk", Class::NameVariant, "kk.dk"),
        ("copenhagen.dk", Class::NameVariant, "kk.dk"),
        ("århus.dk", Class::NameVariant, "aarhus.dk"),
        ("køge.dk", Class::NameVariant, "koege.dk"),
        ("høje-taastrup.dk", Class::NameVariant, "htk.dk"),
        ("bornholm.dk", Class::NameVariant, "brk.dk"),
    ];
    let mut wrong = Vec::new();
    for (domain, class, resembles) in cases {
        let got = class_of(domain);
        if got != Some((class, resembles.to_owned())) {
            wrong.push(format!("{domain}: expected {class} {resembles}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn known_organisations_are_never_lookalikes() {
    let set = set();
    for domain in [
        "vejen.dk",
        "vejle.dk",
        "hotmail.dk",
        "hotmail.com",
        "frederikshavn.dk",
        "frederiksberg.dk",
        "fredericia.dk",
        "fredensborg.dk",
        "kk.dk",
        "dr.dk",
        "ku.dk",
        "brondby.com",
        "mail.tele.dk",
        "www.fredericia.dk",
    ] {
        assert!(matches!(set.check(domain), Verdict::Known { .. }), "{domain}: {:?}", set.check(domain));
    }
}

#[test]
fn unrelated_domains_are_unrelated() {
    let set = set();
    for domain in ["bageriet-aalborg.dk", "example.com", "tandlaege-odense.dk", "aalborgbageri.dk", "", "  "] {
        assert_eq!(set.check(domain), Verdict::Unrelated, "{domain}");
    }
}

#[test]
fn caller_domains_are_validated_and_protected() {
    assert_eq!(ProtectedSet::builtin().with_protected(&["ok.dk", "dk"]).err(), Some(InvalidDomain { index: 1 }));
    let set = match ProtectedSet::builtin().with_protected(&["sikkerpost.example"]) {
        Ok(set) => set,
        Err(error) => panic!("{error}"),
    };
    assert!(matches!(set.check("sikkerpst.example"), Verdict::Lookalike { .. }));
    assert!(matches!(set.check("x.sikkerpost.example"), Verdict::Known { .. }));
}

#[test]
fn verdicts_serialise() {
    let verdict = Verdict::Lookalike { class: Class::TldSwap, resembles: "fredericia.dk".into() };
    let json = serde_json::to_string(&verdict).unwrap_or_default();
    assert_eq!(json, r#"{"verdict":"lookalike","class":"tld-swap","resembles":"fredericia.dk"}"#);
    for class in Class::ALL {
        assert_eq!(Class::from_name(class.as_str()), Some(class));
    }
}

#[test]
fn a_mistyped_suffix_points_at_the_nearer_domain_of_the_brand() {
    let set = ProtectedSet::builtin();
    for (typed, meant) in [("hotmail.cm", "hotmail.com"), ("hotmail.co", "hotmail.com"), ("yahoo.cm", "yahoo.com")] {
        match set.check(typed) {
            Verdict::Lookalike { resembles, .. } => assert_eq!(resembles, meant, "{typed}"),
            other => panic!("{typed}: {other:?}"),
        }
    }
}

/// The truncation search finds a label from every proper prefix of it (from 3 bytes, at character
/// boundaries, Unicode labels included), and nothing from an absent prefix.
#[test]
fn every_proper_prefix_finds_its_label() {
    let set = match ProtectedSet::builtin().with_protected(&["københavn-test.dk", "ærøskøbing-by.dk", "ab.dk"]) {
        Ok(set) => set,
        Err(error) => panic!("{error}"),
    };
    let index = &set.index;
    let mut checked = 0;
    for (id, label) in index.labels.iter().enumerate() {
        for (at, _) in label.text.char_indices().skip(1) {
            let prefix = &label.text[..at];
            if prefix.len() < 3 {
                continue;
            }
            assert!(index.longer_with_prefix(prefix).any(|found| found as usize == id), "{prefix} of {}", label.text);
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} prefixes checked");
    assert_eq!(index.longer_with_prefix("zzqx").count(), 0);
}
