-- +goose Up
-- An organization's MFA policy: optional, or required, which makes each of
-- its members without a second factor enrol one at sign-in.
ALTER TABLE organizations ADD COLUMN mfa TEXT NOT NULL DEFAULT 'optional';

-- +goose Down
ALTER TABLE organizations DROP COLUMN mfa;
