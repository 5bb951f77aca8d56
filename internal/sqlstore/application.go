package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func applicationUnique(constraint string) iam.Code {
	if strings.Contains(constraint, "client_id") || strings.Contains(constraint, "resource_uri") {
		return iam.CodeConflict
	}
	return iam.CodeNameTaken
}

const applicationColumns = `id, tenant_id, name, type, client_id, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types,
	token_endpoint_auth_method, jwks, jwks_uri, allowed_scopes, access_token_format, access_token_ttl_seconds, refresh_token_ttl_seconds,
	id_token_signed_response_alg, require_consent, require_pkce, created_at, updated_at, version, resource_uri, api_access`

// stringList is a list of strings kept as a JSON array in one column.
func stringList(values []string) string {
	if values == nil {
		values = []string{}
	}
	b, _ := json.Marshal(values) // a []string always marshals
	return string(b)
}

func scanApplication(row scanner) (*iam.Application, error) {
	var (
		a                                  iam.Application
		typ                                string
		hash                               sql.NullString
		redirects, logouts, grants, scopes string
		accessSeconds, refreshSeconds      int64
		resource                           sql.NullString
	)
	if err := row.Scan(&a.ID, &a.TenantID, &a.Name, &typ, &a.ClientID, &hash, &redirects, &logouts, &grants,
		&a.TokenEndpointAuthMethod, &a.JWKS, &a.JWKSURI, &scopes, &a.AccessTokenFormat, &accessSeconds, &refreshSeconds,
		&a.IDTokenSignedResponseAlg, &a.RequireConsent, &a.RequirePKCE, &a.CreatedAt, &a.UpdatedAt, &a.Version, &resource, &a.APIAccess); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		raw string
		to  *[]string
	}{{redirects, &a.RedirectURIs}, {logouts, &a.PostLogoutRedirectURIs}, {grants, &a.GrantTypes}, {scopes, &a.AllowedScopes}} {
		if err := json.Unmarshal([]byte(l.raw), l.to); err != nil {
			return nil, fmt.Errorf("application %s: %w", a.ID, err)
		}
	}
	a.Type, a.SecretHash, a.ResourceURI = iam.ApplicationType(typ), hash.String, resource.String
	a.AccessTokenTTL, a.RefreshTokenTTL = time.Duration(accessSeconds)*time.Second, time.Duration(refreshSeconds)*time.Second
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

func (q *queries) CreateApplication(ctx context.Context, a *iam.Application) error {
	a.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO applications (`+applicationColumns+`, name_folded)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
		a.ID, a.TenantID, a.Name, string(a.Type), a.ClientID, nullString(a.SecretHash), stringList(a.RedirectURIs),
		stringList(a.PostLogoutRedirectURIs), stringList(a.GrantTypes), a.TokenEndpointAuthMethod, a.JWKS, a.JWKSURI,
		stringList(a.AllowedScopes), a.AccessTokenFormat, int64(a.AccessTokenTTL/time.Second), int64(a.RefreshTokenTTL/time.Second),
		a.IDTokenSignedResponseAlg, a.RequireConsent, a.RequirePKCE, ts(a.CreatedAt), ts(a.UpdatedAt), a.Version,
		nullString(a.ResourceURI), a.APIAccess, fold(a.Name))
	return storeErr(err, "application", applicationUnique)
}

func (q *queries) GetApplication(ctx context.Context, tenantID, id string) (*iam.Application, error) {
	a, err := scanApplication(q.r.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return a, storeErr(err, "application", nil)
}

func (q *queries) GetApplicationForUpdate(ctx context.Context, tenantID, id string) (*iam.Application, error) {
	if err := q.lockRow(ctx, "applications", "application", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetApplication(ctx, tenantID, id)
}

func (q *queries) GetApplicationByClientID(ctx context.Context, tenantID, clientID string) (*iam.Application, error) {
	a, err := scanApplication(q.r.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE tenant_id = $1 AND client_id = $2`,
		tenantID, clientID))
	return a, storeErr(err, "application", nil)
}

func (q *queries) GetApplicationByResource(ctx context.Context, tenantID, uri string) (*iam.Application, error) {
	a, err := scanApplication(q.r.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE tenant_id = $1 AND resource_uri = $2`,
		tenantID, uri))
	return a, storeErr(err, "application", nil)
}

func (q *queries) ListApplications(ctx context.Context, tenantID string, aq iam.ApplicationQuery) ([]iam.Application, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if aq.Search != "" {
		args = append(args, likePattern(aq.Search))
		where += fmt.Sprintf(` AND name_folded LIKE $%d ESCAPE '\'`, len(args))
	}
	if aq.Type != "" {
		args = append(args, string(aq.Type))
		where += fmt.Sprintf(` AND type = $%d`, len(args))
	}
	return list(ctx, q, listing{what: "applications", columns: applicationColumns, from: "applications", where: where, args: args,
		order: iam.ApplicationOrder, sortBy: foldedName}, aq.ListParams, scanApplication)
}

func (q *queries) UpdateApplication(ctx context.Context, a *iam.Application) error {
	err := q.w.QueryRowContext(ctx, `UPDATE applications SET name = $1, name_folded = $2, secret_hash = $3, redirect_uris = $4,
		post_logout_redirect_uris = $5, grant_types = $6, token_endpoint_auth_method = $7, jwks = $8, jwks_uri = $9, allowed_scopes = $10,
		access_token_format = $11, access_token_ttl_seconds = $12, refresh_token_ttl_seconds = $13, id_token_signed_response_alg = $14,
		require_consent = $15, require_pkce = $16, updated_at = $17, resource_uri = $18, api_access = $19, version = version + 1
		WHERE tenant_id = $20 AND id = $21 RETURNING version`,
		a.Name, fold(a.Name), nullString(a.SecretHash), stringList(a.RedirectURIs), stringList(a.PostLogoutRedirectURIs),
		stringList(a.GrantTypes), a.TokenEndpointAuthMethod, a.JWKS, a.JWKSURI, stringList(a.AllowedScopes), a.AccessTokenFormat,
		int64(a.AccessTokenTTL/time.Second), int64(a.RefreshTokenTTL/time.Second), a.IDTokenSignedResponseAlg, a.RequireConsent,
		a.RequirePKCE, ts(a.UpdatedAt), nullString(a.ResourceURI), a.APIAccess, a.TenantID, a.ID).Scan(&a.Version)
	return storeErr(err, "application", applicationUnique)
}

func (q *queries) DeleteApplication(ctx context.Context, tenantID, id string) error {
	// Roles and mappings go with it (ON DELETE CASCADE).
	res, err := q.w.ExecContext(ctx, `DELETE FROM applications WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "application")
}

const applicationRoleColumns = `id, tenant_id, application_id, name, description, created_at`

func scanApplicationRole(row scanner) (*iam.ApplicationRole, error) {
	var r iam.ApplicationRole
	if err := row.Scan(&r.ID, &r.TenantID, &r.ApplicationID, &r.Name, &r.Description, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

func (q *queries) CreateApplicationRole(ctx context.Context, r *iam.ApplicationRole) error {
	if err := q.inTenant(ctx, "applications", "application", r.TenantID, r.ApplicationID); err != nil {
		return err
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO application_roles (`+applicationRoleColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		r.ID, r.TenantID, r.ApplicationID, r.Name, r.Description, ts(r.CreatedAt))
	return storeErr(err, "application role", func(string) iam.Code { return iam.CodeNameTaken })
}

func (q *queries) ApplicationRoleByName(ctx context.Context, tenantID, applicationID, name string) (*iam.ApplicationRole, error) {
	r, err := scanApplicationRole(q.r.QueryRowContext(ctx, `SELECT `+applicationRoleColumns+` FROM application_roles
		WHERE tenant_id = $1 AND application_id = $2 AND name = $3`, tenantID, applicationID, name))
	return r, storeErr(err, "application role", nil)
}

func (q *queries) ListApplicationRoles(ctx context.Context, tenantID, applicationID string) ([]iam.ApplicationRole, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+applicationRoleColumns+` FROM application_roles
		WHERE tenant_id = $1 AND application_id = $2 ORDER BY name`+q.bytewise()+`, id`, tenantID, applicationID)
	if err != nil {
		return nil, storeErr(err, "application roles", nil)
	}
	roles := []iam.ApplicationRole{}
	err = eachRow(rows, func(r *sql.Rows) error {
		role, err := scanApplicationRole(r)
		if err == nil {
			roles = append(roles, *role)
		}
		return err
	})
	return roles, storeErr(err, "application roles", nil)
}

func (q *queries) DeleteApplicationRole(ctx context.Context, tenantID, applicationID, id string) error {
	// Its mappings go with it (ON DELETE CASCADE).
	res, err := q.w.ExecContext(ctx, `DELETE FROM application_roles WHERE tenant_id = $1 AND application_id = $2 AND id = $3`,
		tenantID, applicationID, id)
	return affected(res, err, "application role")
}

const appRoleMappingColumns = `m.id, m.tenant_id, m.application_id, m.role_id, r.name, m.user_id, m.group_id, m.organization_id, m.created_at`

const appRoleMappingFrom = `application_role_mappings m JOIN application_roles r ON r.id = m.role_id`

func scanAppRoleMapping(row scanner) (*iam.AppRoleMapping, error) {
	var (
		m                  iam.AppRoleMapping
		user, group, orgID sql.NullString
	)
	if err := row.Scan(&m.ID, &m.TenantID, &m.ApplicationID, &m.RoleID, &m.Role, &user, &group, &orgID, &m.CreatedAt); err != nil {
		return nil, err
	}
	m.UserID, m.GroupID, m.OrganizationID, m.CreatedAt = user.String, group.String, orgID.String, m.CreatedAt.UTC()
	return &m, nil
}

func (q *queries) CreateAppRoleMapping(ctx context.Context, m *iam.AppRoleMapping) error {
	var n int
	if err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM application_roles WHERE tenant_id = $1 AND application_id = $2 AND id = $3`,
		m.TenantID, m.ApplicationID, m.RoleID).Scan(&n); err != nil {
		return storeErr(err, "application role", nil)
	}
	if n == 0 {
		return iam.Errorf(iam.CodeNotFound, "application role not found")
	}
	// The table's CHECK holds it to exactly one subject.
	table, what, id := "users", "user", m.UserID
	switch {
	case m.GroupID != "":
		table, what, id = "groups", "group", m.GroupID
	case m.OrganizationID != "":
		table, what, id = "organizations", "organization", m.OrganizationID
	}
	if err := q.inTenant(ctx, table, what, m.TenantID, id); err != nil {
		return err
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO application_role_mappings
		(id, tenant_id, application_id, role_id, user_id, group_id, organization_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		m.ID, m.TenantID, m.ApplicationID, m.RoleID, nullString(m.UserID), nullString(m.GroupID), nullString(m.OrganizationID), ts(m.CreatedAt))
	return storeErr(err, "role mapping", func(string) iam.Code { return iam.CodeConflict })
}

func (q *queries) GetAppRoleMapping(ctx context.Context, tenantID, id string) (*iam.AppRoleMapping, error) {
	m, err := scanAppRoleMapping(q.r.QueryRowContext(ctx, `SELECT `+appRoleMappingColumns+` FROM `+appRoleMappingFrom+`
		WHERE m.tenant_id = $1 AND m.id = $2`, tenantID, id))
	return m, storeErr(err, "role mapping", nil)
}

func (q *queries) ListAppRoleMappings(ctx context.Context, tenantID string, mq iam.AppRoleMappingQuery) ([]iam.AppRoleMapping, int, error) {
	where, args := ` WHERE m.tenant_id = $1`, []any{tenantID}
	for _, f := range []struct{ column, value string }{
		{"m.application_id", mq.ApplicationID}, {"r.name", mq.Role}, {"m.user_id", mq.UserID},
		{"m.group_id", mq.GroupID}, {"m.organization_id", mq.OrganizationID},
	} {
		if f.value != "" {
			args = append(args, f.value)
			where += fmt.Sprintf(` AND %s = $%d`, f.column, len(args))
		}
	}
	p := mq.ListParams
	p.OrderBy, p.Desc = "", false
	return list(ctx, q, listing{what: "role mappings", columns: appRoleMappingColumns, from: appRoleMappingFrom, where: where, args: args,
		order: iam.Order{"m.created_at"}, id: "m.id"}, p, scanAppRoleMapping)
}

func (q *queries) DeleteAppRoleMapping(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM application_role_mappings WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "role mapping")
}

func (q *queries) ApplicationRolesFor(ctx context.Context, tenantID, applicationID, userID string) ([]string, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT DISTINCT r.name FROM application_role_mappings m
		JOIN application_roles r ON r.id = m.role_id
		WHERE m.tenant_id = $1 AND m.application_id = $2 AND (
			m.user_id = $3
			OR m.group_id IN (SELECT group_id FROM group_members WHERE tenant_id = $1 AND user_id = $3)
			OR m.organization_id IN (SELECT organization_id FROM organization_members WHERE tenant_id = $1 AND user_id = $3))`, tenantID, applicationID, userID)
	if err != nil {
		return nil, storeErr(err, "application roles", nil)
	}
	names := []string{}
	err = eachRow(rows, func(r *sql.Rows) error {
		var name string
		err := r.Scan(&name)
		if err == nil {
			names = append(names, name)
		}
		return err
	})
	// Sorted here, by bytes, as both dialects would not agree on a collation.
	slices.Sort(names)
	return names, storeErr(err, "application roles", nil)
}
