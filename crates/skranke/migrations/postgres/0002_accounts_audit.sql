-- Skranke schema v2 (PostgreSQL): staff accounts, roles, sessions, API tokens, sign-in throttling,
-- password resets, and the hash-chained audit log (issue 4). Instants as in v1.

-- A staff member's sign-in. Platform operators belong to no organisation.
CREATE TABLE users (
    id                   UUID PRIMARY KEY,
    organisation_id      UUID REFERENCES organisations(id),
    email                TEXT NOT NULL UNIQUE,   -- lowercase; the sign-in name
    name                 TEXT NOT NULL,
    password_hash        TEXT,                   -- argon2id PHC string; NULL until set via a reset link
    created_at           BIGINT NOT NULL,
    password_changed_at  BIGINT,
    disabled_at          BIGINT,
    -- Sessions created before this instant are void ("sign out everywhere", password change).
    sessions_valid_after BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_by_org ON users(organisation_id);

-- Role grants. organisation_id NULL only for the platform operator; centre_id NULL means every
-- centre of the organisation.
CREATE TABLE role_grants (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users(id),
    role             TEXT NOT NULL CHECK (role IN ('receptionist', 'caseworker', 'centre_admin', 'org_admin',
                                                  'data_protection_officer', 'platform_operator')),
    organisation_id  UUID REFERENCES organisations(id),
    centre_id        UUID REFERENCES centres(id),
    created_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX role_grants_unique ON role_grants(user_id, role, coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'), coalesce(centre_id, '00000000-0000-0000-0000-000000000000'));

-- Server-side sessions. Only the SHA-256 of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash     BYTEA PRIMARY KEY,
    user_id        UUID NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,           -- absolute timeout
    revoked_at     BIGINT
);
CREATE INDEX sessions_by_user ON sessions(user_id);

-- Personal API tokens: shown once, stored hashed, scoped to one of the user's roles.
CREATE TABLE api_tokens (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users(id),
    token_hash       BYTEA NOT NULL UNIQUE,
    label            TEXT NOT NULL,
    role             TEXT NOT NULL,
    organisation_id  UUID REFERENCES organisations(id),
    centre_id        UUID REFERENCES centres(id),
    created_at       BIGINT NOT NULL,
    last_used_at     BIGINT,
    revoked_at       BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);

-- Failed sign-ins, for throttling per account and per client address. `subject` is a keyed hash
-- ("account:" or "ip:" + HMAC), never the typed e-mail or the address itself.
CREATE TABLE sign_in_failures (
    subject   TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_subject ON sign_in_failures(subject, at);

-- One-time password reset links made by an administrator. Only the hash of the link's token.
CREATE TABLE password_resets (
    token_hash   BYTEA PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id),
    created_by   UUID REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);

-- The audit log: append-only and hash-chained (skranke_core::audit). Each row's hash covers the
-- previous row's hash and the canonical entry; audit_head holds the newest (seq, hash) and is
-- updated in the same transaction, so deleting the newest rows is caught too. Rows are written in
-- the transaction of the change they record.
CREATE TABLE audit_log (
    seq              BIGINT PRIMARY KEY,
    at               BIGINT NOT NULL,
    organisation_id  UUID,
    actor_kind       TEXT NOT NULL,
    actor_id         UUID,
    actor_label      TEXT NOT NULL,
    action           TEXT NOT NULL,
    object_kind      TEXT,
    object_id        TEXT,
    detail           TEXT NOT NULL,              -- canonical JSON
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL
);
CREATE INDEX audit_by_org_time ON audit_log(organisation_id, at);
CREATE INDEX audit_by_actor ON audit_log(actor_id, at);
CREATE INDEX audit_by_object ON audit_log(object_kind, object_id);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
