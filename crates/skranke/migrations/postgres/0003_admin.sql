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
-- The written reason an administrator gave for a work address whose domain resembles a protected
-- one (RS-61: fred.dk kept beside fredericia.dk); NULL when the address needed none.
ALTER TABLE staff ADD COLUMN email_flag_reason TEXT;
-- Services and staff members are deactivated, never deleted: appointments refer to them.
ALTER TABLE services ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE staff ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX queues_by_centre ON queues(centre_id);
CREATE INDEX staff_by_centre ON staff(centre_id);
-- staff_services is keyed (service, staff); a staff member's own services are looked up too.
CREATE INDEX staff_services_by_staff ON staff_services(staff_id);
