-- Skranke schema v11: routing rules per event (issue 6, point 3), their second-administrator
-- approval (RS-60), and reminders.
--
-- `routes` holds only what an organisation changed; a missing row means the default of
-- `skranke_core::notify::route::RouteTable`. A change is first a proposal in `route_changes`;
-- another administrator approves (the row in `routes` is written in the same transaction) or
-- rejects it, and the asker cannot decide their own.
CREATE TABLE routes (
    organisation_id  UUID NOT NULL REFERENCES organisations(id),
    event            TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL,
    changed_by       UUID NOT NULL,
    changed_at       BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, event, recipient)
);

CREATE TABLE route_changes (
    id               UUID PRIMARY KEY,
    organisation_id  UUID NOT NULL REFERENCES organisations(id),
    event            TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL,
    requested_by     UUID NOT NULL,
    requested_at     BIGINT NOT NULL,
    decided_by       UUID,
    decided_at       BIGINT,
    decision         TEXT CHECK (decision IN ('approved', 'rejected')),
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
-- One open proposal per route; a new one replaces it.
CREATE UNIQUE INDEX route_changes_open ON route_changes(organisation_id, event, recipient) WHERE decision IS NULL;

-- A confirmed booking gets one reminder; the mark is set in the transaction that writes it.
ALTER TABLE appointments ADD COLUMN reminded_at BIGINT;
CREATE INDEX appointments_reminder_due ON appointments(starts_at) WHERE status = 'confirmed' AND reminded_at IS NULL;
