-- Schema v12: audit entries written but not yet chained (issue 4). PostgreSQL writers put their
-- entries here and chain them right after their commit (see the PostgreSQL migration). SQLite
-- has one writer at a time and chains in the writing transaction, so this table stays empty
-- here; it exists so both databases have the same schema and the same chaining code can run.
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
    detail           TEXT NOT NULL
) STRICT;
