//! Typed identifiers. A `CentreId` can never be passed where a `ServiceId` is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID (from storage or a URL).
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// Builds a fresh identifier from 16 random bytes supplied by the caller.
            pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A municipality (tenant).
    OrganisationId
);
id_type!(
    /// A citizen-service centre of an organisation.
    CentreId
);
id_type!(
    /// A queue at a centre.
    QueueId
);
id_type!(
    /// A bookable service (passport, driving licence, …).
    ServiceId
);
id_type!(
    /// A staff member who serves citizens.
    StaffId
);
id_type!(
    /// An appointment (a booking).
    AppointmentId
);
id_type!(
    /// A message in the outbox.
    MessageId
);
id_type!(
    /// A staff user who signs in (receptionist, caseworker, administrator, …).
    UserId
);
id_type!(
    /// A personal API token of a user (the token's secret is never part of its id).
    ApiTokenId
);
id_type!(
    /// A staff member's signed-in browser session (not its secret token).
    SessionId
);
id_type!(
    /// A visit: a walk-in ticket or an arrived appointment, from arrival until it ends.
    VisitId
);
id_type!(
    /// A desk (counter) in a centre where citizens are called to and served.
    DeskId
);
id_type!(
    /// A record of the address registry: one e-mail address with its owner and proof.
    AddressId
);
