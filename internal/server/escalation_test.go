package server_test

import (
	"net/http"
	"testing"
	"time"
)

// limitedAdmin creates an admin holding only perms and returns their token.
func limitedAdmin(t *testing.T, h *harness, super, email string, perms ...string) (token, roleID string) {
	t.Helper()
	role := h.post("/api/v1/admin-roles", super, map[string]any{"name": email + " role", "permissions": perms}).want(http.StatusCreated).JSON()
	h.post("/api/v1/admins", super, map[string]any{"email": email, "name": email, "password": "Kq-16e3d-14a46",
		"admin_roles": []string{role["id"].(string)}}).want(http.StatusCreated)
	return h.login(email, "Kq-16e3d-14a46").AccessToken, role["id"].(string)
}

func TestAdminsCannotRaiseThemselves(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	superID := h.get("/api/v1/me", super).want(http.StatusOK).JSON()["id"].(string)

	helpdesk, _ := limitedAdmin(t, h, super, "helpdesk@example.com", "admins.manage")
	me := h.get("/api/v1/me", helpdesk).want(http.StatusOK).JSON()
	h.post("/api/v1/admins", helpdesk, map[string]any{"email": "evil@example.com", "name": "Evil", "password": "Kq-77f1f-937b3",
		"admin_roles": []string{"superadmin"}}).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/admins/"+me["id"].(string), helpdesk, map[string]any{"admin_roles": []string{"superadmin"}}).wantError(http.StatusForbidden, "forbidden")
	h.delete("/api/v1/admins/"+superID, helpdesk).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/users", helpdesk).wantError(http.StatusForbidden, "forbidden")

	roleAdmin, ownRole := limitedAdmin(t, h, super, "roles@example.com", "admin_roles.manage")
	h.patch("/api/v1/admin-roles/"+ownRole, roleAdmin, map[string]any{"permissions": []string{"*"}}).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/admin-roles/"+ownRole, roleAdmin, map[string]any{"permissions": []string{"tenants.manage"}}).wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/admin-roles", roleAdmin, map[string]any{"name": "wide", "permissions": []string{"users.*"}}).wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/admin-roles", roleAdmin, map[string]any{"name": "same", "permissions": []string{"admin_roles.manage"}}).want(http.StatusCreated)
	h.get("/api/v1/tenants", roleAdmin).wantError(http.StatusForbidden, "forbidden")

	// users.write does not reach admins.
	userAdmin, _ := limitedAdmin(t, h, super, "users@example.com", "users.*")
	h.post("/api/v1/users/"+superID+"/disable", userAdmin, nil).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/users/"+superID, userAdmin, map[string]any{"email": "takeover@example.com"}).wantError(http.StatusForbidden, "forbidden")
	h.delete("/api/v1/users/"+superID, userAdmin).wantError(http.StatusForbidden, "forbidden")
	plain := h.createUser(userAdmin, "plain@example.com", "Kq-21207-1fec7")
	h.post("/api/v1/users/"+plain+"/disable", userAdmin, nil).want(http.StatusOK)

	// The superadmin still does all of it.
	h.get("/api/v1/me", super).want(http.StatusOK)
	h.patch("/api/v1/admin-roles/"+ownRole, super, map[string]any{"permissions": []string{"admin_roles.manage", "audit.view"}}).want(http.StatusOK)
}

func TestMailTemplatesNeedEveryPermission(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	settingsOnly, _ := limitedAdmin(t, h, super, "settings@example.com", "settings.manage")
	patch := map[string]any{"mail": map[string]any{"templates": map[string]any{"password_reset": map[string]any{"subject": "Reset for {{.Email}}"}}}}
	h.patch("/api/v1/settings", settingsOnly, patch).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/settings", super, patch).want(http.StatusOK)
	leak := map[string]any{"mail": map[string]any{"templates": map[string]any{"password_reset": map[string]any{"subject": "Reset {{.Link}}"}}}}
	h.patch("/api/v1/settings", super, leak).wantError(http.StatusBadRequest, "invalid_request")
	// Other settings stay open to settings.manage.
	h.patch("/api/v1/settings", settingsOnly, map[string]any{"lockout": map[string]any{"max_attempts": 7}}).want(http.StatusOK)
}

func TestSessionAdminsDoNotReachAdmins(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	superID := h.get("/api/v1/me", super).JSON()["id"].(string)
	sessions, _ := limitedAdmin(t, h, super, "sessions@example.com", "sessions.read", "sessions.write")
	h.get("/api/v1/sessions?user_id="+superID, sessions).wantError(http.StatusForbidden, "forbidden")
	h.delete("/api/v1/users/"+superID+"/sessions", sessions).wantError(http.StatusForbidden, "forbidden")
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/me/sessions", super).want(http.StatusOK).Decode(&page)
	h.delete("/api/v1/sessions/"+page.Data[0]["id"].(string), sessions).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/me", super).want(http.StatusOK)
}

// A SCIM token acts with users.* and groups.* (its organization's: users.*):
// an admin who manages SCIM but holds less may not make one, or they would
// act through it with what they do not hold (found by a review).
func TestSCIMTokenNeedsItsPermissions(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	acme := h.createOrg(super, map[string]any{"name": "Acme", "alias": "acme"})["id"].(string)
	scimOnly, _ := limitedAdmin(t, h, super, "scim@example.com", "scim.manage")
	for _, path := range []string{"/api/v1/scim/token", "/api/v1/organizations/" + acme + "/scim/token"} {
		h.post(path, scimOnly, nil).wantError(http.StatusForbidden, "forbidden")
	}
	orgOnly, _ := limitedAdmin(t, h, super, "org-scim@example.com", "scim.manage", "users.read", "users.write", "orgs.read")
	h.post("/api/v1/scim/token", orgOnly, nil).wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/organizations/"+acme+"/scim/token", orgOnly, nil).want(http.StatusCreated)
	full, _ := limitedAdmin(t, h, super, "all-scim@example.com", "scim.manage", "users.*", "groups.*")
	h.post("/api/v1/scim/token", full, nil).want(http.StatusCreated)
}

// An API credential an admin made for an ordinary user acts with the user's
// roles as they are at each request: promoting the user while it lives
// would hand its maker's secret the new roles. Widening is refused until
// the user's credentials are revoked (found by a review), as for service
// accounts.
func TestPromotionWaitsForTheUsersCredentials(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	plain := h.createUser(super, "plain@example.com", "Kq-21207-1fec7")
	creds, _ := limitedAdmin(t, h, super, "creds@example.com", "credentials.write")
	made := h.post("/api/v1/api-credentials", creds, map[string]any{"name": "ci", "owner_id": plain,
		"expires_at": time.Now().Add(240 * time.Hour).UTC().Format(time.RFC3339)}).want(http.StatusCreated).JSON()
	promote := request{method: http.MethodPatch, path: "/api/v1/admins/" + plain, token: super,
		body: map[string]any{"admin_roles": []string{"superadmin"}}}
	m := h.send(promote).wantError(http.StatusUnprocessableEntity, "state_conflict")
	if d, _ := m["details"].(map[string]any); d["live_secrets"] != float64(1) {
		t.Errorf("the refusal does not count the live credential: %v", m)
	}
	h.get("/api/v1/tenants", made["secret"].(string)).wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/api-credentials/"+made["id"].(string)+"/revoke", super, nil).want(http.StatusOK)
	h.send(promote).want(http.StatusOK)
	h.get("/api/v1/tenants", made["secret"].(string)).wantError(http.StatusUnauthorized, "invalid_token")
}
