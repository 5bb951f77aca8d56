package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// CreateSigningKey relies on the unique index signing_keys_successor to
// refuse a second successor of one key, or a second first key of one
// algorithm.
func (q *queries) CreateSigningKey(ctx context.Context, k *iam.SigningKey) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO signing_keys
		(id, algorithm, private_key, public_jwk, succeeds, created_at, activates_at, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.Algorithm, k.PrivateKey, string(k.PublicJWK), sql.NullString{String: k.Succeeds, Valid: k.Succeeds != ""},
		ts(k.CreatedAt), ts(k.ActivatesAt), nullTime(k.RetiredAt))
	return storeErr(err, "signing key", func(string) iam.Code { return iam.CodeConflict })
}

func (q *queries) ListSigningKeys(ctx context.Context) ([]iam.SigningKey, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT id, algorithm, private_key, public_jwk, succeeds, created_at, activates_at, retired_at
		FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, storeErr(err, "signing keys", nil)
	}
	var keys []iam.SigningKey
	err = eachRow(rows, func(r *sql.Rows) error {
		var (
			k        iam.SigningKey
			jwk      string
			succeeds sql.NullString
			retired  sql.NullTime
		)
		if err := r.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &jwk, &succeeds, &k.CreatedAt, &k.ActivatesAt, &retired); err != nil {
			return err
		}
		k.PublicJWK, k.Succeeds, k.RetiredAt = []byte(jwk), succeeds.String, timePtr(retired)
		k.CreatedAt, k.ActivatesAt = k.CreatedAt.UTC(), k.ActivatesAt.UTC()
		keys = append(keys, k)
		return nil
	})
	return keys, storeErr(err, "signing keys", nil)
}

func (q *queries) ActivateSigningKey(ctx context.Context, id string, at time.Time) (bool, error) {
	return q.changed(ctx, "signing key", `UPDATE signing_keys SET activates_at = $1
		WHERE id = $2 AND activates_at > $1 AND retired_at IS NULL`, ts(at), id)
}

func (q *queries) RetireSigningKey(ctx context.Context, id string, at time.Time) (bool, error) {
	return q.changed(ctx, "signing key", `UPDATE signing_keys SET retired_at = $1
		WHERE id = $2 AND retired_at IS NULL`, ts(at), id)
}
