//! Silence is an alarm (RS-40): staff notifications are tracked until someone acts on them, and an
//! address whose notifications stay unacknowledged for a day, or three in a row, raises one
//! content-free alert to the organisation's monitored mailbox (a different, verified address) and
//! to whoever set the address up, plus an audit entry the data-protection officer can search.

use jiff::SignedDuration;
use serde_json::json;
use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label, ObjectRef};

use super::gate::{alert_messages, organisation_zone};
use super::{MailPayload, SilenceFacts};
use crate::app::App;
use crate::store::{Store, StoreError};

/// Unacknowledged for this long raises the alarm.
pub const SILENT_AFTER: SignedDuration = SignedDuration::from_hours(24);
/// This many unacknowledged notifications raise it sooner.
pub const SILENT_COUNT: u32 = 3;

/// Alerts about every address gone silent since the last check; returns how many.
pub async fn check_silence(app: &App) -> Result<usize, StoreError> {
    let now = app.clock.now();
    let older_than = now.checked_sub(SILENT_AFTER).unwrap_or(now);
    let silent = app.store.silent_addresses(older_than, SILENT_COUNT).await?;
    for s in &silent {
        let org = s.address.organisation;
        let payload = MailPayload::Silence(SilenceFacts {
            address: s.address.address.clone(),
            count: s.count,
            since: s.oldest_sent_at.to_string(),
            timezone: organisation_zone(app, org).await?,
            link: format!("{}/staff/mail", app.settings.public_url.trim_end_matches('/')),
        });
        let alerts = alert_messages(app, org, Some(&s.address), &payload).await?;
        let bad = |what: &str| StoreError::Corrupt(format!("silence audit entry: {what}"));
        let audit = AuditRecord {
            at: now,
            organisation: Some(org),
            actor: Actor::System { label: Label::new("outbox").map_err(|_| bad("label"))? },
            action: Action::new("mail.silence_alert").map_err(|_| bad("action"))?,
            object: Some(ObjectRef::new("address", &s.address.id.to_string()).map_err(|_| bad("object"))?),
            detail: Detail::new(json!({
                "address": s.address.address,
                "registrable_domain": s.address.registrable_domain,
                "unacknowledged": s.count,
                "oldest_sent_at": s.oldest_sent_at.to_string(),
                "alerts": alerts.len(),
            }))
            .map_err(|_| bad("detail"))?,
        };
        tracing::warn!(unacknowledged = s.count, "notifications to an address are not acknowledged; alerting");
        app.store.record_silence_alert(s.address.id, s.newest_sent_at, now, &alerts, &[audit]).await?;
    }
    Ok(silent.len())
}
