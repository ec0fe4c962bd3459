//! A centre's queues: Danish and English names and the ticket prefix.

use serde_json::{Value, json};
use skranke_core::change::Changes;
use skranke_core::ids::{CentreId, QueueId};

use super::form::line;
use super::{App, AppError, Principal, manage, managed_centre, record, stale};
use crate::app::random_bytes;
use crate::store::{ObjectKey, Queue, Store as _};

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
