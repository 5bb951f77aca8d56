-- +goose Up
-- Every record an admin changes carries a version, incremented by each
-- update: the REST API shows it as the ETag that If-Match compares.
ALTER TABLE tenants ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE admin_roles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE permissions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE organizations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE roles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE tenant_settings ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE tenant_settings DROP COLUMN version;
ALTER TABLE groups DROP COLUMN version;
ALTER TABLE roles DROP COLUMN version;
ALTER TABLE organizations DROP COLUMN version;
ALTER TABLE permissions DROP COLUMN version;
ALTER TABLE admin_roles DROP COLUMN version;
ALTER TABLE users DROP COLUMN version;
ALTER TABLE tenants DROP COLUMN version;
