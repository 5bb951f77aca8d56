-- +goose Up
-- External identity providers (OIDC, OAuth 2.0, SAML) of a tenant or of
-- one of its organizations. settings holds what the kind needs as a JSON
-- object; client_secret is sealed with the master key.
CREATE TABLE federated_providers (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    organization_id   TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    name_folded       TEXT NOT NULL,
    kind              TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    domains           TEXT NOT NULL,
    jit_provisioning  BOOLEAN NOT NULL,
    link_policy       TEXT NOT NULL,
    settings          TEXT NOT NULL,
    client_secret     BYTEA,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    version           BIGINT NOT NULL
);
CREATE UNIQUE INDEX federated_providers_name ON federated_providers (tenant_id, name_folded);

-- +goose Down
DROP TABLE federated_providers;
