//! Recall, false positives and suggestion accuracy of `lookalike` and `suggest` on the corpora in
//! `corpora/` (RS-12). Regenerate the generated rows with
//! `cargo run -p skranke-recipient --example gen_corpora`; hand rows are kept.
//!
//! Prints the per-class table (`cargo test -p skranke-recipient --test lookalike_corpus -- --nocapture`).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use skranke_recipient::judge::Checker;
use skranke_recipient::lookalike::{Class, ProtectedSet, Verdict, known};
use skranke_recipient::suggest::suggest;

fn rows(file: &str) -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpora").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 { 100.0 } else { 100.0 * part as f64 / whole as f64 }
}

#[derive(Default)]
struct Tally {
    rows: usize,
    detected: usize,
    same_class: usize,
    same_target: usize,
}

#[test]
fn lookalike_recall_and_false_positives() {
    let set = ProtectedSet::builtin();
    let mut by_class: BTreeMap<String, Tally> = BTreeMap::new();
    let mut missed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut other_class: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut hand_rows, mut hand_detected) = (0, 0);
    for row in rows("lookalikes.tsv") {
        let [domain, expected, resembles, source] = &row[..] else { panic!("bad row {row:?}") };
        assert!(Class::from_name(expected).is_some(), "unknown class {expected}");
        let tally = by_class.entry(expected.clone()).or_default();
        tally.rows += 1;
        hand_rows += usize::from(source == "hand");
        match set.check(domain) {
            Verdict::Lookalike { class, resembles: got } => {
                tally.detected += 1;
                hand_detected += usize::from(source == "hand");
                if class.as_str() != expected {
                    other_class.entry(expected.clone()).or_default().push(format!("{domain} → {class} {got}"));
                }
                tally.same_class += usize::from(class.as_str() == expected);
                tally.same_target += usize::from(&got == resembles);
            }
            other => missed.entry(expected.clone()).or_default().push(format!("{domain} ({source}): {other:?}")),
        }
    }
    println!("\n| class | rows | detected | recall | same class | same target |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut total = Tally::default();
    for (class, t) in &by_class {
        println!(
            "| {class} | {} | {} | {:.2} % | {:.1} % | {:.1} % |",
            t.rows,
            t.detected,
            percent(t.detected, t.rows),
            percent(t.same_class, t.rows),
            percent(t.same_target, t.rows)
        );
        total.rows += t.rows;
        total.detected += t.detected;
        total.same_class += t.same_class;
        total.same_target += t.same_target;
    }
    let recall = percent(total.detected, total.rows);
    println!(
        "| **all** | {} | {} | {recall:.2} % | {:.1} % | {:.1} % |",
        total.rows,
        total.detected,
        percent(total.same_class, total.rows),
        percent(total.same_target, total.rows)
    );
    println!(
        "| hand-made rows only | {hand_rows} | {hand_detected} | {:.2} % | | |",
        percent(hand_detected, hand_rows)
    );
    for (class, lines) in &other_class {
        println!(
            "other class for {class} ({}): {}",
            lines.len(),
            lines.iter().take(8).cloned().collect::<Vec<_>>().join("; ")
        );
    }
    for (class, lines) in &missed {
        println!("missed {class} ({}): {}", lines.len(), lines.iter().take(12).cloned().collect::<Vec<_>>().join("; "));
    }

    // False positives: known real organisations and ordinary domains.
    let mut kinds: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for row in rows("negatives.tsv") {
        let [domain, kind, _, _] = &row[..] else { panic!("bad row {row:?}") };
        let entry = kinds.entry(kind.clone()).or_default();
        entry.0 += 1;
        if let Verdict::Lookalike { class, resembles } = set.check(domain) {
            entry.1.push(format!("{domain} → {class} {resembles}"));
        }
    }
    // What the rules alone would say about the well-known organisations (no exemption).
    let mut unexempted = Vec::new();
    for domain in known::WELL_KNOWN {
        if let Verdict::Lookalike { class, resembles } = set.check_without_exemption(domain) {
            unexempted.push(format!("{domain} → {class} {resembles}"));
        }
    }
    println!("\n| negatives | rows | flagged | false-positive rate |");
    println!("|---|---:|---:|---:|");
    for (kind, (n, flagged)) in &kinds {
        println!("| {kind} | {n} | {} | {:.2} % |", flagged.len(), percent(flagged.len(), *n));
    }
    println!(
        "| well-known, rules without the exemption | {} | {} | {:.2} % |",
        known::WELL_KNOWN.len(),
        unexempted.len(),
        percent(unexempted.len(), known::WELL_KNOWN.len())
    );
    for line in kinds.values().flat_map(|(_, f)| f).chain(&unexempted) {
        println!("flagged: {line}");
    }

    for class in ["truncation", "homoglyph"] {
        let t = &by_class[class];
        assert_eq!(t.detected, t.rows, "every {class} must be caught");
    }
    assert!(recall >= 99.0, "overall recall {recall:.2} % < 99 %");
    let (real, real_flagged) = &kinds["real"];
    let real_rate = percent(real_flagged.len(), *real);
    assert!(real_rate <= 0.5, "false positives on real organisations {real_rate:.2} % > 0.5 %");
    let (ordinary, ordinary_flagged) = &kinds["ordinary"];
    let ordinary_rate = percent(ordinary_flagged.len(), *ordinary);
    assert!(ordinary_rate <= 5.0, "false positives on ordinary domains {ordinary_rate:.2} % > 5 %");
}

/// Typo suggestions two ways: `suggest` on the domain, and the suggestion column of the verdict
/// the CLI and the API give for `person@domain` (which also covers invalid addresses such as
/// `person@gmailcom`).
#[test]
fn typo_suggestions() {
    let checker = Checker::new(&[] as &[&str], &[]).unwrap();
    let by_verdict = |typed: &str| {
        let j = checker.judge(&format!("person@{typed}"));
        j.suggestion().strip_prefix("person@").map(str::to_owned)
    };
    type Suggester<'a> = &'a dyn Fn(&str) -> Option<String>;
    let ways: [(&str, Suggester<'_>); 2] = [("suggest()", &suggest), ("verdict", &by_verdict)];
    println!("\n| suggestions | way | rows | result |");
    println!("|---|---|---:|---:|");
    for (way, suggester) in ways {
        let (mut typos, mut right, mut wrong) = (0, 0, Vec::new());
        let (mut correct, mut suggested) = (0, Vec::new());
        for row in rows("typos.tsv") {
            let [typed, expected, _] = &row[..] else { panic!("bad row {row:?}") };
            let got = suggester(typed);
            if expected.is_empty() {
                correct += 1;
                if let Some(got) = got {
                    suggested.push(format!("{typed} → {got}"));
                }
            } else {
                typos += 1;
                if got.as_deref() == Some(expected.as_str()) {
                    right += 1;
                } else {
                    wrong.push(format!("{typed}: expected {expected}, got {got:?}"));
                }
            }
        }
        let accuracy = percent(right, typos);
        let noise = percent(suggested.len(), correct);
        println!("| typos with the intended domain suggested | {way} | {typos} | {accuracy:.2} % |");
        println!("| correct domains given a suggestion | {way} | {correct} | {noise:.2} % |");
        for line in wrong.iter().chain(&suggested).take(30) {
            println!("{way}: {line}");
        }
        assert!(accuracy >= 97.0, "{way}: typo suggestions right {accuracy:.2} % < 97 %");
        assert!(noise <= 1.0, "{way}: suggestions on correct domains {noise:.2} % > 1 %");
    }
}
