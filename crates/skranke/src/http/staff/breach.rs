//! The data-protection officer's breach scoping (issue 7, point 1): the same scope as
//! `skranke breach scope` on a page, with the CSV, the Art. 33 draft and the Art. 34 letters to
//! download. Only `RunBreachReport` (the DPO) gets past the use case; each view and download is a
//! run of its own and audited as such.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::tz::TimeZone;
use skranke_core::access::{Permission, Target as AccessTarget};
use skranke_core::breach::{Scope, SubjectRef};

use super::{NavLink, Staff, StaffResult, nav};
use crate::app::breach::{self, ScopeRequest};
use crate::app::{AppError, Principal};
use crate::breach_docs::{self, Letter};
use crate::http::AppState;
use crate::http::pages::Chrome;
use crate::i18n::Lang;
use crate::mail::format_local;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/breach", get(page))
        .route("/staff/breach/affected.csv", get(csv))
        .route("/staff/breach/anmeldelse.txt", get(draft))
        .route("/staff/breach/letters", get(letters_page))
}

fn tz() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC)
}

/// Whether the nav shows the page: the DPO of the organisation.
pub fn visible(p: &Principal) -> bool {
    p.organisation.is_some_and(|o| p.may(Permission::RunBreachReport, AccessTarget::Organisation(o)))
}

/// The request in the query string, `None` before the form was sent.
fn request_from(staff: &Staff) -> Result<Option<ScopeRequest>, AppError> {
    let get = |k: &str| staff.query.get(k).map(String::as_str).filter(|v| !v.trim().is_empty());
    if get("address").is_none() && get("domain").is_none() && get("from").is_none() && get("to").is_none() {
        return Ok(None);
    }
    breach::request(get("address"), get("domain"), get("from"), get("to"), staff.p.organisation).map(Some)
}

/// The case a scope is run for (`?case=<id>`), if any.
fn case_of(staff: &Staff) -> Option<uuid::Uuid> {
    staff.query.get("case").and_then(|c| c.parse().ok())
}

/// The query string of the current request, for the download links.
fn query_string(staff: &Staff) -> String {
    let mut pairs: Vec<(&str, &str)> = ["address", "domain", "from", "to"]
        .iter()
        .filter_map(|k| staff.query.get(*k).map(|v| (*k, v.as_str())))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    pairs.sort_unstable();
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

struct SubjectRow {
    who: String,
    reference: String,
    messages: u64,
    first: String,
    last: String,
    categories: String,
}

struct Summary {
    messages: u64,
    without_subject: u64,
    subjects: u64,
    reachable: u64,
    anonymised: u64,
    walk_ins: u64,
    first: String,
    last: String,
    recipients: String,
    categories: Vec<(String, u64)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/breach.html")]
struct BreachPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    f_address: String,
    f_domain: String,
    f_from: String,
    f_to: String,
    /// The case the search is for, kept in the form.
    f_case: String,
    /// `None`: no search yet.
    summary: Option<Summary>,
    rows: Vec<SubjectRow>,
    links: String,
}

fn categories(lang: Lang, scope_classes: skranke_core::notify::DataClasses) -> String {
    scope_classes
        .iter()
        .filter(|c| c.is_personal())
        .map(|c| breach_docs::class_name(lang, c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn summary_of(scope: &Scope, lang: Lang) -> Summary {
    let zone = tz();
    Summary {
        messages: scope.messages,
        without_subject: scope.messages_without_subject,
        subjects: scope.subjects.len() as u64,
        reachable: scope.reachable_count().0,
        anonymised: scope.anonymised(),
        walk_ins: scope.walk_ins(),
        first: scope.first.map(|t| format_local(lang, t, &zone)).unwrap_or_default(),
        last: scope.last.map(|t| format_local(lang, t, &zone)).unwrap_or_default(),
        recipients: scope.recipients.join(", "),
        categories: scope
            .subjects_per_class
            .iter()
            .map(|(c, n)| (breach_docs::class_name(lang, *c).to_owned(), *n))
            .collect(),
    }
}

/// Refuses everyone but the DPO before reading the form, so others learn nothing from it (the
/// use case checks again).
fn only_dpo(staff: &Staff) -> Result<(), super::StaffError> {
    if visible(&staff.p) { Ok(()) } else { Err(staff.fail(AppError::Forbidden)) }
}

async fn page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    only_dpo(&staff)?;
    let request = request_from(&staff).map_err(|e| staff.fail(e))?;
    let lang = staff.c.lang;
    let (summary, rows) = match request {
        None => (None, Vec::new()),
        Some(req) => {
            // Run for a case: the run is also recorded in the case's log.
            let scope = match case_of(&staff) {
                Some(case) => breach::scope_for_case(&s.app, &staff.p, case, req).await,
                None => breach::scope(&s.app, &staff.p, req).await,
            }
            .map_err(|e| staff.fail(e))?;
            let zone = tz();
            let rows = scope
                .subjects
                .iter()
                .map(|a| SubjectRow {
                    who: match a.subject {
                        SubjectRef::Visit(_) => staff.c.tr("staff.breach.walk_in").to_owned(),
                        SubjectRef::Appointment(_) => {
                            a.info.name.clone().unwrap_or_else(|| staff.c.tr("staff.breach.anonymised").to_owned())
                        }
                    },
                    reference: a.info.reference.clone().unwrap_or_default(),
                    messages: a.messages,
                    first: format_local(lang, a.first, &zone),
                    last: format_local(lang, a.last, &zone),
                    categories: categories(lang, a.classes),
                })
                .collect();
            (Some(summary_of(&scope, lang)), rows)
        }
    };
    let keep = |k: &str| staff.query.get(k).cloned().unwrap_or_default();
    Ok(BreachPage {
        nav: nav(&staff),
        current: "/staff/breach".into(),
        csrf: staff.csrf().to_owned(),
        f_address: keep("address"),
        f_domain: keep("domain"),
        f_from: date_field(&keep("from"), breach::End::From),
        f_to: date_field(&keep("to"), breach::End::To),
        f_case: case_of(&staff).map(|c| c.to_string()).unwrap_or_default(),
        links: query_string(&staff),
        c: staff.c.clone(),
        summary,
        rows,
    }
    .into_response())
}

/// A window end as the date field shows it. A case's log keeps a run's window as UTC instants
/// (Copenhagen midnights, as the form's dates became); shown again they are dates, `to` the
/// last day included. Anything else is shown as it was typed.
fn date_field(raw: &str, end: breach::End) -> String {
    let Ok(at) = raw.parse::<jiff::Timestamp>() else { return raw.to_owned() };
    let local = tz().to_datetime(at);
    if local.time() != jiff::civil::Time::midnight() {
        return raw.to_owned();
    }
    let day = match end {
        breach::End::From => Some(local.date()),
        breach::End::To => local.date().yesterday().ok(),
    };
    day.map_or_else(|| raw.to_owned(), |d| d.to_string())
}

/// Runs the scope of the query string; a download without one is a clear 422.
async fn run(s: &AppState, staff: &Staff) -> Result<(ScopeRequest, Scope), AppError> {
    let req = request_from(staff)?.ok_or(AppError::Field { field: "target", code: "breach_target" })?;
    let scope = breach::scope(&s.app, &staff.p, req.clone()).await?;
    Ok((req, scope))
}

fn download(content_type: &'static str, filename: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, filename),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn csv(State(s): State<AppState>, staff: Staff) -> StaffResult {
    only_dpo(&staff)?;
    let (_, scope) = run(&s, &staff).await.map_err(|e| staff.fail(e))?;
    Ok(download("text/csv; charset=utf-8", "attachment; filename=\"affected.csv\"", breach_docs::csv(&scope)))
}

async fn draft(State(s): State<AppState>, staff: Staff) -> StaffResult {
    only_dpo(&staff)?;
    let (req, scope) = run(&s, &staff).await.map_err(|e| staff.fail(e))?;
    let ctx = breach::draft_context(&s.app, &req).await.map_err(|e| staff.fail(e))?;
    let text = breach_docs::art33_draft(&scope, &ctx).map_err(|e| {
        staff.fail(AppError::Internal(crate::store::StoreError::Corrupt(format!("breach template: {e}"))))
    })?;
    Ok(download("text/plain; charset=utf-8", "attachment; filename=\"anmeldelse-datatilsynet.txt\"", text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_window_is_shown_as_the_dates_it_came_from() {
        // 1 March to 31 March 2026 in Copenhagen (winter time), as a case's log stores them.
        assert_eq!(date_field("2026-02-28T23:00:00Z", breach::End::From), "2026-03-01");
        assert_eq!(date_field("2026-03-31T22:00:00Z", breach::End::To), "2026-03-31");
        assert_eq!(date_field("2026-03-01", breach::End::From), "2026-03-01");
        assert_eq!(date_field("2026-03-01T09:30:00Z", breach::End::From), "2026-03-01T09:30:00Z");
        assert_eq!(date_field("", breach::End::To), "");
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/breach_letters.html")]
struct LettersPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    letters: Vec<Letter>,
    unreachable: u64,
    links: String,
}

async fn letters_page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    only_dpo(&staff)?;
    let (req, scope) = run(&s, &staff).await.map_err(|e| staff.fail(e))?;
    let ctx = breach::draft_context(&s.app, &req).await.map_err(|e| staff.fail(e))?;
    let letters = breach_docs::letters(&scope, &ctx).map_err(|e| {
        staff.fail(AppError::Internal(crate::store::StoreError::Corrupt(format!("breach template: {e}"))))
    })?;
    Ok(LettersPage {
        nav: nav(&staff),
        current: "/staff/breach".into(),
        csrf: staff.csrf().to_owned(),
        unreachable: scope.reachable_count().1,
        links: query_string(&staff),
        c: staff.c.clone(),
        letters,
    }
    .into_response())
}
