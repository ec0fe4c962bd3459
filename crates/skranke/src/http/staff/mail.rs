//! The mail page of an organisation's administrators (issue 6): held and blocked messages with
//! their reasons and a release or discard action, and the address registry — the monitored
//! mailbox, the shared mailboxes of centres and queues, staff members' own addresses — with a
//! code to prove each. A refused form re-renders the page with the message (4xx); a done one
//! redirects back with a notice.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use jiff::tz::TimeZone;
use skranke_core::access::{Permission, Target};
use skranke_core::ids::{AddressId, CentreId, MessageId, OrganisationId, QueueId};
use skranke_core::notify::AddressState;

use super::{NavLink, RawForm, Staff, StaffResult, field, nav};
use crate::app::AppError;
use crate::app::notify::{self, Mailbox};
use crate::http::AppState;
use crate::http::error::{message_of, status_of};
use crate::http::pages::Chrome;
use crate::i18n::t;
use crate::mail::format_local;
use crate::store::{OwnerKind, Store as _};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/mail", get(page))
        // The link in held-message alerts.
        .route("/staff/mail/held", get(page))
        .route("/staff/mail/flows", get(flows_page))
        .route("/staff/mail/mailboxes", post(set_mailbox))
        .route("/staff/mail/addresses/{id}/code", post(request_code))
        .route("/staff/mail/addresses/{id}/confirm", post(confirm_code))
        .route("/staff/mail/changes/{id}/approve", post(approve))
        .route("/staff/mail/changes/{id}/reject", post(reject))
        .route("/staff/mail/held/{id}/release", post(release))
        .route("/staff/mail/held/{id}/discard", post(discard))
        // The link in staff notifications: opening it signed in acknowledges (RS-40).
        .route("/staff/ack/{id}", get(acknowledge))
}

struct HeldRow {
    id: String,
    template: String,
    recipient: String,
    reason: String,
    blocked: bool,
    when: String,
}

struct AddressRow {
    id: String,
    owner: String,
    address: String,
    state: String,
    verified: bool,
    expires: String,
    /// Tracked notifications not yet acknowledged (RS-40), and when someone last did.
    unacknowledged: u32,
    last_acknowledged: String,
}

struct ChangeRow {
    id: String,
    owner: String,
    old_address: String,
    old_domain: String,
    new_address: String,
    new_domain: String,
    domain_changes: bool,
    requested_by: String,
    when: String,
    mine: bool,
}

struct OwnerOption {
    value: String,
    label: String,
}

struct Problem {
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/mail.html")]
struct MailPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    problem: Option<Problem>,
    notice: Option<String>,
    held: Vec<HeldRow>,
    addresses: Vec<AddressRow>,
    owners: Vec<OwnerOption>,
    changes: Vec<ChangeRow>,
    typed_owner: String,
    typed_address: String,
}

fn organisation(staff: &Staff) -> Result<OrganisationId, super::StaffError> {
    staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))
}

async fn render(s: &AppState, staff: &Staff, problem: Option<Problem>, typed: Option<&RawForm>) -> StaffResult {
    let org = organisation(staff)?;
    let lang = staff.c.lang;
    let held = notify::held_messages(&s.app, &staff.p, org).await.map_err(|e| staff.fail(e))?;
    let registry = notify::registry(&s.app, &staff.p, org).await.map_err(|e| staff.fail(e))?;
    let zone = match s.app.store.get_organisation(org).await.map_err(|e| staff.fail(e))? {
        Some(o) => TimeZone::get(&o.value.timezone).unwrap_or(TimeZone::UTC),
        None => TimeZone::UTC,
    };
    let centres = s.app.store.organisation_centres(org).await.map_err(|e| staff.fail(e))?;
    let mut owners =
        vec![OwnerOption { value: "organisation".into(), label: t(lang, "staff.mail.owner_organisation").into() }];
    let mut names: Vec<(uuid::Uuid, String)> = Vec::new();
    for centre in &centres {
        let c = &centre.value;
        names.push((c.id.as_uuid(), c.name.clone()));
        owners.push(OwnerOption { value: format!("centre:{}", c.id), label: c.name.clone() });
        for q in s.app.store.list_queues(c.id).await.map_err(|e| staff.fail(e))? {
            let queue_name = if lang == crate::i18n::Lang::En { &q.value.name_en } else { &q.value.name_da };
            let label = format!("{} – {queue_name}", c.name);
            names.push((q.value.id.as_uuid(), label.clone()));
            owners.push(OwnerOption { value: format!("queue:{}", q.value.id), label });
        }
    }
    let name_of = |id: uuid::Uuid| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone());
    let owner_label = |kind: OwnerKind, id: uuid::Uuid| match kind {
        OwnerKind::Organisation => t(lang, "staff.mail.owner_organisation").to_owned(),
        OwnerKind::User => t(lang, "staff.mail.owner_user").to_owned(),
        OwnerKind::Staff => t(lang, "staff.mail.owner_staff").to_owned(),
        _ => name_of(id).unwrap_or_default(),
    };
    let mut changes = Vec::new();
    for pending in notify::pending_changes(&s.app, &staff.p, org).await.map_err(|e| staff.fail(e))? {
        let who = s.app.store.get_user(pending.change.requested_by).await.map_err(|e| staff.fail(e))?;
        changes.push(ChangeRow {
            id: pending.change.id.to_string(),
            owner: owner_label(pending.change.owner.kind, pending.change.owner.id),
            old_address: pending.current.as_ref().map(|c| c.address.clone()).unwrap_or_default(),
            old_domain: pending.current.as_ref().map(|c| c.registrable_domain.clone()).unwrap_or_default(),
            domain_changes: pending.domain_changes(),
            new_address: pending.change.address.clone(),
            new_domain: pending.change.registrable_domain.clone(),
            requested_by: who.map(|u| u.name).unwrap_or_default(),
            when: format_local(lang, pending.change.requested_at, &zone),
            mine: pending.change.requested_by == staff.p.user,
        });
    }
    let addresses = registry
        .iter()
        .map(|a| {
            let owner = owner_label(a.owner.kind, a.owner.id);
            let state = a.state.at(s.app.clock.now());
            AddressRow {
                id: a.id.to_string(),
                owner,
                address: a.address.clone(),
                state: t(lang, &format!("staff.mail.state.{}", state.name())).to_owned(),
                verified: matches!(state, AddressState::Verified { .. }),
                expires: match state {
                    AddressState::Verified { expires_at, .. } => format_local(lang, expires_at, &zone),
                    _ => String::new(),
                },
                unacknowledged: a.unacknowledged,
                last_acknowledged: a.last_acknowledged_at.map(|t| format_local(lang, t, &zone)).unwrap_or_default(),
            }
        })
        .collect();
    let held = held
        .into_iter()
        .map(|h| HeldRow {
            id: h.id.to_string(),
            template: h.template,
            recipient: h.recipient,
            reason: t(lang, &format!("gate.reason.{}", h.reason)).to_owned(),
            blocked: h.outcome == "block",
            when: format_local(lang, h.held_at, &zone),
        })
        .collect();
    let keep = |k: &str| typed.map(|f| field(f, k).to_owned()).unwrap_or_default();
    Ok(MailPage {
        c: staff.c.clone(),
        csrf: staff.csrf().to_owned(),
        nav: nav(staff),
        current: "/staff/mail".into(),
        problem,
        notice: super::catalogue_notice(staff, "staff.mail.done"),
        held,
        addresses,
        owners,
        changes,
        typed_owner: keep("owner"),
        typed_address: keep("address"),
    }
    .into_response())
}

async fn page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    render(&s, &staff, None, None).await
}

/// A done action redirects with a notice; a refused one shows the page with the message. A
/// centre administrator (who may set and prove their centre's mailboxes but not see the
/// organisation's page) goes back to the set-up pages, or sees the message on the error page.
async fn after<T>(
    s: &AppState,
    staff: &Staff,
    done: &str,
    typed: Option<&RawForm>,
    r: Result<T, AppError>,
) -> StaffResult {
    let sees_page =
        staff.p.organisation.is_some_and(|o| staff.may(Permission::ManageOrganisation, Target::Organisation(o)));
    match r {
        Ok(_) if sees_page => Ok(Redirect::to(&format!("/staff/mail?done={done}")).into_response()),
        Ok(_) => Ok(Redirect::to("/staff/admin").into_response()),
        Err(e)
            if sees_page
                && status_of(&e).is_client_error()
                && !matches!(e, AppError::NotFound(_) | AppError::Forbidden) =>
        {
            let status = status_of(&e);
            let problem = Problem { message: message_of(&e, staff.c.lang) };
            let mut page = render(s, staff, Some(problem), typed).await?;
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(staff.fail(e)),
    }
}

fn mailbox_of(owner: &str, org: OrganisationId) -> Result<Mailbox, AppError> {
    let parse =
        |s: &str| s.parse::<uuid::Uuid>().map_err(|_| AppError::Field { field: "owner", code: "admin.invalid_choice" });
    match owner.split_once(':') {
        None if owner == "organisation" => Ok(Mailbox::Organisation(org)),
        Some(("centre", id)) => Ok(Mailbox::Centre(CentreId::from_uuid(parse(id)?))),
        Some(("queue", id)) => Ok(Mailbox::Queue(QueueId::from_uuid(parse(id)?))),
        _ => Err(AppError::Field { field: "owner", code: "admin.invalid_choice" }),
    }
}

async fn set_mailbox(State(s): State<AppState>, staff: Staff, Form(f): Form<RawForm>) -> StaffResult {
    // A caller without an organisation (the platform operator) names nothing of its own; the use
    // case then finds the mailbox outside their reach (404), as for any other organisation's.
    let org = own_or_none(&staff);
    let r = match mailbox_of(field(&f, "owner"), org) {
        Ok(mailbox) => notify::propose_mailbox(&s.app, &staff.p, mailbox, field(&f, "address")).await.map(drop),
        Err(e) => Err(e),
    };
    after(&s, &staff, "proposed", Some(&f), r).await
}

fn id_of<T>(staff: &Staff, raw: &str, make: fn(uuid::Uuid) -> T) -> Result<T, super::StaffError> {
    raw.parse().map(make).map_err(|_| staff.fail(AppError::NotFound("address")))
}

async fn request_code(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let id = id_of(&staff, &id, AddressId::from_uuid)?;
    let r = notify::request_code(&s.app, &staff.p, id).await;
    after(&s, &staff, "code_sent", None, r).await
}

async fn confirm_code(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<RawForm>,
) -> StaffResult {
    let id = id_of(&staff, &id, AddressId::from_uuid)?;
    let r = notify::confirm_code(&s.app, &staff.p, id, field(&f, "code")).await;
    after(&s, &staff, "verified", None, r).await
}

/// The caller's organisation, or (for the platform operator) one that matches nothing, so the use
/// case answers 404 as for any other organisation's message.
fn own_or_none(staff: &Staff) -> OrganisationId {
    staff.p.organisation.unwrap_or(OrganisationId::from_uuid(uuid::Uuid::nil()))
}

async fn release(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let org = own_or_none(&staff);
    let id = id_of(&staff, &id, MessageId::from_uuid)?;
    let r = notify::resolve_held(&s.app, &staff.p, org, id, true).await;
    after(&s, &staff, "released", None, r).await
}

async fn discard(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let org = own_or_none(&staff);
    let id = id_of(&staff, &id, MessageId::from_uuid)?;
    let r = notify::resolve_held(&s.app, &staff.p, org, id, false).await;
    after(&s, &staff, "discarded", None, r).await
}

async fn acknowledge(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let id = id.parse().map(MessageId::from_uuid).map_err(|_| staff.fail(AppError::NotFound("message")))?;
    match notify::acknowledge(&s.app, &staff.p, id).await.map_err(|e| staff.fail(e))? {
        notify::AckTarget::Desk(centre) => Ok(Redirect::to(&format!("/staff/centres/{centre}/desk")).into_response()),
        notify::AckTarget::Home => Ok(Redirect::to("/staff").into_response()),
    }
}

async fn approve(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let id: uuid::Uuid = id.parse().map_err(|_| staff.fail(AppError::NotFound("change")))?;
    let r = notify::decide_change(&s.app, &staff.p, id, true).await;
    after(&s, &staff, "approved", None, r).await
}

async fn reject(State(s): State<AppState>, staff: Staff, Path(id): Path<String>) -> StaffResult {
    let id: uuid::Uuid = id.parse().map_err(|_| staff.fail(AppError::NotFound("change")))?;
    let r = notify::decide_change(&s.app, &staff.p, id, false).await;
    after(&s, &staff, "rejected", None, r).await
}

struct FlowRow {
    event: &'static str,
    recipient: &'static str,
    classes: String,
    personal: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/mail_flows.html")]
struct FlowsPage {
    c: Chrome,
    csrf: String,
    nav: Vec<NavLink>,
    current: String,
    svg: String,
    rows: Vec<FlowRow>,
}

/// The data-flow map (RS-62): every path mail can take, with the data it may carry.
async fn flows_page(State(s): State<AppState>, staff: Staff) -> StaffResult {
    let org = staff.p.organisation.ok_or_else(|| staff.fail(AppError::Forbidden))?;
    if !staff.may(Permission::ManageOrganisation, Target::Organisation(org)) {
        return Err(staff.fail(AppError::Forbidden));
    }
    let lang = staff.c.lang;
    let table = crate::app::routes::route_table(&s.app, &staff.p).await.map_err(|e| staff.fail(e))?;
    let flows = crate::mail::flows::flows(&table);
    let rows = flows
        .iter()
        .map(|f| FlowRow {
            event: t(lang, &format!("mail.flows.event.{}", f.event)),
            recipient: t(lang, &format!("mail.flows.to.{}", f.recipient)),
            classes: crate::mail::flows::class_names(lang, f.classes),
            personal: f.classes.any_personal(),
        })
        .collect();
    Ok(FlowsPage {
        c: staff.c.clone(),
        csrf: staff.csrf().to_owned(),
        nav: nav(&staff),
        current: "/staff/mail".into(),
        svg: crate::mail::flows::svg(lang, &flows),
        rows,
    }
    .into_response())
}
