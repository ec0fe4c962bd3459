//! The platform operator's page: the organisations on this installation, and a new one with its
//! first administrator.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, State};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use super::{NavLink, Staff, StaffResult, nav};
use crate::app::{AppError, platform};
use crate::http::AppState;
use crate::http::error::{message_of, status_of};
use crate::http::pages::Chrome;
use crate::mail::format_local;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/platform/organisations", get(list).post(create))
}

struct OrgRow {
    name: String,
    domains: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/platform.html")]
struct PlatformPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    orgs: Vec<OrgRow>,
    error: Option<String>,
    error_field: &'static str,
    form: OrgForm,
    needs_reason: bool,
    created: Option<(String, String)>,
}

#[derive(Deserialize, Clone, Default)]
pub struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    admin_email: String,
    #[serde(default)]
    admin_name: String,
    #[serde(default)]
    reason: String,
}

async fn page(
    s: &AppState,
    staff: &Staff,
    error: Option<&AppError>,
    form: OrgForm,
    created: Option<(String, String)>,
) -> StaffResult {
    let orgs = platform::list_organisations(&s.app, &staff.p)
        .await
        .map_err(|e| staff.fail(e))?
        .into_iter()
        .map(|o| OrgRow { name: o.name, domains: o.mail_domains.join(", ") })
        .collect();
    let error_field = match error {
        Some(AppError::DomainResembles { .. }) => "domains",
        Some(AppError::AccountEmailNotOwn { .. }) | Some(AppError::BadRequest("email_taken")) => "admin_email",
        Some(AppError::BadRequest("invalid_org_domain")) => "domains",
        Some(e) => e.field().unwrap_or(""),
        None => "",
    };
    let status = error.map(status_of).unwrap_or(axum::http::StatusCode::OK);
    Ok((
        status,
        PlatformPage {
            nav: nav(staff),
            current: "/staff/platform/organisations".into(),
            csrf: staff.csrf().to_owned(),
            c: staff.c.clone(),
            orgs,
            error: error.map(|e| message_of(e, staff.c.lang)),
            error_field,
            needs_reason: matches!(error, Some(AppError::DomainResembles { .. })) || !form.reason.is_empty(),
            form,
            created,
        },
    )
        .into_response())
}

async fn list(State(s): State<AppState>, staff: Staff) -> StaffResult {
    page(&s, &staff, None, OrgForm::default(), None).await
}

async fn create(State(s): State<AppState>, staff: Staff, Form(f): Form<OrgForm>) -> StaffResult {
    let form = platform::NewOrganisationForm {
        name: f.name.clone(),
        domains: f.domains.clone(),
        admin_email: f.admin_email.clone(),
        admin_name: f.admin_name.clone(),
        reason: f.reason.clone(),
    };
    match platform::create_organisation(&s.app, &staff.p, &form).await {
        Ok((_, link)) => {
            let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
            let until = format_local(staff.c.lang, link.expires_at, &tz);
            let url =
                format!("{}/account/password/{}", s.app.settings.public_url.trim_end_matches('/'), link.token.expose());
            page(&s, &staff, None, OrgForm::default(), Some((url, until))).await
        }
        Err(e) if status_of(&e).is_client_error() && !matches!(e, AppError::NotFound(_) | AppError::Forbidden) => {
            page(&s, &staff, Some(&e), f, None).await
        }
        Err(e) => Err(staff.fail(e)),
    }
}
