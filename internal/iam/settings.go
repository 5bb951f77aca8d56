package iam

import (
	"context"
	"time"
)

// SettingsStore persists each tenant's settings as one JSON document, which
// the settings service owns and validates.
type SettingsStore interface {
	// GetSettings returns the tenant's document. CodeNotFound before the first put.
	GetSettings(ctx context.Context, tenantID string) ([]byte, error)
	PutSettings(ctx context.Context, tenantID string, doc []byte, at time.Time) error
}
