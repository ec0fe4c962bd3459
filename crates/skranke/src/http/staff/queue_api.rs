//! The queue API under `/api/v1/staff`: tickets, check-in, desks, call-next, the steps of a visit,
//! the live board and statistics. Behind the staff guard (session or API token); each use case
//! checks the role (`view_queue`, `serve_citizens`, `operate_kiosk`, `manage_centre`).

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use skranke_core::ids::{CentreId, DeskId, QueueId, ServiceId, VisitId};
use skranke_core::visit::estimate::WaitEstimate;
use skranke_core::visit::{HistoryEntry, Priority, Visit};
use utoipa::{OpenApi, ToSchema};

use super::{Staff, json_or_error};
use crate::app::queue::{Action, Board, BoardCall, BoardDesk, BoardQueue, BoardTicket, StatsRequest, Ticket};
use crate::app::{AppError, Principal};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::store::Desk;
use axum::extract::State;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/centres/{centre}/board", get(board))
        .route("/api/v1/staff/centres/{centre}/desks", get(desks))
        .route("/api/v1/staff/centres/{centre}/tickets", post(take_ticket))
        .route("/api/v1/staff/centres/{centre}/check-ins", post(check_in))
        .route("/api/v1/staff/centres/{centre}/stats", get(stats))
        .route("/api/v1/staff/centres/{centre}/stats.csv", get(stats_csv))
        .route("/api/v1/staff/desks/{desk}/open", post(open_desk))
        .route("/api/v1/staff/desks/{desk}/leave", post(leave_desk))
        .route("/api/v1/staff/desks/{desk}/call-next", post(call_next))
        .route("/api/v1/staff/visits/{visit}", get(visit))
        .route("/api/v1/staff/visits/{visit}/{action}", post(step))
}

/// The queue API's part of the OpenAPI document (merged into `ApiDoc`).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(board, desks, take_ticket, check_in, open_desk, leave_desk, call_next, visit, step, stats, stats_csv),
    components(schemas(
        Board,
        BoardQueue,
        BoardTicket,
        BoardCall,
        BoardDesk,
        TicketDto,
        VisitDto,
        HistoryDto,
        DeskDto,
        TicketRequestDto,
        CheckInDto,
        OpenDeskDto,
        StepDto,
        StatsRowDto,
        ErrorBody
    ))
)]
pub struct QueueApiDoc;

fn parse<T: std::str::FromStr>(raw: &str, what: &'static str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::NotFound(what))
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    b.map(|Json(v)| v).map_err(|_| AppError::BadRequest("invalid_json"))
}

/// A visit as the API shows it. No names: a visit is a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: VisitId,
    /// `A001`, `Y014`: the queue's prefix and the day's running number.
    pub ticket: String,
    #[schema(value_type = String, format = Uuid)]
    pub centre: CentreId,
    #[schema(value_type = String, format = Uuid)]
    pub queue: QueueId,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub service: Option<ServiceId>,
    /// `walk_in` or `appointment`.
    pub kind: String,
    /// `waiting`, `called`, `serving`, `parked`, `done`, `no_show` or `cancelled`.
    pub state: String,
    /// `normal` or `assisted`.
    pub priority: String,
    pub arrived_at: String,
    pub queued_at: String,
    pub due_at: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub desk: Option<DeskId>,
    pub called_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub calls: u32,
    pub transfers: u32,
    /// Send it back as `version` to refuse a step on a visit that changed meanwhile.
    pub version: i64,
}

impl From<&Visit> for VisitDto {
    fn from(v: &Visit) -> Self {
        let ts = |t: jiff::Timestamp| t.to_string();
        VisitDto {
            id: v.id,
            ticket: v.ticket.to_string(),
            centre: v.centre,
            queue: v.queue,
            service: v.service,
            kind: v.kind.as_str().to_owned(),
            state: v.state.as_str().to_owned(),
            priority: v.priority.as_str().to_owned(),
            arrived_at: ts(v.arrived_at),
            queued_at: ts(v.queued_at),
            due_at: v.due_at.map(ts),
            desk: v.desk,
            called_at: v.called_at.map(ts),
            started_at: v.started_at.map(ts),
            ended_at: v.ended_at.map(ts),
            calls: v.calls,
            transfers: v.transfers,
            version: v.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    pub at: String,
    /// `arrived`, `called`, `recalled`, `started`, `completed`, `no_show`, `parked`, `cancelled`,
    /// `priority_changed` or `transferred`.
    pub kind: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub desk: Option<DeskId>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub from_queue: Option<QueueId>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub to_queue: Option<QueueId>,
    pub reason: Option<String>,
}

impl From<&HistoryEntry> for HistoryDto {
    fn from(h: &HistoryEntry) -> Self {
        HistoryDto {
            at: h.at.to_string(),
            kind: h.kind.as_str().to_owned(),
            desk: h.desk,
            from_queue: h.from_queue,
            to_queue: h.to_queue,
            reason: h.reason.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitWithHistoryDto {
    #[serde(flatten)]
    pub visit: VisitDto,
    pub history: Vec<HistoryDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDto {
    pub visit: VisitDto,
    pub queue_name_da: String,
    pub queue_name_en: String,
    /// Visits that will be called before this one.
    pub ahead: u32,
    /// The estimated wait in minutes; `null` when no desk serves the queue now.
    pub estimate_minutes: Option<u32>,
}

impl From<Ticket> for TicketDto {
    fn from(t: Ticket) -> Self {
        TicketDto {
            visit: VisitDto::from(&t.visit),
            queue_name_da: t.queue.name_da,
            queue_name_en: t.queue.name_en,
            ahead: t.ahead,
            estimate_minutes: match t.estimate {
                WaitEstimate::Minutes(m) => Some(m),
                WaitEstimate::NoDeskOpen => None,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeskDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: DeskId,
    pub name: String,
    pub active: bool,
    /// Whether someone works at it now.
    pub open: bool,
    /// The queues it calls from while open.
    #[schema(value_type = Vec<String>)]
    pub queues: Vec<QueueId>,
    /// Whether the caller is the one working at it.
    pub mine: bool,
}

fn desk_dto(d: &Desk, who: &Principal) -> DeskDto {
    DeskDto {
        id: d.id,
        name: d.name.clone(),
        active: d.active,
        open: d.occupant.is_some(),
        queues: d.occupant.as_ref().map(|o| o.queues.clone()).unwrap_or_default(),
        mine: d.occupant.as_ref().is_some_and(|o| o.user == who.user),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketRequestDto {
    #[schema(value_type = String, format = Uuid)]
    pub service: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckInDto {
    /// The booking reference from the confirmation mail.
    pub reference: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OpenDeskDto {
    /// The queues to call from; all of the centre's when empty or absent.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub queues: Vec<String>,
}

/// The body of a step. Every field is optional; which ones matter depends on the step.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct StepDto {
    /// The caller's desk (for `call`; for `recall` of a parked visit).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub desk: Option<String>,
    /// The visit's version as last seen: the step is refused (409 `stale`) if it changed.
    pub version: Option<i64>,
    /// For `transfer`: the queue (of this or another centre of the organisation).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub to_queue: Option<String>,
    /// For `transfer`: why (at most 500 characters; kept in the visit's history, never mailed).
    pub reason: Option<String>,
    /// For `priority`: `normal` or `assisted`.
    pub priority: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/staff/centres/{centre}/board",
    params(("centre" = String, Path, format = Uuid)),
    responses((status = 200, body = Board), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn board(State(s): State<AppState>, staff: Staff, Path(centre): Path<String>) -> Response {
    let r = async {
        let centre: CentreId = parse(&centre, "centre")?;
        let (view, _) = s.app.queue_centre(centre).await?;
        staff.p.authorize(
            skranke_core::access::Permission::ViewQueue,
            skranke_core::access::Target::Centre { organisation: view.centre.organisation_id, centre },
        )?;
        s.app.compute_board(centre).await
    }
    .await;
    json_or_error(r, staff.c.lang)
}

#[utoipa::path(get, path = "/api/v1/staff/centres/{centre}/desks",
    params(("centre" = String, Path, format = Uuid)),
    responses((status = 200, body = [DeskDto]), (status = 404, body = ErrorBody)))]
async fn desks(State(s): State<AppState>, staff: Staff, Path(centre): Path<String>) -> Response {
    let r = async {
        let desks = s.app.desks(&staff.p, parse(&centre, "centre")?).await?;
        Ok(desks.iter().map(|d| desk_dto(d, &staff.p)).collect::<Vec<_>>())
    }
    .await;
    json_or_error(r, staff.c.lang)
}

#[utoipa::path(post, path = "/api/v1/staff/centres/{centre}/tickets",
    params(("centre" = String, Path, format = Uuid)), request_body = TicketRequestDto,
    responses((status = 201, body = TicketDto), (status = 404, body = ErrorBody),
        (status = 422, description = "`centre_closed`, `service_inactive`", body = ErrorBody)))]
async fn take_ticket(
    State(s): State<AppState>,
    staff: Staff,
    Path(centre): Path<String>,
    b: Result<Json<TicketRequestDto>, JsonRejection>,
) -> Response {
    let r = async {
        let centre: CentreId = parse(&centre, "centre")?;
        let req = body(b)?;
        let service: ServiceId = parse(&req.service, "service")?;
        Ok(TicketDto::from(s.app.take_ticket(&staff.p, centre, service).await?))
    }
    .await;
    created(r, staff.c.lang)
}

#[utoipa::path(post, path = "/api/v1/staff/centres/{centre}/check-ins",
    params(("centre" = String, Path, format = Uuid)), request_body = CheckInDto,
    responses((status = 201, body = TicketDto),
        (status = 409, description = "`already_checked_in`", body = ErrorBody),
        (status = 422, description = "`reference_invalid`, `reference_unknown`, `reference_other_centre`, `reference_other_day`, `booking_not_confirmed`", body = ErrorBody)))]
async fn check_in(
    State(s): State<AppState>,
    staff: Staff,
    Path(centre): Path<String>,
    b: Result<Json<CheckInDto>, JsonRejection>,
) -> Response {
    let r = async {
        let centre: CentreId = parse(&centre, "centre")?;
        let req = body(b)?;
        Ok(TicketDto::from(s.app.check_in(&staff.p, centre, &req.reference).await?))
    }
    .await;
    created(r, staff.c.lang)
}

fn created<T: Serialize>(r: Result<T, AppError>, lang: crate::i18n::Lang) -> Response {
    match r {
        Ok(v) => (axum::http::StatusCode::CREATED, Json(v)).into_response(),
        Err(error) => ApiError { error, lang }.into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/staff/desks/{desk}/open",
    params(("desk" = String, Path, format = Uuid)), request_body = OpenDeskDto,
    responses((status = 200, body = DeskDto), (status = 422, description = "`queue_other_centre`, `desk_inactive`", body = ErrorBody)))]
async fn open_desk(
    State(s): State<AppState>,
    staff: Staff,
    Path(desk): Path<String>,
    b: Result<Json<OpenDeskDto>, JsonRejection>,
) -> Response {
    let r = async {
        let desk: DeskId = parse(&desk, "desk")?;
        let req = body(b)?;
        let queues = req
            .queues
            .iter()
            .map(|q| q.parse::<QueueId>().map_err(|_| AppError::QueueRefused("queue_other_centre")))
            .collect::<Result<Vec<_>, _>>()?;
        let opened = s.app.open_desk(&staff.p, desk, &queues).await?;
        Ok(desk_dto(&opened, &staff.p))
    }
    .await;
    json_or_error(r, staff.c.lang)
}

#[utoipa::path(post, path = "/api/v1/staff/desks/{desk}/leave",
    params(("desk" = String, Path, format = Uuid)),
    responses((status = 204), (status = 409, description = "`desk_not_yours`", body = ErrorBody)))]
async fn leave_desk(State(s): State<AppState>, staff: Staff, Path(desk): Path<String>) -> Response {
    let r = async { s.app.leave_desk(&staff.p, parse(&desk, "desk")?).await }.await;
    match r {
        Ok(()) => axum::http::StatusCode::NO_CONTENT.into_response(),
        Err(error) => ApiError { error, lang: staff.c.lang }.into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/staff/desks/{desk}/call-next",
    params(("desk" = String, Path, format = Uuid)),
    responses((status = 200, body = VisitDto),
        (status = 409, description = "`queue_empty`, `desk_busy`, `desk_not_yours`, `desk_closed`", body = ErrorBody)))]
async fn call_next(State(s): State<AppState>, staff: Staff, Path(desk): Path<String>) -> Response {
    let r = async { Ok(VisitDto::from(&s.app.call_next(&staff.p, parse(&desk, "desk")?).await?)) }.await;
    json_or_error(r, staff.c.lang)
}

#[utoipa::path(get, path = "/api/v1/staff/visits/{visit}",
    params(("visit" = String, Path, format = Uuid)),
    responses((status = 200, body = VisitWithHistoryDto), (status = 404, body = ErrorBody)))]
async fn visit(State(s): State<AppState>, staff: Staff, Path(visit): Path<String>) -> Response {
    let r = async {
        let (v, history) = s.app.visit_history(&staff.p, parse(&visit, "visit")?).await?;
        Ok(VisitWithHistoryDto { visit: VisitDto::from(&v), history: history.iter().map(HistoryDto::from).collect() })
    }
    .await;
    json_or_error(r, staff.c.lang)
}

/// The step named in a path or form: `call`, `recall`, `start`, `complete`, `no-show`, `park`,
/// `cancel`, `priority`, `transfer`.
pub fn action_of(name: &str, dto: &StepDto) -> Result<Action, AppError> {
    Ok(match name {
        "call" => Action::Call,
        "recall" => Action::Recall,
        "start" => Action::Start,
        "complete" => Action::Complete,
        "no-show" => Action::NoShow,
        "park" => Action::Park,
        "cancel" => Action::Cancel,
        "priority" => {
            let p = dto.priority.as_deref().and_then(Priority::parse);
            Action::SetPriority(p.ok_or(AppError::QueueRefused("priority_invalid"))?)
        }
        "transfer" => {
            let to = dto.to_queue.as_deref().map(str::trim).filter(|q| !q.is_empty());
            let to_queue = to
                .ok_or(AppError::QueueRefused("queue_unknown"))?
                .parse()
                .map_err(|_| AppError::QueueRefused("queue_unknown"))?;
            Action::Transfer { to_queue, reason: dto.reason.clone() }
        }
        _ => return Err(AppError::NotFound("step")),
    })
}

#[utoipa::path(post, path = "/api/v1/staff/visits/{visit}/{action}",
    params(("visit" = String, Path, format = Uuid),
        ("action" = String, Path, description = "`call`, `recall`, `start`, `complete`, `no-show`, `park`, `cancel`, `priority` or `transfer`")),
    request_body = StepDto,
    responses((status = 200, body = VisitDto),
        (status = 409, description = "`visit_ended`, `visit_already_called`, `visit_not_waiting`, `visit_not_called`, `visit_other_desk`, `visit_same_queue`, `desk_busy`, `stale`", body = ErrorBody),
        (status = 422, description = "`visit_bad_reason`, `queue_unknown`, `priority_invalid`, `desk_required`", body = ErrorBody)))]
async fn step(
    State(s): State<AppState>,
    staff: Staff,
    Path((visit, action)): Path<(String, String)>,
    b: Option<Json<StepDto>>,
) -> Response {
    let r = async {
        let visit: VisitId = parse(&visit, "visit")?;
        let dto = b.map(|Json(d)| d).unwrap_or_default();
        let action = action_of(&action, &dto)?;
        let desk = match dto.desk.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(parse::<DeskId>(d, "desk")?),
            None => None,
        };
        Ok(VisitDto::from(&s.app.visit_step(&staff.p, visit, action, desk, dto.version).await?))
    }
    .await;
    json_or_error(r, staff.c.lang)
}

#[derive(Debug, Deserialize)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
}

/// One row of the statistics: a day, a queue and a service. Times in minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsRowDto {
    pub day: String,
    #[schema(value_type = String, format = Uuid)]
    pub queue: QueueId,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub service: Option<ServiceId>,
    pub visits: u32,
    pub served: u32,
    pub no_shows: u32,
    pub cancelled: u32,
    pub transfers: u32,
    pub waiting_p50_min: Option<f64>,
    pub waiting_p90_min: Option<f64>,
    pub service_p50_min: Option<f64>,
    pub service_p90_min: Option<f64>,
}

/// The request of a statistics query: `from`/`to` local days, both inclusive (default: today).
pub fn stats_request(
    app: &crate::app::App,
    centre: CentreId,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<StatsRequest, AppError> {
    let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
    let today = tz.to_datetime(app.clock.now()).date();
    let day = |v: Option<&str>| -> Result<Option<Date>, AppError> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<Date>().map(Some).map_err(|_| AppError::BadRequest("invalid_date")),
        }
    };
    let to_day = day(to)?.unwrap_or(today);
    let from_day = day(from)?.unwrap_or(to_day);
    Ok(StatsRequest { centre, from: from_day, to: to_day })
}

#[utoipa::path(get, path = "/api/v1/staff/centres/{centre}/stats",
    params(("centre" = String, Path, format = Uuid), ("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date)),
    responses((status = 200, body = [StatsRowDto]), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn stats(
    State(s): State<AppState>,
    staff: Staff,
    Path(centre): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Response {
    let r = async {
        let req = stats_request(&s.app, parse(&centre, "centre")?, q.from.as_deref(), q.to.as_deref())?;
        let report = s.app.queue_stats(&staff.p, req).await?;
        Ok(report
            .rows
            .iter()
            .map(|g| StatsRowDto {
                day: g.key.day.to_string(),
                queue: g.key.queue,
                service: g.key.service,
                visits: g.visits,
                served: g.served,
                no_shows: g.no_shows,
                cancelled: g.cancelled,
                transfers: g.transfers,
                waiting_p50_min: g.waiting.p50,
                waiting_p90_min: g.waiting.p90,
                service_p50_min: g.service.p50,
                service_p90_min: g.service.p90,
            })
            .collect::<Vec<_>>())
    }
    .await;
    json_or_error(r, staff.c.lang)
}

#[utoipa::path(get, path = "/api/v1/staff/centres/{centre}/stats.csv",
    params(("centre" = String, Path, format = Uuid), ("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody)))]
async fn stats_csv(
    State(s): State<AppState>,
    staff: Staff,
    Path(centre): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Response {
    let r = async {
        let req = stats_request(&s.app, parse(&centre, "centre")?, q.from.as_deref(), q.to.as_deref())?;
        s.app.queue_stats(&staff.p, req).await
    }
    .await;
    match r {
        Ok(report) => {
            let name = format!("attachment; filename=\"skranke-{}-{}.csv\"", report.request.from, report.request.to);
            (
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)],
                report.csv(staff.c.lang),
            )
                .into_response()
        }
        Err(error) => ApiError { error, lang: staff.c.lang }.into_response(),
    }
}
