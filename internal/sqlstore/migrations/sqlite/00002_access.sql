-- +goose Up
CREATE TABLE permissions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX permissions_name ON permissions (tenant_id, name);

CREATE TABLE organizations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_folded  TEXT NOT NULL,
    alias        TEXT NOT NULL,
    external_id  TEXT,
    metadata     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organizations_alias ON organizations (tenant_id, alias);
CREATE UNIQUE INDEX organizations_external_id ON organizations (tenant_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE roles (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    organization_id  TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    name_folded      TEXT NOT NULL,
    description      TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles (tenant_id, COALESCE(organization_id, ''), name);

CREATE TABLE role_permissions (
    role_id     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission  TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);
CREATE INDEX role_permissions_permission ON role_permissions (permission);

CREATE TABLE user_roles (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE organization_members (
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (tenant_id, user_id);

CREATE TABLE organization_member_roles (
    organization_id  TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    role_id          TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, user_id, role_id),
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX organization_member_roles_user ON organization_member_roles (tenant_id, user_id, organization_id);
CREATE INDEX organization_member_roles_role ON organization_member_roles (role_id);

CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_folded  TEXT NOT NULL,
    description  TEXT NOT NULL,
    external_id  TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (tenant_id, name);
CREATE UNIQUE INDEX groups_external_id ON groups (tenant_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE group_members (
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id);

CREATE TABLE group_roles (
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_role ON group_roles (role_id);

-- +goose Down
DROP TABLE group_roles;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE organization_member_roles;
DROP TABLE organization_members;
DROP TABLE user_roles;
DROP TABLE role_permissions;
DROP TABLE roles;
DROP TABLE organizations;
DROP TABLE permissions;
