-- +goose Up
-- A tenant's hostnames keep the order they were given in: the first is its
-- primary hostname, the host of its public base URL. Hostnames stored before
-- share position 0 and so keep their alphabetical order.
ALTER TABLE tenant_hostnames ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE tenant_hostnames DROP COLUMN position;
