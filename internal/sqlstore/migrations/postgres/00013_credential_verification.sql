-- +goose Up
-- A tenant may carry an external id, unique among tenants: the client id
-- that nevisIDM's Authentication REST API names it by.
ALTER TABLE tenants ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX tenants_external_id ON tenants (external_id) WHERE external_id IS NOT NULL;

-- Failed verifications of a credential since it was last used or
-- activated; at the tenant's lockout max_attempts it is locked.
ALTER TABLE credentials ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE credentials DROP COLUMN failed_attempts;
DROP INDEX tenants_external_id;
ALTER TABLE tenants DROP COLUMN external_id;
