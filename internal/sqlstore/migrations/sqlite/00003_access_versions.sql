-- +goose Up
-- One counter per tenant, bumped in the same transaction as every change to
-- who may do what; replicas poll it to know when their decisions are stale.
CREATE TABLE access_versions (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL
);

-- +goose Down
DROP TABLE access_versions;
