//! Skranke's pure core.
//!
//! Everything here is deterministic: no I/O, no clock, no randomness of its own. Time comes in as a
//! parameter (`now: Timestamp`), randomness as bytes. Storage, HTTP, mail and the CLI live in the
//! `skranke` crate and call into this one. See ARCHITECTURE.md for the invariants.

pub mod access;
pub mod audit;
pub mod availability;
pub mod booking;
pub mod breach;
pub mod calendar;
pub mod change;
pub mod hours;
pub mod ids;
pub mod interval;
pub mod notify;
pub mod reference;
pub mod retention;
pub mod secret;
pub mod service;
pub mod text;
pub mod visit;

pub use interval::Interval;
