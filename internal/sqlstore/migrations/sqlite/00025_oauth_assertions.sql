-- +goose Up
-- The ids (jti) of client assertions and JWT-bearer grants already used
-- (RFC 7523 §3): each is accepted once until it expires.
CREATE TABLE oauth_used_assertions (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, client_id, jti)
);
CREATE INDEX oauth_used_assertions_expiry ON oauth_used_assertions (expires_at);

-- +goose Down
DROP TABLE oauth_used_assertions;
