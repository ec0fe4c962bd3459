#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! All integration tests in one binary (one link on a 2-core machine).

mod api;
