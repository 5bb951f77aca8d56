-- +goose Up
-- A service account is a machine identity of a tenant, optionally owned by
-- one organization. client_id is its stable public id, unique across
-- tenants so that a token endpoint can find it before knowing more.
CREATE TABLE service_accounts (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    organization_id  TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    name_folded      TEXT NOT NULL,
    description      TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX service_accounts_name ON service_accounts (tenant_id, name);
CREATE UNIQUE INDEX service_accounts_client_id ON service_accounts (client_id);
CREATE INDEX service_accounts_organization ON service_accounts (tenant_id, organization_id);

-- A service account's keys: a client secret (only its SHA-256 is kept, looked
-- up by it) or a public key (PEM) for private_key_jwt and the JWT-bearer
-- grant. Revoked keys stay, so that a use after revocation can be told apart
-- from an unknown secret; deleting the account deletes them.
CREATE TABLE service_account_keys (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    service_account_id  TEXT NOT NULL REFERENCES service_accounts (id) ON DELETE CASCADE,
    type                TEXT NOT NULL,
    secret_hash         TEXT,
    display             TEXT NOT NULL,
    algorithm           TEXT NOT NULL,
    public_key_pem      TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    expires_at          TIMESTAMPTZ,
    revoked_at          TIMESTAMPTZ,
    last_used_at        TIMESTAMPTZ
);
CREATE UNIQUE INDEX service_account_keys_secret ON service_account_keys (secret_hash) WHERE secret_hash IS NOT NULL;
CREATE INDEX service_account_keys_account ON service_account_keys (tenant_id, service_account_id);

-- What a service account holds, in tables parallel to the users' ones, so
-- that each keeps its foreign keys (and their cascades) to the account.
CREATE TABLE service_account_roles (
    service_account_id  TEXT NOT NULL REFERENCES service_accounts (id) ON DELETE CASCADE,
    role_id             TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (service_account_id, role_id)
);
CREATE INDEX service_account_roles_role ON service_account_roles (role_id);

CREATE TABLE service_account_admin_roles (
    service_account_id  TEXT NOT NULL REFERENCES service_accounts (id) ON DELETE CASCADE,
    role_id             TEXT NOT NULL REFERENCES admin_roles (id) ON DELETE CASCADE,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (service_account_id, role_id)
);
CREATE INDEX service_account_admin_roles_role ON service_account_admin_roles (role_id);

CREATE TABLE organization_service_accounts (
    organization_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_account_id  TEXT NOT NULL REFERENCES service_accounts (id) ON DELETE CASCADE,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organization_id, service_account_id)
);
CREATE INDEX organization_service_accounts_account ON organization_service_accounts (tenant_id, service_account_id);

CREATE TABLE organization_service_account_roles (
    organization_id     TEXT NOT NULL,
    service_account_id  TEXT NOT NULL,
    role_id             TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, service_account_id, role_id),
    FOREIGN KEY (organization_id, service_account_id)
        REFERENCES organization_service_accounts (organization_id, service_account_id) ON DELETE CASCADE
);
CREATE INDEX organization_service_account_roles_account ON organization_service_account_roles (tenant_id, service_account_id, organization_id);
CREATE INDEX organization_service_account_roles_role ON organization_service_account_roles (role_id);

-- +goose Down
DROP TABLE organization_service_account_roles;
DROP TABLE organization_service_accounts;
DROP TABLE service_account_admin_roles;
DROP TABLE service_account_roles;
DROP TABLE service_account_keys;
DROP TABLE service_accounts;
