-- +goose Up
-- A user's consent to an application: one row per scope granted, so that
-- granting more is an insert, never a rewrite of what was granted before.
CREATE TABLE oauth_consents (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, application_id, scope)
);
CREATE INDEX oauth_consents_application ON oauth_consents (application_id);

-- +goose Down
DROP TABLE oauth_consents;
