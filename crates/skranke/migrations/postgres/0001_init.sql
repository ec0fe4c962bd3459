-- Skranke schema v1 (PostgreSQL). Instants are BIGINT microseconds since the Unix epoch, UTC,
-- identical on both databases so that the conformance suite compares like with like.

CREATE TABLE organisations (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    mail_domains  TEXT NOT NULL,              -- JSON array of domain names
    created_at    BIGINT NOT NULL
);

CREATE TABLE centres (
    id               UUID PRIMARY KEY,
    organisation_id  UUID NOT NULL REFERENCES organisations(id),
    name             TEXT NOT NULL,
    address          TEXT NOT NULL,
    opening_hours    TEXT NOT NULL,           -- JSON WeeklyHours
    closed_days      TEXT NOT NULL,           -- JSON ClosedDays
    created_at       BIGINT NOT NULL
);
CREATE INDEX centres_by_org ON centres(organisation_id);

CREATE TABLE closures (
    id          UUID PRIMARY KEY,
    centre_id   UUID NOT NULL REFERENCES centres(id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL CHECK (ends_at > starts_at),
    reason      TEXT NOT NULL
);
CREATE INDEX closures_by_centre ON closures(centre_id, starts_at);

CREATE TABLE queues (
    id          UUID PRIMARY KEY,
    centre_id   UUID NOT NULL REFERENCES centres(id),
    name_da     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    prefix      TEXT NOT NULL
);

CREATE TABLE services (
    id                  UUID PRIMARY KEY,
    centre_id           UUID NOT NULL REFERENCES centres(id),
    queue_id            UUID NOT NULL REFERENCES queues(id),
    name_da             TEXT NOT NULL,
    name_en             TEXT NOT NULL,
    duration_minutes    INTEGER NOT NULL,
    buffer_minutes      INTEGER NOT NULL,
    capacity            INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 50),
    min_notice_minutes  INTEGER NOT NULL,
    horizon_days        INTEGER NOT NULL,
    online_bookable     BOOLEAN NOT NULL,
    sensitivity         TEXT NOT NULL CHECK (sensitivity IN ('normal', 'confidential', 'sensitive'))
);
CREATE INDEX services_by_centre ON services(centre_id);

CREATE TABLE staff (
    id          UUID PRIMARY KEY,
    centre_id   UUID NOT NULL REFERENCES centres(id),
    name        TEXT NOT NULL,
    schedule    TEXT NOT NULL                 -- JSON WeeklyHours
);

CREATE TABLE staff_services (
    staff_id    UUID NOT NULL REFERENCES staff(id),
    service_id  UUID NOT NULL REFERENCES services(id),
    PRIMARY KEY (service_id, staff_id)
);

CREATE TABLE absences (
    id          UUID PRIMARY KEY,
    staff_id    UUID NOT NULL REFERENCES staff(id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL CHECK (ends_at > starts_at)
);
CREATE INDEX absences_by_staff ON absences(staff_id, starts_at);

CREATE TABLE appointments (
    id                 UUID PRIMARY KEY,
    centre_id          UUID NOT NULL REFERENCES centres(id),
    service_id         UUID NOT NULL REFERENCES services(id),
    staff_id           UUID REFERENCES staff(id),
    reference          TEXT NOT NULL UNIQUE,
    manage_token_hash  TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired')),
    starts_at          BIGINT NOT NULL,
    ends_at            BIGINT NOT NULL,
    occupied_until     BIGINT NOT NULL,       -- ends_at plus the service's buffer
    citizen_name       TEXT NOT NULL,
    citizen_email      TEXT,
    citizen_phone      TEXT,
    language           TEXT NOT NULL,
    hold_expires_at    BIGINT,
    code_hash          TEXT,
    code_attempts      INTEGER NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX appointments_by_staff ON appointments(staff_id, starts_at);
CREATE INDEX appointments_held ON appointments(hold_expires_at) WHERE status = 'held';

-- Double booking is impossible here, not in application code: a booking must own one row of
-- slot_seats (at most `capacity` seats per service and slot start) and every 5-minute cell of its
-- staff member's time in staff_cells. Both are primary keys, so two transactions can never own the
-- same seat or cell. A held booking's rows carry its hold expiry; a later booking may take over a
-- row only when that expiry has passed (INSERT … ON CONFLICT DO UPDATE … WHERE expired).
CREATE TABLE slot_seats (
    service_id       UUID NOT NULL REFERENCES services(id),
    starts_at        BIGINT NOT NULL,
    seat             INTEGER NOT NULL CHECK (seat >= 0 AND seat < 50),
    appointment_id   UUID NOT NULL,
    hold_expires_at  BIGINT,
    PRIMARY KEY (service_id, starts_at, seat)
);
CREATE INDEX slot_seats_by_appointment ON slot_seats(appointment_id);

CREATE TABLE staff_cells (
    staff_id         UUID NOT NULL REFERENCES staff(id),
    cell_at          BIGINT NOT NULL,         -- start of a 5-minute cell
    appointment_id   UUID NOT NULL,
    hold_expires_at  BIGINT,
    PRIMARY KEY (staff_id, cell_at)
);
CREATE INDEX staff_cells_by_appointment ON staff_cells(appointment_id);

-- The transactional outbox: rows are written in the same transaction as the change that causes
-- them; a worker claims, delivers and marks them. Nothing sends mail inside a request.
CREATE TABLE outbox (
    id               UUID PRIMARY KEY,
    appointment_id   UUID,
    template         TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    language         TEXT NOT NULL,
    payload          TEXT NOT NULL,           -- JSON of the template's typed fields
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'held', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';

-- Messages delivered by the dev-mailbox transport (demo and tests): they never leave the machine.
CREATE TABLE dev_mailbox (
    id           UUID PRIMARY KEY,
    outbox_id    UUID NOT NULL UNIQUE,
    recipient    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body_text    TEXT NOT NULL,
    delivered_at BIGINT NOT NULL
);
