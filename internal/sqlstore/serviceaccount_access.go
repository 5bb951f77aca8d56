package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// A service account holds roles, memberships and admin roles in tables
// parallel to the users' ones (migration 00017), read by the same code where
// it is longer than a statement (memberKind).

func (q *queries) AddServiceAccountRole(ctx context.Context, tenantID, accountID, roleID string) error {
	if err := q.inTenant(ctx, "service_accounts", "service account", tenantID, accountID); err != nil {
		return err
	}
	if err := q.inTenant(ctx, "roles", "role", tenantID, roleID); err != nil {
		return err
	}
	_, err := q.insertIgnore(ctx, "service account role", `INSERT INTO service_account_roles (service_account_id, role_id, tenant_id) VALUES ($1, $2, $3)`,
		accountID, roleID, tenantID)
	return err
}

func (q *queries) RemoveServiceAccountRole(ctx context.Context, tenantID, accountID, roleID string) (bool, error) {
	return q.changed(ctx, "service account role", `DELETE FROM service_account_roles WHERE tenant_id = $1 AND service_account_id = $2 AND role_id = $3`,
		tenantID, accountID, roleID)
}

func (q *queries) ServiceAccountRoles(ctx context.Context, tenantID, accountID string) ([]iam.Role, error) {
	return q.rolesWhere(ctx, `SELECT `+prefixed("r.", roleColumns)+` FROM roles r JOIN service_account_roles sr ON sr.role_id = r.id
		WHERE sr.tenant_id = $1 AND sr.service_account_id = $2 ORDER BY r.name_folded`+q.bytewise()+`, r.id`, tenantID, accountID)
}

func (q *queries) SetServiceAccountMember(ctx context.Context, tenantID, orgID, accountID string, roleIDs []string, at time.Time) (bool, error) {
	if err := q.inTenant(ctx, "organizations", "organization", tenantID, orgID); err != nil {
		return false, err
	}
	if err := q.inTenant(ctx, "service_accounts", "service account", tenantID, accountID); err != nil {
		return false, err
	}
	for _, id := range roleIDs {
		if err := q.inTenant(ctx, "roles", "role", tenantID, id); err != nil {
			return false, err
		}
	}
	created, err := q.insertIgnore(ctx, "organization member", `INSERT INTO organization_service_accounts (organization_id, service_account_id, tenant_id, created_at)
		VALUES ($1, $2, $3, $4)`, orgID, accountID, tenantID, ts(at))
	if err != nil {
		return false, err
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM organization_service_account_roles WHERE tenant_id = $1 AND organization_id = $2 AND service_account_id = $3`,
		tenantID, orgID, accountID); err != nil {
		return false, storeErr(err, "member roles", nil)
	}
	for _, id := range roleIDs {
		if _, err := q.insertIgnore(ctx, "member role", `INSERT INTO organization_service_account_roles (organization_id, service_account_id, role_id, tenant_id)
			VALUES ($1, $2, $3, $4)`, orgID, accountID, id, tenantID); err != nil {
			return false, err
		}
	}
	return created, nil
}

func (q *queries) RemoveServiceAccountMember(ctx context.Context, tenantID, orgID, accountID string) (bool, error) {
	return q.changed(ctx, "organization member", `DELETE FROM organization_service_accounts WHERE tenant_id = $1 AND organization_id = $2 AND service_account_id = $3`,
		tenantID, orgID, accountID)
}

func (q *queries) ServiceAccountMemberships(ctx context.Context, tenantID, accountID string) ([]iam.Membership, error) {
	return q.memberships(ctx, accountMembers, tenantID, accountID)
}

func (q *queries) SetServiceAccountAdminRoles(ctx context.Context, tenantID, accountID string, roleIDs []string) error {
	if err := q.inTenant(ctx, "service_accounts", "service account", tenantID, accountID); err != nil {
		return err
	}
	for _, id := range roleIDs {
		if err := q.inTenant(ctx, "admin_roles", "admin role", tenantID, id); err != nil {
			return err
		}
	}
	if _, err := q.w.ExecContext(ctx, `UPDATE service_accounts SET version = version + 1 WHERE tenant_id = $1 AND id = $2`, tenantID, accountID); err != nil {
		return storeErr(err, "service account", nil)
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM service_account_admin_roles WHERE tenant_id = $1 AND service_account_id = $2`, tenantID, accountID); err != nil {
		return storeErr(err, "admin roles", nil)
	}
	for _, id := range roleIDs {
		if _, err := q.insertIgnore(ctx, "admin role", `INSERT INTO service_account_admin_roles (service_account_id, role_id, tenant_id) VALUES ($1, $2, $3)`,
			accountID, id, tenantID); err != nil {
			return err
		}
	}
	return nil
}

func (q *queries) ServiceAccountAdminRoles(ctx context.Context, tenantID, accountID string) ([]iam.AdminRole, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+prefixed("r.", adminRoleColumns)+` FROM admin_roles r
		JOIN service_account_admin_roles sr ON sr.role_id = r.id WHERE sr.tenant_id = $1 AND sr.service_account_id = $2
		ORDER BY r.name_folded`+q.bytewise()+`, r.id`, tenantID, accountID)
	if err != nil {
		return nil, storeErr(err, "admin roles", nil)
	}
	return collectAdminRoles(rows)
}

// accountGrantsQuery unions a service account's two paths to a permission:
// tenant-wide roles and roles held as a member of the organization.
const accountGrantsQuery = `
SELECT rp.permission, r.id, r.name, 'tenant', '', ''
  FROM service_account_roles sr JOIN roles r ON r.id = sr.role_id JOIN role_permissions rp ON rp.role_id = r.id
 WHERE sr.tenant_id = $1 AND sr.service_account_id = $2
UNION ALL
SELECT rp.permission, r.id, r.name, 'organization', o.id, o.name
  FROM organization_service_account_roles mr JOIN organizations o ON o.id = mr.organization_id
  JOIN roles r ON r.id = mr.role_id JOIN role_permissions rp ON rp.role_id = r.id
 WHERE mr.tenant_id = $1 AND mr.service_account_id = $2 AND mr.organization_id = $3`

func (q *queries) ServiceAccountGrants(ctx context.Context, tenantID, accountID, orgID string) ([]iam.Grant, error) {
	return q.grants(ctx, accountGrantsQuery, tenantID, accountID, orgID)
}

// grants reads the grants a query of the shape of grantsQuery answers.
func (q *queries) grants(ctx context.Context, query, tenantID, subjectID, orgID string) ([]iam.Grant, error) {
	rows, err := q.r.QueryContext(ctx, query, tenantID, subjectID, orgID)
	if err != nil {
		return nil, storeErr(err, "grants", nil)
	}
	grants := []iam.Grant{}
	err = eachRow(rows, func(r *sql.Rows) error {
		var g iam.Grant
		if err := r.Scan(&g.Permission, &g.RoleID, &g.RoleName, &g.Via, &g.ViaID, &g.ViaName); err != nil {
			return err
		}
		grants = append(grants, g)
		return nil
	})
	return grants, storeErr(err, "grants", nil)
}
