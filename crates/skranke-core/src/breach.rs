//! Breach scoping (RS-50, RS-51; GDPR Art. 33 and 34): from the messages delivered to one address
//! or domain in a window, who was affected, with which data, how often, and when.
//!
//! Pure: storage hands over messages already grouped by subject, recipient and data classes
//! ([`ScopeRow`]) and what it knows about each subject ([`SubjectInfo`]); [`aggregate`] turns them
//! into the [`Scope`] the CLI, the page and the drafts show. The grouping keeps a scope over a
//! large domain to a few rows per subject, whatever the number of messages.

pub mod case;

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::ids::{AppointmentId, VisitId};
use crate::notify::{DataClass, DataClasses};

/// Why a scope request cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// `from` lies after `to`.
    #[error("the window starts after it ends")]
    WindowReversed,
}

impl ScopeError {
    /// Stable code for the catalogues and the API.
    pub const fn code(self) -> &'static str {
        match self {
            ScopeError::WindowReversed => "window_reversed",
        }
    }
}

/// What a scope looks for: one mailbox, or every mailbox of a registrable domain. The app layer
/// normalises both (lowercase, A-label domain) before they get here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Address(String),
    Domain(String),
}

impl Target {
    pub const fn kind(&self) -> &'static str {
        match self {
            Target::Address(_) => "address",
            Target::Domain(_) => "domain",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Target::Address(v) | Target::Domain(v) => v,
        }
    }
}

/// The time window of a scope: both ends optional, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    from: Option<Timestamp>,
    to: Option<Timestamp>,
}

impl Window {
    /// # Errors
    /// [`ScopeError::WindowReversed`] when `from` is after `to`.
    pub fn new(from: Option<Timestamp>, to: Option<Timestamp>) -> Result<Window, ScopeError> {
        match (from, to) {
            (Some(f), Some(t)) if f > t => Err(ScopeError::WindowReversed),
            _ => Ok(Window { from, to }),
        }
    }

    pub const fn from(&self) -> Option<Timestamp> {
        self.from
    }

    pub const fn to(&self) -> Option<Timestamp> {
        self.to
    }

    /// Whether `at` lies in the window.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at < t)
    }
}

/// The person a message was about. A visit that came from a booking is the booking's citizen;
/// a walk-in visit is an anonymous visitor known only by ticket and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectRef {
    Appointment(AppointmentId),
    Visit(VisitId),
}

impl SubjectRef {
    /// `appointment:<id>` or `visit:<id>`, as the outbox and the audit log name subjects.
    pub fn key(&self) -> String {
        match self {
            SubjectRef::Appointment(id) => format!("appointment:{id}"),
            SubjectRef::Visit(id) => format!("visit:{id}"),
        }
    }

    /// Parses [`SubjectRef::key`].
    pub fn parse(key: &str) -> Option<SubjectRef> {
        let (kind, id) = key.split_once(':')?;
        let id: uuid::Uuid = id.parse().ok()?;
        match kind {
            "appointment" => Some(SubjectRef::Appointment(AppointmentId::from_uuid(id))),
            "visit" => Some(SubjectRef::Visit(VisitId::from_uuid(id))),
            _ => None,
        }
    }
}

/// What Skranke still holds about a subject. Fields are `None` once retention has anonymised
/// them: the subject is then counted, with its categories, but cannot be named or written to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectInfo {
    pub name: Option<String>,
    pub email: Option<String>,
    /// The booking reference (appointments) or the ticket and day (walk-in visits).
    pub reference: Option<String>,
}

/// Delivered messages to one recipient about one subject (or none) with one set of data classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRow {
    pub subject: Option<SubjectRef>,
    /// The address, as far as it is still held: `@domain` once retention has blanked it.
    pub recipient: String,
    /// The recipient's keyed pseudonym (messages to anyone outside the organisation since schema
    /// v17), through which the audit's mapping can still name an address retention has blanked.
    pub pseudonym: Option<String>,
    pub classes: DataClasses,
    pub messages: u64,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// One affected data subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    pub subject: SubjectRef,
    pub info: SubjectInfo,
    pub messages: u64,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Every class any of the subject's messages carried.
    pub classes: DataClasses,
    /// The addresses that received messages about the subject.
    pub recipients: Vec<String>,
}

impl Affected {
    /// Whether the subject can be told (Art. 34): a name or an address is still held.
    pub fn reachable(&self) -> bool {
        self.info.email.is_some()
    }
}

/// The answer to "who got what, when".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Delivered messages in the scope, with or without a subject.
    pub messages: u64,
    /// Of those, messages about no citizen (operational notes, codes, alerts).
    pub messages_without_subject: u64,
    /// Affected subjects, most messages first, then earliest first.
    pub subjects: Vec<Affected>,
    /// Every class any message carried.
    pub classes: DataClasses,
    /// Per personal data class, how many subjects had it disclosed.
    pub subjects_per_class: Vec<(DataClass, u64)>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// The distinct addresses that received the messages.
    pub recipients: Vec<String>,
}

impl Scope {
    /// Whether nothing at all was delivered in the scope.
    pub fn is_empty(&self) -> bool {
        self.messages == 0
    }

    /// Subjects that can be written to, and those that cannot (anonymised since, or walk-in
    /// visitors Skranke never knew by name).
    pub fn reachable_count(&self) -> (u64, u64) {
        let reachable = self.subjects.iter().filter(|s| s.reachable()).count() as u64;
        (reachable, self.subjects.len() as u64 - reachable)
    }

    /// Walk-in visitors among the subjects: known by ticket and day only, never by name.
    pub fn walk_ins(&self) -> u64 {
        self.subjects.iter().filter(|s| matches!(s.subject, SubjectRef::Visit(_))).count() as u64
    }

    /// Booked citizens of whom nothing identifying is held any more (retention anonymised them).
    pub fn anonymised(&self) -> u64 {
        self.subjects
            .iter()
            .filter(|s| {
                matches!(s.subject, SubjectRef::Appointment(_)) && s.info.name.is_none() && s.info.email.is_none()
            })
            .count() as u64
    }
}

/// Folds storage's grouped rows and subject details into a [`Scope`]. `info` returns what is
/// still held about a subject (`None`: nothing, e.g. erased).
pub fn aggregate(
    rows: impl IntoIterator<Item = ScopeRow>,
    mut info: impl FnMut(&SubjectRef) -> Option<SubjectInfo>,
) -> Scope {
    let mut scope = Scope::default();
    let mut by_subject: BTreeMap<SubjectRef, Affected> = BTreeMap::new();
    let mut recipients = std::collections::BTreeSet::new();
    for row in rows {
        if row.messages == 0 {
            continue;
        }
        scope.messages += row.messages;
        scope.classes = scope.classes.union(row.classes);
        scope.first = Some(scope.first.map_or(row.first, |f| f.min(row.first)));
        scope.last = Some(scope.last.map_or(row.last, |l| l.max(row.last)));
        recipients.insert(row.recipient.clone());
        let Some(subject) = row.subject else {
            scope.messages_without_subject += row.messages;
            continue;
        };
        let entry = by_subject.entry(subject).or_insert_with(|| Affected {
            subject,
            info: SubjectInfo::default(),
            messages: 0,
            first: row.first,
            last: row.last,
            classes: DataClasses::EMPTY,
            recipients: Vec::new(),
        });
        entry.messages += row.messages;
        entry.first = entry.first.min(row.first);
        entry.last = entry.last.max(row.last);
        entry.classes = entry.classes.union(row.classes);
        if !entry.recipients.contains(&row.recipient) {
            entry.recipients.push(row.recipient);
        }
    }
    let mut subjects: Vec<Affected> = by_subject.into_values().collect();
    for s in &mut subjects {
        s.info = info(&s.subject).unwrap_or_default();
        s.recipients.sort();
    }
    subjects.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.first.cmp(&b.first)).then(a.subject.cmp(&b.subject)));
    scope.subjects_per_class = DataClass::ALL
        .into_iter()
        .filter(|c| c.is_personal())
        .map(|c| (c, subjects.iter().filter(|s| s.classes.contains(c)).count() as u64))
        .filter(|(_, n)| *n > 0)
        .collect();
    scope.subjects = subjects;
    scope.recipients = recipients.into_iter().collect();
    scope
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn row(subject: Option<SubjectRef>, to: &str, classes: &[DataClass], n: u64, first: &str, last: &str) -> ScopeRow {
        ScopeRow {
            subject,
            recipient: to.into(),
            pseudonym: None,
            classes: DataClasses::of(classes),
            messages: n,
            first: ts(first),
            last: ts(last),
        }
    }

    #[test]
    fn a_reversed_window_is_refused_and_ends_are_half_open() {
        let (a, b) = (ts("2026-01-01T00:00:00Z"), ts("2026-02-01T00:00:00Z"));
        assert_eq!(Window::new(Some(b), Some(a)), Err(ScopeError::WindowReversed));
        let w = Window::new(Some(a), Some(b)).unwrap();
        assert!(w.contains(a) && !w.contains(b));
        assert!(Window::default().contains(a));
        assert!(Window::new(Some(a), Some(a)).is_ok(), "an empty window is allowed (finds nothing)");
    }

    #[test]
    fn subject_keys_round_trip_and_junk_is_refused() {
        let a = SubjectRef::Appointment(AppointmentId::from_uuid(uuid::Uuid::from_u128(7)));
        let v = SubjectRef::Visit(VisitId::from_uuid(uuid::Uuid::from_u128(9)));
        for s in [a, v] {
            assert_eq!(SubjectRef::parse(&s.key()), Some(s));
        }
        for junk in ["", "visit", "visit:", "visit:12", "user:00000000-0000-0000-0000-000000000007"] {
            assert_eq!(SubjectRef::parse(junk), None, "{junk}");
        }
    }

    #[test]
    fn rows_fold_into_subjects_with_counts_dates_and_classes() {
        use DataClass::*;
        let a = SubjectRef::Appointment(AppointmentId::from_uuid(uuid::Uuid::from_u128(1)));
        let b = SubjectRef::Appointment(AppointmentId::from_uuid(uuid::Uuid::from_u128(2)));
        let rows = vec![
            row(
                Some(a),
                "x@fred.dk",
                &[Appointment, BookingReference],
                3,
                "2017-03-01T09:00:00Z",
                "2018-01-01T09:00:00Z",
            ),
            row(Some(a), "x@fred.dk", &[Appointment, ServiceName], 1, "2016-12-01T09:00:00Z", "2016-12-01T09:00:00Z"),
            row(Some(b), "y@fred.dk", &[Operational], 2, "2019-05-01T09:00:00Z", "2019-06-01T09:00:00Z"),
            row(None, "x@fred.dk", &[Operational], 4, "2015-01-01T09:00:00Z", "2015-01-02T09:00:00Z"),
        ];
        let scope =
            aggregate(rows, |s| (*s == a).then(|| SubjectInfo { name: Some("Anna".into()), ..Default::default() }));
        assert_eq!(scope.messages, 10);
        assert_eq!(scope.messages_without_subject, 4);
        assert_eq!(scope.subjects.len(), 2);
        let first = &scope.subjects[0];
        assert_eq!((first.subject, first.messages), (a, 4));
        assert_eq!(first.first, ts("2016-12-01T09:00:00Z"));
        assert_eq!(first.last, ts("2018-01-01T09:00:00Z"));
        assert_eq!(first.classes, DataClasses::of(&[Appointment, BookingReference, ServiceName]));
        assert_eq!(first.info.name.as_deref(), Some("Anna"));
        assert_eq!(scope.subjects[1].info, SubjectInfo::default(), "nothing held: counted, not named");
        assert_eq!(scope.first, Some(ts("2015-01-01T09:00:00Z")));
        assert_eq!(scope.last, Some(ts("2019-06-01T09:00:00Z")));
        assert_eq!(scope.recipients, vec!["x@fred.dk".to_owned(), "y@fred.dk".to_owned()]);
        assert_eq!(scope.subjects_per_class, vec![(Appointment, 1), (BookingReference, 1), (ServiceName, 1)]);
        assert_eq!(scope.reachable_count(), (0, 2));
    }

    #[test]
    fn nothing_found_is_an_empty_scope() {
        let scope = aggregate(Vec::new(), |_| None);
        assert!(scope.is_empty());
        assert!(scope.subjects.is_empty() && scope.first.is_none());
    }
}
