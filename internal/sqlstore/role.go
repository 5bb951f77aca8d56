package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const permissionColumns = `id, tenant_id, name, description, created_at, updated_at, version`

func scanPermission(row scanner) (*iam.Permission, error) {
	var p iam.Permission
	if err := row.Scan(&p.ID, &p.TenantID, &p.Name, &p.Description, &p.CreatedAt, &p.UpdatedAt, &p.Version); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

func (q *queries) CreatePermission(ctx context.Context, p *iam.Permission) error {
	p.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO permissions (`+permissionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.TenantID, p.Name, p.Description, ts(p.CreatedAt), ts(p.UpdatedAt), p.Version)
	return storeErr(err, "permission", nameTaken)
}

func (q *queries) GetPermission(ctx context.Context, tenantID, id string) (*iam.Permission, error) {
	p, err := scanPermission(q.r.QueryRowContext(ctx, `SELECT `+permissionColumns+` FROM permissions WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return p, storeErr(err, "permission", nil)
}

func (q *queries) GetPermissionForUpdate(ctx context.Context, tenantID, id string) (*iam.Permission, error) {
	if err := q.lockRow(ctx, "permissions", "permission", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetPermission(ctx, tenantID, id)
}

func (q *queries) GetPermissionByName(ctx context.Context, tenantID, name string) (*iam.Permission, error) {
	p, err := scanPermission(q.r.QueryRowContext(ctx, `SELECT `+permissionColumns+` FROM permissions WHERE tenant_id = $1 AND name = $2`, tenantID, name))
	return p, storeErr(err, "permission", nil)
}

func (q *queries) ListPermissions(ctx context.Context, tenantID string, p iam.ListParams) ([]iam.Permission, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND name LIKE $2 ESCAPE '\'`
	}
	return list(ctx, q, listing{what: "permissions", columns: permissionColumns, from: "permissions", where: where, args: args,
		order: iam.PermissionOrder}, p, scanPermission)
}

func (q *queries) UpdatePermission(ctx context.Context, p *iam.Permission) error {
	err := q.w.QueryRowContext(ctx, `UPDATE permissions SET description = $1, updated_at = $2, version = version + 1
		WHERE tenant_id = $3 AND id = $4 RETURNING version`, p.Description, ts(p.UpdatedAt), p.TenantID, p.ID).Scan(&p.Version)
	return storeErr(err, "permission", nil)
}

func (q *queries) DeletePermission(ctx context.Context, tenantID, id string) error {
	p, err := q.GetPermission(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM role_permissions WHERE permission = $1
		AND role_id IN (SELECT id FROM roles WHERE tenant_id = $2)`, p.Name, tenantID); err != nil {
		return storeErr(err, "permission", nil)
	}
	res, err := q.w.ExecContext(ctx, `DELETE FROM permissions WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "permission")
}

const roleColumns = `id, tenant_id, organization_id, name, description, created_at, updated_at, version`

func scanRole(row scanner) (*iam.Role, error) {
	var (
		r   iam.Role
		org sql.NullString
	)
	if err := row.Scan(&r.ID, &r.TenantID, &org, &r.Name, &r.Description, &r.CreatedAt, &r.UpdatedAt, &r.Version); err != nil {
		return nil, err
	}
	r.OrganizationID, r.CreatedAt, r.UpdatedAt = org.String, r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

func (q *queries) CreateRole(ctx context.Context, r *iam.Role) error {
	if r.OrganizationID != "" {
		if err := q.inTenant(ctx, "organizations", "organization", r.TenantID, r.OrganizationID); err != nil {
			return err
		}
	}
	r.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`, name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, r.TenantID, nullString(r.OrganizationID), r.Name, r.Description, ts(r.CreatedAt), ts(r.UpdatedAt), r.Version, fold(r.Name))
	if err != nil {
		return storeErr(err, "role", nameTaken)
	}
	return q.insertRolePermissions(ctx, r.ID, r.Permissions)
}

func (q *queries) insertRolePermissions(ctx context.Context, roleID string, perms []string) error {
	for _, p := range perms {
		if _, err := q.w.ExecContext(ctx, `INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)`, roleID, p); err != nil {
			return storeErr(err, "role permission", func(string) iam.Code { return iam.CodeConflict })
		}
	}
	return nil
}

// fillPermissions loads the permissions of roles, in name order.
func (q *queries) fillPermissions(ctx context.Context, roles []iam.Role) error {
	if len(roles) == 0 {
		return nil
	}
	index := make(map[string][]int, len(roles))
	ids := make([]string, len(roles))
	for i := range roles {
		index[roles[i].ID] = append(index[roles[i].ID], i)
		roles[i].Permissions = []string{}
		ids[i] = roles[i].ID
	}
	marks, args := placeholders(nil, ids)
	rows, err := q.r.QueryContext(ctx, `SELECT role_id, permission FROM role_permissions WHERE role_id IN (`+marks+`) ORDER BY permission`+q.bytewise(), args...)
	if err != nil {
		return storeErr(err, "role permissions", nil)
	}
	err = eachRow(rows, func(r *sql.Rows) error {
		var roleID, perm string
		if err := r.Scan(&roleID, &perm); err != nil {
			return err
		}
		for _, i := range index[roleID] {
			roles[i].Permissions = append(roles[i].Permissions, perm)
		}
		return nil
	})
	return storeErr(err, "role permissions", nil)
}

func (q *queries) rolesWhere(ctx context.Context, query string, args ...any) ([]iam.Role, error) {
	rows, err := q.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storeErr(err, "roles", nil)
	}
	roles := []iam.Role{}
	err = eachRow(rows, func(r *sql.Rows) error {
		role, err := scanRole(r)
		if err == nil {
			roles = append(roles, *role)
		}
		return err
	})
	if err != nil {
		return nil, storeErr(err, "roles", nil)
	}
	return roles, q.fillPermissions(ctx, roles)
}

func (q *queries) GetRole(ctx context.Context, tenantID, id string) (*iam.Role, error) {
	roles, err := q.rolesWhere(ctx, `SELECT `+roleColumns+` FROM roles WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return nil, iam.Errorf(iam.CodeNotFound, "role not found")
	}
	return &roles[0], nil
}

func (q *queries) GetRoleForUpdate(ctx context.Context, tenantID, id string) (*iam.Role, error) {
	if err := q.lockRow(ctx, "roles", "role", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetRole(ctx, tenantID, id)
}

func (q *queries) ListRoles(ctx context.Context, tenantID string, rq iam.RoleQuery) ([]iam.Role, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if rq.Search != "" {
		args = append(args, likePattern(rq.Search))
		where += fmt.Sprintf(` AND name_folded LIKE $%d ESCAPE '\'`, len(args))
	}
	switch {
	case rq.TemplatesOnly:
		where += ` AND organization_id IS NULL`
	case rq.OrganizationID != "":
		args = append(args, rq.OrganizationID)
		where += fmt.Sprintf(` AND organization_id = $%d`, len(args))
	}
	roles, total, err := list(ctx, q, listing{what: "roles", columns: roleColumns, from: "roles", where: where, args: args,
		order: iam.RoleOrder, sortBy: foldedName}, rq.ListParams, scanRole)
	if err != nil {
		return nil, 0, err
	}
	return roles, total, q.fillPermissions(ctx, roles)
}

func (q *queries) UpdateRole(ctx context.Context, r *iam.Role) error {
	err := q.w.QueryRowContext(ctx, `UPDATE roles SET name = $1, name_folded = $2, description = $3, updated_at = $4, version = version + 1
		WHERE tenant_id = $5 AND id = $6 RETURNING version`, r.Name, fold(r.Name), r.Description, ts(r.UpdatedAt), r.TenantID, r.ID).Scan(&r.Version)
	if err != nil {
		return storeErr(err, "role", nameTaken)
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM role_permissions WHERE role_id = $1`, r.ID); err != nil {
		return storeErr(err, "role permissions", nil)
	}
	return q.insertRolePermissions(ctx, r.ID, r.Permissions)
}

func (q *queries) DeleteRole(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM roles WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "role")
}

// insertIgnore runs an INSERT that may hit the primary key and reports
// whether it added a row.
func (q *queries) insertIgnore(ctx context.Context, what, insert string, args ...any) (bool, error) {
	res, err := q.w.ExecContext(ctx, insert+` ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return false, storeErr(err, what, nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, iam.Internal(err)
	}
	return n == 1, nil
}

// changed runs an UPDATE or DELETE and reports whether it touched a row.
func (q *queries) changed(ctx context.Context, what, query string, args ...any) (bool, error) {
	res, err := q.w.ExecContext(ctx, query, args...)
	if err != nil {
		return false, storeErr(err, what, nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, iam.Internal(err)
	}
	return n > 0, nil
}

func (q *queries) AddUserRole(ctx context.Context, tenantID, userID, roleID string) error {
	if err := q.inTenant(ctx, "users", "user", tenantID, userID); err != nil {
		return err
	}
	if err := q.inTenant(ctx, "roles", "role", tenantID, roleID); err != nil {
		return err
	}
	_, err := q.insertIgnore(ctx, "user role", `INSERT INTO user_roles (user_id, role_id, tenant_id) VALUES ($1, $2, $3)`, userID, roleID, tenantID)
	return err
}

func (q *queries) RemoveUserRole(ctx context.Context, tenantID, userID, roleID string) (bool, error) {
	return q.changed(ctx, "user role", `DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2 AND role_id = $3`, tenantID, userID, roleID)
}

func (q *queries) UserRoles(ctx context.Context, tenantID, userID string) ([]iam.Role, error) {
	return q.rolesWhere(ctx, `SELECT `+prefixed("r.", roleColumns)+` FROM roles r JOIN user_roles ur ON ur.role_id = r.id
		WHERE ur.tenant_id = $1 AND ur.user_id = $2 ORDER BY r.name_folded`+q.bytewise()+`, r.id`, tenantID, userID)
}

// grantsQuery unions the three paths to a permission: tenant-wide roles,
// roles of the user's groups, and roles held as a member of the organization.
const grantsQuery = `
SELECT rp.permission, r.id, r.name, 'tenant', '', ''
  FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN role_permissions rp ON rp.role_id = r.id
 WHERE ur.tenant_id = $1 AND ur.user_id = $2
UNION ALL
SELECT rp.permission, r.id, r.name, 'group', g.id, g.name
  FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN group_roles gr ON gr.group_id = g.id
  JOIN roles r ON r.id = gr.role_id JOIN role_permissions rp ON rp.role_id = r.id
 WHERE gm.tenant_id = $1 AND gm.user_id = $2
UNION ALL
SELECT rp.permission, r.id, r.name, 'organization', o.id, o.name
  FROM organization_member_roles mr JOIN organizations o ON o.id = mr.organization_id
  JOIN roles r ON r.id = mr.role_id JOIN role_permissions rp ON rp.role_id = r.id
 WHERE mr.tenant_id = $1 AND mr.user_id = $2 AND mr.organization_id = $3`

func (q *queries) Grants(ctx context.Context, tenantID, userID, orgID string) ([]iam.Grant, error) {
	return q.grants(ctx, grantsQuery, tenantID, userID, orgID)
}

func (q *queries) BumpAccessVersion(ctx context.Context, tenantID string) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO access_versions (tenant_id, version) VALUES ($1, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET version = access_versions.version + 1`, tenantID)
	return storeErr(err, "access version", nil)
}

func (q *queries) AccessVersion(ctx context.Context, tenantID string) (int64, error) {
	var v int64
	err := q.r.QueryRowContext(ctx, `SELECT version FROM access_versions WHERE tenant_id = $1`, tenantID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, storeErr(err, "access version", nil)
}

// inTenant answers CodeNotFound unless the row with id in table belongs to
// the tenant: links must never join rows of two tenants.
func (q *queries) inTenant(ctx context.Context, table, what, tenantID, id string) error {
	var n int
	if err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&n); err != nil {
		return storeErr(err, what, nil)
	}
	if n == 0 {
		return iam.Errorf(iam.CodeNotFound, "%s not found", what)
	}
	return nil
}
