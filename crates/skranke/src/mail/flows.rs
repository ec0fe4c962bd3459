//! The data-flow map (RS-62): for every event that causes mail, who receives it and which data
//! classes it carries, from the organisation's routing rules. One table, drawn as SVG on `/staff/mail/flows` and listed beside it; a test
//! holds it to what the templates declare, so the map cannot drift from the code.

use std::fmt::Write as _;

use skranke_core::notify::route::{Event, Recipient, RouteTable};
use skranke_core::notify::{DataClass, DataClasses};

use crate::i18n::{Lang, t};

/// One path mail can take.
#[derive(Clone, Copy, Debug)]
pub struct Flow {
    /// Catalogue key of the event (`mail.flows.event.*`).
    pub event: &'static str,
    /// The message's template.
    pub template: &'static str,
    /// Catalogue key of the recipient (`mail.flows.to.*`).
    pub recipient: &'static str,
    /// The most the message may carry (a booking's service name only when it is not sensitive).
    pub classes: DataClasses,
}

const BOOKING: DataClasses =
    DataClasses::of(&[DataClass::Appointment, DataClass::BookingReference, DataClass::ServiceName]);
const OPERATIONAL: DataClasses = DataClasses::of(&[DataClass::Operational]);

/// The template a route sends, and the most it may carry.
pub const fn route_template(event: Event, recipient: Recipient) -> (&'static str, DataClasses) {
    match (event, recipient) {
        (Event::BookingCreated, _) => ("booking_confirmed", BOOKING),
        (Event::BookingCancelled, _) => ("booking_cancelled", BOOKING),
        (Event::BookingMoved, _) => ("booking_moved", BOOKING),
        (Event::Reminder, _) => ("booking_reminder", BOOKING),
        (Event::NoShow, Recipient::Citizen) => ("booking_missed", BOOKING),
        (Event::NoShow, _) => ("visit_no_show", OPERATIONAL),
        (Event::Arrival, _) => ("visit_arrived", OPERATIONAL),
        (Event::Transfer, _) => ("visit_transferred", OPERATIONAL),
    }
}

/// The paths that do not depend on routing rules: proofs of address and alerts.
const FIXED: &[Flow] = &[
    Flow {
        event: "booking_started",
        template: "booking_code",
        recipient: "citizen",
        classes: DataClasses::of(&[DataClass::VerificationCode]),
    },
    Flow {
        event: "address_proof",
        template: "address_code",
        recipient: "address_proven",
        classes: DataClasses::of(&[DataClass::VerificationCode, DataClass::Operational]),
    },
    Flow { event: "held", template: "message_held", recipient: "monitored", classes: OPERATIONAL },
    Flow { event: "silent", template: "address_silent", recipient: "monitored", classes: OPERATIONAL },
];

/// Every path mail takes under `table`: the routes that are on, then the fixed paths. The map is
/// the organisation's own, drawn from its configuration, not a picture of the defaults.
pub fn flows(table: &RouteTable) -> Vec<Flow> {
    let mut out: Vec<Flow> = table
        .rows()
        .filter(|(_, _, on)| *on)
        .map(|(event, recipient, _)| {
            let (template, classes) = route_template(event, recipient);
            Flow { event: event.as_str(), template, recipient: recipient.as_str(), classes }
        })
        .collect();
    out.extend_from_slice(FIXED);
    out
}

/// A table with every route that can exist turned on: the widest map, for tests and docs.
pub fn every_route() -> RouteTable {
    let mut table = RouteTable::default();
    for (event, recipient, _) in RouteTable::default().rows() {
        // `rows` lists only routes that apply, so `set` cannot refuse.
        let _ = table.set(event, recipient, true);
    }
    table
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The class names of a flow in the reader's language, comma-separated.
pub fn class_names(lang: Lang, classes: DataClasses) -> String {
    classes.iter().map(|c| t(lang, &format!("mail.flows.class.{}", c.as_str()))).collect::<Vec<_>>().join(", ")
}

/// The map as SVG: events on the left, recipients on the right, one line per flow labelled with
/// its data classes; personal classes are drawn in the warning colour. Only catalogue text.
pub fn svg(lang: Lang, flows: &[Flow]) -> String {
    let mut recipients: Vec<&str> = Vec::new();
    for f in flows {
        if !recipients.contains(&f.recipient) {
            recipients.push(f.recipient);
        }
    }
    let row = 56.0;
    let height = 40.0 + row * flows.len() as f64;
    let (left, right, width) = (10.0, 640.0, 900.0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" \
         aria-labelledby=\"flows-title flows-desc\" class=\"flows\"><title id=\"flows-title\">{}</title>\
         <desc id=\"flows-desc\">{}</desc>",
        esc(t(lang, "mail.flows.title")),
        esc(t(lang, "mail.flows.desc"))
    );
    let recipient_y = |r: &str| {
        let i = recipients.iter().position(|x| *x == r).unwrap_or(0) as f64;
        let span = (flows.len() as f64 - 1.0).max(1.0) / (recipients.len() as f64 - 1.0).max(1.0);
        40.0 + row * i * span
    };
    for (i, f) in flows.iter().enumerate() {
        let y = 40.0 + row * i as f64;
        let ry = recipient_y(f.recipient);
        let personal = f.classes.any_personal();
        let colour = if personal { "#a4000f" } else { "#1a5c2e" };
        let _ = write!(
            out,
            "<text x=\"{left}\" y=\"{y}\" font-size=\"15\" fill=\"#111\">{}</text>\
             <line x1=\"250\" y1=\"{ly}\" x2=\"{right}\" y2=\"{ry2}\" stroke=\"{colour}\" stroke-width=\"2\"/>\
             <text x=\"260\" y=\"{ty}\" font-size=\"12\" fill=\"{colour}\">{}</text>",
            esc(t(lang, &format!("mail.flows.event.{}", f.event))),
            esc(&class_names(lang, f.classes)),
            ly = y - 5.0,
            ry2 = ry - 5.0,
            ty = y + 12.0,
        );
    }
    for r in &recipients {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"15\" fill=\"#111\">{}</text>",
            right + 8.0,
            recipient_y(r),
            esc(t(lang, &format!("mail.flows.to.{r}")))
        );
    }
    out.push_str("</svg>");
    out
}
