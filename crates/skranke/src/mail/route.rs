//! The router: turns domain events into messages, resolving recipients from the organisation's
//! routing rules and addresses as they are when the message is built (issue 6, point 3). Runs in
//! the worker; each event is marked routed in the same transaction that writes its messages, so a
//! crash or a second worker neither loses nor doubles one.
//!
//! Visit events (arrival, transfer, no-show) go to the recipients the organisation's
//! [`RouteTable`] names: the *target* queue's shared mailbox (the centre's when the queue has
//! none), the centre's, the staff member the appointment is booked with, and, for a missed
//! appointment, the citizen. Staff messages carry operational facts only (RS-01); the gate judges
//! every one again at send time.

use serde::Deserialize;
use skranke_core::ids::{AppointmentId, CentreId, MessageId, QueueId, VisitId};
use skranke_core::notify::route::{Event, Recipient, RouteTable};

use super::{MailPayload, TransferFacts};
use crate::app::App;
use crate::i18n::Lang;
use crate::store::{AddressRecord, CentreView, DomainEvent, NewMessage, Owner, OwnerKind, Store, StoreError};

/// Events read per round.
const BATCH: u32 = 100;

/// What the router needs of a visit event; transfers name the target, the others `queue`.
#[derive(Deserialize)]
struct VisitEvent {
    visit: VisitId,
    #[serde(alias = "to_queue")]
    queue: QueueId,
    #[serde(alias = "to_centre")]
    centre: CentreId,
    appointment: Option<AppointmentId>,
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
    let kind = match event.kind.as_str() {
        "visit.transferred" => Event::Transfer,
        "visit.arrived" => Event::Arrival,
        "visit.no_show" => Event::NoShow,
        _ => return Ok(Vec::new()),
    };
    // A payload this version cannot read is routed to nobody rather than retried forever; the
    // event row stays for the record.
    let Ok(v) = serde_json::from_value::<VisitEvent>(event.payload.clone()) else {
        tracing::warn!(kind = %event.kind, "unreadable domain event; routed to nobody");
        return Ok(Vec::new());
    };
    let Some(centre) = app.store.get_centre(v.centre).await? else { return Ok(Vec::new()) };
    let table = app.store.route_table(centre.centre.organisation_id).await?;
    visit_messages(app, event, kind, &v, &centre, &table).await
}

async fn visit_messages(
    app: &App,
    event: &DomainEvent,
    kind: Event,
    v: &VisitEvent,
    centre: &CentreView,
    table: &RouteTable,
) -> Result<Vec<NewMessage>, StoreError> {
    let queue = app.store.list_queues(v.centre).await?.into_iter().find(|q| q.value.id == v.queue);
    let Some(queue) = queue else { return Ok(Vec::new()) };
    let mut messages = Vec::new();
    let mut told = Vec::new();
    for recipient in table.recipients(kind) {
        if recipient == Recipient::Citizen {
            if let Some(m) = citizen_missed(app, v.appointment).await? {
                messages.push(m);
            }
            continue;
        }
        let Some(address) = staff_recipient(app, recipient, v).await? else { continue };
        // One message per address, however many routes lead to it.
        if told.contains(&address.id) {
            continue;
        }
        told.push(address.id);
        let id = MessageId::from_random_bytes(crate::app::random_bytes());
        let facts = TransferFacts {
            visit: v.visit,
            queue_name: queue.value.name_da.clone(),
            centre_name: centre.centre.name.clone(),
            at: event.at.to_string(),
            timezone: centre.timezone.clone(),
            // Opening it while signed in acknowledges the notice (RS-40) and leads to the desk page.
            link: format!("{}/staff/ack/{id}", app.settings.public_url.trim_end_matches('/')),
        };
        let payload = match kind {
            Event::Arrival => MailPayload::VisitArrived(facts),
            Event::NoShow => MailPayload::VisitNoShow(facts),
            _ => MailPayload::VisitTransferred(facts),
        };
        messages.push(NewMessage {
            id,
            appointment_id: None,
            template: payload.template().to_owned(),
            recipient: address.address.clone(),
            language: Lang::Da,
            payload: serde_json::to_string(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            organisation_id: Some(centre.centre.organisation_id),
            address_id: Some(address.id),
            purpose: payload.purpose(),
        });
    }
    Ok(messages)
}

/// The current address a staff route leads to, if one is set.
async fn staff_recipient(app: &App, to: Recipient, v: &VisitEvent) -> Result<Option<AddressRecord>, StoreError> {
    let centre = Owner::new(OwnerKind::Centre, v.centre.as_uuid());
    Ok(match to {
        Recipient::QueueMailbox => {
            match app.store.current_address(Owner::new(OwnerKind::Queue, v.queue.as_uuid())).await? {
                Some(a) => Some(a),
                None => app.store.current_address(centre).await?,
            }
        }
        Recipient::CentreMailbox => app.store.current_address(centre).await?,
        Recipient::AssignedStaff => {
            let Some(appointment) = v.appointment else { return Ok(None) };
            match app.store.get_appointment(appointment).await?.and_then(|a| a.staff_id) {
                Some(staff) => app.store.staff_address(staff).await?,
                None => None,
            }
        }
        Recipient::Citizen => None,
    })
}

/// The citizen's "you missed your appointment", for a visit that came from a booking with an
/// address. The store files it under the booking's address record (verified by the booking code).
async fn citizen_missed(app: &App, appointment: Option<AppointmentId>) -> Result<Option<NewMessage>, StoreError> {
    let Some(id) = appointment else { return Ok(None) };
    let Some(a) = app.store.get_appointment(id).await? else { return Ok(None) };
    let Some(to) = a.citizen_email.clone() else { return Ok(None) };
    let (Some(service), Some(centre)) =
        (app.store.get_service(a.service_id).await?, app.store.get_centre(a.centre_id).await?)
    else {
        return Ok(None);
    };
    let payload = MailPayload::missed(&a, &service, &centre);
    Ok(Some(NewMessage {
        id: MessageId::from_random_bytes(crate::app::random_bytes()),
        appointment_id: Some(a.id),
        template: payload.template().to_owned(),
        recipient: to,
        language: a.language,
        payload: serde_json::to_string(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        organisation_id: Some(centre.centre.organisation_id),
        address_id: None,
        purpose: payload.purpose(),
    }))
}
