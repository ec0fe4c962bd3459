//! Skranke: the adapters around the pure core (`skranke-core`): storage, mail, HTTP and the CLI.
//! ARCHITECTURE.md has the code map and the invariants.

pub mod address_check;
pub mod app;
pub mod audit_verify;
pub mod auth;
pub mod breach_docs;
pub mod clock;
pub mod config;
pub mod demo;
pub mod http;
pub mod i18n;
pub mod loadtest;
pub mod mail;
pub mod server;
pub mod store;
