//! Fixtures for benchmarks: a centre of the size issue #2 measures (40 staff, 20 services,
//! 2,000 booked appointments), built through the same use cases citizens use.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use skranke_core::availability::local_today;
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::{CentreId, OrganisationId, QueueId, ServiceId, StaffId};
use skranke_core::service::{Sensitivity, ServiceRules};

use crate::app::booking::BookingRequest;
use crate::app::{App, AppError, random_bytes};
use crate::i18n::Lang;
use crate::store::{Centre, Organisation, Queue, Service, StaffMember, Store, StoreError};

#[derive(Debug)]
pub struct LargeCentre {
    pub centre: CentreId,
    pub services: Vec<ServiceId>,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// One organisation, one centre open 08:00–16:00 on weekdays, `services` services (20 min + 5
/// buffer, capacity 4, horizon 60 days) and `staff` staff, each qualified for every service.
pub async fn seed_centre(
    store: &impl Store,
    services: usize,
    staff: usize,
    capacity: u16,
) -> Result<LargeCentre, StoreError> {
    let org = Organisation {
        id: OrganisationId::from_random_bytes(random_bytes()),
        name: "Belastning Kommune".into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec!["load.example.org".into()],
    };
    store.create_organisation(&org).await?;
    let day = WeeklyHours::weekdays(&[TimeRange::parse("08:00-16:00").map_err(corrupt)?]).map_err(corrupt)?;
    let centre = Centre {
        id: CentreId::from_random_bytes(random_bytes()),
        organisation_id: org.id,
        name: "Borgerservice Belastning".into(),
        address: "Lastvej 1".into(),
        opening_hours: day.clone(),
        closed_days: ClosedDays::default(),
    };
    store.create_centre(&centre).await?;
    let queue = Queue {
        id: QueueId::from_random_bytes(random_bytes()),
        centre_id: centre.id,
        name_da: "Kø".into(),
        name_en: "Queue".into(),
        prefix: "L".into(),
    };
    store.create_queue(&queue).await?;
    let mut ids = Vec::new();
    for i in 0..services {
        let s = Service {
            id: ServiceId::from_random_bytes(random_bytes()),
            centre_id: centre.id,
            queue_id: queue.id,
            name_da: format!("Ydelse {i}"),
            name_en: format!("Service {i}"),
            rules: ServiceRules::new(20, 5, capacity, 0, 60, true).map_err(corrupt)?,
            sensitivity: Sensitivity::Normal,
        };
        store.create_service(&s).await?;
        ids.push(s.id);
    }
    for i in 0..staff {
        store
            .create_staff(&StaffMember {
                id: StaffId::from_random_bytes(random_bytes()),
                centre_id: centre.id,
                name: format!("Medarbejder {i}"),
                schedule: day.clone(),
                services: ids.clone(),
            })
            .await?;
    }
    Ok(LargeCentre { centre: centre.id, services: ids })
}

/// Books `count` appointments spread over the services and the next 30 days, through
/// `App::book`. Returns how many were made (slots that filled up are skipped).
pub async fn book_spread(app: &App, centre: &LargeCentre, count: usize) -> Result<usize, AppError> {
    let tz = TimeZone::get("Europe/Copenhagen").map_err(|_| AppError::NotFound("timezone"))?;
    let today: Date = local_today(app.clock.now(), &tz);
    let to = today.checked_add(jiff::Span::new().days(29)).unwrap_or(today);
    let mut slots: Vec<(ServiceId, Timestamp)> = Vec::new();
    for s in &centre.services {
        let a = app.availability(*s, today, to).await?;
        slots.extend(a.slots.iter().map(|sl| (*s, sl.interval.start())));
    }
    let mut made = 0;
    // Deterministic spread: step through the candidate list with a stride coprime to its length.
    let n = slots.len().max(1);
    let stride = (0..).map(|k| 7919 + k).find(|s| gcd(*s, n) == 1).unwrap_or(1);
    for i in 0..n {
        if made == count {
            break;
        }
        let (service, start) = slots[(i * stride) % n];
        let req = BookingRequest {
            service,
            start,
            name: format!("Borger {i}"),
            email: None,
            phone: None,
            language: Lang::Da,
        };
        match app.book(req).await {
            Ok(_) => made += 1,
            Err(AppError::Slot(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(made)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The baseline the database benchmarks compare against: `n` single-row autocommit inserts into a
/// scratch table `bench_raw`, all issued at once and limited by the store's connection pool.
/// Returns inserts per second.
///
/// # Panics
/// When the database refuses (a benchmark has nothing to report then).
#[allow(clippy::unwrap_used)]
pub async fn raw_insert_rate(store: &crate::store::AnyStore, n: usize) -> f64 {
    use sqlx::Executor as _;
    macro_rules! raw_inserts {
        ($pool:expr, $create:literal) => {{
            let pool = $pool.clone();
            pool.execute($create).await.unwrap();
            let started = std::time::Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        sqlx::query("INSERT INTO bench_raw (id, v) VALUES ($1, $2)")
                            .bind(i as i64)
                            .bind("x")
                            .execute(&pool)
                            .await
                            .unwrap();
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            n as f64 / started.elapsed().as_secs_f64()
        }};
    }
    match store {
        crate::store::AnyStore::Sqlite(s) => {
            raw_inserts!(s.pool(), "CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        }
        crate::store::AnyStore::Postgres(s) => {
            raw_inserts!(s.pool(), "CREATE TABLE bench_raw (id BIGINT PRIMARY KEY, v TEXT NOT NULL)")
        }
    }
}
