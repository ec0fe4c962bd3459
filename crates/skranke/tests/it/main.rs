#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! All integration tests in one binary (one link on a 2-core machine).
//!
//! `store_conformance` and `concurrency` run every test on SQLite and on PostgreSQL (see
//! `support` for how the databases are made and the `both!` macro); `api` and `crash` drive a
//! real server. Further HTTP-level test modules are added here as `mod …;` too.

mod accounts_store;
mod admin;
mod admin_app;
mod admin_store;
mod api;
mod audit;
mod breach;
mod concurrency;
mod crash;
mod mail_faults;
mod mail_smtp;
mod notify_app;
mod queue;
mod retention;
mod rights;
mod routes_app;
mod smtp_support;
pub mod staff;
mod store_conformance;
mod support;
mod visits_store;
