//! Recipient safety for Skranke (RS-10, RS-12, RS-30 of `docs/recipient-safety.md`).
//!
//! Pure functions and types, no I/O: the server, the CLI and the notification policy gate call
//! them. Modules:
//! - `address`: an e-mail address that cannot hold a value Skranke's policy refuses;
//! - `domain`: registrable domains (Public Suffix List) and the own-domain rule;
//! - `cpr`: CPR numbers in free text.

pub mod address;
pub mod cpr;
pub mod domain;
