//! The administration pages: the organisation, its centres (hours, closures, queues, services,
//! staff) and each service and staff member. Every form posts to the use cases of `app::admin`;
//! a refused change re-renders the page with the message next to the form (4xx), a saved one
//! redirects back with a notice.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use skranke_core::access::{Permission, Target};
use skranke_core::ids::{CentreId, QueueId, ServiceId, StaffId};

use super::{NavLink, RawForm, Staff, StaffResult, field, nav};
use crate::app::AppError;
use crate::app::admin::{self, WEEKDAYS, hours_text};
use crate::http::AppState;
use crate::http::error::{message_of, status_of};
use crate::http::pages::Chrome;
use crate::i18n::t;
use crate::mail::format_local;
use crate::store::{AdminObject, Store as _};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/admin", get(home))
        .route("/staff/admin/organisation", post(save_organisation))
        .route("/staff/admin/centres", post(new_centre))
        .route("/staff/admin/centres/{id}", get(centre).post(save_centre))
        .route("/staff/admin/centres/{id}/closures", post(new_closure))
        .route("/staff/admin/centres/{id}/closures/{closure}/remove", post(remove_closure))
        .route("/staff/admin/centres/{id}/queues", post(new_queue))
        .route("/staff/admin/centres/{id}/queue-rules", post(save_queue_rules))
        .route("/staff/admin/centres/{id}/desks", post(new_desk))
        .route("/staff/admin/queues/{id}", post(save_queue))
        .route("/staff/admin/centres/{id}/services", post(new_service))
        .route("/staff/admin/services/{id}", get(service).post(save_service))
        .route("/staff/admin/centres/{id}/staff", post(new_staff))
        .route("/staff/admin/staff/{id}", get(staff_member).post(save_staff))
        .route("/staff/admin/staff/{id}/active", post(set_staff_active))
        .route("/staff/admin/services/{id}/active", post(set_service_active))
        .route("/staff/admin/centres/{id}/closed-days", post(save_closed_days))
        .route("/staff/admin/staff/{id}/absences", post(new_absence))
        .route("/staff/admin/staff/{id}/absences/{absence}/remove", post(remove_absence))
}

fn version(f: &RawForm) -> i64 {
    field(f, "version").trim().parse().unwrap_or(-1)
}

fn hours_from(f: &RawForm) -> [String; 7] {
    WEEKDAYS.map(|(_, key)| field(f, &format!("hours_{key}")).to_owned())
}

/// A page's error banner: the message and the field it is about.
struct Problem {
    message: String,
    field: &'static str,
    /// A domain that resembles a protected one: the form offers a reason field.
    resembles: bool,
}

fn problem(staff: &Staff, e: &AppError) -> Problem {
    Problem {
        message: message_of(e, staff.c.lang),
        field: e.field().unwrap_or(match e {
            AppError::DomainResembles { .. } => "domains",
            AppError::AccountEmailNotOwn { .. } => "email",
            _ => "",
        }),
        resembles: matches!(e, AppError::DomainResembles { .. }),
    }
}

/// The notice after a redirect (`?done=saved`).
fn notice(staff: &Staff) -> Option<String> {
    super::catalogue_notice(staff, "staff.admin.done")
}

/// A refused change is shown on the page (client errors); anything else is the error page.
fn is_form_error(e: &AppError) -> bool {
    status_of(e).is_client_error() && !matches!(e, AppError::NotFound(_) | AppError::Forbidden | AppError::CsrfFailed)
}

/// Whether to link to the audit log (its search is organisation-wide: not for centre roles).
fn may_audit(staff: &Staff) -> bool {
    staff.p.organisation.is_some_and(|o| staff.may(Permission::ViewAudit, Target::Organisation(o)))
}

fn saved(to: String) -> Response {
    Redirect::to(&format!("{to}?done=saved")).into_response()
}

fn uuid(staff: &Staff, raw: &str, what: &'static str) -> Result<uuid::Uuid, super::StaffError> {
    raw.parse().map_err(|_| staff.fail(AppError::NotFound(what)))
}

// ------------------------------------------------------------------------ the organisation

struct CentreLink {
    id: CentreId,
    name: String,
    address: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin.html")]
struct AdminPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    notice: Option<String>,
    problem: Option<Problem>,
    org: Option<(String, String, i64)>,
    needs_reason: bool,
    centres: Vec<CentreLink>,
}

async fn admin_page(s: &AppState, staff: &Staff, problem: Option<Problem>, needs_reason: bool) -> StaffResult {
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    let may_org = staff.may(Permission::ManageOrganisation, Target::Organisation(org));
    let settings = if may_org {
        let o = admin::organisation(&s.app, &staff.p, org).await.map_err(|e| staff.fail(e))?;
        Some((o.value.name, o.value.mail_domains.join(", "), o.version))
    } else {
        None
    };
    let centres: Vec<CentreLink> = admin::centres_in_reach(&s.app, &staff.p, org)
        .await
        .map_err(|e| staff.fail(e))?
        .into_iter()
        .map(|c| CentreLink { id: c.value.id, name: c.value.name, address: c.value.address })
        .collect();
    if settings.is_none() && centres.is_empty() {
        return Err(staff.fail(AppError::Forbidden));
    }
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((
        status,
        AdminPage {
            nav: nav(staff),
            current: "/staff/admin".into(),
            csrf: staff.csrf().to_owned(),
            c: staff.c.clone(),
            notice: notice(staff),
            problem,
            org: settings,
            needs_reason,
            centres,
        },
    )
        .into_response())
}

async fn home(State(s): State<AppState>, staff: Staff) -> StaffResult {
    admin_page(&s, &staff, None, false).await
}

async fn save_organisation(State(s): State<AppState>, staff: Staff, Form(f): Form<RawForm>) -> StaffResult {
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    let form = admin::OrganisationForm {
        name: field(&f, "name").to_owned(),
        domains: field(&f, "domains").to_owned(),
        reason: field(&f, "reason").to_owned(),
        version: version(&f),
    };
    match admin::update_organisation(&s.app, &staff.p, org, &form).await {
        Ok(()) => Ok(saved("/staff/admin".into())),
        Err(e) if is_form_error(&e) => {
            let needs_reason = matches!(e, AppError::DomainResembles { .. });
            let p = problem(&staff, &e);
            admin_page(&s, &staff, Some(p), needs_reason).await.map(|r| with_status(r, status_of(&e)))
        }
        Err(e) => Err(staff.fail(e)),
    }
}

fn with_status(mut r: Response, status: StatusCode) -> Response {
    *r.status_mut() = status;
    r
}

async fn new_centre(State(s): State<AppState>, staff: Staff, Form(f): Form<RawForm>) -> StaffResult {
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    match admin::create_centre(&s.app, &staff.p, org, field(&f, "name"), field(&f, "address")).await {
        Ok(id) => Ok(saved(format!("/staff/admin/centres/{id}"))),
        Err(e) if is_form_error(&e) => {
            let p = problem(&staff, &e);
            admin_page(&s, &staff, Some(p), false).await.map(|r| with_status(r, status_of(&e)))
        }
        Err(e) => Err(staff.fail(e)),
    }
}

// ------------------------------------------------------------------------ one centre

struct DayHours {
    key: &'static str,
    label: &'static str,
    value: String,
}

fn day_hours(staff: &Staff, h: &skranke_core::hours::WeeklyHours, typed: Option<&[String; 7]>) -> Vec<DayHours> {
    WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, (day, key))| DayHours {
            key,
            label: t(staff.c.lang, &format!("field.hours_{key}")),
            value: typed.and_then(|v| v.get(i).cloned()).unwrap_or_else(|| hours_text(h, *day)),
        })
        .collect()
}

struct Row {
    id: String,
    text: String,
}

struct QueueRow {
    id: QueueId,
    name_da: String,
    name_en: String,
    prefix: String,
    version: i64,
    /// `back` or `keep_arrival`.
    placement: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin_centre.html")]
struct CentrePage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    notice: Option<String>,
    problem: Option<Problem>,
    id: CentreId,
    name: String,
    address: String,
    version: i64,
    hours: Vec<DayHours>,
    closures: Vec<Row>,
    queues: Vec<QueueRow>,
    services: Vec<Row>,
    staff: Vec<Row>,
    /// The centre's call order key.
    call_order: &'static str,
    public_holidays: bool,
    /// Recurring closed days, `5/6, 24/12`.
    recurring: String,
    desks: Vec<Row>,
}

async fn centre_page(
    s: &AppState,
    staff: &Staff,
    raw: &str,
    problem: Option<Problem>,
    typed: Option<&RawForm>,
) -> StaffResult {
    let id = CentreId::from_uuid(uuid(staff, raw, "centre")?);
    let setup = admin::centre_setup(&s.app, &staff.p, id).await.map_err(|e| staff.fail(e))?;
    let lang = staff.c.lang;
    let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
    let typed_hours = typed.map(hours_from);
    let c = &setup.centre.value;
    let rules = s.app.store.queue_rules(id).await.map_err(|e| staff.fail(e))?;
    let rules = rules.ok_or_else(|| staff.fail(AppError::NotFound("centre")))?;
    let desks = s.app.store.list_desks(id).await.map_err(|e| staff.fail(e))?;
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((
        status,
        CentrePage {
            nav: nav(staff),
            current: "/staff/admin".into(),
            csrf: staff.csrf().to_owned(),
            notice: notice(staff),
            id,
            name: typed.map(|f| field(f, "name").to_owned()).unwrap_or_else(|| c.name.clone()),
            address: typed.map(|f| field(f, "address").to_owned()).unwrap_or_else(|| c.address.clone()),
            version: setup.centre.version,
            hours: day_hours(staff, &c.opening_hours, typed_hours.as_ref()),
            closures: setup
                .closures
                .iter()
                .map(|x| Row {
                    id: x.id.to_string(),
                    text: format!(
                        "{} – {}: {}",
                        format_local(lang, x.when.start(), &tz),
                        format_local(lang, x.when.end(), &tz),
                        x.reason
                    ),
                })
                .collect(),
            queues: setup
                .queues
                .iter()
                .map(|q| QueueRow {
                    id: q.value.id,
                    name_da: q.value.name_da.clone(),
                    name_en: q.value.name_en.clone(),
                    prefix: q.value.prefix.clone(),
                    version: q.version,
                    placement: rules.placement(q.value.id).as_str(),
                })
                .collect(),
            call_order: rules.call_order.as_str(),
            public_holidays: c.closed_days.public_holidays,
            recurring: admin::closed_days_text(&c.closed_days),
            desks: desks.iter().map(|d| Row { id: d.id.to_string(), text: d.name.clone() }).collect(),
            services: setup
                .services
                .iter()
                .map(|x| Row { id: x.value.id.to_string(), text: x.value.name(lang).to_owned() })
                .collect(),
            staff: setup
                .staff
                .iter()
                .map(|x| Row { id: x.value.member.id.to_string(), text: x.value.member.name.clone() })
                .collect(),
            c: staff.c.clone(),
            problem,
        },
    )
        .into_response())
}

async fn centre(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    centre_page(&s, &staff, &id, None, None).await
}

/// Runs a centre-page action: saved → back to the centre; refused → the centre page with why.
async fn on_centre<F>(
    s: &AppState,
    staff: &Staff,
    id: &str,
    typed: Option<&RawForm>,
    result: Result<F, AppError>,
) -> StaffResult {
    match result {
        Ok(_) => Ok(saved(format!("/staff/admin/centres/{id}"))),
        Err(e) if is_form_error(&e) => {
            let p = problem(staff, &e);
            centre_page(s, staff, id, Some(p), typed).await.map(|r| with_status(r, status_of(&e)))
        }
        Err(e) => Err(staff.fail(e)),
    }
}

async fn save_centre(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    let form = admin::CentreForm {
        name: field(&f, "name").to_owned(),
        address: field(&f, "address").to_owned(),
        hours: hours_from(&f),
        version: version(&f),
    };
    let r = admin::update_centre(&s.app, &staff.p, cid, &form).await;
    on_centre(&s, &staff, &id, Some(&f), r).await
}

async fn new_closure(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    let r = admin::add_closure(&s.app, &staff.p, cid, field(&f, "from"), field(&f, "to"), field(&f, "reason")).await;
    on_centre(&s, &staff, &id, None, r).await
}

async fn remove_closure(
    State(s): State<AppState>,
    staff: Staff,
    Path((id, closure)): Path<(String, String)>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    let closure = uuid(&staff, &closure, "closure")?;
    let r = admin::remove_closure(&s.app, &staff.p, cid, closure).await;
    on_centre(&s, &staff, &id, None, r).await
}

fn queue_form(f: &RawForm) -> admin::QueueForm {
    admin::QueueForm {
        name_da: field(f, "name_da").to_owned(),
        name_en: field(f, "name_en").to_owned(),
        prefix: field(f, "prefix").to_owned(),
        version: version(f),
    }
}

async fn new_queue(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    let r = admin::create_queue(&s.app, &staff.p, cid, &queue_form(&f)).await;
    on_centre(&s, &staff, &id, None, r).await
}

async fn save_queue(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let qid = QueueId::from_uuid(uuid(&staff, &id, "queue")?);
    let r = admin::update_queue(&s.app, &staff.p, qid, &queue_form(&f)).await;
    if let Err(e) = &r
        && !is_form_error(e)
    {
        return Err(staff.fail(r.err().unwrap_or(AppError::NotFound("queue"))));
    }
    // Authorised by the use case above: the queue is the caller's to configure.
    let centre = s.app.store.centre_of(AdminObject::Queue, qid.as_uuid()).await.map_err(|e| staff.fail(e))?;
    let centre = centre.ok_or_else(|| staff.fail(AppError::NotFound("queue")))?;
    on_centre(&s, &staff, &centre.to_string(), None, r).await
}

async fn save_queue_rules(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    let form = admin::QueueRulesForm {
        call_order: field(&f, "call_order").to_owned(),
        placements: f.iter().filter_map(|(k, v)| Some((k.strip_prefix("placement_")?.to_owned(), v.clone()))).collect(),
    };
    let r = admin::update_queue_rules(&s.app, &staff.p, cid, &form).await;
    on_centre(&s, &staff, &id, None, r).await
}

async fn new_desk(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    let r = admin::create_desk(&s.app, &staff.p, cid, field(&f, "name")).await;
    on_centre(&s, &staff, &id, None, r).await
}

// ------------------------------------------------------------------------ services

fn service_form(f: &RawForm) -> admin::ServiceForm {
    admin::ServiceForm {
        name_da: field(f, "name_da").to_owned(),
        name_en: field(f, "name_en").to_owned(),
        queue: field(f, "queue").to_owned(),
        duration_minutes: field(f, "duration_minutes").to_owned(),
        buffer_minutes: field(f, "buffer_minutes").to_owned(),
        capacity: field(f, "capacity").to_owned(),
        min_notice_minutes: field(f, "min_notice_minutes").to_owned(),
        horizon_days: field(f, "horizon_days").to_owned(),
        online_bookable: field(f, "online_bookable") == "on",
        sensitivity: field(f, "sensitivity").to_owned(),
        version: version(f),
    }
}

async fn new_service(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    match admin::create_service(&s.app, &staff.p, cid, &service_form(&f)).await {
        Ok(sid) => Ok(saved(format!("/staff/admin/services/{sid}"))),
        Err(e) => on_centre::<()>(&s, &staff, &id, None, Err(e)).await,
    }
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin_service.html")]
struct ServicePage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    notice: Option<String>,
    problem: Option<Problem>,
    id: ServiceId,
    centre: CentreId,
    centre_name: String,
    values: HashMap<&'static str, String>,
    online: bool,
    version: i64,
    queues: Vec<Choice>,
    sensitivities: Vec<Choice>,
    may_audit: bool,
    active: bool,
}

impl ServicePage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
}

async fn service_page(
    s: &AppState,
    staff: &Staff,
    raw: &str,
    problem: Option<Problem>,
    typed: Option<&RawForm>,
) -> StaffResult {
    let id = ServiceId::from_uuid(uuid(staff, raw, "service")?);
    let details = admin::service_details(&s.app, &staff.p, id).await.map_err(|e| staff.fail(e))?;
    let active = details.service.value.active;
    let centre = details.centre;
    let sv = crate::store::Versioned { value: details.service.value.service, version: details.service.version };
    let x = &sv.value;
    let mut values: HashMap<&'static str, String> = HashMap::from([
        ("name_da", x.name_da.clone()),
        ("name_en", x.name_en.clone()),
        ("duration_minutes", x.rules.duration_minutes().to_string()),
        ("buffer_minutes", x.rules.buffer_minutes().to_string()),
        ("capacity", x.rules.capacity().to_string()),
        ("min_notice_minutes", x.rules.min_notice_minutes().to_string()),
        ("horizon_days", x.rules.horizon_days().to_string()),
    ]);
    let mut online = x.rules.online_bookable();
    let mut queue = x.queue_id.to_string();
    let mut sensitivity = x.sensitivity.as_str().to_owned();
    if let Some(f) = typed {
        for k in [
            "name_da",
            "name_en",
            "duration_minutes",
            "buffer_minutes",
            "capacity",
            "min_notice_minutes",
            "horizon_days",
        ] {
            values.insert(k, field(f, k).to_owned());
        }
        online = field(f, "online_bookable") == "on";
        queue = field(f, "queue").to_owned();
        sensitivity = field(f, "sensitivity").to_owned();
    }
    let queues = s
        .app
        .store
        .list_queues(centre.id)
        .await
        .map_err(|e| staff.fail(e))?
        .into_iter()
        .map(|q| Choice {
            selected: q.value.id.to_string() == queue,
            value: q.value.id.to_string(),
            label: q.value.name_da,
        })
        .collect();
    let sensitivities = ["normal", "confidential", "sensitive"]
        .into_iter()
        .map(|k| Choice {
            value: k.into(),
            label: t(staff.c.lang, &format!("staff.admin.sensitivity.{k}")).into(),
            selected: k == sensitivity,
        })
        .collect();
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((
        status,
        ServicePage {
            nav: nav(staff),
            current: "/staff/admin".into(),
            csrf: staff.csrf().to_owned(),
            c: staff.c.clone(),
            notice: notice(staff),
            problem,
            id,
            centre: centre.id,
            centre_name: centre.name,
            values,
            online,
            version: sv.version,
            queues,
            sensitivities,
            may_audit: may_audit(staff),
            active,
        },
    )
        .into_response())
}

async fn service(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    service_page(&s, &staff, &id, None, None).await
}

async fn save_service(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let sid = ServiceId::from_uuid(uuid(&staff, &id, "service")?);
    match admin::update_service(&s.app, &staff.p, sid, &service_form(&f)).await {
        Ok(()) => Ok(saved(format!("/staff/admin/services/{id}"))),
        Err(e) if is_form_error(&e) => {
            let p = problem(&staff, &e);
            service_page(&s, &staff, &id, Some(p), Some(&f)).await.map(|r| with_status(r, status_of(&e)))
        }
        Err(e) => Err(staff.fail(e)),
    }
}

// ------------------------------------------------------------------------ staff members

fn staff_form(f: &RawForm) -> admin::StaffForm {
    admin::StaffForm {
        name: field(f, "name").to_owned(),
        email: field(f, "email").to_owned(),
        hours: hours_from(f),
        services: f.iter().filter(|(k, _)| k == "services").map(|(_, v)| v.clone()).collect(),
        version: version(f),
    }
}

async fn new_staff(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    match admin::create_staff(&s.app, &staff.p, cid, &staff_form(&f)).await {
        Ok(sid) => Ok(saved(format!("/staff/admin/staff/{sid}"))),
        Err(e) => on_centre::<()>(&s, &staff, &id, None, Err(e)).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin_staff.html")]
struct StaffPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    notice: Option<String>,
    problem: Option<Problem>,
    id: StaffId,
    centre: CentreId,
    centre_name: String,
    name: String,
    email: String,
    version: i64,
    hours: Vec<DayHours>,
    services: Vec<Choice>,
    absences: Vec<Row>,
    may_audit: bool,
    /// The address's domain resembles a protected one (RS-61): the form asks why it is kept.
    reason_needed: bool,
    /// The reason as typed, or the stored one.
    reason: String,
    active: bool,
}

async fn staff_page(
    s: &AppState,
    staff: &Staff,
    raw: &str,
    problem: Option<Problem>,
    typed: Option<&RawForm>,
) -> StaffResult {
    let id = StaffId::from_uuid(uuid(staff, raw, "staff")?);
    let details = admin::staff_details(&s.app, &staff.p, id).await.map_err(|e| staff.fail(e))?;
    let stored_reason = details.staff.value.email_flag_reason.clone();
    let active = details.staff.value.active;
    let (centre, absences) = (details.centre, details.absences);
    let member = crate::store::Versioned { value: details.staff.value.staff, version: details.staff.version };
    let typed_reason = typed.map(|f| field(f, "reason").to_owned()).filter(|r| !r.is_empty());
    let reason_needed =
        problem.as_ref().is_some_and(|p| p.resembles) || stored_reason.is_some() || typed_reason.is_some();
    let reason = typed_reason.or(stored_reason).unwrap_or_default();
    let lang = staff.c.lang;
    let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
    let m = &member.value;
    let chosen: Vec<String> = match typed {
        Some(f) => f.iter().filter(|(k, _)| k == "services").map(|(_, v)| v.clone()).collect(),
        None => m.member.services.iter().map(ToString::to_string).collect(),
    };
    let services = s
        .app
        .store
        .list_services(centre.id)
        .await
        .map_err(|e| staff.fail(e))?
        .into_iter()
        .map(|x| Choice {
            selected: chosen.contains(&x.id.to_string()),
            value: x.id.to_string(),
            label: x.name(lang).to_owned(),
        })
        .collect();
    let typed_hours = typed.map(hours_from);
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((
        status,
        StaffPage {
            nav: nav(staff),
            current: "/staff/admin".into(),
            csrf: staff.csrf().to_owned(),
            c: staff.c.clone(),
            notice: notice(staff),
            problem,
            id,
            centre: centre.id,
            centre_name: centre.name,
            name: typed.map(|f| field(f, "name").to_owned()).unwrap_or_else(|| m.member.name.clone()),
            email: typed.map(|f| field(f, "email").to_owned()).unwrap_or_else(|| m.email.clone().unwrap_or_default()),
            version: member.version,
            hours: day_hours(staff, &m.member.schedule, typed_hours.as_ref()),
            services,
            absences: absences
                .iter()
                .map(|a| Row {
                    id: a.id.to_string(),
                    text: format!(
                        "{} – {}",
                        format_local(lang, a.when.start(), &tz),
                        format_local(lang, a.when.end(), &tz)
                    ),
                })
                .collect(),
            may_audit: may_audit(staff),
            reason_needed,
            reason,
            active,
        },
    )
        .into_response())
}

async fn staff_member(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    staff_page(&s, &staff, &id, None, None).await
}

async fn on_staff(
    s: &AppState,
    staff: &Staff,
    id: &str,
    typed: Option<&RawForm>,
    result: Result<(), AppError>,
) -> StaffResult {
    match result {
        Ok(()) => Ok(saved(format!("/staff/admin/staff/{id}"))),
        Err(e) if is_form_error(&e) => {
            let p = problem(staff, &e);
            staff_page(s, staff, id, Some(p), typed).await.map(|r| with_status(r, status_of(&e)))
        }
        Err(e) => Err(staff.fail(e)),
    }
}

async fn save_staff(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let sid = StaffId::from_uuid(uuid(&staff, &id, "staff")?);
    let r = admin::update_staff_with_reason(&s.app, &staff.p, sid, &staff_form(&f), field(&f, "reason")).await;
    on_staff(&s, &staff, &id, Some(&f), r).await
}

/// Deactivates or reactivates a staff member (`active` = `true`/`false`).
async fn set_staff_active(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let sid = StaffId::from_uuid(uuid(&staff, &id, "staff")?);
    let r = admin::set_staff_active(&s.app, &staff.p, sid, field(&f, "active") == "true", version(&f)).await;
    on_staff(&s, &staff, &id, None, r).await
}

/// Deactivates or reactivates a service (`active` = `true`/`false`).
async fn set_service_active(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let sid = ServiceId::from_uuid(uuid(&staff, &id, "service")?);
    match admin::set_service_active(&s.app, &staff.p, sid, field(&f, "active") == "true", version(&f)).await {
        Ok(()) => Ok(saved(format!("/staff/admin/services/{id}"))),
        Err(e) if is_form_error(&e) => {
            let p = problem(&staff, &e);
            service_page(&s, &staff, &id, Some(p), None).await.map(|r| with_status(r, status_of(&e)))
        }
        Err(e) => Err(staff.fail(e)),
    }
}

/// The days the centre is closed every year.
async fn save_closed_days(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let cid = CentreId::from_uuid(uuid(&staff, &id, "centre")?);
    let form = admin::ClosedDaysForm {
        public_holidays: field(&f, "public_holidays") == "on",
        recurring: field(&f, "recurring").to_owned(),
        version: version(&f),
    };
    let r = admin::update_closed_days(&s.app, &staff.p, cid, &form).await;
    on_centre(&s, &staff, &id, None, r).await
}

async fn new_absence(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let sid = StaffId::from_uuid(uuid(&staff, &id, "staff")?);
    let r = admin::add_absence(&s.app, &staff.p, sid, field(&f, "from"), field(&f, "to")).await;
    on_staff(&s, &staff, &id, None, r).await
}

async fn remove_absence(
    State(s): State<AppState>,
    staff: Staff,
    Path((id, absence)): Path<(String, String)>,
) -> StaffResult {
    let sid = StaffId::from_uuid(uuid(&staff, &id, "staff")?);
    let absence = uuid(&staff, &absence, "absence")?;
    let r = admin::remove_absence(&s.app, &staff.p, sid, absence).await;
    on_staff(&s, &staff, &id, None, r).await
}
