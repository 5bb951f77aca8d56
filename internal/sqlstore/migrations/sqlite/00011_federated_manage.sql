-- +goose Up
-- The system permission for federated providers is federated.manage, named
-- like its REST path (/api/v1/federated/providers); admin roles granted under
-- the old name keep what they held.
UPDATE admin_roles SET permissions = REPLACE(REPLACE(permissions, '"federation.manage"', '"federated.manage"'), '"federation.*"', '"federated.*"');

-- +goose Down
UPDATE admin_roles SET permissions = REPLACE(REPLACE(permissions, '"federated.manage"', '"federation.manage"'), '"federated.*"', '"federation.*"');
