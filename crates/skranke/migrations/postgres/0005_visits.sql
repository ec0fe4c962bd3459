-- Skranke schema v5: queues and desks (issue 5). A visit is a walk-in ticket or an arrived
-- appointment; its steps are kept in visit_history. Two rules live in the database, not only in
-- code: a visit is called by one desk at a time (call-next claims it with a conditional UPDATE),
-- and a desk has at most one citizen at it (the partial unique index below).
ALTER TABLE centres ADD COLUMN call_order TEXT NOT NULL DEFAULT 'priority_appointments_arrival';
ALTER TABLE queues ADD COLUMN transfer_placement TEXT NOT NULL DEFAULT 'back'
    CHECK (transfer_placement IN ('back', 'keep_arrival'));

CREATE TABLE desks (
    id          UUID PRIMARY KEY,
    centre_id   UUID NOT NULL REFERENCES centres(id),
    name        TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    version     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (centre_id, name)
);

-- Tickets run per queue and local day (Europe/Copenhagen): A001, A002, …
CREATE TABLE ticket_counters (
    queue_id    UUID NOT NULL REFERENCES queues(id),
    day         TEXT NOT NULL,
    issued      BIGINT NOT NULL,
    PRIMARY KEY (queue_id, day)
);

CREATE TABLE visits (
    id              UUID PRIMARY KEY,
    centre_id       UUID NOT NULL REFERENCES centres(id),
    queue_id        UUID NOT NULL REFERENCES queues(id),
    service_id      UUID REFERENCES services(id),
    appointment_id  UUID UNIQUE REFERENCES appointments(id),
    kind            TEXT NOT NULL CHECK (kind IN ('walk_in', 'appointment')),
    ticket          TEXT NOT NULL,
    day             TEXT NOT NULL,            -- local day of arrival
    priority        INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'parked', 'done', 'no_show', 'cancelled')),
    arrived_at      BIGINT NOT NULL,
    queued_at       BIGINT NOT NULL,
    due_at          BIGINT,
    desk_id         UUID REFERENCES desks(id),
    called_at       BIGINT,
    started_at      BIGINT,
    ended_at        BIGINT,
    calls           INTEGER NOT NULL,
    transfers       INTEGER NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX visits_waiting ON visits(queue_id, queued_at) WHERE state = 'waiting';
CREATE INDEX visits_by_centre_day ON visits(centre_id, day);
CREATE UNIQUE INDEX visits_one_per_desk ON visits(desk_id) WHERE state IN ('called', 'serving');

CREATE TABLE visit_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visit_id    UUID NOT NULL REFERENCES visits(id),
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    desk_id     UUID,
    from_queue  UUID,
    to_queue    UUID,
    actor_id    UUID,
    reason      TEXT
);
CREATE INDEX visit_history_by_visit ON visit_history(visit_id, id);

-- Domain events for other parts to route (transfers now; the notification issue routes them).
-- Nothing is mailed from here: a router reads unrouted rows and marks them.
CREATE TABLE domain_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    centre_id   UUID NOT NULL,
    payload     TEXT NOT NULL,                -- JSON, ids only: no names, no topics
    routed_at   BIGINT
);
CREATE INDEX domain_events_unrouted ON domain_events(id) WHERE routed_at IS NULL;
