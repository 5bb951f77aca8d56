-- +goose Up
-- When the session last passed a second factor: step-up asks for one done
-- within the last minutes.
ALTER TABLE sessions ADD COLUMN mfa_at TIMESTAMPTZ;

-- Steps of a sign-in or a ceremony that span requests: the second-factor
-- step of a login, a forced enrolment, a WebAuthn registration or assertion.
-- Only the SHA-256 of the token handed out is stored; state is what the
-- step carries to its end (JSON), failures counts wrong answers.
CREATE TABLE mfa_challenges (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX mfa_challenges_expiry ON mfa_challenges (expires_at);

-- +goose Down
DROP TABLE mfa_challenges;
ALTER TABLE sessions DROP COLUMN mfa_at;
