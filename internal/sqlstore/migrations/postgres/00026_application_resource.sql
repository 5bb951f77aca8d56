-- +goose Up
-- An application that is a resource server is named by its resource URI
-- (RFC 8707): clients ask for tokens meant for it with resource=<uri>.
ALTER TABLE applications ADD COLUMN resource_uri TEXT;
CREATE UNIQUE INDEX applications_resource_uri ON applications (tenant_id, resource_uri) WHERE resource_uri IS NOT NULL;
-- api_access: the access tokens of the application's users call
-- Gatehouse's own API as them (an admin console).
ALTER TABLE applications ADD COLUMN api_access BOOLEAN NOT NULL DEFAULT FALSE;
-- The resource URIs a grant's access tokens are meant for, as a JSON
-- array; empty for tokens meant for the client itself.
ALTER TABLE sessions ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE applications DROP COLUMN api_access;
ALTER TABLE sessions DROP COLUMN resources;
DROP INDEX applications_resource_uri;
ALTER TABLE applications DROP COLUMN resource_uri;
