//! The board: one centre's queues as the lobby screen, the desks and the kiosk see them. Tickets
//! only, never names, so the same snapshot can go to a public screen. The live hub computes it
//! once per change and sends it to every listener.

use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::Serialize;
use skranke_core::ids::{CentreId, DeskId, QueueId, VisitId};
use skranke_core::visit::estimate::{QueueLoad, WaitEstimate, estimate};
use skranke_core::visit::order;
use skranke_core::visit::{Priority, Visit, VisitKind, VisitState};
use utoipa::ToSchema;

use crate::app::{App, AppError};
use crate::store::{Desk, Store};

/// How many calls the lobby lists.
pub const RECENT_CALLS: usize = 8;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Board {
    #[schema(value_type = String, format = Uuid)]
    pub centre: CentreId,
    /// Counts boards sent by this server for the centre (the SSE event id).
    pub seq: u64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub queues: Vec<BoardQueue>,
    /// The latest calls, newest first: "Y014 → Skranke 3".
    pub calls: Vec<BoardCall>,
    /// Visits at a desk (called, being served) or parked.
    pub active: Vec<BoardTicket>,
    pub desks: Vec<BoardDesk>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BoardQueue {
    #[schema(value_type = String, format = Uuid)]
    pub id: QueueId,
    pub name_da: String,
    pub name_en: String,
    pub prefix: String,
    /// In the order they will be called.
    pub waiting: Vec<BoardTicket>,
    /// Occupied desks calling from this queue.
    pub desks_open: u32,
    /// Of those, the ones with a citizen at them.
    pub desks_busy: u32,
    /// The estimated wait for a ticket drawn now; `None` when no desk serves the queue.
    pub estimate_minutes: Option<u32>,
    #[serde(skip)]
    recent: Vec<SignedDuration>,
    #[serde(skip)]
    configured: SignedDuration,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BoardTicket {
    #[schema(value_type = String, format = Uuid)]
    pub visit: VisitId,
    pub ticket: String,
    #[schema(value_type = String, format = Uuid)]
    pub queue: QueueId,
    /// `waiting`, `called`, `serving`, `parked`, `done`, `no_show` or `cancelled`.
    #[schema(value_type = String)]
    pub state: VisitState,
    /// `walk_in` or `appointment`.
    #[schema(value_type = String)]
    pub kind: VisitKind,
    /// `normal` or `assisted`.
    #[schema(value_type = String)]
    pub priority: Priority,
    #[schema(value_type = String, format = DateTime)]
    pub arrived_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub desk: Option<DeskId>,
    pub desk_name: Option<String>,
    pub version: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BoardCall {
    pub ticket: String,
    pub desk: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BoardDesk {
    #[schema(value_type = String, format = Uuid)]
    pub id: DeskId,
    pub name: String,
    pub open: bool,
    #[schema(value_type = Vec<String>)]
    pub queues: Vec<QueueId>,
}

impl Board {
    /// The visit's place in its queue (visits called before it) and its estimated wait.
    pub fn place_of(&self, visit: &Visit) -> (u32, WaitEstimate) {
        let Some(queue) = self.queues.iter().find(|q| q.id == visit.queue) else {
            return (0, WaitEstimate::NoDeskOpen);
        };
        let ahead = queue.waiting.iter().position(|t| t.visit == visit.id).unwrap_or(queue.waiting.len());
        let ahead = u32::try_from(ahead).unwrap_or(u32::MAX);
        (ahead, queue.estimate_for(ahead))
    }

    pub fn queue(&self, id: QueueId) -> Option<&BoardQueue> {
        self.queues.iter().find(|q| q.id == id)
    }
}

impl BoardQueue {
    /// The estimate for a visit with `ahead` visits before it.
    pub fn estimate_for(&self, ahead: u32) -> WaitEstimate {
        estimate(&QueueLoad {
            ahead,
            desks: self.desks_open,
            busy: self.desks_busy,
            recent: &self.recent,
            configured: self.configured,
        })
    }

    pub fn name(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Da => &self.name_da,
            crate::i18n::Lang::En => &self.name_en,
        }
    }
}

/// Used when a queue has no service to take a duration from.
const DEFAULT_SERVICE: SignedDuration = SignedDuration::from_mins(10);

impl App {
    /// Reads a centre's board as it is now (the hub calls this once per change).
    pub async fn compute_board(&self, centre: CentreId) -> Result<Board, AppError> {
        let (_, tz) = self.queue_centre(centre).await?;
        let now = self.clock.now();
        let today = tz.to_datetime(now).date();
        // Yesterday too: a ticket left waiting at midnight is still called by call-next.
        let yesterday = today.checked_sub(1.day()).unwrap_or(today);
        let rules = self.store.queue_rules(centre).await?.ok_or(AppError::NotFound("centre"))?;
        let queues = self.store.list_queues(centre).await?;
        let services = self.store.list_services(centre).await?;
        let desks = self.store.list_desks(centre).await?;
        let records = self.store.centre_visits(centre, yesterday, today).await?;

        let desk_name = |id: Option<DeskId>| -> Option<String> {
            id.and_then(|d| desks.iter().find(|x| x.id == d)).map(|d| d.name.clone())
        };
        let ticket_of = |v: &Visit| BoardTicket {
            visit: v.id,
            ticket: v.ticket.to_string(),
            queue: v.queue,
            state: v.state,
            kind: v.kind,
            priority: v.priority,
            arrived_at: v.arrived_at,
            due_at: v.due_at,
            desk: v.desk,
            desk_name: desk_name(v.desk),
            version: v.version,
        };

        let visits: Vec<&Visit> = records.iter().map(|r| &r.visit).collect();
        let mut board_queues = Vec::with_capacity(queues.len());
        for q in queues.into_iter().map(|v| v.value) {
            let mut waiting: Vec<Visit> = visits
                .iter()
                .filter(|v| v.queue == q.id && v.state == VisitState::Waiting)
                .map(|v| (*v).clone())
                .collect();
            order::sort(rules.call_order, &mut waiting, now);
            let serving: Vec<&Desk> = desks.iter().filter(|d| d.serves(q.id)).collect();
            let busy =
                serving.iter().filter(|d| visits.iter().any(|v| v.desk == Some(d.id) && v.state.at_desk())).count();
            let recent: Vec<SignedDuration> = records
                .iter()
                .filter(|r| r.day == today && r.visit.queue == q.id && r.visit.state == VisitState::Done)
                .filter_map(|r| Some(r.visit.ended_at?.duration_since(r.visit.started_at?)))
                .collect();
            let durations: Vec<SignedDuration> =
                services.iter().filter(|s| s.queue_id == q.id).map(|s| s.rules.duration()).collect();
            let configured = if durations.is_empty() {
                DEFAULT_SERVICE
            } else {
                let total: i64 = durations.iter().map(|d| d.as_secs()).sum();
                SignedDuration::from_secs(total / i64::try_from(durations.len()).unwrap_or(1))
            };
            let mut bq = BoardQueue {
                id: q.id,
                name_da: q.name_da,
                name_en: q.name_en,
                prefix: q.prefix,
                waiting: waiting.iter().map(ticket_of).collect(),
                desks_open: u32::try_from(serving.len()).unwrap_or(u32::MAX),
                desks_busy: u32::try_from(busy).unwrap_or(u32::MAX),
                estimate_minutes: None,
                recent,
                configured,
            };
            let ahead = u32::try_from(bq.waiting.len()).unwrap_or(u32::MAX);
            bq.estimate_minutes = match bq.estimate_for(ahead) {
                WaitEstimate::Minutes(m) => Some(m),
                WaitEstimate::NoDeskOpen => None,
            };
            board_queues.push(bq);
        }

        let mut called: Vec<&Visit> =
            visits.iter().copied().filter(|v| v.called_at.is_some() && v.desk.is_some()).collect();
        called.sort_by_key(|v| std::cmp::Reverse(v.called_at));
        let calls = called
            .iter()
            .take(RECENT_CALLS)
            .filter_map(|v| {
                Some(BoardCall { ticket: v.ticket.to_string(), desk: desk_name(v.desk)?, at: v.called_at? })
            })
            .collect();
        let active = visits
            .iter()
            .filter(|v| v.state.at_desk() || v.state == VisitState::Parked)
            .map(|v| ticket_of(v))
            .collect();
        let board_desks = desks
            .iter()
            .filter(|d| d.active)
            .map(|d| BoardDesk {
                id: d.id,
                name: d.name.clone(),
                open: d.occupant.is_some(),
                queues: d.occupant.as_ref().map(|o| o.queues.clone()).unwrap_or_default(),
            })
            .collect();
        Ok(Board { centre, seq: 0, at: now, queues: board_queues, calls, active, desks: board_desks })
    }
}
