-- Skranke schema v10: changing where notifications go needs a second administrator (RS-60).
--
-- A new shared-mailbox address is first a proposal: who asked, when, the address and its
-- registrable domain. Another administrator approves it (then it becomes the owner's address in
-- `addresses`, unverified) or rejects it; the asker cannot decide their own proposal.
CREATE TABLE address_changes (
    id                  BLOB PRIMARY KEY,
    organisation_id     BLOB NOT NULL REFERENCES organisations(id),
    owner_kind          TEXT NOT NULL,
    owner_id            BLOB NOT NULL,
    address             TEXT NOT NULL,
    registrable_domain  TEXT NOT NULL,
    requested_by        BLOB NOT NULL,
    requested_at        INTEGER NOT NULL,
    decided_by          BLOB,
    decided_at          INTEGER,
    decision            TEXT CHECK (decision IN ('approved', 'rejected')),
    CHECK ((decision IS NULL) = (decided_at IS NULL))
) STRICT;
-- One open proposal per owner; a new one replaces it.
CREATE UNIQUE INDEX address_changes_open ON address_changes(owner_kind, owner_id) WHERE decision IS NULL;
CREATE INDEX address_changes_by_org ON address_changes(organisation_id, requested_at);
