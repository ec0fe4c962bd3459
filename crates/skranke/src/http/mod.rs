//! The HTTP adapter: the JSON API, the citizen pages, health and metrics.

mod api;
pub mod error;
mod ics;
pub mod lobby;
mod metrics;
mod pages;
pub mod staff;

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use api::ApiDoc;
pub use metrics::Metrics;

use crate::app::App;
use crate::i18n::Lang;
use crate::store::Store;

#[derive(Clone, Debug)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<Metrics>,
    /// Demo mode: shows `/dev/mail`.
    pub demo: bool,
}

/// The request's language for the API, from `Accept-Language` (Danish when none is supported).
#[derive(Clone, Copy, Debug)]
pub struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(ApiLang(Lang::from_accept_language(header)))
    }
}

/// An instant as RFC 3339 with the offset it has in `tz`: `2026-12-03T10:30:00+01:00`.
pub fn rfc3339(t: Timestamp, tz: &TimeZone) -> String {
    t.display_with_offset(tz.to_offset(t)).to_string()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .merge(lobby::routes())
        .merge(staff::routes(state.clone()))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .route("/static/htmx.min.js", get(htmx))
        .route("/static/skranke.css", get(css))
        .route("/static/queue.js", get(queue_js))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .with_state(state)
}

/// Logs and counts each request by its route pattern only: never the URI, whose query string
/// may hold a manage token.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    state.metrics.request(&route, status, elapsed);
    tracing::debug!(%method, route = %route, status, micros = elapsed.as_micros() as u64, "request");
    response
}

async fn healthz(State(s): State<AppState>) -> Response {
    match s.app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn htmx() -> Response {
    static_asset(include_str!("../../assets/htmx.min.js"), "text/javascript; charset=utf-8")
}

async fn queue_js() -> Response {
    static_asset(include_str!("../../assets/queue.js"), "text/javascript; charset=utf-8")
}

async fn css() -> Response {
    static_asset(include_str!("../../assets/skranke.css"), "text/css; charset=utf-8")
}

fn static_asset(body: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}
