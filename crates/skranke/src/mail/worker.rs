//! The outbox worker: claims due messages, renders and delivers them, marks the outcome.
//! Safe to run in several processes: claims are leased (SQLite) or `SKIP LOCKED` (PostgreSQL),
//! and a delivery repeated after a crash is recognised by the outbox id.

use std::time::Duration;

use jiff::SignedDuration;
use tokio::sync::watch;

use skranke_core::notify::{DataClasses, Transport as GateTransport};

use super::gate::{self, Judged, Outcome};
use super::{MailPayload, render};
use crate::app::App;
use crate::store::{DevMail, OutboxMessage, Store, StoreError};

/// Where delivered mail goes. SMTP arrives with the notification issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Stored in the database and shown at `/dev/mail`; nothing leaves the machine.
    DevMailbox,
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
            batch: 50,
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
        // Retention of sign-in data runs at start and then every ten minutes.
        let mut next_prune = std::time::Instant::now();
        loop {
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

    /// Delivers one batch; returns how many messages it handled.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let store = &self.app.store;
        let now = self.app.clock.now();
        let batch = store.claim_outbox(now, self.settings.lease, self.settings.batch).await?;
        for msg in &batch {
            self.deliver(msg).await?;
        }
        Ok(batch.len())
    }

    async fn deliver(&self, msg: &OutboxMessage) -> Result<(), StoreError> {
        let now = self.app.clock.now();
        let payload = serde_json::from_str::<MailPayload>(&msg.payload).ok();
        let rendered = payload.as_ref().and_then(|p| render(msg.language, p));
        let (Some(payload), Some(rendered)) = (payload, rendered) else {
            tracing::error!(message_id = %msg.id, template = %msg.template, "message cannot be rendered; held");
            let judged = Judged::held(Outcome::Hold, "render_failed", DataClasses::EMPTY);
            return gate::finish(&self.app, msg, None, &judged, now).await;
        };
        let classes = payload.classes();
        let transport = match self.settings.transport {
            // The dev mailbox never leaves the database: as private as a TLS relay.
            Transport::DevMailbox => GateTransport::Tls,
        };
        let (record, judged) = gate::judge(&self.app, msg, &payload, &rendered, classes, transport, now).await?;
        let judged = judged.with_subjects(payload.subjects());
        if judged.outcome != Outcome::Send {
            tracing::warn!(message_id = %msg.id, template = %msg.template, reason = judged.reason, "message not sent");
            return gate::finish(&self.app, msg, record.as_ref(), &judged, now).await;
        }
        let outcome = match self.settings.transport {
            Transport::DevMailbox => {
                self.app
                    .store
                    .deliver_dev_mail(&DevMail {
                        outbox_id: msg.id,
                        recipient: msg.recipient.clone(),
                        subject: rendered.subject,
                        body_text: rendered.text,
                        delivered_at: now,
                    })
                    .await
            }
        };
        match outcome {
            Ok(()) => {
                tracing::info!(message_id = %msg.id, template = %msg.template, "message delivered");
                let judged = judged.with_transport("local");
                gate::finish(&self.app, msg, record.as_ref(), &judged, now).await
            }
            Err(e) => {
                let give_up = msg.attempts >= self.settings.max_attempts;
                // Exponential backoff: 2^attempts seconds, at most an hour.
                let delay = SignedDuration::from_secs(1i64 << msg.attempts.min(12)).min(SignedDuration::from_hours(1));
                tracing::warn!(message_id = %msg.id, error = %e, give_up, "delivery failed");
                self.app
                    .store
                    .mark_outbox_retry(msg.id, "delivery_failed", now.checked_add(delay).unwrap_or(now), give_up)
                    .await
            }
        }
    }
}
