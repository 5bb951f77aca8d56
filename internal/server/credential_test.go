package server_test

import (
	"database/sql"
	"net/http"
	"testing"
	"time"
)

// TestOnlyAnActivePasswordSignsIn: a password credential that is disabled,
// locked or past its expiry refuses login and re-authentication with the
// one answer for every failure, and the audit log says why. Nothing in the
// API changes a credential's state yet, so the test writes it in the database.
func TestOnlyAnActivePasswordSignsIn(t *testing.T) {
	h, db := harnessWithDB(t)
	set := func(state string, expires *time.Time) {
		t.Helper()
		if _, err := db.Exec(`UPDATE credentials SET state = $1, expires_at = $2`, state, expires); err != nil {
			t.Fatal(err)
		}
	}
	h.createUser(h.admin(), "lou@example.com", goodPassword)
	h.login("lou@example.com", goodPassword)

	var used sql.NullTime
	if err := db.QueryRow(`SELECT c.last_used_at FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.email = 'lou@example.com'`).Scan(&used); err != nil || !used.Valid {
		t.Errorf("last use of the password after a login = %v, %v; want a time", used, err)
	}

	past := h.clock.Now().Add(-time.Minute)
	for _, c := range []struct {
		state   string
		expires *time.Time
		reason  string
	}{
		{"disabled", nil, "password_disabled"},
		{"locked", nil, "password_locked"},
		{"expired", nil, "password_expired"},
		{"active", &past, "password_expired"},
	} {
		lou, admin := h.login("lou@example.com", goodPassword), h.admin()
		set(c.state, c.expires)
		h.post("/api/v1/auth/login", "", map[string]any{"email": "lou@example.com", "password": goodPassword}).
			wantError(http.StatusUnauthorized, "invalid_credentials")
		if events := h.auditEvents(admin, "action=auth.login.failed"); len(events) == 0 || events[0]["details"].(map[string]any)["reason"] != c.reason {
			t.Errorf("state %s, expiry %v: newest failed login %v, want reason %s", c.state, c.expires, events, c.reason)
		}
		h.post("/api/v1/me/password", lou.AccessToken, map[string]any{"current_password": goodPassword, "new_password": "Kq-never-set-3321"}).
			wantError(http.StatusUnauthorized, "invalid_credentials")
		set("active", nil)
		h.clock.Advance(10 * time.Minute) // past the back-off of the failures
	}
	future := h.clock.Now().Add(time.Hour)
	set("active", &future)
	h.login("lou@example.com", goodPassword)
}
