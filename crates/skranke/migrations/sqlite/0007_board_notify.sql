-- Skranke schema v7: on PostgreSQL, triggers announce board changes (LISTEN/NOTIFY). SQLite runs
-- one instance, whose live hub is told in-process, so there is nothing to add here; the version
-- is kept in step with PostgreSQL's.
SELECT 1;
