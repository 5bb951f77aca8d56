-- +goose Up
-- A device authorization (RFC 8628): the device polls with its device code
-- (only its SHA-256 is kept) while the person enters the user code on
-- /device. state goes pending → approved or denied, and approved → used
-- once, when the device gets its tokens.
CREATE TABLE oauth_device_authorizations (
    device_code_hash  TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    application_id    TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_code         TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    resources         TEXT NOT NULL DEFAULT '[]',
    state             TEXT NOT NULL,
    user_id           TEXT REFERENCES users (id) ON DELETE CASCADE,
    auth_time         TIMESTAMP,
    amr               TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX oauth_device_user_code ON oauth_device_authorizations (tenant_id, user_code);

-- +goose Down
DROP TABLE oauth_device_authorizations;
