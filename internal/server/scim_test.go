package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// scimToken creates the tenant's SCIM token as the admin.
func (h *harness) scimToken(admin string) string {
	h.t.Helper()
	var created struct {
		Token string `json:"token"`
	}
	h.post("/api/v1/scim/token", admin, nil).want(http.StatusCreated).Decode(&created)
	return created.Token
}

// scim sends a SCIM request with the token.
func (h *harness) scim(method, path, token string, body any, header ...string) *response {
	h.t.Helper()
	req := request{method: method, path: "/scim/v2" + path, token: token, body: body, header: map[string]string{}}
	for i := 0; i+1 < len(header); i += 2 {
		req.header[header[i]] = header[i+1]
	}
	return h.send(req)
}

// wantSCIMError fails unless the answer is RFC 7644's error with status and,
// when given, scimType.
func (r *response) wantSCIMError(status int, scimType string) map[string]any {
	r.t.Helper()
	r.want(status)
	m := r.JSON()
	schemas, _ := m["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || m["status"] != fmt.Sprint(status) {
		r.t.Fatalf("not a SCIM error of status %d: %s", status, r.Body)
	}
	if scimType != "" && m["scimType"] != scimType {
		r.t.Fatalf("scimType %v, want %s: %s", m["scimType"], scimType, r.Body)
	}
	return m
}

// listed is a ListResponse's total and resources.
func listed(r *response) (int, []map[string]any) {
	r.t.Helper()
	var page struct {
		Schemas      []string         `json:"schemas"`
		TotalResults int              `json:"totalResults"`
		Resources    []map[string]any `json:"Resources"`
	}
	r.want(http.StatusOK).Decode(&page)
	if len(page.Schemas) != 1 || page.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" {
		r.t.Fatalf("not a ListResponse: %s", r.Body)
	}
	return page.TotalResults, page.Resources
}

func filterQuery(f string) string { return "?filter=" + url.QueryEscape(f) }

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// TestSCIMEntraUserLifecycle replays the requests Microsoft Entra ID sends
// to provision a user: find by userName, create, find by externalId, update
// attributes with its PATCH shapes, deactivate with "False", reactivate,
// delete.
func TestSCIMEntraUserLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)

	total, _ := listed(h.scim(http.MethodGet, "/Users"+filterQuery(`userName eq "Alice@Contoso.com"`), tok, nil))
	if total != 0 {
		t.Fatalf("find before create: %d users", total)
	}
	created := h.scim(http.MethodPost, "/Users", tok, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User", enterprise},
		"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", "userName": "Alice@Contoso.com", "active": true,
		"displayName": "Alice Smith", "title": "Engineer",
		"emails":       []any{map[string]any{"primary": true, "type": "work", "value": "Alice@Contoso.com"}},
		"name":         map[string]any{"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
		"phoneNumbers": []any{map[string]any{"type": "work", "value": "+1 555 0100"}},
		enterprise:     map[string]any{"department": "Research", "manager": map[string]any{"value": "boss-1"}},
		"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User": map[string]any{"tag": "dropped"},
	}).want(http.StatusCreated)
	user := created.JSON()
	id, _ := user["id"].(string)
	if id == "" || created.Header.Get("Location") == "" || created.Header.Get("ETag") == "" {
		t.Fatalf("created %s, headers %v", created.Body, created.Header)
	}
	if user["title"] != "Engineer" || user[enterprise].(map[string]any)["department"] != "Research" ||
		user["phoneNumbers"].([]any)[0].(map[string]any)["value"] != "+1 555 0100" || user["active"] != true {
		t.Fatalf("round trip lost attributes: %s", created.Body)
	}
	rest := h.get("/api/v1/users/"+id, admin).want(http.StatusOK).JSON()
	if rest["email"] != "alice@contoso.com" || rest["name"] != "Alice Smith" || rest["external_id"] != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
		t.Fatalf("the REST API sees %v", rest)
	}

	total, found := listed(h.scim(http.MethodGet, "/Users"+filterQuery(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`), tok, nil))
	if total != 1 || found[0]["id"] != id {
		t.Fatalf("find by externalId: %d %v", total, found)
	}
	total, _ = listed(h.scim(http.MethodGet, "/Users"+filterQuery(`userName eq "alice@contoso.com"`), tok, nil))
	if total != 1 {
		t.Fatalf("find by userName in another case: %d", total)
	}
	if got := h.scim(http.MethodGet, "/Users/"+id, tok, nil).want(http.StatusOK).JSON(); got["userName"] != "Alice@Contoso.com" {
		t.Fatalf("userName %v; want it as sent", got["userName"])
	}
	idn := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "josé@bücher.de"}).want(http.StatusCreated).JSON()
	total, _ = listed(h.scim(http.MethodGet, "/Users"+filterQuery(`userName eq "josé@bücher.de"`), tok, nil))
	if total != 1 || idn["userName"] != "josé@bücher.de" {
		t.Fatalf("an internationalised address: found %d, userName %v", total, idn["userName"])
	}

	patched := h.scim(http.MethodPatch, "/Users/"+id, tok, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{
			map[string]any{"op": "Replace", "path": "displayName", "value": "Alice B. Smith"},
			map[string]any{"op": "Replace", "path": "name.formatted", "value": "Alice B. Smith"},
			map[string]any{"op": "Replace", "path": `emails[type eq "work"].value`, "value": "alice.smith@contoso.com"},
			map[string]any{"op": "Add", "path": enterprise + ":department", "value": "Platform"},
			map[string]any{"op": "Replace", "path": "userName", "value": "alice.smith@contoso.com"},
		},
	}).want(http.StatusOK).JSON()
	if patched["userName"] != "alice.smith@contoso.com" || patched[enterprise].(map[string]any)["department"] != "Platform" ||
		patched["title"] != "Engineer" {
		t.Fatalf("patched %v", patched)
	}
	rest = h.get("/api/v1/users/"+id, admin).want(http.StatusOK).JSON()
	if rest["email"] != "alice.smith@contoso.com" || rest["name"] != "Alice B. Smith" {
		t.Fatalf("after PATCH the REST API sees %v", rest)
	}

	deactivate := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": "False"}}}
	if got := h.scim(http.MethodPatch, "/Users/"+id, tok, deactivate).want(http.StatusOK).JSON(); got["active"] != false {
		t.Fatalf("deactivated %v", got)
	}
	if rest = h.get("/api/v1/users/"+id, admin).want(http.StatusOK).JSON(); rest["status"] != "disabled" {
		t.Fatalf("after deactivation the REST API sees %v", rest)
	}
	reactivate := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": true}}}}
	if got := h.scim(http.MethodPatch, "/Users/"+id, tok, reactivate).want(http.StatusOK).JSON(); got["active"] != true {
		t.Fatalf("reactivated %v", got)
	}

	h.scim(http.MethodDelete, "/Users/"+id, tok, nil).want(http.StatusNoContent)
	h.scim(http.MethodGet, "/Users/"+id, tok, nil).wantSCIMError(http.StatusNotFound, "")

	var actors []string
	for _, e := range h.auditEvents(admin, "target_id="+id) {
		actor, _ := e["actor"].(map[string]any)
		actors = append(actors, fmt.Sprint(actor["type"]))
	}
	if len(actors) < 5 || strings.Count(strings.Join(actors, ","), "scim") != len(actors) {
		t.Errorf("audit actors of the user's events = %v; want every one the SCIM token", actors)
	}
}

// TestSCIMDeactivationEndsSessions: active=false through SCIM ends the
// user's sessions at once.
func TestSCIMDeactivationEndsSessions(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)
	id := h.createUser(admin, "leaver@example.com", "Quiet-harbor-7391-x")
	session := h.login("leaver@example.com", "Quiet-harbor-7391-x").AccessToken
	h.get("/api/v1/me", session).want(http.StatusOK)
	h.scim(http.MethodPatch, "/Users/"+id, tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}).want(http.StatusOK)
	h.get("/api/v1/me", session).wantError(http.StatusUnauthorized, "invalid_token")
}

// TestSCIMOktaSequences replays Okta's requests: create, PUT for a full
// update, PATCH for active only, paging with startIndex and count, group
// push with PATCH membership changes.
func TestSCIMOktaSequences(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)
	var ids []string
	for i := range 3 {
		email := fmt.Sprintf("user%d@okta.example", i)
		u := h.scim(http.MethodPost, "/Users", tok, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": email,
			"name":   map[string]any{"givenName": "User", "familyName": fmt.Sprint(i)},
			"emails": []any{map[string]any{"primary": true, "value": email, "type": "work"}}, "active": true,
		}).want(http.StatusCreated).JSON()
		ids = append(ids, u["id"].(string))
	}
	total, page := listed(h.scim(http.MethodGet, "/Users?startIndex=1&count=2", tok, nil))
	if total != 4 || len(page) != 2 { // the bootstrap admin is a user too
		t.Fatalf("first page: total %d, %d resources", total, len(page))
	}
	total, page = listed(h.scim(http.MethodGet, "/Users?startIndex=3&count=2", tok, nil))
	if total != 4 || len(page) != 2 {
		t.Fatalf("second page: total %d, %d resources", total, len(page))
	}

	put := h.scim(http.MethodPut, "/Users/"+ids[0], tok, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "id": ids[0], "userName": "user0@okta.example",
		"name": map[string]any{"givenName": "Renamed", "familyName": "Zero"}, "active": true,
		"emails": []any{map[string]any{"primary": true, "value": "user0@okta.example", "type": "work"}},
	}).want(http.StatusOK).JSON()
	if put["name"].(map[string]any)["givenName"] != "Renamed" {
		t.Fatalf("PUT answered %v", put)
	}
	if rest := h.get("/api/v1/users/"+ids[0], admin).want(http.StatusOK).JSON(); rest["name"] != "Renamed Zero" {
		t.Fatalf("after PUT the REST API sees %v", rest)
	}
	h.scim(http.MethodPatch, "/Users/"+ids[1], tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}).want(http.StatusOK)
	total, _ = listed(h.scim(http.MethodGet, "/Users"+filterQuery(`active eq false`), tok, nil))
	if total != 1 {
		t.Fatalf("inactive users: %d", total)
	}
	reactivated := h.scim(http.MethodPatch, "/Users/"+ids[1], tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": true}}}}).want(http.StatusOK).JSON()
	if reactivated["active"] != true {
		t.Fatalf("reactivated %v", reactivated)
	}

	group := h.scim(http.MethodPost, "/Groups", tok, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Okta Engineers",
		"members": []any{map[string]any{"value": ids[0], "display": "user0@okta.example"}},
	}).want(http.StatusCreated).JSON()
	gid := group["id"].(string)
	h.scim(http.MethodPatch, "/Groups/"+gid, tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{
			map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ids[1]}, map[string]any{"value": ids[2]}}},
			map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, ids[0])},
		}}).want(http.StatusNoContent)
	got := h.scim(http.MethodGet, "/Groups/"+gid, tok, nil).want(http.StatusOK).JSON()
	members, _ := got["members"].([]any)
	if len(members) != 2 {
		t.Fatalf("members after PATCH: %v", got["members"])
	}
	total, found := listed(h.scim(http.MethodGet, "/Groups"+filterQuery(`displayName eq "okta engineers"`)+"&excludedAttributes=members", tok, nil))
	if total != 1 || found[0]["members"] != nil {
		t.Fatalf("group by displayName: %d %v", total, found)
	}
	user := h.scim(http.MethodGet, "/Users/"+ids[1], tok, nil).want(http.StatusOK).JSON()
	if groups, _ := user["groups"].([]any); len(groups) != 1 || groups[0].(map[string]any)["value"] != gid {
		t.Fatalf("the user's groups: %v", user["groups"])
	}
	h.scim(http.MethodDelete, "/Groups/"+gid, tok, nil).want(http.StatusNoContent)
}

// TestSCIMEntraGroupPush replays Entra's group provisioning: create, add
// and remove members with its value-list shapes, rename.
func TestSCIMEntraGroupPush(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)
	a := h.createUser(admin, "a@contoso.com", "a-password-long-1")
	b := h.createUser(admin, "b@contoso.com", "b-password-long-1")
	total, _ := listed(h.scim(http.MethodGet, "/Groups"+filterQuery(`displayName eq "Sales"`)+"&excludedAttributes=members", tok, nil))
	if total != 0 {
		t.Fatalf("find before create: %d", total)
	}
	g := h.scim(http.MethodPost, "/Groups", tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"externalId": "sales-1", "displayName": "Sales", "members": []any{}}).want(http.StatusCreated).JSON()
	gid := g["id"].(string)
	patch := func(ops ...map[string]any) map[string]any {
		list := make([]any, len(ops))
		for i, op := range ops {
			list[i] = op
		}
		return h.scim(http.MethodPatch, "/Groups/"+gid+"?attributes=displayName,members", tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": list}).want(http.StatusOK).JSON()
	}
	patch(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": a}, map[string]any{"value": b}}})
	total, _ = listed(h.scim(http.MethodGet, "/Groups"+filterQuery(fmt.Sprintf(`id eq "%s" and members[value eq "%s"]`, gid, a))+
		"&excludedAttributes=members", tok, nil))
	if total != 1 {
		t.Fatalf("membership check: %d", total)
	}
	patch(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": a}}})
	got := patch(map[string]any{"op": "Replace", "path": "displayName", "value": "Sales EMEA"})
	members, _ := got["members"].([]any)
	if got["displayName"] != "Sales EMEA" || len(members) != 1 || members[0].(map[string]any)["value"] != b {
		t.Fatalf("after the changes: %v", got)
	}
	rest := h.get("/api/v1/groups/"+gid, admin).want(http.StatusOK).JSON()
	if rest["name"] != "Sales EMEA" || rest["external_id"] != "sales-1" {
		t.Fatalf("the REST API sees %v", rest)
	}
}

// TestSCIMConcurrentMemberAdds: membership PATCHes of one group that race
// lose none of each other's members.
func TestSCIMConcurrentMemberAdds(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)
	var users []string
	for i := range 4 {
		users = append(users, h.createUser(admin, fmt.Sprintf("m%d@example.com", i), "member-password-1"))
	}
	gid := h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "Racers"}).want(http.StatusCreated).JSON()["id"].(string)
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			h.scim(http.MethodPatch, "/Groups/"+gid, tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u}}}}})
		})
	}
	wg.Wait()
	got := h.scim(http.MethodGet, "/Groups/"+gid, tok, nil).want(http.StatusOK).JSON()
	if members, _ := got["members"].([]any); len(members) != len(users) {
		t.Fatalf("members after concurrent adds: %v", got["members"])
	}
}

// TestSCIMRefusals: each bad request is answered in RFC 7644's shape and
// changes nothing.
func TestSCIMRefusals(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)

	for name, token := range map[string]string{"none": "", "an admin's access token": admin, "garbage": "gtscim_nope"} {
		res := h.scim(http.MethodGet, "/Users", token, nil)
		res.wantSCIMError(http.StatusUnauthorized, "")
		if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, res.Header.Get("WWW-Authenticate"))
		}
	}
	old := tok
	tok = h.scimToken(admin)
	h.scim(http.MethodGet, "/Users", old, nil).wantSCIMError(http.StatusUnauthorized, "")

	user := func(email string) map[string]any {
		return map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": email}
	}
	id := h.scim(http.MethodPost, "/Users", tok, user("taken@example.com")).want(http.StatusCreated).JSON()["id"].(string)
	h.scim(http.MethodPost, "/Users", tok, user("TAKEN@example.com")).wantSCIMError(http.StatusConflict, "uniqueness")
	h.scim(http.MethodPost, "/Users", tok, map[string]any{"name": map[string]any{"formatted": "No Name"}}).wantSCIMError(http.StatusBadRequest, "invalidValue")
	h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": 42}).wantSCIMError(http.StatusBadRequest, "")
	h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "alice",
		"emails": []any{map[string]any{"value": "alice@example.com", "primary": true}}}).wantSCIMError(http.StatusBadRequest, "invalidValue")
	h.send(request{method: http.MethodPost, path: "/scim/v2/Users", token: tok, body: "userName=x",
		header: map[string]string{"Content-Type": "text/plain"}}).wantSCIMError(http.StatusUnsupportedMediaType, "")
	h.scim(http.MethodPost, "/Users", tok, `{"userName": "a@example.com"} {}`).wantSCIMError(http.StatusBadRequest, "invalidSyntax")
	h.scim(http.MethodPost, "/Users", tok, strings.Repeat(" ", 2<<20)+"{}").wantSCIMError(http.StatusRequestEntityTooLarge, "")

	for _, f := range []string{`userName eq`, `userName zz "x"`, `nosuch eq "x"`, `emails[type eq "work"`,
		strings.Repeat("(", 1000) + `userName eq "x"` + strings.Repeat(")", 1000), `meta.created gt "yesterday"`} {
		h.scim(http.MethodGet, "/Users"+filterQuery(f), tok, nil).wantSCIMError(http.StatusBadRequest, "invalidFilter")
	}
	h.scim(http.MethodGet, "/Users?sortBy=title", tok, nil).wantSCIMError(http.StatusBadRequest, "invalidValue")
	h.scim(http.MethodGet, "/Users?count=many", tok, nil).wantSCIMError(http.StatusBadRequest, "invalidValue")

	patch := func(ops ...any) map[string]any {
		return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
	}
	h.scim(http.MethodPatch, "/Users/"+id, tok, patch(map[string]any{"op": "replace", "path": "id", "value": "x"})).
		wantSCIMError(http.StatusBadRequest, "mutability")
	for _, path := range []string{"meta.created", "groups"} {
		h.scim(http.MethodPatch, "/Users/"+id, tok, patch(map[string]any{"op": "add", "path": path, "value": []any{map[string]any{"value": "g"}}})).
			wantSCIMError(http.StatusBadRequest, "")
	}
	h.scim(http.MethodPatch, "/Users/"+id, tok, patch(map[string]any{"op": "replace", "path": "nosuch", "value": "x"})).
		wantSCIMError(http.StatusBadRequest, "invalidPath")
	h.scim(http.MethodPatch, "/Users/"+id, tok, patch(
		map[string]any{"op": "replace", "path": "displayName", "value": "Half Applied"},
		map[string]any{"op": "explode", "path": "title", "value": "x"})).wantSCIMError(http.StatusBadRequest, "")
	h.scim(http.MethodPatch, "/Users/"+id, tok, map[string]any{"Operations": []any{}}).wantSCIMError(http.StatusBadRequest, "invalidSyntax")
	if m := h.scim(http.MethodPatch, "/Users/"+id, tok, map[string]any{"Operations": "many"}).wantSCIMError(http.StatusBadRequest, "invalidSyntax"); strings.Contains(fmt.Sprint(m["detail"]), "Go") || strings.Contains(fmt.Sprint(m["detail"]), "scim.") {
		t.Errorf("the detail shows Go's types: %v", m["detail"])
	}
	emails := make([]any, 1001)
	for i := range emails {
		emails[i] = map[string]any{"value": fmt.Sprintf("e%d@example.com", i)}
	}
	h.scim(http.MethodPatch, "/Users/"+id, tok, patch(map[string]any{"op": "add", "path": "emails", "value": emails})).
		wantSCIMError(http.StatusBadRequest, "tooMany")
	if got := h.scim(http.MethodGet, "/Users/"+id, tok, nil).want(http.StatusOK).JSON(); got["displayName"] != nil {
		t.Errorf("a refused PATCH was half applied: %v", got)
	}

	gid := h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "Team"}).want(http.StatusCreated).JSON()["id"].(string)
	h.scim(http.MethodPatch, "/Groups/"+gid, tok, patch(map[string]any{"op": "add", "path": "members",
		"value": []any{map[string]any{"value": id}, map[string]any{"value": "00000000-0000-7000-8000-000000000000"}}})).
		wantSCIMError(http.StatusBadRequest, "invalidValue")
	if got := h.scim(http.MethodGet, "/Groups/"+gid, tok, nil).want(http.StatusOK).JSON(); got["members"] != nil {
		t.Errorf("a refused member change was half applied: %v", got["members"])
	}

	// The bootstrap superadmin is out of the SCIM token's reach.
	var adminID string
	for _, u := range func() []map[string]any {
		_, found := listed(h.scim(http.MethodGet, "/Users"+filterQuery(`userName eq "`+adminEmail+`"`), tok, nil))
		return found
	}() {
		adminID, _ = u["id"].(string)
	}
	if adminID == "" {
		t.Fatal("the admin is not listed")
	}
	h.scim(http.MethodPatch, "/Users/"+adminID, tok, patch(map[string]any{"op": "replace", "path": "active", "value": false})).
		wantSCIMError(http.StatusForbidden, "")
	h.scim(http.MethodDelete, "/Users/"+adminID, tok, nil).wantSCIMError(http.StatusForbidden, "")
	h.get("/api/v1/me", admin).want(http.StatusOK)
	h.scim(http.MethodGet, "/Nope", tok, nil).wantSCIMError(http.StatusNotFound, "")
}

// TestSCIMVersions: ETags follow every change; If-None-Match answers 304
// and a stale If-Match 412.
func TestSCIMVersions(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)
	created := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "v@example.com"}).want(http.StatusCreated)
	id, tag := created.JSON()["id"].(string), created.Header.Get("ETag")
	if meta := created.JSON()["meta"].(map[string]any); meta["version"] != tag || meta["resourceType"] != "User" ||
		!strings.HasSuffix(fmt.Sprint(meta["location"]), "/scim/v2/Users/"+id) {
		t.Fatalf("meta %v, ETag %q", meta, tag)
	}
	h.scim(http.MethodGet, "/Users/"+id, tok, nil, "If-None-Match", tag).want(http.StatusNotModified)
	// A PATCH that changes nothing keeps the version.
	same := h.scim(http.MethodPatch, "/Users/"+id, tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "userName", "value": "v@example.com"}}}).want(http.StatusOK)
	if same.Header.Get("ETag") != tag {
		t.Fatalf("a PATCH that changes nothing moved the ETag from %s to %s", tag, same.Header.Get("ETag"))
	}
	put := map[string]any{"userName": "v@example.com", "title": "Changed"}
	changed := h.scim(http.MethodPut, "/Users/"+id, tok, put, "If-Match", tag).want(http.StatusOK)
	if changed.Header.Get("ETag") == tag {
		t.Fatalf("the ETag did not move: %s", tag)
	}
	h.scim(http.MethodPut, "/Users/"+id, tok, put, "If-Match", tag).wantSCIMError(http.StatusPreconditionFailed, "")
	h.scim(http.MethodDelete, "/Users/"+id, tok, nil, "If-Match", tag).wantSCIMError(http.StatusPreconditionFailed, "")
	h.scim(http.MethodGet, "/Users/"+id, tok, nil, "If-None-Match", tag).want(http.StatusOK)
	// A PUT without active leaves a user an admin disabled disabled.
	h.post("/api/v1/users/"+id+"/disable", admin, nil).want(http.StatusOK)
	replaced := h.scim(http.MethodPut, "/Users/"+id, tok, put).want(http.StatusOK)
	if replaced.JSON()["active"] != false {
		t.Fatalf("a PUT without active enabled the user: %s", replaced.Body)
	}
	changed = replaced
	h.scim(http.MethodDelete, "/Users/"+id, tok, nil, "If-Match", changed.Header.Get("ETag")).want(http.StatusNoContent)
}

// TestSCIMBulk: a bulk request creates a user and a group holding it
// through a bulkId reference; failOnErrors stops after the failures it
// allows.
func TestSCIMBulk(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)
	res := h.scim(http.MethodPost, "/Bulk", tok, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": []any{
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": map[string]any{"userName": "bulk1@example.com"}},
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1",
				"data": map[string]any{"displayName": "Bulk", "members": []any{map[string]any{"value": "bulkId:u1"}}}},
			map[string]any{"method": "PATCH", "path": "/Users/bulkId:u1", "data": map[string]any{
				"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "Bulked"}}}},
		},
	}).want(http.StatusOK).JSON()
	ops, _ := res["Operations"].([]any)
	if len(ops) != 3 {
		t.Fatalf("bulk answered %v", res)
	}
	for i, want := range []string{"201", "201", "200"} {
		if op := ops[i].(map[string]any); op["status"] != want || op["location"] == nil {
			t.Fatalf("operation %d: %v", i, op)
		}
	}
	_, groups := listed(h.scim(http.MethodGet, "/Groups"+filterQuery(`displayName eq "Bulk"`), tok, nil))
	if len(groups) != 1 || len(groups[0]["members"].([]any)) != 1 {
		t.Fatalf("the bulk group: %v", groups)
	}

	res = h.scim(http.MethodPost, "/Bulk", tok, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "failOnErrors": 1,
		"Operations": []any{
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "dup", "data": map[string]any{"userName": "bulk1@example.com"}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "never", "data": map[string]any{"userName": "never@example.com"}},
		},
	}).want(http.StatusOK).JSON()
	ops, _ = res["Operations"].([]any)
	if len(ops) != 1 || ops[0].(map[string]any)["status"] != "409" {
		t.Fatalf("failOnErrors 1 answered %v", res)
	}
	total, _ := listed(h.scim(http.MethodGet, "/Users"+filterQuery(`userName eq "never@example.com"`), tok, nil))
	if total != 0 {
		t.Fatal("an operation after failOnErrors ran")
	}
	h.scim(http.MethodPost, "/Bulk", tok, map[string]any{"Operations": []any{}}).wantSCIMError(http.StatusBadRequest, "invalidSyntax")
	tooMany := make([]any, 1001)
	for i := range tooMany {
		tooMany[i] = map[string]any{"method": "DELETE", "path": "/Users/x"}
	}
	h.scim(http.MethodPost, "/Bulk", tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": tooMany}).wantSCIMError(http.StatusRequestEntityTooLarge, "tooMany")
	res = h.scim(http.MethodPost, "/Bulk", tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": []any{
			map[string]any{"method": "PATCH", "path": "/Users/bulkId:nobody", "data": map[string]any{}},
			map[string]any{"method": "GET", "path": "/Users"},
			map[string]any{"method": "POST", "path": "/Users/../Groups", "bulkId": "x", "data": map[string]any{"displayName": "Sneaky"}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "twice", "data": map[string]any{"userName": "twice1@example.com"}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "twice", "data": map[string]any{"userName": "twice2@example.com"}},
		}}).want(http.StatusOK).JSON()
	for i, op := range res["Operations"].([]any) {
		if status := op.(map[string]any)["status"]; i != 3 && status != "409" && status != "400" {
			t.Errorf("bad operation %d answered %v", i, op)
		}
	}
}

// TestSCIMDiscovery: ServiceProviderConfig, ResourceTypes and Schemas
// describe what is served, at the tenant's base URL.
func TestSCIMDiscovery(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.scimToken(h.admin())
	cfg := h.scim(http.MethodGet, "/ServiceProviderConfig", tok, nil).want(http.StatusOK).JSON()
	for _, feature := range []string{"patch", "bulk", "filter", "sort", "etag"} {
		if f, _ := cfg[feature].(map[string]any); f["supported"] != true {
			t.Errorf("%s: %v", feature, cfg[feature])
		}
	}
	total, types := listed(h.scim(http.MethodGet, "/ResourceTypes", tok, nil))
	if total != 2 || types[0]["endpoint"] != "/Users" || types[1]["endpoint"] != "/Groups" {
		t.Fatalf("resource types %v", types)
	}
	total, schemas := listed(h.scim(http.MethodGet, "/Schemas", tok, nil))
	if total != 3 {
		t.Fatalf("%d schemas", total)
	}
	for _, s := range schemas {
		one := h.scim(http.MethodGet, "/Schemas/"+fmt.Sprint(s["id"]), tok, nil).want(http.StatusOK).JSON()
		if attrs, _ := one["attributes"].([]any); len(attrs) == 0 {
			t.Errorf("schema %v has no attributes", s["id"])
		}
	}
	h.scim(http.MethodGet, "/Schemas/urn:nope", tok, nil).wantSCIMError(http.StatusNotFound, "")
}

// TestSCIMSurfaceShape: the SCIM surface answers refusals and panics in
// RFC 7644's shape, an internal error with only the request id.
func TestSCIMSurfaceShape(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.scimToken(h.admin())
	h.srv.Mux("scim").HandleFunc("GET /scim/v2/test/panic", func(http.ResponseWriter, *http.Request) { panic("test panic on scim") })
	res := h.scim(http.MethodGet, "/Users", "", nil)
	res.wantSCIMError(http.StatusUnauthorized, "")
	if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type %q", ct)
	}
	res = h.scim(http.MethodGet, "/test/panic", tok, nil)
	m := res.wantSCIMError(http.StatusInternalServerError, "")
	if detail, _ := m["detail"].(string); !strings.Contains(detail, res.Header.Get("X-Request-Id")) || strings.Contains(detail, "test panic") {
		t.Errorf("detail %q; want only the request id %s", detail, res.Header.Get("X-Request-Id"))
	}
	h.scim(http.MethodGet, "/Users", tok, nil).want(http.StatusOK)
}

// TestSCIMOrganizationToken: an organization's token provisions members of
// that organization only; the tenant's other users are unknown to it, and
// deleting a member of other organizations only takes them out of its own.
func TestSCIMOrganizationToken(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	acme := h.createOrg(admin, map[string]any{"name": "Acme", "alias": "acme"})["id"].(string)
	globex := h.createOrg(admin, map[string]any{"name": "Globex", "alias": "globex"})["id"].(string)
	h.get("/api/v1/organizations/"+acme+"/scim/token", admin).wantError(http.StatusNotFound, "not_found")
	var created struct {
		Token          string `json:"token"`
		OrganizationID string `json:"organization_id"`
	}
	h.post("/api/v1/organizations/"+acme+"/scim/token", admin, nil).want(http.StatusCreated).Decode(&created)
	if created.OrganizationID != acme {
		t.Fatalf("created for %q; want acme", created.OrganizationID)
	}
	tok := created.Token
	h.post("/api/v1/organizations/00000000-0000-7000-8000-000000000000/scim/token", admin, nil).wantError(http.StatusNotFound, "not_found")
	tenantTok := h.scimToken(admin)
	if got := h.get("/api/v1/organizations/"+acme+"/scim/token", admin).want(http.StatusOK).JSON(); got["organization_id"] != acme {
		t.Fatalf("acme's token after the tenant's was created: %v", got)
	}

	outsider := h.createUser(admin, "outsider@example.com", "Quiet-harbor-9182")
	shared := h.createUser(admin, "shared@example.com", "Amber-lantern-4421")
	h.setMember(admin, globex, shared)

	ann := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "ann@acme.example"}).want(http.StatusCreated).JSON()["id"].(string)
	members := h.get("/api/v1/organizations/"+acme+"/members", admin).want(http.StatusOK).JSON()["data"].([]any)
	if len(members) != 1 {
		t.Fatalf("acme's members: %v", members)
	}
	total, found := listed(h.scim(http.MethodGet, "/Users", tok, nil))
	if total != 1 || found[0]["id"] != ann || found[0]["groups"] != nil {
		t.Fatalf("acme's token lists %d: %v", total, found)
	}
	total, _ = listed(h.scim(http.MethodGet, "/Users"+filterQuery(`userName eq "outsider@example.com"`), tok, nil))
	if total != 0 {
		t.Fatal("acme's token finds a user outside acme")
	}
	for _, id := range []string{outsider, shared} {
		h.scim(http.MethodGet, "/Users/"+id, tok, nil).wantSCIMError(http.StatusNotFound, "")
		h.scim(http.MethodPut, "/Users/"+id, tok, map[string]any{"userName": "taken@example.com"}).wantSCIMError(http.StatusNotFound, "")
		h.scim(http.MethodDelete, "/Users/"+id, tok, nil).wantSCIMError(http.StatusNotFound, "")
	}
	h.scim(http.MethodGet, "/Groups", tok, nil).wantSCIMError(http.StatusForbidden, "")
	h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "Acme"}).wantSCIMError(http.StatusForbidden, "")

	// acme's directory vouches for the addresses of acme's own identity
	// providers' domains only: another address it names starts unverified,
	// or the account would be linked to whoever signs in with it through
	// their own provider, in acme's hands (found by a review).
	verified := func(id string) any {
		return h.get("/api/v1/users/"+id, admin).want(http.StatusOK).JSON()["email_verified"]
	}
	if v := verified(ann); v != false {
		t.Errorf("ann@acme.example, provisioned before acme had a provider: email_verified %v", v)
	}
	h.post("/api/v1/federated/providers", admin, map[string]any{"name": "Acme Okta", "kind": "oidc", "issuer": "https://acme.okta.example",
		"client_id": "a", "client_secret": "a-secret", "organization_id": acme, "domains": []string{"acme.example"}}).want(http.StatusCreated)
	bea := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "bea@acme.example"}).want(http.StatusCreated).JSON()["id"].(string)
	posing := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "cfo@globex.example"}).want(http.StatusCreated).JSON()["id"].(string)
	if v, w := verified(bea), verified(posing); v != true || w != false {
		t.Errorf("email_verified of bea@acme.example %v (want true), of cfo@globex.example %v (want false)", v, w)
	}
	h.scim(http.MethodPut, "/Users/"+bea, tok, map[string]any{"userName": "bea@globex.example"}).want(http.StatusOK)
	if v := verified(bea); v != false {
		t.Errorf("bea renamed by acme's directory to another domain's address: email_verified %v", v)
	}
	for _, id := range []string{bea, posing} {
		h.scim(http.MethodDelete, "/Users/"+id, tok, nil).want(http.StatusNoContent)
	}

	// A user whose access reaches beyond acme (another organization, a
	// tenant-wide role) is not acme's directory's to change: it could take
	// the account over by changing its email.
	h.setMember(admin, acme, shared)
	takeover := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "userName", "value": "attacker@evil.example"}}}
	h.scim(http.MethodPatch, "/Users/"+shared, tok, takeover).wantSCIMError(http.StatusForbidden, "")
	h.scim(http.MethodPut, "/Users/"+shared, tok, map[string]any{"userName": "attacker@evil.example"}).wantSCIMError(http.StatusForbidden, "")
	roleHolder := h.createUser(admin, "roles@example.com", "Velvet-compass-2288")
	h.setMember(admin, acme, roleHolder)
	h.post("/api/v1/permissions", admin, map[string]any{"name": "invoices.read"}).want(http.StatusCreated)
	role := h.post("/api/v1/roles", admin, map[string]any{"name": "billing", "permissions": []string{"invoices.read"}}).want(http.StatusCreated).JSON()["id"].(string)
	h.send(request{method: http.MethodPut, path: "/api/v1/users/" + roleHolder + "/roles/" + role, token: admin}).want(http.StatusNoContent)
	h.scim(http.MethodPatch, "/Users/"+roleHolder, tok, takeover).wantSCIMError(http.StatusForbidden, "")
	h.scim(http.MethodDelete, "/Users/"+roleHolder, tok, nil).wantSCIMError(http.StatusForbidden, "")
	// So is an application role mapped to the user, or a tenant group they
	// are in (which may carry such mappings): both reach the tenant's
	// applications (found by a review).
	app := h.createApplication(admin, webApp("billing"))["id"].(string)
	h.post("/api/v1/applications/"+app+"/roles", admin, map[string]any{"name": "billing-admin"}).want(http.StatusCreated)
	mapped := h.createUser(admin, "cfo@example.com", "Quiet-harbor-9182")
	h.setMember(admin, acme, mapped)
	h.post("/api/v1/app-mappings", admin, map[string]any{"application_id": app, "role": "billing-admin", "user_id": mapped}).want(http.StatusCreated)
	grouped := h.createUser(admin, "ops@example.com", "Amber-lantern-4421")
	h.setMember(admin, acme, grouped)
	group := h.post("/api/v1/groups", admin, map[string]any{"name": "billing-ops"}).want(http.StatusCreated).JSON()["id"].(string)
	h.send(request{method: http.MethodPut, path: "/api/v1/groups/" + group + "/members/" + grouped, token: admin}).want(http.StatusNoContent)
	for _, id := range []string{mapped, grouped} {
		h.scim(http.MethodPatch, "/Users/"+id, tok, takeover).wantSCIMError(http.StatusForbidden, "")
		h.scim(http.MethodDelete, "/Users/"+id, tok, nil).wantSCIMError(http.StatusForbidden, "")
	}
	if got := h.get("/api/v1/users/"+shared, admin).want(http.StatusOK).JSON(); got["email"] != "shared@example.com" {
		t.Fatalf("acme's directory changed a user of globex: %v", got)
	}

	// acme's directory deletes the shared user: they leave acme and stay in
	// globex.
	h.scim(http.MethodDelete, "/Users/"+shared, tok, nil).want(http.StatusNoContent)
	h.get("/api/v1/users/"+shared, admin).want(http.StatusOK)
	h.scim(http.MethodGet, "/Users/"+shared, tok, nil).wantSCIMError(http.StatusNotFound, "")
	h.scim(http.MethodGet, "/Users/"+shared, tenantTok, nil).want(http.StatusOK)
	h.scim(http.MethodDelete, "/Users/"+ann, tok, nil).want(http.StatusNoContent)
	h.get("/api/v1/users/"+ann, admin).wantError(http.StatusNotFound, "not_found")

	h.delete("/api/v1/organizations/"+acme+"/scim/token", admin).want(http.StatusNoContent)
	h.scim(http.MethodGet, "/Users", tok, nil).wantSCIMError(http.StatusUnauthorized, "")
	h.scim(http.MethodGet, "/Users", tenantTok, nil).want(http.StatusOK)
}

// TestSCIMTenants: a tenant's token works on its own host only, reaches its
// own tenant's users only, and its resources' locations are at that
// tenant's base URL.
func TestSCIMTenants(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test"
	admin := h.admin()
	sysTok := h.scimToken(admin)
	sysUser := h.scim(http.MethodPost, "/Users", sysTok, map[string]any{"userName": "sys@example.com"}).want(http.StatusCreated).JSON()["id"].(string)
	h.post("/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusCreated)
	var bt tokens
	h.send(request{method: "POST", path: "/api/v1/auth/login", host: "b.example.com",
		body: map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusOK).Decode(&bt)
	var created struct {
		Token string `json:"token"`
	}
	h.send(request{method: "POST", path: "/api/v1/scim/token", host: "b.example.com", token: bt.AccessToken}).want(http.StatusCreated).Decode(&created)
	inB := func(method, path, token string, body any) *response {
		return h.send(request{method: method, path: "/scim/v2" + path, host: "b.example.com", token: token, body: body})
	}
	inB(http.MethodGet, "/Users", sysTok, nil).wantSCIMError(http.StatusUnauthorized, "")
	h.scim(http.MethodGet, "/Users", created.Token, nil).wantSCIMError(http.StatusUnauthorized, "")
	refused := h.auditEvents(admin, "action=scim_token.refused")
	if len(refused) == 0 {
		t.Error("the system token presented to tenant B is not in the system tenant's audit log")
	}

	bUser := inB(http.MethodPost, "/Users", created.Token, map[string]any{"userName": "ann@b.example.com"}).want(http.StatusCreated).JSON()
	if loc := bUser["meta"].(map[string]any)["location"].(string); !strings.HasPrefix(loc, "http://b.example.com") {
		t.Errorf("location %s is not at tenant B's base URL", loc)
	}
	total, _ := listed(inB(http.MethodGet, "/Users", created.Token, nil))
	if total != 2 { // boss and ann
		t.Errorf("tenant B's token lists %d users", total)
	}
	inB(http.MethodGet, "/Users/"+sysUser, created.Token, nil).wantSCIMError(http.StatusNotFound, "")
	inB(http.MethodDelete, "/Users/"+sysUser, created.Token, nil).wantSCIMError(http.StatusNotFound, "")
	inB(http.MethodPost, "/Groups", created.Token, map[string]any{"displayName": "Mixed",
		"members": []any{map[string]any{"value": sysUser}}}).wantSCIMError(http.StatusBadRequest, "invalidValue")
	h.scim(http.MethodGet, "/Users/"+sysUser, sysTok, nil).want(http.StatusOK)
}

// TestSCIMFiltersMeanWhatTheResourcesShow: a filter selects by the values
// the resources show, where those differ from what the database keeps (a
// displayName beside a name, a second address) and where one element must
// meet a whole value filter.
func TestSCIMFiltersMeanWhatTheResourcesShow(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.scimToken(h.admin())
	ann := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "ann@example.com", "displayName": "Annie",
		"name":   map[string]any{"givenName": "Ann", "familyName": "Lee"},
		"emails": []any{map[string]any{"value": "ann@example.com", "primary": true, "type": "work"}, map[string]any{"value": "sec@example.org", "type": "home"}},
	}).want(http.StatusCreated).JSON()["id"].(string)
	bob := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "bob@example.com"}).want(http.StatusCreated).JSON()["id"].(string)
	ids := func(path, f string) []string {
		_, found := listed(h.scim(http.MethodGet, path+filterQuery(f), tok, nil))
		var out []string
		for _, r := range found {
			out = append(out, r["id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`displayName eq "Annie"`, []string{ann}},
		{`displayName eq "Ann Lee"`, nil},
		{`emails.value eq "sec@example.org"`, []string{ann}},
		{`emails[type eq "home" and value eq "sec@example.org"]`, []string{ann}},
		{`emails[type eq "work" and value eq "sec@example.org"]`, nil},
		{`not (emails.value eq "sec@example.org") and userName sw "bob"`, []string{bob}},
	} {
		if got := ids("/Users", tc.filter); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v; want %v", tc.filter, got, tc.want)
		}
	}
	both := h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "Both",
		"members": []any{map[string]any{"value": ann}, map[string]any{"value": bob}}}).want(http.StatusCreated).JSON()["id"].(string)
	empty := h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "Empty"}).want(http.StatusCreated).JSON()["id"].(string)
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{fmt.Sprintf(`members[value eq "%s"]`, ann), []string{both}},
		{fmt.Sprintf(`members[value eq "%s" and value eq "%s"]`, ann, bob), nil},
		{fmt.Sprintf(`members[not (value eq "%s")]`, ann), []string{both}},
		{`not (members pr)`, []string{empty}},
	} {
		if got := ids("/Groups", tc.filter); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v; want %v", tc.filter, got, tc.want)
		}
	}
}

// TestSCIMGroupVersionCoversMembers: a member added through the REST API
// moves the group's ETag, so that a PUT from a stale read cannot drop them.
func TestSCIMGroupVersionCoversMembers(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.scimToken(admin)
	a := h.createUser(admin, "a@example.com", "Saffron-meadow-7710")
	b := h.createUser(admin, "b@example.com", "Copper-kettle-5521")
	created := h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "G",
		"members": []any{map[string]any{"value": a}}}).want(http.StatusCreated)
	gid, tag := created.JSON()["id"].(string), created.Header.Get("ETag")
	h.scim(http.MethodGet, "/Groups/"+gid, tok, nil, "If-None-Match", tag).want(http.StatusNotModified)
	h.send(request{method: http.MethodPut, path: "/api/v1/groups/" + gid + "/members/" + b, token: admin}).want(http.StatusNoContent)
	h.scim(http.MethodGet, "/Groups/"+gid, tok, nil, "If-None-Match", tag).want(http.StatusOK)
	h.scim(http.MethodPut, "/Groups/"+gid, tok, map[string]any{"displayName": "G", "members": []any{map[string]any{"value": a}}},
		"If-Match", tag).wantSCIMError(http.StatusPreconditionFailed, "")
	if members := h.scim(http.MethodGet, "/Groups/"+gid, tok, nil).want(http.StatusOK).JSON()["members"].([]any); len(members) != 2 {
		t.Fatalf("members after a refused stale PUT: %v", members)
	}
}

// TestSCIMRootSearch: POST /.search answers users, then groups, for a
// filter that suits either; a filter one type cannot take selects none of
// that type.
func TestSCIMRootSearch(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.scimToken(h.admin())
	h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "eng@example.com", "displayName": "Engineer"}).want(http.StatusCreated)
	h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "Engineering"}).want(http.StatusCreated)
	h.scim(http.MethodPost, "/Groups", tok, map[string]any{"displayName": "Sales"}).want(http.StatusCreated)
	search := func(f string, start, count int) (int, []string) {
		total, found := listed(h.scim(http.MethodPost, "/.search", tok, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": f, "startIndex": start, "count": count}))
		var names []string
		for _, r := range found {
			names = append(names, fmt.Sprint(r["meta"].(map[string]any)["resourceType"], ":", r["displayName"]))
		}
		return total, names
	}
	for _, tc := range []struct {
		filter       string
		start, count int
		total        int
		want         string
	}{
		{`displayName sw "Eng"`, 1, 10, 2, "[User:Engineer Group:Engineering]"},
		{`displayName sw "Eng"`, 2, 10, 2, "[Group:Engineering]"},
		{`displayName sw "Eng"`, 1, 1, 2, "[User:Engineer]"},
		{`userName eq "eng@example.com"`, 1, 10, 1, "[User:Engineer]"},
		{`members pr or displayName eq "Sales"`, 1, 10, 1, "[Group:Sales]"},
	} {
		if total, names := search(tc.filter, tc.start, tc.count); total != tc.total || fmt.Sprint(names) != tc.want {
			t.Errorf("%s from %d, %d: total %d, %v; want %d, %s", tc.filter, tc.start, tc.count, total, names, tc.total, tc.want)
		}
	}
	h.scim(http.MethodPost, "/.search", tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter": `nosuch eq "x"`}).wantSCIMError(http.StatusBadRequest, "invalidFilter")
}

// TestSCIMConcurrentUserPatches: PATCHes of one user that race, each
// changing another attribute, lose none of each other's changes.
func TestSCIMConcurrentUserPatches(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.scimToken(h.admin())
	id := h.scim(http.MethodPost, "/Users", tok, map[string]any{"userName": "racer@example.com"}).want(http.StatusCreated).JSON()["id"].(string)
	attrs := []string{"title", "nickName", "userType", "locale", "timezone", "preferredLanguage"}
	var wg sync.WaitGroup
	for _, attr := range attrs {
		wg.Go(func() {
			h.scim(http.MethodPatch, "/Users/"+id, tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "add", "path": attr, "value": "set-" + attr}}})
		})
	}
	wg.Wait()
	got := h.scim(http.MethodGet, "/Users/"+id, tok, nil).want(http.StatusOK).JSON()
	for _, attr := range attrs {
		if got[attr] != "set-"+attr {
			t.Errorf("%s = %v after racing PATCHes; want it kept", attr, got[attr])
		}
	}
}
