-- +goose Up
-- A user's secrets, one row each: at most one of a type and name per user.
-- name is empty for the password and qualifies the types a user holds
-- several of (a device id, a context); secret is a hash or sealed data.
CREATE TABLE credentials (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    secret        TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    expires_at    TIMESTAMP
);
CREATE UNIQUE INDEX credentials_user_type_name ON credentials (user_id, type, name);
CREATE INDEX credentials_tenant_type ON credentials (tenant_id, type);

-- A moved password keeps its user's id as its own: the user's id is unique
-- and a UUIDv7 as every id is, which SQL cannot mint.
INSERT INTO credentials (id, tenant_id, user_id, type, name, state, secret, created_at, updated_at)
SELECT id, tenant_id, id, 'password', '', 'active', password_hash, created_at, updated_at
FROM users WHERE password_hash IS NOT NULL AND password_hash <> '';

ALTER TABLE users DROP COLUMN password_hash;

-- +goose Down
ALTER TABLE users ADD COLUMN password_hash TEXT;
UPDATE users SET password_hash = (SELECT c.secret FROM credentials c
    WHERE c.user_id = users.id AND c.type = 'password' AND c.name = '');
DROP TABLE credentials;
