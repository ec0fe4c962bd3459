//! Notifications that cannot leak: the data classes a message may carry, the record of the address
//! it goes to, and the one policy gate every message passes at send time (RS-16).
//!
//! Nothing here sends or stores anything. The mail adapter renders a template, builds an
//! [`Outgoing`] from it, loads the [`RecipientRecord`] of the address as it is *now*, and asks
//! [`decide`]; only [`Decision::Send`] lets the message reach a relay. A held or blocked message
//! is kept with its [`Reason`] and shown to administrators; nothing is dropped.
//!
//! ```
//! use jiff::Timestamp;
//! use skranke_core::notify::*;
//! use skranke_recipient::address::EmailAddress;
//! use skranke_recipient::domain::OwnDomains;
//!
//! let policy = Policy::new(OwnDomains::new(["fredericia.dk"], [] as [&str; 0])?);
//! let now: Timestamp = "2026-11-30T09:00:00Z".parse()?;
//! // A staff notification: operational facts only (RS-01).
//! let message = Outgoing::new(Purpose::Notification, DataClasses::of(&[DataClass::Operational]),
//!     "1 ny ankomst i Ydelser", "1 ny ankomst i Ydelser kl. 10:02.\nhttps://skranke.example/desk");
//! // The address typed at set-up: a truncation of the own domain, never verified.
//! let fred = RecipientRecord::new(Audience::SharedMailbox, EmailAddress::parse("ydelser@fred.dk")?,
//!     AddressState::Unverified);
//! assert_eq!(decide(&message, &fred, &policy, Transport::Tls, now),
//!     Decision::Hold(Reason::NotOwnDomain));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classes;
mod gate;
mod record;
pub mod route;
#[cfg(test)]
mod tests;

pub use classes::{DataClass, DataClasses};
pub use gate::{Decision, Outgoing, Policy, Purpose, Reason, Rule, Transport, decide};
pub use record::{AddressState, Audience, RecipientRecord};
