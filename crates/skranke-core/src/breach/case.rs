//! A breach case (issue 7, point 2; GDPR Art. 33): when the organisation became aware, the
//! 72-hour deadline that follows, the phased updates (Art. 33(4)), the decision — notified, or
//! judged not notifiable with the reasoning Art. 33(5) requires to be documented — and the
//! scoping runs made for it. Pure: the clock comes in as `now`.

use jiff::{SignedDuration, Timestamp};

use crate::text::TextError;

/// Art. 33(1): notify "where feasible, not later than 72 hours after having become aware".
pub const DEADLINE: SignedDuration = SignedDuration::from_hours(72);

/// Longest title (one line).
pub const TITLE_MAX: usize = 200;
/// Longest update or reasoning.
pub const TEXT_MAX: usize = 10_000;
/// The shortest reasoning accepted for "not notifiable": a word or two is not a reasoning.
pub const REASONING_MIN: usize = 20;
/// How far in the future an awareness time may lie (clock skew between a laptop and the server).
pub const FUTURE_TOLERANCE: SignedDuration = SignedDuration::from_mins(5);

/// Why a case field was refused; `code()` is the catalogue key `error.<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("invalid text: {0}")]
    Text(TextError),
    #[error("the moment of awareness lies in the future")]
    AwareInFuture,
    #[error("the reasoning is too short")]
    ReasoningTooShort,
    #[error("the case is decided already")]
    AlreadyDecided,
}

impl CaseError {
    pub const fn code(self) -> &'static str {
        match self {
            CaseError::Text(e) => e.code(),
            CaseError::AwareInFuture => "breach_aware_future",
            CaseError::ReasoningTooShort => "breach_reasoning_short",
            CaseError::AlreadyDecided => "breach_decided",
        }
    }
}

/// Text a person typed over several lines: trimmed, `\r\n` made `\n`, no other control
/// characters, not empty, at most `max` characters.
///
/// # Errors
/// [`TextError`] naming the rule.
pub fn clean_text(raw: &str, max: usize) -> Result<String, TextError> {
    let text = raw.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(TextError::ControlCharacter);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(text.to_owned())
}

/// A case as opened: its title and the moment the organisation became aware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub title: String,
    pub aware_at: Timestamp,
}

impl Opening {
    /// # Errors
    /// An empty, too long or control-character title; an awareness time after `now`.
    pub fn new(title: &str, aware_at: Timestamp, now: Timestamp) -> Result<Opening, CaseError> {
        let title = crate::text::clean_line(title, TITLE_MAX).map_err(CaseError::Text)?;
        if aware_at > now + FUTURE_TOLERANCE {
            return Err(CaseError::AwareInFuture);
        }
        Ok(Opening { title, aware_at })
    }
}

/// The decision on notifying the Data Protection Agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Notified; `reference` is the authority's case number or the receipt, when known.
    Notified { reference: Option<String> },
    /// Judged unlikely to result in a risk to the rights and freedoms of natural persons
    /// (Art. 33(1)); the reasoning is documented (Art. 33(5)).
    NotNotifiable { reasoning: String },
}

impl Decision {
    pub const fn kind(&self) -> &'static str {
        match self {
            Decision::Notified { .. } => "notified",
            Decision::NotNotifiable { .. } => "not_notifiable",
        }
    }

    /// # Errors
    /// A reference that is not one clean line of at most 200 characters.
    pub fn notified(reference: &str) -> Result<Decision, CaseError> {
        let reference = if reference.trim().is_empty() {
            None
        } else {
            Some(crate::text::clean_line(reference, TITLE_MAX).map_err(CaseError::Text)?)
        };
        Ok(Decision::Notified { reference })
    }

    /// # Errors
    /// Reasoning that is missing, shorter than [`REASONING_MIN`] or not clean text.
    pub fn not_notifiable(reasoning: &str) -> Result<Decision, CaseError> {
        let reasoning = clean_text(reasoning, TEXT_MAX).map_err(CaseError::Text)?;
        if reasoning.chars().count() < REASONING_MIN {
            return Err(CaseError::ReasoningTooShort);
        }
        Ok(Decision::NotNotifiable { reasoning })
    }
}

/// Where a case stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Countdown {
    /// Time left until the deadline.
    Remaining(SignedDuration),
    /// The deadline passed this long ago without a decision: a late notification must give the
    /// reasons for the delay (Art. 33(1)).
    Overdue(SignedDuration),
    /// Decided; the deadline no longer runs.
    Decided,
}

/// The deadline of a case.
pub fn deadline(aware_at: Timestamp) -> Timestamp {
    aware_at + DEADLINE
}

/// The countdown at `now`.
pub fn countdown(aware_at: Timestamp, decided: bool, now: Timestamp) -> Countdown {
    if decided {
        return Countdown::Decided;
    }
    let left = deadline(aware_at).duration_since(now);
    if left.is_negative() { Countdown::Overdue(-left) } else { Countdown::Remaining(left) }
}

/// Whether a decision may be recorded: once only. A later correction is an update, so the record
/// shows what was decided when.
///
/// # Errors
/// [`CaseError::AlreadyDecided`].
pub fn may_decide(decided: bool) -> Result<(), CaseError> {
    if decided { Err(CaseError::AlreadyDecided) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_deadline_counts_down_then_is_overdue_then_stops_when_decided() {
        let aware = ts("2026-03-28T10:00:00Z"); // the DST weekend: 72 hours are 72 hours of UTC
        assert_eq!(deadline(aware), ts("2026-03-31T10:00:00Z"));
        assert_eq!(
            countdown(aware, false, ts("2026-03-28T11:00:00Z")),
            Countdown::Remaining(SignedDuration::from_hours(71))
        );
        assert_eq!(countdown(aware, false, ts("2026-03-31T10:00:00Z")), Countdown::Remaining(SignedDuration::ZERO));
        assert_eq!(
            countdown(aware, false, ts("2026-03-31T12:30:00Z")),
            Countdown::Overdue(SignedDuration::from_mins(150))
        );
        assert_eq!(countdown(aware, true, ts("2026-04-30T00:00:00Z")), Countdown::Decided);
    }

    #[test]
    fn an_opening_needs_a_title_and_a_past_awareness() {
        let now = ts("2026-03-28T10:00:00Z");
        assert!(Opening::new("Mails til fred.dk", ts("2026-03-27T09:00:00Z"), now).is_ok());
        assert_eq!(Opening::new("  ", now, now), Err(CaseError::Text(TextError::Empty)));
        assert_eq!(Opening::new("a\u{7}b", now, now), Err(CaseError::Text(TextError::ControlCharacter)));
        assert_eq!(Opening::new(&"x".repeat(201), now, now), Err(CaseError::Text(TextError::TooLong { max: 200 })));
        assert_eq!(Opening::new("t", now + SignedDuration::from_hours(1), now), Err(CaseError::AwareInFuture));
        assert!(Opening::new("t", now + SignedDuration::from_mins(4), now).is_ok(), "clock skew tolerated");
    }

    #[test]
    fn not_notifiable_needs_a_reasoning() {
        assert_eq!(Decision::not_notifiable("lav risiko"), Err(CaseError::ReasoningTooShort));
        assert_eq!(Decision::not_notifiable(""), Err(CaseError::Text(TextError::Empty)));
        let d = Decision::not_notifiable("Modtageren er en anden kommune,\r\nder har slettet mailen.").unwrap();
        assert_eq!(
            d,
            Decision::NotNotifiable { reasoning: "Modtageren er en anden kommune,\nder har slettet mailen.".into() }
        );
        assert_eq!(Decision::notified("").unwrap(), Decision::Notified { reference: None });
        assert_eq!(
            Decision::notified(" 2026-123-4567 ").unwrap(),
            Decision::Notified { reference: Some("2026-123-4567".into()) }
        );
        assert_eq!(may_decide(true), Err(CaseError::AlreadyDecided));
        assert_eq!(may_decide(false), Ok(()));
    }

    #[test]
    fn text_keeps_lines_and_refuses_other_controls() {
        assert_eq!(clean_text(" a\r\nb ", 10).unwrap(), "a\nb");
        assert_eq!(clean_text("a\u{0}b", 10), Err(TextError::ControlCharacter));
        assert_eq!(clean_text("abc", 2), Err(TextError::TooLong { max: 2 }));
    }
}
