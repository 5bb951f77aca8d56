package sqlstore

import (
	"context"
	"time"
)

func (q *queries) GetSettings(ctx context.Context, tenantID string) ([]byte, error) {
	var doc string
	err := q.r.QueryRowContext(ctx, `SELECT document FROM tenant_settings WHERE tenant_id = $1`, tenantID).Scan(&doc)
	if err != nil {
		return nil, storeErr(err, "settings", nil)
	}
	return []byte(doc), nil
}

func (q *queries) PutSettings(ctx context.Context, tenantID string, doc []byte, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO tenant_settings (tenant_id, document, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`, tenantID, string(doc), ts(at))
	return storeErr(err, "settings", nil)
}
