//! Queue statistics for a centre's administrator: per day, queue and service, with a chart of the
//! whole centre per day. The numbers come from the core (`skranke_core::visit::stats`).

use jiff::ToSpan;
use jiff::civil::Date;
use skranke_core::access::{Permission, Target};
use skranke_core::ids::{CentreId, QueueId, ServiceId};
use skranke_core::visit::stats::{self, GroupStats, VisitFacts};

use crate::app::{App, AppError, Principal};
use crate::i18n::Lang;
use crate::store::Store;

/// The longest period one report covers (a year), so a report stays one quick query.
pub const MAX_DAYS: i32 = 366;

#[derive(Clone, Copy, Debug)]
pub struct StatsRequest {
    pub centre: CentreId,
    pub from: Date,
    pub to: Date,
}

#[derive(Clone, Debug)]
pub struct StatsReport {
    pub request: StatsRequest,
    /// Per day, queue and service.
    pub rows: Vec<GroupStats>,
    /// The whole centre per day (queue and service ignored).
    pub days: Vec<GroupStats>,
    pub queue_names: Vec<(QueueId, String, String)>,
    pub service_names: Vec<(ServiceId, String, String)>,
}

impl StatsReport {
    pub fn queue_name(&self, id: QueueId, lang: Lang) -> String {
        self.queue_names
            .iter()
            .find(|(q, _, _)| *q == id)
            .map(|(_, da, en)| if lang == Lang::Da { da.clone() } else { en.clone() })
            .unwrap_or_default()
    }

    pub fn service_name(&self, id: Option<ServiceId>, lang: Lang) -> String {
        id.and_then(|id| self.service_names.iter().find(|(s, _, _)| *s == id))
            .map(|(_, da, en)| if lang == Lang::Da { da.clone() } else { en.clone() })
            .unwrap_or_default()
    }

    /// RFC 4180 CSV of the rows, names in `lang`, with a byte-order mark so spreadsheet programs
    /// read æ, ø and å right.
    pub fn csv(&self, lang: Lang) -> String {
        let body = stats::to_csv(&self.rows, |q| self.queue_name(q, lang), |s| self.service_name(Some(s), lang));
        format!("\u{feff}{body}")
    }
}

impl App {
    pub async fn queue_stats(&self, who: &Principal, request: StatsRequest) -> Result<StatsReport, AppError> {
        let (view, _) = self.queue_centre(request.centre).await?;
        who.authorize(
            Permission::ManageCentre,
            Target::Centre { organisation: view.centre.organisation_id, centre: view.centre.id },
        )?;
        if request.to < request.from {
            return Err(AppError::QueueRefused("stats_range_reversed"));
        }
        let longest = request.from.checked_add(MAX_DAYS.days()).unwrap_or(Date::MAX);
        if request.to > longest {
            return Err(AppError::QueueRefused("stats_range_too_long"));
        }
        let records = self.store.centre_visits(request.centre, request.from, request.to).await?;
        let facts: Vec<VisitFacts> = records
            .iter()
            .map(|r| VisitFacts {
                day: r.day,
                queue: r.visit.queue,
                service: r.visit.service,
                state: r.visit.state,
                arrived_at: r.visit.arrived_at,
                called_at: r.first_called_at,
                started_at: r.visit.started_at,
                ended_at: r.visit.ended_at,
                transfers: r.visit.transfers,
            })
            .collect();
        // The centre as a whole: every visit under one queue id, no service.
        let whole = QueueId::from_uuid(uuid::Uuid::nil());
        let per_day: Vec<VisitFacts> = facts.iter().map(|f| VisitFacts { queue: whole, service: None, ..*f }).collect();
        let queues = self.store.list_queues(request.centre).await?;
        let services = self.store.list_services(request.centre).await?;
        Ok(StatsReport {
            request,
            rows: stats::group(&facts),
            days: stats::group(&per_day),
            queue_names: queues.into_iter().map(|q| (q.value.id, q.value.name_da, q.value.name_en)).collect(),
            service_names: services.into_iter().map(|s| (s.id, s.name_da, s.name_en)).collect(),
        })
    }
}
