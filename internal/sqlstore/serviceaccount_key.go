package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const accountKeyColumns = `id, tenant_id, service_account_id, type, secret_hash, display, algorithm, public_key_pem,
	created_at, expires_at, revoked_at, last_used_at`

func scanAccountKey(row scanner) (*iam.ServiceAccountKey, error) {
	var (
		k                        iam.ServiceAccountKey
		typ                      string
		hash                     sql.NullString
		expires, revoked, usedAt sql.NullTime
	)
	if err := row.Scan(&k.ID, &k.TenantID, &k.ServiceAccountID, &typ, &hash, &k.Display, &k.Algorithm, &k.PublicKeyPEM,
		&k.CreatedAt, &expires, &revoked, &usedAt); err != nil {
		return nil, err
	}
	k.Type, k.SecretHash, k.CreatedAt = iam.ServiceAccountKeyType(typ), hash.String, k.CreatedAt.UTC()
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = timePtr(expires), timePtr(revoked), timePtr(usedAt)
	return &k, nil
}

func (q *queries) CreateServiceAccountKey(ctx context.Context, k *iam.ServiceAccountKey) error {
	if err := q.inTenant(ctx, "service_accounts", "service account", k.TenantID, k.ServiceAccountID); err != nil {
		return err
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO service_account_keys (`+accountKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		k.ID, k.TenantID, k.ServiceAccountID, string(k.Type), nullString(k.SecretHash), k.Display, k.Algorithm, k.PublicKeyPEM,
		ts(k.CreatedAt), nullTime(k.ExpiresAt), nullTime(k.RevokedAt), nullTime(k.LastUsedAt))
	return storeErr(err, "service account key", func(string) iam.Code { return iam.CodeConflict })
}

func (q *queries) ServiceAccountKeyBySecretHash(ctx context.Context, hash string) (*iam.ServiceAccountKey, error) {
	k, err := scanAccountKey(q.r.QueryRowContext(ctx, `SELECT `+accountKeyColumns+` FROM service_account_keys WHERE secret_hash = $1`, hash))
	return k, storeErr(err, "service account key", nil)
}

func (q *queries) ListServiceAccountKeys(ctx context.Context, tenantID, accountID string) ([]iam.ServiceAccountKey, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+accountKeyColumns+` FROM service_account_keys
		WHERE tenant_id = $1 AND service_account_id = $2 ORDER BY created_at DESC, id DESC`, tenantID, accountID)
	if err != nil {
		return nil, storeErr(err, "service account keys", nil)
	}
	keys := []iam.ServiceAccountKey{}
	err = eachRow(rows, func(r *sql.Rows) error {
		k, err := scanAccountKey(r)
		if err == nil {
			keys = append(keys, *k)
		}
		return err
	})
	return keys, storeErr(err, "service account keys", nil)
}

func (q *queries) RevokeServiceAccountKey(ctx context.Context, tenantID, accountID, id string, at time.Time) (bool, error) {
	revoked, err := q.changed(ctx, "service account key", `UPDATE service_account_keys SET revoked_at = $1
		WHERE tenant_id = $2 AND service_account_id = $3 AND id = $4 AND revoked_at IS NULL`, ts(at), tenantID, accountID, id)
	if err != nil || revoked {
		return revoked, err
	}
	var n int
	if err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM service_account_keys WHERE tenant_id = $1 AND service_account_id = $2 AND id = $3`,
		tenantID, accountID, id).Scan(&n); err != nil {
		return false, storeErr(err, "service account key", nil)
	}
	if n == 0 {
		return false, iam.Errorf(iam.CodeNotFound, "service account key not found")
	}
	return false, nil
}

func (q *queries) RecordServiceAccountKeyUse(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE service_account_keys SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3`, ts(at), tenantID, id)
	return affected(res, err, "service account key")
}
