package sqlstore_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
)

// TestSigningKeyRotationMigration chains the keys of each algorithm in the
// order they were created, each signing from its creation, so that the
// newest one keeps signing; migrated down, the columns go.
func TestSigningKeyRotationMigration(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		if err := s.MigrateUpTo(ctx, 19); err != nil {
			t.Fatal(err)
		}
		db := s.DB()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for _, k := range []struct {
			id, alg string
			created time.Duration
		}{{"b", "ES256", 0}, {"a", "ES256", 0}, {"c", "ES256", time.Hour}, {"r", "RS256", 0}} {
			if _, err := db.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, public_jwk, created_at)
				VALUES ($1, $2, $3, '{}', $4)`, k.id, k.alg, []byte{0}, t0.Add(k.created)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		keys, err := s.ListSigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]struct {
			succeeds  string
			activates time.Time
		}{"a": {"", t0}, "b": {"a", t0}, "c": {"b", t0.Add(time.Hour)}, "r": {"", t0}}
		if len(keys) != len(want) {
			t.Fatalf("%d keys after migrating up, want %d", len(keys), len(want))
		}
		for _, k := range keys {
			if w := want[k.ID]; k.Succeeds != w.succeeds || !k.ActivatesAt.Equal(w.activates) {
				t.Errorf("key %s succeeds %q, activates %v; want %q, %v", k.ID, k.Succeeds, k.ActivatesAt, w.succeeds, w.activates)
			}
		}

		if err := s.MigrateDownTo(ctx, 19); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM signing_keys`).Scan(&n); err != nil || n != 4 {
			t.Errorf("%d keys after migrating down, %v; want 4", n, err)
		}
		var succeeds sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT succeeds FROM signing_keys`).Scan(&succeeds); err == nil {
			t.Error("the succeeds column is still there after migrating down")
		}
	})
}
