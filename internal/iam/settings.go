package iam

import (
	"context"
	"time"
)

// SettingsStore persists each tenant's settings as one JSON document, which
// the settings service owns and validates.
type SettingsStore interface {
	// GetSettings returns the tenant's document and its version, 1 after the
	// first put and one more with each. CodeNotFound before the first put.
	GetSettings(ctx context.Context, tenantID string) ([]byte, int64, error)
	// PutSettings writes the document and increments its version. A
	// read-modify-write holds the tenant's lock (TenantStore.LockTenant), as
	// the document may not exist yet.
	PutSettings(ctx context.Context, tenantID string, doc []byte, at time.Time) error
}
