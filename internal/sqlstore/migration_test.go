package sqlstore_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
)

// TestCredentialsMigration moves passwords from users.password_hash into the
// credentials table and, migrated down, back again.
func TestCredentialsMigration(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		if err := s.MigrateUpTo(ctx, 5); err != nil {
			t.Fatal(err)
		}
		db := s.DB()
		now := time.Now().UTC()
		for _, q := range []struct {
			query string
			args  []any
		}{
			{`INSERT INTO tenants (id, name, name_folded, is_system, created_at, updated_at) VALUES ('t1', 'T', 't', TRUE, $1, $1)`, []any{now}},
			{`INSERT INTO users (id, tenant_id, email, name, name_folded, password_hash, email_verified, status, created_at, updated_at)
					VALUES ('u1', 't1', 'a@example.com', '', '', '$argon2id$hash', TRUE, 'active', $1, $1)`, []any{now}},
			{`INSERT INTO users (id, tenant_id, email, name, name_folded, password_hash, email_verified, status, created_at, updated_at)
					VALUES ('u2', 't1', 'b@example.com', '', '', NULL, TRUE, 'active', $1, $1)`, []any{now}},
		} {
			if _, err := db.ExecContext(ctx, q.query, q.args...); err != nil {
				t.Fatalf("%s: %v", q.query, err)
			}
		}

		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, `SELECT id, tenant_id, user_id, type, name, state, secret FROM credentials`)
		if err != nil {
			t.Fatal(err)
		}
		var got [][7]string
		for rows.Next() {
			var r [7]string
			if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if want := [7]string{"u1", "t1", "u1", "password", "", "active", "$argon2id$hash"}; len(got) != 1 || got[0] != want {
			t.Errorf("credentials after migrating up = %q, want only %q", got, want)
		}

		if err := s.MigrateDownTo(ctx, 6); err != nil {
			t.Fatal(err)
		}
		for user, want := range map[string]sql.NullString{"u1": {String: "$argon2id$hash", Valid: true}, "u2": {}} {
			var hash sql.NullString
			if err := db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, user).Scan(&hash); err != nil || hash != want {
				t.Errorf("password_hash of %s after migrating down = %v, %v; want %v", user, hash, err, want)
			}
		}
		if _, err := db.ExecContext(ctx, `SELECT 1 FROM credentials`); err == nil {
			t.Error("the credentials table is still there after migrating down")
		}
	})
}
