//! The worker's side of the policy gate (RS-16): load what the core's `notify::decide` needs as it
//! is *now* (the recipient's record, the organisation's own domains), ask it, and make what it
//! said into the message's new status, its audit entry (RS-50) and, for a held or blocked message,
//! content-free alerts (RS-31), which the worker writes in one transaction.

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::json;
use skranke_core::audit::{Action, Actor, AuditRecord, Detail, Label, ObjectRef};
use skranke_core::ids::{AddressId, MessageId, OrganisationId};
use skranke_core::notify::{
    self, DataClasses, Decision, Outgoing, Policy, RecipientRecord, Transport as GateTransport,
};
use skranke_recipient::address::EmailAddress;
use skranke_recipient::domain::{Domain, OwnDomains};

use super::smtp::{Delivery, TlsInfo};
use super::{HeldFacts, MailPayload, Rendered};
use crate::app::App;
use crate::i18n::Lang;
use crate::store::{
    AddressRecord, GateOutcome, NewMessage, OutboxFinish, OutboxMessage, Owner, OwnerKind, PseudonymUse, Store,
    StoreError,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Send,
    Hold,
    Block,
}

impl Outcome {
    const fn as_str(self) -> &'static str {
        match self {
            Outcome::Send => "send",
            Outcome::Hold => "hold",
            Outcome::Block => "block",
        }
    }
}

/// What the gate (or a step before it) decided about one message.
#[derive(Clone, Debug)]
pub(crate) struct Judged {
    pub(crate) outcome: Outcome,
    /// The reason code of a hold or block; empty for a send.
    pub(crate) reason: &'static str,
    /// The rule that allowed a send.
    pub(crate) rule: Option<&'static str>,
    pub(crate) classes: DataClasses,
    pub(crate) subjects: Vec<String>,
    /// How the message left: `local` for the dev mailbox, the TLS mode with SMTP.
    pub(crate) transport: String,
    /// The TLS version and cipher it left over (RS-20: recorded per delivery).
    pub(crate) tls: Option<TlsInfo>,
    /// The relay refused the message for good: counts a bounce on the address (RS-41).
    pub(crate) bounced: bool,
}

impl Judged {
    pub(crate) fn held(outcome: Outcome, reason: &'static str, classes: DataClasses) -> Self {
        Self {
            outcome,
            reason,
            rule: None,
            classes,
            subjects: Vec::new(),
            transport: String::new(),
            tls: None,
            bounced: false,
        }
    }

    fn from_decision(decision: Decision, classes: DataClasses) -> Self {
        match decision {
            Decision::Send(rule) => Self {
                outcome: Outcome::Send,
                reason: "",
                rule: Some(rule.code()),
                classes,
                subjects: Vec::new(),
                transport: String::new(),
                tls: None,
                bounced: false,
            },
            Decision::Hold(reason) => Self::held(Outcome::Hold, reason.code(), classes),
            Decision::Block(reason) => Self::held(Outcome::Block, reason.code(), classes),
        }
    }

    pub(crate) fn with_subjects(mut self, subjects: Vec<String>) -> Self {
        self.subjects = subjects;
        self
    }

    pub(crate) fn bounced(mut self) -> Self {
        self.bounced = true;
        self
    }

    pub(crate) fn with_transport(mut self, delivery: Delivery) -> Self {
        self.transport = delivery.description;
        self.tls = delivery.tls;
        self
    }
}

/// The organisation's own domains as RS-10 reads them: each configured domain that is a
/// registrable domain, plus the configured subdomains of those. A configuration that does not
/// make a valid set yields the empty set, so every internal address is then held, never sent.
pub(crate) fn own_domains(configured: &[String]) -> OwnDomains {
    let (registrable, subdomains): (Vec<&String>, Vec<&String>) =
        configured.iter().partition(|d| Domain::parse(d).is_ok_and(|d| d.is_registrable()));
    OwnDomains::new(registrable, subdomains).unwrap_or_else(|_| OwnDomains::none())
}

/// The registry records and own domains the gate read during one tick of the worker. A tick's
/// messages often go to the same few addresses; reading each once per tick instead of once per
/// message is most of the gate's cost. The worker empties it whenever it writes its outcomes (at
/// least every second, and after every bounce, which changes a record), so the gate never decides
/// on anything older than that.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    addresses: HashMap<AddressId, Option<AddressRecord>>,
    domains: HashMap<OrganisationId, OwnDomains>,
}

impl Lookups {
    async fn address(&mut self, app: &App, id: AddressId) -> Result<Option<AddressRecord>, StoreError> {
        if let Some(record) = self.addresses.get(&id) {
            return Ok(record.clone());
        }
        let record = app.store.get_address(id).await?;
        self.addresses.insert(id, record.clone());
        Ok(record)
    }

    async fn own_domains(&mut self, app: &App, organisation: OrganisationId) -> Result<OwnDomains, StoreError> {
        if let Some(domains) = self.domains.get(&organisation) {
            return Ok(domains.clone());
        }
        let configured = app.store.organisation_mail_domains(organisation).await?.unwrap_or_default();
        let domains = own_domains(&configured);
        self.domains.insert(organisation, domains.clone());
        Ok(domains)
    }

    pub(crate) fn clear(&mut self) {
        self.addresses.clear();
        self.domains.clear();
    }
}

/// Loads the recipient's record and the organisation's policy, and asks the core's gate.
pub(crate) async fn judge(
    app: &App,
    lookups: &mut Lookups,
    msg: &OutboxMessage,
    payload: &MailPayload,
    rendered: &Rendered,
    transport: GateTransport,
    now: Timestamp,
) -> Result<(Option<AddressRecord>, Judged), StoreError> {
    let classes = payload.classes();
    let invalid = |record| Ok((record, Judged::held(Outcome::Hold, notify::Reason::InvalidAddress.code(), classes)));
    let Some(address_id) = msg.address_id else { return invalid(None) };
    let Some(record) = lookups.address(app, address_id).await? else { return invalid(None) };
    // A message of one organisation never goes to another's record, whatever a row says.
    if msg.organisation_id != Some(record.organisation) {
        return invalid(Some(record));
    }
    let Ok(address) = EmailAddress::parse(&record.address) else { return invalid(Some(record)) };
    let policy = Policy::new(lookups.own_domains(app, record.organisation).await?);
    let recipient = RecipientRecord::new(record.audience(), address, record.state);
    let outgoing = Outgoing::new(payload.purpose(), classes, &rendered.subject, &rendered.text);
    let decision = notify::decide(&outgoing, &recipient, &policy, transport, now);
    Ok((Some(record), Judged::from_decision(decision, classes)))
}

/// The outcome to write: the message's status, its audit entry and, unless it was sent, alerts.
pub(crate) async fn finish(
    app: &App,
    msg: &OutboxMessage,
    record: Option<&AddressRecord>,
    judged: &Judged,
    now: Timestamp,
) -> Result<OutboxFinish, StoreError> {
    let mut subjects = judged.subjects.clone();
    if let Some(appointment) = msg.appointment_id {
        subjects.push(format!("appointment:{appointment}"));
    }
    // Anyone outside the organisation is named in the audit by a pseudonym (issue 7, point 4).
    let organisation = msg.organisation_id.or(record.map(|r| r.organisation));
    let address = record.map_or(msg.recipient.as_str(), |r| r.address.as_str());
    let mut pseudonyms = Vec::new();
    let mut recipient_pseudonym = None;
    let recipient = if record.is_some_and(|r| r.audience().is_internal()) || address.is_empty() {
        address.to_owned()
    } else {
        let pseudonym = app.address_pseudonym(organisation, address).await?;
        pseudonyms.push(PseudonymUse {
            pseudonym: pseudonym.clone(),
            organisation,
            kind: "address",
            value: address.trim().to_lowercase(),
            at: now,
        });
        recipient_pseudonym = Some(pseudonym.clone());
        pseudonym
    };
    let audit = vec![audit_record(msg, record, &recipient, judged, &subjects, now)?];
    // An alert about an alert would loop; the held page shows it anyway.
    let alerts = match (judged.outcome, msg.template.as_str()) {
        (Outcome::Send, _) | (_, "message_held") => Vec::new(),
        _ => alerts(app, msg, record, judged, now).await?,
    };
    let outcome = GateOutcome {
        outcome: judged.outcome.as_str(),
        reason: (!judged.reason.is_empty()).then_some(judged.reason),
        rule: judged.rule,
        classes: judged.classes.to_names(),
        bounced_address: judged.bounced.then(|| record.map(|r| r.id)).flatten(),
        // Tracked until acknowledged: staff notifications about a visit (RS-40).
        subject_ref: (judged.outcome == Outcome::Send && record.is_some_and(|r| r.audience().is_internal()))
            .then(|| judged.subjects.iter().find(|s| s.starts_with("visit:")).cloned())
            .flatten(),
        recipient_pseudonym,
    };
    Ok(OutboxFinish { id: msg.id, outcome, at: now, alerts, audit, pseudonyms })
}

fn audit_record(
    msg: &OutboxMessage,
    record: Option<&AddressRecord>,
    recipient: &str,
    judged: &Judged,
    subjects: &[String],
    now: Timestamp,
) -> Result<AuditRecord, StoreError> {
    let action = match judged.outcome {
        Outcome::Send => "mail.sent",
        Outcome::Hold => "mail.held",
        Outcome::Block => "mail.blocked",
    };
    let detail = json!({
        "template": msg.template,
        "purpose": msg.purpose.as_str(),
        "classes": judged.classes.to_names(),
        "subjects": subjects,
        "address_id": record.map(|r| r.id.to_string()),
        "recipient": recipient,
        "registrable_domain": record.map(|r| r.registrable_domain.as_str()),
        "audience": record.map(|r| r.audience().as_str()),
        "rule": judged.rule,
        "reason": (!judged.reason.is_empty()).then_some(judged.reason),
        "transport": (!judged.transport.is_empty()).then_some(judged.transport.as_str()),
        "tls": judged.tls.as_ref().map(|t| json!({"version": t.version, "cipher": t.cipher})),
    });
    let bad = |what: &str| StoreError::Corrupt(format!("audit entry of a message: {what}"));
    Ok(AuditRecord {
        at: now,
        organisation: msg.organisation_id.or(record.map(|r| r.organisation)),
        actor: Actor::System { label: Label::new("outbox").map_err(|_| bad("label"))? },
        action: Action::new(action).map_err(|_| bad("action"))?,
        object: Some(ObjectRef::new("message", &msg.id.to_string()).map_err(|_| bad("object"))?),
        detail: Detail::new(detail).map_err(|_| bad("detail"))?,
    })
}

/// Content-free alerts about a held or blocked message (RS-31): to the organisation's monitored
/// mailbox and to the user who configured the address (the rule's owner), each at their own
/// registry record, so the gate judges the alerts too.
async fn alerts(
    app: &App,
    msg: &OutboxMessage,
    record: Option<&AddressRecord>,
    judged: &Judged,
    now: Timestamp,
) -> Result<Vec<NewMessage>, StoreError> {
    let Some(organisation) = msg.organisation_id.or(record.map(|r| r.organisation)) else { return Ok(Vec::new()) };
    let timezone = organisation_zone(app, organisation).await?;
    let link = format!("{}/staff/mail/held", app.settings.public_url.trim_end_matches('/'));
    let payload = MailPayload::MessageHeld(HeldFacts {
        held_template: msg.template.clone(),
        reason: judged.reason.to_owned(),
        blocked: judged.outcome == Outcome::Block,
        at: now.to_string(),
        timezone,
        link,
    });
    alert_messages(app, organisation, record, &payload).await
}

/// The organisation's time zone name (Copenhagen when unknown).
pub(crate) async fn organisation_zone(
    app: &App,
    organisation: skranke_core::ids::OrganisationId,
) -> Result<String, StoreError> {
    Ok(app
        .store
        .get_organisation(organisation)
        .await?
        .map_or_else(|| "Europe/Copenhagen".to_owned(), |o| o.value.timezone))
}

/// One alert `payload` to each of: the organisation's monitored mailbox and the user who set up
/// `about` — never to `about` itself (it is the problem) and never twice to one address.
pub(crate) async fn alert_messages(
    app: &App,
    organisation: skranke_core::ids::OrganisationId,
    about: Option<&AddressRecord>,
    payload: &MailPayload,
) -> Result<Vec<NewMessage>, StoreError> {
    let mut owners = vec![Owner::new(OwnerKind::Organisation, organisation.as_uuid())];
    if let Some(user) = about.and_then(|r| r.created_by) {
        owners.push(Owner::new(OwnerKind::User, user.as_uuid()));
    }
    let body = serde_json::to_string(payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut out: Vec<NewMessage> = Vec::new();
    for owner in owners {
        let Some(to) = app.store.current_address(owner).await? else { continue };
        if about.is_some_and(|r| r.id == to.id) || out.iter().any(|m| m.address_id == Some(to.id)) {
            continue;
        }
        out.push(NewMessage {
            id: MessageId::from_random_bytes(crate::app::random_bytes()),
            appointment_id: None,
            template: payload.template().to_owned(),
            recipient: to.address.clone(),
            language: Lang::Da,
            payload: body.clone(),
            organisation_id: Some(organisation),
            address_id: Some(to.id),
            purpose: payload.purpose(),
        });
    }
    Ok(out)
}
