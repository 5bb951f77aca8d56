package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const credentialColumns = `id, tenant_id, user_id, type, name, state, secret, created_at, updated_at, last_used_at, expires_at`

func scanCredential(row scanner) (*iam.Credential, error) {
	var (
		c                iam.Credential
		typ, state       string
		lastUsed, expiry sql.NullTime
	)
	if err := row.Scan(&c.ID, &c.TenantID, &c.UserID, &typ, &c.Name, &state, &c.Secret, &c.CreatedAt, &c.UpdatedAt, &lastUsed, &expiry); err != nil {
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
		SELECT $1, tenant_id, id, $4, $5, $6, $7, $8, $9, $10, $11 FROM users WHERE tenant_id = $2 AND id = $3
		ON CONFLICT (user_id, type, name) DO UPDATE SET state = excluded.state, secret = excluded.secret,
		  updated_at = excluded.updated_at, last_used_at = excluded.last_used_at, expires_at = excluded.expires_at
		RETURNING id, created_at`,
		c.ID, c.TenantID, c.UserID, string(c.Type), c.Name, string(c.State), c.Secret, ts(c.CreatedAt), ts(c.UpdatedAt),
		nullTime(c.LastUsedAt), nullTime(c.ExpiresAt)).Scan(&c.ID, &created)
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

func (q *queries) RecordCredentialUse(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE credentials SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3`, ts(at), tenantID, id)
	return affected(res, err, "credential")
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

func (q *queries) DeleteUserCredential(ctx context.Context, tenantID, userID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM credentials WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id)
	return affected(res, err, "credential")
}
