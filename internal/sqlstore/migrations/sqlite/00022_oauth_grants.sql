-- +goose Up
-- An OAuth grant is a session of a user with one application: its access
-- tokens name it (sid), its refresh tokens chain to it like an API
-- session's, and revoking it ends both. application_id is NULL for the
-- sessions of people (API tokens and browsers). auth_time is when the user
-- last authenticated for it, NULL where that is the session's creation.
ALTER TABLE sessions ADD COLUMN application_id TEXT REFERENCES applications (id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN auth_time TIMESTAMP;
CREATE INDEX sessions_application ON sessions (tenant_id, user_id, application_id) WHERE application_id IS NOT NULL;

-- An authorization request (RFC 6749 §4.1.1) from /oauth2/authorize until
-- its code is exchanged. request is the validated request as JSON, read and
-- written whole. user_id, browser_session_id, auth_time and amr are set once
-- the user has signed in; code_hash is the SHA-256 of the code issued then.
-- grant_session_id is set, once, by the exchange that won the code: the row
-- stays until it expires so that a second use of the code is recognised and
-- ends that grant (RFC 6749 §4.1.2).
CREATE TABLE oauth_auth_requests (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    application_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    request             TEXT NOT NULL,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    browser_session_id  TEXT,
    auth_time           TIMESTAMP,
    amr                 TEXT NOT NULL,
    code_hash           TEXT UNIQUE,
    grant_session_id    TEXT,
    created_at          TIMESTAMP NOT NULL,
    expires_at          TIMESTAMP NOT NULL
);
CREATE INDEX oauth_auth_requests_expiry ON oauth_auth_requests (expires_at);

-- +goose Down
DROP TABLE oauth_auth_requests;
DROP INDEX sessions_application;
ALTER TABLE sessions DROP COLUMN auth_time;
ALTER TABLE sessions DROP COLUMN scopes;
ALTER TABLE sessions DROP COLUMN application_id;
