-- +goose Up
-- An application is an OAuth 2.0 / OpenID Connect client of a tenant.
-- client_id is its public id, unique across tenants so that a token endpoint
-- can find it before knowing more. The list fields (redirect URIs, grant
-- types, scopes) are JSON arrays of strings: they are read and written whole,
-- never queried. secret_hash is the SHA-256 of its client secret, if its
-- authentication method uses one; jwks is a JSON Web Key Set document.
CREATE TABLE applications (
    id                            TEXT PRIMARY KEY,
    tenant_id                     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                          TEXT NOT NULL,
    name_folded                   TEXT NOT NULL,
    type                          TEXT NOT NULL,
    client_id                     TEXT NOT NULL,
    secret_hash                   TEXT,
    redirect_uris                 TEXT NOT NULL,
    post_logout_redirect_uris     TEXT NOT NULL,
    grant_types                   TEXT NOT NULL,
    token_endpoint_auth_method    TEXT NOT NULL,
    jwks                          TEXT NOT NULL,
    jwks_uri                      TEXT NOT NULL,
    allowed_scopes                TEXT NOT NULL,
    access_token_format           TEXT NOT NULL,
    access_token_ttl_seconds      BIGINT NOT NULL,
    refresh_token_ttl_seconds     BIGINT NOT NULL,
    id_token_signed_response_alg  TEXT NOT NULL,
    require_consent               BOOLEAN NOT NULL,
    require_pkce                  BOOLEAN NOT NULL,
    created_at                    TIMESTAMPTZ NOT NULL,
    updated_at                    TIMESTAMPTZ NOT NULL,
    version                       BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX applications_name ON applications (tenant_id, name);
CREATE UNIQUE INDEX applications_client_id ON applications (client_id);

-- An application's roles: names such as "editor" that land in the roles
-- claim of its tokens for the subjects mapped to them.
CREATE TABLE application_roles (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX application_roles_name ON application_roles (application_id, name);

-- A role mapping gives one application role to exactly one subject: a user,
-- every member of a group, or every member of an organization. Deleting the
-- subject, the role or the application deletes the mapping.
CREATE TABLE application_role_mappings (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    application_id   TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    role_id          TEXT NOT NULL REFERENCES application_roles (id) ON DELETE CASCADE,
    user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
    group_id         TEXT REFERENCES groups (id) ON DELETE CASCADE,
    organization_id  TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TIMESTAMPTZ NOT NULL,
    CHECK ((CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN group_id IS NULL THEN 0 ELSE 1 END)
        + (CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE UNIQUE INDEX application_role_mappings_user ON application_role_mappings (role_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX application_role_mappings_group ON application_role_mappings (role_id, group_id) WHERE group_id IS NOT NULL;
CREATE UNIQUE INDEX application_role_mappings_organization ON application_role_mappings (role_id, organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX application_role_mappings_application ON application_role_mappings (tenant_id, application_id);

-- +goose Down
DROP TABLE application_role_mappings;
DROP TABLE application_roles;
DROP TABLE applications;
