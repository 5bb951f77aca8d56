-- +goose Up
-- Personal access tokens: a user's bearer secrets, stored as their SHA-256.
-- A revoked token keeps its row, so that its later use is audited as such.
-- scopes is a JSON array of system permissions, NULL for all the owner's.
CREATE TABLE personal_access_tokens (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    display         TEXT NOT NULL,
    scopes          TEXT,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    last_used_at    TIMESTAMP,
    revoked_at      TIMESTAMP
);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (tenant_id, user_id, created_at);

-- SCIM tokens: at most one not revoked per tenant.
CREATE TABLE scim_tokens (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    display         TEXT NOT NULL,
    created_by_type TEXT NOT NULL,
    created_by_id   TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP,
    last_used_at    TIMESTAMP,
    revoked_at      TIMESTAMP
);
CREATE UNIQUE INDEX scim_tokens_active ON scim_tokens (tenant_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE scim_tokens;
DROP TABLE personal_access_tokens;
