-- +goose Up
-- The browser session a federated sign-in started from: a SAML response is
-- a cross-site POST, which brings no session cookie, so the sign-in learns
-- here which earlier session to end.
ALTER TABLE federated_logins ADD COLUMN previous_session_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE federated_logins DROP COLUMN previous_session_id;
