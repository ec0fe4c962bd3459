-- Schema v12: audit entries written but not yet chained (issue 4, appends per second).
--
-- A writer no longer chains its own audit entries inside its transaction: holding the chain
-- head's row lock until its COMMIT had returned (the WAL flush) serialised every writing
-- transaction on that flush. A writer inserts its entries here, in its own transaction, without
-- touching the head; right after its commit a chaining pass moves everything waiting here, in id
-- order, into audit_log under the head's lock, so many writers' entries share one chaining
-- transaction and one flush (store/sql.rs, chain_pending). An entry waits here only between its
-- writer's commit and that pass (or the worker's, should the writer have died in between). Same
-- table on SQLite.
CREATE TABLE audit_inbox (
    id               BIGSERIAL PRIMARY KEY,
    at               BIGINT NOT NULL,
    organisation_id  UUID,
    actor_kind       TEXT NOT NULL,
    actor_id         UUID,
    actor_label      TEXT NOT NULL,
    action           TEXT NOT NULL,
    object_kind      TEXT,
    object_id        TEXT,
    detail           TEXT NOT NULL               -- canonical JSON
);
