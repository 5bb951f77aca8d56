package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/passkey/passkeytest"
)

// listEndpoints are every GET of /api/v1 that answers a list; the test below
// checks, from the OpenAPI document, that no list is missing here.
func listEndpoints(r *rbac, adminID string) []string {
	return []string{
		"/api/v1/users",
		"/api/v1/users/" + r.alice + "/roles",
		"/api/v1/users/" + r.alice + "/credentials",
		"/api/v1/admins",
		"/api/v1/admin-roles",
		"/api/v1/tenants",
		"/api/v1/sessions?user_id=" + adminID,
		"/api/v1/me/sessions",
		"/api/v1/me/consents",
		"/api/v1/me/organizations",
		"/api/v1/invitations",
		"/api/v1/outbox",
		"/api/v1/audit-logs",
		"/api/v1/permissions",
		"/api/v1/roles",
		"/api/v1/organizations",
		"/api/v1/organizations/acme/members",
		"/api/v1/groups",
		"/api/v1/groups/" + r.finance + "/members",
		"/api/v1/groups/" + r.finance + "/roles",
		"/api/v1/mfa/webauthn",
		"/api/v1/service-accounts",
		"/api/v1/service-accounts/" + r.robot + "/keys",
		"/api/v1/service-accounts/" + r.robot + "/roles",
		"/api/v1/service-accounts/" + r.robot + "/organizations",
		"/api/v1/api-credentials",
		"/api/v1/service-credentials",
		"/api/v1/me/tokens",
		"/api/v1/users/" + adminID + "/tokens",
		"/api/v1/applications",
		"/api/v1/applications/" + r.app + "/roles",
		"/api/v1/app-mappings",
		"/api/v1/federated/providers",
		"/api/v1/auth/providers",
		"/api/v1/me/identities",
		"/api/v1/users/" + adminID + "/identities",
		"/api/v1/organizations/" + r.acme + "/sso-setup-links",
	}
}

// listFixture is a multi-tenant server where every list holds two items or more.
func listFixture(t *testing.T) (*harness, *rbac, string) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test" // the system tenant
	r := newRBAC(t, h)
	me := h.get("/api/v1/me", r.admin).want(http.StatusOK).JSON()["id"].(string)
	id := func(res *response) string { return res.want(http.StatusCreated).JSON()["id"].(string) }
	put := func(path string, body any) *response {
		return h.send(request{method: http.MethodPut, path: path, token: r.admin, body: body})
	}
	viewer := id(h.post("/api/v1/roles", r.admin, map[string]any{"name": "viewer", "permissions": []string{"reports.view"}}))
	put("/api/v1/users/"+r.alice+"/roles/"+viewer, nil).want(http.StatusNoContent)
	for _, device := range []string{"laptop", "phone"} {
		h.post("/api/v1/users/"+r.alice+"/credentials", r.admin, map[string]any{"type": "device_password", "credential_ext_id": device,
			"password": "Kq-fern-4471-drum"}).want(http.StatusCreated)
	}
	r.robot = h.createServiceAccount(r.admin, "robot")
	for _, name := range []string{"deploy", "backup"} {
		h.createCred(apiCreds, r.admin, map[string]any{"name": name, "owner_id": r.alice})
		h.createCred(svcCreds, r.admin, map[string]any{"name": name, "owner_id": r.robot})
	}
	put("/api/v1/groups/"+r.finance+"/roles/"+viewer, nil).want(http.StatusNoContent)
	put("/api/v1/groups/"+r.finance+"/members/"+r.dan, nil).want(http.StatusNoContent)
	put("/api/v1/organizations/acme/members/"+me, map[string]any{"roles": []string{r.auditor}}).want(http.StatusOK)
	put("/api/v1/organizations/globex/members/"+me, map[string]any{"roles": []string{}}).want(http.StatusOK)
	h.post("/api/v1/groups", r.admin, map[string]any{"name": "Sales"}).want(http.StatusCreated)
	h.post("/api/v1/service-accounts", r.admin, map[string]any{"name": "other robot", "organization_id": "acme"}).want(http.StatusCreated)
	for range 2 {
		h.post("/api/v1/service-accounts/"+r.robot+"/keys", r.admin, map[string]any{"type": "secret"}).want(http.StatusCreated)
	}
	put("/api/v1/service-accounts/"+r.robot+"/roles/"+viewer, nil).want(http.StatusNoContent)
	put("/api/v1/service-accounts/"+r.robot+"/roles/"+r.billing, nil).want(http.StatusNoContent)
	put("/api/v1/organizations/acme/service-accounts/"+r.robot, map[string]any{"roles": []string{r.auditor}}).want(http.StatusOK)
	put("/api/v1/organizations/globex/service-accounts/"+r.robot, map[string]any{"roles": []string{}}).want(http.StatusOK)
	r.app = h.createApplication(r.admin, webApp("portal"))["id"].(string)
	signedIn := h.browser()
	for _, name := range []string{"wiki", "chat"} {
		h.consentTo(signedIn, r.admin, name)
	}
	h.createApplication(r.admin, webApp("billing"))
	for _, role := range []string{"editor", "viewer"} {
		h.post("/api/v1/applications/"+r.app+"/roles", r.admin, map[string]any{"name": role}).want(http.StatusCreated)
		h.post("/api/v1/app-mappings", r.admin, map[string]any{"application_id": r.app, "role": role, "user_id": r.alice}).want(http.StatusCreated)
	}
	for _, preset := range []string{"google", "github"} {
		provider := h.post("/api/v1/federated/providers", r.admin, map[string]any{"name": preset, "preset": preset, "client_id": "c",
			"client_secret": "s"}).want(http.StatusCreated).JSON()["id"].(string)
		if err := h.srv.LinkIdentity(t.Context(), provider, me, preset+"-subject"); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		h.post("/api/v1/organizations/"+r.acme+"/sso-setup-links", r.admin, nil).want(http.StatusCreated)
	}
	h.post("/api/v1/admin-roles", r.admin, map[string]any{"name": "readers", "permissions": []string{"users.read"}}).want(http.StatusCreated)
	h.post("/api/v1/admins", r.admin, map[string]any{"email": "second@example.com", "name": "Second", "password": "Kq-c5330-b1344",
		"admin_roles": []string{"superadmin"}}).want(http.StatusCreated)
	h.post("/api/v1/tenants", r.admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"}}).want(http.StatusCreated)
	h.patchSettings(r.admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	for _, to := range []string{"nina@example.com", "omar@example.com"} {
		h.post("/api/v1/invitations", r.admin, map[string]any{"email": to}).want(http.StatusCreated)
	}
	for _, name := range []string{"ci", "laptop"} {
		h.post("/api/v1/me/tokens", r.admin, map[string]any{"name": name}).want(http.StatusCreated)
	}
	r.admin = h.admin() // a second session
	// Passkeys last: with them the admin's password alone no longer signs in.
	key := passkeytest.New("http://gatehouse.test") // the system tenant's relying party is the issuer's
	h.registerPasskey(r.admin, key, "")
	h.stepUpWithPasskey(r.admin, key)
	h.registerPasskey(r.admin, passkeytest.New("http://gatehouse.test"), "")
	return h, r, me
}

// envelope is a list answer, with its keys as sent.
type envelope struct {
	keys  []string
	data  []json.RawMessage
	total int
	page  int
	limit int
}

func listPage(t *testing.T, h *harness, token, path string, query string) envelope {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if query != "" {
		path += sep + query
	}
	res := h.get(path, token).want(http.StatusOK)
	var raw map[string]json.RawMessage
	res.Decode(&raw)
	var e envelope
	for k := range raw {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys)
	for k, v := range map[string]any{"data": &e.data, "total": &e.total, "page": &e.page, "limit": &e.limit} {
		if err := json.Unmarshal(raw[k], v); err != nil {
			t.Fatalf("GET %s: %s is %s: %v", path, k, raw[k], err)
		}
	}
	return e
}

// TestEveryListAnswersThePageEnvelope: every list answers {data, total, page,
// limit}, and honours page and limit.
func TestEveryListAnswersThePageEnvelope(t *testing.T) {
	h, r, me := listFixture(t)
	for _, path := range listEndpoints(r, me) {
		t.Run(path, func(t *testing.T) {
			def := listPage(t, h, r.admin, path, "")
			if want := []string{"data", "limit", "page", "total"}; !slices.Equal(def.keys, want) {
				t.Fatalf("keys %v, want %v", def.keys, want)
			}
			if def.page != 1 || def.limit != 20 || def.total < 2 || len(def.data) != min(def.total, 20) {
				t.Fatalf("default page %d, limit %d, total %d, %d items; want page 1, limit 20, two items or more",
					def.page, def.limit, def.total, len(def.data))
			}
			var seen []string
			for page := 1; page <= def.total; page++ {
				p := listPage(t, h, r.admin, path, fmt.Sprintf("limit=1&page=%d", page))
				if p.page != page || p.limit != 1 || p.total != def.total || len(p.data) != 1 {
					t.Fatalf("page %d of 1: page %d, limit %d, total %d, %d items; want total %d and one item",
						page, p.page, p.limit, p.total, len(p.data), def.total)
				}
				seen = append(seen, string(p.data[0]))
			}
			if want := rawStrings(def.data); !slices.Equal(seen[:len(want)], want) {
				t.Errorf("pages of one item = %v, want the default page's items in order %v", seen, want)
			}
			last := listPage(t, h, r.admin, path, fmt.Sprintf("limit=2&page=%d", def.total+1))
			if last.data == nil || len(last.data) != 0 || last.total != def.total {
				t.Errorf("past the end: data %v, total %d; want [] and total %d", last.data, last.total, def.total)
			}
			for _, q := range []string{"limit=0", "limit=101", "page=0", "page=x"} {
				h.get(path+sepFor(path)+q, r.admin).wantError(http.StatusBadRequest, "invalid_request")
			}
		})
	}
}

func sepFor(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func rawStrings(items []json.RawMessage) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = string(it)
	}
	return out
}

// TestListsInTheOpenAPIDocument: every GET answering data is a list in the
// table above, documents page and limit, and answers the whole envelope; and
// every order_by it documents sorts, while others answer 400 naming order_by.
func TestListsInTheOpenAPIDocument(t *testing.T) {
	h, r, me := listFixture(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				In     string `json:"in"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	h.get("/openapi.json", "").want(http.StatusOK).Decode(&doc)

	known := map[string]string{} // documented path -> a path to call
	for _, p := range listEndpoints(r, me) {
		path, _, _ := strings.Cut(p, "?")
		path = strings.NewReplacer(r.alice, "{id}", r.finance, "{id}", r.robot, "{id}", r.app, "{id}", r.acme, "{id}", "acme", "{id}", me, "{id}").Replace(path)
		known[path] = p
	}
	lists := 0
	for path, ops := range doc.Paths {
		op, ok := ops["get"]
		if !ok {
			continue
		}
		ref := op.Responses["200"].Content["application/json"].Schema.Ref
		props := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].Properties
		if _, isList := props["data"]; !isList {
			continue
		}
		lists++
		call, ok := known[path]
		if !ok {
			t.Errorf("GET %s answers data but is not in listEndpoints", path)
			continue
		}
		for _, field := range []string{"total", "page", "limit"} {
			if _, ok := props[field]; !ok {
				t.Errorf("GET %s: the documented answer has no %s", path, field)
			}
		}
		params := map[string][]string{}
		for _, p := range op.Parameters {
			if p.In == "query" {
				params[p.Name] = p.Schema.Enum
			}
		}
		for _, name := range []string{"page", "limit"} {
			if _, ok := params[name]; !ok {
				t.Errorf("GET %s does not document %s", path, name)
			}
		}
		orders, sorts := params["order_by"]
		if !sorts {
			continue
		}
		if len(orders) == 0 || orders[0] != "created_at" {
			t.Errorf("GET %s: order_by values %v, want created_at first", path, orders)
		}
		for _, o := range orders {
			asc := listPage(t, h, r.admin, call, "order_by="+o)
			if asc.total < 2 {
				t.Errorf("GET %s?order_by=%s: %d items, want two or more", call, o, asc.total)
			}
		}
		for _, o := range []string{"bogus", "password_hash", "id", "--name", "Name"} {
			m := h.get(call+sepFor(call)+"order_by="+o, r.admin).wantError(http.StatusBadRequest, "invalid_request")
			if !strings.Contains(jsonString(m["details"]), "order_by") {
				t.Errorf("GET %s?order_by=%s: details %v do not name order_by", call, o, m["details"])
			}
		}
	}
	if lists != len(known) {
		t.Errorf("the OpenAPI document has %d lists, listEndpoints %d", lists, len(known))
	}
}
