//! `skranke address check`: judges one address per input line and writes one line per input
//! line, in order. A stable contract (acceptance tests use it):
//!
//! TSV: `input<TAB>verdict<TAB>suggestion<TAB>detail`, verdict `invalid | internal | lookalike | ok`.
//! JSON: one object per line with the same fields plus the Danish and English messages.
//!
//! Tabs, backslashes and other control characters in the input column are escaped (`\t`, `\\`,
//! `\u{…}`) so every output line has exactly four columns. A line that is not UTF-8 is judged
//! `invalid` with the rule `not_utf8`.

use std::io::{self, BufRead, Write};

use serde::Serialize;
use skranke_recipient::judge::{Checker, Judgement};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Tsv,
    Json,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    input: &'a str,
    verdict: &'a str,
    suggestion: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_da: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_en: Option<&'a str>,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn write_one(out: &mut impl Write, format: Format, input: &str, j: &Judgement) -> io::Result<()> {
    let detail = j.detail();
    match format {
        Format::Tsv => writeln!(out, "{}\t{}\t{}\t{}", escape(input), j.verdict(), j.suggestion(), detail),
        Format::Json => {
            let (message_da, message_en) = match j {
                Judgement::Invalid { message_da, message_en, .. } => (Some(*message_da), Some(*message_en)),
                _ => (None, None),
            };
            let line = JsonLine {
                input,
                verdict: j.verdict(),
                suggestion: j.suggestion(),
                detail: &detail,
                message_da,
                message_en,
            };
            serde_json::to_writer(&mut *out, &line).map_err(io::Error::other)?;
            out.write_all(b"\n")
        }
    }
}

/// Judges every line of `input` into `out`.
pub fn check_lines(checker: &Checker, input: impl BufRead, out: &mut impl Write, format: Format) -> io::Result<u64> {
    let mut n = 0;
    for raw in input.split(b'\n') {
        let mut raw = raw?;
        if raw.last() == Some(&b'\r') {
            raw.pop();
        }
        match std::str::from_utf8(&raw) {
            Ok(line) => write_one(out, format, line, &checker.judge(line))?,
            Err(_) => {
                let lossy = String::from_utf8_lossy(&raw);
                let j = Judgement::Invalid {
                    rule: "not_utf8",
                    message_da: "Linjen er ikke gyldig UTF-8.",
                    message_en: "The line is not valid UTF-8.",
                    suggestion: String::new(),
                };
                write_one(out, format, &lossy, &j)?;
            }
        }
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_out_per_line_in() {
        let checker = Checker::new(&["fredericia.dk"], &[] as &[&str]).unwrap();
        let input: &[u8] =
            b"a@fredericia.dk\nb@fred.dk\r\nnot an address\n\xff\xfe@x.dk\nc\td@gmail.com\njens@gmail.com";
        let mut out = Vec::new();
        let n = check_lines(&checker, input, &mut out, Format::Tsv).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(n, 6);
        assert_eq!(lines.len(), 6);
        assert!(lines.iter().all(|l| l.len() == 4), "{text}");
        assert_eq!(lines[0][1], "internal");
        assert_eq!((lines[1][1], lines[1][2]), ("lookalike", "b@fredericia.dk"));
        assert_eq!(lines[2][1], "invalid");
        assert_eq!((lines[3][1], lines[3][3]), ("invalid", "not_utf8"));
        assert_eq!((lines[4][0], lines[4][1]), ("c\\td@gmail.com", "invalid"));
        assert_eq!((lines[5][1], lines[5][2]), ("ok", ""));
    }

    #[test]
    fn json_lines() {
        let checker = Checker::new(&["fredericia.dk"], &[] as &[&str]).unwrap();
        let mut out = Vec::new();
        check_lines(&checker, &b"x@@y.dk\nb@fred.dk\n"[..], &mut out, Format::Json).unwrap();
        let rows: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows[0]["verdict"], "invalid");
        assert!(rows[0]["message_da"].as_str().unwrap().len() > 3);
        assert_eq!(rows[1]["suggestion"], "b@fredericia.dk");
    }
}
