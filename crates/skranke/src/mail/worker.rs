//! The outbox worker: claims due messages, renders and delivers them, marks the outcome.
//! Safe to run in several processes: claims are leased (SQLite) or `SKIP LOCKED` (PostgreSQL),
//! and a delivery repeated after a crash is recognised by the outbox id.

use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use jiff::SignedDuration;
use tokio::sync::watch;

use skranke_core::ids::MessageId;
use skranke_core::notify::{DataClasses, Transport as GateTransport};

use super::gate::{self, Judged, Lookups, Outcome};
use super::smtp::{Delivery, SendError};
use super::{MailPayload, Rendered, render};
use crate::app::App;
use crate::store::{DevMail, OutboxFinish, OutboxMessage, Store, StoreError};

/// Where delivered mail goes.
#[derive(Clone, Debug)]
pub enum Transport {
    /// Stored in the database and shown at `/dev/mail`; nothing leaves the machine.
    DevMailbox,
    /// A relay over SMTP (see [`super::smtp`]).
    Smtp(super::smtp::SmtpSender),
}

#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub transport: Transport,
    pub poll: Duration,
    pub lease: SignedDuration,
    pub batch: u32,
    pub max_attempts: u32,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            transport: Transport::DevMailbox,
            poll: Duration::from_millis(500),
            lease: SignedDuration::from_secs(60),
            // Claiming has a fixed cost per batch; at ~2,000 messages a second 200 take 0.1 s of
            // the 60 s lease.
            batch: 200,
            max_attempts: 8,
        }
    }
}

#[derive(Debug)]
pub struct Worker {
    app: App,
    settings: WorkerSettings,
}

impl Worker {
    pub fn new(app: App, settings: WorkerSettings) -> Self {
        Self { app, settings }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        // Retention of sign-in data runs at start and then every ten minutes, that of personal
        // data every hour; the silence check (RS-40) and the reminders every minute.
        let mut next_prune = std::time::Instant::now();
        let mut next_silence = std::time::Instant::now();
        let mut next_retention = std::time::Instant::now();
        loop {
            // Audit entries whose writer died between its commit and chaining them.
            match self.app.store.chain_audit_inbox().await {
                Ok(n) if n > 0 => tracing::info!(entries = n, "chained audit entries left unchained"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "chaining waiting audit entries failed"),
            }
            if let Err(e) = self.app.sweep_holds().await {
                tracing::warn!(error = %e, "sweeping expired holds failed");
            }
            if std::time::Instant::now() >= next_prune {
                next_prune = std::time::Instant::now() + Duration::from_secs(600);
                match crate::app::accounts::prune_sign_in_data(&self.app).await {
                    Ok(n) if n > 0 => tracing::info!(rows = n, "pruned sign-in data past its retention"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "pruning sign-in data failed"),
                }
            }
            // Retention of personal data (issue 7) every hour, in short batches.
            if std::time::Instant::now() >= next_retention {
                next_retention = std::time::Instant::now() + Duration::from_secs(3_600);
                match crate::app::retention::run(&self.app).await {
                    Ok(reports) => {
                        let total: u64 = reports.iter().map(crate::app::retention::OrgReport::total).sum();
                        if total > 0 {
                            tracing::info!(rows = total, "applied retention");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "applying retention failed"),
                }
            }
            if std::time::Instant::now() >= next_silence {
                next_silence = std::time::Instant::now() + Duration::from_secs(60);
                if let Err(e) = super::check_silence(&self.app).await {
                    tracing::warn!(error = %e, "checking for silent addresses failed");
                }
                match self.app.send_reminders().await {
                    Ok(n) if n > 0 => tracing::info!(bookings = n, "reminders written"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "writing reminders failed"),
                }
            }
            if let Err(e) = super::route_pending(&self.app).await {
                tracing::warn!(error = %e, "routing domain events failed");
            }
            match self.tick().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox worker tick failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.settings.poll) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Delivers one batch; returns how many messages it handled. Outcomes are written together
    /// (see [`Outcomes`]), not one transaction per message.
    ///
    /// Messages are judged one after another, in claim order, and those the gate lets through
    /// are sent over up to [`SEND_AT_ONCE`] relay connections at once: one connection spends most
    /// of each message waiting for the relay's four replies (MAIL, RCPT, DATA, the message), and
    /// the other connections' sends fill that wait. A bounce stops new sends until the sends
    /// under way have finished and every outcome is written, so the next message to the bounced
    /// address is judged on its new record; the sends under way were judged before the bounce
    /// was known, as they would have been had they left a moment earlier.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let store = &self.app.store;
        let now = self.app.clock.now();
        let batch = store.claim_outbox(now, self.settings.lease, self.settings.batch).await?;
        let at_once = match &self.settings.transport {
            Transport::DevMailbox => 1,
            Transport::Smtp(_) => SEND_AT_ONCE,
        };
        let mut outcomes = Outcomes::new();
        let mut flying = FuturesUnordered::new();
        let mut failed = None;
        for msg in &batch {
            let step = match self.judge(&mut outcomes.lookups, msg, prepare(msg)).await {
                Ok(step) => step,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            match step {
                Step::Done(finish) => outcomes.add(finish.map(|f| *f)),
                // Polled with this task (whenever it waits on them below), not spawned: spawned
                // sends measured no faster, each waking another thread.
                Step::Send(send) => flying.push(self.send(msg, send)),
            }
            while flying.len() >= at_once || (outcomes.bounced && !flying.is_empty()) {
                let Some(finished) = flying.next().await else { break };
                match finished {
                    Ok(finish) => outcomes.add(finish),
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
            if failed.is_some() {
                break;
            }
            if let Err(e) = outcomes.maybe_write(&self.app).await {
                failed = Some(e);
                break;
            }
        }
        // What was sent before a failure is still recorded as sent.
        while let Some(finished) = flying.next().await {
            match finished {
                Ok(finish) => outcomes.add(finish),
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        outcomes.write(&self.app).await?;
        match failed {
            Some(e) => Err(e),
            None => Ok(batch.len()),
        }
    }

    /// Judges one message: finished here (not renderable, or the gate held or blocked it), or
    /// to be sent.
    async fn judge(
        &self,
        lookups: &mut Lookups,
        msg: &OutboxMessage,
        prepared: Option<(MailPayload, Rendered)>,
    ) -> Result<Step, StoreError> {
        let now = self.app.clock.now();
        let Some((payload, rendered)) = prepared else {
            tracing::error!(message_id = %msg.id, template = %msg.template, "message cannot be rendered; held");
            let judged = Judged::held(Outcome::Hold, "render_failed", DataClasses::EMPTY);
            return gate::finish(&self.app, msg, None, &judged, now).await.map(|f| Step::Done(Some(Box::new(f))));
        };
        let transport = match &self.settings.transport {
            // The dev mailbox never leaves the database: as private as a TLS relay.
            Transport::DevMailbox => GateTransport::Tls,
            Transport::Smtp(relay) => relay.gate_transport(),
        };
        let (record, judged) = gate::judge(&self.app, lookups, msg, &payload, &rendered, transport, now).await?;
        let judged = judged.with_subjects(payload.subjects());
        if judged.outcome != Outcome::Send {
            tracing::warn!(message_id = %msg.id, template = %msg.template, reason = judged.reason, "message not sent");
            return gate::finish(&self.app, msg, record.as_ref(), &judged, now)
                .await
                .map(|f| Step::Done(Some(Box::new(f))));
        }
        Ok(Step::Send(Box::new(ToSend { payload, rendered, record, judged })))
    }

    /// Sends one message the gate let through; returns the outcome to write, or `None` when it
    /// was put back for a later attempt (written at once).
    async fn send(&self, msg: &OutboxMessage, send: Box<ToSend>) -> Result<Option<OutboxFinish>, StoreError> {
        let ToSend { payload, rendered, record, judged } = *send;
        let now = self.app.clock.now();
        let classes = payload.classes();
        let record = record.as_ref();
        let finish = |judged: Judged| async move { gate::finish(&self.app, msg, record, &judged, now).await };
        let outcome = match &self.settings.transport {
            Transport::DevMailbox => self
                .app
                .store
                .deliver_dev_mail(&DevMail {
                    outbox_id: msg.id,
                    recipient: msg.recipient.clone(),
                    subject: rendered.subject,
                    body_text: rendered.text,
                    delivered_at: now,
                })
                .await
                .map(|()| Delivery::local())
                .map_err(|e| SendError::Transient(e.to_string())),
            Transport::Smtp(relay) => {
                // The record's address, as proven; the row's copy is only what was written then.
                let to = record.map_or(msg.recipient.as_str(), |r| r.address.as_str());
                relay.send(msg.id, to, &rendered).await
            }
        };
        let held = |reason| Judged::held(Outcome::Hold, reason, classes).with_subjects(payload.subjects());
        match outcome {
            Ok(delivery) => {
                tracing::info!(message_id = %msg.id, template = %msg.template, "message delivered");
                finish(judged.with_transport(delivery)).await.map(Some)
            }
            // RS-20: no TLS, no message; held with an alert, never sent in plaintext.
            Err(SendError::Tls(e)) => {
                tracing::warn!(message_id = %msg.id, error = %e, "no TLS to the relay; message held");
                finish(held("tls_unavailable")).await.map(Some)
            }
            // RS-41: a refusal for good holds the message and counts a bounce on the address.
            Err(SendError::Permanent(e)) => {
                tracing::warn!(message_id = %msg.id, error = %e, "relay refused the message; held");
                finish(held("smtp_rejected").bounced()).await.map(Some)
            }
            Err(SendError::Transient(e)) => {
                let give_up = msg.attempts >= self.settings.max_attempts;
                tracing::warn!(message_id = %msg.id, error = %e, give_up, "delivery failed");
                if give_up {
                    return finish(held("delivery_failed")).await.map(Some);
                }
                let next = now.checked_add(backoff(msg.attempts)).unwrap_or(now);
                self.app.store.mark_outbox_retry(msg.id, "delivery_failed", next, false).await.map(|()| None)
            }
        }
    }
}

/// How many messages a tick sends over SMTP at once (each on its own kept connection).
pub const SEND_AT_ONCE: usize = super::smtp::MAX_CONNECTIONS;

/// What [`Worker::judge`] decided.
enum Step {
    /// Nothing to send: the outcome to write (boxed: the gate's outcome is the larger variant).
    Done(Option<Box<OutboxFinish>>),
    /// The gate let it through.
    Send(Box<ToSend>),
}

/// A message the gate let through, with what its send and outcome need.
struct ToSend {
    payload: MailPayload,
    rendered: Rendered,
    record: Option<crate::store::AddressRecord>,
    judged: Judged,
}

/// The outcomes of a tick waiting to be written, and what the gate read for them.
///
/// One transaction per message was most of the worker's time once sending was fast; these are
/// written together, and in the background while the worker goes on sending (the write runs on
/// the database's side, the sends wait on the relay: the two used to take turns). A write starts
/// once [`WRITE_AT`] outcomes are pending and the previous write has finished, so a message sent
/// stays marked pending only briefly (its lease must not run out and let another worker send it
/// again). At least every [`WRITE_EVERY`], after a bounce, and at the end of the tick the worker
/// waits until everything is written: a bounce changes the address's record, so the next message
/// to it must be judged on the new one. A crash before a write loses the outcomes since the last
/// one; those messages are claimed again after their lease and sent again with the same
/// Message-ID, as a crash between sending and writing always could.
#[derive(Debug)]
struct Outcomes {
    lookups: Lookups,
    pending: Vec<OutboxFinish>,
    since: std::time::Instant,
    /// An outcome since the last write counted a bounce.
    bounced: bool,
    /// The write under way, if any.
    writing: Option<tokio::task::JoinHandle<Result<Vec<MessageId>, StoreError>>>,
}

/// The longest outcomes wait to be written.
const WRITE_EVERY: Duration = Duration::from_secs(1);

/// How many outcomes a background write waits for: each write has a fixed cost (the transaction,
/// the audit chain's head), and writes of one or two outcomes each were slower than none in the
/// background at all (BENCHMARKS.md, outbox).
const WRITE_AT: usize = 32;

impl Outcomes {
    fn new() -> Self {
        Self {
            lookups: Lookups::default(),
            pending: Vec::new(),
            since: std::time::Instant::now(),
            bounced: false,
            writing: None,
        }
    }

    /// Adds an outcome to write; a bounce is remembered until the next write.
    fn add(&mut self, finish: Option<OutboxFinish>) {
        self.bounced |= finish.as_ref().is_some_and(|f| f.outcome.bounced_address.is_some());
        self.pending.extend(finish);
    }

    /// Writes what is pending if it is time: at once after a bounce or [`WRITE_EVERY`] (and
    /// waits until written), in the background from [`WRITE_AT`] pending outcomes.
    async fn maybe_write(&mut self, app: &App) -> Result<(), StoreError> {
        if self.bounced || self.since.elapsed() >= WRITE_EVERY {
            self.write(app).await?;
        } else if self.pending.len() >= WRITE_AT
            && self.writing.as_ref().is_none_or(tokio::task::JoinHandle::is_finished)
        {
            self.settle().await?;
            self.start(app);
        }
        Ok(())
    }

    /// Starts writing what is pending in one transaction, in the background, and forgets what
    /// the gate read: what it reads next is at least as new as this write's start.
    fn start(&mut self, app: &App) {
        if self.pending.is_empty() {
            return;
        }
        let (store, pending) = (app.store.clone(), std::mem::take(&mut self.pending));
        self.writing = Some(tokio::spawn(async move { store.finish_outbox_batch(&pending).await }));
        self.lookups.clear();
        self.since = std::time::Instant::now();
    }

    /// Waits for the write under way, if any.
    async fn settle(&mut self) -> Result<(), StoreError> {
        let Some(writing) = self.writing.take() else { return Ok(()) };
        let skipped = writing.await.map_err(|e| StoreError::Corrupt(format!("outbox write task failed: {e}")))??;
        for id in skipped {
            // Another worker finished it first (this one's lease ran out while it worked).
            tracing::info!(message_id = %id, "message finished by another worker meanwhile");
        }
        Ok(())
    }

    /// Writes everything pending and waits until it is written.
    async fn write(&mut self, app: &App) -> Result<(), StoreError> {
        self.settle().await?;
        self.start(app);
        self.settle().await?;
        self.lookups.clear();
        self.bounced = false;
        Ok(())
    }
}

/// The message's payload and its rendering; `None` when it cannot be rendered (a corrupt row).
fn prepare(msg: &OutboxMessage) -> Option<(MailPayload, Rendered)> {
    let payload = serde_json::from_str::<MailPayload>(&msg.payload).ok()?;
    let rendered = render(msg.language, &payload)?;
    Some((payload, rendered))
}

/// Exponential backoff with full jitter: a random wait up to 2^attempts seconds (at most an
/// hour), so many messages failing together do not retry together.
fn backoff(attempts: u32) -> SignedDuration {
    let cap_ms = (1u64 << attempts.min(12)).saturating_mul(1000).min(3_600_000);
    let jitter = u64::from_le_bytes(crate::app::random_bytes()) % cap_ms.max(1);
    SignedDuration::from_millis(i64::try_from(jitter.max(500)).unwrap_or(500))
}
