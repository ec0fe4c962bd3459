//! The policy gate: decisions per second on one core, for the messages Skranke sends (issue 6:
//! ≥ 1,000,000/s). The baseline in the same run is the CPR scan of the same texts alone, the
//! gate's largest part.
//!
//!     cargo bench -p skranke-core --bench gate
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use skranke_core::notify::*;
use skranke_recipient::address::EmailAddress;
use skranke_recipient::domain::OwnDomains;

const STAFF_SUBJECT: &str = "1 borger flyttet til Ydelser";
const STAFF_BODY: &str = "Der er flyttet 1 borger til køen Ydelser i Borgerservice Fredericia kl. 10:42.\n\n\
Se køen her (kræver log-ind):\nhttps://skranke.fredericia.dk/staff/centres/7b1e1c1e-1c1e-4c1e-8c1e-1c1e1c1e1c1e/desk\n\n\
Denne besked indeholder ingen personoplysninger. Du får den, fordi postkassen er modtager af flytninger til køen.\n";
const CITIZEN_SUBJECT: &str = "Din tid er bekræftet";
const CITIZEN_BODY: &str = "Kære borger\n\nDin tid hos Borgerservice Fredericia er bekræftet: torsdag 3. december 2026 kl. 10:30.\n\
Adresse: Gothersgade 20, 7000 Fredericia.\nBookingreference: K7F-3QX\n\n\
Du kan flytte eller aflyse tiden på https://skranke.fredericia.dk/booking/K7F-3QX med koden fra din e-mail.\n\
Ring 72 10 60 00, hvis du har spørgsmål. Husk gyldigt billedlegitimation.\n\nVenlig hilsen\nFredericia Kommune\n";

fn bench(c: &mut Criterion) {
    let policy = Policy::new(OwnDomains::new(["fredericia.dk"], ["mail.fredericia.dk"]).unwrap());
    let now: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
    let verified = AddressState::Verified {
        verified_at: "2026-01-10T08:00:00Z".parse().unwrap(),
        expires_at: "2027-01-10T08:00:00Z".parse().unwrap(),
    };
    let mailbox =
        RecipientRecord::new(Audience::SharedMailbox, EmailAddress::parse("ydelser@fredericia.dk").unwrap(), verified);
    let fred = RecipientRecord::new(Audience::SharedMailbox, EmailAddress::parse("ydelser@fred.dk").unwrap(), verified);
    let citizen = RecipientRecord::new(Audience::Citizen, EmailAddress::parse("borger@example.dk").unwrap(), verified);
    let staff_msg =
        Outgoing::new(Purpose::Notification, DataClasses::of(&[DataClass::Operational]), STAFF_SUBJECT, STAFF_BODY);
    let citizen_msg = Outgoing::new(
        Purpose::Notification,
        DataClasses::of(&[DataClass::Appointment, DataClass::BookingReference, DataClass::ServiceName]),
        CITIZEN_SUBJECT,
        CITIZEN_BODY,
    );
    // The mix Skranke sends: a staff notice and a citizen confirmation, plus the Fredericia case.
    let mix = [(&staff_msg, &mailbox), (&citizen_msg, &citizen), (&staff_msg, &fred), (&citizen_msg, &citizen)];

    let mut group = c.benchmark_group("gate");
    group.throughput(Throughput::Elements(mix.len() as u64));
    group.bench_function("baseline_cpr_scan_only", |b| {
        b.iter(|| {
            mix.iter()
                .filter(|(m, _)| {
                    skranke_recipient::cpr::contains_cpr(black_box(m.subject))
                        || skranke_recipient::cpr::contains_cpr(black_box(m.body))
                })
                .count()
        })
    });
    group.bench_function("decide_mix", |b| {
        b.iter(|| {
            mix.iter()
                .filter(|(m, r)| decide(black_box(m), black_box(r), &policy, Transport::Tls, now).is_send())
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
