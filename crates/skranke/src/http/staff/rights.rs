//! A citizen's data on request (issue 7, point 5; Art. 15), for staff at the booking's centre:
//! by booking reference, as a page and as JSON. Each look is audited as an export.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{NavLink, Staff, StaffResult, json_or_error, nav};
use crate::app::rights::{self, CitizenExport};
use crate::http::AppState;
use crate::http::pages::Chrome;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/citizen-data", get(page)).route("/api/v1/staff/citizen-data", get(api))
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
}

/// Whether the user may look up citizens at all (at some centre): the nav shows the page and the
/// handlers let the request through; the use case then checks the booking's centre.
pub fn visible(p: &crate::app::Principal) -> bool {
    p.grants
        .iter()
        .any(|g| skranke_core::access::allows(g.role(), skranke_core::access::Permission::ViewCitizenDetails))
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
    }
    .into_response())
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
