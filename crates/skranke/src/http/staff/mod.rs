//! Staff pages and the staff API: sign-in, one's account, users and roles, the audit search, and
//! (in sibling modules) the administration pages.
//!
//! Every route under `/staff` and `/api/v1/staff` passes [`guard`]: it finds who is asking (a
//! session cookie or an `Authorization: Bearer skr_…` token), sends the signed-out to the sign-in
//! page (pages) or answers 401 (API), and refuses a state-changing session request without its
//! CSRF token. So no handler can forget either check; handlers then call the use case, whose
//! `Principal::authorize` decides 403 or 404.

mod account;
mod admin;
mod audit;
mod breach;
mod breach_cases;
mod mail;
mod platform;
pub mod queue_api;
mod queue_pages;
mod retention;
mod rights;
mod routes;
mod users;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, routing::post};
use skranke_core::access::{Permission, Target};
use skranke_core::ids::SessionId;

use super::AppState;
use super::error::{ApiError, log_if_server_error, message_of, status_of};
use super::pages::{Chrome, chrome};
use crate::app::{AppError, Principal, accounts};
use crate::auth::csrf;
use crate::i18n::Lang;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "skranke_session";

/// The signed-in browser session of a request (absent for API tokens).
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub id: SessionId,
    /// This session's CSRF token, for the forms of the page.
    pub csrf: String,
}

/// What a staff handler gets: who is asking, their session, and the page chrome.
#[derive(Clone, Debug)]
pub struct Staff {
    pub p: Principal,
    pub session: Option<StaffSession>,
    pub c: Chrome,
    /// The query string, for forms that keep filters.
    pub query: HashMap<String, String>,
}

impl Staff {
    /// The CSRF token to put in forms (empty for token requests, which have no forms).
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map(|s| s.csrf.as_str()).unwrap_or("")
    }

    pub fn may(&self, permission: Permission, target: Target) -> bool {
        self.p.may(permission, target)
    }

    /// An error page in the user's language.
    pub fn fail(&self, error: impl Into<AppError>) -> StaffError {
        StaffError { c: self.c.clone(), error: error.into(), csrf: self.csrf().to_owned() }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let Some(p) = parts.extensions.get::<Principal>().cloned() else {
            // Only reachable if a staff route were mounted outside the guard.
            return Err(StatusCode::UNAUTHORIZED.into_response());
        };
        let session = parts.extensions.get::<StaffSession>().cloned();
        let query: HashMap<String, String> =
            parts.uri.query().map(|q| serde_urlencoded::from_str(q).unwrap_or_default()).unwrap_or_default();
        let c = chrome(&parts.headers, parts.uri.path(), &query);
        Ok(Staff { p, session, c, query })
    }
}

/// The notice for `?done=<what>` from the catalogue section `prefix`; nothing for a value the
/// catalogue does not know (the query string is the visitor's to type).
/// A posted form as its name–value pairs, in order (repeated names kept).
pub(super) type RawForm = Vec<(String, String)>;

/// The first value of `name` in a posted form, or `""`.
pub(super) fn field<'a>(f: &'a RawForm, name: &str) -> &'a str {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

pub fn catalogue_notice(s: &Staff, prefix: &str) -> Option<String> {
    let done = s.query.get("done")?;
    crate::i18n::lookup(s.c.lang, &format!("{prefix}.{done}")).map(str::to_owned)
}

/// The navigation every staff page shows, by what the user may do.
#[derive(Debug)]
pub struct NavLink {
    pub href: String,
    pub label: &'static str,
}

pub fn nav(s: &Staff) -> Vec<NavLink> {
    let mut links = vec![NavLink { href: "/staff".into(), label: s.c.tr("staff.nav.home") }];
    if let Some(org) = s.p.organisation {
        let t = Target::Organisation(org);
        let any_centre = s.p.may_somewhere(Permission::ManageCentre);
        if s.may(Permission::ManageOrganisation, t) || any_centre {
            links.push(NavLink { href: "/staff/admin".into(), label: s.c.tr("staff.nav.admin") });
        }
        if s.may(Permission::ManageUsers, t) {
            links.push(NavLink { href: "/staff/users".into(), label: s.c.tr("staff.nav.users") });
        }
        if s.may(Permission::ViewAudit, t) {
            links.push(NavLink { href: "/staff/audit".into(), label: s.c.tr("staff.nav.audit") });
        }
        if rights::visible(&s.p) {
            links.push(NavLink { href: "/staff/citizen-data".into(), label: s.c.tr("staff.nav.citizen_data") });
        }
        if breach_cases::visible(&s.p) {
            links.push(NavLink { href: "/staff/breach/cases".into(), label: s.c.tr("staff.nav.breach_cases") });
        } else if breach::visible(&s.p) {
            links.push(NavLink { href: "/staff/breach".into(), label: s.c.tr("staff.nav.breach") });
        }
        if s.may(Permission::ManageOrganisation, t) {
            links.push(NavLink { href: "/staff/mail".into(), label: s.c.tr("staff.nav.mail") });
        }
    } else {
        if s.may(Permission::ManageOrganisations, Target::Platform) {
            links.push(NavLink {
                href: "/staff/platform/organisations".into(),
                label: s.c.tr("staff.nav.organisations"),
            });
        }
        if s.may(Permission::ViewAudit, Target::Platform) {
            links.push(NavLink { href: "/staff/audit".into(), label: s.c.tr("staff.nav.audit") });
        }
    }
    links.push(NavLink { href: "/staff/account".into(), label: s.c.tr("staff.nav.account") });
    links
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/error.html")]
struct StaffErrorPage {
    c: Chrome,
    csrf: String,
    message: String,
    operation_id: Option<String>,
}

/// A staff page that failed: the catalogue message on a page with the staff chrome.
#[derive(Debug)]
pub struct StaffError {
    c: Chrome,
    error: AppError,
    csrf: String,
}

impl IntoResponse for StaffError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        let operation_id = log_if_server_error(&self.error);
        let message = message_of(&self.error, self.c.lang);
        (status, StaffErrorPage { c: self.c, csrf: self.csrf, message, operation_id }).into_response()
    }
}

pub type StaffResult = Result<Response, StaffError>;

pub fn routes(state: AppState) -> Router<AppState> {
    let guarded = Router::new()
        .route("/staff", get(account::home))
        .route("/staff/sign-out", post(account::sign_out))
        .route("/staff/account", get(account::account_page))
        .route("/staff/account/password", post(account::change_password))
        .route("/staff/account/address/code", post(account::own_address_code))
        .route("/staff/account/address/confirm", post(account::own_address_confirm))
        .route("/staff/account/sign-out-everywhere", post(account::sign_out_everywhere))
        .route("/staff/account/tokens", post(account::create_token))
        .route("/staff/account/tokens/{id}/revoke", post(account::revoke_token))
        .merge(users::routes())
        .merge(admin::routes())
        .merge(audit::routes())
        .merge(breach::routes())
        .merge(breach_cases::routes())
        .merge(retention::routes())
        .merge(rights::routes())
        .merge(mail::routes())
        .merge(routes::routes())
        .merge(platform::routes())
        .merge(queue_api::routes())
        .merge(queue_pages::routes())
        .route("/api/v1/staff/me", get(account::me))
        .layer(middleware::from_fn_with_state(state, guard));
    Router::new()
        .route("/staff/sign-in", get(account::sign_in_form).post(account::sign_in))
        .route("/account/password/{token}", get(account::reset_form).post(account::reset_submit))
        .merge(guarded)
}

/// The client's address for the per-IP throttle: the TCP peer. (Behind a reverse proxy this is
/// the proxy; the per-account limit still holds, and the per-IP one then limits the proxy.)
pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<IpAddr> {
    parts_ext.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip())
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
}

/// `Set-Cookie` for a new session: HttpOnly (no script reads it), SameSite=Lax (other sites'
/// forms do not carry it), Secure when served over HTTPS, no Max-Age (the server ends it).
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("skranke_session=; Path=/"))
}

pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    let value = if secure {
        "skranke_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0"
    } else {
        "skranke_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    };
    HeaderValue::from_static(value)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn api_error(error: AppError, headers: &HeaderMap) -> Response {
    let lang =
        Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or(""));
    ApiError { error, lang }.into_response()
}

/// Largest form body the guard reads to find the CSRF field (the router's own limit is 64 KiB).
const MAX_FORM: usize = 64 * 1024;

/// Authenticates every staff request and checks CSRF on state-changing session requests.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let api = is_api(parts.uri.path());
    let app = &state.app;
    let secure = app.settings.auth.secure_cookies;

    // An API token, when presented, is the only credential considered.
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        let bearer = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
        return match accounts::api_token_principal(app, bearer.trim()).await {
            Ok(Some(p)) => {
                parts.extensions.insert(p);
                let mut resp = next.run(Request::from_parts(parts, body)).await;
                resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                resp
            }
            Ok(None) => api_error(AppError::Unauthenticated, &parts.headers),
            Err(e) => api_error(e, &parts.headers),
        };
    }

    let cookie = cookie_value(&parts.headers, SESSION_COOKIE).unwrap_or("").to_owned();
    let found = if cookie.is_empty() { Ok(None) } else { accounts::session_principal(app, &cookie).await };
    let (principal, session, token) = match found {
        Ok(Some(found)) => found,
        Ok(None) => {
            if api {
                return api_error(AppError::Unauthenticated, &parts.headers);
            }
            let next_path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/staff");
            let target = if parts.method == Method::GET {
                format!("/staff/sign-in?next={}", super::pages::urlencode(next_path))
            } else {
                "/staff/sign-in?expired=1".to_owned()
            };
            let mut resp = Redirect::to(&target).into_response();
            if !cookie.is_empty() {
                resp.headers_mut().append(header::SET_COOKIE, clear_session_cookie(secure));
            }
            return resp;
        }
        Err(e) => {
            return if api {
                api_error(e, &parts.headers)
            } else {
                let q = HashMap::new();
                StaffError { c: chrome(&parts.headers, parts.uri.path(), &q), error: e, csrf: String::new() }
                    .into_response()
            };
        }
    };
    let csrf_token = csrf::csrf_token(token.secret_bytes());

    let mut body = body;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let presented_header = parts.headers.get(csrf::HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let ok = match presented_header {
            Some(h) => csrf::verify_csrf(token.secret_bytes(), &h),
            None => {
                // A form post: read the body to find the field, then hand the same bytes on.
                let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
                    Ok(b) => b,
                    Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
                };
                let field = form_field(&bytes, csrf::FORM_FIELD);
                body = Body::from(bytes);
                field.is_some_and(|f| csrf::verify_csrf(token.secret_bytes(), &f))
            }
        };
        if !ok {
            tracing::info!(route = %parts.uri.path(), "refused a staff request without a valid CSRF token");
            if api {
                return api_error(AppError::CsrfFailed, &parts.headers);
            }
            let q = HashMap::new();
            return StaffError {
                c: chrome(&parts.headers, parts.uri.path(), &q),
                error: AppError::CsrfFailed,
                csrf: csrf_token,
            }
            .into_response();
        }
    }
    parts.extensions.insert(principal);
    parts.extensions.insert(StaffSession { id: session.id, csrf: csrf_token });
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    // Staff pages carry personal data and a CSRF token: never cached.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The first value of `name` in an `application/x-www-form-urlencoded` body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded_pairs(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub(super) fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

/// JSON for API handlers, or the error as JSON.
pub fn json_or_error<T: serde::Serialize>(r: Result<T, AppError>, lang: Lang) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(error) => ApiError { error, lang }.into_response(),
    }
}
