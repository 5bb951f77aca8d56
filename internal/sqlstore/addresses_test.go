package sqlstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
)

// TestMigrationNormalizesAddresses writes addresses as the code before
// migration 00006 stored them (lower case, but neither NFC nor IDNA, and
// without the single-script rule), migrates, and checks that each became its
// normal form, or was left as it was and reported when it is invalid or its
// normal form collides with another account's.
func TestMigrationNormalizesAddresses(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		if err := s.MigrateUpTo(ctx, 5); err != nil {
			t.Fatalf("MigrateUpTo(5): %v", err)
		}
		db := s.DB()
		now := time.Now().UTC().Truncate(time.Microsecond)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, tn := range []string{"t1", "t2"} {
			exec(`INSERT INTO tenants (id, name, name_folded, is_system, created_at, updated_at) VALUES ($1, $1, $1, FALSE, $2, $2)`, tn, now)
		}
		users := []struct{ tenant, id, email string }{
			{"t1", "nfd", "jose\u0301@example.com"},
			{"t1", "idna", "ana@bücher.example"},
			{"t1", "latin", "admin@example.com"},
			{"t1", "cyrillic", "\u0430dmin@example.com"},
			{"t1", "nfc", "ren\u00e9@example.com"},
			{"t1", "nfd-twin", "rene\u0301@example.com"},
			{"t1", "both1", "mari\u0301a@bücher.example"},
			{"t1", "both2", "mar\u00eda@bücher.example"},
			{"t1", "literal", "a@[127.0.0.1]"},
			{"t2", "other-tenant", "rene\u0301@example.com"},
		}
		for _, u := range users {
			exec(`INSERT INTO users (id, tenant_id, email, name, name_folded, email_verified, status, created_at, updated_at)
					VALUES ($1, $2, $3, $1, $1, FALSE, 'active', $4, $4)`, u.id, u.tenant, u.email, now)
		}
		exec(`INSERT INTO invitations (id, tenant_id, email, roles, token_hash, invited_by, expires_at, created_at)
				VALUES ('inv', 't1', 'jörg@bücher.example', '[]', 'h1', 'latin', $1, $1)`, now)
		exec(`INSERT INTO invitations (id, tenant_id, email, roles, token_hash, invited_by, expires_at, created_at)
				VALUES ('inv-literal', 't1', 'a@[127.0.0.1]', '[]', 'h2', 'latin', $1, $1)`, now)
		exec(`INSERT INTO one_time_tokens (id, tenant_id, user_id, kind, token_hash, email, expires_at, created_at)
				VALUES ('ott', 't1', 'latin', 'email_change', 'h3', 'new@bücher.example', $1, $1)`, now)
		for _, e := range []string{"jose\u0301@example.com", "ren\u00e9@example.com", "rene\u0301@example.com"} {
			exec(`INSERT INTO login_failures (tenant_id, email, failures, last_failure_at) VALUES ('t1', $1, 3, $2)`, e, now)
		}
		for _, m := range []struct{ id, status string }{{"pending", "pending"}, {"sent", "sent"}} {
			exec(`INSERT INTO mail_outbox (id, tenant_id, kind, recipient, subject, body_text, body_html, status, attempts, next_attempt_at, last_error, created_at)
					VALUES ($1, 't1', 'verify_email', $2, 's', 't', 'h', $3, 0, $4, '', $4)`, m.id, "jose\u0301@example.com", m.status, now)
		}

		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}

		value := func(q string, args ...any) string {
			t.Helper()
			var v string
			if err := db.QueryRowContext(ctx, q, args...).Scan(&v); err != nil {
				t.Fatalf("%s %v: %v", q, args, err)
			}
			return v
		}
		wantUsers := map[string]string{
			"nfd":          "jos\u00e9@example.com",
			"idna":         "ana@xn--bcher-kva.example",
			"latin":        "admin@example.com",
			"cyrillic":     "\u0430dmin@example.com",
			"nfc":          "ren\u00e9@example.com",
			"nfd-twin":     "rene\u0301@example.com",
			"both1":        "mari\u0301a@bücher.example",
			"both2":        "mar\u00eda@bücher.example",
			"literal":      "a@[127.0.0.1]",
			"other-tenant": "ren\u00e9@example.com",
		}
		for id, want := range wantUsers {
			if got := value(`SELECT email FROM users WHERE id = $1`, id); got != want {
				t.Errorf("user %s: email %q, want %q", id, got, want)
			}
		}
		for _, c := range []struct {
			q    string
			arg  string
			want string
		}{
			{`SELECT email FROM invitations WHERE id = $1`, "inv", "jörg@xn--bcher-kva.example"},
			{`SELECT email FROM invitations WHERE id = $1`, "inv-literal", "a@[127.0.0.1]"},
			{`SELECT email FROM one_time_tokens WHERE id = $1`, "ott", "new@xn--bcher-kva.example"},
			{`SELECT recipient FROM mail_outbox WHERE id = $1`, "pending", "jos\u00e9@example.com"},
			{`SELECT recipient FROM mail_outbox WHERE id = $1`, "sent", "jose\u0301@example.com"},
			{`SELECT COUNT(*) FROM login_failures WHERE email = $1`, "jos\u00e9@example.com", "1"},
			{`SELECT COUNT(*) FROM login_failures WHERE email = $1`, "jose\u0301@example.com", "0"},
			{`SELECT COUNT(*) FROM login_failures WHERE email = $1`, "rene\u0301@example.com", "1"},
		} {
			if got := value(c.q, c.arg); got != c.want {
				t.Errorf("%s [%s] = %q, want %q", c.q, c.arg, got, c.want)
			}
		}

		conflicts, err := s.EmailAddressConflicts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range conflicts {
			if c.Problem == "" {
				t.Errorf("conflict without a problem: %+v", c)
			}
			got = append(got, c.TenantID+" "+c.Source+" "+c.Key)
		}
		want := []string{
			"t1 invitations inv-literal",
			"t1 login_failures rene\u0301@example.com",
			"t1 users both1", "t1 users both2", "t1 users cyrillic", "t1 users literal", "t1 users nfd-twin",
		}
		if !slices.Equal(got, want) {
			t.Errorf("conflicts %q, want %q", got, want)
		}

		u, err := s.GetUserByEmail(ctx, "t1", "jos\u00e9@example.com")
		if err != nil || u.ID != "nfd" {
			t.Fatalf("GetUserByEmail of the normal form = %v, %v", u, err)
		}
	})
}
