//! SQL for the admin part of the `Store` trait, shared by both databases. Expanded inside
//! `sql::shared_store_impl!`, so the helpers there (`Tx`, `DbRow`, `corrupt`, `json`,
//! `append_audit_tx`, `begin_write`) are in scope.

/// Module-level helpers (row decoders) for the admin methods.
macro_rules! admin_helpers {
    () => {};
}

/// The admin methods of `impl Store`.
macro_rules! admin_store_methods {
    () => {};
}

pub(crate) use {admin_helpers, admin_store_methods};
