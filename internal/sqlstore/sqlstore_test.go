package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating schemas

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

// postgresEnv names the variable holding a PostgreSQL DSN for TestPostgres,
// e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const postgresEnv = "GATEHOUSE_TEST_POSTGRES"

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) iam.Store { return newSQLite(t) })
}

func TestPostgres(t *testing.T) {
	dsn := postgresDSN(t)
	storetest.Run(t, func(t *testing.T) iam.Store { return newPostgres(t, dsn) })
}

func TestMigrateIsIdempotent(t *testing.T) {
	backends := map[string]func(t *testing.T) string{
		"SQLite": func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db") },
		"Postgres": func(t *testing.T) string {
			return withSearchPath(t, postgresDSN(t), newSchema(t, postgresDSN(t)))
		},
	}
	for name, dsn := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, dsn(t))
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

// newPostgres returns a migrated store in a fresh schema of dsn's database.
func newPostgres(t *testing.T, dsn string) *sqlstore.Store {
	return migrated(t, withSearchPath(t, dsn, newSchema(t, dsn)))
}

func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("set %s to a PostgreSQL DSN (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run the PostgreSQL tests", postgresEnv)
	}
	return dsn
}

// newSchema creates an empty schema and drops it when the test ends. Its
// cleanup is registered first, so it runs after the store using it is closed.
func newSchema(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	name := "gh_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// withSearchPath sets the search_path runtime parameter, which pgx passes to
// the server for every connection.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
