package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// managementRoutes are every secured /api/v1 route with the permission it needs
// ("" for any signed-in caller). The OpenAPI document must list each, and each
// must refuse anonymous and unprivileged callers.
var managementRoutes = []struct {
	method, path, permission string
}{
	{"POST", "/api/v1/auth/logout", ""},
	{"GET", "/api/v1/me", ""},
	{"PATCH", "/api/v1/me", ""},
	{"DELETE", "/api/v1/me", ""},
	{"POST", "/api/v1/auth/reauth", ""},
	{"POST", "/api/v1/auth/reauth/email/send", ""},
	{"POST", "/api/v1/auth/reauth/webauthn/begin", ""},
	{"GET", "/api/v1/mfa", ""},
	{"POST", "/api/v1/mfa/totp", ""},
	{"POST", "/api/v1/mfa/totp/confirm", ""},
	{"DELETE", "/api/v1/mfa/totp", ""},
	{"POST", "/api/v1/mfa/email", ""},
	{"DELETE", "/api/v1/mfa/email", ""},
	{"POST", "/api/v1/mfa/recovery-codes", ""},
	{"POST", "/api/v1/users", "users.write"},
	{"GET", "/api/v1/users", "users.read"},
	{"GET", "/api/v1/users/{id}", "users.read"},
	{"PATCH", "/api/v1/users/{id}", "users.write"},
	{"DELETE", "/api/v1/users/{id}", "users.write"},
	{"POST", "/api/v1/users/{id}/disable", "users.write"},
	{"POST", "/api/v1/users/{id}/enable", "users.write"},
	{"POST", "/api/v1/admin-roles", "admin_roles.manage"},
	{"GET", "/api/v1/admin-roles", "admin_roles.manage"},
	{"GET", "/api/v1/admin-roles/{id}", "admin_roles.manage"},
	{"PATCH", "/api/v1/admin-roles/{id}", "admin_roles.manage"},
	{"DELETE", "/api/v1/admin-roles/{id}", "admin_roles.manage"},
	{"POST", "/api/v1/admins", "admins.manage"},
	{"GET", "/api/v1/admins", "admins.manage"},
	{"GET", "/api/v1/admins/{id}", "admins.manage"},
	{"PATCH", "/api/v1/admins/{id}", "admins.manage"},
	{"DELETE", "/api/v1/admins/{id}", "admins.manage"},
	{"POST", "/api/v1/tenants", "tenants.manage"},
	{"GET", "/api/v1/tenants", "tenants.manage"},
	{"GET", "/api/v1/tenants/{id}", "tenants.manage"},
	{"PATCH", "/api/v1/tenants/{id}", "tenants.manage"},
	{"DELETE", "/api/v1/tenants/{id}", "tenants.manage"},
	{"GET", "/api/v1/audit-logs", "audit.view"},
	{"POST", "/api/v1/organizations", "orgs.write"},
	{"GET", "/api/v1/organizations", "orgs.read"},
	{"GET", "/api/v1/organizations/{id}", "orgs.read"},
	{"PATCH", "/api/v1/organizations/{id}", "orgs.write"},
	{"DELETE", "/api/v1/organizations/{id}", "orgs.write"},
	{"GET", "/api/v1/organizations/{id}/members", "orgs.read"},
	{"PUT", "/api/v1/organizations/{id}/members/{user_id}", "orgs.write"},
	{"DELETE", "/api/v1/organizations/{id}/members/{user_id}", "orgs.write"},
	{"GET", "/api/v1/me/organizations", ""},
	{"POST", "/api/v1/groups", "groups.write"},
	{"GET", "/api/v1/groups", "groups.read"},
	{"GET", "/api/v1/groups/{id}", "groups.read"},
	{"PATCH", "/api/v1/groups/{id}", "groups.write"},
	{"DELETE", "/api/v1/groups/{id}", "groups.write"},
	{"GET", "/api/v1/groups/{id}/members", "groups.read"},
	{"PUT", "/api/v1/groups/{id}/members/{user_id}", "groups.write"},
	{"DELETE", "/api/v1/groups/{id}/members/{user_id}", "groups.write"},
	{"GET", "/api/v1/groups/{id}/roles", "groups.read"},
	{"PUT", "/api/v1/groups/{id}/roles/{role_id}", "groups.write"},
	{"DELETE", "/api/v1/groups/{id}/roles/{role_id}", "groups.write"},
	{"POST", "/api/v1/service-accounts", "service_accounts.write"},
	{"GET", "/api/v1/service-accounts", "service_accounts.read"},
	{"GET", "/api/v1/service-accounts/{id}", "service_accounts.read"},
	{"PATCH", "/api/v1/service-accounts/{id}", "service_accounts.write"},
	{"DELETE", "/api/v1/service-accounts/{id}", "service_accounts.write"},
	{"GET", "/api/v1/service-accounts/{id}/keys", "service_accounts.read"},
	{"POST", "/api/v1/service-accounts/{id}/keys", "service_accounts.write"},
	{"DELETE", "/api/v1/service-accounts/{id}/keys/{key_id}", "service_accounts.write"},
	{"GET", "/api/v1/service-accounts/{id}/roles", "roles.read"},
	{"PUT", "/api/v1/service-accounts/{id}/roles/{role_id}", "roles.write"},
	{"DELETE", "/api/v1/service-accounts/{id}/roles/{role_id}", "roles.write"},
	{"GET", "/api/v1/service-accounts/{id}/organizations", "orgs.read"},
	{"PUT", "/api/v1/organizations/{id}/service-accounts/{account_id}", "orgs.write"},
	{"DELETE", "/api/v1/organizations/{id}/service-accounts/{account_id}", "orgs.write"},
	{"GET", "/api/v1/service-accounts/{id}/admin-roles", "admins.manage"},
	{"PUT", "/api/v1/service-accounts/{id}/admin-roles", "admins.manage"},
	{"POST", "/api/v1/applications", "apps.write"},
	{"GET", "/api/v1/applications", "apps.read"},
	{"GET", "/api/v1/applications/{id}", "apps.read"},
	{"PATCH", "/api/v1/applications/{id}", "apps.write"},
	{"DELETE", "/api/v1/applications/{id}", "apps.write"},
	{"POST", "/api/v1/applications/{id}/secret", "apps.write"},
	{"GET", "/api/v1/applications/{id}/roles", "apps.read"},
	{"POST", "/api/v1/applications/{id}/roles", "apps.write"},
	{"DELETE", "/api/v1/applications/{id}/roles/{role}", "apps.write"},
	{"POST", "/api/v1/app-mappings", "roles.write"},
	{"GET", "/api/v1/app-mappings", "roles.read"},
	{"DELETE", "/api/v1/app-mappings/{id}", "roles.write"},
	{"POST", "/api/v1/permissions", "roles.write"},
	{"GET", "/api/v1/permissions", "roles.read"},
	{"GET", "/api/v1/permissions/{id}", "roles.read"},
	{"PATCH", "/api/v1/permissions/{id}", "roles.write"},
	{"DELETE", "/api/v1/permissions/{id}", "roles.write"},
	{"POST", "/api/v1/roles", "roles.write"},
	{"GET", "/api/v1/roles", "roles.read"},
	{"GET", "/api/v1/roles/{id}", "roles.read"},
	{"PATCH", "/api/v1/roles/{id}", "roles.write"},
	{"DELETE", "/api/v1/roles/{id}", "roles.write"},
	{"GET", "/api/v1/users/{id}/roles", "roles.read"},
	{"PUT", "/api/v1/users/{id}/roles/{role_id}", "roles.write"},
	{"DELETE", "/api/v1/users/{id}/roles/{role_id}", "roles.write"},
	{"POST", "/api/v1/authz/check", "authz.check"},
	{"POST", "/api/v1/authz/check-batch", "authz.check"},
	{"GET", "/api/v1/me/permissions", ""},
	{"POST", "/access/v1/evaluation", "authz.check"},
	{"POST", "/access/v1/evaluations", "authz.check"},
	{"POST", "/api/v1/me/password", ""},
	{"POST", "/api/v1/me/email", ""},
	{"GET", "/api/v1/me/sessions", ""},
	{"DELETE", "/api/v1/me/sessions/{id}", ""},
	{"DELETE", "/api/v1/me/sessions", ""},
	{"GET", "/api/v1/me/consents", ""},
	{"DELETE", "/api/v1/me/consents/{application_id}", ""},
	{"GET", "/api/v1/me/identities", ""},
	{"DELETE", "/api/v1/me/identities/{id}", ""},
	{"POST", "/api/v1/users/{id}/password", "users.write"},
	{"POST", "/api/v1/users/{id}/unlock", "users.write"},
	{"GET", "/api/v1/users/{id}/credentials", "credentials.read"},
	{"POST", "/api/v1/users/{id}/credentials", "credentials.write"},
	{"PATCH", "/api/v1/users/{id}/credentials/{cid}", "credentials.write"},
	{"DELETE", "/api/v1/users/{id}/credentials/{cid}", "credentials.write"},
	{"POST", "/api/v1/users/{id}/credentials/verify", "credentials.verify"},
	{"POST", "/api/v1/api-credentials", ""},
	{"GET", "/api/v1/api-credentials", ""},
	{"GET", "/api/v1/api-credentials/{id}", ""},
	{"PUT", "/api/v1/api-credentials/{id}", ""},
	{"POST", "/api/v1/api-credentials/{id}/activate", ""},
	{"POST", "/api/v1/api-credentials/{id}/deactivate", ""},
	{"POST", "/api/v1/api-credentials/{id}/renew", ""},
	{"POST", "/api/v1/api-credentials/{id}/revoke", ""},
	{"POST", "/api/v1/api-credentials/bulk-revoke", ""},
	{"POST", "/api/v1/service-credentials", "credentials.write"},
	{"GET", "/api/v1/service-credentials", "credentials.read"},
	{"GET", "/api/v1/service-credentials/{id}", ""},
	{"PUT", "/api/v1/service-credentials/{id}", ""},
	{"POST", "/api/v1/service-credentials/{id}/activate", ""},
	{"POST", "/api/v1/service-credentials/{id}/deactivate", ""},
	{"POST", "/api/v1/service-credentials/{id}/renew", ""},
	{"POST", "/api/v1/service-credentials/{id}/revoke", ""},
	{"POST", "/api/v1/service-credentials/bulk-revoke", "credentials.write"},
	{"DELETE", "/api/v1/users/{id}/sessions", "sessions.write"},
	{"GET", "/api/v1/sessions", "sessions.read"},
	{"DELETE", "/api/v1/sessions/{id}", "sessions.write"},
	{"POST", "/api/v1/invitations", "users.write"},
	{"GET", "/api/v1/invitations", "users.read"},
	{"DELETE", "/api/v1/invitations/{id}", "users.write"},
	{"GET", "/api/v1/settings", "settings.manage"},
	{"PATCH", "/api/v1/settings", "settings.manage"},
	{"GET", "/api/v1/outbox", "settings.manage"},
	{"POST", "/api/v1/mfa/webauthn/register/begin", ""},
	{"POST", "/api/v1/mfa/webauthn/register/finish", ""},
	{"GET", "/api/v1/mfa/webauthn", ""},
	{"PATCH", "/api/v1/mfa/webauthn/{id}", ""},
	{"DELETE", "/api/v1/mfa/webauthn/{id}", ""},
	{"POST", "/api/v1/me/tokens", ""},
	{"GET", "/api/v1/me/tokens", ""},
	{"DELETE", "/api/v1/me/tokens/{id}", ""},
	{"GET", "/api/v1/users/{id}/tokens", "credentials.read"},
	{"DELETE", "/api/v1/users/{id}/tokens/{tid}", "credentials.write"},
	{"POST", "/api/v1/scim/token", "scim.manage"},
	{"GET", "/api/v1/scim/token", "scim.manage"},
	{"DELETE", "/api/v1/scim/token", "scim.manage"},
	{"POST", "/api/v1/organizations/{id}/scim/token", "scim.manage"},
	{"POST", "/api/v1/federated/providers", "federated.manage"},
	{"GET", "/api/v1/federated/providers", "federated.manage"},
	{"GET", "/api/v1/federated/providers/{id}", "federated.manage"},
	{"PATCH", "/api/v1/federated/providers/{id}", "federated.manage"},
	{"DELETE", "/api/v1/federated/providers/{id}", "federated.manage"},
	{"GET", "/api/v1/users/{id}/identities", "users.read"},
	{"POST", "/api/v1/organizations/{id}/sso-setup-links", "federated.manage"},
	{"GET", "/api/v1/organizations/{id}/sso-setup-links", "federated.manage"},
	{"DELETE", "/api/v1/organizations/{id}/sso-setup-links/{link_id}", "federated.manage"},
	{"DELETE", "/api/v1/users/{id}/identities/{identity_id}", "users.write"},
	{"GET", "/api/v1/organizations/{id}/scim/token", "scim.manage"},
	{"DELETE", "/api/v1/organizations/{id}/scim/token", "scim.manage"},
}

var publicRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/auth/login"},
	{"POST", "/api/v1/auth/refresh"},
	{"GET", "/.well-known/authzen-configuration"},
	{"POST", "/api/v1/auth/register"},
	{"POST", "/api/v1/auth/email/verify"},
	{"POST", "/api/v1/auth/email/resend"},
	{"POST", "/api/v1/auth/email/confirm"},
	{"POST", "/api/v1/auth/password/forgot"},
	{"POST", "/api/v1/auth/password/reset"},
	{"POST", "/api/v1/auth/password-strength"},
	{"POST", "/api/v1/auth/mfa/verify"},
	{"POST", "/api/v1/auth/mfa/email/send"},
	{"POST", "/api/v1/auth/mfa/webauthn/begin"},
	{"POST", "/api/v1/auth/passkey/begin"},
	{"POST", "/api/v1/auth/passkey/finish"},
	{"GET", "/api/v1/auth/providers"},
}

const someID = "01900000-0000-7000-8000-000000000000"

// bodyFor returns a valid body for routes that take one, so that the
// permission check, not validation, decides the answer.
func bodyFor(method, path string) any {
	switch {
	case method == "POST" && path == "/api/v1/users":
		return map[string]any{"email": "new@example.com", "name": "New", "password": "Kq-fern-4471-drum"}
	case method == "POST" && path == "/api/v1/admin-roles":
		return map[string]any{"name": "readers", "permissions": []string{"users.read"}}
	case method == "POST" && path == "/api/v1/admins":
		return map[string]any{"email": "adm@example.com", "name": "Adm", "password": "Kq-fern-4471-drum", "admin_roles": []string{"superadmin"}}
	case method == "POST" && path == "/api/v1/tenants":
		return map[string]any{"name": "T", "hostnames": []string{"t.example.com"}}
	case method == "PATCH" && strings.HasPrefix(path, "/api/v1/admins/"):
		return map[string]any{"admin_roles": []string{}}
	case method == "PATCH" && strings.HasPrefix(path, "/api/v1/permissions/"):
		return map[string]any{"description": "x"}
	case path == "/api/v1/settings":
		return map[string]any{"signup": map[string]any{"policy": "open"}}
	case path == "/api/v1/auth/reauth":
		return map[string]any{"method": "password", "password": "x"}
	case path == "/api/v1/mfa/totp/confirm":
		return map[string]any{"code": "123456"}
	case path == "/api/v1/me/password":
		return map[string]any{"current_password": "x", "new_password": "Kq-fern-4471-drum"}
	case path == "/api/v1/me/email":
		return map[string]any{"new_email": "new@example.com", "password": "x"}
	case method == "POST" && path == "/api/v1/users/{id}/credentials":
		return map[string]any{"type": "device_password", "credential_ext_id": "laptop", "password": "Kq-fern-4471-drum"}
	case method == "PATCH" && path == "/api/v1/users/{id}/credentials/{cid}":
		return map[string]any{"state": "disabled"}
	case path == "/api/v1/users/{id}/credentials/verify":
		return map[string]any{"type": "password", "password": "x"}
	case strings.HasSuffix(path, "-credentials") && method == "POST", method == "PUT" && strings.Contains(path, "-credentials/"):
		return map[string]any{"name": "deploy", "expires_at": time.Now().AddDate(1, 0, 0).Format(time.RFC3339)}
	case strings.HasSuffix(path, "-credentials/{id}/renew"):
		return map[string]any{"expires_at": time.Now().AddDate(1, 0, 0).Format(time.RFC3339)}
	case strings.HasSuffix(path, "-credentials/bulk-revoke"):
		return map[string]any{"owner_id": someID}
	case path == "/api/v1/users/{id}/password":
		return map[string]any{"send_reset_email": true}
	case path == "/api/v1/invitations" && method == "POST":
		return map[string]any{"email": "inv@example.com"}
	case method == "POST" && path == "/api/v1/organizations":
		return map[string]any{"name": "Acme", "alias": "acme"}
	case method == "PUT" && strings.HasSuffix(path, "/members/{user_id}") && strings.HasPrefix(path, "/api/v1/organizations/"):
		return map[string]any{"roles": []string{}}
	case method == "POST" && path == "/api/v1/federated/providers":
		return map[string]any{"name": "Google", "preset": "google", "client_id": "c", "client_secret": "s"}
	case method == "POST" && path == "/api/v1/groups":
		return map[string]any{"name": "Finance"}
	case method == "POST" && path == "/api/v1/service-accounts":
		return map[string]any{"name": "robot"}
	case method == "PATCH" && path == "/api/v1/service-accounts/{id}":
		return map[string]any{"description": "x"}
	case method == "POST" && path == "/api/v1/service-accounts/{id}/keys":
		return map[string]any{"type": "secret"}
	case method == "PUT" && path == "/api/v1/organizations/{id}/service-accounts/{account_id}":
		return map[string]any{"roles": []string{}}
	case method == "PUT" && path == "/api/v1/service-accounts/{id}/admin-roles":
		return map[string]any{"admin_roles": []string{}}
	case method == "POST" && path == "/api/v1/applications":
		return map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{"https://portal.example.com/cb"}}
	case method == "POST" && path == "/api/v1/applications/{id}/roles":
		return map[string]any{"name": "editor"}
	case method == "POST" && path == "/api/v1/app-mappings":
		return map[string]any{"application_id": someID, "role": "editor", "user_id": someID}
	case method == "POST" && path == "/api/v1/permissions":
		return map[string]any{"name": "invoices.read"}
	case method == "POST" && path == "/api/v1/roles":
		return map[string]any{"name": "billing", "permissions": []string{}}
	case path == "/api/v1/authz/check":
		return checkAbout(someID)
	case path == "/api/v1/authz/check-batch":
		return map[string]any{"checks": []any{checkAbout(someID)}}
	case strings.HasPrefix(path, "/access/v1/"):
		return map[string]any{"subject": map[string]any{"type": "user", "id": someID}, "action": map[string]any{"name": "invoices.read"},
			"resource": map[string]any{"type": "organization", "id": "acme"}}
	case path == "/api/v1/mfa/webauthn/register/finish":
		return map[string]any{"token": "x", "credential": map[string]any{}}
	case method == "PATCH":
		return map[string]any{"name": "x"}
	case method == "POST" && path == "/api/v1/me/tokens":
		return map[string]any{"name": "ci"}
	}
	return nil
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	h := newHarness(t, nil)
	res := h.get("/openapi.json", "").want(http.StatusOK)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	res.Decode(&doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	want := map[string]bool{}
	for _, r := range managementRoutes {
		want[r.method+" "+r.path] = true
	}
	for _, r := range publicRoutes {
		want[r.method+" "+r.path] = true
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for route := range want {
		if !documented[route] {
			t.Errorf("%s is missing from /openapi.json", route)
		}
	}
	for route := range documented {
		if (strings.Contains(route, " /api/v1/") || strings.Contains(route, " /access/")) && !want[route] {
			t.Errorf("%s is documented but not covered by this test's route table; add it", route)
		}
	}
	h.get("/openapi.yaml", "").want(http.StatusOK)
	docs := h.get("/docs/", "").want(http.StatusOK)
	if !strings.Contains(string(docs.Body), "swagger-ui") {
		t.Fatal("/docs/ does not serve the docs UI")
	}
	init := h.get("/docs/swagger-initializer.js", "").want(http.StatusOK)
	if !strings.Contains(string(init.Body), "/openapi.json") {
		t.Fatal("the docs UI does not load /openapi.json")
	}
}

func TestManagementRoutesRefuseAnonymousAndUnprivileged(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "plain@example.com", "Kq-21207-1fec7")
	plain := h.login("plain@example.com", "Kq-21207-1fec7").AccessToken
	for _, r := range managementRoutes {
		path := strings.NewReplacer("{id}", someID, "{user_id}", someID, "{role_id}", someID, "{cid}", someID,
			"{account_id}", someID, "{key_id}", someID, "{tid}", someID, "{role}", "editor").Replace(r.path)
		if r.path == "/api/v1/sessions" {
			path += "?user_id=" + someID
		}
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			res := h.send(request{method: r.method, path: path, body: bodyFor(r.method, r.path)})
			res.wantError(http.StatusUnauthorized, "unauthenticated")
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if r.permission == "" || r.path == "/api/v1/auth/logout" {
				return
			}
			m := h.send(request{method: r.method, path: path, body: bodyFor(r.method, r.path), token: plain}).wantError(http.StatusForbidden, "forbidden")
			if d, _ := m["details"].(map[string]any); d["permission"] != r.permission {
				t.Errorf("details %v, want permission %s", m["details"], r.permission)
			}
		})
	}
	// The plain user's session survived every refusal.
	h.get("/api/v1/me", plain).want(http.StatusOK)
}

func TestAdminRolesGrantTheirPermissions(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	role := h.post("/api/v1/admin-roles", admin, map[string]any{"name": "user readers", "permissions": []string{"users.read"}}).want(http.StatusCreated).JSON()
	h.post("/api/v1/admins", admin, map[string]any{"email": "reader@example.com", "name": "Reader", "password": "Kq-5b077-73270",
		"admin_roles": []string{role["id"].(string)}}).want(http.StatusCreated)
	reader := h.login("reader@example.com", "Kq-5b077-73270").AccessToken
	h.get("/api/v1/users", reader).want(http.StatusOK)
	h.post("/api/v1/users", reader, bodyFor("POST", "/api/v1/users")).wantError(http.StatusForbidden, "forbidden")

	// Widening the role applies to the reader's next request.
	h.patch("/api/v1/admin-roles/"+role["id"].(string), admin, map[string]any{"permissions": []string{"users.*"}}).want(http.StatusOK)
	h.post("/api/v1/users", reader, bodyFor("POST", "/api/v1/users")).want(http.StatusCreated)

	me := h.get("/api/v1/me", reader).want(http.StatusOK).JSON()
	if perms, _ := me["permissions"].([]any); len(perms) != 1 || perms[0] != "users.*" {
		t.Fatalf("me.permissions = %v", me["permissions"])
	}
	h.post("/api/v1/admin-roles", admin, map[string]any{"name": "bad", "permissions": []string{"invoices.read"}}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/admin-roles", admin, map[string]any{"name": "user readers", "permissions": []string{"users.read"}}).wantError(http.StatusConflict, "name_taken")

	// Deleting the role takes its permissions away at once.
	h.delete("/api/v1/admin-roles/"+role["id"].(string), admin).want(http.StatusNoContent)
	h.get("/api/v1/users", reader).wantError(http.StatusForbidden, "forbidden")
}

func TestBuiltinSuperadminRoleIsFixed(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/admin-roles?search=super", admin).want(http.StatusOK).Decode(&page)
	if len(page.Data) != 1 || page.Data[0]["builtin"] != true {
		t.Fatalf("superadmin role: %v", page.Data)
	}
	id := page.Data[0]["id"].(string)
	h.patch("/api/v1/admin-roles/"+id, admin, map[string]any{"permissions": []string{"users.read"}}).wantError(http.StatusUnprocessableEntity, "state_conflict")
	h.delete("/api/v1/admin-roles/"+id, admin).wantError(http.StatusUnprocessableEntity, "state_conflict")
}

func TestLastSuperadminCannotBeRemoved(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	me := h.get("/api/v1/me", admin).want(http.StatusOK).JSON()
	id := me["id"].(string)
	h.delete("/api/v1/admins/"+id, admin).wantError(http.StatusConflict, "last_superadmin")
	h.patch("/api/v1/admins/"+id, admin, map[string]any{"admin_roles": []string{}}).wantError(http.StatusConflict, "last_superadmin")
	h.post("/api/v1/users/"+id+"/disable", admin, nil).wantError(http.StatusConflict, "last_superadmin")
	h.delete("/api/v1/users/"+id, admin).wantError(http.StatusConflict, "last_superadmin")
	h.get("/api/v1/me", admin).want(http.StatusOK)

	// With a second superadmin, the first may step down.
	h.post("/api/v1/admins", admin, map[string]any{"email": "second@example.com", "name": "Second", "password": "Kq-c5330-b1344",
		"admin_roles": []string{"superadmin"}}).want(http.StatusCreated)
	h.delete("/api/v1/admins/"+id, admin).want(http.StatusNoContent)
	// The demotion applies at once: the former admin is now a plain user.
	h.get("/api/v1/users", admin).wantError(http.StatusForbidden, "forbidden")
	second := h.login("second@example.com", "Kq-c5330-b1344").AccessToken
	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	h.get("/api/v1/admins", second).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0]["email"] != "second@example.com" {
		t.Fatalf("admins after demotion: %+v", page)
	}
	h.delete("/api/v1/admins/"+id, second).wantError(http.StatusNotFound, "not_found")
}

func checkAbout(userID string) map[string]any {
	return map[string]any{"subject": map[string]any{"type": "user", "id": userID}, "permission": "invoices.read"}
}
