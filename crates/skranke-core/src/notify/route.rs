//! Routing rules (issue 6, point 3): for each event that may cause mail, which recipients are told.
//!
//! The table is configuration of an organisation. Only the combinations that make sense exist
//! ([`applies`]): a citizen hears about their own booking, never about another citizen's
//! transfer; a shared mailbox hears operational facts about visits. Where an organisation has
//! set nothing, [`RouteTable::default`] holds: the citizen gets booking mail and a reminder the
//! day before, and a transfer tells the target queue's shared mailbox. Changing a route needs a
//! second administrator (RS-60); that is the adapter's business, the table only answers.
//!
//! ```
//! use skranke_core::notify::route::{Event, Recipient, RouteTable};
//!
//! let mut table = RouteTable::default();
//! assert!(table.enabled(Event::Transfer, Recipient::QueueMailbox));
//! assert!(!table.enabled(Event::Arrival, Recipient::AssignedStaff));
//! table.set(Event::Arrival, Recipient::AssignedStaff, true)?;
//! assert_eq!(table.recipients(Event::Arrival), vec![Recipient::AssignedStaff]);
//! // A citizen is never told about a transfer.
//! assert!(table.set(Event::Transfer, Recipient::Citizen, true).is_err());
//! # Ok::<(), skranke_core::notify::route::NotApplicable>(())
//! ```

use std::fmt;

/// Something that happened and may cause mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// A booking was confirmed (the citizen typed back the code).
    BookingCreated,
    BookingCancelled,
    BookingMoved,
    /// A confirmed booking is due soon (default: the day before).
    Reminder,
    /// A citizen checked in, or took a ticket.
    Arrival,
    /// A visit was moved to another queue or centre.
    Transfer,
    /// A called or booked citizen did not come.
    NoShow,
}

/// Who is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recipient {
    /// The citizen, at the address proven in the booking flow.
    Citizen,
    /// The staff member the appointment is booked with, at their own proven address.
    AssignedStaff,
    /// The shared mailbox of the (target) queue; the centre's when the queue has none.
    QueueMailbox,
    /// The shared mailbox of the (target) centre.
    CentreMailbox,
}

impl Event {
    pub const ALL: [Event; 7] = [
        Event::BookingCreated,
        Event::BookingCancelled,
        Event::BookingMoved,
        Event::Reminder,
        Event::Arrival,
        Event::Transfer,
        Event::NoShow,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Event::BookingCreated => "booking_created",
            Event::BookingCancelled => "booking_cancelled",
            Event::BookingMoved => "booking_moved",
            Event::Reminder => "reminder",
            Event::Arrival => "arrival",
            Event::Transfer => "transfer",
            Event::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl Recipient {
    pub const ALL: [Recipient; 4] =
        [Recipient::Citizen, Recipient::AssignedStaff, Recipient::QueueMailbox, Recipient::CentreMailbox];

    pub const fn as_str(self) -> &'static str {
        match self {
            Recipient::Citizen => "citizen",
            Recipient::AssignedStaff => "assigned_staff",
            Recipient::QueueMailbox => "queue_mailbox",
            Recipient::CentreMailbox => "centre_mailbox",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this recipient is a citizen (personal data about themselves) rather than staff
    /// (operational facts only, RS-01).
    pub const fn is_citizen(self) -> bool {
        matches!(self, Recipient::Citizen)
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a route from `event` to `recipient` can exist at all.
///
/// - The citizen hears about their own booking and, if configured, a missed appointment; never
///   about arrivals or transfers (staff business).
/// - The assigned staff member hears about an arrival or a no-show of their appointment.
/// - Shared mailboxes hear about visits arriving, moving and not showing up; booking mail is
///   the citizen's.
pub const fn applies(event: Event, recipient: Recipient) -> bool {
    use Event::*;
    use Recipient::*;
    matches!(
        (event, recipient),
        (BookingCreated | BookingCancelled | BookingMoved | Reminder | NoShow, Citizen)
            | (Arrival | NoShow, AssignedStaff)
            | (Arrival | Transfer | NoShow, QueueMailbox | CentreMailbox)
    )
}

/// The route asked for does not exist ([`applies`] is false).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotApplicable {
    pub event: Event,
    pub recipient: Recipient,
}

impl fmt::Display for NotApplicable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no route from {} to {}", self.event, self.recipient)
    }
}

impl std::error::Error for NotApplicable {}

/// Which routes are on, for one organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteTable {
    on: [[bool; 4]; 7],
}

impl Default for RouteTable {
    /// What a new organisation gets: booking mail and a reminder to the citizen, and the target
    /// queue's mailbox told of a transfer (the route of the incident, now gated).
    fn default() -> Self {
        let mut on = [[false; 4]; 7];
        for event in [Event::BookingCreated, Event::BookingCancelled, Event::BookingMoved, Event::Reminder] {
            on[event.index()][Recipient::Citizen.index()] = true;
        }
        on[Event::Transfer.index()][Recipient::QueueMailbox.index()] = true;
        Self { on }
    }
}

impl RouteTable {
    pub fn enabled(&self, event: Event, recipient: Recipient) -> bool {
        applies(event, recipient) && self.on[event.index()][recipient.index()]
    }

    /// Turns a route on or off; refuses a route that cannot exist.
    pub fn set(&mut self, event: Event, recipient: Recipient, on: bool) -> Result<(), NotApplicable> {
        if !applies(event, recipient) {
            return Err(NotApplicable { event, recipient });
        }
        self.on[event.index()][recipient.index()] = on;
        Ok(())
    }

    /// The recipients told of `event`, in [`Recipient::ALL`] order.
    pub fn recipients(&self, event: Event) -> Vec<Recipient> {
        Recipient::ALL.into_iter().filter(|r| self.enabled(event, *r)).collect()
    }

    /// Every route that can exist, with whether it is on: what the settings page lists.
    pub fn rows(&self) -> impl Iterator<Item = (Event, Recipient, bool)> + '_ {
        Event::ALL.into_iter().flat_map(move |e| {
            Recipient::ALL.into_iter().filter(move |r| applies(e, *r)).map(move |r| (e, r, self.enabled(e, r)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
        for r in Recipient::ALL {
            assert_eq!(Recipient::parse(r.as_str()), Some(r));
        }
        assert_eq!(Event::parse("Transfer"), None);
        assert_eq!(Recipient::parse(""), None);
    }

    #[test]
    fn citizens_never_hear_of_staff_events() {
        for e in [Event::Arrival, Event::Transfer] {
            assert!(!applies(e, Recipient::Citizen), "{e}");
        }
        // And mailboxes never get a citizen's booking mail.
        for e in [Event::BookingCreated, Event::BookingCancelled, Event::BookingMoved, Event::Reminder] {
            for r in [Recipient::AssignedStaff, Recipient::QueueMailbox, Recipient::CentreMailbox] {
                assert!(!applies(e, r), "{e} → {r}");
            }
        }
    }

    #[test]
    fn defaults_and_setting() {
        let mut t = RouteTable::default();
        assert_eq!(t.recipients(Event::Reminder), vec![Recipient::Citizen]);
        assert_eq!(t.recipients(Event::Transfer), vec![Recipient::QueueMailbox]);
        assert!(t.recipients(Event::NoShow).is_empty());
        t.set(Event::Transfer, Recipient::QueueMailbox, false).unwrap();
        t.set(Event::Transfer, Recipient::CentreMailbox, true).unwrap();
        assert_eq!(t.recipients(Event::Transfer), vec![Recipient::CentreMailbox]);
        assert_eq!(
            t.set(Event::Reminder, Recipient::QueueMailbox, true),
            Err(NotApplicable { event: Event::Reminder, recipient: Recipient::QueueMailbox })
        );
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(rows.len(), 13, "every applicable pair is listed once");
        assert!(rows.iter().all(|(e, r, _)| applies(*e, *r)));
    }
}
