package server_test

import (
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to reach the server's database

	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

// database is the harness's database, opened beside the server, with the SQL
// that makes it refuse to record a lock, and the SQL that stops refusing.
type database struct {
	db              *sql.DB
	refuse, consent []string
}

// harnessWithDB starts a harness on a database of its own (a fresh SQLite
// file, or a fresh PostgreSQL schema with the HTTP suite on PostgreSQL) and
// opens it for the test too, to write what no endpoint writes.
func harnessWithDB(t *testing.T) (*harness, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	driver, dsn, database := "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)", "sqlite://"+path
	if os.Getenv(httpStoreEnv) == "postgres" {
		database = storetest.FreshPostgres(t, storetest.PostgresDSN(t))
		driver, dsn = "pgx", database
	}
	h := newHarness(t, map[string]string{"GATEHOUSE_DATABASE": database})
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return h, db
}

// openDatabase starts a harness on a database the test can reach itself.
func openDatabase(t *testing.T) (*harness, *database) {
	t.Helper()
	h, db := harnessWithDB(t)
	if os.Getenv(httpStoreEnv) == "postgres" {
		return h, &database{db: db,
			refuse: []string{
				`CREATE FUNCTION refuse_lock_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
				`CREATE TRIGGER refuse_lock_event BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.action = 'auth.login.locked') EXECUTE FUNCTION refuse_lock_event()`,
			},
			consent: []string{`DROP TRIGGER refuse_lock_event ON audit_events`},
		}
	}
	// SQLite appends audit events to audit_journal first.
	return h, &database{db: db,
		refuse: []string{`CREATE TRIGGER refuse_lock_event BEFORE INSERT ON audit_journal
			WHEN NEW.action = 'auth.login.locked' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`},
		consent: []string{`DROP TRIGGER refuse_lock_event`},
	}
}

func (d *database) exec(t *testing.T, stmts []string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// lockedFor reports how long logins for email stay refused from now.
func (d *database) lockedFor(t *testing.T, h *harness, email string) time.Duration {
	t.Helper()
	var until sql.NullTime
	err := d.db.QueryRow(`SELECT locked_until FROM login_failures WHERE email = $1`, email).Scan(&until)
	if err != nil {
		t.Fatalf("read the failed logins of %s: %v", email, err)
	}
	if !until.Valid {
		return 0
	}
	return until.Time.Sub(h.clock.Now())
}

// TestALockCommitsWithItsAuditEvent: the tenth failure locks the email and
// records auth.login.locked in one transaction. When the database refuses
// the event, the attempt fails and no lock is left without its event; once
// the event can be written, the lock and its event land together.
func TestALockCommitsWithItsAuditEvent(t *testing.T) {
	h, db := openDatabase(t)
	admin := h.admin()
	const email = "lena@example.com"
	h.createUser(admin, email, goodPassword)
	fail := func(i int) *response {
		h.clock.Advance(10 * time.Minute) // past any back-off
		return h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": "wrong-password-" + strconv.Itoa(i)})
	}
	for i := range 9 {
		fail(i).wantError(http.StatusUnauthorized, "invalid_credentials")
	}
	const lockFor = 15 * time.Minute // the default lock duration

	db.exec(t, db.refuse)
	fail(9).wantError(http.StatusInternalServerError, "internal")
	if d := db.lockedFor(t, h, email); d > time.Minute {
		t.Errorf("the email is locked for %s although its audit event was refused", d)
	}
	if n := len(h.auditEvents(h.admin(), "action=auth.login.locked")); n != 0 {
		t.Fatalf("%d lock events, want none", n)
	}

	db.exec(t, db.consent)
	fail(10).wantError(http.StatusUnauthorized, "invalid_credentials")
	if d := db.lockedFor(t, h, email); d < lockFor-time.Second || d > lockFor { // the store keeps microseconds
		t.Errorf("the email is locked for %s, want %s", d, lockFor)
	}
	events := h.auditEvents(h.admin(), "action=auth.login.locked")
	if len(events) != 1 {
		t.Fatalf("%d lock events, want 1", len(events))
	}
	if d := events[0]["details"].(map[string]any); d["email"] != email {
		t.Errorf("lock event details %v, want email %s", d, email)
	}
	h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": goodPassword}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
}
