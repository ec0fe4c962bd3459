//! Sign-in, sign-out, the staff home page, one's own account (password, sessions, API tokens),
//! and the password link an administrator hands out.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use skranke_core::access::Grant;
use skranke_core::ids::ApiTokenId;
use utoipa::ToSchema;

use super::{NavLink, Staff, StaffResult, clear_session_cookie, client_ip, nav, session_cookie};
use crate::app::{AppError, accounts};
use crate::http::AppState;
use crate::http::error::message_of;
use crate::http::pages::{Chrome, chrome};
use crate::i18n::{Lang, t, tf};
use crate::mail::format_local;
use crate::store::Store as _;

/// A role with its scope, as a person reads it: "Sagsbehandler – Borgerservice Midtby".
pub async fn grant_label(state: &AppState, lang: Lang, g: &Grant) -> String {
    let role = t(lang, &format!("role.{}", g.role().as_str()));
    match g.scope().centre() {
        Some(centre) => {
            let name = state.app.store.get_centre(centre).await.ok().flatten().map(|c| c.centre.name);
            format!("{role} – {}", name.unwrap_or_else(|| centre.to_string()))
        }
        None if g.scope().organisation().is_some() => format!("{role} – {}", t(lang, "staff.scope.organisation")),
        None => format!("{role} – {}", t(lang, "staff.scope.platform")),
    }
}

/// Where to go after sign-in: only a path on this site under /staff (never another host).
fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/staff") && !next.starts_with("//") && !next.contains('\\') && !next.contains("://");
    if ok { next.to_owned() } else { "/staff".to_owned() }
}

/// Refuses a form posted from another site (login CSRF, where there is no session to bind a
/// token to). Browsers say where a request comes from in `Sec-Fetch-Site`; older ones only in
/// `Origin`, which our `Referrer-Policy: no-referrer` turns into `null` even on our own pages, so
/// `null` proves nothing either way. Clients that send neither (scripts, tests) are not browsers
/// an attacker can drive.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            !host.is_empty() && origin.split("://").nth(1) == Some(host)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/sign_in.html")]
struct SignInPage {
    c: Chrome,
    csrf: String,
    next: String,
    email: String,
    expired: bool,
    notice: Option<String>,
    error: Option<String>,
}

pub async fn sign_in_form(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let c = chrome(&headers, "/staff/sign-in", &q);
    let next = safe_next(q.get("next").map(String::as_str).unwrap_or("/staff"));
    let notice = q.contains_key("password_set").then(|| c.tr("staff.reset.done").to_owned());
    SignInPage {
        expired: q.contains_key("expired"),
        c,
        csrf: String::new(),
        next,
        email: String::new(),
        notice,
        error: None,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let q: HashMap<String, String> = HashMap::new();
    let c = chrome(&parts.headers, "/staff/sign-in", &q);
    let page = |status: StatusCode, email: String, next: String, error: String| {
        (
            status,
            SignInPage {
                c: c.clone(),
                csrf: String::new(),
                next,
                email,
                expired: false,
                notice: None,
                error: Some(error),
            },
        )
            .into_response()
    };
    if !same_origin(&parts.headers) {
        return page(StatusCode::FORBIDDEN, String::new(), "/staff".into(), message_of(&AppError::CsrfFailed, c.lang));
    }
    let bytes = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let Ok(form) = serde_urlencoded::from_bytes::<SignInForm>(&bytes) else {
        return page(StatusCode::BAD_REQUEST, String::new(), "/staff".into(), c.tr("error.invalid_form").to_owned());
    };
    let next = safe_next(&form.next);
    // The typed name is shown again only if it is short and printable; it is never logged.
    let shown_email = if form.email.len() <= 254 && !form.email.chars().any(char::is_control) {
        form.email.clone()
    } else {
        String::new()
    };
    match accounts::sign_in(&s.app, &form.email, &form.password, client_ip(&parts.extensions)).await {
        Ok(signed) => {
            let mut resp = Redirect::to(&next).into_response();
            resp.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&signed.token.expose(), s.app.settings.auth.secure_cookies));
            resp
        }
        Err(e) => {
            let status = crate::http::error::status_of(&e);
            let op = crate::http::error::log_if_server_error(&e);
            let mut msg = message_of(&e, c.lang);
            if let Some(op) = op {
                msg = format!("{msg} ({}: {op})", c.tr("error.operation_id"));
            }
            let mut resp = page(status, shown_email, next, msg);
            if let AppError::TooManyAttempts { retry_after_secs } = e
                && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
    }
}

pub async fn sign_out(State(s): State<AppState>, staff: Staff) -> StaffResult {
    if let Some(session) = &staff.session {
        accounts::sign_out(&s.app, &staff.p, session.id).await.map_err(|e| staff.fail(e))?;
    }
    let mut resp = Redirect::to("/staff/sign-in").into_response();
    resp.headers_mut().append(header::SET_COOKIE, clear_session_cookie(s.app.settings.auth.secure_cookies));
    Ok(resp)
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/home.html")]
struct HomePage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    greeting: String,
    roles: Vec<String>,
    /// Per centre the person works at: its name and the queue screens they may open.
    centres: Vec<(String, Vec<NavLink>)>,
    /// Mail that needs a person (RS-40, RS-31), in sentences.
    attention: Vec<String>,
    /// Whether the person can act on it at `/staff/mail`.
    sees_mail: bool,
}

/// Silent addresses and held messages, as the home page says them.
async fn mail_attention(s: &AppState, staff: &Staff) -> Result<(Vec<String>, bool), super::StaffError> {
    use skranke_core::access::{Permission, Target};
    let lang = staff.c.lang;
    let found = crate::app::notify::attention(&s.app, &staff.p).await.map_err(|e| staff.fail(e))?;
    let Some(org) = staff.p.organisation else { return Ok((Vec::new(), false)) };
    let zone = match s.app.store.get_organisation(org).await.map_err(|e| staff.fail(e))? {
        Some(o) => jiff::tz::TimeZone::get(&o.value.timezone).unwrap_or(jiff::tz::TimeZone::UTC),
        None => jiff::tz::TimeZone::UTC,
    };
    let mut lines: Vec<String> = found
        .silent
        .iter()
        .map(|x| {
            tf(
                lang,
                "staff.home.silent",
                &[
                    ("count", &x.count.to_string()),
                    ("address", &x.address.address),
                    ("since", &crate::mail::format_local(lang, x.oldest_sent_at, &zone)),
                ],
            )
        })
        .collect();
    if found.held > 0 {
        lines.push(tf(lang, "staff.home.held", &[("count", &found.held.to_string())]));
    }
    Ok((lines, staff.may(Permission::ManageOrganisation, Target::Organisation(org))))
}

/// The queue screens of each centre of the person's organisation that their roles open.
async fn queue_links(s: &AppState, staff: &Staff) -> Vec<(String, Vec<NavLink>)> {
    use skranke_core::access::{Permission, Target};
    let Some(org) = staff.p.organisation else { return Vec::new() };
    let Ok(centres) = s.app.store.organisation_centres(org).await else { return Vec::new() };
    let mut out = Vec::new();
    for centre in centres {
        let c = centre.value;
        let t = Target::Centre { organisation: org, centre: c.id };
        let mut links = Vec::new();
        let mut link = |perm: Permission, href: String, key: &str| {
            if staff.may(perm, t) {
                links.push(NavLink { href, label: staff.c.tr(key) });
            }
        };
        link(Permission::ServeCitizens, format!("/staff/centres/{}/desk", c.id), "staff.home.desk");
        link(Permission::OperateKiosk, format!("/staff/centres/{}/kiosk", c.id), "staff.home.kiosk");
        link(Permission::ViewQueue, format!("/centres/{}/lobby", c.id), "staff.home.lobby");
        link(Permission::ManageCentre, format!("/staff/centres/{}/stats", c.id), "staff.home.stats");
        if !links.is_empty() {
            out.push((c.name, links));
        }
    }
    out
}

pub async fn home(State(s): State<AppState>, staff: Staff) -> StaffResult {
    let mut roles = Vec::new();
    for g in &staff.p.grants {
        roles.push(grant_label(&s, staff.c.lang, g).await);
    }
    let greeting = tf(staff.c.lang, "staff.home.greeting", &[("name", staff.p.name.as_str())]);
    let centres = queue_links(&s, &staff).await;
    let (attention, sees_mail) = mail_attention(&s, &staff).await?;
    Ok(HomePage {
        centres,
        attention,
        sees_mail,
        nav: nav(&staff),
        current: "/staff".into(),
        csrf: staff.csrf().to_owned(),
        c: staff.c,
        greeting,
        roles,
    }
    .into_response())
}

struct TokenRow {
    id: ApiTokenId,
    label: String,
    role: String,
    hint: String,
    expires: String,
    state: &'static str,
    live: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/account.html")]
struct AccountPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    name: String,
    email: String,
    notice: Option<String>,
    error: Option<String>,
    error_field: &'static str,
    new_token: Option<String>,
    tokens: Vec<TokenRow>,
    grant_choices: Vec<String>,
    max_days: i64,
    /// The user's own address for notifications, as the registry has it (RS-11); `None` for a
    /// platform operator, who has no organisation.
    own_address: Option<OwnAddress>,
}

struct OwnAddress {
    /// `None` until the user first asks for a code (the registry files it then).
    state: Option<String>,
    verified: bool,
    expires: String,
}

async fn account_view(
    s: &AppState,
    staff: &Staff,
    notice: Option<String>,
    error: Option<&AppError>,
    new_token: Option<String>,
) -> StaffResult {
    let app = &s.app;
    let user = app
        .store
        .get_user(staff.p.user)
        .await
        .map_err(|e| staff.fail(e))?
        .ok_or_else(|| staff.fail(AppError::Unauthenticated))?;
    let now = app.clock.now();
    let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
    let lang = staff.c.lang;
    let mut tokens = Vec::new();
    for rec in accounts::list_api_tokens(app, &staff.p).await.map_err(|e| staff.fail(e))? {
        let expired = rec.expires_at.is_some_and(|e| e <= now);
        let (state, live) = match (rec.revoked_at, expired) {
            (Some(_), _) => ("staff.tokens.revoked", false),
            (None, true) => ("staff.tokens.expired", false),
            (None, false) => ("staff.tokens.active", true),
        };
        tokens.push(TokenRow {
            id: rec.id,
            role: grant_label(s, lang, &rec.grant).await,
            label: rec.label,
            hint: rec.hint,
            expires: rec.expires_at.map(|e| format_local(lang, e, &tz)).unwrap_or_default(),
            state: t(lang, state),
            live,
        });
    }
    let mut grant_choices = Vec::new();
    for g in &staff.p.grants {
        grant_choices.push(grant_label(s, lang, g).await);
    }
    let own_address = match staff.p.organisation {
        None => None,
        Some(_) => {
            let owner = crate::store::Owner::new(crate::store::OwnerKind::User, staff.p.user.as_uuid());
            let record = app.store.current_address(owner).await.map_err(|e| staff.fail(e))?;
            let state = record.as_ref().map(|r| r.state.at(now));
            Some(OwnAddress {
                state: state.map(|s| t(lang, &format!("staff.mail.state.{}", s.name())).to_owned()),
                verified: matches!(state, Some(skranke_core::notify::AddressState::Verified { .. })),
                expires: match state {
                    Some(skranke_core::notify::AddressState::Verified { expires_at, .. }) => {
                        format_local(lang, expires_at, &tz)
                    }
                    _ => String::new(),
                },
            })
        }
    };
    let status = error.map(crate::http::error::status_of).unwrap_or(StatusCode::OK);
    let error_field = match error {
        Some(AppError::WrongCurrentPassword) => "current",
        Some(AppError::Password(_)) => "new",
        Some(AppError::PasswordsDiffer) => "repeat",
        Some(e) => e.field().unwrap_or(""),
        None => "",
    };
    Ok((
        status,
        AccountPage {
            nav: nav(staff),
            current: "/staff/account".into(),
            csrf: staff.csrf().to_owned(),
            c: staff.c.clone(),
            name: user.name,
            email: user.email,
            notice,
            error: error.map(|e| message_of(e, lang)),
            error_field,
            new_token,
            tokens,
            grant_choices,
            max_days: app.settings.auth.api_token_max_days,
            own_address,
        },
    )
        .into_response())
}

pub async fn account_page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    let notice = staff.query.get("done").map(|k| match k.as_str() {
        "password" => staff.c.tr("staff.account.password_changed").to_owned(),
        "revoked" => staff.c.tr("staff.tokens.revoked_notice").to_owned(),
        "address_code" => staff.c.tr("staff.account.address_code_sent").to_owned(),
        "address_verified" => staff.c.tr("staff.account.address_verified").to_owned(),
        _ => String::new(),
    });
    account_view(&s, &staff, notice.filter(|n| !n.is_empty()), None, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn change_password(State(s): State<AppState>, staff: Staff, Form(f): Form<PasswordForm>) -> StaffResult {
    match accounts::change_password(&s.app, &staff.p, &f.current, &f.new, &f.repeat).await {
        Ok(signed) => {
            // Every old session ended; continue in the new one.
            let mut resp = Redirect::to("/staff/account?done=password").into_response();
            resp.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&signed.token.expose(), s.app.settings.auth.secure_cookies));
            Ok(resp)
        }
        Err(e) if crate::http::error::status_of(&e).is_client_error() => {
            account_view(&s, &staff, None, Some(&e), None).await
        }
        Err(e) => Err(staff.fail(e)),
    }
}

/// Sends a code to the user's own address (filing it in the registry the first time).
pub async fn own_address_code(State(s): State<AppState>, staff: Staff) -> StaffResult {
    let result = async {
        let record = crate::app::notify::own_address(&s.app, &staff.p).await?;
        crate::app::notify::request_code(&s.app, &staff.p, record.id).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/staff/account?done=address_code").into_response()),
        Err(e) if crate::http::error::status_of(&e).is_client_error() && !matches!(e, AppError::Forbidden) => {
            account_view(&s, &staff, None, Some(&e), None).await
        }
        Err(e) => Err(staff.fail(e)),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The user types back the code that reached their address: it is verified (RS-11).
pub async fn own_address_confirm(State(s): State<AppState>, staff: Staff, Form(f): Form<CodeForm>) -> StaffResult {
    let result = async {
        let record = crate::app::notify::own_address(&s.app, &staff.p).await?;
        crate::app::notify::confirm_code(&s.app, &staff.p, record.id, &f.code).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/staff/account?done=address_verified").into_response()),
        Err(e) if crate::http::error::status_of(&e).is_client_error() && !matches!(e, AppError::Forbidden) => {
            account_view(&s, &staff, None, Some(&e), None).await
        }
        Err(e) => Err(staff.fail(e)),
    }
}

pub async fn sign_out_everywhere(State(s): State<AppState>, staff: Staff) -> StaffResult {
    accounts::sign_out_everywhere(&s.app, &staff.p).await.map_err(|e| staff.fail(e))?;
    let mut resp = Redirect::to("/staff/sign-in").into_response();
    resp.headers_mut().append(header::SET_COOKIE, clear_session_cookie(s.app.settings.auth.secure_cookies));
    Ok(resp)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    grant: String,
    #[serde(default)]
    days: String,
}

pub async fn create_token(State(s): State<AppState>, staff: Staff, Form(f): Form<TokenForm>) -> StaffResult {
    let index: usize = f.grant.trim().parse().unwrap_or(usize::MAX);
    let days: i64 = f.days.trim().parse().unwrap_or(0);
    match accounts::create_api_token(&s.app, &staff.p, &f.label, index, days).await {
        Ok(created) => account_view(&s, &staff, None, None, Some(created.token.expose())).await,
        Err(e) if crate::http::error::status_of(&e).is_client_error() => {
            account_view(&s, &staff, None, Some(&e), None).await
        }
        Err(e) => Err(staff.fail(e)),
    }
}

pub async fn revoke_token(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let id: ApiTokenId = id.parse().map_err(|_| staff.fail(AppError::NotFound("api_token")))?;
    accounts::revoke_api_token(&s.app, &staff.p, id).await.map_err(|e| staff.fail(e))?;
    Ok(Redirect::to("/staff/account?done=revoked").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/reset.html")]
struct ResetPage {
    c: Chrome,
    csrf: String,
    intro: String,
    email: String,
    action: String,
    error: Option<String>,
}

fn public_error_page(c: Chrome, e: &AppError) -> Response {
    super::StaffError { c, error: clone_error(e), csrf: String::new() }.into_response()
}

fn clone_error(e: &AppError) -> AppError {
    match e {
        AppError::ResetLinkInvalid => AppError::ResetLinkInvalid,
        _ => AppError::BadRequest("invalid_form"),
    }
}

pub async fn reset_form(State(s): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let q = HashMap::new();
    // The path holds the secret: the language link must not repeat it anywhere but here.
    let c = chrome(&headers, &format!("/account/password/{token}"), &q);
    match accounts::reset_link_user(&s.app, &token).await {
        Ok(user) => {
            let intro = tf(c.lang, "staff.reset.intro", &[("email", &user.email)]);
            ResetPage {
                action: format!("/account/password/{token}"),
                c,
                csrf: String::new(),
                intro,
                email: user.email,
                error: None,
            }
            .into_response()
        }
        Err(e) => public_error_page(c, &e),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn reset_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> Response {
    let q = HashMap::new();
    let c = chrome(&headers, &format!("/account/password/{token}"), &q);
    if !same_origin(&headers) {
        return public_error_page(c, &AppError::CsrfFailed);
    }
    let user = match accounts::reset_link_user(&s.app, &token).await {
        Ok(u) => u,
        Err(e) => return public_error_page(c, &e),
    };
    match accounts::complete_reset(&s.app, &token, &f.new, &f.repeat).await {
        Ok(_) => Redirect::to("/staff/sign-in?password_set=1").into_response(),
        Err(e) => {
            let status = crate::http::error::status_of(&e);
            let intro = tf(c.lang, "staff.reset.intro", &[("email", &user.email)]);
            let error = Some(message_of(&e, c.lang));
            (
                status,
                ResetPage {
                    action: format!("/account/password/{token}"),
                    c,
                    csrf: String::new(),
                    intro,
                    email: user.email,
                    error,
                },
            )
                .into_response()
        }
    }
}

/// Who the caller is, for integrations checking their token.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: String,
    pub name: String,
    pub organisation: Option<String>,
    /// The roles this request acts with (`role@organisation` or `role@organisation/centre`).
    pub grants: Vec<String>,
    /// `session` or `api_token`.
    pub via: &'static str,
}

pub async fn me(staff: Staff) -> Response {
    let grants = staff
        .p
        .grants
        .iter()
        .map(|g| {
            let scope = g.scope();
            match (scope.organisation(), scope.centre()) {
                (Some(o), Some(c)) => format!("{}@{o}/{c}", g.role()),
                (Some(o), None) => format!("{}@{o}", g.role()),
                _ => format!("{}@platform", g.role()),
            }
        })
        .collect();
    let via = match staff.p.via {
        crate::app::Via::Session => "session",
        crate::app::Via::ApiToken(_) => "api_token",
    };
    Json(Me {
        user: staff.p.user.to_string(),
        name: staff.p.name.to_string(),
        organisation: staff.p.organisation.map(|o| o.to_string()),
        grants,
        via,
    })
    .into_response()
}
