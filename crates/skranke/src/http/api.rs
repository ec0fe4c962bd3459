//! The public booking API, `/api/v1`. A stable contract: field names and codes do not change.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get, routing::post};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use skranke_core::ids::{AppointmentId, CentreId, ServiceId};
use utoipa::{OpenApi, ToSchema};

use super::error::{ApiError, ErrorBody, bad_request};
use super::{ApiLang, AppState, ics, rfc3339};
use crate::app::AppError;
use crate::app::booking::BookingRequest;
use crate::store::{Appointment, Store};

type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize, ToSchema)]
pub struct CentreDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: CentreId,
    pub name: String,
    pub address: String,
    /// IANA time zone, e.g. `Europe/Copenhagen`.
    pub timezone: String,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: ServiceId,
    pub name: String,
    pub duration_minutes: i32,
    pub online_bookable: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SlotDto {
    /// RFC 3339 with the centre's offset, e.g. `2026-12-03T10:30:00+01:00`.
    pub start: String,
    pub end: String,
    pub remaining: u16,
}

#[derive(Serialize, ToSchema)]
pub struct AvailabilityDto {
    #[schema(value_type = String, format = Uuid)]
    pub service: ServiceId,
    pub timezone: String,
    pub slots: Vec<SlotDto>,
}

#[derive(Deserialize, ToSchema)]
pub struct CitizenDto {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct BookingRequestDto {
    #[schema(value_type = String, format = Uuid)]
    pub service: String,
    /// RFC 3339 instant of a slot start.
    pub start: String,
    pub citizen: CitizenDto,
}

#[derive(Serialize, ToSchema)]
pub struct BookingDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: AppointmentId,
    pub reference: String,
    /// `held`, `confirmed`, `cancelled` or `expired`.
    pub status: String,
    pub start: String,
    pub end: String,
    /// Only in the response that creates the booking; keep it, it is shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manage_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_expires_at: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ConfirmDto {
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RescheduleDto {
    pub start: String,
}

#[derive(Deserialize, ToSchema)]
pub struct AddressCheckDto {
    pub address: String,
    /// The organisation's own mail domains; a subdomain counts only when listed.
    #[serde(default)]
    pub org_domains: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AddressVerdictDto {
    /// `invalid`, `internal`, `lookalike` or `ok`.
    pub verdict: String,
    /// For `lookalike`: the address on the domain it most likely meant; otherwise empty.
    pub suggestion: String,
    /// The failed rule, the class and resembled domain, the own domain, or `known <domain>`.
    pub detail: String,
    /// A sentence for people, in the request's language (empty for `ok` and `internal`).
    pub message: String,
}

#[derive(Deserialize)]
pub struct AvailabilityQuery {
    service: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Skranke booking API", version = "1", license(name = "MPL-2.0")),
    paths(
        list_centres,
        list_services,
        availability,
        create_booking,
        get_booking,
        confirm_booking,
        cancel_booking,
        reschedule_booking,
        booking_calendar
    ),
    components(schemas(
        CentreDto,
        ServiceDto,
        SlotDto,
        AvailabilityDto,
        CitizenDto,
        BookingRequestDto,
        BookingDto,
        ConfirmDto,
        RescheduleDto,
        ErrorBody
    ))
)]
pub struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/centres", get(list_centres))
        .route("/api/v1/centres/{centre_id}/services", get(list_services))
        .route("/api/v1/availability", get(availability))
        .route("/api/v1/bookings", post(create_booking))
        .route("/api/v1/bookings/{id}", get(get_booking))
        .route("/api/v1/bookings/{id}/confirm", post(confirm_booking))
        .route("/api/v1/bookings/{id}/cancel", post(cancel_booking))
        .route("/api/v1/bookings/{id}/reschedule", post(reschedule_booking))
        .route("/api/v1/bookings/{id}/calendar.ics", get(booking_calendar))
        .route("/api/v1/addresses/check", post(check_address))
        .route("/api/v1/openapi.json", get(openapi))
}

async fn openapi() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::staff::queue_api::QueueApiDoc::openapi());
    doc.merge(super::lobby::LobbyApiDoc::openapi());
    match doc.to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn err(lang: ApiLang) -> impl Fn(AppError) -> ApiError {
    move |error| ApiError { error, lang: lang.0 }
}

fn parse_id<T: std::str::FromStr>(raw: &str, lang: ApiLang) -> ApiResult<T> {
    raw.parse().map_err(|_| ApiError { error: AppError::NotFound("id"), lang: lang.0 })
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>, lang: ApiLang) -> ApiResult<T> {
    body.map(|Json(v)| v).map_err(|_| bad_request("invalid_json", lang.0))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

fn parse_instant(raw: &str, lang: ApiLang) -> ApiResult<Timestamp> {
    raw.parse::<Timestamp>().map_err(|_| bad_request("invalid_start", lang.0))
}

pub(crate) fn booking_dto(a: &Appointment, tz: &TimeZone, now: Timestamp, token: Option<String>) -> BookingDto {
    let status = a.status_at(now);
    BookingDto {
        id: a.id,
        reference: a.reference.to_string(),
        status: status.as_str().to_owned(),
        start: rfc3339(a.slot.start(), tz),
        end: rfc3339(a.slot.end(), tz),
        manage_token: token,
        hold_expires_at: a
            .hold_expires_at
            .filter(|_| status == skranke_core::booking::AppointmentStatus::Held)
            .map(|t| rfc3339(t, tz)),
    }
}

#[utoipa::path(get, path = "/api/v1/centres", responses((status = 200, body = [CentreDto])))]
async fn list_centres(State(s): State<AppState>, lang: ApiLang) -> ApiResult<Json<Vec<CentreDto>>> {
    let centres = s.app.store.list_centres().await.map_err(|e| err(lang)(e.into()))?;
    Ok(Json(
        centres
            .into_iter()
            .map(|c| CentreDto {
                id: c.centre.id,
                name: c.centre.name,
                address: c.centre.address,
                timezone: c.timezone,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/centres/{centre_id}/services",
    params(("centre_id" = String, Path, format = Uuid)),
    responses((status = 200, body = [ServiceDto]), (status = 404, body = ErrorBody)))]
async fn list_services(
    State(s): State<AppState>,
    lang: ApiLang,
    Path(centre_id): Path<String>,
) -> ApiResult<Json<Vec<ServiceDto>>> {
    let id: CentreId = parse_id(&centre_id, lang)?;
    let store = &s.app.store;
    store
        .get_centre(id)
        .await
        .map_err(|e| err(lang)(e.into()))?
        .ok_or_else(|| err(lang)(AppError::NotFound("centre")))?;
    let services = store.list_services(id).await.map_err(|e| err(lang)(e.into()))?;
    Ok(Json(
        services
            .iter()
            .map(|sv| ServiceDto {
                id: sv.id,
                name: sv.name(lang.0).to_owned(),
                duration_minutes: sv.rules.duration_minutes(),
                online_bookable: sv.rules.online_bookable(),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/availability",
    params(("service" = String, Query, format = Uuid), ("from" = String, Query, format = Date),
           ("to" = String, Query, format = Date, description = "inclusive; at most 62 days after from")),
    responses((status = 200, body = AvailabilityDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn availability(
    State(s): State<AppState>,
    lang: ApiLang,
    q: Result<Query<AvailabilityQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<AvailabilityDto>> {
    let Query(q) = q.map_err(|_| bad_request("invalid_query", lang.0))?;
    let service: ServiceId =
        parse_id(q.service.as_deref().ok_or_else(|| bad_request("missing_service", lang.0))?, lang)?;
    let date = |v: Option<String>| -> ApiResult<Date> {
        v.ok_or_else(|| bad_request("invalid_date", lang.0))?
            .parse::<Date>()
            .map_err(|_| bad_request("invalid_date", lang.0))
    };
    let (from, to) = (date(q.from)?, date(q.to)?);
    let a = s.app.availability(service, from, to).await.map_err(err(lang))?;
    Ok(Json(AvailabilityDto {
        service,
        timezone: a.tz.iana_name().unwrap_or("UTC").to_owned(),
        slots: a
            .slots
            .iter()
            .map(|sl| SlotDto {
                start: rfc3339(sl.interval.start(), &a.tz),
                end: rfc3339(sl.interval.end(), &a.tz),
                remaining: sl.remaining,
            })
            .collect(),
    }))
}

/// A booking as the API shows it, instants in its centre's time zone. `token` only when creating.
async fn booking_json(
    s: &AppState,
    a: &Appointment,
    lang: ApiLang,
    token: Option<String>,
) -> ApiResult<Json<BookingDto>> {
    let centre = s.app.store.get_centre(a.centre_id).await.map_err(|e| err(lang)(e.into()))?;
    let tz =
        centre.and_then(|c| TimeZone::get(&c.timezone).ok()).ok_or_else(|| err(lang)(AppError::NotFound("centre")))?;
    Ok(Json(booking_dto(a, &tz, s.app.clock.now(), token)))
}

#[utoipa::path(post, path = "/api/v1/bookings", request_body = BookingRequestDto,
    responses((status = 201, body = BookingDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_booking(
    State(s): State<AppState>,
    lang: ApiLang,
    body: Result<Json<BookingRequestDto>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<BookingDto>)> {
    let req = json_body(body, lang)?;
    let service: ServiceId = req.service.parse().map_err(|_| err(lang)(AppError::NotFound("service")))?;
    let start = parse_instant(&req.start, lang)?;
    let booked = s
        .app
        .book(BookingRequest {
            service,
            start,
            name: req.citizen.name,
            email: req.citizen.email,
            phone: req.citizen.phone,
            language: lang.0,
        })
        .await
        .map_err(err(lang))?;
    s.metrics.booking(booked.appointment.status.as_str());
    let dto = booking_json(&s, &booked.appointment, lang, Some(booked.token.expose().to_owned())).await?;
    Ok((StatusCode::CREATED, dto))
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}", params(("id" = String, Path, format = Uuid)),
    security(("manage_token" = [])),
    responses((status = 200, body = BookingDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_booking(
    State(s): State<AppState>,
    lang: ApiLang,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<BookingDto>> {
    let id: AppointmentId = parse_id(&id, lang)?;
    let a = s.app.booking_for_holder(id, bearer(&headers)).await.map_err(err(lang))?;
    booking_json(&s, &a, lang, None).await
}

#[utoipa::path(post, path = "/api/v1/bookings/{id}/confirm", params(("id" = String, Path, format = Uuid)),
    request_body = ConfirmDto, security(("manage_token" = [])),
    responses((status = 200, body = BookingDto), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm_booking(
    State(s): State<AppState>,
    lang: ApiLang,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<ConfirmDto>, JsonRejection>,
) -> ApiResult<Json<BookingDto>> {
    let id: AppointmentId = parse_id(&id, lang)?;
    let req = json_body(body, lang)?;
    let a = s.app.confirm(id, bearer(&headers), &req.code).await.map_err(err(lang))?;
    s.metrics.booking("confirmed_by_code");
    booking_json(&s, &a, lang, None).await
}

#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", params(("id" = String, Path, format = Uuid)),
    security(("manage_token" = [])),
    responses((status = 200, body = BookingDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_booking(
    State(s): State<AppState>,
    lang: ApiLang,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<BookingDto>> {
    let id: AppointmentId = parse_id(&id, lang)?;
    let a = s.app.cancel(id, bearer(&headers)).await.map_err(err(lang))?;
    s.metrics.booking("cancelled");
    booking_json(&s, &a, lang, None).await
}

#[utoipa::path(post, path = "/api/v1/bookings/{id}/reschedule", params(("id" = String, Path, format = Uuid)),
    request_body = RescheduleDto, security(("manage_token" = [])),
    responses((status = 200, body = BookingDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reschedule_booking(
    State(s): State<AppState>,
    lang: ApiLang,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RescheduleDto>, JsonRejection>,
) -> ApiResult<Json<BookingDto>> {
    let id: AppointmentId = parse_id(&id, lang)?;
    let req = json_body(body, lang)?;
    let start = parse_instant(&req.start, lang)?;
    let a = s.app.reschedule(id, bearer(&headers), start).await.map_err(err(lang))?;
    s.metrics.booking("rescheduled");
    booking_json(&s, &a, lang, None).await
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}/calendar.ics", params(("id" = String, Path, format = Uuid)),
    security(("manage_token" = [])),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 409, body = ErrorBody)))]
async fn booking_calendar(
    State(s): State<AppState>,
    lang: ApiLang,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id: AppointmentId = parse_id(&id, lang)?;
    let a = s.app.booking_for_holder(id, bearer(&headers)).await.map_err(err(lang))?;
    ics::response(&s, &a, lang.0).await.map_err(err(lang))
}

/// The checker without organisation domains, built once (the built-in protected set).
fn default_checker() -> Option<&'static skranke_recipient::judge::Checker> {
    static CHECKER: std::sync::OnceLock<Option<skranke_recipient::judge::Checker>> = std::sync::OnceLock::new();
    CHECKER.get_or_init(|| skranke_recipient::judge::Checker::new(&[] as &[&str], &[]).ok()).as_ref()
}

/// Judges a typed address as `skranke address check` does.
pub(crate) fn judge_address(
    address: &str,
    org_domains: &[String],
    lang: crate::i18n::Lang,
) -> Option<AddressVerdictDto> {
    use skranke_recipient::judge::{Checker, Judgement};
    let owned;
    let checker = if org_domains.is_empty() {
        default_checker()?
    } else {
        owned = Checker::new(org_domains, &[]).ok()?;
        &owned
    };
    let j = checker.judge(address);
    let message = match (&j, lang) {
        (Judgement::Invalid { message_da, .. }, crate::i18n::Lang::Da) => (*message_da).to_owned(),
        (Judgement::Invalid { message_en, .. }, crate::i18n::Lang::En) => (*message_en).to_owned(),
        (Judgement::Lookalike { .. }, l) => {
            crate::i18n::tf(l, "address.did_you_mean", &[("suggestion", j.suggestion())])
        }
        _ => String::new(),
    };
    Some(AddressVerdictDto {
        verdict: j.verdict().to_owned(),
        suggestion: j.suggestion().to_owned(),
        detail: j.detail(),
        message,
    })
}

#[utoipa::path(post, path = "/api/v1/addresses/check", request_body = AddressCheckDto,
    responses((status = 200, body = AddressVerdictDto), (status = 422, body = ErrorBody)))]
async fn check_address(
    lang: ApiLang,
    body: Result<Json<AddressCheckDto>, JsonRejection>,
) -> ApiResult<Json<AddressVerdictDto>> {
    let req = json_body(body, lang)?;
    if req.address.len() > 1024 || req.org_domains.len() > 50 {
        return Err(bad_request("too_long_input", lang.0));
    }
    judge_address(&req.address, &req.org_domains, lang.0)
        .map(Json)
        .ok_or_else(|| bad_request("invalid_org_domain", lang.0))
}
