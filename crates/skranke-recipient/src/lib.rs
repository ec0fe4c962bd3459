//! Recipient safety for Skranke (RS-10, RS-12, RS-30 of `docs/recipient-safety.md`).
//!
//! Pure functions and types, no I/O: the server, the CLI and the notification policy gate call
//! them. Modules:
//! - `address`: an e-mail address that cannot hold a value Skranke's policy refuses;
//! - `domain`: registrable domains (Public Suffix List) and the own-domain rule;
//! - `lookalike`: domains that resemble a protected one (typos, truncations, homoglyphs …);
//! - `suggest`: "did you mean …?" for addresses citizens type;
//! - `cpr`: CPR numbers in free text;
//! - `judge`: one verdict per typed address, for the CLI and the HTTP endpoint.

pub mod address;
pub mod cpr;
pub mod domain;
pub mod judge;
pub mod lookalike;
pub mod suggest;
