-- Skranke schema v5: queues and desks (issue 5). A visit is a walk-in ticket or an arrived
-- appointment; its steps are kept in visit_history. Two rules live in the database, not only in
-- code: a visit is called by one desk at a time (call-next claims it with a conditional UPDATE),
-- and a desk has at most one citizen at it (the partial unique index below).
ALTER TABLE centres ADD COLUMN call_order TEXT NOT NULL DEFAULT 'priority_appointments_arrival';
ALTER TABLE queues ADD COLUMN transfer_placement TEXT NOT NULL DEFAULT 'back'
    CHECK (transfer_placement IN ('back', 'keep_arrival'));

CREATE TABLE desks (
    id          BLOB PRIMARY KEY,
    centre_id   BLOB NOT NULL REFERENCES centres(id),
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    version     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (centre_id, name)
) STRICT;

-- Tickets run per queue and local day (Europe/Copenhagen): A001, A002, …
CREATE TABLE ticket_counters (
    queue_id    BLOB NOT NULL REFERENCES queues(id),
    day         TEXT NOT NULL,
    issued      INTEGER NOT NULL,
    PRIMARY KEY (queue_id, day)
) STRICT;

CREATE TABLE visits (
    id              BLOB PRIMARY KEY,
    centre_id       BLOB NOT NULL REFERENCES centres(id),
    queue_id        BLOB NOT NULL REFERENCES queues(id),
    service_id      BLOB REFERENCES services(id),
    appointment_id  BLOB UNIQUE REFERENCES appointments(id),
    kind            TEXT NOT NULL CHECK (kind IN ('walk_in', 'appointment')),
    ticket          TEXT NOT NULL,
    day             TEXT NOT NULL,            -- local day of arrival
    priority        INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'parked', 'done', 'no_show', 'cancelled')),
    arrived_at      INTEGER NOT NULL,
    queued_at       INTEGER NOT NULL,
    due_at          INTEGER,
    desk_id         BLOB REFERENCES desks(id),
    called_at       INTEGER,
    started_at      INTEGER,
    ended_at        INTEGER,
    calls           INTEGER NOT NULL,
    transfers       INTEGER NOT NULL,
    version         INTEGER NOT NULL
) STRICT;
CREATE INDEX visits_waiting ON visits(queue_id, queued_at) WHERE state = 'waiting';
CREATE INDEX visits_by_centre_day ON visits(centre_id, day);
CREATE UNIQUE INDEX visits_one_per_desk ON visits(desk_id) WHERE state IN ('called', 'serving');

CREATE TABLE visit_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id    BLOB NOT NULL REFERENCES visits(id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    desk_id     BLOB,
    from_queue  BLOB,
    to_queue    BLOB,
    actor_id    BLOB,
    reason      TEXT
) STRICT;
CREATE INDEX visit_history_by_visit ON visit_history(visit_id, id);

-- Domain events for other parts to route (transfers now; the notification issue routes them).
-- Nothing is mailed from here: a router reads unrouted rows and marks them.
CREATE TABLE domain_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    centre_id   BLOB NOT NULL,
    payload     TEXT NOT NULL,                -- JSON, ids only: no names, no topics
    routed_at   INTEGER
) STRICT;
CREATE INDEX domain_events_unrouted ON domain_events(id) WHERE routed_at IS NULL;
