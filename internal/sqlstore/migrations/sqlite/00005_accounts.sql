-- +goose Up
-- Single-use links: email verification, password reset, email change. Only
-- the SHA-256 of the token is stored.
CREATE TABLE one_time_tokens (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (tenant_id, user_id, kind);

CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    organization_id  TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    roles            TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    invited_by       TEXT NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    accepted_at      TIMESTAMP,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX invitations_tenant ON invitations (tenant_id, created_at);

-- Failed logins per submitted email, whether or not an account has it.
CREATE TABLE login_failures (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    failures         INTEGER NOT NULL,
    locked_until     TIMESTAMP,
    last_failure_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, email)
);

CREATE INDEX sessions_user_created ON sessions (tenant_id, user_id, created_at);

-- +goose Down
DROP INDEX sessions_user_created;
DROP TABLE login_failures;
DROP TABLE invitations;
DROP TABLE one_time_tokens;
