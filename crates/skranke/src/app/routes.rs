//! Routing rules' use cases (issue 6, point 3): an organisation administrator proposes turning a
//! route on or off, and another administrator approves or rejects it (RS-60), like a shared
//! mailbox's address. The table itself and which routes can exist live in the core
//! ([`skranke_core::notify::route`]); the router and the reminder job read it when they build a
//! message, so a change applies to the next message, never to one already written.

use serde_json::json;
use skranke_core::access::{Permission, Target};
use skranke_core::ids::OrganisationId;
use skranke_core::notify::route::{Event, Recipient, RouteTable, applies};

use super::notify::audit_object;
use super::{App, AppError, Principal};
use crate::store::{RouteChange, Store as _, StoreError};

/// The signed-in administrator's organisation, authorised for routing changes.
fn organisation(p: &Principal) -> Result<OrganisationId, AppError> {
    let organisation = p.organisation.ok_or(AppError::Forbidden)?;
    p.authorize(Permission::ManageOrganisation, Target::Organisation(organisation))?;
    Ok(organisation)
}

/// The organisation's routes as they apply now.
pub async fn route_table(app: &App, p: &Principal) -> Result<RouteTable, AppError> {
    let organisation = organisation(p)?;
    Ok(app.store.route_table(organisation).await?)
}

/// Proposes turning one route on or off; `None` when it is so already (nothing to approve).
pub async fn propose_route(
    app: &App,
    p: &Principal,
    event: Event,
    recipient: Recipient,
    enabled: bool,
) -> Result<Option<RouteChange>, AppError> {
    let organisation = organisation(p)?;
    if !applies(event, recipient) {
        return Err(AppError::Field { field: "route", code: "route_not_applicable" });
    }
    let table = app.store.route_table(organisation).await?;
    if table.enabled(event, recipient) == enabled {
        return Ok(None);
    }
    let now = app.clock.now();
    let change = RouteChange {
        id: uuid::Uuid::from_bytes(super::random_bytes()),
        organisation,
        event,
        recipient,
        enabled,
        requested_by: p.user,
        requested_at: now,
        approved: None,
        decided_by: None,
        decided_at: None,
    };
    let rec = audit_object(p, now, organisation, "route.change_proposed", "route_change", change.id, detail(&change))?;
    app.store.propose_route(&change, &[rec]).await?;
    Ok(Some(change))
}

/// The organisation's open proposals.
pub async fn pending_routes(app: &App, p: &Principal) -> Result<Vec<RouteChange>, AppError> {
    let organisation = organisation(p)?;
    Ok(app.store.route_changes(organisation).await?)
}

/// Approves or rejects a proposal. The one who asked cannot decide it (`same_administrator`,
/// also enforced in the store's statement); another organisation's is "not found".
pub async fn decide_route(app: &App, p: &Principal, id: uuid::Uuid, approve: bool) -> Result<(), AppError> {
    // Another organisation's proposal is "not found", whoever asks (tenant isolation); only
    // then is the caller's right to decide checked.
    let change = app.store.get_route_change(id).await?.ok_or(AppError::NotFound("change"))?;
    if p.organisation != Some(change.organisation) {
        return Err(AppError::NotFound("change"));
    }
    let organisation = organisation(p)?;
    if change.approved.is_some() {
        return Err(AppError::Field { field: "change", code: "change_decided" });
    }
    if change.requested_by == p.user {
        return Err(AppError::Field { field: "change", code: "same_administrator" });
    }
    let now = app.clock.now();
    let mut detail = detail(&change);
    detail["requested_by"] = json!(change.requested_by.to_string());
    let name = if approve { "route.change_approved" } else { "route.change_rejected" };
    let rec = audit_object(p, now, organisation, name, "route_change", change.id, detail)?;
    app.store.decide_route_change(id, p.user, now, approve, &[rec]).await.map_err(|e| match e {
        StoreError::Conflict => AppError::Field { field: "change", code: "change_decided" },
        other => other.into(),
    })
}

/// What the audit log keeps of a route change: the route and its old → new state.
fn detail(change: &RouteChange) -> serde_json::Value {
    json!({
        "event": change.event.as_str(),
        "recipient": change.recipient.as_str(),
        "old": !change.enabled,
        "new": change.enabled,
    })
}
