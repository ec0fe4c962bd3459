//! The audit search: who did what, when, to which object — for the data-protection officer and
//! administrators (`ViewAudit`), as a page and as JSON for integrations.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use skranke_core::audit::AuditEntry;
use utoipa::ToSchema;

use super::{NavLink, Staff, StaffResult, json_or_error, nav};
use crate::app::{AppError, accounts};
use crate::http::AppState;
use crate::http::pages::Chrome;
use crate::mail::format_local;
use crate::store::{AuditQuery, Store};
use axum::extract::State;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/audit", get(page)).route("/api/v1/staff/audit", get(api))
}

/// Entries per page.
const PAGE: u32 = 50;

fn tz() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC)
}

/// The query from the filter form's fields. Dates are local (Europe/Copenhagen) days, `to`
/// inclusive. A malformed field is a 4xx with the field named, never ignored.
fn query_from(staff: &Staff) -> Result<AuditQuery, AppError> {
    let get = |k: &str| staff.query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let too_long = |v: &str| v.chars().count() > 128 || v.chars().any(char::is_control);
    let mut q = AuditQuery { organisation: staff.p.organisation, limit: PAGE, ..AuditQuery::default() };
    if let Some(a) = get("actor") {
        q.actor = Some(a.parse().map_err(|_| AppError::BadRequest("invalid_actor"))?);
    }
    if let Some(k) = get("object_kind") {
        if too_long(k) {
            return Err(AppError::BadRequest("invalid_query"));
        }
        q.object_kind = Some(k.to_owned());
    }
    if let Some(i) = get("object_id") {
        if too_long(i) {
            return Err(AppError::BadRequest("invalid_query"));
        }
        q.object_id = Some(i.to_owned());
    }
    if let Some(a) = get("action") {
        if too_long(a) {
            return Err(AppError::BadRequest("invalid_query"));
        }
        q.action_prefix = Some(a.to_owned());
    }
    let day =
        |v: &str| -> Result<Date, AppError> { v.parse::<Date>().map_err(|_| AppError::BadRequest("invalid_date")) };
    let start_of = |d: Date| -> Result<jiff::Timestamp, AppError> {
        tz().to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|_| AppError::BadRequest("invalid_date"))
    };
    if let Some(f) = get("from") {
        q.from = Some(start_of(day(f)?)?);
    }
    if let Some(t) = get("to") {
        let next = day(t)?.tomorrow().map_err(|_| AppError::BadRequest("invalid_date"))?;
        q.to = Some(start_of(next)?);
    }
    if let Some(b) = get("before") {
        q.before_seq = Some(b.parse().map_err(|_| AppError::BadRequest("invalid_query"))?);
    }
    Ok(q)
}

struct Row {
    seq: u64,
    when: String,
    actor: String,
    action: String,
    object: String,
    detail: String,
    /// The payload was erased by retention (format 2): nothing to show but that.
    erased: bool,
    /// Pseudonyms in the detail with what they stand for, while the mapping is kept.
    resolved: Vec<(String, String)>,
}

/// The pseudonyms an entry's detail uses (the recipient of a message outside the organisation).
fn pseudonyms_in(e: &AuditEntry) -> impl Iterator<Item = &str> {
    e.record
        .detail
        .get("recipient")
        .and_then(|v| v.as_str())
        .filter(|r| r.starts_with(crate::app::pseudonym::PREFIX))
        .into_iter()
}

/// What the pseudonyms in `entries` stand for, where still known.
async fn resolve(s: &AppState, entries: &[AuditEntry]) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut wanted: Vec<String> = entries.iter().flat_map(pseudonyms_in).map(str::to_owned).collect();
    wanted.sort_unstable();
    wanted.dedup();
    Ok(s.app.store.resolve_pseudonyms(&wanted).await?)
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    rows: Vec<Row>,
    f_actor: String,
    f_object_kind: String,
    f_object_id: String,
    f_action: String,
    f_from: String,
    f_to: String,
    next_page: Option<String>,
}

fn actor_text(e: &AuditEntry, staff: &Staff) -> String {
    use skranke_core::audit::Actor;
    match &e.record.actor {
        Actor::User { label, .. } => label.to_string(),
        Actor::ApiToken { label, .. } => format!("{label} ({})", staff.c.tr("staff.audit.via_token")),
        Actor::System { label } => format!("{} ({label})", staff.c.tr("staff.audit.system")),
        Actor::Anonymous => staff.c.tr("staff.audit.anonymous").to_owned(),
    }
}

async fn page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    let query = query_from(&staff).map_err(|e| staff.fail(e))?;
    let entries = accounts::search_audit(&s.app, &staff.p, query).await.map_err(|e| staff.fail(e))?;
    let known = resolve(&s, &entries).await.map_err(|e| staff.fail(e))?;
    let zone = tz();
    let rows: Vec<Row> = entries
        .iter()
        .map(|e| Row {
            seq: e.seq,
            when: format_local(staff.c.lang, e.record.at, &zone),
            actor: actor_text(e, &staff),
            action: e.record.action.to_string(),
            object: e.record.object.as_ref().map(|o| format!("{} {}", o.kind(), o.id())).unwrap_or_default(),
            detail: e.record.detail.to_canonical_json(),
            erased: e.payload.is_erased(),
            resolved: pseudonyms_in(e).filter_map(|p| Some((p.to_owned(), known.get(p)?.clone()))).collect(),
        })
        .collect();
    let keep = |k: &str| staff.query.get(k).cloned().unwrap_or_default();
    let next_page = (rows.len() == PAGE as usize).then(|| {
        let mut pairs: Vec<(String, String)> =
            staff.query.iter().filter(|(k, _)| k.as_str() != "before").map(|(k, v)| (k.clone(), v.clone())).collect();
        pairs.sort();
        pairs.push(("before".into(), rows.last().map(|r| r.seq.to_string()).unwrap_or_default()));
        format!("/staff/audit?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    });
    Ok(AuditPage {
        nav: nav(&staff),
        current: "/staff/audit".into(),
        csrf: staff.csrf().to_owned(),
        f_actor: keep("actor"),
        f_object_kind: keep("object_kind"),
        f_object_id: keep("object_id"),
        f_action: keep("action"),
        f_from: keep("from"),
        f_to: keep("to"),
        c: staff.c.clone(),
        rows,
        next_page,
    }
    .into_response())
}

/// One audit entry as the API shows it, with its place in the chain.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryJson {
    pub seq: u64,
    /// UTC, RFC 3339.
    pub at: String,
    pub organisation: Option<String>,
    pub actor_kind: &'static str,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// Empty when erased.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// `inline` (format 1, before schema v16), `committed` or `erased` (by retention).
    pub payload: &'static str,
    /// What the pseudonyms in `detail` stand for, where the mapping is still kept.
    #[schema(value_type = Object)]
    pub pseudonyms: std::collections::BTreeMap<String, String>,
    pub hash: String,
}

async fn api(State(s): State<AppState>, staff: Staff) -> Response {
    let lang = staff.c.lang;
    let result = async {
        let query = query_from(&staff)?;
        let entries = accounts::search_audit(&s.app, &staff.p, query).await?;
        let known = resolve(&s, &entries).await?;
        Ok::<_, AppError>(
            entries
                .into_iter()
                .map(|e| AuditEntryJson {
                    seq: e.seq,
                    at: e.record.at.to_string(),
                    organisation: e.record.organisation.map(|o| o.to_string()),
                    actor_kind: e.record.actor.kind(),
                    actor_id: e.record.actor.id().map(|i| i.to_string()),
                    actor_label: e.record.actor.label().to_owned(),
                    action: e.record.action.to_string(),
                    object_kind: e.record.object.as_ref().map(|o| o.kind().to_owned()),
                    object_id: e.record.object.as_ref().map(|o| o.id().to_owned()),
                    detail: e.record.detail.clone().into_value(),
                    payload: match e.payload {
                        skranke_core::audit::Payload::Inline => "inline",
                        skranke_core::audit::Payload::Committed { .. } => "committed",
                        skranke_core::audit::Payload::Erased { .. } => "erased",
                    },
                    pseudonyms: pseudonyms_in(&e).filter_map(|p| Some((p.to_owned(), known.get(p)?.clone()))).collect(),
                    hash: e.hash.to_hex(),
                })
                .collect::<Vec<_>>(),
        )
    }
    .await;
    json_or_error(result, lang)
}
