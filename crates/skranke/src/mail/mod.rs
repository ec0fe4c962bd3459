//! Outgoing mail: typed payloads, rendering from the catalogue, transports, and the outbox worker.
//!
//! Messages are never sent inside a request: a use case writes an outbox row in its transaction,
//! and the worker delivers it. RS-13: the first mail to a citizen's address carries only the code.
//! RS-02: citizen mail names the service only when its sensitivity is `normal`.

mod render;
mod worker;

pub use render::{Rendered, format_local, render};
pub use worker::{Transport, Worker, WorkerSettings};

use serde::{Deserialize, Serialize};
use skranke_core::service::Sensitivity;

use crate::store::{Appointment, CentreView, Service};

/// The typed fields of each template, stored as JSON in the outbox row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailPayload {
    /// Proof-of-address code; nothing else (RS-13).
    BookingCode {
        code: String,
    },
    BookingConfirmed(BookingFacts),
    BookingCancelled(BookingFacts),
    BookingMoved(BookingFacts),
}

/// What a citizen's booking mail may say: time, place, reference, and the service name only when
/// the service is not confidential or sensitive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFacts {
    pub reference: String,
    /// RFC 3339 instant.
    pub start: String,
    pub timezone: String,
    pub centre_name: String,
    pub centre_address: String,
    /// `None` for confidential and sensitive services.
    pub service_name: Option<String>,
}

impl BookingFacts {
    fn new(a: &Appointment, service: &Service, centre: &CentreView) -> Self {
        Self {
            reference: a.reference.to_string(),
            start: a.slot.start().to_string(),
            timezone: centre.timezone.clone(),
            centre_name: centre.centre.name.clone(),
            centre_address: centre.centre.address.clone(),
            service_name: (service.sensitivity == Sensitivity::Normal).then(|| service.name(a.language).to_owned()),
        }
    }
}

impl MailPayload {
    pub fn template(&self) -> &'static str {
        match self {
            MailPayload::BookingCode { .. } => "booking_code",
            MailPayload::BookingConfirmed(_) => "booking_confirmed",
            MailPayload::BookingCancelled(_) => "booking_cancelled",
            MailPayload::BookingMoved(_) => "booking_moved",
        }
    }

    pub fn confirmed(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingConfirmed(BookingFacts::new(a, s, c))
    }
    pub fn cancelled(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingCancelled(BookingFacts::new(a, s, c))
    }
    pub fn moved(a: &Appointment, s: &Service, c: &CentreView) -> Self {
        MailPayload::BookingMoved(BookingFacts::new(a, s, c))
    }
}
