//! SQL for the accounts part of the `Store` trait, shared by both databases. Expanded inside
//! `sql::shared_store_impl!`, so the helpers there (`Tx`, `DbRow`, `corrupt`, `json`,
//! `append_audit_tx`, `begin_write`) are in scope.

/// Module-level helpers (row decoders) for the accounts methods.
macro_rules! account_helpers {
    () => {};
}

/// The accounts methods of `impl Store`.
macro_rules! account_store_methods {
    () => {};
}

pub(crate) use {account_helpers, account_store_methods};
