//! The production store: PostgreSQL, shared by any number of stateless app instances.

use std::time::Duration;

use sqlx::Postgres;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};

#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// This process's chaining of audit entries.
    chaining: std::sync::Arc<super::Chaining>,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, crate::store::StoreError> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        Ok(Self { pool, chaining: std::sync::Arc::default() })
    }

    /// The pool, for tests that tamper with rows directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn migrator(&self) -> Migrator {
        super::migrator(&[
            (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
            (2, "accounts_audit", include_str!("../../migrations/postgres/0002_accounts_audit.sql")),
            (3, "admin", include_str!("../../migrations/postgres/0003_admin.sql")),
            (4, "accounts", include_str!("../../migrations/postgres/0004_accounts.sql")),
            (5, "visits", include_str!("../../migrations/postgres/0005_visits.sql")),
            (6, "desk occupancy", include_str!("../../migrations/postgres/0006_desk_occupancy.sql")),
            (7, "board notify", include_str!("../../migrations/postgres/0007_board_notify.sql")),
            (8, "address registry", include_str!("../../migrations/postgres/0008_address_registry.sql")),
            (9, "acknowledgement", include_str!("../../migrations/postgres/0009_acknowledgement.sql")),
            (10, "address changes", include_str!("../../migrations/postgres/0010_address_changes.sql")),
            (11, "routes", include_str!("../../migrations/postgres/0011_routes.sql")),
            (12, "audit_inbox", include_str!("../../migrations/postgres/0012_audit_inbox.sql")),
            (13, "breach_scope", include_str!("../../migrations/postgres/0013_breach_scope.sql")),
            (14, "breach_cases", include_str!("../../migrations/postgres/0014_breach_cases.sql")),
            (15, "retention", include_str!("../../migrations/postgres/0015_retention.sql")),
            (16, "audit_payloads", include_str!("../../migrations/postgres/0016_audit_payloads.sql")),
            (17, "outbox_pseudonyms", include_str!("../../migrations/postgres/0017_outbox_pseudonyms.sql")),
        ])
    }

    async fn begin_write(&self) -> Result<super::WriteTx<Postgres>, sqlx::Error> {
        Ok(super::WriteTx::new(self.pool.begin().await?, None).with_after_commit(self.chainer()))
    }

    /// Writers do not take turns on PostgreSQL (its locks decide).
    #[allow(clippy::unused_async, reason = "the same call as SqliteStore::write_turn")]
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        None
    }

    /// A chaining pass outside any writer's commit (the worker's, `audit verify`'s).
    async fn chain_pass(&self) -> Result<u64, crate::store::StoreError> {
        self.chaining.pass(imp::chain_pending(self)).await
    }

    /// Chains, after a commit, the audit entries the transaction left in the inbox.
    fn chainer(&self) -> super::AfterCommit {
        let store = self.clone();
        self.chaining.after_commit(move || Box::pin(async move { imp::chain_pending(&store).await }))
    }

    /// A queue step (call, recall, start, finish, transfer …) commits without waiting for its WAL
    /// flush (`synchronous_commit = off` for this transaction only): the database stays
    /// consistent after a crash, but the last fraction of a second of queue steps may be undone,
    /// which a desk sees and redoes — the same promise as SQLite's `synchronous = NORMAL`.
    /// Tickets, bookings, the outbox and the audit log keep waiting for the flush.
    async fn begin_queue_step(&self) -> Result<super::WriteTx<Postgres>, sqlx::Error> {
        let tx = self.pool.begin_with("BEGIN; SET LOCAL synchronous_commit = off").await?;
        Ok(super::WriteTx::new(tx, None).with_after_commit(self.chainer()))
    }

    /// `SKIP LOCKED` lets several workers in several app instances claim disjoint batches.
    /// The audit chain's head, locked so concurrent writers append one after the other.
    const AUDIT_HEAD_SQL: &'static str = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";

    /// PostgreSQL streams rows without a hand-over per row; the row-by-row read is the fast one.
    /// How call-next's subquery locks the row it picks (SQLite's write lock already serialises).
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";

    /// `WITH x AS (UPDATE … RETURNING …), y AS (INSERT …)` runs both writes in one statement.
    const WRITES_IN_WITH: bool = true;

    const AUDIT_PAGE_JSON_SQL: Option<&'static str> = None;

    const CLAIM_OUTBOX_SQL: &'static str = "UPDATE outbox SET locked_until = $2, attempts = attempts + 1 \
        WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
        AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at, id LIMIT $3 \
        FOR UPDATE SKIP LOCKED) \
        RETURNING id, template, recipient, language, payload, attempts, appointment_id, organisation_id, address_id, purpose";
}

mod imp {
    use super::PgStore;
    crate::store::sql::shared_store_impl!(PgStore, sqlx::Postgres);
}
