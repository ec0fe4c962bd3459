//! Users and roles of the administrator's organisation: list, add (with a password link to hand
//! over), grant and revoke roles, disable and enable, make a new password link.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use skranke_core::access::{Role, ScopeKind};
use skranke_core::ids::UserId;

use super::account::grant_label;
use super::{NavLink, Staff, StaffResult, nav};
use crate::app::{AppError, accounts};
use crate::http::AppState;
use crate::http::error::{message_of, status_of};
use crate::http::pages::Chrome;
use crate::i18n::t;
use crate::mail::format_local;
use crate::store::Store as _;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/users", get(list).post(create))
        .route("/staff/users/{id}", get(show))
        .route("/staff/users/{id}/grants", post(grant))
        .route("/staff/users/{id}/grants/revoke", post(revoke))
        .route("/staff/users/{id}/disable", post(disable))
        .route("/staff/users/{id}/enable", post(enable))
        .route("/staff/users/{id}/password-link", post(password_link))
}

struct UserRow {
    id: UserId,
    name: String,
    email: String,
    roles: Vec<String>,
    disabled: bool,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/users.html")]
struct UsersPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    users: Vec<UserRow>,
    roles: Vec<Choice>,
    centres: Vec<Choice>,
    error: Option<String>,
    error_field: &'static str,
    form_email: String,
    form_name: String,
    created: Option<(String, String)>,
}

/// The roles an organisation administrator can hand out, and the organisation's centres.
async fn choices(s: &AppState, staff: &Staff) -> (Vec<Choice>, Vec<Choice>) {
    let lang = staff.c.lang;
    let roles = Role::ALL
        .iter()
        .filter(|r| r.may_be_granted_at(ScopeKind::Organisation) || r.may_be_granted_at(ScopeKind::Centre))
        .map(|r| Choice { value: r.as_str().to_owned(), label: t(lang, &format!("role.{}", r.as_str())).to_owned() })
        .collect();
    let mut centres = vec![Choice { value: String::new(), label: t(lang, "staff.scope.organisation").to_owned() }];
    if let Ok(list) = s.app.store.list_centres().await {
        centres.extend(
            list.into_iter()
                .filter(|v| Some(v.centre.organisation_id) == staff.p.organisation)
                .map(|v| Choice { value: v.centre.id.to_string(), label: v.centre.name }),
        );
    }
    (roles, centres)
}

async fn users_page(
    s: &AppState,
    staff: &Staff,
    error: Option<&AppError>,
    form: Option<&NewUserForm>,
    created: Option<(String, String)>,
) -> StaffResult {
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    let list = accounts::list_users(&s.app, &staff.p, org).await.map_err(|e| staff.fail(e))?;
    let mut users = Vec::new();
    for u in list {
        let mut roles = Vec::new();
        for g in &u.grants {
            roles.push(grant_label(s, staff.c.lang, g).await);
        }
        users.push(UserRow {
            id: u.user.id,
            name: u.user.name,
            email: u.user.email,
            roles,
            disabled: u.user.disabled_at.is_some(),
        });
    }
    let (roles, centres) = choices(s, staff).await;
    let status = error.map(status_of).unwrap_or(axum::http::StatusCode::OK);
    let error_field = match error {
        Some(AppError::AccountEmailNotOwn { .. }) | Some(AppError::BadRequest("email_taken")) => "email",
        Some(e) => e.field().unwrap_or(""),
        None => "",
    };
    Ok((
        status,
        UsersPage {
            nav: nav(staff),
            current: "/staff/users".into(),
            csrf: staff.csrf().to_owned(),
            c: staff.c.clone(),
            users,
            roles,
            centres,
            error: error.map(|e| message_of(e, staff.c.lang)),
            error_field,
            form_email: form.map(|f| f.email.clone()).unwrap_or_default(),
            form_name: form.map(|f| f.name.clone()).unwrap_or_default(),
            created,
        },
    )
        .into_response())
}

async fn list(State(s): State<AppState>, staff: Staff) -> StaffResult {
    users_page(&s, &staff, None, None, None).await
}

#[derive(Deserialize, Clone)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    centre: String,
}

fn link_url(s: &AppState, token: &crate::auth::token::Token) -> String {
    format!("{}/account/password/{}", s.app.settings.public_url.trim_end_matches('/'), token.expose())
}

async fn create(State(s): State<AppState>, staff: Staff, Form(f): Form<NewUserForm>) -> StaffResult {
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    let form = accounts::NewUserForm {
        email: f.email.clone(),
        name: f.name.clone(),
        role: f.role.clone(),
        centre: f.centre.clone(),
    };
    match accounts::create_user(&s.app, &staff.p, org, &form).await {
        Ok((_, link)) => {
            let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
            let until = format_local(staff.c.lang, link.expires_at, &tz);
            users_page(&s, &staff, None, None, Some((link_url(&s, &link.token), until))).await
        }
        Err(e) if status_of(&e).is_client_error() && !matches!(e, AppError::NotFound(_) | AppError::Forbidden) => {
            users_page(&s, &staff, Some(&e), Some(&f), None).await
        }
        Err(e) => Err(staff.fail(e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/user.html")]
struct UserPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    id: UserId,
    name: String,
    email: String,
    disabled: bool,
    grants: Vec<(String, String, String)>,
    roles: Vec<Choice>,
    centres: Vec<Choice>,
    link: Option<(String, String)>,
    notice: Option<String>,
}

async fn user_page(s: &AppState, staff: &Staff, raw_id: &str, link: Option<(String, String)>) -> StaffResult {
    let id: UserId = raw_id.parse().map_err(|_| staff.fail(AppError::NotFound("user")))?;
    let user = s
        .app
        .store
        .get_user(id)
        .await
        .map_err(|e| staff.fail(e))?
        .ok_or_else(|| staff.fail(AppError::NotFound("user")))?;
    let org = user.organisation.ok_or_else(|| staff.fail(AppError::NotFound("user")))?;
    // The access check (404 for another organisation's user) is the use case's.
    let all = accounts::list_users(&s.app, &staff.p, org).await.map_err(|e| staff.fail(e))?;
    let Some(entry) = all.into_iter().find(|u| u.user.id == id) else {
        return Err(staff.fail(AppError::NotFound("user")));
    };
    let mut grants = Vec::new();
    for g in &entry.grants {
        let centre = g.scope().centre().map(|c| c.to_string()).unwrap_or_default();
        grants.push((grant_label(s, staff.c.lang, g).await, g.role().as_str().to_owned(), centre));
    }
    let (roles, centres) = choices(s, staff).await;
    let notice = staff
        .query
        .get("done")
        .map(|d| t(staff.c.lang, &format!("staff.users.done.{d}")).to_owned())
        .filter(|n| !n.is_empty());
    Ok(UserPage {
        nav: nav(staff),
        current: "/staff/users".into(),
        csrf: staff.csrf().to_owned(),
        c: staff.c.clone(),
        id,
        name: user.name,
        email: user.email,
        disabled: user.disabled_at.is_some(),
        grants,
        roles,
        centres,
        link,
        notice,
    }
    .into_response())
}

async fn show(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    user_page(&s, &staff, &id, None).await
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    centre: String,
}

fn user_id(staff: &Staff, raw: &str) -> Result<UserId, super::StaffError> {
    raw.parse().map_err(|_| staff.fail(AppError::NotFound("user")))
}

fn back(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/staff/users/{id}?done={done}")).into_response()
}

async fn grant(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> StaffResult {
    let uid = user_id(&staff, &id)?;
    accounts::grant_role(&s.app, &staff.p, uid, &f.role, &f.centre).await.map_err(|e| staff.fail(e))?;
    Ok(back(&id, "granted"))
}

async fn revoke(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> StaffResult {
    let uid = user_id(&staff, &id)?;
    accounts::revoke_role(&s.app, &staff.p, uid, &f.role, &f.centre).await.map_err(|e| staff.fail(e))?;
    Ok(back(&id, "revoked"))
}

async fn disable(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let uid = user_id(&staff, &id)?;
    accounts::set_user_disabled(&s.app, &staff.p, uid, true).await.map_err(|e| staff.fail(e))?;
    Ok(back(&id, "disabled"))
}

async fn enable(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let uid = user_id(&staff, &id)?;
    accounts::set_user_disabled(&s.app, &staff.p, uid, false).await.map_err(|e| staff.fail(e))?;
    Ok(back(&id, "enabled"))
}

async fn password_link(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let uid = user_id(&staff, &id)?;
    let link = accounts::create_reset_link(&s.app, &staff.p, uid).await.map_err(|e| staff.fail(e))?;
    let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
    let until = format_local(staff.c.lang, link.expires_at, &tz);
    user_page(&s, &staff, &id, Some((link_url(&s, &link.token), until))).await
}
