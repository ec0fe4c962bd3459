-- Schema v12: audit entries written but not yet chained (issue 4, appends per second).
--
-- A writing transaction no longer reads and moves the chain head itself: it inserts its entries
-- here, and right after its commit a chaining pass, shared by every writer waiting, moves them
-- into audit_log in id order under the head (store/sql.rs, chain_pending). An entry waits here
-- only between its writer's commit and that pass (or the worker's, should the writer have died
-- in between). Same table on PostgreSQL.
CREATE TABLE audit_inbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,
    organisation_id  BLOB,
    actor_kind       TEXT NOT NULL,
    actor_id         BLOB,
    actor_label      TEXT NOT NULL,
    action           TEXT NOT NULL,
    object_kind      TEXT,
    object_id        TEXT,
    detail           TEXT NOT NULL               -- canonical JSON
) STRICT;
