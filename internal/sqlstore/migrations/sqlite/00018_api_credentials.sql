-- +goose Up
-- API credentials (owner_kind 'user') and service credentials (owner_kind
-- 'service_account'): long-lived bearer secrets stored as the SHA-256 hex
-- of the secret. A name is unique among the live credentials of one owner
-- kind in a namespace: an organization, or the tenant as a whole (NULL).
-- warned_at records the expiry warning mailed to the owner.
CREATE TABLE api_credentials (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    owner_kind       TEXT NOT NULL,
    owner_id         TEXT NOT NULL,
    organization_id  TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    secret_hash      TEXT NOT NULL,
    display          TEXT NOT NULL,
    active           BOOLEAN NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    revoked_at       TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    last_used_at     TIMESTAMP,
    warned_at        TIMESTAMP
);
CREATE UNIQUE INDEX api_credentials_secret_hash ON api_credentials (secret_hash);
CREATE UNIQUE INDEX api_credentials_name ON api_credentials (tenant_id, owner_kind, COALESCE(organization_id, ''), name)
    WHERE revoked_at IS NULL;
CREATE INDEX api_credentials_owner ON api_credentials (tenant_id, owner_kind, owner_id);
CREATE INDEX api_credentials_unwarned ON api_credentials (expires_at) WHERE revoked_at IS NULL AND warned_at IS NULL;

-- Leases let one replica at a time run a periodic job: a holder takes a
-- lease that is free or has run out with one compare-and-swap upsert.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);

-- A user's API credentials go with the user, a service account's service
-- credentials with the account.
-- +goose StatementBegin
CREATE TRIGGER api_credentials_user_deleted AFTER DELETE ON users
BEGIN
    DELETE FROM api_credentials WHERE owner_kind = 'user' AND owner_id = OLD.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER api_credentials_service_account_deleted AFTER DELETE ON service_accounts
BEGIN
    DELETE FROM api_credentials WHERE owner_kind = 'service_account' AND owner_id = OLD.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER api_credentials_service_account_deleted;
DROP TRIGGER api_credentials_user_deleted;
DROP TABLE leases;
DROP TABLE api_credentials;
