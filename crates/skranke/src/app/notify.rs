//! The address registry's use cases (issue 6): shared mailboxes and the signed-in user's own
//! address, each proven by a code typed back by a signed-in person (RS-10, RS-11), and the list
//! of held and blocked messages.
//!
//! A mailbox address is judged when it is typed ([`WorkAddress::parse`]: the own-domain rule, and
//! the lookalike check that names the domain it resembles: "fred.dk is not fredericia.dk") and
//! again by the gate whenever anything is sent to it, so an address written past this code (a
//! bad import) still receives nothing.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use skranke_core::access::{Permission, Target};
use skranke_core::audit::{AuditRecord, Detail};
use skranke_core::ids::{AddressId, CentreId, MessageId, OrganisationId, QueueId};
use skranke_core::secret::ConfirmationCode;

use super::accounts::{action, object};
use super::admin::WorkAddress;
use super::{App, AppError, Principal, random_bytes};
use crate::i18n::Lang;
use crate::mail::MailPayload;
use crate::store::{
    AddressChange, AddressCode, AddressRecord, HeldMessage, NewAddress, NewMessage, ObjectKey, Owner, OwnerKind,
    Store as _, StoreError, VERIFICATION_VALIDITY,
};

/// How long a verification code can be typed back.
pub const CODE_VALIDITY: SignedDuration = SignedDuration::from_mins(30);
/// Wrong codes before the code is void and a new one must be requested.
pub const MAX_CODE_ATTEMPTS: u32 = 5;

/// A shared mailbox's owner: a queue, a centre, or the organisation itself (its monitored
/// mailbox, which receives the alerts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mailbox {
    Queue(QueueId),
    Centre(CentreId),
    Organisation(OrganisationId),
}

impl Mailbox {
    fn owner(self) -> Owner {
        match self {
            Mailbox::Queue(q) => Owner::new(OwnerKind::Queue, q.as_uuid()),
            Mailbox::Centre(c) => Owner::new(OwnerKind::Centre, c.as_uuid()),
            Mailbox::Organisation(o) => Owner::new(OwnerKind::Organisation, o.as_uuid()),
        }
    }
}

/// The organisation and the access target of a mailbox, from stored rows; `NotFound` for another
/// organisation's or an unknown one.
async fn mailbox_home(app: &App, p: &Principal, mailbox: Mailbox) -> Result<(OrganisationId, Target), AppError> {
    let home = match mailbox {
        Mailbox::Queue(q) => app.store.home_of(ObjectKey::Queue(q)).await?,
        Mailbox::Centre(c) => app.store.home_of(ObjectKey::Centre(c)).await?,
        Mailbox::Organisation(o) => {
            let target = Target::Organisation(o);
            p.authorize(Permission::ManageOrganisation, target)?;
            app.store.get_organisation(o).await?.ok_or(AppError::NotFound("organisation"))?;
            return Ok((o, target));
        }
    };
    let (organisation, centre) = home.ok_or(AppError::NotFound("mailbox"))?;
    let target = Target::Centre { organisation, centre };
    p.authorize(Permission::ManageCentre, target)?;
    Ok((organisation, target))
}

/// Proposes a new address for a shared mailbox (RS-60: another administrator must approve it).
/// It must lie in the organisation's own domains (RS-10: `AccountEmailNotOwn` naming the own
/// domain a lookalike resembles, e.g. `fredericia.dk` for `ydelser@fred.dk`), and an own domain
/// that itself resembles a protected one is refused for a mailbox (`DomainResembles`): a flagged
/// lookalike is never internal. `None` when the address is the mailbox's current one already.
pub async fn propose_mailbox(
    app: &App,
    p: &Principal,
    mailbox: Mailbox,
    typed: &str,
) -> Result<Option<AddressChange>, AppError> {
    let (organisation, _) = mailbox_home(app, p, mailbox).await?;
    let own = app.store.organisation_mail_domains(organisation).await?.unwrap_or_default();
    let address = WorkAddress::parse(typed, &own)?;
    if let Some(resembles) = address.resembles() {
        return Err(AppError::DomainResembles { domain: address.domain().to_owned(), resembles: resembles.to_owned() });
    }
    let owner = mailbox.owner();
    let old = app.store.current_address(owner).await?;
    let (normalised, registrable) = crate::store::normalise_address(address.as_str());
    if old.as_ref().is_some_and(|o| o.address == normalised) {
        return Ok(None);
    }
    let now = app.clock.now();
    let change = AddressChange {
        id: uuid::Uuid::from_bytes(random_bytes()),
        organisation,
        owner,
        address: normalised,
        registrable_domain: registrable,
        requested_by: p.user,
        requested_at: now,
        approved: None,
        decided_by: None,
        decided_at: None,
    };
    let detail = change_detail(&change, old.as_ref());
    let rec = audit_object(p, now, organisation, "address.change_proposed", "address_change", change.id, detail)?;
    app.store.propose_address(&change, &[rec]).await?;
    Ok(Some(change))
}

/// What the review shows and the audit log keeps: old and new address and registrable domain,
/// and whether the domain changes (RS-60 highlights that).
fn change_detail(change: &AddressChange, old: Option<&AddressRecord>) -> serde_json::Value {
    json!({
        "owner": { "kind": change.owner.kind.as_str(), "id": change.owner.id.to_string() },
        "old": old.map(|o| json!({ "address": o.address, "registrable_domain": o.registrable_domain })),
        "new": { "address": change.address, "registrable_domain": change.registrable_domain },
        "domain_changed": old.is_some_and(|o| o.registrable_domain != change.registrable_domain),
    })
}

/// An open proposal with the address it would replace, for the review.
#[derive(Clone, Debug)]
pub struct PendingChange {
    pub change: AddressChange,
    pub current: Option<AddressRecord>,
}

impl PendingChange {
    /// Whether the registrable domain changes (the review highlights it, RS-60).
    pub fn domain_changes(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.registrable_domain != self.change.registrable_domain)
    }
}

/// The organisation's open proposals with what each would replace.
pub async fn pending_changes(
    app: &App,
    p: &Principal,
    organisation: OrganisationId,
) -> Result<Vec<PendingChange>, AppError> {
    p.authorize(Permission::ManageOrganisation, Target::Organisation(organisation))?;
    let mut out = Vec::new();
    for change in app.store.address_changes(organisation).await? {
        let current = app.store.current_address(change.owner).await?;
        out.push(PendingChange { change, current });
    }
    Ok(out)
}

fn mailbox_of_owner(owner: Owner) -> Option<Mailbox> {
    match owner.kind {
        OwnerKind::Queue => Some(Mailbox::Queue(QueueId::from_uuid(owner.id))),
        OwnerKind::Centre => Some(Mailbox::Centre(CentreId::from_uuid(owner.id))),
        OwnerKind::Organisation => Some(Mailbox::Organisation(OrganisationId::from_uuid(owner.id))),
        _ => None,
    }
}

/// A second administrator approves (the address becomes the mailbox's, unverified, so it still
/// gets nothing but a code until proven) or rejects a proposal. The one who asked cannot decide
/// it (`Field { code: "same_administrator" }`); another organisation's is "not found".
pub async fn decide_change(
    app: &App,
    p: &Principal,
    id: uuid::Uuid,
    approve: bool,
) -> Result<Option<AddressRecord>, AppError> {
    let change = app.store.get_address_change(id).await?.ok_or(AppError::NotFound("change"))?;
    if p.organisation != Some(change.organisation) {
        return Err(AppError::NotFound("change"));
    }
    let mailbox = mailbox_of_owner(change.owner).ok_or(AppError::NotFound("change"))?;
    mailbox_home(app, p, mailbox).await?;
    if change.approved.is_some() {
        return Err(AppError::Field { field: "change", code: "change_decided" });
    }
    if change.requested_by == p.user {
        return Err(AppError::Field { field: "change", code: "same_administrator" });
    }
    let now = app.clock.now();
    let old = app.store.current_address(change.owner).await?;
    let new = NewAddress {
        id: AddressId::from_random_bytes(random_bytes()),
        organisation: change.organisation,
        owner: change.owner,
        address: change.address.clone(),
        registrable_domain: change.registrable_domain.clone(),
        flag_reason: None,
        created_by: Some(change.requested_by),
        created_at: now,
    };
    let mut detail = change_detail(&change, old.as_ref());
    detail["requested_by"] = json!(change.requested_by.to_string());
    let name = if approve { "address.change_approved" } else { "address.change_rejected" };
    let rec = audit_object(p, now, change.organisation, name, "address_change", change.id, detail)?;
    app.store.decide_address_change(id, p.user, now, approve.then_some(&new), &[rec]).await.map_err(|e| match e {
        StoreError::Conflict => AppError::Field { field: "change", code: "change_decided" },
        other => other.into(),
    })?;
    if approve { Ok(app.store.get_address(new.id).await?) } else { Ok(None) }
}

/// The current address of a mailbox, if one is set.
pub async fn mailbox(app: &App, p: &Principal, mailbox: Mailbox) -> Result<Option<AddressRecord>, AppError> {
    mailbox_home(app, p, mailbox).await?;
    Ok(app.store.current_address(mailbox.owner()).await?)
}

/// The signed-in user's own notification address: their sign-in address, filed in the registry
/// the first time they ask for it (unverified until they type a code back).
pub async fn own_address(app: &App, p: &Principal) -> Result<AddressRecord, AppError> {
    p.authorize(Permission::ManageOwnAccount, Target::OwnAccount)?;
    // A platform operator belongs to no organisation, so has no own domains to be mailed in.
    let organisation = p.organisation.ok_or(AppError::Field { field: "address", code: "no_organisation" })?;
    let owner = Owner::new(OwnerKind::User, p.user.as_uuid());
    if let Some(current) = app.store.current_address(owner).await? {
        return Ok(current);
    }
    let user = app.store.get_user(p.user).await?.ok_or(AppError::Unauthenticated)?;
    let now = app.clock.now();
    let (address, registrable) = crate::store::normalise_address(&user.email);
    let new = NewAddress {
        id: AddressId::from_random_bytes(random_bytes()),
        organisation,
        owner,
        address,
        registrable_domain: registrable,
        flag_reason: None,
        created_by: Some(p.user),
        created_at: now,
    };
    let detail = json!({ "owner": { "kind": "user", "id": p.user.to_string() }, "new": { "address": new.address } });
    let rec = audit(p, now, organisation, "address.set", new.id, detail)?;
    match app.store.put_address(&new, &[rec]).await {
        // Two tabs at once: the other one filed it.
        Err(StoreError::Duplicate(_)) | Ok(()) => {}
        Err(e) => return Err(e.into()),
    }
    app.store.current_address(owner).await?.ok_or(AppError::NotFound("address"))
}

/// Who may prove `record`: its own user for a user's address, an administrator of its queue's or
/// centre's centre (or of the organisation) for a shared mailbox. Citizens prove theirs in the
/// booking flow, not here.
async fn authorize_proof(app: &App, p: &Principal, record: &AddressRecord) -> Result<(), AppError> {
    let owner_id = record.owner.id;
    match record.owner.kind {
        OwnerKind::User if owner_id == p.user.as_uuid() => Ok(()),
        OwnerKind::Queue => mailbox_home(app, p, Mailbox::Queue(QueueId::from_uuid(owner_id))).await.map(drop),
        OwnerKind::Centre => mailbox_home(app, p, Mailbox::Centre(CentreId::from_uuid(owner_id))).await.map(drop),
        OwnerKind::Organisation => {
            mailbox_home(app, p, Mailbox::Organisation(OrganisationId::from_uuid(owner_id))).await.map(drop)
        }
        _ => Err(AppError::NotFound("address")),
    }
}

async fn provable(app: &App, p: &Principal, id: AddressId) -> Result<AddressRecord, AppError> {
    let record = app.store.get_address(id).await?.ok_or(AppError::NotFound("address"))?;
    if p.organisation != Some(record.organisation) || record.retired_at.is_some() {
        return Err(AppError::NotFound("address"));
    }
    authorize_proof(app, p, &record).await?;
    Ok(record)
}

fn salt(id: AddressId) -> String {
    format!("address:{id}")
}

/// Sends a new code to the address (RS-11). The mail goes through the gate like any other, so an
/// internal address outside the own domains does not even get the code.
pub async fn request_code(app: &App, p: &Principal, id: AddressId) -> Result<(), AppError> {
    let record = provable(app, p, id).await?;
    let now = app.clock.now();
    let code = ConfirmationCode::from_random(u32::from_le_bytes(random_bytes()));
    let organisation =
        app.store.get_organisation(record.organisation).await?.ok_or(AppError::NotFound("organisation"))?;
    let payload =
        MailPayload::AddressCode { code: code.expose().to_owned(), organisation: organisation.value.name.clone() };
    let message = NewMessage {
        id: MessageId::from_random_bytes(random_bytes()),
        appointment_id: None,
        template: payload.template().to_owned(),
        recipient: record.address.clone(),
        language: Lang::Da,
        payload: serde_json::to_string(&payload).map_err(|e| AppError::Internal(StoreError::Corrupt(e.to_string())))?,
        organisation_id: Some(record.organisation),
        address_id: Some(record.id),
        purpose: payload.purpose(),
    };
    let open = AddressCode {
        address: record.id,
        code_hash: code.hash(&salt(record.id)),
        requested_by: Some(p.user),
        created_at: now,
        expires_at: now.checked_add(CODE_VALIDITY).unwrap_or(now),
        attempts: 0,
    };
    let rec =
        audit(p, now, record.organisation, "address.code_requested", record.id, json!({ "address": record.address }))?;
    app.store.open_address_code(&open, std::slice::from_ref(&message), &[rec]).await.map_err(|e| match e {
        StoreError::Conflict => AppError::NotFound("address"),
        other => other.into(),
    })
}

/// Checks a typed code; on a match the address is verified for [`VERIFICATION_VALIDITY`] by the
/// signed-in person. `WrongCode` with the tries left, `Field { code: "address_code_void" }` when
/// the code is void, `Field { code: "code_expired" }` when no code is open or it ran out.
pub async fn confirm_code(app: &App, p: &Principal, id: AddressId, typed: &str) -> Result<AddressRecord, AppError> {
    let record = provable(app, p, id).await?;
    let now = app.clock.now();
    let open = app.store.address_code(record.id).await?;
    let Some(open) = open.filter(|c| c.expires_at > now) else {
        return Err(AppError::Field { field: "code", code: "code_expired" });
    };
    let hash = ConfirmationCode::parse(typed).map(|c| c.hash(&salt(record.id)));
    if !hash.as_ref().is_some_and(|h| h.matches(&open.code_hash)) {
        let attempts = app.store.record_address_code_failure(record.id, MAX_CODE_ATTEMPTS).await?;
        if attempts >= MAX_CODE_ATTEMPTS {
            return Err(AppError::Field { field: "code", code: "address_code_void" });
        }
        let left = u8::try_from(MAX_CODE_ATTEMPTS - attempts).unwrap_or(0);
        return Err(AppError::WrongCode { attempts_left: left });
    }
    let expires = now.checked_add(VERIFICATION_VALIDITY).unwrap_or(now);
    let detail = json!({ "address": record.address, "registrable_domain": record.registrable_domain, "expires_at": expires.to_string() });
    let rec = audit(p, now, record.organisation, "address.verified", record.id, detail)?;
    app.store.verify_address(record.id, &open.code_hash, Some(p.user), now, expires, &[rec]).await.map_err(
        |e| match e {
            StoreError::Conflict => AppError::Field { field: "code", code: "code_expired" },
            other => other.into(),
        },
    )?;
    app.store.get_address(record.id).await?.ok_or(AppError::NotFound("address"))
}

/// The organisation's registry (staff and shared mailboxes; citizens' addresses stay out of this
/// list) for its administrators.
pub async fn registry(app: &App, p: &Principal, organisation: OrganisationId) -> Result<Vec<AddressRecord>, AppError> {
    p.authorize(Permission::ManageOrganisation, Target::Organisation(organisation))?;
    Ok(app.store.list_addresses(organisation, false).await?)
}

/// Held and blocked messages of the organisation, newest first: reason, never content.
pub async fn held_messages(
    app: &App,
    p: &Principal,
    organisation: OrganisationId,
) -> Result<Vec<HeldMessage>, AppError> {
    p.authorize(Permission::ManageOrganisation, Target::Organisation(organisation))?;
    Ok(app.store.list_held(organisation).await?)
}

/// Releases a held message (the worker runs the gate on it again, so it goes only if what held it
/// was fixed) or discards it. Blocked messages (a CPR number, personal data to staff) can only be
/// discarded. Audited; `NotFound` for another organisation's message or one no longer held.
pub async fn resolve_held(
    app: &App,
    p: &Principal,
    organisation: OrganisationId,
    id: MessageId,
    release: bool,
) -> Result<(), AppError> {
    // The message's own organisation decides: another organisation's message is "not found".
    let owner = app.store.outbox_organisation(id).await?.ok_or(AppError::NotFound("message"))?;
    if owner != organisation {
        return Err(AppError::NotFound("message"));
    }
    p.authorize(Permission::ManageOrganisation, Target::Organisation(organisation))?;
    let now = app.clock.now();
    let name = if release { "mail.released" } else { "mail.discarded" };
    let rec = AuditRecord {
        at: now,
        organisation: Some(organisation),
        actor: p.actor(),
        action: action(name),
        object: object("message", id),
        detail: Detail::new(json!({})).map_err(|_| AppError::BadRequest("internal"))?,
    };
    if app.store.resolve_held(id, organisation, release, p.user, now, &[rec]).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("message"))
    }
}

/// Where an acknowledged notification leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckTarget {
    /// The desk page of a centre (a queue's or centre's mailbox).
    Desk(CentreId),
    /// The staff start page.
    Home,
}

/// A signed-in person opened a notification's link (RS-40): the notification, and every earlier
/// one to the same address, is acknowledged. Who may: for a queue's or centre's mailbox, anyone who
/// may see that centre's queues; for a user's own address, that user; for the monitored mailbox,
/// an organisation administrator. Another organisation's message is "not found".
pub async fn acknowledge(app: &App, p: &Principal, id: MessageId) -> Result<AckTarget, AppError> {
    let organisation = app.store.outbox_organisation(id).await?.ok_or(AppError::NotFound("message"))?;
    if p.organisation != Some(organisation) {
        return Err(AppError::NotFound("message"));
    }
    let address = app.store.message_address(id).await?.ok_or(AppError::NotFound("message"))?;
    let record = app.store.get_address(address).await?.ok_or(AppError::NotFound("message"))?;
    let target = match record.owner.kind {
        OwnerKind::Queue | OwnerKind::Centre => {
            let key = if record.owner.kind == OwnerKind::Queue {
                ObjectKey::Queue(QueueId::from_uuid(record.owner.id))
            } else {
                ObjectKey::Centre(CentreId::from_uuid(record.owner.id))
            };
            let (org, centre) = app.store.home_of(key).await?.ok_or(AppError::NotFound("message"))?;
            p.authorize(Permission::ViewQueue, Target::Centre { organisation: org, centre })?;
            AckTarget::Desk(centre)
        }
        OwnerKind::User if record.owner.id == p.user.as_uuid() => AckTarget::Home,
        OwnerKind::Organisation => {
            p.authorize(Permission::ManageOrganisation, Target::Organisation(organisation))?;
            AckTarget::Home
        }
        _ => return Err(AppError::Forbidden),
    };
    let now = app.clock.now();
    let rec = AuditRecord {
        at: now,
        organisation: Some(organisation),
        actor: p.actor(),
        action: action("mail.acknowledged"),
        object: object("message", id),
        detail: Detail::new(json!({ "address_id": record.id.to_string() }))
            .map_err(|_| AppError::BadRequest("internal"))?,
    };
    app.store.acknowledge_message(id, p.user, now, &[rec]).await?;
    Ok(target)
}

pub(super) fn audit_object(
    p: &Principal,
    at: Timestamp,
    organisation: OrganisationId,
    name: &str,
    kind: &str,
    id: impl ToString,
    detail: serde_json::Value,
) -> Result<AuditRecord, AppError> {
    Ok(AuditRecord {
        at,
        organisation: Some(organisation),
        actor: p.actor(),
        action: action(name),
        object: object(kind, id),
        detail: Detail::new(detail).map_err(|_| AppError::BadRequest("address.change_too_large"))?,
    })
}

fn audit(
    p: &Principal,
    at: Timestamp,
    organisation: OrganisationId,
    name: &str,
    id: AddressId,
    detail: serde_json::Value,
) -> Result<AuditRecord, AppError> {
    audit_object(p, at, organisation, name, "address", id, detail)
}

/// What a signed-in person should see about mail when they open Skranke (RS-40, RS-31): the
/// addresses whose notifications nobody acknowledges, and how many messages are held. The
/// organisation's administrators and its data-protection officer see the whole organisation; a
/// centre administrator the shared mailboxes of their own centres; anyone else nothing.
#[derive(Debug, Default)]
pub struct MailAttention {
    pub silent: Vec<crate::store::Silence>,
    /// Held or blocked messages waiting for a decision (administrators of the organisation only).
    pub held: usize,
}

pub async fn attention(app: &App, p: &Principal) -> Result<MailAttention, AppError> {
    let Some(org) = p.organisation else { return Ok(MailAttention::default()) };
    let whole = p.may(Permission::ManageOrganisation, Target::Organisation(org))
        || p.may(Permission::ViewAudit, Target::Organisation(org));
    let now = app.clock.now();
    let older_than = now.checked_sub(crate::mail::SILENT_AFTER).unwrap_or(now);
    let mut silent = Vec::new();
    for s in app.store.silent_now(org, older_than, crate::mail::SILENT_COUNT).await? {
        let mine = whole
            || match s.address.owner.kind {
                OwnerKind::Queue => {
                    let home = app.store.home_of(ObjectKey::Queue(QueueId::from_uuid(s.address.owner.id))).await?;
                    home.is_some_and(|(o, c)| {
                        p.may(Permission::ManageCentre, Target::Centre { organisation: o, centre: c })
                    })
                }
                OwnerKind::Centre => {
                    let centre = CentreId::from_uuid(s.address.owner.id);
                    p.may(Permission::ManageCentre, Target::Centre { organisation: org, centre })
                }
                _ => false,
            };
        if mine {
            silent.push(s);
        }
    }
    let held = if p.may(Permission::ManageOrganisation, Target::Organisation(org)) {
        app.store.list_held(org).await?.len()
    } else {
        0
    };
    Ok(MailAttention { silent, held })
}
