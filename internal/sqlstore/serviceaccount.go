package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func serviceAccountUnique(constraint string) iam.Code {
	if strings.Contains(constraint, "client_id") {
		return iam.CodeConflict
	}
	return iam.CodeNameTaken
}

const serviceAccountColumns = `id, tenant_id, organization_id, name, description, client_id, created_at, updated_at, version`

func scanServiceAccount(row scanner) (*iam.ServiceAccount, error) {
	var (
		a   iam.ServiceAccount
		org sql.NullString
	)
	if err := row.Scan(&a.ID, &a.TenantID, &org, &a.Name, &a.Description, &a.ClientID, &a.CreatedAt, &a.UpdatedAt, &a.Version); err != nil {
		return nil, err
	}
	a.OrganizationID, a.CreatedAt, a.UpdatedAt = org.String, a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

func (q *queries) CreateServiceAccount(ctx context.Context, a *iam.ServiceAccount) error {
	if a.OrganizationID != "" {
		if err := q.inTenant(ctx, "organizations", "organization", a.TenantID, a.OrganizationID); err != nil {
			return err
		}
	}
	a.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO service_accounts (`+serviceAccountColumns+`, name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.TenantID, nullString(a.OrganizationID), a.Name, a.Description, a.ClientID, ts(a.CreatedAt), ts(a.UpdatedAt), a.Version, fold(a.Name))
	return storeErr(err, "service account", serviceAccountUnique)
}

func (q *queries) GetServiceAccount(ctx context.Context, tenantID, id string) (*iam.ServiceAccount, error) {
	a, err := scanServiceAccount(q.r.QueryRowContext(ctx, `SELECT `+serviceAccountColumns+` FROM service_accounts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return a, storeErr(err, "service account", nil)
}

func (q *queries) GetServiceAccountForUpdate(ctx context.Context, tenantID, id string) (*iam.ServiceAccount, error) {
	if err := q.lockRow(ctx, "service_accounts", "service account", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetServiceAccount(ctx, tenantID, id)
}

func (q *queries) GetServiceAccountByClientID(ctx context.Context, tenantID, clientID string) (*iam.ServiceAccount, error) {
	a, err := scanServiceAccount(q.r.QueryRowContext(ctx, `SELECT `+serviceAccountColumns+` FROM service_accounts WHERE tenant_id = $1 AND client_id = $2`,
		tenantID, clientID))
	return a, storeErr(err, "service account", nil)
}

func (q *queries) ListServiceAccounts(ctx context.Context, tenantID string, sq iam.ServiceAccountQuery) ([]iam.ServiceAccount, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if sq.Search != "" {
		args = append(args, likePattern(sq.Search))
		where += fmt.Sprintf(` AND name_folded LIKE $%d ESCAPE '\'`, len(args))
	}
	if sq.OrganizationID != "" {
		args = append(args, sq.OrganizationID)
		where += fmt.Sprintf(` AND organization_id = $%d`, len(args))
	}
	return list(ctx, q, listing{what: "service accounts", columns: serviceAccountColumns, from: "service_accounts", where: where, args: args,
		order: iam.ServiceAccountOrder, sortBy: foldedName}, sq.ListParams, scanServiceAccount)
}

func (q *queries) UpdateServiceAccount(ctx context.Context, a *iam.ServiceAccount) error {
	err := q.w.QueryRowContext(ctx, `UPDATE service_accounts SET name = $1, name_folded = $2, description = $3, updated_at = $4,
		version = version + 1 WHERE tenant_id = $5 AND id = $6 RETURNING version`,
		a.Name, fold(a.Name), a.Description, ts(a.UpdatedAt), a.TenantID, a.ID).Scan(&a.Version)
	return storeErr(err, "service account", serviceAccountUnique)
}

func (q *queries) DeleteServiceAccount(ctx context.Context, tenantID, id string) error {
	// Keys, roles, memberships and admin roles go with it (ON DELETE CASCADE).
	res, err := q.w.ExecContext(ctx, `DELETE FROM service_accounts WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "service account")
}
