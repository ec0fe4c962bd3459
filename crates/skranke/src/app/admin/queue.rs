//! A centre's queues (Danish and English names, the ticket prefix), their call and transfer
//! rules, and the centre's desks.

use serde_json::{Value, json};
use skranke_core::change::Changes;
use skranke_core::ids::{CentreId, DeskId, QueueId};
use skranke_core::visit::Placement;
use skranke_core::visit::order::CallOrder;

use super::form::line;
use super::{App, AppError, Principal, manage, managed_centre, record, stale};
use crate::app::random_bytes;
use crate::store::{Desk, ObjectKey, Queue, QueueRules, Store as _};

/// What the queue form sends.
#[derive(Clone, Debug, Default)]
pub struct QueueForm {
    /// 1–80 characters each.
    pub name_da: String,
    pub name_en: String,
    /// The ticket prefix: 1–3 letters A–Z (lowercase is raised), unique within the centre.
    pub prefix: String,
    pub version: i64,
}

fn queue_fields(f: &QueueForm) -> Result<(String, String, String), AppError> {
    let prefix = f.prefix.trim().to_ascii_uppercase();
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::Field { field: "prefix", code: "invalid_prefix" });
    }
    Ok((line(&f.name_da, "name_da", 80)?, line(&f.name_en, "name_en", 80)?, prefix))
}

fn queue_json(q: &Queue) -> Value {
    json!({ "name_da": q.name_da, "name_en": q.name_en, "prefix": q.prefix })
}

/// Two queues of one centre with one prefix would print tickets nobody can tell apart.
async fn refuse_taken_prefix(app: &App, q: &Queue) -> Result<(), AppError> {
    let queues = app.store.list_queues(q.centre_id).await?;
    if queues.iter().any(|o| o.value.id != q.id && o.value.prefix == q.prefix) {
        return Err(AppError::Field { field: "prefix", code: "admin.prefix_taken" });
    }
    Ok(())
}

/// A new queue of the centre (`ManageCentre`). Errors: `Invalid` on `name_da`/`name_en`, `Field`
/// on `prefix` (`invalid_prefix`, `admin.prefix_taken`).
pub async fn create_queue(app: &App, p: &Principal, centre: CentreId, f: &QueueForm) -> Result<QueueId, AppError> {
    let view = managed_centre(app, p, centre).await?;
    let (name_da, name_en, prefix) = queue_fields(f)?;
    let q = Queue { id: QueueId::from_random_bytes(random_bytes()), centre_id: centre, name_da, name_en, prefix };
    refuse_taken_prefix(app, &q).await?;
    let detail = json!({ "changes": Changes::created(&queue_json(&q)).into_value() });
    let rec = record(p, app.clock.now(), view.centre.organisation_id, "queue.created", "queue", q.id, detail)?;
    app.store.create_queue_audited(&q, &[rec]).await?;
    Ok(q.id)
}

/// Names and prefix of a queue (`ManageCentre` at the queue's centre). Errors as
/// [`create_queue`], and `Stale`.
pub async fn update_queue(app: &App, p: &Principal, id: QueueId, f: &QueueForm) -> Result<(), AppError> {
    let home = manage(app, p, ObjectKey::Queue(id), "queue").await?;
    let (name_da, name_en, prefix) = queue_fields(f)?;
    let old = app
        .store
        .list_queues(home.centre)
        .await?
        .into_iter()
        .find(|q| q.value.id == id)
        .ok_or(AppError::NotFound("queue"))?;
    let new = Queue { name_da, name_en, prefix, ..old.value.clone() };
    let changes = Changes::between(&queue_json(&old.value), &queue_json(&new));
    if changes.is_empty() {
        return Ok(());
    }
    refuse_taken_prefix(app, &new).await?;
    let detail = json!({ "changes": changes.into_value() });
    let rec = record(p, app.clock.now(), home.organisation, "queue.updated", "queue", id, detail)?;
    app.store.update_queue(&new, f.version, &[rec]).await.map_err(stale)?;
    Ok(())
}

/// How a centre's desks call and where transfers land: the centre's call order and each queue's
/// transfer placement, as the queue-rules form sends them (`call_order`, and `placement_<queue
/// id>` per queue).
#[derive(Clone, Debug, Default)]
pub struct QueueRulesForm {
    /// `priority_appointments_arrival`, `priority_arrival` or `arrival`.
    pub call_order: String,
    /// Per queue id: `back` or `keep_arrival`.
    pub placements: Vec<(String, String)>,
}

fn rules_json(rules: &QueueRules, queues: &[Queue]) -> Value {
    let placements: serde_json::Map<String, Value> =
        queues.iter().map(|q| (q.prefix.clone(), Value::String(rules.placement(q.id).as_str().to_owned()))).collect();
    json!({ "call_order": rules.call_order.as_str(), "transfer_placement": placements })
}

/// The centre's call order and its queues' transfer placements (`ManageCentre`), audited as
/// `centre.queue_rules_updated`. Errors: `Field` on `call_order` or `placement`
/// (`admin.invalid_choice`), `NotFound` for a queue of another centre.
pub async fn update_queue_rules(
    app: &App,
    p: &Principal,
    centre: CentreId,
    f: &QueueRulesForm,
) -> Result<(), AppError> {
    let view = managed_centre(app, p, centre).await?;
    let old = app.store.queue_rules(centre).await?.ok_or(AppError::NotFound("centre"))?;
    let queues: Vec<Queue> = app.store.list_queues(centre).await?.into_iter().map(|q| q.value).collect();
    let call_order = CallOrder::parse(f.call_order.trim())
        .ok_or(AppError::Field { field: "call_order", code: "admin.invalid_choice" })?;
    let mut placements = old.placements.clone();
    for (raw_id, raw_placement) in &f.placements {
        let id: QueueId = raw_id.parse().map_err(|_| AppError::NotFound("queue"))?;
        if !queues.iter().any(|q| q.id == id) {
            return Err(AppError::NotFound("queue"));
        }
        let placement = Placement::parse(raw_placement.trim())
            .ok_or(AppError::Field { field: "placement", code: "admin.invalid_choice" })?;
        placements.retain(|(q, _)| *q != id);
        placements.push((id, placement));
    }
    let new = QueueRules { call_order, placements };
    let changes = Changes::between(&rules_json(&old, &queues), &rules_json(&new, &queues));
    if changes.is_empty() {
        return Ok(());
    }
    let detail = json!({ "changes": changes.into_value() });
    let rec = record(
        p,
        app.clock.now(),
        view.centre.organisation_id,
        "centre.queue_rules_updated",
        "centre",
        centre,
        detail,
    )?;
    app.store.set_queue_rules(centre, &new, &[rec]).await?;
    app.queue_rules_changed(&[centre]).await;
    Ok(())
}

/// A new desk of the centre (`ManageCentre`), audited as `desk.created`. Errors: `Invalid` on
/// `name` (1–40 characters), `Field` on `name` (`admin.desk_name_taken`).
pub async fn create_desk(app: &App, p: &Principal, centre: CentreId, name: &str) -> Result<DeskId, AppError> {
    let view = managed_centre(app, p, centre).await?;
    let name = line(name, "name", 40)?;
    if app.store.list_desks(centre).await?.iter().any(|d| d.name.eq_ignore_ascii_case(&name)) {
        return Err(AppError::Field { field: "name", code: "admin.desk_name_taken" });
    }
    let desk = Desk::new(DeskId::from_random_bytes(random_bytes()), centre, name);
    let detail = json!({ "changes": Changes::created(&json!({ "name": desk.name, "centre": centre })).into_value() });
    let rec = record(p, app.clock.now(), view.centre.organisation_id, "desk.created", "desk", desk.id, detail)?;
    app.store.create_desk_audited(&desk, &[rec]).await?;
    app.queue_changed(&[centre]).await;
    Ok(desk.id)
}
