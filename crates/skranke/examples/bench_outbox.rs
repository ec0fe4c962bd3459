//! Drains an outbox of N staff notices to an SMTP relay, for `bench/outbox-smtp.sh` (issue 6's
//! speed target: the outbox against Postfix's `smtp-sink`, beside `smtp-source`).
//!
//! Seeds a fresh SQLite file in a temporary directory: one organisation (`eksempelkommune.dk`), a
//! centre, a queue and the queue's verified shared mailbox, then N pending `visit_transferred`
//! messages to it (content-free staff notices, data class "operational", so the gate lets them
//! through a relay without TLS). Then runs `Worker::tick` until the outbox is drained, timing only
//! the drain, and checks through the store that all N were sent.
//!
//!     cargo run --release -p skranke --example bench_outbox -- --port 2525 --messages 2000
//!     cargo run --release -p skranke --example bench_outbox -- --port 2526 --messages 500 \
//!         --tls --extra-ca /tmp/certs/ca.pem
//!
//! Options: `--host H` (default 127.0.0.1, or localhost with `--tls`: the name the certificate is
//! checked against), `--batch B` (the worker's claim size, default as in production),
//! `--smtp-only` (no database: the same rendered message sent N times through the same
//! `SmtpSender`, as many at once as the worker sends, the floor of the SMTP side), `--dev-mailbox` (the whole worker, but delivering
//! into the database instead of over SMTP: the database side alone).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use futures_util::StreamExt as _;
use skranke::app::{App, AppSettings};
use skranke::clock::{Clock, SystemClock};
use skranke::i18n::Lang;
use skranke::mail::smtp::{Security, SmtpConfig, SmtpSender};
use skranke::mail::{MailPayload, SEND_AT_ONCE, TransferFacts, Transport, Worker, WorkerSettings, render};
use skranke::store::{
    AddressCode, AnyStore, Centre, NewAddress, NewMessage, Organisation, Owner, OwnerKind, Queue, Store,
};
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::{AddressId, CentreId, MessageId, OrganisationId, QueueId, VisitId};
use skranke_core::secret::ConfirmationCode;

const DOMAIN: &str = "eksempelkommune.dk";
const MAILBOX: &str = "borgerservice@eksempelkommune.dk";

struct Args {
    host: Option<String>,
    port: u16,
    messages: usize,
    tls: bool,
    extra_ca: Option<PathBuf>,
    batch: Option<u32>,
    smtp_only: bool,
    dev_mailbox: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        host: None,
        port: 0,
        messages: 2000,
        tls: false,
        extra_ca: None,
        batch: None,
        smtp_only: false,
        dev_mailbox: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--host" => a.host = Some(value()?),
            "--port" => a.port = value()?.parse().context("--port")?,
            "--messages" => a.messages = value()?.parse().context("--messages")?,
            "--tls" => a.tls = true,
            "--extra-ca" => a.extra_ca = Some(value()?.into()),
            "--batch" => a.batch = Some(value()?.parse().context("--batch")?),
            "--smtp-only" => a.smtp_only = true,
            "--dev-mailbox" => a.dev_mailbox = true,
            other => bail!(
                "unknown argument {other:?}; usage: bench_outbox --port P --messages N [--tls] [--extra-ca PATH] \
                 [--host H] [--batch B] [--smtp-only | --dev-mailbox]"
            ),
        }
    }
    if a.port == 0 && !a.dev_mailbox {
        bail!("--port is required");
    }
    Ok(a)
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::fill(&mut b);
    b
}

/// A `visit_transferred` notice for the queue's shared mailbox, as the router writes it.
fn payload(queue: &str, centre: &str, at: jiff::Timestamp, centre_id: CentreId) -> MailPayload {
    MailPayload::VisitTransferred(TransferFacts {
        visit: VisitId::from_random_bytes(random()),
        queue_name: queue.into(),
        centre_name: centre.into(),
        at: at.to_string(),
        timezone: "Europe/Copenhagen".into(),
        link: format!("http://127.0.0.1:8080/staff/centres/{centre_id}/desk"),
    })
}

/// One organisation, centre and queue, the queue's verified shared mailbox, and `n` pending
/// notices to it. The notices are written in the transaction that opens the mailbox's code (as
/// `open_address_code` takes messages), then the code is consumed, as an administrator would.
async fn seed(store: &AnyStore, now: jiff::Timestamp, n: usize) -> anyhow::Result<()> {
    let org = Organisation {
        id: OrganisationId::from_random_bytes(random()),
        name: "Eksempel Kommune".into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec![DOMAIN.into()],
    };
    store.create_organisation(&org).await?;
    let hours = WeeklyHours::weekdays(&[TimeRange::parse("09:00-15:00").map_err(|e| anyhow::anyhow!("{e}"))?])
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let centre = Centre {
        id: CentreId::from_random_bytes(random()),
        organisation_id: org.id,
        name: "Borgerservice Eksempelby".into(),
        address: "Torvet 1, 9999 Eksempelby".into(),
        opening_hours: hours,
        closed_days: ClosedDays::default(),
    };
    store.create_centre(&centre).await?;
    let queue = Queue {
        id: QueueId::from_random_bytes(random()),
        centre_id: centre.id,
        name_da: "Borgerservice".into(),
        name_en: "Citizen service".into(),
        prefix: "B".into(),
    };
    store.create_queue(&queue).await?;

    let (address, registrable) = skranke::store::normalise_address(MAILBOX);
    let id = AddressId::from_random_bytes(random());
    let new = NewAddress {
        id,
        organisation: org.id,
        owner: Owner::new(OwnerKind::Queue, queue.id.as_uuid()),
        address: address.clone(),
        registrable_domain: registrable,
        flag_reason: None,
        created_by: None,
        created_at: now,
    };
    store.put_address(&new, &[]).await?;

    let mut messages = Vec::with_capacity(n);
    for _ in 0..n {
        let p = payload(&queue.name_da, &centre.name, now, centre.id);
        messages.push(NewMessage {
            id: MessageId::from_random_bytes(random()),
            appointment_id: None,
            template: p.template().to_owned(),
            recipient: address.clone(),
            language: Lang::Da,
            payload: serde_json::to_string(&p)?,
            organisation_id: Some(org.id),
            address_id: Some(id),
            purpose: p.purpose(),
        });
    }
    let hash = ConfirmationCode::from_random(u32::from_le_bytes(random())).hash(&format!("bench:{id}"));
    let code = AddressCode {
        address: id,
        code_hash: hash.clone(),
        requested_by: None,
        created_at: now,
        expires_at: now.checked_add(jiff::SignedDuration::from_mins(30))?,
        attempts: 0,
    };
    store.open_address_code(&code, &messages, &[]).await?;
    let expires = now.checked_add(skranke::store::VERIFICATION_VALIDITY)?;
    store.verify_address(id, &hash, None, now, expires, &[]).await?;
    Ok(())
}

fn count(counts: &[(String, i64)], status: &str) -> i64 {
    counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n)
}

fn report(label: &str, n: usize, secs: f64, sent: i64, held: i64) {
    let rate = n as f64 / secs;
    println!("{label}: {n} messages in {secs:.3} s = {rate:.0} msg/s (sent {sent}, held {held})");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let n = args.messages;
    let config = SmtpConfig {
        host: args.host.clone().unwrap_or_else(|| if args.tls { "localhost" } else { "127.0.0.1" }.into()),
        port: args.port,
        security: if args.tls { Security::Starttls } else { Security::None },
        extra_ca: args.extra_ca.clone(),
        from: format!("skranke@{DOMAIN}"),
        hello_name: "skranke.bench".into(),
        timeout_secs: 10,
    };
    let sender = SmtpSender::new(&config)?;

    if args.smtp_only {
        // The SMTP side alone: no database, one rendered notice sent N times, as many at once as
        // the worker sends.
        let p = payload(
            "Borgerservice",
            "Borgerservice Eksempelby",
            SystemClock.now(),
            CentreId::from_random_bytes(random()),
        );
        let rendered = render(Lang::Da, &p).context("render")?;
        // On a runtime task, as the worker is (see `run`).
        let (secs, sent) = tokio::spawn(async move {
            let start = Instant::now();
            let mut sends = futures_util::stream::iter(0..n)
                .map(|_| sender.send(MessageId::from_random_bytes(random()), MAILBOX, &rendered))
                .buffer_unordered(SEND_AT_ONCE);
            let mut sent = 0i64;
            while let Some(result) = sends.next().await {
                match result {
                    Ok(_) => sent += 1,
                    Err(e) => bail!("send failed: {e:?}"),
                }
            }
            Ok((start.elapsed().as_secs_f64(), sent))
        })
        .await??;
        report("smtp only (no database)", n, secs, sent, 0);
        return Ok(());
    }

    let dir = std::env::temp_dir().join(format!("skranke-bench-outbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&args, sender, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(args: &Args, sender: SmtpSender, dir: &std::path::Path) -> anyhow::Result<()> {
    let n = args.messages;
    let store = AnyStore::connect(&format!("sqlite://{}", dir.join("outbox.db").display())).await?;
    store.migrate().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    seed(&store, clock.now(), n).await?;
    let before = store.outbox_counts().await?;
    if usize::try_from(count(&before, "pending")).ok() != Some(n) {
        bail!("seeding left {before:?}, expected {n} pending");
    }

    let transport = if args.dev_mailbox { Transport::DevMailbox } else { Transport::Smtp(sender) };
    let defaults = WorkerSettings::default();
    let settings = WorkerSettings { transport, batch: args.batch.unwrap_or(defaults.batch), ..defaults };
    let worker = Worker::new(App::new(store.clone(), clock, AppSettings::default()), settings);

    // On a runtime task, as the server runs the worker (`tokio::spawn` in `server.rs`): driven
    // from `main`'s `block_on` instead, every wake-up crosses from a runtime thread to the main
    // thread, which is not how it runs in production.
    let secs = tokio::spawn(async move {
        let start = Instant::now();
        while worker.tick().await? != 0 {}
        Ok::<_, skranke::store::StoreError>(start.elapsed().as_secs_f64())
    })
    .await??;

    let after = store.outbox_counts().await?;
    let (sent, held) = (count(&after, "sent"), count(&after, "held"));
    let label = match (args.dev_mailbox, args.tls) {
        (true, _) => "outbox (dev mailbox, no SMTP)",
        (false, true) => "outbox (STARTTLS)",
        (false, false) => "outbox",
    };
    report(label, n, secs, sent, held);
    if usize::try_from(sent).ok() != Some(n) {
        bail!("not all sent: {after:?}");
    }
    Ok(())
}
