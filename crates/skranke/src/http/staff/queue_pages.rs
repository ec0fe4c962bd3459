//! The queue pages for staff: the kiosk (tickets and check-in), the desk (call, serve, transfer,
//! with keyboard shortcuts) and the centre's statistics. Every change is a POST followed by a
//! redirect, so reloading a page never repeats a step; errors come back as `?error=<code>` and
//! are shown from the catalogue where the person is looking.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use skranke_core::access::{Permission, Target};
use skranke_core::ids::{CentreId, DeskId, QueueId, ServiceId, VisitId};
use skranke_core::visit::estimate::WaitEstimate;
use skranke_core::visit::stats::svg::{BarChart, Series, bar_chart};
use skranke_core::visit::{Priority, VisitKind, VisitState};

use super::queue_api::{StepDto, action_of, stats_request};
use super::{NavLink, Staff, StaffResult, form_urlencoded_pairs, nav};
use crate::app::AppError;
use crate::app::queue::{Board, BoardTicket};
use crate::http::AppState;
use crate::http::pages::Chrome;
use crate::i18n::{Lang, lookup, t, tf};
use crate::store::{CentreView, Store};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/centres/{centre}/kiosk", get(kiosk))
        .route("/staff/centres/{centre}/kiosk/ticket", post(kiosk_ticket))
        .route("/staff/centres/{centre}/kiosk/check-in", post(kiosk_check_in))
        .route("/staff/centres/{centre}/kiosk/tickets/{visit}", get(ticket_page))
        .route("/staff/centres/{centre}/desk", get(desk))
        .route("/staff/centres/{centre}/desk/open", post(desk_open))
        .route("/staff/centres/{centre}/desk/leave", post(desk_leave))
        .route("/staff/centres/{centre}/desk/call-next", post(desk_call_next))
        .route("/staff/centres/{centre}/desk/visits/{visit}/{action}", post(desk_step))
        .route("/staff/centres/{centre}/stats", get(stats))
}

fn centre_id(raw: &str) -> Result<CentreId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound("centre"))
}

fn target(view: &CentreView) -> Target {
    Target::Centre { organisation: view.centre.organisation_id, centre: view.centre.id }
}

/// The catalogue message for `?error=<code>`; nothing for a code the catalogue does not know.
fn error_notice(staff: &Staff) -> Option<String> {
    let code = staff.query.get("error")?;
    lookup(staff.c.lang, &format!("error.{code}")).map(str::to_owned)
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

fn minutes_since(now: Timestamp, then: Timestamp) -> i64 {
    now.duration_since(then).as_secs().max(0) / 60
}

fn estimate_text(lang: Lang, e: WaitEstimate) -> String {
    match e {
        WaitEstimate::Minutes(m) => tf(lang, "queue.estimate_minutes", &[("minutes", &m.to_string())]),
        WaitEstimate::NoDeskOpen => t(lang, "queue.estimate_none").to_owned(),
    }
}

// ----- kiosk

#[derive(Debug)]
struct ServiceButton {
    id: ServiceId,
    name: String,
    /// The wait a ticket drawn now can expect.
    estimate: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/kiosk.html")]
struct KioskPage {
    c: Chrome,
    csrf: String,
    centre: CentreId,
    centre_name: String,
    services: Vec<ServiceButton>,
    error: Option<String>,
    reference: String,
}

async fn kiosk(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let (view, _) = s.app.queue_centre(centre).await.map_err(|e| staff.fail(e))?;
    staff.p.authorize(Permission::OperateKiosk, target(&view)).map_err(|e| staff.fail(e))?;
    let entries = s.app.store.list_service_entries(centre).await.map_err(|e| staff.fail(e))?;
    let board = s.app.compute_board(centre).await.map_err(|e| staff.fail(e))?;
    let lang = staff.c.lang;
    let services = entries
        .into_iter()
        .filter(|e| e.value.active)
        .map(|e| {
            let queue = board.queue(e.value.service.queue_id);
            let waiting = queue.map(|q| u32::try_from(q.waiting.len()).unwrap_or(u32::MAX)).unwrap_or(0);
            let estimate = queue.map(|q| q.estimate_for(waiting)).unwrap_or(WaitEstimate::NoDeskOpen);
            ServiceButton {
                id: e.value.service.id,
                name: e.value.service.name(lang).to_owned(),
                estimate: estimate_text(lang, estimate),
            }
        })
        .collect();
    Ok(KioskPage {
        csrf: staff.csrf().to_owned(),
        centre,
        centre_name: view.centre.name,
        services,
        error: error_notice(&staff),
        reference: staff.query.get("reference").cloned().unwrap_or_default(),
        c: staff.c,
    }
    .into_response())
}

fn kiosk_back(centre: CentreId, error: &AppError, reference: Option<&str>) -> Response {
    let mut url = format!("/staff/centres/{centre}/kiosk?error={}", error.code());
    if let Some(r) = reference {
        url.push_str("&reference=");
        url.push_str(&crate::http::pages::urlencode(r));
    }
    Redirect::to(&url).into_response()
}

/// Errors a person at the kiosk can act on go back to the kiosk; the rest get the error page.
fn kiosk_fixable(e: &AppError) -> bool {
    matches!(e, AppError::QueueRefused(_) | AppError::QueueConflict(_) | AppError::NotFound("service"))
}

async fn kiosk_ticket(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>, body: Bytes) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let pairs = form_urlencoded_pairs(&body);
    let service: Option<ServiceId> = field(&pairs, "service").and_then(|v| v.parse().ok());
    let Some(service) = service else {
        return Ok(kiosk_back(centre, &AppError::NotFound("service"), None));
    };
    match s.app.take_ticket(&staff.p, centre, service).await {
        Ok(ticket) => {
            Ok(Redirect::to(&format!("/staff/centres/{centre}/kiosk/tickets/{}", ticket.visit.id)).into_response())
        }
        Err(e) if kiosk_fixable(&e) => Ok(kiosk_back(centre, &e, None)),
        Err(e) => Err(staff.fail(e)),
    }
}

async fn kiosk_check_in(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>, body: Bytes) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let pairs = form_urlencoded_pairs(&body);
    let reference = field(&pairs, "reference").unwrap_or("");
    match s.app.check_in(&staff.p, centre, reference).await {
        Ok(ticket) => {
            Ok(Redirect::to(&format!("/staff/centres/{centre}/kiosk/tickets/{}", ticket.visit.id)).into_response())
        }
        Err(e) if kiosk_fixable(&e) => {
            // Keep what was typed (a reference is not personal data), capped, so a typo is fixed
            // rather than retyped.
            let kept: String = reference.chars().take(32).collect();
            Ok(kiosk_back(centre, &e, Some(&kept)))
        }
        Err(e) => Err(staff.fail(e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/ticket.html")]
struct TicketPage {
    c: Chrome,
    centre: CentreId,
    centre_name: String,
    ticket: String,
    queue_name: String,
    ahead: u32,
    estimate: String,
    issued: String,
    appointment: bool,
}

async fn ticket_page(
    State(s): State<AppState>,
    staff: Staff,
    Path((raw, visit)): Path<(String, String)>,
) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let visit: VisitId = visit.parse().map_err(|_| staff.fail(AppError::NotFound("visit")))?;
    let (view, tz) = s.app.queue_centre(centre).await.map_err(|e| staff.fail(e))?;
    staff.p.authorize(Permission::OperateKiosk, target(&view)).map_err(|e| staff.fail(e))?;
    let visit = s.app.visit(&staff.p, visit).await.map_err(|e| staff.fail(e))?;
    if visit.centre != centre {
        return Err(staff.fail(AppError::NotFound("visit")));
    }
    let board = s.app.compute_board(centre).await.map_err(|e| staff.fail(e))?;
    let (ahead, estimate) = board.place_of(&visit);
    let queue_name = board.queue(visit.queue).map(|q| q.name(staff.c.lang).to_owned()).unwrap_or_default();
    Ok(TicketPage {
        centre,
        centre_name: view.centre.name,
        ticket: visit.ticket.to_string(),
        queue_name,
        ahead,
        estimate: estimate_text(staff.c.lang, estimate),
        issued: tz.to_datetime(visit.arrived_at).strftime("%H:%M").to_string(),
        appointment: visit.kind == VisitKind::Appointment,
        c: staff.c,
    }
    .into_response())
}

// ----- desk

#[derive(Debug)]
struct TicketRow {
    id: VisitId,
    ticket: String,
    state: &'static str,
    waited: i64,
    assisted: bool,
    appointment: bool,
    due: String,
    desk_name: String,
    version: i64,
}

#[derive(Debug)]
struct QueueBlock {
    name: String,
    estimate: String,
    tickets: Vec<TicketRow>,
}

#[derive(Debug)]
struct DeskChoice {
    id: DeskId,
    name: String,
    taken: bool,
}

#[derive(Debug)]
struct QueueChoice {
    id: QueueId,
    label: String,
}

/// The part of the desk page that live updates replace.
#[derive(Debug)]
struct DeskLive {
    centre: CentreId,
    desk: Option<DeskId>,
    desk_name: String,
    current: Option<TicketRow>,
    current_serving: bool,
    queues: Vec<QueueBlock>,
    parked: Vec<TicketRow>,
    transfer_targets: Vec<QueueChoice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/desk.html")]
struct DeskPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    centre_name: String,
    error: Option<String>,
    notice: Option<String>,
    desks: Vec<DeskChoice>,
    queue_choices: Vec<QueueChoice>,
    live: DeskLive,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/desk_live.html")]
struct DeskLiveFragment {
    c: Chrome,
    csrf: String,
    live: DeskLive,
}

fn state_key(s: VisitState) -> &'static str {
    match s {
        VisitState::Waiting => "queue.state.waiting",
        VisitState::Called => "queue.state.called",
        VisitState::Serving => "queue.state.serving",
        VisitState::Parked => "queue.state.parked",
        VisitState::Done => "queue.state.done",
        VisitState::NoShow => "queue.state.no_show",
        VisitState::Cancelled => "queue.state.cancelled",
    }
}

fn row(t: &BoardTicket, now: Timestamp, tz: &TimeZone, lang: Lang) -> TicketRow {
    TicketRow {
        id: t.visit,
        ticket: t.ticket.clone(),
        state: crate::i18n::t(lang, state_key(t.state)),
        waited: minutes_since(now, t.arrived_at),
        assisted: t.priority == Priority::Assisted,
        appointment: t.kind == VisitKind::Appointment,
        due: t.due_at.map(|d| tz.to_datetime(d).strftime("%H:%M").to_string()).unwrap_or_default(),
        desk_name: t.desk_name.clone().unwrap_or_default(),
        version: t.version,
    }
}

async fn desk_live(
    s: &AppState,
    staff: &Staff,
    view: &CentreView,
    tz: &TimeZone,
    board: &Board,
) -> Result<DeskLive, AppError> {
    let lang = staff.c.lang;
    let now = s.app.clock.now();
    let desks = s.app.store.list_desks(view.centre.id).await?;
    let mine = desks.iter().find(|d| d.occupant.as_ref().is_some_and(|o| o.user == staff.p.user));
    let my_queues: Vec<QueueId> = mine.and_then(|d| d.occupant.as_ref()).map(|o| o.queues.clone()).unwrap_or_default();
    let current = mine.and_then(|d| board.active.iter().find(|t| t.desk == Some(d.id) && t.state.at_desk()));
    let queues = board
        .queues
        .iter()
        .filter(|q| my_queues.is_empty() || my_queues.contains(&q.id))
        .map(|q| QueueBlock {
            name: format!("{} · {}", q.prefix, q.name(lang)),
            estimate: estimate_text(
                lang,
                q.estimate_minutes.map(WaitEstimate::Minutes).unwrap_or(WaitEstimate::NoDeskOpen),
            ),
            tickets: q.waiting.iter().map(|t| row(t, now, tz, lang)).collect(),
        })
        .collect();
    let parked = board
        .active
        .iter()
        .filter(|t| t.state == VisitState::Parked && (my_queues.is_empty() || my_queues.contains(&t.queue)))
        .map(|t| row(t, now, tz, lang))
        .collect();
    // Transfer targets: every queue of the organisation's centres.
    let mut transfer_targets = Vec::new();
    for centre in s.app.store.organisation_centres(view.centre.organisation_id).await? {
        let c = centre.value;
        for q in s.app.store.list_queues(c.id).await? {
            let q = q.value;
            let name = if lang == Lang::Da { &q.name_da } else { &q.name_en };
            let label = if c.id == view.centre.id {
                format!("{} · {name}", q.prefix)
            } else {
                format!("{} – {} · {name}", c.name, q.prefix)
            };
            transfer_targets.push(QueueChoice { id: q.id, label });
        }
    }
    Ok(DeskLive {
        centre: view.centre.id,
        desk: mine.map(|d| d.id),
        desk_name: mine.map(|d| d.name.clone()).unwrap_or_default(),
        current_serving: current.is_some_and(|t| t.state == VisitState::Serving),
        current: current.map(|t| row(t, now, tz, lang)),
        queues,
        parked,
        transfer_targets,
    })
}

async fn desk(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let (view, tz) = s.app.queue_centre(centre).await.map_err(|e| staff.fail(e))?;
    staff.p.authorize(Permission::ServeCitizens, target(&view)).map_err(|e| staff.fail(e))?;
    let board = s.app.compute_board(centre).await.map_err(|e| staff.fail(e))?;
    let live = desk_live(&s, &staff, &view, &tz, &board).await.map_err(|e| staff.fail(e))?;
    if staff.query.get("fragment").is_some_and(|f| f == "live") {
        return Ok(DeskLiveFragment { csrf: staff.csrf().to_owned(), live, c: staff.c }.into_response());
    }
    let desks = s.app.store.list_desks(centre).await.map_err(|e| staff.fail(e))?;
    let queue_choices = board
        .queues
        .iter()
        .map(|q| QueueChoice { id: q.id, label: format!("{} · {}", q.prefix, q.name(staff.c.lang)) })
        .collect();
    let notice =
        staff.query.get("done").and_then(|d| lookup(staff.c.lang, &format!("queue.done.{d}"))).map(str::to_owned);
    Ok(DeskPage {
        nav: nav(&staff),
        current: String::new(),
        csrf: staff.csrf().to_owned(),
        centre_name: view.centre.name,
        error: error_notice(&staff),
        notice,
        desks: desks
            .iter()
            .filter(|d| d.active)
            .map(|d| DeskChoice {
                id: d.id,
                name: d.name.clone(),
                taken: d.occupant.as_ref().is_some_and(|o| o.user != staff.p.user),
            })
            .collect(),
        queue_choices,
        live,
        c: staff.c,
    }
    .into_response())
}

fn desk_back(centre: CentreId, r: Result<&'static str, AppError>) -> Response {
    let url = match r {
        Ok(done) => format!("/staff/centres/{centre}/desk?done={done}"),
        Err(e) => format!("/staff/centres/{centre}/desk?error={}", e.code()),
    };
    Redirect::to(&url).into_response()
}

/// Errors the desk page shows in place; anything else (a server fault, a forbidden centre) gets
/// the error page.
fn desk_fixable(e: &AppError) -> bool {
    matches!(
        e,
        AppError::QueueRefused(_) | AppError::QueueConflict(_) | AppError::Stale | AppError::NotFound("visit" | "desk")
    )
}

fn finish(staff: &Staff, centre: CentreId, r: Result<&'static str, AppError>) -> StaffResult {
    match r {
        Err(e) if !desk_fixable(&e) => Err(staff.fail(e)),
        other => Ok(desk_back(centre, other)),
    }
}

fn desk_field(pairs: &[(String, String)]) -> Result<DeskId, AppError> {
    field(pairs, "desk").and_then(|d| d.parse().ok()).ok_or(AppError::QueueRefused("desk_required"))
}

async fn desk_open(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>, body: Bytes) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let pairs = form_urlencoded_pairs(&body);
    let r = async {
        let desk = desk_field(&pairs)?;
        let queues = pairs
            .iter()
            .filter(|(k, _)| k == "queues")
            .map(|(_, v)| v.parse::<QueueId>().map_err(|_| AppError::QueueRefused("queue_other_centre")))
            .collect::<Result<Vec<_>, _>>()?;
        s.app.open_desk(&staff.p, desk, &queues).await.map(|_| "opened")
    }
    .await;
    finish(&staff, centre, r)
}

async fn desk_leave(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>, body: Bytes) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let pairs = form_urlencoded_pairs(&body);
    let r = async { s.app.leave_desk(&staff.p, desk_field(&pairs)?).await.map(|()| "left") }.await;
    finish(&staff, centre, r)
}

async fn desk_call_next(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>, body: Bytes) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let pairs = form_urlencoded_pairs(&body);
    let r = async { s.app.call_next(&staff.p, desk_field(&pairs)?).await.map(|_| "called") }.await;
    finish(&staff, centre, r)
}

async fn desk_step(
    State(s): State<AppState>,
    staff: Staff,
    Path((raw, visit, action)): Path<(String, String, String)>,
    body: Bytes,
) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let pairs = form_urlencoded_pairs(&body);
    let r = async {
        let visit: VisitId = visit.parse().map_err(|_| AppError::NotFound("visit"))?;
        let dto = StepDto {
            desk: field(&pairs, "desk").map(str::to_owned),
            version: field(&pairs, "version").and_then(|v| v.parse().ok()),
            to_queue: field(&pairs, "to_queue").map(str::to_owned),
            reason: field(&pairs, "reason").map(str::to_owned),
            priority: field(&pairs, "priority").map(str::to_owned),
        };
        let act = action_of(&action, &dto)?;
        let desk = dto.desk.as_deref().and_then(|d| d.parse().ok());
        s.app.visit_step(&staff.p, visit, act, desk, dto.version).await?;
        Ok(match action.as_str() {
            "call" | "recall" => "called",
            "start" => "started",
            "complete" => "completed",
            "no-show" => "no_show",
            "park" => "parked",
            "cancel" => "cancelled",
            "priority" => "priority",
            _ => "transferred",
        })
    }
    .await;
    finish(&staff, centre, r)
}

// ----- statistics

#[derive(Debug)]
struct StatsRow {
    day: String,
    queue: String,
    service: String,
    visits: u32,
    served: u32,
    no_shows: u32,
    transfers: u32,
    waiting_p50: String,
    waiting_p90: String,
    service_p50: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/stats.html")]
struct StatsPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    centre_name: String,
    from: String,
    to: String,
    chart: String,
    rows: Vec<StatsRow>,
    csv_url: String,
}

fn minutes(v: Option<f64>) -> String {
    v.map(|m| format!("{m:.1}")).unwrap_or_else(|| "–".to_owned())
}

async fn stats(State(s): State<AppState>, staff: Staff, Path(raw): Path<String>) -> StaffResult {
    let centre = centre_id(&raw).map_err(|e| staff.fail(e))?;
    let q = |k: &str| staff.query.get(k).map(String::as_str);
    let req = stats_request(&s.app, centre, q("from"), q("to")).map_err(|e| staff.fail(e))?;
    let report = s.app.queue_stats(&staff.p, req).await.map_err(|e| staff.fail(e))?;
    let (view, _) = s.app.queue_centre(centre).await.map_err(|e| staff.fail(e))?;
    let lang = staff.c.lang;
    let chart = bar_chart(&BarChart {
        title: t(lang, "queue.stats.chart_title").to_owned(),
        description: t(lang, "queue.stats.chart_description").to_owned(),
        unit: t(lang, "queue.stats.unit_minutes").to_owned(),
        categories: report.days.iter().map(|d| d.key.day.to_string()).collect(),
        series: vec![
            Series {
                name: t(lang, "queue.stats.waiting_p50").to_owned(),
                values: report.days.iter().map(|d| d.waiting.p50).collect(),
            },
            Series {
                name: t(lang, "queue.stats.waiting_p90").to_owned(),
                values: report.days.iter().map(|d| d.waiting.p90).collect(),
            },
            Series {
                name: t(lang, "queue.stats.service_p50").to_owned(),
                values: report.days.iter().map(|d| d.service.p50).collect(),
            },
        ],
        empty_text: t(lang, "queue.stats.no_data").to_owned(),
    });
    let rows = report
        .rows
        .iter()
        .map(|g| StatsRow {
            day: g.key.day.to_string(),
            queue: report.queue_name(g.key.queue, lang),
            service: report.service_name(g.key.service, lang),
            visits: g.visits,
            served: g.served,
            no_shows: g.no_shows,
            transfers: g.transfers,
            waiting_p50: minutes(g.waiting.p50),
            waiting_p90: minutes(g.waiting.p90),
            service_p50: minutes(g.service.p50),
        })
        .collect();
    let (from, to) = (req.from.to_string(), req.to.to_string());
    Ok(StatsPage {
        nav: nav(&staff),
        current: String::new(),
        csrf: staff.csrf().to_owned(),
        centre_name: view.centre.name,
        csv_url: format!("/api/v1/staff/centres/{centre}/stats.csv?from={from}&to={to}"),
        from,
        to,
        chart,
        rows,
        c: staff.c,
    }
    .into_response())
}
