//! Recall: 10,000 generated valid-date numbers, with and without modulus 11, in every separator form,
//! inside Danish sentences, must all be found at `Medium` or above.

use super::super::{Confidence, CprNumber, contains_cpr, find_cpr};
use super::{Rng, random_number};

/// Sentences a citizen or a clerk might write around a CPR number; `{}` is the number.
const SENTENCES: &[&str] = &[
    "{}",
    "Hej, mit cpr-nummer er {}. Venlig hilsen Åse",
    "Borger: Søren Ærø, {}, ønsker en tid hos Ydelser.",
    "Vedr. {} – se vedhæftede fil.",
    "Personnummer:{}",
    "Jeg har glemt min kode, mit personnr. er {}\nMvh. Bjørn",
    "Barnets CPR ({}) mangler på ansøgningen.",
    "«{}»",
    "Kan I flytte min tid? Mit nummer er {} og jeg bor i Fredericia.",
    "Sagen om {} er nu afsluttet.",
    "CPR-NR.: {}\nNavn: Ærlige Ølstrup",
    "{} har bestilt tid torsdag.",
    "Ægtefællens oplysninger:\n\t{}\n",
    "Her er det: {}!",
    "Personal identity number: {}",
    "Husk at medbringe sygesikringskort; nummeret {} står på det.",
    "Barn 1: {}, barn 2 følger.",
    "Fødselsdag og løbenummer: {}.",
];

/// Separators: dash, none, space, and what word processors substitute (no-break space, en dash,
/// non-breaking hyphen).
const SEPARATORS: &[&str] = &["-", "", " ", "\u{a0}", "\u{2013}", "\u{2011}"];

#[test]
fn cpr_recall_on_10000_generated_numbers_is_100_percent() {
    let mut rng = Rng::new(0x5EED_C0DE);
    let (mut total, mut found, mut high, mut with_mod11) = (0usize, 0usize, 0usize, 0usize);
    let mut missed = Vec::new();
    for i in 0..10_000 {
        let sep = SEPARATORS[i % SEPARATORS.len()];
        let mod11 = i % 2 == 0;
        let (n, date) = random_number(&mut rng, sep, mod11);
        let parsed = CprNumber::parse(&n).unwrap();
        assert_eq!(parsed.birth_date(), date, "century rule");
        assert_eq!(parsed.passes_modulus_11(), mod11);
        let text = rng.pick(SENTENCES).replace("{}", &n);
        total += 1;
        with_mod11 += usize::from(mod11);
        let matches = find_cpr(&text);
        let hit = matches.iter().find(|m| text[m.start..m.end] == n && m.confidence >= Confidence::Medium);
        match hit {
            Some(m) if contains_cpr(&text) => {
                found += 1;
                high += usize::from(m.confidence == Confidence::High);
                assert_eq!(m.modulus_11, mod11);
            }
            _ => missed.push(text),
        }
    }
    println!(
        "cpr recall: {found}/{total} found at Medium+ ({:.2} %), {high} at High; {with_mod11} with modulus 11",
        100.0 * found as f64 / total as f64
    );
    assert!(missed.is_empty(), "{} missed, e.g. {:?}", missed.len(), &missed[..missed.len().min(5)]);
}
