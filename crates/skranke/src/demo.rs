//! The demo municipality: fictional, on reserved example domains (RFC 2606), with bookable slots
//! in the coming weeks relative to the clock.

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use skranke_core::Interval;
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::{CentreId, OrganisationId, QueueId, ServiceId, StaffId};
use skranke_core::service::{Sensitivity, ServiceRules};

use crate::app::random_bytes;
use crate::store::{Centre, Organisation, Queue, Service, StaffMember, Store, StoreError};

fn hours(ranges: &[&str], thursday: &[&str]) -> Result<WeeklyHours, StoreError> {
    let parse = |list: &[&str]| -> Result<Vec<TimeRange>, StoreError> {
        list.iter().map(|r| TimeRange::parse(r).map_err(|e| StoreError::Corrupt(e.to_string()))).collect()
    };
    let thursday = parse(thursday)?;
    WeeklyHours::weekdays(&parse(ranges)?)
        .and_then(|w| w.with_day(Weekday::Thursday, thursday))
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn rules(duration: i32, buffer: i32, capacity: u16, online: bool) -> Result<ServiceRules, StoreError> {
    ServiceRules::new(duration, buffer, capacity, 60, 60, online).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// What the demo seeded, for printing.
#[derive(Debug)]
pub struct Seeded {
    pub centres: Vec<(CentreId, String)>,
    pub services: Vec<(CentreId, ServiceId, String)>,
}

struct ServiceSpec {
    da: &'static str,
    en: &'static str,
    duration: i32,
    buffer: i32,
    capacity: u16,
    online: bool,
    sensitivity: Sensitivity,
}

const BORGERSERVICE: &[ServiceSpec] = &[
    ServiceSpec {
        da: "Pas",
        en: "Passport",
        duration: 15,
        buffer: 5,
        capacity: 2,
        online: true,
        sensitivity: Sensitivity::Normal,
    },
    ServiceSpec {
        da: "Kørekort",
        en: "Driving licence",
        duration: 20,
        buffer: 5,
        capacity: 2,
        online: true,
        sensitivity: Sensitivity::Normal,
    },
    ServiceSpec {
        da: "Sundhedskort",
        en: "Health card",
        duration: 10,
        buffer: 0,
        capacity: 1,
        online: true,
        sensitivity: Sensitivity::Normal,
    },
    ServiceSpec {
        da: "NemID/MitID-hjælp",
        en: "MitID help",
        duration: 20,
        buffer: 5,
        capacity: 1,
        online: false,
        sensitivity: Sensitivity::Normal,
    },
];

const YDELSESCENTER: &[ServiceSpec] = &[
    ServiceSpec {
        da: "Tilskud til tandpleje",
        en: "Dental-care subsidy",
        duration: 30,
        buffer: 5,
        capacity: 1,
        online: true,
        sensitivity: Sensitivity::Sensitive,
    },
    ServiceSpec {
        da: "Pension og enkeltydelser",
        en: "Pension and one-off benefits",
        duration: 30,
        buffer: 10,
        capacity: 1,
        online: true,
        sensitivity: Sensitivity::Confidential,
    },
];

/// Seeds the demo organisation. `now` decides which closure lies in the coming weeks.
pub async fn seed(store: &impl Store, now: Timestamp) -> Result<Seeded, StoreError> {
    let tz = TimeZone::get("Europe/Copenhagen").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let org = Organisation {
        id: OrganisationId::from_random_bytes(random_bytes()),
        name: "Eksempel Kommune".into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec!["eksempel-kommune.example.org".into()],
    };
    store.create_organisation(&org).await?;
    let mut seeded = Seeded { centres: Vec::new(), services: Vec::new() };
    let centres = [
        (
            "Borgerservice Eksempelby",
            "Torvet 1, 9999 Eksempelby",
            "B",
            "Borgerservice",
            "Citizen service",
            BORGERSERVICE,
        ),
        ("Ydelsescenter Eksempelby", "Rådhusstræde 4, 9999 Eksempelby", "Y", "Ydelser", "Benefits", YDELSESCENTER),
    ];
    for (name, address, prefix, queue_da, queue_en, specs) in centres {
        let centre = Centre {
            id: CentreId::from_random_bytes(random_bytes()),
            organisation_id: org.id,
            name: name.into(),
            address: address.into(),
            opening_hours: hours(&["09:00-15:00"], &["09:00-17:30"])?,
            closed_days: ClosedDays::default(),
        };
        store.create_centre(&centre).await?;
        seeded.centres.push((centre.id, centre.name.clone()));
        let queue = Queue {
            id: QueueId::from_random_bytes(random_bytes()),
            centre_id: centre.id,
            name_da: queue_da.into(),
            name_en: queue_en.into(),
            prefix: prefix.into(),
        };
        store.create_queue(&queue).await?;
        let mut ids = Vec::new();
        for spec in specs {
            let service = Service {
                id: ServiceId::from_random_bytes(random_bytes()),
                centre_id: centre.id,
                queue_id: queue.id,
                name_da: spec.da.into(),
                name_en: spec.en.into(),
                rules: rules(spec.duration, spec.buffer, spec.capacity, spec.online)?,
                sensitivity: spec.sensitivity,
            };
            store.create_service(&service).await?;
            seeded.services.push((centre.id, service.id, service.name_da.clone()));
            ids.push(service.id);
        }
        for (i, staff_name) in ["Anne Jensen", "Bo Nielsen", "Camilla Hansen"].iter().enumerate() {
            let staff = StaffMember {
                id: StaffId::from_random_bytes(random_bytes()),
                centre_id: centre.id,
                name: format!("{staff_name} ({prefix})"),
                schedule: hours(&["08:30-16:00"], &["08:30-18:00"])?,
                // The first two serve everything; the third serves the first service only.
                services: if i < 2 { ids.clone() } else { ids[..1].to_vec() },
            };
            store.create_staff(&staff).await?;
            if i == 1 {
                // A staff member away for a morning next week.
                let day = tz
                    .to_datetime(now)
                    .date()
                    .checked_add(jiff::Span::new().days(7))
                    .unwrap_or(tz.to_datetime(now).date());
                if let (Ok(a), Ok(b)) = (tz.to_timestamp(day.at(8, 0, 0, 0)), tz.to_timestamp(day.at(12, 0, 0, 0)))
                    && let Some(iv) = Interval::new(a, b)
                {
                    store.add_absence(staff.id, iv).await?;
                }
            }
        }
    }
    Ok(seeded)
}
