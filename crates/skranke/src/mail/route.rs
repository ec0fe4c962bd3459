//! The router: turns domain events into messages, resolving recipients from the configuration as
//! it is when the message is built (issue 6, point 3). Runs in the worker; each event is marked
//! routed in the same transaction that writes its messages, so a crash or a second worker neither
//! loses nor doubles one.
//!
//! Routes today: a transfer tells the shared mailbox of the *target* queue, or, if that queue has
//! none, of the target centre. Staff messages carry operational facts only (RS-01).

use serde::Deserialize;
use skranke_core::ids::{CentreId, MessageId, QueueId, VisitId};

use super::{MailPayload, TransferFacts};
use crate::app::App;
use crate::i18n::Lang;
use crate::store::{DomainEvent, NewMessage, Owner, OwnerKind, Store, StoreError};

/// Events read per round.
const BATCH: u32 = 100;

#[derive(Deserialize)]
struct Transferred {
    visit: VisitId,
    to_queue: QueueId,
    to_centre: CentreId,
}

/// Routes up to one batch of unrouted events; returns how many it routed.
pub async fn route_pending(app: &App) -> Result<usize, StoreError> {
    let events = app.store.unrouted_events(BATCH).await?;
    let mut routed = 0;
    for (id, event) in &events {
        let messages = messages_for(app, event).await?;
        if app.store.route_event(*id, &messages, app.clock.now()).await? {
            routed += 1;
        }
    }
    Ok(routed)
}

async fn messages_for(app: &App, event: &DomainEvent) -> Result<Vec<NewMessage>, StoreError> {
    match event.kind.as_str() {
        "visit.transferred" => {
            // A payload this version cannot read is routed to nobody rather than retried forever;
            // the event row stays for the record.
            let Ok(t) = serde_json::from_value::<Transferred>(event.payload.clone()) else {
                tracing::warn!(kind = %event.kind, "unreadable domain event; routed to nobody");
                return Ok(Vec::new());
            };
            transferred(app, event, &t).await
        }
        _ => Ok(Vec::new()),
    }
}

async fn transferred(app: &App, event: &DomainEvent, t: &Transferred) -> Result<Vec<NewMessage>, StoreError> {
    let Some(centre) = app.store.get_centre(t.to_centre).await? else { return Ok(Vec::new()) };
    let queue = app.store.list_queues(t.to_centre).await?.into_iter().find(|q| q.value.id == t.to_queue);
    let Some(queue) = queue else { return Ok(Vec::new()) };
    let mailbox = match app.store.current_address(Owner::new(OwnerKind::Queue, t.to_queue.as_uuid())).await? {
        Some(m) => Some(m),
        None => app.store.current_address(Owner::new(OwnerKind::Centre, t.to_centre.as_uuid())).await?,
    };
    let Some(mailbox) = mailbox else { return Ok(Vec::new()) };
    let id = MessageId::from_random_bytes(crate::app::random_bytes());
    let payload = MailPayload::VisitTransferred(TransferFacts {
        visit: t.visit,
        queue_name: queue.value.name_da.clone(),
        centre_name: centre.centre.name.clone(),
        at: event.at.to_string(),
        timezone: centre.timezone.clone(),
        // Opening it while signed in acknowledges the notice (RS-40) and leads to the desk page.
        link: format!("{}/staff/ack/{id}", app.settings.public_url.trim_end_matches('/')),
    });
    Ok(vec![NewMessage {
        id,
        appointment_id: None,
        template: payload.template().to_owned(),
        recipient: mailbox.address.clone(),
        language: Lang::Da,
        payload: serde_json::to_string(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        organisation_id: Some(centre.centre.organisation_id),
        address_id: Some(mailbox.id),
        purpose: payload.purpose(),
    }])
}
