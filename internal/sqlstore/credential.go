package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const credentialColumns = `id, tenant_id, user_id, type, name, state, secret, created_at, updated_at, last_used_at, expires_at, failed_attempts`

func scanCredential(row scanner) (*iam.Credential, error) {
	var (
		c                iam.Credential
		typ, state       string
		lastUsed, expiry sql.NullTime
	)
	if err := row.Scan(&c.ID, &c.TenantID, &c.UserID, &typ, &c.Name, &state, &c.Secret, &c.CreatedAt, &c.UpdatedAt, &lastUsed, &expiry, &c.FailedAttempts); err != nil {
		return nil, err
	}
	c.Type, c.State = iam.CredentialType(typ), iam.CredentialState(state)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.LastUsedAt, c.ExpiresAt = timePtr(lastUsed), timePtr(expiry)
	return &c, nil
}

// PutCredential is one statement, so two writers of one credential cannot
// both insert it: the second updates the row the first inserted. Selecting
// from users keeps a credential out of a tenant its user is not in.
func (q *queries) PutCredential(ctx context.Context, c *iam.Credential) error {
	var created time.Time
	err := q.w.QueryRowContext(ctx, `INSERT INTO credentials (`+credentialColumns+`)
		SELECT $1, tenant_id, id, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM users WHERE tenant_id = $2 AND id = $3
		ON CONFLICT (user_id, type, name) DO UPDATE SET state = excluded.state, secret = excluded.secret,
		  updated_at = excluded.updated_at, last_used_at = excluded.last_used_at, expires_at = excluded.expires_at,
		  failed_attempts = excluded.failed_attempts
		RETURNING id, created_at`,
		c.ID, c.TenantID, c.UserID, string(c.Type), c.Name, string(c.State), c.Secret, ts(c.CreatedAt), ts(c.UpdatedAt),
		nullTime(c.LastUsedAt), nullTime(c.ExpiresAt), c.FailedAttempts).Scan(&c.ID, &created)
	if err != nil {
		return storeErr(err, "user", nil)
	}
	c.CreatedAt = created.UTC()
	return nil
}

func (q *queries) GetCredential(ctx context.Context, tenantID, userID string, typ iam.CredentialType, name string) (*iam.Credential, error) {
	c, err := scanCredential(q.r.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE tenant_id = $1 AND user_id = $2 AND type = $3 AND name = $4`, tenantID, userID, string(typ), name))
	return c, storeErr(err, "credential", nil)
}

// credentialUnique names the one unique constraint a new credential can
// break (the primary key is a fresh UUID): its user's type and name.
func credentialUnique(string) iam.Code { return iam.CodeConflict }

// CreateCredential selects from users, as PutCredential does, to keep a
// credential out of a tenant its user is not in.
func (q *queries) CreateCredential(ctx context.Context, c *iam.Credential) error {
	res, err := q.w.ExecContext(ctx, `INSERT INTO credentials (`+credentialColumns+`)
		SELECT $1, tenant_id, id, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM users WHERE tenant_id = $2 AND id = $3`,
		c.ID, c.TenantID, c.UserID, string(c.Type), c.Name, string(c.State), c.Secret, ts(c.CreatedAt), ts(c.UpdatedAt),
		nullTime(c.LastUsedAt), nullTime(c.ExpiresAt), c.FailedAttempts)
	if err != nil {
		return storeErr(err, "credential", credentialUnique)
	}
	return affected(res, nil, "user")
}

func (q *queries) GetCredentialByID(ctx context.Context, tenantID, userID, id string) (*iam.Credential, error) {
	c, err := scanCredential(q.r.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id))
	return c, storeErr(err, "credential", nil)
}

func (q *queries) GetCredentialByIDForUpdate(ctx context.Context, tenantID, userID, id string) (*iam.Credential, error) {
	if err := q.lockRow(ctx, "credentials", "credential", `tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id); err != nil {
		return nil, err
	}
	return q.GetCredentialByID(ctx, tenantID, userID, id)
}

func (q *queries) ListCredentials(ctx context.Context, tenantID, userID string, typ iam.CredentialType, p iam.ListParams) ([]iam.Credential, int, error) {
	where, args := ` WHERE tenant_id = $1 AND user_id = $2`, []any{tenantID, userID}
	if typ != "" {
		where, args = where+` AND type = $3`, append(args, string(typ))
	}
	return list(ctx, q, listing{what: "credentials", columns: credentialColumns, from: "credentials", where: where, args: args,
		order: iam.Order{"created_at"}}, newestFirst(p), scanCredential)
}

func (q *queries) DeleteCredential(ctx context.Context, tenantID, userID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM credentials WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id)
	return affected(res, err, "credential")
}

func (q *queries) RecordCredentialUse(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE credentials SET last_used_at = $1, failed_attempts = 0 WHERE tenant_id = $2 AND id = $3`,
		ts(at), tenantID, id)
	return affected(res, err, "credential")
}

// ReserveCredentialAttempt is one statement: RETURNING answers each of
// concurrent callers the count its own increment made.
func (q *queries) ReserveCredentialAttempt(ctx context.Context, tenantID, id string) (*iam.Credential, error) {
	c, err := scanCredential(q.w.QueryRowContext(ctx, `UPDATE credentials SET failed_attempts = failed_attempts + 1
		WHERE tenant_id = $1 AND id = $2 AND state IN ($3, $4) RETURNING `+credentialColumns,
		tenantID, id, string(iam.CredentialActive), string(iam.CredentialExpired)))
	return c, storeErr(err, "usable credential", nil)
}

func (q *queries) LockCredential(ctx context.Context, tenantID, id string, at time.Time) (bool, error) {
	return q.changed(ctx, "credential", `UPDATE credentials SET state = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND state IN ($5, $6)`,
		string(iam.CredentialLocked), ts(at), tenantID, id, string(iam.CredentialActive), string(iam.CredentialExpired))
}

func (q *queries) RecordRecoveryCodeFailure(ctx context.Context, tenantID, userID string, maxAttempts int, at time.Time) (int, error) {
	rows, err := q.w.QueryContext(ctx, `UPDATE credentials SET failed_attempts = failed_attempts + 1,
		  state = CASE WHEN failed_attempts + 1 >= $1 THEN $2 ELSE state END,
		  updated_at = CASE WHEN failed_attempts + 1 >= $1 THEN $3 ELSE updated_at END
		WHERE tenant_id = $4 AND user_id = $5 AND type = $6 AND state = $7 RETURNING failed_attempts`,
		maxAttempts, string(iam.CredentialLocked), ts(at), tenantID, userID, string(iam.CredentialRecoveryCode), string(iam.CredentialActive))
	if err != nil {
		return 0, storeErr(err, "recovery codes", nil)
	}
	highest := 0
	err = eachRow(rows, func(r *sql.Rows) error {
		var n int
		if err := r.Scan(&n); err != nil {
			return err
		}
		highest = max(highest, n)
		return nil
	})
	return highest, storeErr(err, "recovery codes", nil)
}

func (q *queries) GetCredentialForUpdate(ctx context.Context, tenantID, userID string, typ iam.CredentialType, name string) (*iam.Credential, error) {
	if err := q.lockRow(ctx, "credentials", "credential", `tenant_id = $1 AND user_id = $2 AND type = $3 AND name = $4`,
		tenantID, userID, string(typ), name); err != nil {
		return nil, err
	}
	return q.GetCredential(ctx, tenantID, userID, typ, name)
}

func (q *queries) UserCredentials(ctx context.Context, tenantID, userID string, typ iam.CredentialType) ([]iam.Credential, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE tenant_id = $1 AND user_id = $2 AND type = $3 ORDER BY created_at, id`, tenantID, userID, string(typ))
	if err != nil {
		return nil, storeErr(err, "credentials", nil)
	}
	defer rows.Close()
	var out []iam.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, storeErr(err, "credentials", nil)
		}
		out = append(out, *c)
	}
	return out, storeErr(rows.Err(), "credentials", nil)
}

func (q *queries) DeleteCredentials(ctx context.Context, tenantID, userID string, typ iam.CredentialType) (int, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM credentials WHERE tenant_id = $1 AND user_id = $2 AND type = $3`,
		tenantID, userID, string(typ))
	if err != nil {
		return 0, storeErr(err, "credentials", nil)
	}
	n, err := res.RowsAffected()
	return int(n), storeErr(err, "credentials", nil)
}

func (q *queries) ConsumeRecoveryCode(ctx context.Context, tenantID, userID, secretHash string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM credentials WHERE tenant_id = $1 AND user_id = $2 AND type = $3
		AND secret = $4 AND state = $5`, tenantID, userID, string(iam.CredentialRecoveryCode), secretHash, string(iam.CredentialActive))
	return affected(res, err, "recovery code")
}
