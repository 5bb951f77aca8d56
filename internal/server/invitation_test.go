package server_test

import (
	"net/http"
	"testing"
)

// Under the closed signup policy nobody signs up: no new invitation, and an
// invitation sent before the policy closed is refused (but kept).
func TestClosedSignupRefusesInvitations(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	h.post("/api/v1/invitations", admin, map[string]any{"email": "nina@example.com"}).want(http.StatusCreated)
	tok := h.linkToken(admin, "nina@example.com", "invitation")

	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "closed"}})
	m := h.post("/api/v1/invitations", admin, map[string]any{"email": "omar@example.com"}).wantError(http.StatusUnprocessableEntity, "state_conflict")
	if d, _ := m["details"].(map[string]any); d["signup_policy"] != "closed" {
		t.Fatalf("the refusal does not name the policy: %v", m)
	}
	if mails := h.mailsTo(admin, "omar@example.com"); len(mails) != 0 {
		t.Fatalf("a refused invitation was mailed: %v", mails)
	}
	register(h, "nina@example.com", goodPassword, "Nina", map[string]any{"invitation_token": tok}).wantError(http.StatusForbidden, "signup_closed")
	h.post("/api/v1/auth/login", "", map[string]any{"email": "nina@example.com", "password": goodPassword}).
		wantError(http.StatusUnauthorized, "invalid_credentials")

	// The invitation was not used up: it works once signup opens again.
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	if m := register(h, "nina@example.com", goodPassword, "Nina", map[string]any{"invitation_token": tok}).want(http.StatusCreated).JSON(); m["status"] != "active" {
		t.Fatalf("invited signup: %v", m)
	}
}
