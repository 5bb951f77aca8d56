package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

type userPage struct {
	Data  []map[string]any `json:"data"`
	Total int              `json:"total"`
	Page  int              `json:"page"`
	Limit int              `json:"limit"`
}

func TestUserLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	u := h.post("/api/v1/users", admin, map[string]any{"email": "Alice@Example.COM", "name": "Alice", "password": "Kq-6ae44-507a8",
		"external_id": "crm-1", "email_verified": true}).want(http.StatusCreated).JSON()
	id := u["id"].(string)
	if u["email"] != "alice@example.com" || u["status"] != "active" || u["external_id"] != "crm-1" || u["email_verified"] != true {
		t.Fatalf("created %v", u)
	}
	if len(id) != 36 || id[14] != '7' {
		t.Fatalf("id %q is not a UUIDv7", id)
	}
	if _, err := time.Parse(time.RFC3339, u["created_at"].(string)); err != nil {
		t.Fatalf("created_at: %v", err)
	}
	got := h.get("/api/v1/users/"+id, admin).want(http.StatusOK).JSON()
	if got["created_at"] != u["created_at"] {
		t.Fatalf("created_at changed between create (%v) and get (%v)", u["created_at"], got["created_at"])
	}

	h.post("/api/v1/users", admin, map[string]any{"email": "ALICE@example.com", "name": "Other"}).wantError(http.StatusConflict, "email_taken")
	h.post("/api/v1/users", admin, map[string]any{"email": "bob@example.com", "name": "Bob", "external_id": "crm-1"}).wantError(http.StatusConflict, "external_id_taken")
	bob := h.post("/api/v1/users", admin, map[string]any{"email": "bob@example.com", "name": "Bob"}).want(http.StatusCreated).JSON()
	h.patch("/api/v1/users/"+bob["id"].(string), admin, map[string]any{"email": "alice@EXAMPLE.com"}).wantError(http.StatusConflict, "email_taken")

	alice := h.login("alice@example.com", "Kq-6ae44-507a8").AccessToken
	h.get("/api/v1/me", alice).want(http.StatusOK)
	patched := h.patch("/api/v1/users/"+id, admin, map[string]any{"name": "Alice A.", "external_id": ""}).want(http.StatusOK).JSON()
	if patched["name"] != "Alice A." || patched["external_id"] != nil || patched["email"] != "alice@example.com" {
		t.Fatalf("patched %v", patched)
	}
	if me := h.get("/api/v1/me", alice).want(http.StatusOK).JSON(); me["name"] != "Alice A." {
		t.Fatalf("/me after the change still shows %v", me["name"])
	}
	h.post("/api/v1/users/"+id+"/disable", admin, nil).want(http.StatusOK)
	h.get("/api/v1/me", alice).wantError(http.StatusUnauthorized, "invalid_token")
	h.post("/api/v1/auth/login", "", map[string]any{"email": "alice@example.com", "password": "Kq-6ae44-507a8"}).wantError(http.StatusUnauthorized, "invalid_credentials")
	h.post("/api/v1/users/"+id+"/enable", admin, nil).want(http.StatusOK)
	alice = h.login("alice@example.com", "Kq-6ae44-507a8").AccessToken

	h.delete("/api/v1/users/"+id, admin).want(http.StatusNoContent)
	h.get("/api/v1/users/"+id, admin).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/me", alice).wantError(http.StatusUnauthorized, "invalid_token")
	h.delete("/api/v1/users/"+id, admin).wantError(http.StatusNotFound, "not_found")

	var actions []string
	for _, e := range h.auditEvents(admin, "target_id="+id) {
		actions = append(actions, e["action"].(string))
	}
	want := []string{"user.deleted", "auth.login.succeeded", "user.enabled", "auth.login.failed", "user.disabled", "user.updated", "auth.login.succeeded", "user.created"}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Fatalf("audit trail of the user:\n got %v\nwant %v", actions, want)
	}
}

func TestListUsers(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	names := []string{"Carol", "dave", "Erin", "frank_x", "Grace%"}
	for _, n := range names {
		h.post("/api/v1/users", admin, map[string]any{"email": n[:4] + "@list.test", "name": n}).want(http.StatusCreated)
	}
	list := func(query string) userPage {
		t.Helper()
		var p userPage
		h.get("/api/v1/users?"+query, admin).want(http.StatusOK).Decode(&p)
		return p
	}
	emails := func(p userPage) []string {
		var out []string
		for _, u := range p.Data {
			out = append(out, u["email"].(string))
		}
		return out
	}
	if p := list(""); p.Total != 6 || p.Page != 1 || p.Limit != 20 || len(p.Data) != 6 {
		t.Fatalf("default page: %+v", p)
	}
	if got := emails(list("search=LIST.TEST&order_by=-email")); fmt.Sprint(got) != "[grac@list.test fran@list.test erin@list.test dave@list.test caro@list.test]" {
		t.Fatalf("search+order: %v", got)
	}
	if got := emails(list("search=" + url.QueryEscape("_x"))); fmt.Sprint(got) != "[fran@list.test]" {
		t.Fatalf("underscore must match literally: %v", got)
	}
	if got := emails(list("search=" + url.QueryEscape("%"))); fmt.Sprint(got) != "[grac@list.test]" {
		t.Fatalf("percent must match literally: %v", got)
	}
	p := list("order_by=name&limit=2&page=2&search=list")
	if p.Total != 5 || fmt.Sprint(emails(p)) != "[erin@list.test fran@list.test]" { // carol, dave | erin, frank_x | grace%
		t.Fatalf("page 2 by name: %+v", p)
	}
	if p := list("limit=2&page=9"); p.Total != 6 || len(p.Data) != 0 {
		t.Fatalf("beyond the end: %+v", p)
	}
	id := list("search=dave").Data[0]["id"].(string)
	h.post("/api/v1/users/"+id+"/disable", admin, nil).want(http.StatusOK)
	if got := emails(list("status=disabled")); fmt.Sprint(got) != "[dave@list.test]" {
		t.Fatalf("status filter: %v", got)
	}
	if p := list("status=active"); p.Total != 5 {
		t.Fatalf("active: %d", p.Total)
	}
}

func TestAuditLogFilters(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	me := h.get("/api/v1/me", admin).want(http.StatusOK).JSON()
	h.createUser(admin, "one@example.com", "Kq-e7de5-60a5b")
	h.clock.Advance(time.Hour)
	cut := h.clock.Now()
	admin = h.admin()
	h.createUser(admin, "two@example.com", "Kq-dc3d2-3f3ae")

	created := h.auditEvents(admin, "action=user.created")
	if len(created) != 2 || created[0]["details"].(map[string]any)["email"] != "two@example.com" {
		t.Fatalf("newest first: %v", created)
	}
	if e := h.auditEvents(admin, "action=user.created&from="+url.QueryEscape(cut.Format(time.RFC3339Nano))); len(e) != 1 {
		t.Fatalf("from filter: %d events", len(e))
	}
	if e := h.auditEvents(admin, "action=user.created&to="+url.QueryEscape(cut.Format(time.RFC3339Nano))); len(e) != 1 {
		t.Fatalf("to filter: %d events", len(e))
	}
	for _, e := range h.auditEvents(admin, "actor_id="+me["id"].(string)) {
		if e["actor"].(map[string]any)["id"] != me["id"] {
			t.Fatalf("actor filter leaked %v", e)
		}
	}
	var p userPage
	h.get("/api/v1/audit-logs?limit=1&page=2", admin).want(http.StatusOK).Decode(&p)
	if len(p.Data) != 1 || p.Total < 4 {
		t.Fatalf("paging: %+v", p)
	}
	h.get("/api/v1/audit-logs?from=yesterday", admin).wantError(http.StatusBadRequest, "invalid_request")
}
