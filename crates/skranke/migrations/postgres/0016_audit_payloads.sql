-- Schema v16: audit that survives erasure (issue 7, point 4).
--
-- Entries chained from now on are format 2: the chain covers a salted commitment to the detail,
-- stored beside it, so retention can erase the detail and its salt (detail = '' and salt NULL)
-- and the chain still verifies. Entries written before stay format 1 (the
-- detail hashed as it is), which is what the default marks them as.
ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN payload_salt TEXT;
ALTER TABLE audit_log ADD COLUMN commitment TEXT;
-- Payloads still to erase, oldest first per organisation (retention's batches).
CREATE INDEX audit_payload_due ON audit_log(organisation_id, at) WHERE payload_salt IS NOT NULL;

-- Keyed pseudonyms of citizens' addresses in audit entries, and what they stand for. The key is
-- `server_keys.audit_pseudonym`; a row goes when its retention class runs out (or on the
-- citizen's request), after which the audit still counts the pseudonym but no longer names it.
CREATE TABLE audit_pseudonyms (
    pseudonym        TEXT PRIMARY KEY,
    organisation_id  UUID,
    kind             TEXT NOT NULL,              -- 'address'
    value            TEXT NOT NULL,
    first_at         BIGINT NOT NULL,
    last_at          BIGINT NOT NULL
);
CREATE INDEX audit_pseudonyms_due ON audit_pseudonyms(organisation_id, last_at);
