package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// rbac is a tenant with permissions, roles, organizations, a group and users.
type rbac struct {
	h                      *harness
	admin                  string
	acme, globex           string // organization ids
	billing, auditor       string // role ids: a template, and acme's own
	finance                string // group id
	alice, bob, carol, dan string // user ids
	robot                  string // a service account's id, in the list fixture
	app                    string // an application's id, in the list fixture
}

func newRBAC(t *testing.T, h *harness) *rbac {
	t.Helper()
	r := &rbac{h: h, admin: h.admin()}
	for _, p := range []string{"invoices.read", "invoices.write", "reports.view", "reports.export"} {
		h.post("/api/v1/permissions", r.admin, map[string]any{"name": p}).want(http.StatusCreated)
	}
	id := func(res *response) string { return res.want(http.StatusCreated).JSON()["id"].(string) }
	r.acme = id(h.post("/api/v1/organizations", r.admin, map[string]any{"name": "Acme", "alias": "acme", "metadata": map[string]any{"tier": "gold"}}))
	r.globex = id(h.post("/api/v1/organizations", r.admin, map[string]any{"name": "Globex", "alias": "globex"}))
	r.billing = id(h.post("/api/v1/roles", r.admin, map[string]any{"name": "billing", "permissions": []string{"invoices.*"}}))
	r.auditor = id(h.post("/api/v1/roles", r.admin, map[string]any{"name": "auditor", "permissions": []string{"reports.view"}, "organization_id": "acme"}))
	r.finance = id(h.post("/api/v1/groups", r.admin, map[string]any{"name": "Finance"}))
	r.alice = h.createUser(r.admin, "alice@example.com", "Kq-6ae44-507a8") // billing tenant-wide
	r.bob = h.createUser(r.admin, "bob@example.com", "Kq-5b775-e62f9")     // in group finance
	r.carol = h.createUser(r.admin, "carol@example.com", "Kq-6dd8c-50c41") // auditor and billing in acme
	r.dan = h.createUser(r.admin, "dan@example.com", "Kq-16b54-8b642")     // nothing
	h.send(request{method: "PUT", path: "/api/v1/users/" + r.alice + "/roles/" + r.billing, token: r.admin}).want(http.StatusNoContent)
	h.send(request{method: "PUT", path: "/api/v1/groups/" + r.finance + "/roles/" + r.billing, token: r.admin}).want(http.StatusNoContent)
	h.send(request{method: "PUT", path: "/api/v1/groups/" + r.finance + "/members/" + r.bob, token: r.admin}).want(http.StatusNoContent)
	h.send(request{method: "PUT", path: "/api/v1/organizations/acme/members/" + r.carol, token: r.admin,
		body: map[string]any{"roles": []string{r.auditor, r.billing}}}).want(http.StatusOK)
	return r
}

// check asks as the admin and returns allowed and reason.
func (r *rbac) check(t *testing.T, userID, permission, org string) (bool, string) {
	t.Helper()
	body := map[string]any{"subject": map[string]any{"type": "user", "id": userID}, "permission": permission}
	if org != "" {
		body["organization"] = org
	}
	m := r.h.post("/api/v1/authz/check", r.admin, body).want(http.StatusOK).JSON()
	return m["allowed"].(bool), m["reason"].(string)
}

func TestAuthzCheckPaths(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	tests := []struct {
		name, user, permission, org string
		allowed                     bool
		reason                      string
	}{
		{"tenant-wide role", r.alice, "invoices.read", "", true, `role "billing" (invoices.*) held tenant-wide`},
		{"tenant-wide role in any organization", r.alice, "invoices.write", "globex", true, "held tenant-wide"},
		{"wildcard does not cover another namespace", r.alice, "reports.view", "", false, "no role grants reports.view tenant-wide"},
		{"group role", r.bob, "invoices.read", "", true, `through group "Finance"`},
		{"group role in an organization", r.bob, "invoices.read", r.acme, true, `through group "Finance"`},
		{"membership role in its organization", r.carol, "reports.view", "acme", true, `as a member of organization "Acme"`},
		{"template held as a member", r.carol, "invoices.write", r.acme, true, `role "billing" (invoices.*) held as a member of organization "Acme"`},
		{"membership roles stay in their organization", r.carol, "reports.view", "globex", false, `no role grants reports.view in organization "Globex"`},
		{"membership roles do not apply tenant-wide", r.carol, "invoices.read", "", false, "tenant-wide"},
		{"no roles", r.dan, "invoices.read", "acme", false, "no role grants"},
		{"undefined permission is simply not granted", r.alice, "payroll.view", "", false, "no role grants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed, reason := r.check(t, tt.user, tt.permission, tt.org)
			if allowed != tt.allowed || !strings.Contains(reason, tt.reason) {
				t.Fatalf("allowed %v reason %q; want %v containing %q", allowed, reason, tt.allowed, tt.reason)
			}
		})
	}
	m := h.post("/api/v1/authz/check", r.admin, map[string]any{"subject": map[string]any{"type": "user", "id": r.bob}, "permission": "invoices.read"}).JSON()
	g := m["granted_by"].(map[string]any)
	if g["role_id"] != r.billing || g["via"] != "group" || g["via_id"] != r.finance || g["permission"] != "invoices.*" {
		t.Fatalf("granted_by %v", g)
	}
}

func TestAuthzChangesApplyAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	steps := []struct {
		name   string
		change func()
		user   string
		perm   string
		org    string
	}{
		{"role taken away", func() {
			h.delete("/api/v1/users/"+r.alice+"/roles/"+r.billing, r.admin).want(http.StatusNoContent)
		}, r.alice, "invoices.read", ""},
		{"group member removed", func() {
			h.delete("/api/v1/groups/"+r.finance+"/members/"+r.bob, r.admin).want(http.StatusNoContent)
		}, r.bob, "invoices.read", ""},
		{"membership ended", func() {
			h.delete("/api/v1/organizations/acme/members/"+r.carol, r.admin).want(http.StatusNoContent)
		}, r.carol, "reports.view", "acme"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if allowed, reason := r.check(t, s.user, s.perm, s.org); !allowed {
				t.Fatalf("allowed before the change: %s", reason)
			}
			s.change()
			if allowed, reason := r.check(t, s.user, s.perm, s.org); allowed {
				t.Fatalf("still allowed after the change: %s", reason)
			}
		})
	}

	// Changing a role's permissions, disabling a user, deleting a role.
	dan := r.dan
	h.send(request{method: "PUT", path: "/api/v1/users/" + dan + "/roles/" + r.billing, token: r.admin}).want(http.StatusNoContent)
	if allowed, _ := r.check(t, dan, "invoices.read", ""); !allowed {
		t.Fatal("assignment did not apply")
	}
	h.patch("/api/v1/roles/"+r.billing, r.admin, map[string]any{"permissions": []string{"invoices.write"}}).want(http.StatusOK)
	if allowed, _ := r.check(t, dan, "invoices.read", ""); allowed {
		t.Fatal("narrowing the role did not apply")
	}
	h.post("/api/v1/users/"+dan+"/disable", r.admin, nil).want(http.StatusOK)
	if allowed, reason := r.check(t, dan, "invoices.write", ""); allowed || reason != "the user is disabled" {
		t.Fatalf("disabled user: %v %q", allowed, reason)
	}
	h.post("/api/v1/users/"+dan+"/enable", r.admin, nil).want(http.StatusOK)
	h.delete("/api/v1/roles/"+r.billing, r.admin).want(http.StatusNoContent)
	if allowed, _ := r.check(t, dan, "invoices.write", ""); allowed {
		t.Fatal("deleting the role did not apply")
	}
}

func TestAuthzWhoMayAsk(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	alice := h.login("alice@example.com", "Kq-6ae44-507a8").AccessToken
	dan := h.login("dan@example.com", "Kq-16b54-8b642").AccessToken

	// Anyone may ask about themselves, by id or with their own token.
	h.post("/api/v1/authz/check", dan, checkAbout(r.dan)).want(http.StatusOK)
	if m := h.post("/api/v1/authz/check", dan, map[string]any{"subject": map[string]any{"token": alice}, "permission": "invoices.read"}); m.Status != http.StatusForbidden {
		t.Fatalf("dan asked about alice by her token: %d", m.Status)
	}
	m := h.post("/api/v1/authz/check", alice, map[string]any{"subject": map[string]any{"token": alice}, "permission": "invoices.read"}).want(http.StatusOK).JSON()
	if m["allowed"] != true {
		t.Fatalf("alice about herself by token: %v", m)
	}
	h.post("/api/v1/authz/check", dan, checkAbout(r.alice)).wantError(http.StatusForbidden, "forbidden")

	// A resource server holding authz.check may ask about anyone.
	role := h.post("/api/v1/admin-roles", r.admin, map[string]any{"name": "resource servers", "permissions": []string{"authz.check"}}).want(http.StatusCreated).JSON()
	h.post("/api/v1/admins", r.admin, map[string]any{"email": "api@example.com", "name": "API", "password": "Kq-4760d-91bf3",
		"admin_roles": []string{role["id"].(string)}}).want(http.StatusCreated)
	svc := h.login("api@example.com", "Kq-4760d-91bf3").AccessToken
	if m := h.post("/api/v1/authz/check", svc, checkAbout(r.alice)).want(http.StatusOK).JSON(); m["allowed"] != true {
		t.Fatalf("the resource server's check about alice: %v", m)
	}
	if m := h.post("/api/v1/authz/check", svc, checkAbout(r.dan)).want(http.StatusOK).JSON(); m["allowed"] != false {
		t.Fatalf("the resource server's check about dan: %v", m)
	}
}

func TestAuthzBatchAndMe(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	var batch struct {
		Results []map[string]any `json:"results"`
	}
	h.post("/api/v1/authz/check-batch", r.admin, map[string]any{"checks": []any{
		checkAbout(r.alice),
		checkAbout(r.dan),
		map[string]any{"subject": map[string]any{"type": "user", "id": someID}, "permission": "invoices.read"},
		map[string]any{"subject": map[string]any{"type": "user", "id": r.carol}, "permission": "reports.view", "organization": "acme"},
		map[string]any{"subject": map[string]any{"type": "user", "id": r.carol}, "permission": "reports.view", "organization": "nowhere"},
	}}).want(http.StatusOK).Decode(&batch)
	if len(batch.Results) != 5 {
		t.Fatalf("%d results", len(batch.Results))
	}
	want := []bool{true, false, false, true, false}
	for i, res := range batch.Results {
		if res["allowed"] != want[i] {
			t.Errorf("result %d: %v", i, res)
		}
	}
	if e, _ := batch.Results[2]["error"].(map[string]any); e["code"] != "not_found" {
		t.Errorf("an unknown subject should carry not_found: %v", batch.Results[2])
	}
	// An unknown organization is one where nobody is a member.
	if batch.Results[4]["error"] != nil {
		t.Errorf("an unknown organization carries an error: %v", batch.Results[4])
	}
	many := make([]any, 101)
	for i := range many {
		many[i] = checkAbout(r.alice)
	}
	h.post("/api/v1/authz/check-batch", r.admin, map[string]any{"checks": many}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/authz/check-batch", r.admin, map[string]any{"checks": []any{}}).wantError(http.StatusBadRequest, "invalid_request")

	carol := h.login("carol@example.com", "Kq-6dd8c-50c41").AccessToken
	perms := func(query string) []any {
		return h.get("/api/v1/me/permissions"+query, carol).want(http.StatusOK).JSON()["permissions"].([]any)
	}
	if p := perms(""); len(p) != 0 {
		t.Fatalf("carol tenant-wide: %v", p)
	}
	if p := perms("?organization=acme"); len(p) != 2 || p[0] != "invoices.*" || p[1] != "reports.view" {
		t.Fatalf("carol in acme: %v", p)
	}
	if p := perms("?organization=" + r.globex); len(p) != 0 {
		t.Fatalf("carol in globex: %v", p)
	}
	if p := perms("?organization=nowhere"); len(p) != 0 {
		t.Fatalf("carol in an unknown organization: %v", p)
	}
	orgs := h.get("/api/v1/me/organizations", carol).want(http.StatusOK).JSON()["data"].([]any)
	if len(orgs) != 1 {
		t.Fatalf("carol's organizations: %v", orgs)
	}
	o := orgs[0].(map[string]any)
	if o["organization"].(map[string]any)["alias"] != "acme" || len(o["roles"].([]any)) != 2 {
		t.Fatalf("membership %v", o)
	}
}

func TestAuthZEN(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	cfg := h.get("/.well-known/authzen-configuration", "").want(http.StatusOK).JSON()
	if cfg["policy_decision_point"] != "http://gatehouse.test" || cfg["access_evaluation_endpoint"] != "http://gatehouse.test/access/v1/evaluation" {
		t.Fatalf("configuration %v", cfg)
	}
	eval := func(user, action string, resource map[string]any) map[string]any {
		return h.post("/access/v1/evaluation", r.admin, map[string]any{
			"subject": map[string]any{"type": "user", "id": user}, "action": map[string]any{"name": action}, "resource": resource,
			"context": map[string]any{"time": "2026-11-29T12:00:00Z"},
		}).want(http.StatusOK).JSON()
	}
	if d := eval(r.carol, "reports.view", map[string]any{"type": "organization", "id": "acme"}); d["decision"] != true {
		t.Fatalf("carol in acme: %v", d)
	}
	if d := eval(r.carol, "reports.view", map[string]any{"type": "report", "id": "q3", "properties": map[string]any{"organization": "globex"}}); d["decision"] != false {
		t.Fatalf("carol on a globex report: %v", d)
	}
	d := eval(r.alice, "invoices.read", map[string]any{"type": "invoice", "id": "42"})
	if d["decision"] != true || !strings.Contains(d["context"].(map[string]any)["reason_admin"].(map[string]any)["en"].(string), "billing") {
		t.Fatalf("alice on an invoice: %v", d)
	}
	var batch struct {
		Evaluations []map[string]any `json:"evaluations"`
	}
	h.post("/access/v1/evaluations", r.admin, map[string]any{
		"subject":  map[string]any{"type": "user", "id": r.carol},
		"resource": map[string]any{"type": "organization", "id": "acme"},
		"evaluations": []any{
			map[string]any{"action": map[string]any{"name": "reports.view"}},
			map[string]any{"action": map[string]any{"name": "reports.export"}},
			map[string]any{"action": map[string]any{"name": "invoices.read"}, "resource": map[string]any{"type": "organization", "id": "globex"}},
		},
	}).want(http.StatusOK).Decode(&batch)
	got := []any{batch.Evaluations[0]["decision"], batch.Evaluations[1]["decision"], batch.Evaluations[2]["decision"]}
	if got[0] != true || got[1] != false || got[2] != false {
		t.Fatalf("evaluations %v", batch.Evaluations)
	}
	dan := h.login("dan@example.com", "Kq-16b54-8b642").AccessToken
	h.post("/access/v1/evaluation", dan, map[string]any{"subject": map[string]any{"type": "user", "id": r.alice},
		"action": map[string]any{"name": "invoices.read"}, "resource": map[string]any{"type": "invoice", "id": "1"}}).wantError(http.StatusForbidden, "forbidden")
	h.post("/access/v1/evaluation", "", map[string]any{}).wantError(http.StatusUnauthorized, "unauthenticated")
}

func TestAccessBadInput(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	const bad = http.StatusBadRequest
	for _, name := range []string{"Invoices.read", "invoices read", "invoices", "invoices..read", ".read", "users.export", "authz.anything", strings.Repeat("a.", 60) + "b"} {
		h.post("/api/v1/permissions", r.admin, map[string]any{"name": name}).wantError(bad, "invalid_request")
	}
	h.post("/api/v1/permissions", r.admin, map[string]any{"name": "invoices.read"}).wantError(http.StatusConflict, "name_taken")
	h.post("/api/v1/roles", r.admin, map[string]any{"name": "x", "permissions": []string{"payroll.view"}}).wantError(bad, "invalid_request")
	h.post("/api/v1/roles", r.admin, map[string]any{"name": "x", "permissions": []string{"Invoices.*"}}).wantError(bad, "invalid_request")
	for _, reserved := range []string{"authz.*", "users.*", "admins.*", "roles.*"} {
		h.post("/api/v1/roles", r.admin, map[string]any{"name": "x", "permissions": []string{reserved}}).wantError(bad, "invalid_request")
	}
	h.post("/api/v1/authz/check", r.admin, map[string]any{"subject": map[string]any{"type": "user", "id": r.alice}, "permission": "authz.check"}).
		wantError(bad, "invalid_request")
	h.post("/api/v1/roles", r.admin, map[string]any{"name": "billing", "permissions": []string{}}).wantError(http.StatusConflict, "name_taken")
	h.post("/api/v1/roles", r.admin, map[string]any{"name": "billing", "permissions": []string{}, "organization_id": "acme"}).want(http.StatusCreated)
	h.post("/api/v1/roles", r.admin, map[string]any{"name": "y", "permissions": []string{}, "organization_id": "nowhere"}).wantError(bad, "invalid_request")

	// A role of acme is refused in globex, tenant-wide and in groups.
	h.send(request{method: "PUT", path: "/api/v1/organizations/globex/members/" + r.dan, token: r.admin,
		body: map[string]any{"roles": []string{r.auditor}}}).wantError(bad, "invalid_request")
	h.send(request{method: "PUT", path: "/api/v1/users/" + r.dan + "/roles/" + r.auditor, token: r.admin}).wantError(bad, "invalid_request")
	h.send(request{method: "PUT", path: "/api/v1/groups/" + r.finance + "/roles/" + r.auditor, token: r.admin}).wantError(bad, "invalid_request")
	if allowed, _ := r.check(t, r.dan, "reports.view", "globex"); allowed {
		t.Fatal("a refused membership left a grant behind")
	}

	h.post("/api/v1/organizations", r.admin, map[string]any{"name": "Acme 2", "alias": "ACME"}).wantError(http.StatusConflict, "alias_taken")
	for _, alias := range []string{"a", "-acme", "acme-", "ac me", "acme_eu", r.acme, strings.Repeat("a", 64)} {
		h.post("/api/v1/organizations", r.admin, map[string]any{"name": "X", "alias": alias}).wantError(bad, "invalid_request")
	}
	h.patch("/api/v1/organizations/globex", r.admin, map[string]any{"alias": "acme"}).wantError(http.StatusConflict, "alias_taken")
	h.post("/api/v1/groups", r.admin, map[string]any{"name": "Finance"}).wantError(http.StatusConflict, "name_taken")

	for _, path := range []string{"/api/v1/organizations/nowhere", "/api/v1/organizations/" + someID, "/api/v1/groups/" + someID,
		"/api/v1/groups/not-an-id", "/api/v1/roles/" + someID, "/api/v1/permissions/" + someID, "/api/v1/users/" + someID + "/roles"} {
		h.get(path, r.admin).wantError(http.StatusNotFound, "not_found")
	}
	h.send(request{method: "PUT", path: "/api/v1/organizations/acme/members/" + someID, token: r.admin, body: map[string]any{"roles": []string{}}}).wantError(http.StatusNotFound, "not_found")
	h.send(request{method: "PUT", path: "/api/v1/groups/" + r.finance + "/members/" + someID, token: r.admin}).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/organizations/acme/members/"+r.dan, r.admin).wantError(http.StatusNotFound, "not_found")

	for _, body := range []map[string]any{
		{"subject": map[string]any{"type": "user", "id": r.alice}, "permission": "Invoices Read"},
		{"subject": map[string]any{"type": "robot", "id": r.alice}, "permission": "invoices.read"},
		{"subject": map[string]any{"token": "not-a-token"}, "permission": "invoices.read"},
		{"subject": map[string]any{"token": "x", "type": "user", "id": r.alice}, "permission": "invoices.read"},
		{"subject": map[string]any{}, "permission": "invoices.read"},
	} {
		h.post("/api/v1/authz/check", r.admin, body).wantError(bad, "invalid_request")
	}
	if m := h.post("/api/v1/authz/check", r.admin, map[string]any{"subject": map[string]any{"type": "user", "id": r.alice}, "permission": "invoices.read",
		"organization": "nowhere"}).want(http.StatusOK).JSON(); m["allowed"] != true {
		t.Fatalf("a tenant-wide role does not apply in an unknown organization: %v", m)
	}
}

func TestAuthzStaysInItsTenant(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test" // the system tenant
	r := newRBAC(t, h)
	h.post("/api/v1/tenants", r.admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusCreated)
	var bt tokens
	h.send(request{method: "POST", path: "/api/v1/auth/login", host: "b.example.com",
		body: map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusOK).Decode(&bt)
	inB := func(method, path string, body any) *response {
		return h.send(request{method: method, path: path, host: "b.example.com", token: bt.AccessToken, body: body})
	}
	// B's token as a subject in A, A's users and organizations from B.
	h.post("/api/v1/authz/check", r.admin, map[string]any{"subject": map[string]any{"token": bt.AccessToken}, "permission": "invoices.read"}).
		wantError(http.StatusBadRequest, "invalid_request")
	inB("POST", "/api/v1/authz/check", checkAbout(r.alice)).wantError(http.StatusNotFound, "not_found")
	inB("POST", "/api/v1/authz/check", map[string]any{"subject": map[string]any{"type": "user", "id": r.alice}, "permission": "invoices.read",
		"organization": "acme"}).wantError(http.StatusNotFound, "not_found")
	inB("GET", "/api/v1/organizations/acme", nil).wantError(http.StatusNotFound, "not_found")
	inB("GET", "/api/v1/roles/"+r.billing, nil).wantError(http.StatusNotFound, "not_found")
	inB("PUT", "/api/v1/users/"+r.alice+"/roles/"+r.billing, nil).wantError(http.StatusNotFound, "not_found")
	if p := inB("GET", "/api/v1/permissions", nil).want(http.StatusOK).JSON(); p["total"].(float64) != 0 {
		t.Fatalf("B sees A's permissions: %v", p)
	}
	// B may define the same names without conflict.
	inB("POST", "/api/v1/permissions", map[string]any{"name": "invoices.read"}).want(http.StatusCreated)
	inB("POST", "/api/v1/organizations", map[string]any{"name": "Acme B", "alias": "acme"}).want(http.StatusCreated)
}
