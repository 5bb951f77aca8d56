package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const apiCredentialColumns = `id, tenant_id, owner_kind, owner_id, organization_id, name, secret_hash, display, active,
	expires_at, revoked_at, created_at, updated_at, last_used_at, warned_at`

func scanAPICredential(row scanner) (*iam.APICredential, error) {
	var (
		c                         iam.APICredential
		kind                      string
		org                       sql.NullString
		revoked, lastUsed, warned sql.NullTime
	)
	if err := row.Scan(&c.ID, &c.TenantID, &kind, &c.OwnerID, &org, &c.Name, &c.SecretHash, &c.Display, &c.Active,
		&c.ExpiresAt, &revoked, &c.CreatedAt, &c.UpdatedAt, &lastUsed, &warned); err != nil {
		return nil, err
	}
	c.OwnerKind, c.OrganizationID = iam.PrincipalKind(kind), org.String
	c.ExpiresAt, c.CreatedAt, c.UpdatedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.RevokedAt, c.LastUsedAt, c.WarnedAt = timePtr(revoked), timePtr(lastUsed), timePtr(warned)
	return &c, nil
}

// apiCredentialUnique maps the unique indexes a credential can break: its
// secret's hash (a fresh secret never collides) and its name.
func apiCredentialUnique(constraint string) iam.Code {
	if strings.Contains(constraint, "secret_hash") {
		return iam.CodeConflict
	}
	return iam.CodeNameTaken
}

func (q *queries) CreateAPICredential(ctx context.Context, c *iam.APICredential) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO api_credentials (`+apiCredentialColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		c.ID, c.TenantID, string(c.OwnerKind), c.OwnerID, nullString(c.OrganizationID), c.Name, c.SecretHash, c.Display, c.Active,
		ts(c.ExpiresAt), nullTime(c.RevokedAt), ts(c.CreatedAt), ts(c.UpdatedAt), nullTime(c.LastUsedAt), nullTime(c.WarnedAt))
	return storeErr(err, "credential", apiCredentialUnique)
}

func (q *queries) GetAPICredential(ctx context.Context, tenantID, id string) (*iam.APICredential, error) {
	c, err := scanAPICredential(q.r.QueryRowContext(ctx, `SELECT `+apiCredentialColumns+` FROM api_credentials
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return c, storeErr(err, "credential", nil)
}

func (q *queries) GetAPICredentialForUpdate(ctx context.Context, tenantID, id string) (*iam.APICredential, error) {
	if err := q.lockRow(ctx, "api_credentials", "credential", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	c, err := scanAPICredential(q.w.QueryRowContext(ctx, `SELECT `+apiCredentialColumns+` FROM api_credentials
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return c, storeErr(err, "credential", nil)
}

func (q *queries) APICredentialByName(ctx context.Context, tenantID string, kind iam.PrincipalKind, orgID, name string) (*iam.APICredential, error) {
	c, err := scanAPICredential(q.r.QueryRowContext(ctx, `SELECT `+apiCredentialColumns+` FROM api_credentials
		WHERE tenant_id = $1 AND owner_kind = $2 AND COALESCE(organization_id, '') = $3 AND name = $4
		ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, revoked_at DESC, id DESC LIMIT 1`,
		tenantID, string(kind), orgID, name))
	return c, storeErr(err, "credential", nil)
}

func (q *queries) APICredentialByHash(ctx context.Context, hash string) (*iam.APICredential, error) {
	c, err := scanAPICredential(q.r.QueryRowContext(ctx, `SELECT `+apiCredentialColumns+` FROM api_credentials
		WHERE secret_hash = $1`, hash))
	return c, storeErr(err, "credential", nil)
}

// apiCredentialState is the condition of a state other than revoked at
// the time bound to the placeholder n.
func apiCredentialState(state iam.APICredentialState, n string) string {
	switch state {
	case iam.APICredentialExpired:
		return `revoked_at IS NULL AND expires_at <= ` + n
	case iam.APICredentialInactive:
		return `revoked_at IS NULL AND expires_at > ` + n + ` AND NOT active`
	}
	return `revoked_at IS NULL AND expires_at > ` + n + ` AND active`
}

func (q *queries) ListAPICredentials(ctx context.Context, tenantID string, in iam.APICredentialQuery) ([]iam.APICredential, int, error) {
	w := &where{clause: ` WHERE tenant_id = $1 AND owner_kind = $2`, args: []any{tenantID, string(in.OwnerKind)}}
	if in.OwnerID != "" {
		w.add(`owner_id = `, in.OwnerID)
	}
	if in.OrganizationID != "" {
		w.add(`organization_id = `, in.OrganizationID)
	}
	if in.TenantWide {
		w.clause += ` AND organization_id IS NULL`
	}
	if in.ExpiresBefore != nil {
		w.add(`expires_at < `, ts(*in.ExpiresBefore))
	}
	switch in.State {
	case "":
	case iam.APICredentialRevoked:
		w.clause += ` AND revoked_at IS NOT NULL`
	default:
		w.args = append(w.args, ts(in.Now))
		w.clause += ` AND ` + apiCredentialState(in.State, w.mark())
	}
	if in.Search != "" {
		w.add(`lower(name) LIKE `, likePattern(in.Search))
		w.clause += ` ESCAPE '\'`
	}
	return list(ctx, q, listing{what: "credentials", columns: apiCredentialColumns, from: "api_credentials", where: w.clause, args: w.args,
		order: iam.Order{"created_at"}}, newestFirst(in.ListParams), scanAPICredential)
}

// where builds a WHERE clause of conditions joined by AND.
type where struct {
	clause string
	args   []any
}

// add appends the condition cond followed by a placeholder for v.
func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.clause += ` AND ` + cond + w.mark()
}

// mark is the placeholder of the last argument.
func (w *where) mark() string { return "$" + strconv.Itoa(len(w.args)) }

func (q *queries) UpdateAPICredential(ctx context.Context, c *iam.APICredential) error {
	res, err := q.w.ExecContext(ctx, `UPDATE api_credentials SET name = $1, organization_id = $2, active = $3, expires_at = $4,
		  revoked_at = $5, warned_at = $6, updated_at = $7
		WHERE tenant_id = $8 AND id = $9`,
		c.Name, nullString(c.OrganizationID), c.Active, ts(c.ExpiresAt), nullTime(c.RevokedAt), nullTime(c.WarnedAt), ts(c.UpdatedAt),
		c.TenantID, c.ID)
	if err != nil {
		return storeErr(err, "credential", apiCredentialUnique)
	}
	return affected(res, nil, "credential")
}

// selectorWhere is the condition of the live credentials sel picks.
func selectorWhere(tenantID string, sel iam.APICredentialSelector) *where {
	w := &where{clause: ` WHERE tenant_id = $1 AND owner_kind = $2 AND revoked_at IS NULL`, args: []any{tenantID, string(sel.OwnerKind)}}
	if sel.IDs != nil {
		var marks string
		marks, w.args = placeholders(w.args, sel.IDs)
		w.clause += ` AND id IN (` + marks + `)`
	}
	if sel.Names != nil {
		var marks string
		marks, w.args = placeholders(w.args, sel.Names)
		w.clause += ` AND name IN (` + marks + `)`
	}
	if sel.OwnerID != "" {
		w.add(`owner_id = `, sel.OwnerID)
	}
	if sel.OrganizationID != "" {
		w.add(`organization_id = `, sel.OrganizationID)
	}
	if sel.ExpiresBefore != nil {
		w.add(`expires_at < `, ts(*sel.ExpiresBefore))
	}
	return w
}

func (q *queries) SelectAPICredentialsForUpdate(ctx context.Context, tenantID string, sel iam.APICredentialSelector) ([]iam.APICredential, error) {
	if (sel.IDs != nil && len(sel.IDs) == 0) || (sel.Names != nil && len(sel.Names) == 0) {
		return nil, nil
	}
	w := selectorWhere(tenantID, sel)
	lock := ""
	if q.dialect == Postgres {
		lock = ` FOR NO KEY UPDATE`
	}
	rows, err := q.w.QueryContext(ctx, `SELECT `+apiCredentialColumns+` FROM api_credentials`+w.clause+` ORDER BY created_at, id`+lock, w.args...)
	if err != nil {
		return nil, storeErr(err, "credentials", nil)
	}
	var out []iam.APICredential
	err = eachRow(rows, func(r *sql.Rows) error {
		c, err := scanAPICredential(r)
		if err == nil {
			out = append(out, *c)
		}
		return err
	})
	return out, storeErr(err, "credentials", nil)
}

func (q *queries) RevokeAPICredentials(ctx context.Context, tenantID string, ids []string, at time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	marks, args := placeholders([]any{ts(at), tenantID}, ids)
	res, err := q.w.ExecContext(ctx, `UPDATE api_credentials SET revoked_at = $1, updated_at = $1
		WHERE tenant_id = $2 AND revoked_at IS NULL AND id IN (`+marks+`)`, args...)
	if err != nil {
		return 0, storeErr(err, "credentials", nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, iam.Internal(err)
	}
	return int(n), nil
}

func (q *queries) RecordAPICredentialUse(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE api_credentials SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3`, ts(at), tenantID, id)
	return affected(res, err, "credential")
}

func (q *queries) ExpiringAPICredentials(ctx context.Context, from, until time.Time, limit int) ([]iam.APICredential, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+apiCredentialColumns+` FROM api_credentials
		WHERE revoked_at IS NULL AND warned_at IS NULL AND active AND expires_at > $1 AND expires_at <= $2
		ORDER BY expires_at, id LIMIT $3`, ts(from), ts(until), limit)
	if err != nil {
		return nil, storeErr(err, "credentials", nil)
	}
	var out []iam.APICredential
	err = eachRow(rows, func(r *sql.Rows) error {
		c, err := scanAPICredential(r)
		if err == nil {
			out = append(out, *c)
		}
		return err
	})
	return out, storeErr(err, "credentials", nil)
}

func (q *queries) MarkAPICredentialWarned(ctx context.Context, tenantID, id string, expiresAt, at time.Time) (bool, error) {
	return q.changed(ctx, "credential", `UPDATE api_credentials SET warned_at = $1
		WHERE tenant_id = $2 AND id = $3 AND warned_at IS NULL AND revoked_at IS NULL AND expires_at = $4`,
		ts(at), tenantID, id, ts(expiresAt))
}

// AcquireLease is one compare-and-swap upsert: the row is written only when
// it is new, has run out, or is the holder's, and RETURNING answers only the
// caller whose write took effect.
func (q *queries) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	var got string
	err := q.w.QueryRowContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder
		RETURNING holder`, name, holder, ts(until), ts(now)).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, storeErr(err, "lease", nil)
	}
	return got == holder, nil
}

func (q *queries) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := q.w.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return storeErr(err, "lease", nil)
}
