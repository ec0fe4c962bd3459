//! Citizen booking pages: centre → service → day and slot → details → code → confirmation, and
//! the manage page (cancel, move, calendar file). Server-rendered; htmx only swaps the slot list.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Router, routing::get};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use skranke_core::availability::local_today;
use skranke_core::booking::AppointmentStatus;
use skranke_core::ids::{AppointmentId, CentreId, ServiceId};

use super::AppState;
use super::error::{log_if_server_error, message_of, status_of};
use crate::app::AppError;
use crate::app::booking::BookingRequest;
use crate::i18n::{Lang, t, tf};
use crate::mail::format_local;
use crate::store::{Appointment, Store};

/// How many days the day picker shows.
const DAYS_SHOWN: i32 = 14;

/// What every page needs: the language and the link that switches it.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub lang: Lang,
    pub switch_url: String,
}

impl Chrome {
    pub fn tr(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    pub fn other_lang_code(&self) -> &'static str {
        self.other().code()
    }
    fn other(&self) -> Lang {
        match self.lang {
            Lang::Da => Lang::En,
            Lang::En => Lang::Da,
        }
    }
}

/// Reads the language from `?lang=` or the `lang` cookie (Danish by default).
pub(crate) fn chrome(headers: &HeaderMap, path: &str, query: &HashMap<String, String>) -> Chrome {
    let from_query = query.get("lang").and_then(|l| Lang::parse(l));
    let from_cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').find_map(|kv| kv.trim().strip_prefix("lang=")))
        .and_then(Lang::parse);
    let lang = from_query.or(from_cookie).unwrap_or_default();
    let mut c = Chrome { lang, switch_url: String::new() };
    let mut pairs: Vec<String> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "lang")
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    pairs.sort();
    pairs.push(format!("lang={}", c.other().code()));
    c.switch_url = format!("{path}?{}", pairs.join("&"));
    c
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Remembers a language chosen with `?lang=` in a cookie.
async fn remember_language(req: Request, next: Next) -> Response {
    let chosen =
        req.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang="))).and_then(Lang::parse);
    let mut resp = next.run(req).await;
    if let Some(lang) = chosen {
        let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", lang.code());
        if let Ok(v) = cookie.parse() {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/book/{centre}", get(services))
        .route("/book/{centre}/{service}", get(slots))
        .route("/book/{centre}/{service}/details", get(details).post(book))
        .route("/book/check-email", axum::routing::post(check_email))
        .route("/booking/{id}", get(booking))
        .route("/booking/{id}/code", get(code_form).post(code_submit))
        .route("/booking/{id}/cancel", get(cancel_form).post(cancel))
        .route("/booking/{id}/move", get(move_form).post(move_submit))
        .route("/booking/{id}/calendar.ics", get(calendar))
        .route("/booking/{id}/data", get(my_data))
        .route("/booking/{id}/data.json", get(my_data_json))
        .route("/booking/{id}/erase", axum::routing::post(erase_my_data))
        .route("/dev/mail", get(dev_mail))
        .layer(middleware::from_fn(remember_language))
        .layer(middleware::from_fn(refuse_cross_site_forms))
}

/// The citizen forms carry no session to bind a CSRF token to (cancel and move need the manage
/// token, which another site cannot know); what is left is a form posted from another site, e.g.
/// booking in someone's name. Browsers say so in `Sec-Fetch-Site`; such a post is refused.
async fn refuse_cross_site_forms(req: Request, next: Next) -> Response {
    let cross_site = req.method() == axum::http::Method::POST
        && req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
    if cross_site {
        let q = HashMap::new();
        let c = chrome(req.headers(), req.uri().path(), &q);
        return PageError { c, error: AppError::CsrfFailed }.into_response();
    }
    next.run(req).await
}

#[derive(Template, WebTemplate)]
#[template(path = "error_page.html")]
struct ErrorPage {
    c: Chrome,
    message: String,
    operation_id: Option<String>,
}

/// A page that failed: a friendly page with the catalogue message and, for server faults, an
/// operation id to quote to support.
pub(crate) struct PageError {
    pub(crate) c: Chrome,
    pub(crate) error: AppError,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        let operation_id = log_if_server_error(&self.error);
        let message = message_of(&self.error, self.c.lang);
        (status, ErrorPage { c: self.c, message, operation_id }).into_response()
    }
}

type PageResult = Result<Response, PageError>;

struct Ctx {
    c: Chrome,
    q: HashMap<String, String>,
}

impl Ctx {
    fn new(headers: &HeaderMap, path: &str, q: HashMap<String, String>) -> Self {
        Self { c: chrome(headers, path, &q), q }
    }
    fn fail(&self, error: impl Into<AppError>) -> PageError {
        PageError { c: self.c.clone(), error: error.into() }
    }
    fn id<T: std::str::FromStr>(&self, raw: &str, what: &'static str) -> Result<T, PageError> {
        raw.parse().map_err(|_| self.fail(AppError::NotFound(what)))
    }
    fn token(&self) -> Option<&str> {
        self.q.get("token").map(String::as_str)
    }
    async fn service(&self, app: &crate::app::App, id: ServiceId) -> Result<crate::store::Service, PageError> {
        app.store
            .get_service(id)
            .await
            .map_err(|e| self.fail(e))?
            .ok_or_else(|| self.fail(AppError::NotFound("service")))
    }
    /// The centre and its time zone.
    async fn centre(
        &self,
        app: &crate::app::App,
        id: CentreId,
    ) -> Result<(crate::store::CentreView, TimeZone), PageError> {
        let centre = app
            .store
            .get_centre(id)
            .await
            .map_err(|e| self.fail(e))?
            .ok_or_else(|| self.fail(AppError::NotFound("centre")))?;
        let tz = TimeZone::get(&centre.timezone).map_err(|_| self.fail(AppError::NotFound("centre")))?;
        Ok((centre, tz))
    }
}

fn ctx(headers: &HeaderMap, uri_path: String, q: Query<HashMap<String, String>>) -> Ctx {
    Ctx::new(headers, &uri_path, q.0)
}

/// For pages answering a POST: the language link must carry what the form carried (the chosen
/// time, the token), or switching language would lose it.
fn ctx_after_post(
    headers: &HeaderMap,
    uri_path: String,
    q: Query<HashMap<String, String>>,
    carried: &[(&str, &str)],
) -> Ctx {
    let mut query = q.0;
    for (k, v) in carried {
        if !v.is_empty() {
            query.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    Ctx::new(headers, &uri_path, query)
}

// ---------------------------------------------------------------- centres and services

struct CentreItem {
    id: CentreId,
    name: String,
    address: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "centres.html")]
struct CentresPage {
    c: Chrome,
    centres: Vec<CentreItem>,
}

async fn index(State(s): State<AppState>, headers: HeaderMap, q: Query<HashMap<String, String>>) -> PageResult {
    let x = ctx(&headers, "/".into(), q);
    let centres = s.app.store.list_centres().await.map_err(|e| x.fail(e))?;
    let centres = centres
        .into_iter()
        .map(|v| CentreItem { id: v.centre.id, name: v.centre.name, address: v.centre.address })
        .collect();
    Ok(CentresPage { c: x.c, centres }.into_response())
}

struct ServiceItem {
    id: ServiceId,
    name: String,
    duration: String,
    bookable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "services.html")]
struct ServicesPage {
    c: Chrome,
    centre_id: CentreId,
    centre_name: String,
    centre_address: String,
    services: Vec<ServiceItem>,
}

async fn services(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(centre): Path<String>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/book/{centre}"), q);
    let id: CentreId = x.id(&centre, "centre")?;
    let store = &s.app.store;
    let view =
        store.get_centre(id).await.map_err(|e| x.fail(e))?.ok_or_else(|| x.fail(AppError::NotFound("centre")))?;
    let list = store.list_services(id).await.map_err(|e| x.fail(e))?;
    let services = list
        .iter()
        .map(|sv| ServiceItem {
            id: sv.id,
            name: sv.name(x.c.lang).to_owned(),
            duration: tf(x.c.lang, "services.duration", &[("minutes", &sv.rules.duration_minutes().to_string())]),
            bookable: sv.rules.online_bookable(),
        })
        .collect();
    Ok(ServicesPage {
        c: x.c,
        centre_id: id,
        centre_name: view.centre.name,
        centre_address: view.centre.address,
        services,
    }
    .into_response())
}

// ---------------------------------------------------------------- days and slots

struct DayItem {
    label: String,
    url: String,
    selected: bool,
}

struct SlotItem {
    label: String,
    url: String,
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "slots.html")]
struct SlotsPage {
    c: Chrome,
    service_name: String,
    centre_name: String,
    back_url: String,
    note: Option<String>,
    days: Vec<DayItem>,
    day_label: Option<String>,
    slots: Vec<SlotItem>,
}

fn day_label(lang: Lang, d: Date) -> String {
    tf(
        lang,
        "format.day",
        &[
            ("weekday", t(lang, &format!("weekday.{}", d.weekday().to_monday_one_offset()))),
            ("day", &d.day().to_string()),
            ("month", t(lang, &format!("month.{}", d.month()))),
        ],
    )
}

fn time_label(t: Timestamp, tz: &TimeZone) -> String {
    tz.to_datetime(t).strftime("%H:%M").to_string()
}

/// The next days with free slots, and the slots of the chosen (or first) one.
struct SlotPicker {
    tz: TimeZone,
    days_with_slots: Vec<Date>,
    selected: Option<Date>,
    slots: Vec<skranke_core::availability::Slot>,
    service_name: String,
    centre_name: String,
    centre_id: CentreId,
    bookable: bool,
}

async fn pick(s: &AppState, x: &Ctx, service: ServiceId) -> Result<SlotPicker, PageError> {
    let sv = x.service(&s.app, service).await?;
    let (centre, tz) = x.centre(&s.app, sv.centre_id).await?;
    let today = local_today(s.app.clock.now(), &tz);
    let last = today.checked_add(jiff::Span::new().days(DAYS_SHOWN - 1)).unwrap_or(today);
    let a = s.app.availability(service, today, last).await.map_err(|e| x.fail(e))?;
    let mut days: Vec<Date> = a.slots.iter().map(|sl| tz.to_datetime(sl.interval.start()).date()).collect();
    days.dedup();
    let wanted = x.q.get("day").and_then(|d| d.parse::<Date>().ok());
    let selected = wanted.or_else(|| days.first().copied());
    let slots =
        a.slots.iter().filter(|sl| Some(tz.to_datetime(sl.interval.start()).date()) == selected).cloned().collect();
    Ok(SlotPicker {
        tz,
        days_with_slots: days,
        selected,
        slots,
        service_name: sv.name(x.c.lang).to_owned(),
        centre_name: centre.centre.name,
        centre_id: centre.centre.id,
        bookable: sv.rules.online_bookable(),
    })
}

fn slot_items(p: &SlotPicker, base: &str) -> Vec<SlotItem> {
    p.slots
        .iter()
        .map(|sl| SlotItem {
            label: time_label(sl.interval.start(), &p.tz),
            url: format!("{base}/details?start={}", urlencode(&sl.interval.start().to_string())),
            value: sl.interval.start().to_string(),
        })
        .collect()
}

async fn slots(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((centre, service)): Path<(String, String)>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let base = format!("/book/{centre}/{service}");
    let x = ctx(&headers, base.clone(), q);
    let service_id: ServiceId = x.id(&service, "service")?;
    let p = pick(&s, &x, service_id).await?;
    if p.centre_id.to_string() != centre {
        return Err(x.fail(AppError::NotFound("service")));
    }
    let days = p
        .days_with_slots
        .iter()
        .map(|d| DayItem {
            label: day_label(x.c.lang, *d),
            url: format!("{base}?day={d}"),
            selected: Some(*d) == p.selected,
        })
        .collect();
    let note = (!p.bookable).then(|| t(x.c.lang, "services.not_online").to_owned());
    Ok(SlotsPage {
        slots: slot_items(&p, &base),
        day_label: p.selected.map(|d| day_label(x.c.lang, d)),
        c: x.c,
        service_name: p.service_name,
        centre_name: p.centre_name,
        back_url: format!("/book/{centre}"),
        note,
        days,
    }
    .into_response())
}

// ---------------------------------------------------------------- details and booking

#[derive(Template, WebTemplate)]
#[template(path = "details.html")]
struct DetailsPage {
    c: Chrome,
    action: String,
    back_url: String,
    service_name: String,
    centre_name: String,
    when: String,
    start: String,
    name: String,
    email: String,
    phone: String,
    error: Option<String>,
    error_field: &'static str,
    /// "Did you mean …?" for an address that resembles a known domain (warn and confirm).
    email_warning: Option<String>,
    confirm_email: String,
}

#[derive(Deserialize)]
struct DetailsForm {
    start: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    /// Set when the citizen chose to keep an address the checker warned about.
    #[serde(default)]
    confirm_email: String,
}

async fn details_page(
    s: &AppState,
    x: Ctx,
    centre: &str,
    service: &str,
    form: DetailsForm,
    error: Option<AppError>,
    warning: Option<String>,
) -> PageResult {
    let service_id: ServiceId = x.id(service, "service")?;
    let start: Timestamp = form.start.parse().map_err(|_| x.fail(AppError::BadRequest("invalid_start")))?;
    let sv = x.service(&s.app, service_id).await?;
    let (cv, tz) = x.centre(&s.app, sv.centre_id).await?;
    let status = error.as_ref().map(status_of).unwrap_or(if warning.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    });
    let page = DetailsPage {
        action: format!("/book/{centre}/{service}/details"),
        back_url: format!("/book/{centre}/{service}?day={}", tz.to_datetime(start).date()),
        service_name: sv.name(x.c.lang).to_owned(),
        centre_name: cv.centre.name,
        when: format_local(x.c.lang, start, &tz),
        start: start.to_string(),
        name: form.name,
        email: form.email.clone(),
        phone: form.phone,
        error_field: error.as_ref().and_then(AppError::field).unwrap_or(""),
        email_warning: warning.clone(),
        confirm_email: if warning.is_some() { form.email.trim().to_owned() } else { String::new() },
        error: error.as_ref().map(|e| message_of(e, x.c.lang)),
        c: x.c,
    };
    Ok((status, page).into_response())
}

async fn details(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((centre, service)): Path<(String, String)>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/book/{centre}/{service}/details"), q);
    let start = x.q.get("start").cloned().unwrap_or_default();
    let form = DetailsForm {
        start,
        name: String::new(),
        email: String::new(),
        phone: String::new(),
        confirm_email: String::new(),
    };
    details_page(&s, x, &centre, &service, form, None, None).await
}

async fn book(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((centre, service)): Path<(String, String)>,
    q: Query<HashMap<String, String>>,
    form: Result<Form<DetailsForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let start = form.as_ref().map(|f| f.start.clone()).unwrap_or_default();
    let x = ctx_after_post(&headers, format!("/book/{centre}/{service}/details"), q, &[("start", &start)]);
    let Form(form) = form.map_err(|_| x.fail(AppError::BadRequest("invalid_form")))?;
    let service_id: ServiceId = x.id(&service, "service")?;
    let start: Timestamp = form.start.parse().map_err(|_| x.fail(AppError::BadRequest("invalid_start")))?;
    // Warn and confirm (RS-12): an address resembling a known domain is sent back once with a
    // "did you mean …?"; submitting it unchanged a second time keeps it. Never auto-corrected.
    let typed = form.email.trim();
    if !typed.is_empty()
        && form.confirm_email.trim() != typed
        && let Some(v) = super::api::judge_address(typed, &[], x.c.lang)
        && v.verdict == "lookalike"
    {
        return details_page(&s, x, &centre, &service, form, None, Some(v.message)).await;
    }
    let req = BookingRequest {
        service: service_id,
        start,
        name: form.name.clone(),
        email: Some(form.email.clone()),
        phone: Some(form.phone.clone()),
        language: x.c.lang,
    };
    match s.app.book(req).await {
        Ok(b) => {
            s.metrics.booking(b.appointment.status.as_str());
            let next = if b.appointment.status == AppointmentStatus::Held { "/code" } else { "" };
            Ok(Redirect::to(&format!("/booking/{}{next}?token={}", b.appointment.id, b.token.expose())).into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Slot(_))) => {
            details_page(&s, x, &centre, &service, form, Some(e), None).await
        }
        Err(e) => Err(x.fail(e)),
    }
}

// ---------------------------------------------------------------- code

#[derive(Template, WebTemplate)]
#[template(path = "code.html")]
struct CodePage {
    c: Chrome,
    intro: String,
    action: String,
    token: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    start: String,
}

fn code_page(x: &Ctx, a: &Appointment, token: &str, error: Option<&AppError>) -> Response {
    let email = a.citizen_email.clone().unwrap_or_default();
    let page = CodePage {
        c: x.c.clone(),
        intro: tf(x.c.lang, "code.intro", &[("email", &email)]),
        action: format!("/booking/{}/code", a.id),
        token: token.to_owned(),
        error: error.map(|e| message_of(e, x.c.lang)),
    };
    (error.map(status_of).unwrap_or(StatusCode::OK), page).into_response()
}

async fn code_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/booking/{id}/code"), q);
    let id: AppointmentId = x.id(&id, "booking")?;
    let a = s.app.booking_for_holder(id, x.token()).await.map_err(|e| x.fail(e))?;
    Ok(code_page(&x, &a, x.token().unwrap_or(""), None))
}

async fn code_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let x = ctx_after_post(&headers, format!("/booking/{id}/code"), q, &[("token", &form.token)]);
    let id: AppointmentId = x.id(&id, "booking")?;
    match s.app.confirm(id, Some(&form.token), &form.code).await {
        Ok(a) => {
            s.metrics.booking("confirmed_by_code");
            Ok(Redirect::to(&format!("/booking/{}?token={}", a.id, form.token)).into_response())
        }
        Err(e @ AppError::WrongCode { .. }) => {
            let a = s.app.booking_for_holder(id, Some(&form.token)).await.map_err(|e| x.fail(e))?;
            Ok(code_page(&x, &a, &form.token, Some(&e)))
        }
        Err(e) => Err(x.fail(e)),
    }
}

// ---------------------------------------------------------------- booking, cancel, move

#[derive(Template, WebTemplate)]
#[template(path = "booking.html")]
struct BookingPage {
    c: Chrome,
    heading: String,
    notice: Option<String>,
    error: Option<String>,
    reference: String,
    status: String,
    service_name: String,
    when: String,
    centre_name: String,
    centre_address: String,
    active: bool,
    manage_url: String,
    ics_url: String,
    move_url: String,
    cancel_url: String,
    data_url: String,
}

async fn booking_page(s: &AppState, x: &Ctx, a: &Appointment, token: &str, notice: Option<String>) -> PageResult {
    let sv = x.service(&s.app, a.service_id).await?;
    let (cv, tz) = x.centre(&s.app, a.centre_id).await?;
    let status = a.status_at(s.app.clock.now());
    let lang = x.c.lang;
    let heading = t(lang, &format!("booking.heading.{}", status.as_str())).to_owned();
    let base = s.app.settings.public_url.trim_end_matches('/');
    // The citizen sees their own booking: the service name is shown whatever its sensitivity.
    Ok(BookingPage {
        heading,
        notice,
        error: None,
        reference: a.reference.to_string(),
        status: t(lang, &format!("status.{}", status.as_str())).to_owned(),
        service_name: sv.name(lang).to_owned(),
        when: format_local(lang, a.slot.start(), &tz),
        centre_name: cv.centre.name,
        centre_address: cv.centre.address,
        active: status == AppointmentStatus::Confirmed,
        manage_url: format!("{base}/booking/{}?token={token}", a.id),
        ics_url: format!("/booking/{}/calendar.ics?token={token}", a.id),
        move_url: format!("/booking/{}/move?token={token}", a.id),
        cancel_url: format!("/booking/{}/cancel?token={token}", a.id),
        data_url: format!("/booking/{}/data?token={token}", a.id),
        c: x.c.clone(),
    }
    .into_response())
}

async fn booking(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/booking/{id}"), q);
    let id: AppointmentId = x.id(&id, "booking")?;
    let a = s.app.booking_for_holder(id, x.token()).await.map_err(|e| x.fail(e))?;
    if a.status_at(s.app.clock.now()) == AppointmentStatus::Held {
        return Ok(Redirect::to(&format!("/booking/{}/code?token={}", a.id, x.token().unwrap_or(""))).into_response());
    }
    let notice = x
        .q
        .get("done")
        .map(|d| t(x.c.lang, &format!("booking.done.{}", if d == "moved" { "moved" } else { "cancelled" })).to_owned());
    booking_page(&s, &x, &a, x.token().unwrap_or(""), notice).await
}

#[derive(Template, WebTemplate)]
#[template(path = "cancel.html")]
struct CancelPage {
    c: Chrome,
    question: String,
    back_url: String,
    action: String,
    token: String,
}

/// Cancelling asks once more: a citizen can lose a hard-to-get time with one stray tap.
async fn cancel_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/booking/{id}/cancel"), q);
    let id: AppointmentId = x.id(&id, "booking")?;
    let a = s.app.booking_for_holder(id, x.token()).await.map_err(|e| x.fail(e))?;
    let (_, tz) = x.centre(&s.app, a.centre_id).await?;
    let token = x.token().unwrap_or("").to_owned();
    Ok(CancelPage {
        question: tf(
            x.c.lang,
            "cancel.question",
            &[("when", &format_local(x.c.lang, a.slot.start(), &tz)), ("reference", a.reference.as_str())],
        ),
        back_url: format!("/booking/{}?token={token}", a.id),
        action: format!("/booking/{}/cancel", a.id),
        token,
        c: x.c,
    }
    .into_response())
}

async fn cancel(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let x = ctx(&headers, format!("/booking/{id}"), q);
    let id: AppointmentId = x.id(&id, "booking")?;
    let a = s.app.cancel(id, Some(&form.token)).await.map_err(|e| x.fail(e))?;
    s.metrics.booking("cancelled");
    Ok(Redirect::to(&format!("/booking/{}?token={}&done=cancelled", a.id, form.token)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "move.html")]
struct MovePage {
    c: Chrome,
    back_url: String,
    current: String,
    error: Option<String>,
    days: Vec<DayItem>,
    day_label: String,
    slots: Vec<SlotItem>,
    action: String,
    token: String,
}

async fn move_page(s: &AppState, x: &Ctx, a: &Appointment, token: &str, error: Option<&AppError>) -> PageResult {
    let p = pick(s, x, a.service_id).await?;
    let base = format!("/booking/{}/move?token={token}", a.id);
    let days = p
        .days_with_slots
        .iter()
        .map(|d| DayItem {
            label: day_label(x.c.lang, *d),
            url: format!("{base}&day={d}"),
            selected: Some(*d) == p.selected,
        })
        .collect();
    let page = MovePage {
        back_url: format!("/booking/{}?token={token}", a.id),
        current: format_local(x.c.lang, a.slot.start(), &p.tz),
        error: error.map(|e| message_of(e, x.c.lang)),
        days,
        day_label: p.selected.map(|d| day_label(x.c.lang, d)).unwrap_or_default(),
        slots: slot_items(&p, ""),
        action: format!("/booking/{}/move", a.id),
        token: token.to_owned(),
        c: x.c.clone(),
    };
    Ok((error.map(status_of).unwrap_or(StatusCode::OK), page).into_response())
}

async fn move_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/booking/{id}/move"), q);
    let id: AppointmentId = x.id(&id, "booking")?;
    let a = s.app.booking_for_holder(id, x.token()).await.map_err(|e| x.fail(e))?;
    move_page(&s, &x, &a, x.token().unwrap_or(""), None).await
}

async fn move_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let x = ctx_after_post(&headers, format!("/booking/{id}/move"), q, &[("token", &form.token)]);
    let id: AppointmentId = x.id(&id, "booking")?;
    let start: Timestamp = form.start.parse().map_err(|_| x.fail(AppError::BadRequest("invalid_start")))?;
    match s.app.reschedule(id, Some(&form.token), start).await {
        Ok(a) => {
            s.metrics.booking("rescheduled");
            Ok(Redirect::to(&format!("/booking/{}?token={}&done=moved", a.id, form.token)).into_response())
        }
        Err(e @ AppError::Slot(_)) => {
            let a = s.app.booking_for_holder(id, Some(&form.token)).await.map_err(|e| x.fail(e))?;
            move_page(&s, &x, &a, &form.token, Some(&e)).await
        }
        Err(e) => Err(x.fail(e)),
    }
}

async fn calendar(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/booking/{id}"), q);
    let id: AppointmentId = x.id(&id, "booking")?;
    let a = s.app.booking_for_holder(id, x.token()).await.map_err(|e| x.fail(e))?;
    super::ics::response(&s, &a, x.c.lang).await.map_err(|e| x.fail(e))
}

// ---------------------------------------------------------------- demo mailbox

struct MailItem {
    subject: String,
    recipient: String,
    when: String,
    body: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dev_mail.html")]
struct DevMailPage {
    c: Chrome,
    mails: Vec<MailItem>,
    held: Vec<HeldItem>,
}

/// A message the gate (or the relay) held back or blocked: never its content.
struct HeldItem {
    template: String,
    recipient: String,
    reason: String,
    blocked: bool,
    when: String,
}

async fn dev_mail(State(s): State<AppState>, headers: HeaderMap, q: Query<HashMap<String, String>>) -> PageResult {
    let x = ctx(&headers, "/dev/mail".into(), q);
    if !s.demo {
        return Err(x.fail(AppError::NotFound("page")));
    }
    let tz = TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC);
    let mails = s.app.store.list_dev_mail(200).await.map_err(|e| x.fail(e))?;
    let mails = mails
        .into_iter()
        .map(|m| MailItem {
            subject: m.subject,
            recipient: m.recipient,
            when: format_local(x.c.lang, m.delivered_at, &tz),
            body: m.body_text,
        })
        .collect();
    // Demo only: every organisation's held and blocked messages, so the gate can be seen at work.
    let mut held = Vec::new();
    for org in s.app.store.list_organisations().await.map_err(|e| x.fail(e))? {
        for h in s.app.store.list_held(org.id).await.map_err(|e| x.fail(e))? {
            held.push(HeldItem {
                template: h.template,
                recipient: h.recipient,
                reason: crate::i18n::t(x.c.lang, &format!("gate.reason.{}", h.reason)).to_owned(),
                blocked: h.outcome == "block",
                when: format_local(x.c.lang, h.held_at, &tz),
            });
        }
    }
    Ok(DevMailPage { c: x.c, mails, held }.into_response())
}

#[derive(Deserialize)]
struct EmailField {
    #[serde(default)]
    email: String,
}

/// The hint under the e-mail field, fetched by htmx as the citizen types: "did you mean …?" for
/// a likely typo, nothing otherwise (syntax errors are shown on submit, not while typing).
async fn check_email(headers: HeaderMap, q: Query<HashMap<String, String>>, Form(f): Form<EmailField>) -> Response {
    let x = ctx(&headers, "/book/check-email".into(), q);
    let typed = f.email.trim();
    let message = if typed.is_empty() || typed.len() > 254 {
        String::new()
    } else {
        match super::api::judge_address(typed, &[], x.c.lang) {
            Some(v) if v.verdict == "lookalike" => v.message,
            _ => String::new(),
        }
    };
    let html = format!(
        "<p id=\"email-check\" class=\"hint warn\" aria-live=\"polite\">{}</p>",
        askama::filters::escape(&message, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default()
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

// ---------------------------------------------------------------------------------------------
// Citizens' rights (issue 7, point 5): what is held (Art. 15) and erasure (Art. 17)
// ---------------------------------------------------------------------------------------------

struct DataRow {
    label: &'static str,
    value: String,
}

struct MessageRow {
    what: String,
    to: String,
    when: String,
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "my_data.html")]
struct MyDataPage {
    c: Chrome,
    back_url: String,
    json_url: String,
    erase_action: String,
    token: String,
    controller: String,
    rows: Vec<DataRow>,
    addresses: Vec<String>,
    messages: Vec<MessageRow>,
    visits: Vec<String>,
    anonymised: bool,
    may_erase: bool,
    kept: Vec<&'static str>,
    notice: Option<String>,
    error: Option<String>,
}

async fn my_data_page(s: &AppState, x: &Ctx, id: AppointmentId, error: Option<&AppError>) -> PageResult {
    let token = x.token().unwrap_or("").to_owned();
    let export = crate::app::rights::export_for_holder(&s.app, id, Some(&token)).await.map_err(|e| x.fail(e))?;
    let tz = TimeZone::get(&export.booking.timezone).unwrap_or(TimeZone::UTC);
    let lang = x.c.lang;
    let when = |t: jiff::Timestamp| crate::mail::format_local(lang, t, &tz);
    let b = &export.booking;
    let none = || x.c.tr("rights.none").to_owned();
    let rows = vec![
        DataRow { label: x.c.tr("rights.reference"), value: b.reference.clone() },
        DataRow { label: x.c.tr("rights.status"), value: x.c.tr(&format!("rights.status_{}", b.status)).to_owned() },
        DataRow { label: x.c.tr("rights.time"), value: when(b.starts_at) },
        DataRow { label: x.c.tr("rights.place"), value: b.centre.clone() },
        DataRow { label: x.c.tr("rights.service"), value: b.service.clone() },
        DataRow { label: x.c.tr("field.name"), value: b.name.clone().unwrap_or_else(none) },
        DataRow { label: x.c.tr("field.email"), value: b.email.clone().unwrap_or_else(none) },
        DataRow { label: x.c.tr("field.phone"), value: b.phone.clone().unwrap_or_else(none) },
        DataRow { label: x.c.tr("rights.booked_at"), value: when(b.created_at) },
    ];
    let messages = export
        .messages
        .iter()
        .map(|m| MessageRow {
            what: crate::i18n::lookup(lang, &format!("rights.template.{}", m.template))
                .map_or_else(|| m.template.clone(), str::to_owned),
            to: if m.recipient.is_empty() { none() } else { m.recipient.clone() },
            when: m.sent_at.map(when).unwrap_or_default(),
            status: x.c.tr(&format!("rights.message_{}", m.status)).to_owned(),
        })
        .collect();
    let page = MyDataPage {
        back_url: format!("/booking/{id}?token={token}"),
        json_url: format!("/booking/{id}/data.json?token={token}"),
        erase_action: format!("/booking/{id}/erase"),
        controller: export.controller.clone(),
        rows,
        addresses: export.addresses.iter().map(|a| a.address.clone()).collect(),
        messages,
        visits: export.visits.iter().map(|v| format!("{} ({})", v.ticket, v.day)).collect(),
        anonymised: export.anonymised,
        may_erase: !export.anonymised && !export.must_cancel_first,
        kept: crate::app::rights::KEPT_AFTER_ERASURE.to_vec(),
        notice: x.q.get("done").filter(|d| d.as_str() == "erased").map(|_| x.c.tr("rights.erased").to_owned()),
        error: error.map(|e| message_of(e, lang)),
        token,
        c: x.c.clone(),
    };
    let status = error.map_or(StatusCode::OK, status_of);
    Ok((status, page).into_response())
}

async fn my_data(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
) -> PageResult {
    let x = ctx(&headers, format!("/booking/{id}/data"), q);
    let id: AppointmentId = x.id(&id, "booking")?;
    my_data_page(&s, &x, id, None).await
}

async fn my_data_json(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
) -> Response {
    let x = ctx(&headers, format!("/booking/{id}/data.json"), q);
    let Ok(id) = id.parse::<AppointmentId>() else {
        return api_problem(&x, &AppError::NotFound("booking"));
    };
    match crate::app::rights::export_for_holder(&s.app, id, x.token()).await {
        Ok(export) => (
            [
                (header::CONTENT_DISPOSITION, "attachment; filename=\"mine-oplysninger.json\""),
                (header::CACHE_CONTROL, "no-store"),
            ],
            axum::Json(export),
        )
            .into_response(),
        Err(e) => api_problem(&x, &e),
    }
}

/// A JSON error for the export: the code and the catalogue's sentence.
fn api_problem(x: &Ctx, e: &AppError) -> Response {
    (status_of(e), axum::Json(serde_json::json!({ "error": e.code(), "message": message_of(e, x.c.lang) })))
        .into_response()
}

async fn erase_my_data(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Query<HashMap<String, String>>,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let mut query = q.0;
    query.insert("token".into(), form.token.clone());
    let x = ctx(&headers, format!("/booking/{id}/data"), Query(query));
    let id: AppointmentId = x.id(&id, "booking")?;
    match crate::app::rights::erase_for_holder(&s.app, id, Some(&form.token)).await {
        Ok(()) => Ok(Redirect::to(&format!("/booking/{id}/data?token={}&done=erased", form.token)).into_response()),
        Err(e @ AppError::Field { .. }) => my_data_page(&s, &x, id, Some(&e)).await,
        Err(e) => Err(x.fail(e)),
    }
}
