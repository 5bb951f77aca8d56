package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func userUnique(constraint string) iam.Code {
	if strings.Contains(constraint, "external_id") {
		return iam.CodeExternalIDTaken
	}
	return iam.CodeEmailTaken
}

const userColumns = `id, tenant_id, email, name, email_verified, status, external_id, created_at, updated_at, version`

func scanUser(row scanner) (*iam.User, error) {
	var (
		u      iam.User
		ext    sql.NullString
		status string
	)
	if err := row.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &u.EmailVerified, &status, &ext, &u.CreatedAt, &u.UpdatedAt, &u.Version); err != nil {
		return nil, err
	}
	u.ExternalID, u.Status = ext.String, iam.UserStatus(status)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

// fold is the form names are searched and sorted by: Unicode lower case,
// computed here because SQLite's lower() only folds ASCII.
func fold(s string) string { return strings.ToLower(s) }

func (q *queries) CreateUser(ctx context.Context, u *iam.User) error {
	u.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO users (`+userColumns+`, name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		u.ID, u.TenantID, u.Email, u.Name, u.EmailVerified, string(u.Status),
		nullString(u.ExternalID), ts(u.CreatedAt), ts(u.UpdatedAt), u.Version, fold(u.Name))
	return storeErr(err, "user", userUnique)
}

func (q *queries) GetUser(ctx context.Context, tenantID, id string) (*iam.User, error) {
	u, err := scanUser(q.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return u, storeErr(err, "user", nil)
}

func (q *queries) GetUserForUpdate(ctx context.Context, tenantID, id string) (*iam.User, error) {
	if err := q.lockRow(ctx, "users", "user", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetUser(ctx, tenantID, id)
}

func (q *queries) GetUserByEmail(ctx context.Context, tenantID, email string) (*iam.User, error) {
	u, err := scanUser(q.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND email = $2`, tenantID, email))
	return u, storeErr(err, "user", nil)
}

func (q *queries) GetUserByExternalID(ctx context.Context, tenantID, externalID string) (*iam.User, error) {
	u, err := scanUser(q.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND external_id = $2`, tenantID, externalID))
	return u, storeErr(err, "user", nil)
}

func (q *queries) ListUsers(ctx context.Context, tenantID string, uq iam.UserQuery) ([]iam.User, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if uq.Search != "" {
		args = append(args, likePattern(uq.Search))
		where += fmt.Sprintf(` AND (email LIKE $%d ESCAPE '\' OR name_folded LIKE $%d ESCAPE '\')`, len(args), len(args))
	}
	if uq.Status != "" {
		args = append(args, string(uq.Status))
		where += fmt.Sprintf(` AND status = $%d`, len(args))
	}
	if uq.Filter != nil {
		cond, fargs, err := q.filterCondition(uq.Filter, userFilter, args)
		if err != nil {
			return nil, 0, err
		}
		where, args = where+` AND `+cond, fargs
	}
	return list(ctx, q.forFilter(uq.Filter), listing{what: "users", columns: userColumns, from: "users", where: where, args: args,
		order: iam.UserOrder, sortBy: foldedName}, uq.ListParams, scanUser)
}

func (q *queries) UpdateUser(ctx context.Context, u *iam.User) error {
	err := q.w.QueryRowContext(ctx, `UPDATE users SET email = $1, name = $2, email_verified = $3, status = $4,
		external_id = $5, updated_at = $6, name_folded = $7, version = version + 1 WHERE tenant_id = $8 AND id = $9 RETURNING version`,
		u.Email, u.Name, u.EmailVerified, string(u.Status), nullString(u.ExternalID), ts(u.UpdatedAt),
		fold(u.Name), u.TenantID, u.ID).Scan(&u.Version)
	return storeErr(err, "user", userUnique)
}

func (q *queries) DeleteUser(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "user")
}
