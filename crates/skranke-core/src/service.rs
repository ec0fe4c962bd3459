//! A bookable service and the rules that shape its slots.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::hours::GRID_MINUTES;

/// How much a service's name reveals about a citizen. Citizen mail never names a confidential or
/// sensitive service (RS-02); the default is the safe one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Normal,
    #[default]
    Confidential,
    Sensitive,
}

impl Sensitivity {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Sensitivity::Normal => "normal",
            Sensitivity::Confidential => "confidential",
            Sensitivity::Sensitive => "sensitive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "normal" => Some(Self::Normal),
            "confidential" => Some(Self::Confidential),
            "sensitive" => Some(Self::Sensitive),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceRulesError {
    #[error("duration must be 5–480 minutes on the 5-minute grid")]
    Duration,
    #[error("buffer must be 0–120 minutes on the 5-minute grid")]
    Buffer,
    #[error("capacity must be 1–50")]
    Capacity,
    #[error("minimum notice must be 0–43200 minutes")]
    MinNotice,
    #[error("booking horizon must be 1–365 days")]
    Horizon,
}

impl ServiceRulesError {
    pub const fn code(&self) -> &'static str {
        match self {
            ServiceRulesError::Duration => "invalid_duration",
            ServiceRulesError::Buffer => "invalid_buffer",
            ServiceRulesError::Capacity => "invalid_capacity",
            ServiceRulesError::MinNotice => "invalid_min_notice",
            ServiceRulesError::Horizon => "invalid_horizon",
        }
    }
}

/// Validated slot rules of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRules {
    duration_minutes: i32,
    buffer_minutes: i32,
    capacity: u16,
    min_notice_minutes: i32,
    horizon_days: i32,
    online_bookable: bool,
}

impl ServiceRules {
    pub fn new(
        duration_minutes: i32,
        buffer_minutes: i32,
        capacity: u16,
        min_notice_minutes: i32,
        horizon_days: i32,
        online_bookable: bool,
    ) -> Result<Self, ServiceRulesError> {
        if !(5..=480).contains(&duration_minutes) || duration_minutes % GRID_MINUTES != 0 {
            return Err(ServiceRulesError::Duration);
        }
        if !(0..=120).contains(&buffer_minutes) || buffer_minutes % GRID_MINUTES != 0 {
            return Err(ServiceRulesError::Buffer);
        }
        if !(1..=50).contains(&capacity) {
            return Err(ServiceRulesError::Capacity);
        }
        if !(0..=43_200).contains(&min_notice_minutes) {
            return Err(ServiceRulesError::MinNotice);
        }
        if !(1..=365).contains(&horizon_days) {
            return Err(ServiceRulesError::Horizon);
        }
        Ok(Self { duration_minutes, buffer_minutes, capacity, min_notice_minutes, horizon_days, online_bookable })
    }

    pub const fn duration_minutes(&self) -> i32 {
        self.duration_minutes
    }
    pub const fn buffer_minutes(&self) -> i32 {
        self.buffer_minutes
    }
    pub const fn capacity(&self) -> u16 {
        self.capacity
    }
    pub const fn min_notice_minutes(&self) -> i32 {
        self.min_notice_minutes
    }
    pub const fn horizon_days(&self) -> i32 {
        self.horizon_days
    }
    pub const fn online_bookable(&self) -> bool {
        self.online_bookable
    }

    pub fn duration(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.duration_minutes))
    }
    /// Time a staff member is occupied by one appointment: the visit plus its buffer.
    pub fn occupancy(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.duration_minutes + self.buffer_minutes))
    }
    /// Distance between consecutive slot starts.
    pub fn step(&self) -> SignedDuration {
        self.occupancy()
    }
    pub fn min_notice(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.min_notice_minutes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(ServiceRules::new(20, 5, 2, 60, 30, true).is_ok());
        assert_eq!(ServiceRules::new(7, 0, 1, 0, 30, true), Err(ServiceRulesError::Duration));
        assert_eq!(ServiceRules::new(20, 3, 1, 0, 30, true), Err(ServiceRulesError::Buffer));
        assert_eq!(ServiceRules::new(20, 0, 0, 0, 30, true), Err(ServiceRulesError::Capacity));
        assert_eq!(ServiceRules::new(20, 0, 1, -1, 30, true), Err(ServiceRulesError::MinNotice));
        assert_eq!(ServiceRules::new(20, 0, 1, 0, 0, true), Err(ServiceRulesError::Horizon));
        assert_eq!(Sensitivity::default(), Sensitivity::Confidential);
    }
}
