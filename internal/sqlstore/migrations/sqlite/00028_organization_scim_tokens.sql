-- +goose Up
-- An organization's own SCIM token: its directory provisions the
-- organization's users only. NULL: the tenant's token.
ALTER TABLE scim_tokens ADD COLUMN organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE;
DROP INDEX scim_tokens_active;
CREATE UNIQUE INDEX scim_tokens_active ON scim_tokens (tenant_id) WHERE revoked_at IS NULL AND organization_id IS NULL;
CREATE UNIQUE INDEX scim_tokens_active_organization ON scim_tokens (organization_id) WHERE revoked_at IS NULL AND organization_id IS NOT NULL;

-- +goose Down
DROP INDEX scim_tokens_active_organization;
DROP INDEX scim_tokens_active;
DELETE FROM scim_tokens WHERE organization_id IS NOT NULL;
CREATE UNIQUE INDEX scim_tokens_active ON scim_tokens (tenant_id) WHERE revoked_at IS NULL;
ALTER TABLE scim_tokens DROP COLUMN organization_id;
