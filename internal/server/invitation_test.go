package server_test

import (
	"fmt"
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

// An invitation whose role was deleted since it was sent still signs its
// invitee up, into the organization without that role; it used to fail
// every time with 404 "role not found" (found by a review).
func TestInvitationOutlivesADeletedRole(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	org := h.createOrg(admin, map[string]any{"name": "Acme", "alias": "acme"})
	h.post("/api/v1/permissions", admin, map[string]any{"name": "invoices.read"}).want(http.StatusCreated)
	role := h.post("/api/v1/roles", admin, map[string]any{"name": "billing", "organization_id": org["id"], "permissions": []string{"invoices.read"}}).
		want(http.StatusCreated).JSON()["id"].(string)
	h.post("/api/v1/invitations", admin, map[string]any{"email": "nina@example.com", "organization_id": "acme", "roles": []string{role}}).
		want(http.StatusCreated)
	tok := h.linkToken(admin, "nina@example.com", "invitation")
	h.delete("/api/v1/roles/"+role, admin).want(http.StatusNoContent)
	register(h, "nina@example.com", goodPassword, "Nina", map[string]any{"invitation_token": tok}).want(http.StatusCreated)
	members := h.get("/api/v1/organizations/"+org["id"].(string)+"/members", admin).want(http.StatusOK).JSON()["data"].([]any)
	if len(members) != 1 {
		t.Fatalf("acme's members after the invitee signed up: %v", members)
	}
	events := h.auditEvents(admin, "action=invitation.accepted")
	if len(events) != 1 || fmt.Sprint(events[0]["details"].(map[string]any)["roles_dropped"]) != "["+role+"]" {
		t.Errorf("the acceptance does not record the dropped role: %v", events)
	}
}
