//! Retention (issue 7, point 3): each organisation's periods (the core's defaults, overridden
//! class by class by its administrators, never below a class's minimum) and the job that applies
//! them. The job runs from the worker every hour and from `skranke retention run`; it works in
//! batches, each its own short transaction sized to take a few milliseconds ([`BatchSizer`],
//! [`crate::store::AnyStore::batch_target`]), and is idempotent: a second run at the same time
//! finds nothing more to do.

use serde_json::json;
use skranke_core::access::{Permission, Target};
use skranke_core::audit::{Actor, AuditRecord, Label};
use skranke_core::ids::OrganisationId;
use skranke_core::retention::{BatchSizer, Policy, RetentionClass, RetentionError};

use super::accounts::{action, detail, object};
use super::{App, AppError, Principal};
use crate::store::Store;

/// What one pass did in one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgReport {
    pub organisation: OrganisationId,
    pub name: String,
    /// Rows removed or anonymised, per class, in [`RetentionClass::ALL`] order.
    pub done: Vec<(RetentionClass, u64)>,
}

impl OrgReport {
    pub fn total(&self) -> u64 {
        self.done.iter().map(|(_, n)| n).sum()
    }
}

/// The organisation's policy: the defaults with its overrides. An override this version does not
/// know (written by a newer one) or no longer accepts is ignored, never applied below a minimum.
///
/// # Errors
/// Database errors.
pub async fn policy(app: &App, organisation: OrganisationId) -> Result<Policy, AppError> {
    let mut policy = Policy::default();
    for (class, days) in app.store.retention_settings(organisation).await? {
        if let Some(class) = RetentionClass::parse(&class) {
            let _ = policy.set(class, days);
        }
    }
    Ok(policy)
}

/// The catalogue code for a refused period: below a minimum names the class (each has its own
/// reason), above the maximum is one message.
fn refusal(e: RetentionError) -> AppError {
    let code = match e {
        RetentionError::BelowMinimum { class, .. } => match class {
            RetentionClass::MessageRecords => "retention_min_message_records",
            RetentionClass::AuditPayloads => "retention_min_audit_payloads",
            _ => "retention_min_one_day",
        },
        RetentionError::AboveMaximum { .. } => "retention_above_maximum",
    };
    AppError::Field { field: "days", code }
}

/// Sets one class's period for the administrator's organisation.
///
/// # Errors
/// `Forbidden` without `ManageOrganisation`; `days` refused below the class's minimum (with the
/// reason) or above ten years; an unknown class.
pub async fn set_period(app: &App, p: &Principal, class: &str, days: &str) -> Result<(), AppError> {
    let org = p.organisation.ok_or(AppError::Forbidden)?;
    p.authorize(Permission::ManageOrganisation, Target::Organisation(org))?;
    let class = RetentionClass::parse(class).ok_or(AppError::Field { field: "class", code: "retention_class" })?;
    let days: u32 = days.trim().parse().map_err(|_| AppError::Field { field: "days", code: "not_a_number" })?;
    let mut current = policy(app, org).await?;
    let old = current.days(class);
    current.set(class, days).map_err(refusal)?;
    let now = app.clock.now();
    let record = AuditRecord {
        at: now,
        organisation: Some(org),
        actor: p.actor(),
        action: action("retention.changed"),
        object: object("retention", class.as_str()),
        detail: detail(json!({ "old_days": old, "new_days": days })),
    };
    app.store.set_retention(org, class.as_str(), days, p.user, now, &[record]).await?;
    Ok(())
}

/// One pass over every organisation, at the app clock's now. Audits, per organisation, what it
/// removed (counts only), as the `retention` system actor.
///
/// # Errors
/// Database errors (what earlier batches did stays done; the next pass goes on from there).
pub async fn run(app: &App) -> Result<Vec<OrgReport>, AppError> {
    let now = app.clock.now();
    let mut reports = Vec::new();
    let mut sizer = BatchSizer::new(app.store.batch_target());
    for org in app.store.list_organisations().await? {
        let policy = policy(app, org.id).await?;
        let mut done = Vec::with_capacity(RetentionClass::ALL.len());
        for class in RetentionClass::ALL {
            let cutoff = policy.cutoff(class, now);
            let mut total = 0u64;
            loop {
                let rows = sizer.rows();
                // A duration measured for pacing, not an instant of the domain (those come
                // from `app.clock`).
                let started = std::time::Instant::now();
                let n = app.store.apply_retention(org.id, class, cutoff, rows).await?;
                total += n;
                if n < u64::from(rows) {
                    // A class's last, short batch is mostly its fixed cost: learning from it
                    // would start the next class's backlog in needlessly small batches.
                    break;
                }
                sizer.observe(n, started.elapsed());
                // Let bookings and the worker's other work in between batches.
                tokio::task::yield_now().await;
            }
            done.push((class, total));
        }
        let report = OrgReport { organisation: org.id, name: org.name.clone(), done };
        if report.total() > 0 {
            let counts: serde_json::Map<String, serde_json::Value> =
                report.done.iter().map(|(c, n)| (c.as_str().to_owned(), json!(n))).collect();
            let record = AuditRecord {
                at: now,
                organisation: Some(org.id),
                actor: Actor::System { label: Label::new("retention").map_err(|_| AppError::BadRequest("internal"))? },
                action: action("retention.applied"),
                object: object("organisation", org.id),
                detail: detail(serde_json::Value::Object(counts)),
            };
            app.store.append_audit(&[record]).await?;
        }
        reports.push(report);
    }
    Ok(reports)
}
