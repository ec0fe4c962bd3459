-- Skranke schema v11: routing rules per event (issue 6, point 3), their second-administrator
-- approval (RS-60), and reminders.
--
-- `routes` holds only what an organisation changed; a missing row means the default of
-- `skranke_core::notify::route::RouteTable`. A change is first a proposal in `route_changes`;
-- another administrator approves (the row in `routes` is written in the same transaction) or
-- rejects it, and the asker cannot decide their own.
CREATE TABLE routes (
    organisation_id  BLOB NOT NULL REFERENCES organisations(id),
    event            TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    changed_by       BLOB NOT NULL,
    changed_at       INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, event, recipient)
) STRICT;

CREATE TABLE route_changes (
    id               BLOB PRIMARY KEY,
    organisation_id  BLOB NOT NULL REFERENCES organisations(id),
    event            TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    requested_by     BLOB NOT NULL,
    requested_at     INTEGER NOT NULL,
    decided_by       BLOB,
    decided_at       INTEGER,
    decision         TEXT CHECK (decision IN ('approved', 'rejected')),
    CHECK ((decision IS NULL) = (decided_at IS NULL))
) STRICT;
-- One open proposal per route; a new one replaces it.
CREATE UNIQUE INDEX route_changes_open ON route_changes(organisation_id, event, recipient) WHERE decision IS NULL;

-- A confirmed booking gets one reminder; the mark is set in the transaction that writes it.
ALTER TABLE appointments ADD COLUMN reminded_at INTEGER;
CREATE INDEX appointments_reminder_due ON appointments(starts_at) WHERE status = 'confirmed' AND reminded_at IS NULL;
