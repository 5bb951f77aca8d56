package sqlstore

import (
	"context"
	"database/sql"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func (q *queries) CreateSigningKey(ctx context.Context, k *iam.SigningKey) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, public_jwk, created_at, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, k.Algorithm, k.PrivateKey, string(k.PublicJWK), ts(k.CreatedAt), nullTime(k.RetiredAt))
	return storeErr(err, "signing key", nil)
}

func (q *queries) ListSigningKeys(ctx context.Context) ([]iam.SigningKey, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT id, algorithm, private_key, public_jwk, created_at, retired_at
		FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, storeErr(err, "signing keys", nil)
	}
	var keys []iam.SigningKey
	err = eachRow(rows, func(r *sql.Rows) error {
		var (
			k       iam.SigningKey
			jwk     string
			retired sql.NullTime
		)
		if err := r.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &jwk, &k.CreatedAt, &retired); err != nil {
			return err
		}
		k.PublicJWK, k.CreatedAt, k.RetiredAt = []byte(jwk), k.CreatedAt.UTC(), timePtr(retired)
		keys = append(keys, k)
		return nil
	})
	return keys, storeErr(err, "signing keys", nil)
}
