//! The lobby display: "Y014 → Skranke 3", the latest calls and the waiting counts, readable from
//! across the room and updated live by server-sent events. Public: it shows ticket numbers and
//! desk names only, as the screen in the lobby does.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::tz::TimeZone;
use serde::Serialize;
use skranke_core::ids::CentreId;
use utoipa::{OpenApi, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::pages::{Chrome, PageError, chrome};
use crate::app::queue::Board;
use crate::app::{App, AppError};
use crate::i18n::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/centres/{centre}/lobby", get(page))
        .route("/centres/{centre}/lobby/events", get(events))
        .route("/api/v1/centres/{centre}/lobby", get(api))
}

#[derive(Debug, OpenApi)]
#[openapi(paths(api), components(schemas(LobbyView, LobbyCall, LobbyQueue)))]
pub struct LobbyApiDoc;

/// What the lobby shows: no visit ids, no names.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LobbyView {
    /// The board's sequence number (also the SSE event id).
    pub seq: u64,
    /// Newest first.
    pub calls: Vec<LobbyCall>,
    pub queues: Vec<LobbyQueue>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LobbyCall {
    pub ticket: String,
    pub desk: String,
    /// Local time of the call, `10:32`.
    pub time: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LobbyQueue {
    pub name: String,
    pub prefix: String,
    pub waiting: u32,
    /// Estimated wait for a ticket drawn now, in minutes; `null` when no desk is open for it.
    pub estimate_minutes: Option<u32>,
}

pub fn lobby_view(board: &Board, lang: Lang, tz: &TimeZone) -> LobbyView {
    LobbyView {
        seq: board.seq,
        calls: board
            .calls
            .iter()
            .map(|c| LobbyCall {
                ticket: c.ticket.clone(),
                desk: c.desk.clone(),
                time: tz.to_datetime(c.at).strftime("%H:%M").to_string(),
            })
            .collect(),
        queues: board
            .queues
            .iter()
            .map(|q| LobbyQueue {
                name: q.name(lang).to_owned(),
                prefix: q.prefix.clone(),
                waiting: u32::try_from(q.waiting.len()).unwrap_or(u32::MAX),
                estimate_minutes: q.estimate_minutes,
            })
            .collect(),
    }
}

async fn centre_of(app: &App, raw: &str) -> Result<(CentreId, String, TimeZone), AppError> {
    let id: CentreId = raw.parse().map_err(|_| AppError::NotFound("centre"))?;
    let (view, tz) = app.queue_centre(id).await?;
    Ok((id, view.centre.name, tz))
}

#[derive(Template, WebTemplate)]
#[template(path = "lobby.html")]
struct LobbyPage {
    c: Chrome,
    centre: CentreId,
    centre_name: String,
    view: LobbyView,
}

async fn page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let c = chrome(&headers, &format!("/centres/{raw}/lobby"), &q);
    let r = async {
        let (centre, centre_name, tz) = centre_of(&s.app, &raw).await?;
        let board = s.app.compute_board(centre).await?;
        Ok::<_, AppError>((centre, centre_name, lobby_view(&board, c.lang, &tz)))
    }
    .await;
    match r {
        Ok((centre, centre_name, view)) => LobbyPage { c, centre, centre_name, view }.into_response(),
        Err(error) => PageError { c, error }.into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/centres/{centre}/lobby",
    params(("centre" = String, Path, format = Uuid)),
    responses((status = 200, body = LobbyView), (status = 404, body = ErrorBody)))]
async fn api(State(s): State<AppState>, lang: super::ApiLang, Path(raw): Path<String>) -> Response {
    let r = async {
        let (centre, _, tz) = centre_of(&s.app, &raw).await?;
        let board = s.app.compute_board(centre).await?;
        Ok::<_, AppError>(lobby_view(&board, lang.0, &tz))
    }
    .await;
    match r {
        Ok(v) => Json(v).into_response(),
        Err(error) => ApiError { error, lang: lang.0 }.into_response(),
    }
}

/// How soon a disconnected screen tries again.
const RETRY: Duration = Duration::from_secs(2);

/// Server-sent events: the current board at once (so a reconnecting screen catches up), then
/// every newer one. Event `board`, data the `LobbyView` JSON, id its sequence number.
async fn events(
    State(s): State<AppState>,
    lang: super::ApiLang,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = q.get("lang").and_then(|l| Lang::parse(l)).unwrap_or(lang.0);
    let (centre, _, tz) = match centre_of(&s.app, &raw).await {
        Ok(found) => found,
        Err(error) => return ApiError { error, lang }.into_response(),
    };
    let rx = s.app.watch_board(centre);
    let live = s.app.live.clone();
    let stream = futures_util::stream::unfold((rx, true), move |(mut rx, first)| {
        let tz = tz.clone();
        let closed = live.closed();
        async move {
            // The first event waits only until a board exists; later ones for a newer board.
            if !first || rx.borrow().is_none() {
                tokio::select! {
                    changed = rx.changed() => changed.ok()?,
                    () = closed => return None,
                }
            }
            let board = rx.borrow_and_update().clone()?;
            let view = lobby_view(&board, lang, &tz);
            let mut event = Event::default().event("board").id(board.seq.to_string());
            if first {
                event = event.retry(RETRY);
            }
            let event = event.json_data(&view).ok()?;
            Some((Ok::<_, Infallible>(event), (rx, false)))
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}
