//! Queue use cases: tickets and check-in at the kiosk, desks, call-next and the steps of a visit.
//! The core decides every step (`skranke_core::visit::apply`); these functions check who may do
//! it, load what the core needs, write the result in one transaction and tell the live hub.

mod board;
mod stats;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use skranke_core::access::{Permission, Target};
use skranke_core::booking::AppointmentStatus;
use skranke_core::ids::{CentreId, DeskId, OrganisationId, QueueId, ServiceId, VisitId};
use skranke_core::reference::BookingReference;
use skranke_core::visit::estimate::WaitEstimate;
use skranke_core::visit::{self, Arrival, Priority, Step, StepError, StepKind, Visit, VisitKind};

use super::{App, AppError, Principal, random_bytes};
use crate::store::{AdminObject, CentreView, Desk, DeskContext, DomainEvent, Occupancy, Queue, Store, StoreError};

pub use board::{Board, BoardCall, BoardDesk, BoardQueue, BoardTicket};
pub use stats::{StatsReport, StatsRequest};

/// A ticket just issued, with what the kiosk prints on it.
#[derive(Clone, Debug)]
pub struct Ticket {
    pub visit: Visit,
    pub queue: Queue,
    pub estimate: WaitEstimate,
    /// Visits that will be called before this one (at the moment it was issued).
    pub ahead: u32,
}

/// What a person does to a visit from the desk page or the API.
#[derive(Clone, Debug)]
pub enum Action {
    /// Call this visit (from the list) to the caller's desk.
    Call,
    /// Announce it again, or bring it back from parked, to the caller's desk.
    Recall,
    Start,
    Complete,
    NoShow,
    Park,
    Cancel,
    SetPriority(Priority),
    Transfer {
        to_queue: QueueId,
        reason: Option<String>,
    },
}

/// A centre's place in the organisation, for the access check.
fn centre_target(view: &CentreView) -> Target {
    Target::Centre { organisation: view.centre.organisation_id, centre: view.centre.id }
}

fn step_refused(e: StepError) -> AppError {
    match e {
        StepError::Ended => AppError::QueueConflict("visit_ended"),
        StepError::AlreadyCalled => AppError::QueueConflict("visit_already_called"),
        StepError::NotWaiting => AppError::QueueConflict("visit_not_waiting"),
        StepError::NotCalled => AppError::QueueConflict("visit_not_called"),
        StepError::OtherDesk => AppError::QueueConflict("visit_other_desk"),
        StepError::SameQueue => AppError::QueueConflict("visit_same_queue"),
        StepError::BadReason => AppError::QueueRefused("visit_bad_reason"),
    }
}

/// Store conflicts while a desk takes a citizen: the desk already has one.
fn desk_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => AppError::QueueConflict("desk_busy"),
        other => other.into(),
    }
}

impl App {
    /// The centre and its time zone, or `NotFound`.
    pub(crate) async fn queue_centre(&self, centre: CentreId) -> Result<(CentreView, TimeZone), AppError> {
        let view = self.store.get_centre(centre).await?.ok_or(AppError::NotFound("centre"))?;
        let tz = TimeZone::get(&view.timezone).map_err(|_| AppError::NotFound("centre"))?;
        Ok((view, tz))
    }

    /// Whether the centre is open at `now`: within today's opening hours, not on a closed day and
    /// not in an announced closure.
    async fn is_open(&self, view: &CentreView, tz: &TimeZone, now: Timestamp) -> Result<bool, AppError> {
        let today = tz.to_datetime(now).date();
        let centre = &view.centre;
        if centre.closed_days.is_closed(today) {
            return Ok(false);
        }
        if !centre.opening_hours.intervals_on(today, tz).iter().any(|i| i.contains_instant(now)) {
            return Ok(false);
        }
        let closures = self.store.list_closures(centre.id, now).await?;
        Ok(!closures.iter().any(|c| c.when.contains_instant(now)))
    }

    /// A walk-in ticket for `service` (kiosk or reception).
    pub async fn take_ticket(&self, who: &Principal, centre: CentreId, service: ServiceId) -> Result<Ticket, AppError> {
        let entry = self.store.get_service_entry(service).await?.ok_or(AppError::NotFound("service"))?;
        let service = entry.value.service;
        if service.centre_id != centre {
            return Err(AppError::NotFound("service"));
        }
        let (view, tz) = self.queue_centre(service.centre_id).await?;
        who.authorize(Permission::OperateKiosk, centre_target(&view))?;
        if !entry.value.active {
            return Err(AppError::QueueRefused("service_inactive"));
        }
        let now = self.clock.now();
        if !self.is_open(&view, &tz, now).await? {
            return Err(AppError::QueueRefused("centre_closed"));
        }
        let arrival = Arrival {
            id: VisitId::from_uuid(uuid::Uuid::from_bytes(random_bytes())),
            centre: view.centre.id,
            queue: service.queue_id,
            service: Some(service.id),
            appointment: None,
            kind: VisitKind::WalkIn,
            priority: Priority::Normal,
            at: now,
            due_at: None,
            day: tz.to_datetime(now).date(),
        };
        self.issue(who, arrival).await
    }

    /// Check-in for a booked appointment by its reference: confirmed, at this centre, today.
    pub async fn check_in(&self, who: &Principal, centre: CentreId, reference: &str) -> Result<Ticket, AppError> {
        let (view, tz) = self.queue_centre(centre).await?;
        who.authorize(Permission::OperateKiosk, centre_target(&view))?;
        let reference =
            BookingReference::parse(reference.trim()).map_err(|_| AppError::QueueRefused("reference_invalid"))?;
        let now = self.clock.now();
        // Unknown references and other centres' answer alike, so the kiosk is no oracle for
        // which references exist elsewhere.
        let appointment = self
            .store
            .appointment_by_reference(reference.as_str())
            .await?
            .ok_or(AppError::QueueRefused("reference_unknown"))?;
        if appointment.centre_id != centre {
            return Err(AppError::QueueRefused("reference_other_centre"));
        }
        if appointment.status_at(now) != AppointmentStatus::Confirmed {
            return Err(AppError::QueueRefused("booking_not_confirmed"));
        }
        let today = tz.to_datetime(now).date();
        if tz.to_datetime(appointment.slot.start()).date() != today {
            return Err(AppError::QueueRefused("reference_other_day"));
        }
        let service = self.store.get_service(appointment.service_id).await?.ok_or(AppError::NotFound("service"))?;
        let arrival = Arrival {
            id: VisitId::from_uuid(uuid::Uuid::from_bytes(random_bytes())),
            centre,
            queue: service.queue_id,
            service: Some(service.id),
            appointment: Some(appointment.id),
            kind: VisitKind::Appointment,
            priority: Priority::Normal,
            at: now,
            due_at: Some(appointment.slot.start()),
            day: today,
        };
        self.issue(who, arrival).await.map_err(|e| match e {
            AppError::Internal(StoreError::Duplicate(_)) => AppError::QueueConflict("already_checked_in"),
            other => other,
        })
    }

    async fn issue(&self, who: &Principal, arrival: Arrival) -> Result<Ticket, AppError> {
        let queues = self.store.list_queues(arrival.centre).await?;
        let queue =
            queues.into_iter().map(|v| v.value).find(|q| q.id == arrival.queue).ok_or(AppError::NotFound("queue"))?;
        // A duplicate (an appointment checked in twice) arrives as `Internal(Duplicate)`, which
        // `check_in` names.
        let visit = self.store.issue_ticket(&arrival, &queue.prefix, Some(who.user)).await?;
        self.queue_changed(&[visit.centre]).await;
        let board = self.compute_board(visit.centre).await?;
        let (ahead, estimate) = board.place_of(&visit);
        Ok(Ticket { visit, queue, estimate, ahead })
    }

    /// The desks of a centre, for the desk picker.
    pub async fn desks(&self, who: &Principal, centre: CentreId) -> Result<Vec<Desk>, AppError> {
        let (view, _) = self.queue_centre(centre).await?;
        who.authorize(Permission::ViewQueue, centre_target(&view))?;
        Ok(self.store.list_desks(centre).await?)
    }

    /// Seats the caller at `desk`, calling from `queues` (all of the centre's when empty).
    pub async fn open_desk(&self, who: &Principal, desk: DeskId, queues: &[QueueId]) -> Result<Desk, AppError> {
        let found = self.store.get_desk(desk).await?.ok_or(AppError::NotFound("desk"))?;
        let (view, _) = self.queue_centre(found.centre).await?;
        who.authorize(Permission::ServeCitizens, centre_target(&view))?;
        if !found.active {
            return Err(AppError::QueueRefused("desk_inactive"));
        }
        let own: Vec<QueueId> = self.store.list_queues(found.centre).await?.into_iter().map(|q| q.value.id).collect();
        let mut chosen: Vec<QueueId> = if queues.is_empty() { own.clone() } else { queues.to_vec() };
        chosen.sort();
        chosen.dedup();
        if chosen.is_empty() {
            return Err(AppError::QueueRefused("no_queues"));
        }
        if chosen.iter().any(|q| !own.contains(q)) {
            return Err(AppError::QueueRefused("queue_other_centre"));
        }
        let occupancy = Occupancy { user: who.user, queues: chosen, since: self.clock.now() };
        self.store.occupy_desk(desk, &occupancy).await?;
        self.queue_changed(&[found.centre]).await;
        Ok(Desk { occupant: Some(occupancy), ..found })
    }

    /// Closes the caller's desk. Citizens still at it stay there until finished.
    pub async fn leave_desk(&self, who: &Principal, desk: DeskId) -> Result<(), AppError> {
        let found = self.store.get_desk(desk).await?.ok_or(AppError::NotFound("desk"))?;
        let (view, _) = self.queue_centre(found.centre).await?;
        who.authorize(Permission::ServeCitizens, centre_target(&view))?;
        if !self.store.leave_desk(desk, who.user).await? {
            return Err(AppError::QueueConflict("desk_not_yours"));
        }
        self.queue_changed(&[found.centre]).await;
        Ok(())
    }

    /// The desk the caller sits at, checked: it must be theirs. One read (desk, organisation,
    /// call order): this is call-next's hot path.
    async fn own_desk(&self, who: &Principal, desk: DeskId) -> Result<(DeskContext, Occupancy), AppError> {
        let ctx = self.store.desk_context(desk).await?.ok_or(AppError::NotFound("desk"))?;
        who.authorize(
            Permission::ServeCitizens,
            Target::Centre { organisation: ctx.organisation, centre: ctx.desk.centre },
        )?;
        match ctx.desk.occupant.clone() {
            Some(o) if o.user == who.user => Ok((ctx, o)),
            Some(_) => Err(AppError::QueueConflict("desk_not_yours")),
            None => Err(AppError::QueueConflict("desk_closed")),
        }
    }

    /// Calls the next citizen to `desk` from the desk's queues, by the centre's call order.
    pub async fn call_next(&self, who: &Principal, desk: DeskId) -> Result<Visit, AppError> {
        let (ctx, occupancy) = self.own_desk(who, desk).await?;
        let called = self
            .store
            .call_next(ctx.desk.id, &occupancy.queues, ctx.call_order, self.clock.now(), Some(who.user))
            .await
            .map_err(desk_conflict)?;
        let visit = called.ok_or(AppError::QueueConflict("queue_empty"))?;
        self.queue_changed(&[visit.centre]).await;
        self.acknowledge_visit_notices(who, visit.id);
        Ok(visit)
    }

    /// Acting on a visit acknowledges the staff notifications about it (RS-40). In the
    /// background: the desk's answer does not wait for it, and a failure only leaves the
    /// notification unacknowledged (the silence alarm then errs on the side of telling).
    fn acknowledge_visit_notices(&self, who: &Principal, visit: VisitId) {
        let app = self.clone();
        let user = who.user;
        let (actor, organisation) = (who.actor(), who.organisation);
        tokio::spawn(async move {
            let subject = format!("visit:{visit}");
            let now = app.clock.now();
            // RS-50: who acknowledged which notices, and how (acting on the visit, not the link).
            let audit = skranke_core::audit::Detail::new(
                serde_json::json!({ "subject": subject, "via": "visit_step" }),
            )
            .map(|detail| skranke_core::audit::AuditRecord {
                at: now,
                organisation,
                actor,
                action: super::accounts::action("mail.acknowledged"),
                object: super::accounts::object("visit", visit),
                detail,
            });
            let audit: Vec<_> = audit.into_iter().collect();
            if let Err(e) = app.store.acknowledge_subject(&subject, user, now, &audit).await {
                tracing::warn!(error = %e, "acknowledging notifications about a visit failed");
            }
        });
    }

    /// A visit, if the caller may see its centre's queues.
    pub async fn visit(&self, who: &Principal, id: VisitId) -> Result<Visit, AppError> {
        let visit = self.store.get_visit(id).await?.ok_or(AppError::NotFound("visit"))?;
        let (view, _) = self.queue_centre(visit.centre).await?;
        who.authorize(Permission::ViewQueue, centre_target(&view))?;
        Ok(visit)
    }

    /// A visit with its steps, oldest first.
    pub async fn visit_history(
        &self,
        who: &Principal,
        id: VisitId,
    ) -> Result<(Visit, Vec<visit::HistoryEntry>), AppError> {
        let visit = self.visit(who, id).await?;
        let history = self.store.visit_history(id).await?;
        Ok((visit, history))
    }

    /// One step on a visit. `desk` is the caller's desk, needed to call or recall to it;
    /// `expected_version` (when given) refuses the step if the visit changed since the caller
    /// looked at it.
    pub async fn visit_step(
        &self,
        who: &Principal,
        id: VisitId,
        action: Action,
        desk: Option<DeskId>,
        expected_version: Option<i64>,
    ) -> Result<Visit, AppError> {
        let visit = self.store.get_visit(id).await?.ok_or(AppError::NotFound("visit"))?;
        let (view, _) = self.queue_centre(visit.centre).await?;
        who.authorize(Permission::ServeCitizens, centre_target(&view))?;
        if expected_version.is_some_and(|v| v != visit.version) {
            return Err(AppError::Stale);
        }
        let at_desk = |desk: Option<DeskId>| desk.ok_or(AppError::QueueRefused("desk_required"));
        let step = match action {
            Action::Call | Action::Recall => {
                let desk = match (desk, visit.desk) {
                    (Some(d), _) => d,
                    // Recalling a called visit announces it again at its own desk.
                    (None, Some(d)) if visit.state.at_desk() => d,
                    (None, _) => at_desk(None)?,
                };
                let (ctx, _) = self.own_desk(who, desk).await?;
                if ctx.desk.centre != visit.centre {
                    return Err(AppError::QueueRefused("desk_other_centre"));
                }
                let desk = ctx.desk.id;
                if matches!(action, Action::Call) { Step::Call { desk } } else { Step::Recall { desk } }
            }
            Action::Start => Step::Start,
            Action::Complete => Step::Complete,
            Action::NoShow => Step::NoShow,
            Action::Park => Step::Park,
            Action::Cancel => Step::Cancel,
            Action::SetPriority(p) => Step::SetPriority(p),
            Action::Transfer { to_queue, reason } => {
                let to_centre = self.transfer_target(view.centre.organisation_id, to_queue).await?;
                let rules = self.store.queue_rules(to_centre).await?.ok_or(AppError::NotFound("centre"))?;
                let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
                Step::Transfer { to_queue, to_centre, placement: rules.placement(to_queue), reason }
            }
        };
        let now = self.clock.now();
        let (after, entry) = visit::apply(&visit, &step, now, Some(who.user)).map_err(step_refused)?;
        let event = match entry.kind {
            StepKind::Transferred => Some(transfer_event(&visit, &after, &entry)),
            StepKind::NoShow => Some(no_show_event(&after, &entry)),
            _ => None,
        };
        let saved =
            self.store.record_visit_step(&after, visit.version, &entry, event.as_ref()).await.map_err(|e| match e {
                // The visit moved on since it was read (another desk, another tab).
                StoreError::Conflict if after.state.at_desk() && visit.state != after.state => {
                    AppError::QueueConflict("desk_busy")
                }
                StoreError::Conflict => AppError::Stale,
                other => other.into(),
            })?;
        let mut centres = vec![visit.centre];
        if saved.centre != visit.centre {
            centres.push(saved.centre);
        }
        self.queue_changed(&centres).await;
        self.acknowledge_visit_notices(who, saved.id);
        Ok(saved)
    }

    /// The centre of the queue a visit moves to: any centre of the same organisation. Serving
    /// at the visit's own centre is what the caller needs: a receptionist sends a citizen on to
    /// the benefits centre without working there.
    async fn transfer_target(&self, organisation: OrganisationId, to_queue: QueueId) -> Result<CentreId, AppError> {
        let centre = self
            .store
            .centre_of(AdminObject::Queue, to_queue.as_uuid())
            .await?
            .ok_or(AppError::QueueRefused("queue_unknown"))?;
        let (view, _) = self.queue_centre(centre).await?;
        if view.centre.organisation_id != organisation {
            return Err(AppError::QueueRefused("queue_unknown"));
        }
        Ok(centre)
    }
}

/// The domain event of a transfer: ids only (no names, no topic, not the free-text reason, which
/// may hold personal data); the notification issue routes it.
fn transfer_event(before: &Visit, after: &Visit, entry: &visit::HistoryEntry) -> DomainEvent {
    DomainEvent {
        at: entry.at,
        kind: "visit.transferred".to_owned(),
        centre: before.centre,
        payload: serde_json::json!({
            "visit": after.id,
            "ticket": after.ticket.to_string(),
            "from_queue": before.queue,
            "to_queue": after.queue,
            "from_centre": before.centre,
            "to_centre": after.centre,
            "appointment": after.appointment,
            "with_reason": entry.reason.is_some(),
        }),
    }
}

/// The domain event of a no-show: ids only; the router tells whoever the routes name.
fn no_show_event(after: &Visit, entry: &visit::HistoryEntry) -> DomainEvent {
    DomainEvent {
        at: entry.at,
        kind: "visit.no_show".to_owned(),
        centre: after.centre,
        payload: serde_json::json!({
            "visit": after.id,
            "queue": after.queue,
            "centre": after.centre,
            "appointment": after.appointment,
        }),
    }
}
