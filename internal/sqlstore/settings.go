package sqlstore

import (
	"context"
	"time"
)

func (q *queries) GetSettings(ctx context.Context, tenantID string) ([]byte, int64, error) {
	var (
		doc     string
		version int64
	)
	err := q.r.QueryRowContext(ctx, `SELECT document, version FROM tenant_settings WHERE tenant_id = $1`, tenantID).Scan(&doc, &version)
	if err != nil {
		return nil, 0, storeErr(err, "settings", nil)
	}
	return []byte(doc), version, nil
}

func (q *queries) PutSettings(ctx context.Context, tenantID string, doc []byte, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO tenant_settings (tenant_id, document, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at,
		version = tenant_settings.version + 1`, tenantID, string(doc), ts(at))
	return storeErr(err, "settings", nil)
}
