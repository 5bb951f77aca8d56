package server_test

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

// lastSchemaWithPasswordHash is the last migration before passwords moved
// from users.password_hash to the credentials table.
const lastSchemaWithPasswordHash = 5

// v5Database is a database as a server before the credentials table left
// it: migrated to lastSchemaWithPasswordHash with the repository's own
// migration files, holding a system tenant, its superadmin role, an admin
// and a user with passwords, and a user without one, written as that server
// wrote them. dsn is what a server opens.
type v5Database struct {
	dsn        string
	driver     string
	driverDSN  string
	dialect    goose.Dialect
	migrations string
}

func sqliteV5(t *testing.T) v5Database { return sqliteV5Dir(t.TempDir()) }

// sqliteV5Dir is the database gatehouse.db in dir.
func sqliteV5Dir(dir string) v5Database {
	path := filepath.Join(dir, "gatehouse.db")
	return v5Database{dsn: "sqlite://" + path, driver: "sqlite", driverDSN: "file:" + path + "?_pragma=foreign_keys(1)&_time_format=sqlite",
		dialect: goose.DialectSQLite3, migrations: "sqlite"}
}

func postgresV5(t *testing.T) v5Database {
	dsn := storetest.FreshPostgres(t, storetest.PostgresDSN(t))
	return v5Database{dsn: dsn, driver: "pgx", driverDSN: dsn, dialect: goose.DialectPostgres, migrations: "postgres"}
}

// write creates the v5 schema and its rows, the passwords hashed as that
// server hashed them.
func (d v5Database) write(t *testing.T, adminPw, userPw string) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(d.driver, d.driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(d.dialect, db, os.DirFS(filepath.Join("..", "sqlstore", "migrations", d.migrations)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, lastSchemaWithPasswordHash); err != nil {
		t.Fatalf("migrate to %d: %v", lastSchemaWithPasswordHash, err)
	}
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	hash := func(pw string) string {
		s, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	id := func() string { return uuid.Must(uuid.NewV7()).String() }
	now := time.Now().UTC().Truncate(time.Microsecond)
	tenant, role, admin := id(), id(), id()
	for _, row := range []struct {
		query string
		args  []any
	}{
		{`INSERT INTO tenants (id, name, name_folded, is_system, created_at, updated_at) VALUES ($1, 'Default', 'default', TRUE, $2, $2)`,
			[]any{tenant, now}},
		{`INSERT INTO admin_roles (id, tenant_id, name, name_folded, description, permissions, builtin, created_at, updated_at)
			VALUES ($1, $2, 'superadmin', 'superadmin', 'Holds every system permission', '["*"]', TRUE, $3, $3)`, []any{role, tenant, now}},
		{`INSERT INTO users (id, tenant_id, email, name, name_folded, password_hash, email_verified, status, external_id, created_at, updated_at)
			VALUES ($1, $2, $3, '', '', $4, TRUE, 'active', NULL, $5, $5)`, []any{admin, tenant, adminEmail, hash(adminPw), now}},
		{`INSERT INTO user_admin_roles (user_id, role_id, tenant_id) VALUES ($1, $2, $3)`, []any{admin, role, tenant}},
		{`INSERT INTO users (id, tenant_id, email, name, name_folded, password_hash, email_verified, status, external_id, created_at, updated_at)
			VALUES ($1, $2, 'ada@example.com', 'Ada', 'ada', $3, TRUE, 'active', NULL, $4, $4)`, []any{id(), tenant, hash(userPw), now}},
		{`INSERT INTO users (id, tenant_id, email, name, name_folded, password_hash, email_verified, status, external_id, created_at, updated_at)
			VALUES ($1, $2, 'nopw@example.com', 'No Password', 'no password', NULL, TRUE, 'active', NULL, $3, $3)`, []any{id(), tenant, now}},
	} {
		if _, err := db.ExecContext(ctx, row.query, row.args...); err != nil {
			t.Fatalf("%s: %v", row.query, err)
		}
	}
}

// wantMoved fails the test unless the users table has lost its password
// column and the credentials table holds n passwords.
func (d v5Database) wantMoved(t *testing.T, n int) {
	t.Helper()
	db, err := sql.Open(d.driver, d.driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM credentials WHERE type = 'password' AND state = 'active'`).Scan(&rows); err != nil || rows != n {
		t.Errorf("%d active passwords in credentials, %v; want %d", rows, err, n)
	}
	if _, err := db.Exec(`SELECT password_hash FROM users`); err == nil {
		t.Error("users.password_hash is still there")
	}
}

// TestPasswordsSurviveTheCredentialsMigration opens a database at schema 5
// (before passwords moved to the credentials table) on each store.
func TestPasswordsSurviveTheCredentialsMigration(t *testing.T) {
	for name, v5 := range map[string]func(*testing.T) v5Database{"SQLite": sqliteV5, "Postgres": postgresV5} {
		t.Run(name, func(t *testing.T) {
			d := v5(t)
			d.write(t, adminPassword, v5Password)
			wantPasswordsKept(t, newHarness(t, map[string]string{"GATEHOUSE_DATABASE": d.dsn}))
			d.wantMoved(t, 3)
		})
	}
}

// TestMainV5DatabaseSignsInAfterMigrating opens a copy of the SQLite
// database and master key that the binary of main at schema 5 wrote
// (testdata/v5, made by scripts/v5-fixture.sh).
func TestMainV5DatabaseSignsInAfterMigrating(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"gatehouse.db", "gatehouse.key"} {
		b, err := os.ReadFile(filepath.Join("testdata", "v5", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wantPasswordsKept(t, newHarness(t, map[string]string{"GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_DATABASE": "sqlite://gatehouse.db"}))
	sqliteV5Dir(dir).wantMoved(t, 3)
}

// v5Password is ada@example.com's password in the databases at schema 5.
const v5Password = "Kq-v5-lamp-4417"

// wantPasswordsKept checks a server on a migrated schema 5 database holding
// the bootstrap admin, ada@example.com with v5Password and nopw@example.com
// without a password: both sign in with the password they had, a user
// without one still cannot until an admin sets one, and passwords change as
// before.
func wantPasswordsKept(t *testing.T, h *harness) {
	t.Helper()
	const nextPw, setPw = "Kq-new-fern-9021", "Kq-set-moss-5530"
	admin := h.admin()
	ada := h.login("ada@example.com", v5Password)
	for _, c := range []struct{ email, pw string }{
		{"ada@example.com", "Kq-wrong-lamp-0000"},
		{"nopw@example.com", ""},
		{"nopw@example.com", v5Password},
	} {
		h.post("/api/v1/auth/login", "", map[string]any{"email": c.email, "password": c.pw}).wantError(http.StatusUnauthorized, "invalid_credentials")
	}

	h.post("/api/v1/me/password", ada.AccessToken, map[string]any{"current_password": v5Password, "new_password": nextPw}).want(http.StatusNoContent)
	h.login("ada@example.com", nextPw)
	h.post("/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": v5Password}).wantError(http.StatusUnauthorized, "invalid_credentials")

	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	h.get("/api/v1/users?search=nopw", admin).want(http.StatusOK).Decode(&page)
	if len(page.Data) != 1 {
		t.Fatalf("%d users match nopw, want 1", len(page.Data))
	}
	h.post("/api/v1/users/"+page.Data[0].ID+"/password", admin, map[string]any{"password": setPw}).want(http.StatusNoContent)
	h.login("nopw@example.com", setPw)
}
