package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// The check API must not tell a caller who may not read organizations
// whether one exists or what it is called: an unknown organization and one
// the caller may not read get the same answer, and a reason names only what
// the caller may read.
func TestChecksDoNotRevealOrganizations(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	dan := h.login("dan@example.com", "Kq-16b54-8b642").AccessToken
	carol := h.login("carol@example.com", "Kq-6dd8c-50c41").AccessToken
	role := h.post("/api/v1/admin-roles", r.admin, map[string]any{"name": "resource servers", "permissions": []string{"authz.check"}}).want(http.StatusCreated).JSON()
	h.post("/api/v1/admins", r.admin, map[string]any{"email": "api@example.com", "name": "API", "password": "Kq-4760d-91bf3",
		"admin_roles": []string{role["id"].(string)}}).want(http.StatusCreated)
	svc := h.login("api@example.com", "Kq-4760d-91bf3").AccessToken

	// sameAnswer asks twice, about an organization that exists and about
	// one that does not, and wants the same status and body but for the
	// reference the caller gave.
	sameAnswer := func(t *testing.T, token, path string, body func(org string) any, known, unknown string) string {
		t.Helper()
		a := h.send(request{method: http.MethodPost, path: path, token: token, body: body(known)})
		b := h.send(request{method: http.MethodPost, path: path, token: token, body: body(unknown)})
		if a.Status != http.StatusOK || b.Status != http.StatusOK {
			t.Fatalf("statuses %d and %d, want 200: %s / %s", a.Status, b.Status, a.Body, b.Body)
		}
		ab, bb := strings.ReplaceAll(string(a.Body), known, "ORG"), strings.ReplaceAll(string(b.Body), unknown, "ORG")
		if ab != bb {
			t.Fatalf("an organization that exists answers differently from one that does not:\n%s\n%s", a.Body, b.Body)
		}
		if strings.Contains(ab, "Acme") || strings.Contains(ab, "Globex") || strings.Contains(ab, r.acme) || strings.Contains(ab, r.globex) {
			t.Fatalf("the answer names an organization the caller may not read: %s", a.Body)
		}
		return ab
	}
	check := func(user string) func(org string) any {
		return func(org string) any {
			return map[string]any{"subject": map[string]any{"type": "user", "id": user}, "permission": "reports.view", "organization": org}
		}
	}
	batch := func(user string) func(org string) any {
		return func(org string) any { return map[string]any{"checks": []any{check(user)(org)}} }
	}
	evaluation := func(user string) func(org string) any {
		return func(org string) any {
			return map[string]any{"subject": map[string]any{"type": "user", "id": user}, "action": map[string]any{"name": "reports.view"},
				"resource": map[string]any{"type": "organization", "id": org}}
		}
	}
	evaluations := func(user string) func(org string) any {
		return func(org string) any {
			return map[string]any{"subject": map[string]any{"type": "user", "id": user}, "action": map[string]any{"name": "reports.view"},
				"evaluations": []any{map[string]any{"resource": map[string]any{"type": "report", "id": "q3", "properties": map[string]any{"organization": org}}}}}
		}
	}
	const unknownID = "01900000-0000-7000-8000-0000000000ff"
	for _, tt := range []struct {
		name, token, user string
		known, unknown    string
	}{
		{"a user about themselves, by alias", dan, r.dan, "acme", "nowhere"},
		{"a user about themselves, by id", dan, r.dan, r.acme, unknownID},
		{"a member about an organization they are not in", carol, r.carol, "globex", "nowhere"},
		{"a resource server without orgs.read", svc, r.dan, "acme", "nowhere"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for path, body := range map[string]func(string) any{
				"/api/v1/authz/check": check(tt.user), "/api/v1/authz/check-batch": batch(tt.user),
				"/access/v1/evaluation": evaluation(tt.user), "/access/v1/evaluations": evaluations(tt.user),
			} {
				sameAnswer(t, tt.token, path, body, tt.known, tt.unknown)
			}
		})
	}

	// The permission list of an unknown organization is that of one the
	// caller is not a member of.
	a := h.get("/api/v1/me/permissions?organization=globex", dan).want(http.StatusOK)
	b := h.get("/api/v1/me/permissions?organization=nowhere", dan).want(http.StatusOK)
	if string(a.Body) != string(b.Body) {
		t.Fatalf("permissions in globex %s, in an unknown organization %s", a.Body, b.Body)
	}

	// A resource server's decision stays right, without naming what it may
	// not read: the role, the organization's name or id.
	m := h.post("/api/v1/authz/check", svc, check(r.carol)("acme")).want(http.StatusOK).JSON()
	if m["allowed"] != true || m["reason"] != `granted by a role (reports.view) held as a member of organization "acme"` {
		t.Fatalf("the resource server's check about carol: %v", m)
	}
	if g := m["granted_by"].(map[string]any); g["role"] != nil || g["role_id"] != nil || g["via_id"] != nil || g["via"] != "organization" {
		t.Fatalf("granted_by names what the caller may not read: %v", g)
	}
	m = h.post("/api/v1/authz/check", svc, map[string]any{"subject": map[string]any{"type": "user", "id": r.bob}, "permission": "invoices.read"}).
		want(http.StatusOK).JSON()
	if m["reason"] != "granted by a role (invoices.*) through a group" {
		t.Fatalf("the resource server's check about bob: %v", m)
	}

	// A member asking about themselves, and an admin holding orgs.read, see
	// the organization's name.
	for _, token := range []string{carol, r.admin} {
		m := h.post("/api/v1/authz/check", token, check(r.carol)("acme")).want(http.StatusOK).JSON()
		if !strings.Contains(m["reason"].(string), `organization "Acme"`) {
			t.Fatalf("the reason does not name the organization: %v", m)
		}
		m = h.post("/api/v1/authz/check", token, map[string]any{"subject": map[string]any{"type": "user", "id": r.carol},
			"permission": "payroll.view", "organization": "acme"}).want(http.StatusOK).JSON()
		if m["reason"] != `no role grants payroll.view in organization "Acme"` {
			t.Fatalf("the denial does not name the organization: %v", m)
		}
	}
}
