package sqlstore_test

import (
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
)

// TestSCIMMigrationsDownAndUp: the SCIM migrations (kept attributes,
// organization tokens) go down and up again on both backends.
func TestSCIMMigrationsDownAndUp(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		if err := s.MigrateUpTo(ctx, 28); err != nil {
			t.Fatal(err)
		}
		if err := s.MigrateDownTo(ctx, 26); err != nil {
			t.Fatalf("down to 26: %v", err)
		}
		if err := s.MigrateUpTo(ctx, 28); err != nil {
			t.Fatalf("up again: %v", err)
		}
	})
}
