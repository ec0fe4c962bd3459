-- Skranke schema v3: what the administration pages need. Every configurable row gets a version
-- for optimistic concurrency: an update names the version its form was loaded with, and a stale
-- one changes nothing (two administrators never silently overwrite each other). Staff members get
-- their work e-mail address (lowercase; it must lie in the organisation's own domains, RS-10).
ALTER TABLE organisations ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE centres ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN email TEXT;
CREATE INDEX queues_by_centre ON queues(centre_id);
CREATE INDEX staff_by_centre ON staff(centre_id);
