package sqlstore_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

// TestPostgresPoolEmptiesSchemasForReuse checks what the conformance suite
// relies on: a schema handed out again has no row left by the test before.
func TestPostgresPoolEmptiesSchemasForReuse(t *testing.T) {
	pool := storetest.NewPostgresPool(t, storetest.PostgresDSN(t))
	now := time.Now().UTC().Truncate(time.Second)
	var first string
	t.Run("fill", func(t *testing.T) {
		first = pool.Schema(t)
		s := migrated(t, first)
		tn := &iam.Tenant{ID: uuid.NewString(), Name: "Acme", Hostnames: []string{"acme.test"}, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateTenant(t.Context(), tn); err != nil {
			t.Fatalf("CreateTenant: %v", err)
		}
		u := &iam.User{ID: uuid.NewString(), TenantID: tn.ID, Email: "a@acme.test", Status: iam.UserActive, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	})
	t.Run("reuse", func(t *testing.T) {
		dsn := pool.Schema(t)
		if dsn != first {
			t.Fatalf("Schema = %s, want the schema the first test gave back, %s", dsn, first)
		}
		s := migrated(t, dsn)
		if _, err := s.SystemTenant(t.Context()); !iam.IsCode(err, iam.CodeNotFound) {
			t.Errorf("SystemTenant on a reused schema: %v, want not found", err)
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(t.Context(), `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(tables) < 10 {
			t.Fatalf("reused schema has %d tables, want the migrated ones", len(tables))
		}
		for _, table := range tables {
			var n int
			if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("table %s of a reused schema has %d rows, want none", table, n)
			}
		}
	})
}
