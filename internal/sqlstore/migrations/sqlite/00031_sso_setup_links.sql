-- +goose Up
-- One-time links an admin gives an organization's IT admin to set up its
-- SSO: the identity provider (whose id is reserved here) and the email
-- domains proved by DNS. domains is a JSON list of {name, verified_at}.
CREATE TABLE sso_setup_links (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    token_hash       TEXT NOT NULL UNIQUE,
    provider_id      TEXT NOT NULL,
    domains          TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    completed_at     TIMESTAMP,
    version          BIGINT NOT NULL
);
CREATE INDEX sso_setup_links_organization ON sso_setup_links (tenant_id, organization_id);

-- +goose Down
DROP TABLE sso_setup_links;
