//! What a message may contain, as classes of data. Every template declares its classes; the
//! gate and the audit log work with the declaration, and a test renders every template with
//! marker values to prove the declaration is complete (RS-01, RS-02, RS-50).

use serde::{Deserialize, Serialize};

/// A class of data a message may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// What happened where, for staff: queue and centre names, counts, times of events, a link into
    /// the signed-in UI. Not about a person.
    Operational,
    /// A one-time code that proves an address (RS-11, RS-13). Not about a person by itself.
    VerificationCode,
    /// Time and place of the citizen's own appointment.
    Appointment,
    /// The booking reference: identifies one citizen's booking.
    BookingReference,
    /// The name of a service whose sensitivity is normal (passport, driving licence).
    ServiceName,
    /// The name of a confidential or sensitive service, or a case topic ("dental-care subsidy").
    SensitiveTopic,
    /// A citizen's name.
    CitizenName,
    /// A citizen's e-mail address or telephone number.
    ContactDetails,
    /// A CPR number. No template may declare it; the gate blocks any message that contains one.
    Cpr,
    /// Text a person typed (a transfer reason, a note). May hold anything, so it is personal.
    FreeText,
}

impl DataClass {
    /// Every class, in declaration order.
    pub const ALL: [DataClass; 10] = [
        DataClass::Operational,
        DataClass::VerificationCode,
        DataClass::Appointment,
        DataClass::BookingReference,
        DataClass::ServiceName,
        DataClass::SensitiveTopic,
        DataClass::CitizenName,
        DataClass::ContactDetails,
        DataClass::Cpr,
        DataClass::FreeText,
    ];

    /// Whether the class is personal data (about an identifiable citizen). Staff mail may carry
    /// none (RS-01); any message carrying one needs TLS (RS-20).
    pub const fn is_personal(self) -> bool {
        !matches!(self, DataClass::Operational | DataClass::VerificationCode)
    }

    /// The snake_case name used in templates, the audit log and the data-flow map.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataClass::Operational => "operational",
            DataClass::VerificationCode => "verification_code",
            DataClass::Appointment => "appointment",
            DataClass::BookingReference => "booking_reference",
            DataClass::ServiceName => "service_name",
            DataClass::SensitiveTopic => "sensitive_topic",
            DataClass::CitizenName => "citizen_name",
            DataClass::ContactDetails => "contact_details",
            DataClass::Cpr => "cpr",
            DataClass::FreeText => "free_text",
        }
    }

    /// Parses [`DataClass::as_str`].
    pub fn parse(name: &str) -> Option<DataClass> {
        DataClass::ALL.into_iter().find(|c| c.as_str() == name)
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of [`DataClass`]es, one bit each: cheap to copy, compare and test in the gate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DataClasses(u16);

impl DataClasses {
    /// No data at all.
    pub const EMPTY: DataClasses = DataClasses(0);

    /// The set of the given classes.
    pub const fn of(classes: &[DataClass]) -> DataClasses {
        let mut bits = 0;
        let mut i = 0;
        while i < classes.len() {
            bits |= classes[i].bit();
            i += 1;
        }
        DataClasses(bits)
    }

    /// The set with `class` added.
    #[must_use]
    pub const fn with(self, class: DataClass) -> DataClasses {
        DataClasses(self.0 | class.bit())
    }

    /// Every class of either set.
    #[must_use]
    pub const fn union(self, other: DataClasses) -> DataClasses {
        DataClasses(self.0 | other.0)
    }

    pub const fn contains(self, class: DataClass) -> bool {
        self.0 & class.bit() != 0
    }

    /// Whether every class of `self` is in `other`.
    pub const fn is_subset(self, other: DataClasses) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether any class is personal data.
    pub const fn any_personal(self) -> bool {
        let mut i = 0;
        while i < DataClass::ALL.len() {
            if self.contains(DataClass::ALL[i]) && DataClass::ALL[i].is_personal() {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The classes, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = DataClass> {
        DataClass::ALL.into_iter().filter(move |c| self.contains(*c))
    }

    /// Comma-separated names (`appointment,booking_reference`), as stored and audited.
    pub fn to_names(self) -> String {
        self.iter().map(DataClass::as_str).collect::<Vec<_>>().join(",")
    }

    /// Parses [`DataClasses::to_names`]; `None` on an unknown name.
    pub fn from_names(names: &str) -> Option<DataClasses> {
        names
            .split(',')
            .filter(|n| !n.is_empty())
            .try_fold(DataClasses::EMPTY, |set, name| Some(set.with(DataClass::parse(name.trim())?)))
    }
}

impl FromIterator<DataClass> for DataClasses {
    fn from_iter<I: IntoIterator<Item = DataClass>>(iter: I) -> Self {
        iter.into_iter().fold(DataClasses::EMPTY, DataClasses::with)
    }
}
