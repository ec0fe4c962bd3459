//! The routing rules page of an organisation's administrators (issue 6, point 3): for each event,
//! which recipients are told, and the changes waiting for a second administrator (RS-60). A
//! change is proposed with one button per route; another administrator approves or rejects it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use jiff::tz::TimeZone;
use skranke_core::notify::route::{Event, Recipient};

use super::{NavLink, RawForm, Staff, StaffResult, field, nav};
use crate::app::AppError;
use crate::app::routes as use_case;
use crate::http::AppState;
use crate::http::error::{message_of, status_of};
use crate::http::pages::Chrome;
use crate::i18n::{Lang, t};
use crate::mail::flows::{class_names, route_template};
use crate::mail::format_local;
use crate::store::Store as _;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/mail/routes", get(page).post(propose))
        .route("/staff/mail/routes/changes/{id}/approve", post(approve))
        .route("/staff/mail/routes/changes/{id}/reject", post(reject))
}

struct RouteRow {
    event: String,
    recipient: String,
    event_key: &'static str,
    recipient_key: &'static str,
    on: bool,
    classes: String,
    personal: bool,
    /// A change of this route is waiting for approval.
    pending: bool,
}

struct ChangeRow {
    id: String,
    route: String,
    old: String,
    new: String,
    requested_by: String,
    when: String,
    mine: bool,
}

struct Problem {
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/mail_routes.html")]
struct RoutesPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    problem: Option<Problem>,
    notice: Option<String>,
    rows: Vec<RouteRow>,
    changes: Vec<ChangeRow>,
}

fn on_off(lang: Lang, on: bool) -> String {
    t(lang, if on { "staff.routes.on" } else { "staff.routes.off" }).to_owned()
}

fn route_name(lang: Lang, event: Event, recipient: Recipient) -> String {
    format!("{} → {}", t(lang, &format!("mail.flows.event.{event}")), t(lang, &format!("mail.flows.to.{recipient}")))
}

async fn render(s: &AppState, staff: &Staff, problem: Option<Problem>) -> StaffResult {
    let lang = staff.c.lang;
    let table = use_case::route_table(&s.app, &staff.p).await.map_err(|e| staff.fail(e))?;
    let pending = use_case::pending_routes(&s.app, &staff.p).await.map_err(|e| staff.fail(e))?;
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    let zone = match s.app.store.get_organisation(org).await.map_err(|e| staff.fail(e))? {
        Some(o) => TimeZone::get(&o.value.timezone).unwrap_or(TimeZone::UTC),
        None => TimeZone::UTC,
    };
    let rows = table
        .rows()
        .map(|(event, recipient, on)| {
            let (_, classes) = route_template(event, recipient);
            RouteRow {
                event: t(lang, &format!("mail.flows.event.{event}")).to_owned(),
                recipient: t(lang, &format!("mail.flows.to.{recipient}")).to_owned(),
                event_key: event.as_str(),
                recipient_key: recipient.as_str(),
                on,
                classes: class_names(lang, classes),
                personal: classes.any_personal(),
                pending: pending.iter().any(|c| c.event == event && c.recipient == recipient),
            }
        })
        .collect();
    let mut changes = Vec::new();
    for change in pending {
        let who = s.app.store.get_user(change.requested_by).await.map_err(|e| staff.fail(e))?;
        changes.push(ChangeRow {
            id: change.id.to_string(),
            route: route_name(lang, change.event, change.recipient),
            old: on_off(lang, !change.enabled),
            new: on_off(lang, change.enabled),
            requested_by: who.map(|u| u.name).unwrap_or_default(),
            when: format_local(lang, change.requested_at, &zone),
            mine: change.requested_by == staff.p.user,
        });
    }
    Ok(RoutesPage {
        c: staff.c.clone(),
        csrf: staff.csrf().to_owned(),
        nav: nav(staff),
        current: "/staff/mail".into(),
        problem,
        notice: super::catalogue_notice(staff, "staff.routes.done"),
        rows,
        changes,
    }
    .into_response())
}

async fn page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    render(&s, &staff, None).await
}

/// A done action redirects with a notice; a refused one shows the page with the message (4xx).
async fn after<T>(s: &AppState, staff: &Staff, done: &str, r: Result<T, AppError>) -> StaffResult {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/staff/mail/routes?done={done}")).into_response()),
        Err(e) if status_of(&e).is_client_error() && !matches!(e, AppError::NotFound(_) | AppError::Forbidden) => {
            let status = status_of(&e);
            let problem = Problem { message: message_of(&e, staff.c.lang) };
            let mut page = render(s, staff, Some(problem)).await?;
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(staff.fail(e)),
    }
}

async fn propose(State(s): State<AppState>, staff: Staff, Form(f): Form<RawForm>) -> StaffResult {
    let event = Event::parse(field(&f, "event"));
    let recipient = Recipient::parse(field(&f, "recipient"));
    let enabled = match field(&f, "enabled") {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    };
    let r = match (event, recipient, enabled) {
        (Some(e), Some(to), Some(on)) => {
            use_case::propose_route(&s.app, &staff.p, e, to, on).await.map(|c| c.is_some())
        }
        _ => Err(AppError::Field { field: "route", code: "admin.invalid_choice" }),
    };
    match r {
        Ok(false) => after(&s, &staff, "unchanged", Ok(())).await,
        other => after(&s, &staff, "proposed", other).await,
    }
}

async fn decide(s: &AppState, staff: &Staff, id: &str, approve: bool) -> StaffResult {
    let id: uuid::Uuid = id.parse().map_err(|_| staff.fail(AppError::NotFound("change")))?;
    let r = use_case::decide_route(&s.app, &staff.p, id, approve).await;
    after(s, staff, if approve { "approved" } else { "rejected" }, r).await
}

async fn approve(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    decide(&s, &staff, &id, true).await
}

async fn reject(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    decide(&s, &staff, &id, false).await
}
