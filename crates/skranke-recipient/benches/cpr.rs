//! CPR detection over a 2 KB Danish mail body, with and without a CPR number (RS-30).
//!
//!     cargo bench -p skranke-recipient --bench cpr
//!
//! Baseline in the same run: one pass counting ASCII digits over the same bytes.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skranke_recipient::cpr::{contains_cpr, find_cpr};

/// One paragraph of a typical confirmation mail: numbers everywhere, none of them a CPR number.
const PARAGRAPH: &str = "Kære borger,\n\nTak for din henvendelse til Borgerservice Fredericia. Din tid hos \
Ydelser er bekræftet til torsdag den 03-12-2026 kl. 10.15 (varighed ca. 20 min.). Din bookingreference er \
K7F-3QX. Mød op i Gothersgade 20, 7000 Fredericia, og tag et nummer ved skranken. Har du spørgsmål, kan du \
ringe på tlf. +45 72 10 70 00 mellem kl. 9.00 og 15.00, eller skrive til os via borger.dk. Husk gyldigt \
billedlegitimation og eventuelle papirer om dit boligstøttebeløb på 2.450 kr. pr. måned. ";

/// ~2 KB of mail body; with `cpr`, a synthetic number near the end (worst case for early exit).
fn body(cpr: bool) -> String {
    let mut text = String::new();
    while text.len() < 2048 - 120 {
        text.push_str(PARAGRAPH);
    }
    if cpr {
        // Synthetic: built from a date and a serial, not a real person's number.
        let (day, month, yy, serial) = (1u8, 2u8, 90u8, 4000u16);
        text.push_str(&format!("Mit personnummer er {day:02}{month:02}{yy:02}-{serial:04}. "));
    }
    while text.len() < 2048 {
        text.push_str("Med venlig hilsen ");
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("cpr_2kb_mail");
    for (name, text) in [("without_cpr", body(false)), ("with_cpr", body(true))] {
        assert_eq!(contains_cpr(&text), name == "with_cpr");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("baseline_count_digits/{name}"), |b| {
            b.iter(|| black_box(&text).bytes().filter(u8::is_ascii_digit).count())
        });
        group.bench_function(format!("contains_cpr/{name}"), |b| b.iter(|| contains_cpr(black_box(&text))));
        group.bench_function(format!("find_cpr/{name}"), |b| b.iter(|| find_cpr(black_box(&text))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
