package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// An admin holding users.write must not lift an admin's lockout: that would
// allow unlimited guesses at the admin's password.
func TestUnlockDoesNotReachAdmins(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	superID := h.get("/api/v1/me", super).want(http.StatusOK).JSON()["id"].(string)
	userAdmin, _ := limitedAdmin(t, h, super, "users@example.com", "users.*")
	plain := h.createUser(super, "plain@example.com", goodPassword)
	// Three failures lock, with no back-off before them: the clock stands still.
	h.patchSettings(super, map[string]any{"lockout": map[string]any{"max_attempts": 3, "backoff_after": 3}})

	lock := func(email string) {
		t.Helper()
		for i := range 3 {
			h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": "wrong-" + strconv.Itoa(i)}).
				wantError(http.StatusUnauthorized, "invalid_credentials")
		}
		h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": goodPassword}).
			wantError(http.StatusUnauthorized, "invalid_credentials")
	}
	lock(adminEmail)
	h.post("/api/v1/users/"+superID+"/unlock", userAdmin, nil).wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
	if events := h.auditEvents(super, "action=user.unlocked"); len(events) != 0 {
		t.Fatalf("a refused unlock was audited as done: %v", events)
	}

	// Ordinary users stay in reach of users.write, and the superadmin
	// reaches everyone.
	lock("plain@example.com")
	h.post("/api/v1/users/"+plain+"/unlock", userAdmin, nil).want(http.StatusNoContent)
	h.login("plain@example.com", goodPassword)
	h.post("/api/v1/users/"+superID+"/unlock", super, nil).want(http.StatusNoContent)
	h.login(adminEmail, adminPassword)
}

// Every endpoint that changes a user's account, credentials, lock or
// sessions, or reads their sessions, answers 403 for an admin the caller
// does not cover, and works on an ordinary user.
func TestUserEndpointsDoNotReachAdmins(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	superID := h.get("/api/v1/me", super).want(http.StatusOK).JSON()["id"].(string)
	helpdesk, _ := limitedAdmin(t, h, super, "helpdesk@example.com", "users.*", "sessions.*")
	tests := []struct {
		method, path string
		body         any
		ok           int
	}{
		{http.MethodPatch, "/api/v1/users/{id}", map[string]any{"name": "Renamed"}, http.StatusOK},
		{http.MethodPost, "/api/v1/users/{id}/disable", nil, http.StatusOK},
		{http.MethodPost, "/api/v1/users/{id}/enable", nil, http.StatusOK},
		{http.MethodPost, "/api/v1/users/{id}/password", map[string]any{"password": "Kq-4d1e2-a7c90"}, http.StatusNoContent},
		{http.MethodPost, "/api/v1/users/{id}/password", map[string]any{"send_reset_email": true}, http.StatusNoContent},
		{http.MethodPost, "/api/v1/users/{id}/unlock", nil, http.StatusNoContent},
		{http.MethodGet, "/api/v1/sessions?user_id={id}", nil, http.StatusOK},
		{http.MethodDelete, "/api/v1/users/{id}/sessions", nil, http.StatusNoContent},
		{http.MethodDelete, "/api/v1/users/{id}", nil, http.StatusNoContent},
	}
	plain := h.createUser(super, "plain@example.com", goodPassword)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			h := biFor(h, t)
			at := func(id string) string { return strings.ReplaceAll(tt.path, "{id}", id) }
			h.send(request{method: tt.method, path: at(superID), token: helpdesk, body: tt.body}).wantError(http.StatusForbidden, "forbidden")
			h.send(request{method: tt.method, path: at(plain), token: helpdesk, body: tt.body}).want(tt.ok)
		})
	}
	if me := h.get("/api/v1/me", super).want(http.StatusOK).JSON(); me["name"] == "Renamed" {
		t.Fatal("a refused change renamed the superadmin")
	}
}
