//! Breach scoping (issue 7, RS-50, RS-51): "who got what, when" for one address or domain, for
//! the data-protection officer's page and for `skranke breach scope`. Every run is audited.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::json;
use skranke_core::access::{Permission, Target as AccessTarget};
use skranke_core::audit::{Actor, AuditRecord, Label};
use skranke_core::breach::{self, Scope, SubjectRef, Target, Window};
use skranke_core::ids::OrganisationId;

use super::accounts::{action, detail, object};
use super::{App, AppError, Principal};
use crate::store::Store;

/// A typed field, trimmed; `None` when absent or blank.
fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// A validated scope request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequest {
    pub target: Target,
    pub window: Window,
    /// `None`: every organisation (the CLI only; the page always scopes to the DPO's own).
    pub organisation: Option<OrganisationId>,
}

/// Exactly one of an address or a domain, normalised the way the address registry stores them:
/// an address with its domain in A-label form (matched in any case), a domain reduced to its
/// registrable domain (`mail.fred.dk` scopes all of `fred.dk`).
///
/// # Errors
/// `breach_target` when neither or both are given; `breach_address` / `breach_domain` when
/// the value is not one.
pub fn parse_target(address: Option<&str>, domain: Option<&str>) -> Result<Target, AppError> {
    let field = |code| AppError::Field { field: "target", code };
    match (present(address), present(domain)) {
        (Some(a), None) => {
            let parsed = skranke_recipient::address::EmailAddress::parse(a)
                .map_err(|_| AppError::Field { field: "address", code: "breach_address" })?;
            Ok(Target::Address(parsed.to_string().to_lowercase()))
        }
        (None, Some(d)) => {
            let parsed = skranke_recipient::domain::Domain::parse(d.trim_end_matches('.'))
                .map_err(|_| AppError::Field { field: "domain", code: "breach_domain" })?;
            let registrable = parsed.registrable().unwrap_or(parsed.ascii());
            Ok(Target::Domain(registrable.to_owned()))
        }
        _ => Err(field("breach_target")),
    }
}

fn copenhagen() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC)
}

/// Which end of the window a typed instant is: a bare date means the start of that day for
/// `from` and the end of it (the next midnight) for `to`, both in Copenhagen time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    From,
    To,
}

/// Parses `2026-03-01`, `2026-03-01T10:00` (Copenhagen time) or `2026-03-01T09:00:00Z`.
///
/// # Errors
/// `breach_date`, naming the field.
pub fn parse_instant(raw: &str, end: End) -> Result<Timestamp, AppError> {
    let field = match end {
        End::From => "from",
        End::To => "to",
    };
    let bad = || AppError::Field { field, code: "breach_date" };
    let raw = raw.trim();
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t);
    }
    let tz = copenhagen();
    if let Ok(civil) = raw.parse::<jiff::civil::DateTime>()
        && raw.contains('T')
    {
        return tz.to_timestamp(civil).map_err(|_| bad());
    }
    let day: jiff::civil::Date = raw.parse().map_err(|_| bad())?;
    let day = match end {
        End::From => day,
        End::To => day.tomorrow().map_err(|_| bad())?,
    };
    tz.to_timestamp(day.to_datetime(jiff::civil::Time::midnight())).map_err(|_| bad())
}

/// Builds a request from typed fields (page or CLI).
///
/// # Errors
/// As [`parse_target`] and [`parse_instant`]; `window_reversed` when `from` is after `to`.
pub fn request(
    address: Option<&str>,
    domain: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    organisation: Option<OrganisationId>,
) -> Result<ScopeRequest, AppError> {
    let target = parse_target(address, domain)?;
    let from = present(from).map(|f| parse_instant(f, End::From)).transpose()?;
    let to = present(to).map(|t| parse_instant(t, End::To)).transpose()?;
    let window = Window::new(from, to).map_err(|e| AppError::Field { field: "from", code: e.code() })?;
    Ok(ScopeRequest { target, window, organisation })
}

/// Runs a scope for a signed-in data-protection officer, within their own organisation.
///
/// # Errors
/// `Forbidden` without `RunBreachReport` there; database errors.
pub async fn scope(app: &App, p: &Principal, mut req: ScopeRequest) -> Result<Scope, AppError> {
    let org = p.organisation.ok_or(AppError::Forbidden)?;
    p.authorize(Permission::RunBreachReport, AccessTarget::Organisation(org))?;
    req.organisation = Some(org);
    run(app, p.actor(), &req, "page").await
}

/// Runs a scope from the command line: whoever can run `skranke` against the database can read
/// it anyway; the run is audited as the `cli` system actor.
///
/// # Errors
/// Database errors.
pub async fn scope_from_cli(app: &App, req: &ScopeRequest) -> Result<Scope, AppError> {
    let actor = Actor::System { label: Label::new("cli").map_err(|_| AppError::BadRequest("internal"))? };
    run(app, actor, req, "cli").await
}

async fn run(app: &App, actor: Actor, req: &ScopeRequest, via: &str) -> Result<Scope, AppError> {
    // An address is also found through its pseudonym (one per organisation) on messages whose
    // address retention has blanked (issue 7, point 4).
    let mut pseudonyms = Vec::new();
    if let Target::Address(address) = &req.target {
        let organisations = match req.organisation {
            Some(org) => vec![org],
            None => app.store.list_organisations().await?.into_iter().map(|o| o.id).collect(),
        };
        for org in organisations {
            pseudonyms.push(app.address_pseudonym(Some(org), address).await?);
        }
    }
    let mut rows = app.store.breach_scope_rows(&req.target, req.window, req.organisation, &pseudonyms).await?;
    let named = name_blanked_recipients(app, &mut rows).await?;
    let mut subjects: Vec<SubjectRef> = rows.iter().filter_map(|r| r.subject).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let held: std::collections::HashMap<SubjectRef, breach::SubjectInfo> =
        app.store.subject_info(&subjects).await?.into_iter().collect();
    let scope = breach::aggregate(rows, |s| {
        let mut info = held.get(s).cloned();
        // A booking whose citizen retention has made anonymous can still be told through the
        // address the audit's mapping names.
        if let (Some(info), Some(address)) = (info.as_mut(), named.get(s))
            && info.email.is_none()
        {
            info.email = Some(address.clone());
        }
        info
    });
    // The run itself is personal-data processing: who looked, for what, and how much they saw.
    // Counts only; the subjects' names stay out of the log, and an address target is named by
    // its pseudonym (an entry's object stays as long as the chain), which the audit page
    // resolves while the mapping is kept.
    let (target, mapping) = match &req.target {
        Target::Address(address) => {
            let kind = super::pseudonym::Kind::BreachTarget;
            let pseudonym = app.pseudonym(kind, req.organisation, address).await?;
            let mapping = crate::store::PseudonymUse {
                pseudonym: pseudonym.clone(),
                organisation: req.organisation,
                kind: kind.as_str(),
                value: address.clone(),
                at: app.clock.now(),
            };
            (pseudonym, vec![mapping])
        }
        Target::Domain(domain) => (domain.clone(), Vec::new()),
    };
    let record = AuditRecord {
        at: app.clock.now(),
        organisation: req.organisation,
        actor,
        action: action("breach.scope"),
        object: object(req.target.kind(), &target),
        detail: detail(json!({
            "via": via,
            "from": req.window.from().map(|t| t.to_string()),
            "to": req.window.to().map(|t| t.to_string()),
            "messages": scope.messages,
            "subjects": scope.subjects.len(),
            "classes": scope.classes.to_names(),
        })),
    };
    app.store.append_audit_naming(&[record], &mapping).await?;
    Ok(scope)
}

/// Replaces each blanked recipient (`@domain`) whose pseudonym the audit still maps with the
/// address it stands for, and returns those addresses by the booking they were about.
async fn name_blanked_recipients(
    app: &App,
    rows: &mut [breach::ScopeRow],
) -> Result<std::collections::HashMap<SubjectRef, String>, AppError> {
    let blanked = |r: &breach::ScopeRow| r.recipient.starts_with('@');
    let mut wanted: Vec<String> = rows.iter().filter(|r| blanked(r)).filter_map(|r| r.pseudonym.clone()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let known = app.store.resolve_pseudonyms(&wanted).await?;
    let mut named = std::collections::HashMap::new();
    for row in rows.iter_mut().filter(|r| blanked(r)) {
        let Some(address) = row.pseudonym.as_ref().and_then(|p| known.get(p)) else { continue };
        row.recipient.clone_from(address);
        if let Some(subject @ SubjectRef::Appointment(_)) = row.subject {
            named.insert(subject, address.clone());
        }
    }
    Ok(named)
}

/// The sender and contact point of the drafts: the organisation's name and its active
/// data-protection officers. Without an organisation (a CLI run across all of them) both are
/// left for a person to fill in.
///
/// # Errors
/// Database errors.
pub async fn draft_context(app: &App, req: &ScopeRequest) -> Result<crate::breach_docs::Context, AppError> {
    let (mut organisation, mut contacts) = (String::from("[UDFYLDES: den dataansvarlige]"), Vec::new());
    if let Some(org) = req.organisation {
        if let Some(o) = app.store.get_organisation(org).await? {
            organisation = o.value.name;
        }
        for u in app.store.list_users(org).await? {
            let dpo = u.grants.iter().any(|g| g.role() == skranke_core::access::Role::DataProtectionOfficer);
            if dpo && u.user.disabled_at.is_none() {
                contacts.push(format!("{} <{}>", u.user.name, u.user.email));
            }
        }
    }
    Ok(crate::breach_docs::Context {
        organisation,
        contacts,
        generated_at: app.clock.now(),
        target: req.target.clone(),
        window: req.window,
    })
}

/// An organisation named on the command line by id or by exact name.
///
/// # Errors
/// `NotFound("organisation")`; database errors.
pub async fn find_organisation(app: &App, id_or_name: &str) -> Result<OrganisationId, AppError> {
    let wanted = id_or_name.trim();
    let all = app.store.list_organisations().await?;
    all.iter()
        .find(|o| o.id.to_string() == wanted || o.name == wanted)
        .map(|o| o.id)
        .ok_or(AppError::NotFound("organisation"))
}

// ---------------------------------------------------------------------------------------------
// Breach cases (issue 7, point 2)
// ---------------------------------------------------------------------------------------------

use skranke_core::breach::case::{self as case_rules, CaseError, Countdown, Decision, Opening};
use skranke_core::ids::UserId;

use crate::store::{BreachCase, CaseEntry, EntryKind};

fn case_error(field: &'static str, e: CaseError) -> AppError {
    match e {
        CaseError::Text(error) => AppError::Invalid { field, error },
        other => AppError::Field { field, code: other.code() },
    }
}

/// The organisation whose cases `p` may keep.
fn case_keeper(p: &Principal) -> Result<OrganisationId, AppError> {
    let org = p.organisation.ok_or(AppError::Forbidden)?;
    p.authorize(Permission::ManageBreaches, AccessTarget::Organisation(org))?;
    Ok(org)
}

/// A case of `p`'s organisation; another organisation's does not exist (404 whatever the role,
/// so its existence is not revealed), and in one's own organisation the role decides (403).
async fn own_case(app: &App, p: &Principal, id: uuid::Uuid) -> Result<(BreachCase, Vec<CaseEntry>), AppError> {
    match app.store.get_breach_case(id).await? {
        Some((case, entries)) if p.organisation == Some(case.organisation) => {
            p.authorize(Permission::ManageBreaches, AccessTarget::Organisation(case.organisation))?;
            Ok((case, entries))
        }
        _ => Err(AppError::NotFound("breach_case")),
    }
}

fn case_audit(
    app: &App,
    p: &Principal,
    org: OrganisationId,
    name: &str,
    id: uuid::Uuid,
    d: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        at: app.clock.now(),
        organisation: Some(org),
        actor: p.actor(),
        action: action(name),
        object: object("breach_case", id),
        detail: detail(d),
    }
}

/// Opens a case. `aware_at` is when the organisation became aware: a local time
/// (`2026-03-01T09:30`), a date, or an RFC 3339 instant; the 72-hour deadline runs from it.
///
/// # Errors
/// `Forbidden` without `ManageBreaches`; the field errors of the title and the time.
pub async fn open_case(app: &App, p: &Principal, title: &str, aware_at: &str) -> Result<uuid::Uuid, AppError> {
    let org = case_keeper(p)?;
    let now = app.clock.now();
    let aware = present(Some(aware_at)).ok_or(AppError::Field { field: "aware_at", code: "missing_value" })?;
    let aware =
        parse_instant(aware, End::From).map_err(|_| AppError::Field { field: "aware_at", code: "breach_date" })?;
    let opening = Opening::new(title, aware, now).map_err(|e| {
        let field = if matches!(e, CaseError::AwareInFuture) { "aware_at" } else { "title" };
        case_error(field, e)
    })?;
    let id = uuid::Uuid::new_v4();
    let case = BreachCase {
        id,
        organisation: org,
        title: opening.title,
        aware_at: opening.aware_at,
        opened_by: p.user,
        opened_at: now,
        decision: None,
        decision_text: None,
        decided_by: None,
        decided_at: None,
    };
    let audit = case_audit(
        app,
        p,
        org,
        "breach_case.opened",
        id,
        json!({ "aware_at": opening.aware_at.to_string(), "deadline": case_rules::deadline(opening.aware_at).to_string() }),
    );
    app.store.create_breach_case(&case, &[audit]).await?;
    Ok(id)
}

/// The organisation's cases, most recent awareness first.
///
/// # Errors
/// `Forbidden` without `ManageBreaches`.
pub async fn list_cases(app: &App, p: &Principal) -> Result<Vec<BreachCase>, AppError> {
    let org = case_keeper(p)?;
    Ok(app.store.list_breach_cases(org).await?)
}

/// One case with its entries.
///
/// # Errors
/// `Forbidden`; `NotFound` for an unknown case or another organisation's.
pub async fn get_case(app: &App, p: &Principal, id: uuid::Uuid) -> Result<(BreachCase, Vec<CaseEntry>), AppError> {
    own_case(app, p, id).await
}

/// The countdown of a case now.
pub fn countdown_of(app: &App, case: &BreachCase) -> Countdown {
    case_rules::countdown(case.aware_at, case.decision.is_some(), app.clock.now())
}

/// Adds a phased update (Art. 33(4)) or note. The text stays in the case; the audit entry says
/// that an update was added, not what it says.
///
/// # Errors
/// `Forbidden`; `NotFound`; the text's field error.
pub async fn add_update(app: &App, p: &Principal, id: uuid::Uuid, text: &str) -> Result<(), AppError> {
    let (case, _) = own_case(app, p, id).await?;
    let text =
        case_rules::clean_text(text, case_rules::TEXT_MAX).map_err(|e| case_error("update", CaseError::Text(e)))?;
    let entry = CaseEntry {
        id: uuid::Uuid::new_v4(),
        case_id: id,
        at: app.clock.now(),
        by: Some(p.user),
        by_label: p.name.to_string(),
        kind: EntryKind::Update,
        body: text,
    };
    let audit =
        case_audit(app, p, case.organisation, "breach_case.updated", id, json!({ "entry": entry.id.to_string() }));
    app.store.add_breach_case_entry(&entry, &[audit]).await?;
    Ok(())
}

/// Records the decision: `notified` (with the authority's reference, optional) or
/// `not_notifiable` (with the reasoning Art. 33(5) requires). Once only.
///
/// # Errors
/// `Forbidden`; `NotFound`; `breach_decided` when decided already; the fields' errors.
pub async fn decide(app: &App, p: &Principal, id: uuid::Uuid, kind: &str, text: &str) -> Result<(), AppError> {
    let (case, _) = own_case(app, p, id).await?;
    let decision = match kind {
        "notified" => Decision::notified(text).map_err(|e| case_error("reference", e))?,
        "not_notifiable" => Decision::not_notifiable(text).map_err(|e| case_error("reasoning", e))?,
        _ => return Err(AppError::Field { field: "decision", code: "breach_decision" }),
    };
    case_rules::may_decide(case.decision.is_some()).map_err(|e| case_error("decision", e))?;
    let text = match &decision {
        Decision::Notified { reference } => reference.clone(),
        Decision::NotNotifiable { reasoning } => Some(reasoning.clone()),
    };
    let now = app.clock.now();
    let late = now > case_rules::deadline(case.aware_at);
    let audit = case_audit(
        app,
        p,
        case.organisation,
        "breach_case.decided",
        id,
        json!({ "decision": decision.kind(), "after_deadline": late }),
    );
    if app.store.decide_breach_case(id, decision.kind(), text.as_deref(), p.user, now, &[audit]).await? {
        Ok(())
    } else {
        Err(case_error("decision", CaseError::AlreadyDecided))
    }
}

/// Runs a scope for a case and records the run in the case (target, window, counts; no names).
///
/// # Errors
/// As [`scope`]; `NotFound` for an unknown case.
pub async fn scope_for_case(app: &App, p: &Principal, id: uuid::Uuid, req: ScopeRequest) -> Result<Scope, AppError> {
    let (case, _) = own_case(app, p, id).await?;
    let mut body = json!({
        "target_kind": req.target.kind(),
        "target": req.target.value(),
        "from": req.window.from().map(|t| t.to_string()),
        "to": req.window.to().map(|t| t.to_string()),
    });
    let scope = scope(app, p, req).await?;
    body["messages"] = json!(scope.messages);
    body["subjects"] = json!(scope.subjects.len());
    let entry = CaseEntry {
        id: uuid::Uuid::new_v4(),
        case_id: id,
        at: app.clock.now(),
        by: Some(p.user),
        by_label: p.name.to_string(),
        kind: EntryKind::Scope,
        body: body.to_string(),
    };
    let audit =
        case_audit(app, p, case.organisation, "breach_case.scoped", id, json!({ "entry": entry.id.to_string() }));
    app.store.add_breach_case_entry(&entry, &[audit]).await?;
    Ok(scope)
}

/// A user's name for the case page (who opened or decided); the id when the user is gone.
pub async fn user_label(app: &App, id: UserId) -> String {
    match app.store.get_user(id).await {
        Ok(Some(u)) => u.name,
        _ => id.to_string(),
    }
}
