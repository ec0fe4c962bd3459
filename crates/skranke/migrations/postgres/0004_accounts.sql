-- Skranke schema v4 (postgres): what sign-in needs beyond v2. No code wrote sessions, API tokens or
-- password resets before this version, so their tables are recreated rather than altered: the
-- token hashes become the hex text that skranke_core::secret::SecretHash holds (as the booking
-- tokens already are), API tokens get the hint shown in the token list, and sessions get an id
-- so a user can see and end one of them.

DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE password_resets;

CREATE TABLE sessions (
    id             UUID PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE,       -- SHA-256 of the cookie's token; never the token
    user_id        UUID NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,                -- for the idle timeout; written at most once a minute
    expires_at     BIGINT NOT NULL,                -- absolute timeout
    revoked_at     BIGINT
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users(id),
    token_hash       TEXT NOT NULL UNIQUE,
    hint             TEXT NOT NULL,              -- the first characters, e.g. skr_3f9k2a…
    label            TEXT NOT NULL,
    role             TEXT NOT NULL,
    organisation_id  UUID REFERENCES organisations(id),
    centre_id        UUID REFERENCES centres(id),
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT,
    last_used_at     BIGINT,
    revoked_at       BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);

CREATE TABLE password_resets (
    token_hash   TEXT PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id),
    created_by   UUID REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets(user_id);

-- Keys the server generates once and keeps in the database, so that every app instance over it
-- uses the same ones: 'throttle' keys the hashes that name sign-in failures (an e-mail address or
-- a client address never lands in a table in the clear, and cannot be found by hashing guesses).
CREATE TABLE server_keys (
    name        TEXT PRIMARY KEY,
    key_bytes   BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);
