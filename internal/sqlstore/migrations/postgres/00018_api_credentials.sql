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
    expires_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    last_used_at     TIMESTAMPTZ,
    warned_at        TIMESTAMPTZ
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
    expires_at  TIMESTAMPTZ NOT NULL
);

-- A user's API credentials go with the user, a service account's service
-- credentials with the account: the trigger's argument is the owner kind.
-- The table is named in the schema of the owner's table, whatever the
-- deleting session's search_path.
-- +goose StatementBegin
CREATE FUNCTION api_credentials_owner_deleted() RETURNS trigger AS $$
BEGIN
    EXECUTE format('DELETE FROM %I.api_credentials WHERE owner_kind = $1 AND owner_id = $2', TG_TABLE_SCHEMA)
        USING TG_ARGV[0], OLD.id;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER api_credentials_user_deleted AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION api_credentials_owner_deleted('user');
CREATE TRIGGER api_credentials_service_account_deleted AFTER DELETE ON service_accounts
    FOR EACH ROW EXECUTE FUNCTION api_credentials_owner_deleted('service_account');

-- +goose Down
DROP TRIGGER api_credentials_service_account_deleted ON service_accounts;
DROP TRIGGER api_credentials_user_deleted ON users;
DROP FUNCTION api_credentials_owner_deleted();
DROP TABLE leases;
DROP TABLE api_credentials;
