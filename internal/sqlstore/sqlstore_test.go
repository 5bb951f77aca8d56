package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) iam.Store { return newSQLite(t) })
}

func TestPostgres(t *testing.T) {
	pool := storetest.NewPostgresPool(t, storetest.PostgresDSN(t))
	storetest.Run(t, func(t *testing.T) iam.Store { return migrated(t, pool.Schema(t)) })
}

// eachBackend runs fn once on each backend, on a fresh store not migrated yet.
func eachBackend(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	backends := map[string]func(t *testing.T) string{
		"SQLite":   func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db") },
		"Postgres": func(t *testing.T) string { return storetest.FreshPostgres(t, storetest.PostgresDSN(t)) },
	}
	for name, dsn := range backends {
		t.Run(name, func(t *testing.T) { fn(t, open(t, dsn(t))) })
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		first, err := s.Migrate(ctx)
		if err != nil || first == 0 {
			t.Fatalf("first Migrate = %d, %v; want every migration applied", first, err)
		}
		second, err := s.Migrate(ctx)
		if err != nil || second != 0 {
			t.Fatalf("second Migrate = %d, %v; want 0 applied", second, err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// open opens dsn and closes the store when the test ends.
func open(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func migrated(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s := open(t, dsn)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// newSQLite returns a migrated store in a fresh database file.
func newSQLite(t *testing.T) *sqlstore.Store {
	return migrated(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
}
