-- +goose Up
-- External identities linked to users: the subject a provider names a
-- person by, once per provider.
CREATE TABLE federated_identities (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider_id    TEXT NOT NULL REFERENCES federated_providers (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject        TEXT NOT NULL,
    email          TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    last_login_at  TIMESTAMP
);
CREATE UNIQUE INDEX federated_identities_subject ON federated_identities (provider_id, subject);
CREATE INDEX federated_identities_user ON federated_identities (tenant_id, user_id);

-- Sign-ins sent to a provider and not yet back: id is the SHA-256 of the
-- state, browser_hash that of the cookie binding it to one browser. A row
-- is taken once, so a state cannot be replayed.
CREATE TABLE federated_logins (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider_id   TEXT NOT NULL REFERENCES federated_providers (id) ON DELETE CASCADE,
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    verifier      TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    link_user_id  TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL
);
CREATE INDEX federated_logins_expiry ON federated_logins (expires_at);

-- The provider a session's user signed in through, if any.
ALTER TABLE sessions ADD COLUMN federated_provider_id TEXT;

-- +goose Down
ALTER TABLE sessions DROP COLUMN federated_provider_id;
DROP TABLE federated_logins;
DROP TABLE federated_identities;
