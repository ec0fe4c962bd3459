-- Skranke schema v8: the address registry and the policy gate's outcomes (issue 6).
--
-- Every address Skranke may mail is a row of `addresses` with its owner and how far it is proven
-- (RS-10, RS-11). A message names the address row it goes to; the worker loads that row at send
-- time and the gate decides. A changed address is a new row (unverified), never an edit of a
-- verified one, so a proof always belongs to the exact address that was proven.
CREATE TABLE addresses (
    id                    BLOB PRIMARY KEY,
    organisation_id       BLOB NOT NULL REFERENCES organisations(id),
    audience              TEXT NOT NULL CHECK (audience IN ('citizen', 'staff', 'shared_mailbox')),
    -- Whose address it is: a signed-in user's own, a queue's or centre's shared mailbox, the
    -- organisation's monitored mailbox (alerts), or a citizen's booking.
    owner_kind            TEXT NOT NULL CHECK (owner_kind IN ('user', 'staff', 'queue', 'centre', 'organisation', 'appointment')),
    owner_id              BLOB NOT NULL,
    address               TEXT NOT NULL,           -- normalised: lowercase, domain in A-label form
    registrable_domain    TEXT NOT NULL,
    state                 TEXT NOT NULL CHECK (state IN ('unverified', 'verified', 'expired', 'suspended')),
    verified_by           BLOB,                    -- the user who typed the code; NULL for a citizen
    verified_at           INTEGER,
    expires_at            INTEGER,
    last_acknowledged_at  INTEGER,
    unacknowledged        INTEGER NOT NULL DEFAULT 0,  -- notifications since the last acknowledgement
    bounces               INTEGER NOT NULL DEFAULT 0,
    -- RS-61: the written reason given for keeping an address that resembles a protected domain.
    flag_reason           TEXT,
    created_by            BLOB,
    created_at            INTEGER NOT NULL,
    retired_at            INTEGER,                 -- replaced by a newer address of the same owner
    version               INTEGER NOT NULL DEFAULT 0,
    CHECK ((state = 'verified') = (verified_at IS NOT NULL AND expires_at IS NOT NULL))
) STRICT;
-- One current address per owner; retired rows stay for the audit trail and breach scoping.
CREATE UNIQUE INDEX addresses_current_owner ON addresses(owner_kind, owner_id) WHERE retired_at IS NULL;
CREATE INDEX addresses_by_org ON addresses(organisation_id, audience);
CREATE INDEX addresses_by_domain ON addresses(registrable_domain);

-- The open verification code of an address (RS-11): only its salted hash, a few tries, an expiry.
CREATE TABLE address_codes (
    address_id    BLOB PRIMARY KEY REFERENCES addresses(id),
    code_hash     TEXT NOT NULL,
    requested_by  BLOB,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The outbox learns where a message goes (an address row), what it is for, which organisation it
-- belongs to, and what the gate said. Held and blocked messages keep status 'held' with
-- `gate_outcome` 'hold' or 'block' and the reason; they are never deleted by the worker.
ALTER TABLE outbox ADD COLUMN organisation_id BLOB;
ALTER TABLE outbox ADD COLUMN address_id BLOB REFERENCES addresses(id);
ALTER TABLE outbox ADD COLUMN purpose TEXT NOT NULL DEFAULT 'notification';
ALTER TABLE outbox ADD COLUMN gate_outcome TEXT;     -- 'send' | 'hold' | 'block'
ALTER TABLE outbox ADD COLUMN gate_reason TEXT;      -- skranke_core::notify::Reason code
ALTER TABLE outbox ADD COLUMN gate_rule TEXT;        -- skranke_core::notify::Rule code when sent
ALTER TABLE outbox ADD COLUMN classes TEXT;          -- the template's declared data classes
ALTER TABLE outbox ADD COLUMN held_at INTEGER;
ALTER TABLE outbox ADD COLUMN resolved_at INTEGER;   -- released or discarded by an administrator
ALTER TABLE outbox ADD COLUMN resolved_by BLOB;
CREATE INDEX outbox_held ON outbox(organisation_id, held_at) WHERE status = 'held';
CREATE INDEX outbox_by_address ON outbox(address_id);
