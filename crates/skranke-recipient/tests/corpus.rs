//! Every row of `shared/corpora/email-syntax.tsv` (RS-12) gets its `expected` verdict from
//! [`EmailAddress::parse`]. The corpus sits beside the repository (`../shared/corpora`), on every
//! machine and in CI.

// Test helpers outside `#[test]` functions: panicking with the row is the point.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use skranke_recipient::address::EmailAddress;

/// Rows in the corpus (README: 679 cases, 84 valid, 595 invalid).
const ROWS: usize = 679;
const VALID_ROWS: usize = 84;

fn corpus_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/email-syntax.tsv")
}

struct Row {
    line: usize,
    address: String,
    expected_valid: bool,
    reason: String,
}

fn read_corpus() -> Vec<Row> {
    let path = corpus_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the address corpus at {}: {error}. The repository must sit beside `shared/` \
             (…/main and …/shared/corpora/email-syntax.tsv).",
            path.display()
        )
    });
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().expect("the corpus has a header line");
    let columns: Vec<&str> = header.split('\t').collect();
    assert_eq!(columns.get(..3), Some(&["address_json", "expected", "reason"][..]), "unexpected header: {header}");
    lines
        .filter(|(_, line)| !line.is_empty())
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(fields.len() >= 3, "line {}: fewer than 3 columns: {line:?}", index + 1);
            let address: String = serde_json::from_str(fields[0])
                .unwrap_or_else(|error| panic!("line {}: address_json is not a JSON string: {error}", index + 1));
            let expected_valid = match fields[1] {
                "valid" => true,
                "invalid" => false,
                other => panic!("line {}: expected is {other:?}, not valid/invalid", index + 1),
            };
            Row { line: index + 1, address, expected_valid, reason: fields[2].to_owned() }
        })
        .collect()
}

#[test]
fn every_corpus_row_gets_its_expected_verdict() {
    let rows = read_corpus();
    assert_eq!(rows.len(), ROWS, "the corpus should have {ROWS} rows");
    assert_eq!(rows.iter().filter(|row| row.expected_valid).count(), VALID_ROWS);

    let mismatches: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let result = EmailAddress::parse(&row.address);
            (result.is_ok() != row.expected_valid).then(|| {
                let got = match &result {
                    Ok(address) => format!("valid ({address})"),
                    Err(error) => format!("invalid ({})", error.code()),
                };
                format!(
                    "  line {}: {:?}: expected {}, got {got}; reason: {}",
                    row.line,
                    row.address,
                    if row.expected_valid { "valid" } else { "invalid" },
                    row.reason
                )
            })
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} corpus rows get the wrong verdict:\n{}",
        mismatches.len(),
        rows.len(),
        mismatches.join("\n")
    );
}

#[test]
fn accepted_corpus_addresses_round_trip() {
    for row in read_corpus().iter().filter(|row| row.expected_valid) {
        let Ok(address) = EmailAddress::parse(&row.address) else { continue };
        assert_eq!(EmailAddress::parse(&address.to_string()).as_ref(), Ok(&address), "line {}", row.line);
        assert_eq!(EmailAddress::parse(&address.to_unicode_string()).as_ref(), Ok(&address), "line {}", row.line);
    }
}
