//! The embedded store: one SQLite file in WAL mode.
//!
//! `synchronous = NORMAL` in WAL mode loses nothing when the process is killed (every commit is in
//! the WAL before it returns); only an operating-system crash or power loss can lose the last
//! transactions. Deployments that need that too set `SKRANKE_SQLITE_SYNCHRONOUS=full`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, Sqlite, SqlitePool};

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// This process's writers take turns here, first come first served (see `WriteTx`).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// This process's chaining of audit entries.
    chaining: std::sync::Arc<super::Chaining>,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self, crate::store::StoreError> {
        let synchronous = match std::env::var("SKRANKE_SQLITE_SYNCHRONOUS").as_deref() {
            Ok("full") => SqliteSynchronous::Full,
            _ => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            // A COMMIT that fails on a full disk is rolled back by SQLite itself, but sqlx still
            // counts the transaction as open: the dropped transaction's ROLLBACK then fails, and
            // every later `BEGIN IMMEDIATE` on that connection is refused ("non-zero transaction
            // depth") long after the disk has room again. Such a connection is closed, not reused
            // (`mail_faults::a_full_disk_under_sqlite_fails_the_tick_and_loses_nothing`).
            .after_release(|conn, _| {
                Box::pin(async move {
                    // Commands run in order: once the ping is answered, a queued rollback has run.
                    conn.ping().await?;
                    Ok(!conn.is_in_transaction())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer: std::sync::Arc::default(), chaining: std::sync::Arc::default() })
    }

    /// The pool, for tests that tamper with rows directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn migrator(&self) -> Migrator {
        super::migrator(&[
            (1, "init", include_str!("../../migrations/sqlite/0001_init.sql")),
            (2, "accounts_audit", include_str!("../../migrations/sqlite/0002_accounts_audit.sql")),
            (3, "admin", include_str!("../../migrations/sqlite/0003_admin.sql")),
            (4, "accounts", include_str!("../../migrations/sqlite/0004_accounts.sql")),
            (5, "visits", include_str!("../../migrations/sqlite/0005_visits.sql")),
            (6, "desk occupancy", include_str!("../../migrations/sqlite/0006_desk_occupancy.sql")),
            (7, "board notify", include_str!("../../migrations/sqlite/0007_board_notify.sql")),
            (8, "address registry", include_str!("../../migrations/sqlite/0008_address_registry.sql")),
            (9, "acknowledgement", include_str!("../../migrations/sqlite/0009_acknowledgement.sql")),
            (10, "address changes", include_str!("../../migrations/sqlite/0010_address_changes.sql")),
            (11, "routes", include_str!("../../migrations/sqlite/0011_routes.sql")),
            (12, "audit_inbox", include_str!("../../migrations/sqlite/0012_audit_inbox.sql")),
            (13, "breach_scope", include_str!("../../migrations/sqlite/0013_breach_scope.sql")),
            (14, "breach_cases", include_str!("../../migrations/sqlite/0014_breach_cases.sql")),
            (15, "retention", include_str!("../../migrations/sqlite/0015_retention.sql")),
            (16, "audit_payloads", include_str!("../../migrations/sqlite/0016_audit_payloads.sql")),
            (17, "outbox_pseudonyms", include_str!("../../migrations/sqlite/0017_outbox_pseudonyms.sql")),
        ])
    }

    /// Takes the write lock up front, so concurrent writers wait in `busy_timeout` instead of
    /// failing when a read transaction tries to upgrade.
    async fn begin_write(&self) -> Result<super::WriteTx<Sqlite>, sqlx::Error> {
        // The turn is only an optimisation: if it is not had within the busy timeout (a writer
        // stuck, or a nested write in one task), go on and let SQLite's own lock decide.
        let turn = tokio::time::timeout(Duration::from_secs(10), self.writer.clone().lock_owned()).await.ok();
        Ok(super::WriteTx::new(self.pool.begin_with("BEGIN IMMEDIATE").await?, turn).with_after_commit(self.chainer()))
    }

    /// This process's writer turn without a transaction, for a single statement (see `writer`).
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        tokio::time::timeout(Duration::from_secs(10), self.writer.clone().lock_owned()).await.ok()
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

    /// A queue step: an ordinary write (with `synchronous = NORMAL`, commits already do not wait
    /// for the disk; see the module comment).
    async fn begin_queue_step(&self) -> Result<super::WriteTx<Sqlite>, sqlx::Error> {
        self.begin_write().await
    }

    /// SQLite has one writer at a time, so a plain claim under `BEGIN IMMEDIATE` is exclusive;
    /// the lease (`locked_until`) returns messages of a crashed worker.
    /// The audit chain's head, read inside the write transaction (`BEGIN IMMEDIATE` already
    /// serialises writers).
    const AUDIT_HEAD_SQL: &'static str = "SELECT seq, hash FROM audit_head WHERE id = 1";

    /// How call-next's subquery locks the row it picks (SQLite's write lock already serialises).
    const SKIP_LOCKED: &'static str = "";

    /// SQLite allows no writes inside a WITH clause (and a statement costs no round trip here).
    const WRITES_IN_WITH: bool = false;

    /// A page of the audit log as one JSON array. sqlx hands each SQLite row from its worker
    /// thread to the async side separately, a thread wake-up per row that dominated reading the
    /// log (~6–9 µs of ~10 µs per entry); one value per page is one hand-over. UUIDs travel as hex
    /// (`nullif`: `hex(NULL)` is ''). A page that does not decode this way is read again row by
    /// row, which names the entry that is wrong.
    const AUDIT_PAGE_JSON_SQL: Option<&'static str> = Some(
        "SELECT json_group_array(json_array(seq, at, nullif(hex(organisation_id), ''), actor_kind, \
         nullif(hex(actor_id), ''), actor_label, action, object_kind, object_id, detail, prev_hash, hash, format, \
         payload_salt, commitment) ORDER BY seq) \
         FROM (SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2)",
    );

    const CLAIM_OUTBOX_SQL: &'static str = "UPDATE outbox SET locked_until = $2, attempts = attempts + 1 \
        WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
        AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at, id LIMIT $3) \
        RETURNING id, template, recipient, language, payload, attempts, appointment_id, organisation_id, address_id, purpose";
}

mod imp {
    use super::SqliteStore;
    crate::store::sql::shared_store_impl!(SqliteStore, sqlx::Sqlite);
}
