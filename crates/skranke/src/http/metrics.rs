//! Prometheus metrics, hand-rolled: counters keyed by route pattern and status, never by anything
//! a citizen typed (no personal data in metrics).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::store::Store;

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), (u64, f64)>>,
    bookings: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            let e = m.entry((route.to_owned(), status)).or_default();
            e.0 += 1;
            e.1 += elapsed.as_secs_f64();
        }
    }

    pub fn booking(&self, outcome: &str) {
        if let Ok(mut m) = self.bookings.lock() {
            *m.entry(outcome.to_owned()).or_default() += 1;
        }
    }
}

pub async fn render(State(s): State<AppState>) -> Response {
    let mut out = String::new();
    out.push_str("# HELP skranke_http_requests_total HTTP requests by route pattern and status.\n");
    out.push_str("# TYPE skranke_http_requests_total counter\n");
    let mut seconds = String::new();
    if let Ok(m) = s.metrics.requests.lock() {
        for ((route, status), (n, secs)) in m.iter() {
            let _ = writeln!(out, "skranke_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            let _ =
                writeln!(seconds, "skranke_http_request_seconds_sum{{route=\"{route}\",status=\"{status}\"}} {secs}");
        }
    }
    out.push_str("# HELP skranke_http_request_seconds_sum Time spent answering, by route pattern and status.\n");
    out.push_str("# TYPE skranke_http_request_seconds_sum counter\n");
    out.push_str(&seconds);
    out.push_str("# HELP skranke_bookings_total Booking events by outcome.\n# TYPE skranke_bookings_total counter\n");
    if let Ok(m) = s.metrics.bookings.lock() {
        for (outcome, n) in m.iter() {
            let _ = writeln!(out, "skranke_bookings_total{{outcome=\"{outcome}\"}} {n}");
        }
    }
    out.push_str("# HELP skranke_outbox_messages Outbox messages by status.\n# TYPE skranke_outbox_messages gauge\n");
    if let Ok(counts) = s.app.store.outbox_counts().await {
        for (status, n) in counts {
            let _ = writeln!(out, "skranke_outbox_messages{{status=\"{status}\"}} {n}");
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
