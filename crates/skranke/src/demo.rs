//! The demo municipality: fictional, on reserved example domains (RFC 2606), with bookable slots
//! in the coming weeks relative to the clock.

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use skranke_core::Interval;
use skranke_core::access::{Grant, Role, Scope};
use skranke_core::calendar::ClosedDays;
use skranke_core::hours::{TimeRange, WeeklyHours};
use skranke_core::ids::{AddressId, CentreId, DeskId, OrganisationId, QueueId, ServiceId, StaffId, UserId};
use skranke_core::secret::ConfirmationCode;
use skranke_core::service::{Sensitivity, ServiceRules};

use crate::app::random_bytes;
use crate::auth::password::{NewPassword, PasswordParams, hash_password};
use crate::store::{
    AddressCode, Centre, Desk, NewAddress, Organisation, Owner, OwnerKind, Queue, Service, StaffMember, Store,
    StoreError, User,
};

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
    pub sign_ins: Vec<DemoSignIn>,
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
/// A centre to seed: name, address, ticket prefix, queue name (Danish, English), services.
type CentreSpec = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [ServiceSpec]);

/// One fictional municipality: its name, mail domain and centres.
struct OrgSpec {
    name: &'static str,
    domain: &'static str,
    centres: &'static [CentreSpec],
}

const ORGANISATIONS: [OrgSpec; 2] = [
    OrgSpec {
        name: "Eksempel Kommune",
        domain: "eksempelkommune.dk",
        centres: &[
            (
                "Borgerservice Eksempelby",
                "Torvet 1, 9999 Eksempelby",
                "B",
                "Borgerservice",
                "Citizen service",
                BORGERSERVICE,
            ),
            ("Ydelsescenter Eksempelby", "Rådhusstræde 4, 9999 Eksempelby", "Y", "Ydelser", "Benefits", YDELSESCENTER),
        ],
    },
    OrgSpec {
        name: "Prøvested Kommune",
        domain: "proevestedkommune.dk",
        centres: &[(
            "Borgerservice Prøvested",
            "Havnegade 2, 9998 Prøvested",
            "P",
            "Borgerservice",
            "Citizen service",
            BORGERSERVICE,
        )],
    },
];

/// The password of every demo account (printed at start; the demo is on the local machine).
pub const DEMO_PASSWORD: &str = "skranke-demo-2026";

/// A demo account to print: who, with which role, where.
#[derive(Debug)]
pub struct DemoSignIn {
    pub email: String,
    pub role: Role,
    pub organisation: String,
}

/// Seeds both fictional municipalities with their centres, services and staff, and one user per
/// role (a platform operator; in Eksempel Kommune a receptionist and a centre administrator for
/// its Borgerservice, a caseworker for its Ydelsescenter, two organisation administrators and a
/// data-protection officer; in Prøvested Kommune an organisation administrator and a
/// receptionist), all with [`DEMO_PASSWORD`].
pub async fn seed(store: &impl Store, now: Timestamp, password: &PasswordParams) -> Result<Seeded, StoreError> {
    let mut seeded = Seeded { centres: Vec::new(), services: Vec::new(), sign_ins: Vec::new() };
    let mut orgs = Vec::new();
    for spec in &ORGANISATIONS {
        let (org, centres) = seed_organisation(store, now, spec, &mut seeded).await?;
        orgs.push((org, centres));
    }
    seed_accounts(store, now, password, &orgs, &mut seeded).await?;
    Ok(seeded)
}

async fn seed_accounts(
    store: &impl Store,
    now: Timestamp,
    params: &PasswordParams,
    orgs: &[(Organisation, Vec<CentreId>)],
    seeded: &mut Seeded,
) -> Result<(), StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
    let demo_password = NewPassword::parse(DEMO_PASSWORD).map_err(|e| corrupt(&e))?;
    let mut accounts: Vec<(String, String, Option<OrganisationId>, Grant, String)> = Vec::new();
    let operator = Grant::new(Role::PlatformOperator, Scope::Platform).map_err(|e| corrupt(&e))?;
    accounts.push(("operator@skranke.example.org".into(), "Pia Platform".into(), None, operator, "–".into()));
    for (i, (org, centres)) in orgs.iter().enumerate() {
        let domain = org.mail_domains.first().cloned().unwrap_or_default();
        let at_org = |role| Grant::new(role, Scope::Organisation(org.id)).map_err(|e| corrupt(&e));
        let at_centre = |role, k: usize| {
            let centre = centres.get(k).copied().ok_or_else(|| StoreError::Corrupt("demo centre".into()))?;
            Grant::new(role, Scope::Centre { organisation: org.id, centre }).map_err(|e| corrupt(&e))
        };
        let people: Vec<(&str, &str, Grant)> = if i == 0 {
            vec![
                ("receptionist", "Rikke Reception", at_centre(Role::Receptionist, 0)?),
                ("caseworker", "Søren Sagsbehandler", at_centre(Role::Caseworker, 1)?),
                ("centre-admin", "Cecilie Centerleder", at_centre(Role::CentreAdmin, 0)?),
                ("org-admin", "Ole Organisation", at_org(Role::OrgAdmin)?),
                // A second organisation administrator: mailbox changes need two (RS-60).
                ("it-admin", "Ida IT-administrator", at_org(Role::OrgAdmin)?),
                ("dpo", "Dorthe Databeskyttelse", at_org(Role::DataProtectionOfficer)?),
            ]
        } else {
            vec![
                ("org-admin", "Paula Prøvested", at_org(Role::OrgAdmin)?),
                ("receptionist", "Peter Prøvested", at_centre(Role::Receptionist, 0)?),
            ]
        };
        for (local, name, grant) in people {
            accounts.push((format!("{local}@{domain}"), name.into(), Some(org.id), grant, org.name.clone()));
        }
    }
    for (email, name, organisation, grant, org_name) in accounts {
        let hash = hash_password(params, &demo_password, random_bytes()).map_err(|e| corrupt(&e))?;
        let user = User {
            id: UserId::from_random_bytes(random_bytes()),
            organisation,
            email: email.clone(),
            name,
            password_hash: Some(hash.as_str().to_owned()),
            created_at: now,
            disabled_at: None,
            sessions_valid_after: Timestamp::UNIX_EPOCH,
        };
        store.create_user(&user, &[grant], &[]).await?;
        seeded.sign_ins.push(DemoSignIn { email, role: grant.role(), organisation: org_name });
    }
    Ok(())
}

async fn seed_organisation(
    store: &impl Store,
    now: Timestamp,
    spec: &OrgSpec,
    seeded: &mut Seeded,
) -> Result<(Organisation, Vec<CentreId>), StoreError> {
    let tz = TimeZone::get("Europe/Copenhagen").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let org = Organisation {
        id: OrganisationId::from_random_bytes(random_bytes()),
        name: spec.name.into(),
        timezone: "Europe/Copenhagen".into(),
        mail_domains: vec![spec.domain.into()],
    };
    store.create_organisation(&org).await?;
    // The monitored mailbox that hears about held messages.
    let monitored = format!("it-drift@{}", spec.domain);
    mailbox(store, now, &org, Owner::new(OwnerKind::Organisation, org.id.as_uuid()), &monitored).await?;
    let mut centre_ids = Vec::new();
    let centres = spec.centres.iter().copied();
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
        centre_ids.push(centre.id);
        seeded.centres.push((centre.id, centre.name.clone()));
        let queue = Queue {
            id: QueueId::from_random_bytes(random_bytes()),
            centre_id: centre.id,
            name_da: queue_da.into(),
            name_en: queue_en.into(),
            prefix: prefix.into(),
        };
        store.create_queue(&queue).await?;
        // The queue's shared mailbox, proven as an administrator would have: transfers into the
        // queue are announced there (see /dev/mail).
        let local = queue_da.to_lowercase().replace(' ', "-");
        let local: String = local.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        mailbox(
            store,
            now,
            &org,
            Owner::new(OwnerKind::Queue, queue.id.as_uuid()),
            &format!("{local}@{}", spec.domain),
        )
        .await?;
        for n in 1..=3 {
            let desk = Desk::new(DeskId::from_random_bytes(random_bytes()), centre.id, format!("Skranke {n}"));
            store.create_desk(&desk).await?;
        }
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
    Ok((org, centre_ids))
}

/// Files `address` as `owner`'s mailbox and marks it verified through the same code path an
/// administrator uses (a code opened and consumed), with no message sent.
async fn mailbox(
    store: &impl Store,
    now: Timestamp,
    org: &Organisation,
    owner: Owner,
    address: &str,
) -> Result<(), StoreError> {
    let (address, registrable) = crate::store::normalise_address(address);
    let id = AddressId::from_random_bytes(random_bytes());
    let new = NewAddress {
        id,
        organisation: org.id,
        owner,
        address,
        registrable_domain: registrable,
        flag_reason: None,
        created_by: None,
        created_at: now,
    };
    store.put_address(&new, &[]).await?;
    let hash = ConfirmationCode::from_random(u32::from_le_bytes(random_bytes())).hash(&format!("demo:{id}"));
    let code = AddressCode {
        address: id,
        code_hash: hash.clone(),
        requested_by: None,
        created_at: now,
        expires_at: now.checked_add(jiff::SignedDuration::from_mins(30)).unwrap_or(now),
        attempts: 0,
    };
    store.open_address_code(&code, &[], &[]).await?;
    let expires = now.checked_add(crate::store::VERIFICATION_VALIDITY).unwrap_or(now);
    store.verify_address(id, &hash, None, now, expires, &[]).await
}
