-- +goose Up
-- What a SCIM client sent of a user or group that Gatehouse does not model
-- (phone numbers, addresses, the enterprise extension...), as a JSON
-- object, returned as sent so that round trips lose nothing.
CREATE TABLE scim_user_attributes (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL,
    attributes  TEXT NOT NULL
);
CREATE TABLE scim_group_attributes (
    group_id    TEXT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL,
    attributes  TEXT NOT NULL
);

-- +goose Down
DROP TABLE scim_group_attributes;
DROP TABLE scim_user_attributes;
