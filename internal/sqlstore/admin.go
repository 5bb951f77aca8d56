package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func nameTaken(string) iam.Code { return iam.CodeNameTaken }

const adminRoleColumns = `id, tenant_id, name, description, permissions, builtin, created_at, updated_at, version`

func scanAdminRole(row scanner) (*iam.AdminRole, error) {
	var (
		r     iam.AdminRole
		perms string
	)
	if err := row.Scan(&r.ID, &r.TenantID, &r.Name, &r.Description, &perms, &r.Builtin, &r.CreatedAt, &r.UpdatedAt, &r.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
		return nil, fmt.Errorf("admin role %s permissions: %w", r.ID, err)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

func marshalStrings(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func (q *queries) CreateAdminRole(ctx context.Context, r *iam.AdminRole) error {
	r.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO admin_roles (`+adminRoleColumns+`, name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, r.TenantID, r.Name, r.Description, marshalStrings(r.Permissions), r.Builtin, ts(r.CreatedAt), ts(r.UpdatedAt), r.Version, fold(r.Name))
	return storeErr(err, "admin role", nameTaken)
}

func (q *queries) GetAdminRole(ctx context.Context, tenantID, id string) (*iam.AdminRole, error) {
	r, err := scanAdminRole(q.r.QueryRowContext(ctx, `SELECT `+adminRoleColumns+` FROM admin_roles WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return r, storeErr(err, "admin role", nil)
}

func (q *queries) GetAdminRoleForUpdate(ctx context.Context, tenantID, id string) (*iam.AdminRole, error) {
	if err := q.lockRow(ctx, "admin_roles", "admin role", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetAdminRole(ctx, tenantID, id)
}

func (q *queries) GetAdminRoleByName(ctx context.Context, tenantID, name string) (*iam.AdminRole, error) {
	r, err := scanAdminRole(q.r.QueryRowContext(ctx, `SELECT `+adminRoleColumns+` FROM admin_roles WHERE tenant_id = $1 AND name = $2`, tenantID, name))
	return r, storeErr(err, "admin role", nil)
}

func (q *queries) ListAdminRoles(ctx context.Context, tenantID string, p iam.ListParams) ([]iam.AdminRole, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND name_folded LIKE $2 ESCAPE '\'`
	}
	return list(ctx, q, listing{what: "admin roles", columns: adminRoleColumns, from: "admin_roles", where: where, args: args,
		order: iam.AdminRoleOrder, sortBy: foldedName}, p, scanAdminRole)
}

func collectAdminRoles(rows *sql.Rows) ([]iam.AdminRole, error) {
	roles := []iam.AdminRole{}
	err := eachRow(rows, func(r *sql.Rows) error {
		role, err := scanAdminRole(r)
		if err == nil {
			roles = append(roles, *role)
		}
		return err
	})
	return roles, storeErr(err, "admin roles", nil)
}

func (q *queries) UpdateAdminRole(ctx context.Context, r *iam.AdminRole) error {
	err := q.w.QueryRowContext(ctx, `UPDATE admin_roles SET name = $1, name_folded = $2, description = $3, permissions = $4, updated_at = $5,
		version = version + 1 WHERE tenant_id = $6 AND id = $7 RETURNING version`,
		r.Name, fold(r.Name), r.Description, marshalStrings(r.Permissions), ts(r.UpdatedAt), r.TenantID, r.ID).Scan(&r.Version)
	if err != nil {
		return storeErr(err, "admin role", nameTaken)
	}
	return q.bumpHolders(ctx, r.TenantID, r.ID)
}

func (q *queries) DeleteAdminRole(ctx context.Context, tenantID, id string) error {
	if err := q.bumpHolders(ctx, tenantID, id); err != nil {
		return err
	}
	res, err := q.w.ExecContext(ctx, `DELETE FROM admin_roles WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "admin role")
}

// bumpHolders moves the version of every user and service account holding
// the admin role: each is shown with the roles it holds, so its ETag changes
// with them.
func (q *queries) bumpHolders(ctx context.Context, tenantID, roleID string) error {
	_, err := q.w.ExecContext(ctx, `UPDATE users SET version = version + 1 WHERE tenant_id = $1
		AND id IN (SELECT user_id FROM user_admin_roles WHERE tenant_id = $1 AND role_id = $2)`, tenantID, roleID)
	if err != nil {
		return storeErr(err, "admin role holders", nil)
	}
	_, err = q.w.ExecContext(ctx, `UPDATE service_accounts SET version = version + 1 WHERE tenant_id = $1
		AND id IN (SELECT service_account_id FROM service_account_admin_roles WHERE tenant_id = $1 AND role_id = $2)`, tenantID, roleID)
	return storeErr(err, "admin role holders", nil)
}

func (q *queries) SetUserAdminRoles(ctx context.Context, tenantID, userID string, roleIDs []string) error {
	if err := q.inTenant(ctx, "users", "user", tenantID, userID); err != nil {
		return err
	}
	for _, id := range roleIDs {
		if err := q.inTenant(ctx, "admin_roles", "admin role", tenantID, id); err != nil {
			return err
		}
	}
	if _, err := q.w.ExecContext(ctx, `UPDATE users SET version = version + 1 WHERE tenant_id = $1 AND id = $2`, tenantID, userID); err != nil {
		return storeErr(err, "user", nil)
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM user_admin_roles WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
		return storeErr(err, "admin roles", nil)
	}
	for _, id := range roleIDs {
		if _, err := q.w.ExecContext(ctx, `INSERT INTO user_admin_roles (user_id, role_id, tenant_id) VALUES ($1, $2, $3)`,
			userID, id, tenantID); err != nil {
			return storeErr(err, "admin role", func(string) iam.Code { return iam.CodeConflict })
		}
	}
	return nil
}

func (q *queries) UserAdminRoles(ctx context.Context, tenantID, userID string) ([]iam.AdminRole, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+prefixed("r.", adminRoleColumns)+` FROM admin_roles r
		JOIN user_admin_roles ur ON ur.role_id = r.id WHERE ur.tenant_id = $1 AND ur.user_id = $2 ORDER BY r.name_folded`+q.bytewise()+`, r.id`, tenantID, userID)
	if err != nil {
		return nil, storeErr(err, "admin roles", nil)
	}
	return collectAdminRoles(rows)
}

func (q *queries) ListAdmins(ctx context.Context, tenantID string, p iam.ListParams) ([]iam.Admin, int, error) {
	where, args := ` WHERE tenant_id = $1 AND id IN (SELECT user_id FROM user_admin_roles WHERE tenant_id = $1)`, []any{tenantID}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND (email LIKE $2 ESCAPE '\' OR name_folded LIKE $2 ESCAPE '\')`
	}
	admins, total, err := list(ctx, q, listing{what: "admins", columns: userColumns, from: "users", where: where, args: args,
		order: iam.AdminOrder, sortBy: foldedName}, p, func(row scanner) (*iam.Admin, error) {
		u, err := scanUser(row)
		if err != nil {
			return nil, err
		}
		return &iam.Admin{User: *u}, nil
	})
	if err != nil {
		return nil, 0, err
	}
	if len(admins) == 0 {
		return admins, total, nil
	}
	ids := make([]string, len(admins))
	index := make(map[string]int, len(admins))
	for i := range admins {
		ids[i], index[admins[i].User.ID] = admins[i].User.ID, i
		admins[i].Roles = []iam.AdminRole{}
	}
	marks, args := placeholders([]any{tenantID}, ids)
	rows, err := q.r.QueryContext(ctx, `SELECT ur.user_id, `+prefixed("r.", adminRoleColumns)+` FROM admin_roles r
		JOIN user_admin_roles ur ON ur.role_id = r.id WHERE ur.tenant_id = $1 AND ur.user_id IN (`+marks+`)
		ORDER BY r.name_folded`+q.bytewise()+`, r.id`, args...)
	if err != nil {
		return nil, 0, storeErr(err, "admin roles", nil)
	}
	err = eachRow(rows, func(r *sql.Rows) error {
		var userID string
		role, err := scanAdminRole(prefixedScan{r, []any{&userID}})
		if err != nil {
			return err
		}
		a := &admins[index[userID]]
		a.Roles = append(a.Roles, *role)
		return nil
	})
	if err != nil {
		return nil, 0, storeErr(err, "admin roles", nil)
	}
	return admins, total, nil
}

func (q *queries) CountActiveHolders(ctx context.Context, tenantID, roleID string) (int, error) {
	var n int
	err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM user_admin_roles ur JOIN users u ON u.id = ur.user_id
		WHERE ur.tenant_id = $1 AND ur.role_id = $2 AND u.status = $3`, tenantID, roleID, string(iam.UserActive)).Scan(&n)
	return n, storeErr(err, "admin role holders", nil)
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = prefix + c
	}
	return strings.Join(cols, ", ")
}

// prefixedScan scans a row whose leading columns precede what a scan
// function reads: they land in first.
type prefixedScan struct {
	row   scanner
	first []any
}

func (p prefixedScan) Scan(dest ...any) error { return p.row.Scan(append(p.first, dest...)...) }
