//! The audit log: append-only and hash-chained, so that editing, deleting or reordering its rows
//! is detectable.
//!
//! This is the pure part. A use case builds an [`AuditRecord`] (who, when, what, on which object,
//! the old → new values); the store reads the newest [`ChainHead`] (table `audit_head`), calls
//! [`chain`] to get the next [`AuditEntry`], inserts it and moves the head, all in the transaction
//! of the change the entry records. `skranke audit verify` streams the rows in `seq` order through
//! a [`Verifier`] and compares the result with the stored head.
//!
//! # The chain
//!
//! Entries are numbered 1, 2, 3, … without gaps. Entry `n` stores the hash of entry `n − 1`
//! (`prev_hash`; [`ChainHash::GENESIS`], 32 zero bytes, for entry 1) and its own hash
//!
//! ```text
//! hash(n)    = SHA-256( prev_hash (32 bytes) ‖ seq (u64, big-endian) ‖ header(record) ‖ commitment )
//! commitment = SHA-256( "skranke-audit-payload-v2" ‖ 0x00 ‖ salt (16 random bytes) ‖ canonical(detail) )
//! ```
//!
//! so every hash covers every earlier entry.
//!
//! # Erasing a payload (format 2)
//!
//! The chain covers an entry's detail (its *payload*) only through the commitment, which is stored
//! beside the payload and its salt. Erasing the payload and the salt ([`AuditEntry::erase`]) leaves
//! the commitment, so the chain still verifies: who did what, to which object and when stays
//! provable for as long as the log is kept, while the particulars (which may name people) go when
//! retention or a citizen's request says so. The salt is random per entry and goes with the
//! payload, so a commitment left behind cannot be used to confirm a guessed payload (an e-mail
//! address, say). A present payload must match its commitment ([`BreakKind::PayloadMismatch`]).
//!
//! An erased payload is accepted as erased: someone with write access could erase a payload
//! instead of altering it and the chain would not say. It cannot be used to put false particulars
//! in the log, and [`VerifySummary::erased`] counts erased payloads, so an operator can compare
//! it with what retention and erasure requests report (each erasure is itself an audit entry).
//!
//! Entries written before schema v16 are format 1: the detail is hashed as it is
//! ([`chain_inline`]), so their payloads cannot be erased without breaking the chain; the verifier
//! checks both formats in one chain. What the verifier catches, and how it names the first
//! bad entry ([`ChainBreak`]):
//!
//! - an edited field: the entry's hash no longer matches its contents ([`BreakKind::HashMismatch`]);
//! - an edited entry whose hash was recomputed too, a deleted entry whose successors were
//!   renumbered, or rows whose contents were swapped: the next entry does not link to it
//!   ([`BreakKind::PrevMismatch`]);
//! - a deleted entry: its number is missing ([`BreakKind::SeqGap`]), and rows read out of order
//!   show up as [`BreakKind::SeqGap`] or [`BreakKind::OutOfOrder`];
//! - deleted newest entries, which leave a valid but shorter chain: the stored head, moved in the
//!   same transaction as every append, is further along ([`BreakKind::Truncated`],
//!   [`BreakKind::HeadMismatch`], [`BreakKind::BeyondHead`]).
//!
//! What it does **not** protect against: anyone with write access to the database can rewrite the
//! whole chain from the first altered entry onwards and move the head to match; the result verifies.
//! The chain makes such a rewrite *detectable* only against a copy of the head kept elsewhere. So
//! export the head (`seq` and `hash`) periodically to somewhere the database's users cannot write
//! (metrics, the system log, a daily mail): a later head must extend an exported one, which
//! [`Verifier::resume`] checks cheaply from that point.
//!
//! # The canonical encoding
//!
//! Deterministic bytes that do not depend on the database, so an entry stored in SQLite verifies
//! after a move to PostgreSQL, and an auditor can recompute the hashes with any SHA-256 tool.
//! `str` is a u32 big-endian byte length followed by the UTF-8 bytes; `uuid` is its 16 bytes.
//! The header:
//!
//! ```text
//! u8    format version: 1 (inline) or 2 (committed)
//! i64   at: microseconds since 1970-01-01T00:00:00Z, big-endian (sub-microsecond digits are
//!       dropped by `chain`, as the databases store microseconds)
//! u8    organisation: 0 = none (platform-level), 1 = some, followed by its uuid
//! u8    actor: 0 = system, 1 = anonymous, 2 = user, 3 = API token
//!       system: str label; user and API token: uuid, str label; anonymous: nothing
//! str   action
//! u8    object: 0 = none, 1 = some, followed by str kind, str id
//! ```
//!
//! then, in format 2, the 32 bytes of the commitment; in format 1, the detail as `str` of
//! canonical JSON.
//!
//! Canonical JSON: no whitespace; object keys sorted by their UTF-8 bytes; integers in decimal;
//! strings with `"`, `\` and control characters escaped (`\b \f \n \r \t`, else `\u00xx`) and
//! everything else as is. [`Detail`] admits only what has one stable text form: no fractional
//! numbers (write them as strings), at most 16 levels deep and 16 KiB in this form.
//!
//! Every variable-length field is length-prefixed and every optional or variant field is tagged,
//! so two different records never encode to the same bytes.
//!
//! # Example
//!
//! ```
//! use serde_json::json;
//! use skranke_core::audit::{
//!     Action, Actor, AuditRecord, BreakKind, ChainHead, Detail, Label, ObjectRef, PayloadSalt, Verifier,
//!     chain,
//! };
//!
//! let record = AuditRecord {
//!     at: "2026-03-02T09:00:00Z".parse()?,
//!     organisation: None,
//!     actor: Actor::User { id: uuid::Uuid::nil(), label: Label::new("anna@example.dk")? },
//!     action: Action::new("service.update")?,
//!     object: Some(ObjectRef::new("service", "passport")?),
//!     detail: Detail::new(json!({ "duration_minutes": { "old": 20, "new": 25 } }))?,
//! };
//! // The store draws a random salt per entry.
//! let first = chain(ChainHead::GENESIS, record.clone(), PayloadSalt::from_bytes([7; 16]));
//! let second = chain(first.head(), record, PayloadSalt::from_bytes([9; 16]));
//! // The store keeps `second.head()` in `audit_head`.
//!
//! let mut verifier = Verifier::new();
//! verifier.push(&first)?;
//! verifier.push(&second)?;
//! assert_eq!(verifier.finish(second.head())?.entries, 2);
//!
//! // Someone edits entry 1 in the database.
//! let mut edited = first.clone();
//! edited.record.detail = Detail::new(json!({ "duration_minutes": { "old": 20, "new": 15 } }))?;
//! let mut verifier = Verifier::new();
//! let broken = verifier.push(&edited).unwrap_err();
//! assert_eq!((broken.seq, broken.kind), (1, BreakKind::PayloadMismatch));
//! assert_eq!(broken.to_string(), "audit entry 1 was altered: its payload does not match its commitment in the chain");
//!
//! // Retention erases entry 1's payload: the chain still verifies.
//! let mut erased = first.clone();
//! assert!(erased.erase());
//! let mut verifier = Verifier::new();
//! verifier.push(&erased)?;
//! verifier.push(&second)?;
//! assert_eq!(verifier.finish(second.head())?.erased, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ids::OrganisationId;

/// Format 1, the first byte of an entry that hashes its detail as it is (before schema v16).
pub const FORMAT_INLINE: u8 = 1;
/// Format 2, the first byte of an entry that hashes a salted commitment to its detail.
pub const FORMAT_COMMITTED: u8 = 2;
/// The format [`chain`] writes.
pub const FORMAT_VERSION: u8 = FORMAT_COMMITTED;
/// Domain separation of the payload commitment.
const COMMITMENT_PREFIX: &[u8] = b"skranke-audit-payload-v2\0";
/// Longest [`Action`] and object kind, in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 64;
/// Longest object id, in characters.
pub const MAX_OBJECT_ID_CHARS: usize = 128;
/// Longest actor [`Label`], in characters.
pub const MAX_LABEL_CHARS: usize = 256;
/// Largest [`Detail`], in bytes of canonical JSON.
pub const MAX_DETAIL_BYTES: usize = 16 * 1024;
/// Deepest nesting of arrays and objects in a [`Detail`] (the detail object itself is level 1).
pub const MAX_DETAIL_DEPTH: usize = 16;

/// Why a value cannot be part of an audit record. `code()` is stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("an audit action is a dotted lowercase identifier such as `service.update`, at most 64 bytes")]
    InvalidAction,
    #[error("an audit object kind is a lowercase identifier such as `service`, at most 64 bytes")]
    InvalidObjectKind,
    #[error("an audit object id is 1–128 characters without control characters")]
    InvalidObjectId,
    #[error("an actor label is 1–256 characters without control characters")]
    InvalidLabel,
    #[error("an actor is `user` or `api_token` with an id and a label, `system` with a label, or `anonymous`")]
    InvalidActor,
    #[error("audit detail must be a JSON object")]
    DetailNotObject,
    #[error("audit detail must not contain fractional numbers; write them as strings")]
    DetailFraction,
    #[error("audit detail nests deeper than {max} levels")]
    DetailTooDeep { max: usize },
    #[error("audit detail is larger than {max} bytes")]
    DetailTooLarge { max: usize },
    #[error("audit detail is not valid JSON")]
    DetailNotJson,
    #[error("a chain hash is 64 lowercase hexadecimal characters")]
    InvalidHash,
    #[error("a payload salt is 32 lowercase hexadecimal characters")]
    InvalidSalt,
    #[error(
        "an audit payload is format 1 without salt and commitment, or format 2 with a commitment and either a salt and a detail or neither"
    )]
    InvalidPayload,
}

impl AuditError {
    pub const fn code(&self) -> &'static str {
        match self {
            AuditError::InvalidAction => "invalid_action",
            AuditError::InvalidObjectKind => "invalid_object_kind",
            AuditError::InvalidObjectId => "invalid_object_id",
            AuditError::InvalidLabel => "invalid_label",
            AuditError::InvalidActor => "invalid_actor",
            AuditError::DetailNotObject => "detail_not_object",
            AuditError::DetailFraction => "detail_fraction",
            AuditError::DetailTooDeep { .. } => "detail_too_deep",
            AuditError::DetailTooLarge { .. } => "detail_too_large",
            AuditError::DetailNotJson => "detail_not_json",
            AuditError::InvalidHash => "invalid_hash",
            AuditError::InvalidSalt => "invalid_salt",
            AuditError::InvalidPayload => "invalid_payload",
        }
    }
}

/// `[a-z][a-z0-9_]*`, at most [`MAX_IDENTIFIER_LEN`] bytes.
fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_IDENTIFIER_LEN
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// 1..=`max` characters, none of them a control character.
fn is_plain_text(s: &str, max: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// What happened, as a dotted lowercase identifier: `service.update`, `user.sign_in`,
/// `user.sign_in_failed`, `role.grant`, `token.create`, `token.revoke`, `message.sent`.
///
/// `[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+`, at most 64 bytes. Nothing else fits, so an action is safe
/// to put in a URL, a log line or a metric label.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Action(String);

impl Action {
    pub fn new(s: &str) -> Result<Self, AuditError> {
        let ok = s.len() <= MAX_IDENTIFIER_LEN && s.contains('.') && s.split('.').all(is_identifier);
        if ok { Ok(Self(s.to_owned())) } else { Err(AuditError::InvalidAction) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Action {
    type Error = AuditError;
    fn try_from(s: String) -> Result<Self, AuditError> {
        Self::new(&s)
    }
}

impl From<Action> for String {
    fn from(a: Action) -> String {
        a.0
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How an actor is shown: a user's e-mail address, an API token's label, a job's name. 1–256
/// characters without control characters (the store's text columns and log lines stay clean).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl Label {
    pub fn new(s: &str) -> Result<Self, AuditError> {
        if is_plain_text(s, MAX_LABEL_CHARS) { Ok(Self(s.to_owned())) } else { Err(AuditError::InvalidLabel) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Label {
    type Error = AuditError;
    fn try_from(s: String) -> Result<Self, AuditError> {
        if is_plain_text(&s, MAX_LABEL_CHARS) { Ok(Self(s)) } else { Err(AuditError::InvalidLabel) }
    }
}

impl From<Label> for String {
    fn from(l: Label) -> String {
        l.0
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did it. The label is copied into the entry, so the log still says who it was after the
/// account is renamed or deleted.
///
/// A failed sign-in is recorded as [`Actor::Anonymous`]: nobody has proven who they are. When the
/// typed name belongs to an account, the account is the entry's object (`user`, its id); the typed
/// text itself is never recorded.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in staff member.
    User { id: Uuid, label: Label },
    /// A request authenticated by a personal API token; `id` is the token's.
    ApiToken { id: Uuid, label: Label },
    /// Skranke itself: a background job or a CLI command, named by the label (`cli`, `outbox`).
    System { label: Label },
    /// Nobody known, e.g. a failed sign-in. Carries no personal data.
    Anonymous,
}

impl Actor {
    /// The store's `actor_kind`: `user`, `api_token`, `system` or `anonymous`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Actor::User { .. } => "user",
            Actor::ApiToken { .. } => "api_token",
            Actor::System { .. } => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    /// The store's `actor_id`: the user's or the token's id.
    pub const fn id(&self) -> Option<Uuid> {
        match self {
            Actor::User { id, .. } | Actor::ApiToken { id, .. } => Some(*id),
            Actor::System { .. } | Actor::Anonymous => None,
        }
    }

    /// The store's `actor_label`; empty for [`Actor::Anonymous`].
    pub fn label(&self) -> &str {
        match self {
            Actor::User { label, .. } | Actor::ApiToken { label, .. } | Actor::System { label } => label.as_str(),
            Actor::Anonymous => "",
        }
    }

    /// Rebuilds an actor from the store's three columns, the inverse of `kind`, `id` and `label`.
    pub fn from_parts(kind: &str, id: Option<Uuid>, label: &str) -> Result<Self, AuditError> {
        match (kind, id) {
            ("user", Some(id)) => Ok(Actor::User { id, label: Label::new(label)? }),
            ("api_token", Some(id)) => Ok(Actor::ApiToken { id, label: Label::new(label)? }),
            ("system", None) => Ok(Actor::System { label: Label::new(label)? }),
            ("anonymous", None) if label.is_empty() => Ok(Actor::Anonymous),
            _ => Err(AuditError::InvalidActor),
        }
    }
}

/// What the action was done to: a kind (`service`, `user`, `role_grant`, `api_token`, `message`,
/// `setting`; a lowercase identifier without dots) and an id (usually a UUID, or a setting's name;
/// 1–128 characters without control characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ObjectRefParts")]
pub struct ObjectRef {
    kind: String,
    id: String,
}

#[derive(Deserialize)]
struct ObjectRefParts {
    kind: String,
    id: String,
}

impl TryFrom<ObjectRefParts> for ObjectRef {
    type Error = AuditError;
    fn try_from(p: ObjectRefParts) -> Result<Self, AuditError> {
        Self::new(&p.kind, &p.id)
    }
}

impl ObjectRef {
    pub fn new(kind: &str, id: &str) -> Result<Self, AuditError> {
        if !is_identifier(kind) {
            return Err(AuditError::InvalidObjectKind);
        }
        if !is_plain_text(id, MAX_OBJECT_ID_CHARS) {
            return Err(AuditError::InvalidObjectId);
        }
        Ok(Self { kind: kind.to_owned(), id: id.to_owned() })
    }
    pub fn kind(&self) -> &str {
        &self.kind
    }
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The particulars, as a JSON object. For a change, one member per changed field holding the old
/// and the new value: `{"duration_minutes": {"old": 20, "new": 25}}`; for a message,
/// `{"template": "booking_confirmed", "to": "…"}`.
///
/// Only values with one stable text form are admitted (see the module documentation): no
/// fractional numbers, at most [`MAX_DETAIL_DEPTH`] levels, at most [`MAX_DETAIL_BYTES`] of
/// canonical JSON. The store keeps [`Detail::to_canonical_json`] and reads it back with
/// [`Detail::from_json`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct Detail(serde_json::Map<String, serde_json::Value>);

impl Serialize for Detail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl TryFrom<serde_json::Value> for Detail {
    type Error = AuditError;
    fn try_from(v: serde_json::Value) -> Result<Self, AuditError> {
        Self::new(v)
    }
}

impl Detail {
    /// An empty object, for actions that need no particulars.
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn new(value: serde_json::Value) -> Result<Self, AuditError> {
        match value {
            serde_json::Value::Object(map) => Self::from_map(map),
            _ => Err(AuditError::DetailNotObject),
        }
    }

    pub fn from_map(map: serde_json::Map<String, serde_json::Value>) -> Result<Self, AuditError> {
        for v in map.values() {
            check_value(v, 2)?;
        }
        let mut size = Vec::new();
        write_json_object(&mut size, &map);
        if size.len() > MAX_DETAIL_BYTES {
            return Err(AuditError::DetailTooLarge { max: MAX_DETAIL_BYTES });
        }
        Ok(Self(map))
    }

    /// Parses JSON text (the store's `detail` column).
    pub fn from_json(text: &str) -> Result<Self, AuditError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| AuditError::DetailNotJson)?;
        Self::new(value)
    }

    /// The canonical JSON text, exactly the bytes the hash covers.
    pub fn to_canonical_json(&self) -> String {
        let mut out = Vec::new();
        write_json_object(&mut out, &self.0);
        // Built only from `&str` pieces and ASCII, so always UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    pub fn as_map(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }

    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.get(key)
    }

    pub fn into_value(self) -> serde_json::Value {
        serde_json::Value::Object(self.0)
    }
}

/// Rejects fractional numbers and nesting deeper than [`MAX_DETAIL_DEPTH`]; `depth` is the level of
/// `v` (members of the detail object are level 2).
fn check_value(v: &serde_json::Value, depth: usize) -> Result<(), AuditError> {
    use serde_json::Value;
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
        Value::Number(_) => Err(AuditError::DetailFraction),
        Value::Array(_) | Value::Object(_) if depth > MAX_DETAIL_DEPTH => {
            Err(AuditError::DetailTooDeep { max: MAX_DETAIL_DEPTH })
        }
        Value::Array(items) => items.iter().try_for_each(|i| check_value(i, depth + 1)),
        Value::Object(map) => map.values().try_for_each(|i| check_value(i, depth + 1)),
    }
}

fn write_json(out: &mut Vec<u8>, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                write_decimal(out, u, false);
            } else if let Some(i) = n.as_i64() {
                write_decimal(out, i.unsigned_abs(), i < 0);
            } else {
                // Not admitted by `Detail`; written anyway so the encoding stays total.
                out.extend_from_slice(n.to_string().as_bytes());
            }
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_json_object(out, map),
    }
}

fn write_json_object(out: &mut Vec<u8>, map: &serde_json::Map<String, serde_json::Value>) {
    fn member(out: &mut Vec<u8>, first: bool, key: &str, value: &serde_json::Value) {
        if !first {
            out.push(b',');
        }
        write_json_string(out, key);
        out.push(b':');
        write_json(out, value);
    }
    out.push(b'{');
    // serde_json's map is sorted already unless its `preserve_order` feature is on somewhere in the
    // build; only then is there anything to sort (and to allocate).
    if map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b) {
        for (i, (k, v)) in map.iter().enumerate() {
            member(out, i == 0, k, v);
        }
    } else {
        let mut members: Vec<(&String, &serde_json::Value)> = map.iter().collect();
        members.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (i, (k, v)) in members.into_iter().enumerate() {
            member(out, i == 0, k, v);
        }
    }
    out.push(b'}');
}

fn write_decimal(out: &mut Vec<u8>, mut n: u64, negative: bool) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[i..]);
}

fn write_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// What a use case records, before it is chained.
///
/// The searchable fields (`at`, `organisation`, the actor's kind and id, `action`, the object's
/// kind and id) are the store's indexed columns; `detail` holds the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: Timestamp,
    /// `None` for platform-level events (a platform operator's actions, sign-ins of operators).
    pub organisation: Option<OrganisationId>,
    pub actor: Actor,
    pub action: Action,
    pub object: Option<ObjectRef>,
    pub detail: Detail,
}

impl AuditRecord {
    /// The format 1 encoding (header and detail; see the module documentation), for auditors and
    /// tests.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_inline(&mut out);
        out
    }

    /// The format 2 encoding: the header and `commitment`.
    pub fn committed_bytes(&self, commitment: &ChainHash) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_committed(&mut out, commitment);
        out
    }

    fn encode_inline(&self, out: &mut Vec<u8>) {
        self.encode_header(out, FORMAT_INLINE);
        let len_at = out.len();
        out.extend_from_slice(&[0; 4]);
        write_json_object(out, &self.detail.0);
        let len = u32::try_from(out.len() - len_at - 4).unwrap_or(u32::MAX);
        out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
    }

    fn encode_committed(&self, out: &mut Vec<u8>, commitment: &ChainHash) {
        self.encode_header(out, FORMAT_COMMITTED);
        out.extend_from_slice(&commitment.0);
    }

    fn encode_header(&self, out: &mut Vec<u8>, format: u8) {
        fn put_str(out: &mut Vec<u8>, s: &str) {
            // Every field is bounded far below 4 GiB by its type.
            out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out.push(format);
        out.extend_from_slice(&self.at.as_microsecond().to_be_bytes());
        match self.organisation {
            None => out.push(0),
            Some(org) => {
                out.push(1);
                out.extend_from_slice(org.as_uuid().as_bytes());
            }
        }
        match &self.actor {
            Actor::System { label } => {
                out.push(0);
                put_str(out, label.as_str());
            }
            Actor::Anonymous => out.push(1),
            Actor::User { id, label } => {
                out.push(2);
                out.extend_from_slice(id.as_bytes());
                put_str(out, label.as_str());
            }
            Actor::ApiToken { id, label } => {
                out.push(3);
                out.extend_from_slice(id.as_bytes());
                put_str(out, label.as_str());
            }
        }
        put_str(out, self.action.as_str());
        match &self.object {
            None => out.push(0),
            Some(object) => {
                out.push(1);
                put_str(out, &object.kind);
                put_str(out, &object.id);
            }
        }
    }
}

/// Lowercase hexadecimal of `bytes`.
fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// Exactly `2 × N` lowercase hexadecimal characters (what `to_hex` writes; nothing else).
fn from_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if s.len() != 2 * N {
        return None;
    }
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(bytes)
}

/// A SHA-256 hash in the chain. Shown and stored as 64 lowercase hexadecimal characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    /// The `prev_hash` of entry 1: 32 zero bytes.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Parses 64 lowercase hexadecimal characters (what `to_hex` writes; nothing else).
    pub fn from_hex(s: &str) -> Result<Self, AuditError> {
        from_hex(s).map(Self).ok_or(AuditError::InvalidHash)
    }
}

impl std::fmt::Display for ChainHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl std::str::FromStr for ChainHash {
    type Err = AuditError;
    fn from_str(s: &str) -> Result<Self, AuditError> {
        Self::from_hex(s)
    }
}

impl TryFrom<String> for ChainHash {
    type Error = AuditError;
    fn try_from(s: String) -> Result<Self, AuditError> {
        Self::from_hex(&s)
    }
}

impl From<ChainHash> for String {
    fn from(h: ChainHash) -> String {
        h.to_hex()
    }
}

/// The newest entry's number and hash: what `audit_head` stores, and what a periodic export
/// publishes. An empty log's head is [`ChainHead::GENESIS`] (0, 32 zero bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: u64,
    pub hash: ChainHash,
}

impl ChainHead {
    pub const GENESIS: ChainHead = ChainHead { seq: 0, hash: ChainHash::GENESIS };
}

/// The random salt of a format 2 entry's commitment, 16 bytes; shown and stored as 32 lowercase
/// hexadecimal characters. Drawn by the store for each entry (this crate does no I/O).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PayloadSalt([u8; 16]);

impl PayloadSalt {
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }
    /// Parses 32 lowercase hexadecimal characters.
    pub fn from_hex(s: &str) -> Result<Self, AuditError> {
        from_hex(s).map(Self).ok_or(AuditError::InvalidSalt)
    }
}

impl std::fmt::Debug for PayloadSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PayloadSalt({})", self.to_hex())
    }
}

impl TryFrom<String> for PayloadSalt {
    type Error = AuditError;
    fn try_from(s: String) -> Result<Self, AuditError> {
        Self::from_hex(&s)
    }
}

impl From<PayloadSalt> for String {
    fn from(s: PayloadSalt) -> String {
        s.to_hex()
    }
}

/// The commitment to a payload: `SHA-256("skranke-audit-payload-v2" ‖ 0 ‖ salt ‖ canonical(detail))`.
pub fn commitment(salt: &PayloadSalt, detail: &Detail) -> ChainHash {
    let mut buf = Vec::with_capacity(256);
    commitment_into(&mut buf, salt, detail)
}

fn commitment_into(buf: &mut Vec<u8>, salt: &PayloadSalt, detail: &Detail) -> ChainHash {
    buf.clear();
    write_json_object(buf, &detail.0);
    let mut h = Sha256::new();
    h.update(COMMITMENT_PREFIX);
    h.update(salt.0);
    h.update(buf.as_slice());
    ChainHash(h.finalize().into())
}

/// How an entry's detail is bound into the chain, and whether it is still there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Payload {
    /// Format 1 (written before schema v16): the detail is hashed as it is and cannot be erased.
    Inline,
    /// Format 2: the chain covers `commitment`, which the detail and `salt` must reproduce.
    Committed { salt: PayloadSalt, commitment: ChainHash },
    /// Format 2, payload erased: the detail is empty and the salt gone; `commitment` stays.
    Erased { commitment: ChainHash },
}

impl Payload {
    /// The format byte: [`FORMAT_INLINE`] or [`FORMAT_COMMITTED`].
    pub const fn format(&self) -> u8 {
        match self {
            Payload::Inline => FORMAT_INLINE,
            Payload::Committed { .. } | Payload::Erased { .. } => FORMAT_COMMITTED,
        }
    }
    pub const fn commitment(&self) -> Option<ChainHash> {
        match self {
            Payload::Inline => None,
            Payload::Committed { commitment, .. } | Payload::Erased { commitment } => Some(*commitment),
        }
    }
    pub const fn salt(&self) -> Option<PayloadSalt> {
        match self {
            Payload::Committed { salt, .. } => Some(*salt),
            Payload::Inline | Payload::Erased { .. } => None,
        }
    }
    pub const fn is_erased(&self) -> bool {
        matches!(self, Payload::Erased { .. })
    }

    /// Rebuilds the payload state from the store's columns: `format`, `salt` and `commitment`
    /// (hex, absent for format 1) and whether the detail column is empty (erased).
    pub fn from_parts(
        format: u8,
        salt: Option<&str>,
        commitment: Option<&str>,
        erased: bool,
    ) -> Result<Payload, AuditError> {
        match (format, salt, commitment, erased) {
            (FORMAT_INLINE, None, None, false) => Ok(Payload::Inline),
            (FORMAT_COMMITTED, Some(salt), Some(c), false) => {
                Ok(Payload::Committed { salt: PayloadSalt::from_hex(salt)?, commitment: ChainHash::from_hex(c)? })
            }
            (FORMAT_COMMITTED, None, Some(c), true) => Ok(Payload::Erased { commitment: ChainHash::from_hex(c)? }),
            _ => Err(AuditError::InvalidPayload),
        }
    }
}

/// A chained audit record, as stored: one row of `audit_log`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps. (The databases store it as a signed 64-bit integer.)
    pub seq: u64,
    #[serde(flatten)]
    pub record: AuditRecord,
    pub payload: Payload,
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
}

impl AuditEntry {
    /// This entry as the chain's head, to store in `audit_head` after appending it.
    pub const fn head(&self) -> ChainHead {
        ChainHead { seq: self.seq, hash: self.hash }
    }

    /// Erases the payload (the detail and its salt) and keeps the commitment, so the chain still
    /// verifies. `false` for a format 1 entry, whose detail the chain covers directly, and for
    /// one erased already.
    pub fn erase(&mut self) -> bool {
        match self.payload {
            Payload::Committed { commitment, .. } => {
                self.payload = Payload::Erased { commitment };
                self.record.detail = Detail::empty();
                true
            }
            Payload::Inline | Payload::Erased { .. } => false,
        }
    }
}

/// Appends `record` to the chain whose newest entry is `head` ([`ChainHead::GENESIS`] for an empty
/// log) in format 2: the result has the next number, links to `head`, commits to the detail under
/// `salt` (random, drawn by the caller per entry), and is hashed.
///
/// `record.at` is cut to whole microseconds, the precision the databases keep, so the stored
/// entry is exactly what was hashed.
pub fn chain(head: ChainHead, record: AuditRecord, salt: PayloadSalt) -> AuditEntry {
    let commitment = commitment(&salt, &record.detail);
    chain_with(head, record, Payload::Committed { salt, commitment })
}

/// [`chain`] in format 1, as Skranke wrote entries before schema v16: the detail is hashed as it
/// is. For tests of logs written then, and for auditors' tools.
pub fn chain_inline(head: ChainHead, record: AuditRecord) -> AuditEntry {
    chain_with(head, record, Payload::Inline)
}

fn chain_with(head: ChainHead, mut record: AuditRecord, payload: Payload) -> AuditEntry {
    record.at = Timestamp::from_microsecond(record.at.as_microsecond()).unwrap_or(record.at);
    // `u64::MAX` entries cannot exist (the databases' column is signed 64-bit); were it ever
    // reached, the repeated number would be refused by the primary key.
    let seq = head.seq.saturating_add(1);
    let mut buf = Vec::with_capacity(256);
    let hash = entry_hash(&mut buf, &head.hash, seq, &record, &payload);
    AuditEntry { seq, record, payload, prev_hash: head.hash, hash }
}

/// `SHA-256(prev ‖ seq ‖ encoding)`, the encoding of `payload`'s format written into `buf` (reused
/// between calls).
fn entry_hash(buf: &mut Vec<u8>, prev: &ChainHash, seq: u64, record: &AuditRecord, payload: &Payload) -> ChainHash {
    buf.clear();
    match payload.commitment() {
        None => record.encode_inline(buf),
        Some(c) => record.encode_committed(buf, &c),
    }
    let mut h = Sha256::new();
    h.update(prev.0);
    h.update(seq.to_be_bytes());
    h.update(buf.as_slice());
    ChainHash(h.finalize().into())
}

/// How the chain is broken at [`ChainBreak::seq`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakKind {
    /// The entry's stored hash does not match its contents: it was edited.
    HashMismatch,
    /// The entry's payload (detail) does not match the commitment the chain covers: the payload
    /// was edited. (An erased payload has nothing to match and is accepted.)
    PayloadMismatch,
    /// The entry's `prev_hash` is not the previous entry's hash: an entry before it was deleted
    /// (and the rest renumbered) or rewritten, or rows were swapped.
    PrevMismatch,
    /// This number is missing; `found` came next. Entries were deleted (or read out of order).
    SeqGap { found: u64 },
    /// This number was expected but the lower `found` came: rows out of order or duplicated.
    OutOfOrder { found: u64 },
    /// The chain ends before the recorded head `recorded_seq`: the newest entries were deleted.
    Truncated { recorded_seq: u64 },
    /// The chain ends at the recorded head's number with another hash: the newest entry (or the
    /// head) was rewritten.
    HeadMismatch,
    /// The chain goes on past the recorded head `recorded_seq`: entries were added without moving
    /// the head, i.e. not by Skranke's append.
    BeyondHead { recorded_seq: u64 },
}

impl BreakKind {
    pub const fn code(&self) -> &'static str {
        match self {
            BreakKind::HashMismatch => "hash_mismatch",
            BreakKind::PayloadMismatch => "payload_mismatch",
            BreakKind::PrevMismatch => "prev_mismatch",
            BreakKind::SeqGap { .. } => "seq_gap",
            BreakKind::OutOfOrder { .. } => "out_of_order",
            BreakKind::Truncated { .. } => "truncated",
            BreakKind::HeadMismatch => "head_mismatch",
            BreakKind::BeyondHead { .. } => "beyond_head",
        }
    }
}

/// The first place where the chain is broken: the number of the first bad (or missing) entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainBreak {
    pub seq: u64,
    #[serde(flatten)]
    pub kind: BreakKind,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq;
        match self.kind {
            BreakKind::HashMismatch => {
                write!(f, "audit entry {seq} was altered: its hash does not match its contents")
            }
            BreakKind::PayloadMismatch => {
                write!(f, "audit entry {seq} was altered: its payload does not match its commitment in the chain")
            }
            BreakKind::PrevMismatch if seq <= 1 => {
                write!(f, "audit entry {seq} does not start the chain: entries before it were deleted or replaced")
            }
            BreakKind::PrevMismatch => write!(
                f,
                "audit entry {seq} does not follow entry {}: an entry was deleted or replaced, or rows were reordered",
                seq - 1
            ),
            BreakKind::SeqGap { found } if found == seq + 1 => {
                write!(f, "audit entry {seq} is missing (entry {found} comes next): it was deleted")
            }
            BreakKind::SeqGap { found } => {
                write!(f, "audit entries {seq}–{} are missing (entry {found} comes next): they were deleted", found - 1)
            }
            BreakKind::OutOfOrder { found } => {
                write!(f, "audit entry {seq} expected, entry {found} found: rows are out of order or repeated")
            }
            BreakKind::Truncated { recorded_seq } if recorded_seq == seq => {
                write!(f, "audit entry {seq} is missing: the log ends before its recorded head; it was deleted")
            }
            BreakKind::Truncated { recorded_seq } => write!(
                f,
                "audit entries {seq}–{recorded_seq} are missing: the log ends before its recorded head; \
                 the newest entries were deleted"
            ),
            BreakKind::HeadMismatch => write!(
                f,
                "audit entry {seq} does not match the recorded head: the newest entry or the head was rewritten"
            ),
            BreakKind::BeyondHead { recorded_seq } => write!(
                f,
                "audit entry {seq} lies beyond the recorded head (entry {recorded_seq}): it was not appended by Skranke"
            ),
        }
    }
}

impl std::error::Error for ChainBreak {}

/// The result of a successful verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifySummary {
    /// Entries checked (since the resume point, if any).
    pub entries: u64,
    /// Of those, entries whose payload was erased (by retention or on request).
    pub erased: u64,
    /// The verified newest entry, to compare with an exported head or to resume from next time.
    pub head: ChainHead,
}

/// Checks a chain streamed in `seq` order, one entry at a time, in constant memory and without
/// allocating per entry.
///
/// The first break is remembered: later `push` calls and `finish` return it again, so a caller
/// that keeps going after an error still ends with the first bad entry.
#[derive(Debug)]
pub struct Verifier {
    head: ChainHead,
    entries: u64,
    erased: u64,
    broken: Option<ChainBreak>,
    buf: Vec<u8>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// Verifies from the first entry.
    pub fn new() -> Self {
        Self::resume(ChainHead::GENESIS)
    }

    /// Verifies the entries after `from`, a head checked before (or exported). The first pushed
    /// entry must be `from.seq + 1` and link to `from.hash`; so a log rewritten anywhere up to
    /// `from` fails here even if it is consistent in itself.
    pub fn resume(from: ChainHead) -> Self {
        Self { head: from, entries: 0, erased: 0, broken: None, buf: Vec::with_capacity(1024) }
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if let Some(broken) = self.broken {
            return Err(broken);
        }
        let result = self.check(entry);
        match result {
            Ok(()) => {
                self.head = entry.head();
                self.entries += 1;
                self.erased += u64::from(entry.payload.is_erased());
            }
            Err(broken) => self.broken = Some(broken),
        }
        result
    }

    fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let expected = self.head.seq.checked_add(1);
        let Some(expected) = expected.filter(|e| *e == entry.seq) else {
            let seq = expected.unwrap_or(u64::MAX);
            let kind = if entry.seq > seq {
                BreakKind::SeqGap { found: entry.seq }
            } else {
                BreakKind::OutOfOrder { found: entry.seq }
            };
            return Err(ChainBreak { seq, kind });
        };
        if entry.prev_hash != self.head.hash {
            return Err(ChainBreak { seq: expected, kind: BreakKind::PrevMismatch });
        }
        let payload_matches = match &entry.payload {
            Payload::Inline => true,
            Payload::Committed { salt, commitment } => {
                commitment_into(&mut self.buf, salt, &entry.record.detail) == *commitment
            }
            Payload::Erased { .. } => entry.record.detail.as_map().is_empty(),
        };
        if !payload_matches {
            return Err(ChainBreak { seq: expected, kind: BreakKind::PayloadMismatch });
        }
        if entry_hash(&mut self.buf, &entry.prev_hash, entry.seq, &entry.record, &entry.payload) != entry.hash {
            return Err(ChainBreak { seq: expected, kind: BreakKind::HashMismatch });
        }
        Ok(())
    }

    /// The newest entry verified so far.
    pub const fn head(&self) -> ChainHead {
        self.head
    }

    /// Ends the stream and compares its end with `recorded`, the head stored beside the log
    /// (`audit_head`; [`ChainHead::GENESIS`] for an empty log). Without this comparison, deleting
    /// the newest entries would go unnoticed.
    pub fn finish(self, recorded: ChainHead) -> Result<VerifySummary, ChainBreak> {
        if let Some(broken) = self.broken {
            return Err(broken);
        }
        let last = self.head;
        let kind = match last.seq.cmp(&recorded.seq) {
            std::cmp::Ordering::Less => {
                return Err(ChainBreak {
                    seq: last.seq + 1,
                    kind: BreakKind::Truncated { recorded_seq: recorded.seq },
                });
            }
            std::cmp::Ordering::Greater => BreakKind::BeyondHead { recorded_seq: recorded.seq },
            std::cmp::Ordering::Equal if last.hash != recorded.hash => BreakKind::HeadMismatch,
            std::cmp::Ordering::Equal => {
                return Ok(VerifySummary { entries: self.entries, erased: self.erased, head: last });
            }
        };
        let seq = if matches!(kind, BreakKind::HeadMismatch) { last.seq } else { recorded.seq + 1 };
        Err(ChainBreak { seq, kind })
    }

    /// Ends the stream without a recorded head, e.g. for an exported copy of the log. Deleted
    /// newest entries are **not** detected this way; compare the summary's head with one kept
    /// elsewhere.
    pub fn finish_unanchored(self) -> Result<VerifySummary, ChainBreak> {
        match self.broken {
            Some(broken) => Err(broken),
            None => Ok(VerifySummary { entries: self.entries, erased: self.erased, head: self.head }),
        }
    }
}

/// Verifies a whole chain held in memory against the recorded head: [`Verifier`] in one call.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    recorded: ChainHead,
) -> Result<VerifySummary, ChainBreak> {
    let mut verifier = Verifier::new();
    for entry in entries {
        verifier.push(entry)?;
    }
    verifier.finish(recorded)
}

#[cfg(test)]
mod tests;
