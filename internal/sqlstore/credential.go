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
