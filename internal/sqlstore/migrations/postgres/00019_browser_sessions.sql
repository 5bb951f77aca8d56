-- +goose Up
-- A browser's sign-in is a session like an API one, carried by a cookie
-- instead of tokens: only the SHA-256 of the cookie's secret is stored.
-- NULL for sessions of API tokens.
ALTER TABLE sessions ADD COLUMN browser_hash TEXT;
CREATE UNIQUE INDEX sessions_browser_hash ON sessions (browser_hash) WHERE browser_hash IS NOT NULL;

-- +goose Down
DROP INDEX sessions_browser_hash;
ALTER TABLE sessions DROP COLUMN browser_hash;
