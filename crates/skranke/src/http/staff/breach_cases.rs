//! Breach records (issue 7, point 2) at `/staff/breach/cases`: open a case with the moment of
//! awareness, watch the 72-hour deadline count down (the fragment refreshes itself every minute
//! through htmx), add phased updates, record the decision, and scope the breach for the case.
//! For the data-protection officer and the organisation's administrators (`ManageBreaches`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use skranke_core::access::{Permission, Target as AccessTarget};
use skranke_core::breach::case::{self as case_rules, Countdown};

use super::{NavLink, RawForm, Staff, StaffResult, catalogue_notice, field, nav};
use crate::app::{AppError, Principal, breach};
use crate::http::AppState;
use crate::http::pages::Chrome;
use crate::i18n::tf;
use crate::mail::format_local;
use crate::store::{BreachCase, EntryKind};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/breach/cases", get(list).post(open))
        .route("/staff/breach/cases/{id}", get(show))
        .route("/staff/breach/cases/{id}/countdown", get(countdown_fragment))
        .route("/staff/breach/cases/{id}/updates", post(update))
        .route("/staff/breach/cases/{id}/decision", post(decide))
}

/// Whether the nav shows breach records.
pub fn visible(p: &Principal) -> bool {
    p.organisation.is_some_and(|o| p.may(Permission::ManageBreaches, AccessTarget::Organisation(o)))
}

fn tz() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC)
}

/// "61 t 12 min" from a duration, rounded down to the minute.
fn span(c: &Chrome, d: SignedDuration) -> String {
    let minutes = d.as_secs() / 60;
    tf(
        c.lang,
        "staff.breach_case.span",
        &[("hours", &(minutes / 60).to_string()), ("minutes", &(minutes % 60).to_string())],
    )
}

/// The countdown as one sentence and a CSS class (`overdue` draws attention).
fn countdown_text(c: &Chrome, countdown: Countdown) -> (String, &'static str) {
    match countdown {
        Countdown::Remaining(d) => {
            let class = if d < SignedDuration::from_hours(12) { "due-soon" } else { "running" };
            (tf(c.lang, "staff.breach_case.remaining", &[("span", &span(c, d))]), class)
        }
        Countdown::Overdue(d) => (tf(c.lang, "staff.breach_case.overdue", &[("span", &span(c, d))]), "overdue"),
        Countdown::Decided => (c.tr("staff.breach_case.decided").to_owned(), "decided"),
    }
}

struct CaseRow {
    id: String,
    title: String,
    aware: String,
    deadline: String,
    countdown: String,
    class: &'static str,
    decision: String,
}

fn decision_text(c: &Chrome, case: &BreachCase) -> String {
    match case.decision.as_deref() {
        Some(d) => c.tr(&format!("staff.breach_case.decision_{d}")).to_owned(),
        None => c.tr("staff.breach_case.open").to_owned(),
    }
}

fn row(s: &AppState, c: &Chrome, case: &BreachCase) -> CaseRow {
    let zone = tz();
    let (countdown, class) = countdown_text(c, breach::countdown_of(&s.app, case));
    CaseRow {
        id: case.id.to_string(),
        title: case.title.clone(),
        aware: format_local(c.lang, case.aware_at, &zone),
        deadline: format_local(c.lang, case_rules::deadline(case.aware_at), &zone),
        countdown,
        class,
        decision: decision_text(c, case),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/breach_cases.html")]
struct ListPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    rows: Vec<CaseRow>,
    may_scope: bool,
    notice: Option<String>,
}

async fn list(State(s): State<AppState>, staff: Staff) -> StaffResult {
    let cases = breach::list_cases(&s.app, &staff.p).await.map_err(|e| staff.fail(e))?;
    let rows = cases.iter().map(|case| row(&s, &staff.c, case)).collect();
    Ok(ListPage {
        nav: nav(&staff),
        current: "/staff/breach/cases".into(),
        csrf: staff.csrf().to_owned(),
        may_scope: super::breach::visible(&staff.p),
        notice: catalogue_notice(&staff, "staff.breach_case.done"),
        c: staff.c.clone(),
        rows,
    }
    .into_response())
}

async fn open(State(s): State<AppState>, staff: Staff, Form(f): Form<RawForm>) -> StaffResult {
    let id = breach::open_case(&s.app, &staff.p, field(&f, "title"), field(&f, "aware_at"))
        .await
        .map_err(|e| staff.fail(e))?;
    Ok(Redirect::to(&format!("/staff/breach/cases/{id}?done=opened")).into_response())
}

struct EntryRow {
    when: String,
    by: String,
    scope: bool,
    text: String,
    link: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/breach_case.html")]
struct CasePage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    case: CaseRow,
    opened_by: String,
    decided: Option<(String, String, String)>,
    entries: Vec<EntryRow>,
    may_scope: bool,
    notice: Option<String>,
}

fn case_id(staff: &Staff, raw: &str) -> Result<uuid::Uuid, super::StaffError> {
    raw.parse().map_err(|_| staff.fail(AppError::NotFound("breach_case")))
}

/// A scope entry's JSON as a sentence and a link that runs it again.
fn scope_entry(c: &Chrome, case: &str, body: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let number = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0).to_string();
    let sentence = tf(
        c.lang,
        "staff.breach_case.scope_entry",
        &[("target", &text("target")), ("messages", &number("messages")), ("subjects", &number("subjects"))],
    );
    let key = if text("target_kind") == "domain" { "domain" } else { "address" };
    let mut pairs = vec![(key, text("target")), ("case", case.to_owned())];
    // The stored window is in UTC instants; the form takes them as they are.
    for end in ["from", "to"] {
        let t = text(end);
        if !t.is_empty() {
            pairs.push((end, t));
        }
    }
    (sentence, format!("/staff/breach?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default()))
}

async fn show(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let id = case_id(&staff, &id)?;
    let (case, entries) = breach::get_case(&s.app, &staff.p, id).await.map_err(|e| staff.fail(e))?;
    let zone = tz();
    let mut rows = Vec::with_capacity(entries.len());
    for e in &entries {
        let (text, link, scope) = match e.kind {
            EntryKind::Update => (e.body.clone(), String::new(), false),
            EntryKind::Scope => {
                let (t, l) = scope_entry(&staff.c, &case.id.to_string(), &e.body);
                (t, l, true)
            }
        };
        rows.push(EntryRow {
            when: format_local(staff.c.lang, e.at, &zone),
            by: e.by_label.clone(),
            scope,
            text,
            link,
        });
    }
    let decided = match (&case.decision, case.decided_at, case.decided_by) {
        (Some(_), Some(at), Some(by)) => Some((
            format_local(staff.c.lang, at, &zone),
            breach::user_label(&s.app, by).await,
            case.decision_text.clone().unwrap_or_default(),
        )),
        _ => None,
    };
    let opened_by = breach::user_label(&s.app, case.opened_by).await;
    Ok(CasePage {
        nav: nav(&staff),
        current: "/staff/breach/cases".into(),
        csrf: staff.csrf().to_owned(),
        case: row(&s, &staff.c, &case),
        opened_by,
        decided,
        entries: rows,
        may_scope: super::breach::visible(&staff.p),
        notice: catalogue_notice(&staff, "staff.breach_case.done"),
        c: staff.c.clone(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/breach_countdown.html")]
struct CountdownFragment {
    id: String,
    countdown: String,
    class: &'static str,
}

/// The countdown alone, which the case page swaps in every minute.
async fn countdown_fragment(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let id = case_id(&staff, &id)?;
    let (case, _) = breach::get_case(&s.app, &staff.p, id).await.map_err(|e| staff.fail(e))?;
    let r = row(&s, &staff.c, &case);
    Ok(CountdownFragment { id: r.id, countdown: r.countdown, class: r.class }.into_response())
}

async fn update(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let id = case_id(&staff, &id)?;
    breach::add_update(&s.app, &staff.p, id, field(&f, "update")).await.map_err(|e| staff.fail(e))?;
    Ok(Redirect::to(&format!("/staff/breach/cases/{id}?done=updated")).into_response())
}

async fn decide(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let id = case_id(&staff, &id)?;
    let kind = field(&f, "decision");
    let text = if kind == "notified" { field(&f, "reference") } else { field(&f, "reasoning") };
    breach::decide(&s.app, &staff.p, id, kind, text).await.map_err(|e| staff.fail(e))?;
    Ok(Redirect::to(&format!("/staff/breach/cases/{id}?done=decided")).into_response())
}
