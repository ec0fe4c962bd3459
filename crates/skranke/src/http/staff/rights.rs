//! A citizen's data on request (issue 7, point 5; Art. 15 and 17), for staff at the booking's
//! centre: by booking reference, as a page and as JSON, and erased on request. Each look is
//! audited as an export, each erasure as an erasure.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};

use super::{NavLink, RawForm, Staff, StaffResult, field, json_or_error, nav};
use crate::app::rights::{self, CitizenExport};
use crate::http::AppState;
use crate::http::pages::Chrome;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/citizen-data", get(page))
        .route("/staff/citizen-data/erase", post(erase))
        .route("/api/v1/staff/citizen-data", get(api))
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/citizen_data.html")]
struct CitizenDataPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    f_reference: String,
    /// The export as indented JSON: complete, and what the citizen gets as a file.
    export: Option<String>,
    /// The user may erase it (`ManageAppointments` somewhere; the use case checks the centre).
    may_erase: bool,
    /// Just erased (after the redirect).
    erased: bool,
}

/// Whether the user may look up citizens at all (at some centre): the nav shows the page and the
/// handlers let the request through; the use case then checks the booking's centre.
pub fn visible(p: &crate::app::Principal) -> bool {
    p.may_somewhere(skranke_core::access::Permission::ViewCitizenDetails)
}

async fn page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    if !visible(&staff.p) {
        return Err(staff.fail(crate::app::AppError::Forbidden));
    }
    let reference = staff.query.get("reference").map(|r| r.trim().to_owned()).unwrap_or_default();
    let export = if reference.is_empty() {
        None
    } else {
        let export = rights::export_by_staff(&s.app, &staff.p, &reference).await.map_err(|e| staff.fail(e))?;
        Some(serde_json::to_string_pretty(&export).unwrap_or_default())
    };
    Ok(CitizenDataPage {
        nav: nav(&staff),
        current: "/staff/citizen-data".into(),
        csrf: staff.csrf().to_owned(),
        f_reference: reference,
        c: staff.c.clone(),
        export,
        may_erase: staff.p.may_somewhere(skranke_core::access::Permission::ManageAppointments),
        erased: staff.query.get("erased").is_some_and(|v| v == "1"),
    }
    .into_response())
}

/// Erases the citizen's name and contact details on the booking (Art. 17), then shows the data
/// again, now without them.
async fn erase(State(s): State<AppState>, staff: Staff, Form(f): Form<RawForm>) -> StaffResult {
    if !staff.p.may_somewhere(skranke_core::access::Permission::ManageAppointments) {
        return Err(staff.fail(crate::app::AppError::Forbidden));
    }
    let reference = field(&f, "reference").trim().to_owned();
    rights::erase_by_staff(&s.app, &staff.p, &reference).await.map_err(|e| staff.fail(e))?;
    let query = serde_urlencoded::to_string([("reference", reference.as_str()), ("erased", "1")]).unwrap_or_default();
    Ok(axum::response::Redirect::to(&format!("/staff/citizen-data?{query}")).into_response())
}

async fn api(State(s): State<AppState>, staff: Staff) -> Response {
    if !visible(&staff.p) {
        return json_or_error::<()>(Err(crate::app::AppError::Forbidden), staff.c.lang);
    }
    let reference = staff.query.get("reference").cloned().unwrap_or_default();
    let r: Result<CitizenExport, _> = rights::export_by_staff(&s.app, &staff.p, &reference).await;
    match r {
        Ok(export) => ([(header::CACHE_CONTROL, "no-store")], Json(export)).into_response(),
        Err(e) => json_or_error::<()>(Err(e), staff.c.lang),
    }
}
