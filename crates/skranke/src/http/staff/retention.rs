//! Retention periods (issue 7, point 3) at `/staff/admin/retention`: each class's period for
//! the organisation, its default and its minimum with the reason, for the organisation's
//! administrators. A refused period is shown on the page with its reason (422), never dropped.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use skranke_core::retention::RetentionClass;

use super::{NavLink, RawForm, Staff, StaffResult, catalogue_notice, field, nav};
use crate::app::{AppError, retention};
use crate::http::AppState;
use crate::http::error::{message_of, status_of};
use crate::http::pages::Chrome;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/admin/retention", get(page).post(save))
}

struct Problem {
    message: String,
}

struct Row {
    class: &'static str,
    name: &'static str,
    what: &'static str,
    days: u32,
    default_days: u32,
    min_days: u32,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/retention.html")]
struct RetentionPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    rows: Vec<Row>,
    notice: Option<String>,
    problem: Option<Problem>,
}

async fn render(s: &AppState, staff: &Staff, problem: Option<Problem>) -> StaffResult {
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    staff
        .p
        .authorize(
            skranke_core::access::Permission::ManageOrganisation,
            skranke_core::access::Target::Organisation(org),
        )
        .map_err(|e| staff.fail(e))?;
    let policy = retention::policy(&s.app, org).await.map_err(|e| staff.fail(e))?;
    let rows = RetentionClass::ALL
        .into_iter()
        .map(|c| Row {
            class: c.as_str(),
            name: staff.c.tr(&format!("staff.retention.class.{}", c.as_str())),
            what: staff.c.tr(&format!("staff.retention.what.{}", c.as_str())),
            days: policy.days(c),
            default_days: c.default_days(),
            min_days: c.min_days(),
        })
        .collect();
    Ok(RetentionPage {
        nav: nav(staff),
        current: "/staff/admin".into(),
        csrf: staff.csrf().to_owned(),
        notice: catalogue_notice(staff, "staff.retention.done"),
        c: staff.c.clone(),
        rows,
        problem,
    }
    .into_response())
}

async fn page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    render(&s, &staff, None).await
}

async fn save(State(s): State<AppState>, staff: Staff, Form(f): Form<RawForm>) -> StaffResult {
    match retention::set_period(&s.app, &staff.p, field(&f, "class"), field(&f, "days")).await {
        Ok(()) => Ok(Redirect::to("/staff/admin/retention?done=saved").into_response()),
        Err(e) if status_of(&e).is_client_error() && !matches!(e, AppError::NotFound(_) | AppError::Forbidden) => {
            let status = status_of(&e);
            let mut page = render(&s, &staff, Some(Problem { message: message_of(&e, staff.c.lang) })).await?;
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(staff.fail(e)),
    }
}
