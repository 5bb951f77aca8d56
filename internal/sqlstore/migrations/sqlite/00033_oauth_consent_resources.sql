-- +goose Up
-- The resource servers (RFC 8707) a user let an application call for them:
-- consent to scopes alone would let the application get tokens for any API
-- of the tenant without asking. One row per resource, as for scopes.
CREATE TABLE oauth_consent_resources (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    resource        TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, application_id, resource)
);
CREATE INDEX oauth_consent_resources_application ON oauth_consent_resources (application_id);

-- +goose Down
DROP TABLE oauth_consent_resources;
