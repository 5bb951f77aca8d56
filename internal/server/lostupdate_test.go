package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestDisablingWhileRenamingLosesNeither has one admin disable 30 users while
// another renames them, all at once: every user ends disabled and renamed.
// Before row locks, PostgreSQL left a third of them active.
func TestDisablingWhileRenamingLosesNeither(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/admins", admin, map[string]any{"email": "second@example.com", "name": "Second", "password": "Kq-c5330-b1344",
		"admin_roles": []string{"superadmin"}}).want(http.StatusCreated)
	second := h.login("second@example.com", "Kq-c5330-b1344").AccessToken
	const users = 30
	ids := make([]string, users)
	for i := range ids {
		ids[i] = h.createUser(admin, fmt.Sprintf("racer%d@example.com", i), "")
	}
	var wg sync.WaitGroup
	statuses := make([]int, 2*users)
	for i, id := range ids {
		wg.Go(func() { statuses[2*i] = h.post("/api/v1/users/"+id+"/disable", admin, nil).Status })
		wg.Go(func() {
			statuses[2*i+1] = h.patch("/api/v1/users/"+id, second, map[string]any{"name": fmt.Sprintf("Renamed %d", i)}).Status
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("change %d answered %d", i, s)
		}
	}
	for i, id := range ids {
		u := h.get("/api/v1/users/"+id, admin).want(http.StatusOK).JSON()
		if u["status"] != "disabled" || u["name"] != fmt.Sprintf("Renamed %d", i) {
			t.Errorf("user %d after disable and rename: status %v, name %v", i, u["status"], u["name"])
		}
	}
}

// TestRolePatchesOfDifferentFieldsBothApply sends two PATCHes to different
// fields of one role at once, 30 times: both fields change every time. Before
// row locks, PostgreSQL lost one of them in 29 of 30 runs.
func TestRolePatchesOfDifferentFieldsBothApply(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	for run := range 30 {
		var role struct {
			ID string `json:"id"`
		}
		h.post("/api/v1/roles", admin, map[string]any{"name": fmt.Sprintf("role %d", run), "permissions": []string{}}).want(http.StatusCreated).Decode(&role)
		var wg sync.WaitGroup
		var renamed, described int
		wg.Go(func() { renamed = h.patch("/api/v1/roles/"+role.ID, admin, map[string]any{"name": "renamed"}).Status })
		wg.Go(func() {
			described = h.patch("/api/v1/roles/"+role.ID, admin, map[string]any{"description": "described"}).Status
		})
		wg.Wait()
		if renamed != http.StatusOK || described != http.StatusOK {
			t.Fatalf("run %d: PATCHes answered %d and %d", run, renamed, described)
		}
		got := h.get("/api/v1/roles/"+role.ID, admin).want(http.StatusOK).JSON()
		if got["name"] != "renamed" || got["description"] != "described" {
			t.Fatalf("run %d: a PATCH was lost: %v", run, got)
		}
		h.delete("/api/v1/roles/"+role.ID, admin).want(http.StatusNoContent)
	}
}

// ifMatch sends method to path with an If-Match header.
func (h *harness) ifMatch(method, path, token, etag string, body any) *response {
	h.t.Helper()
	return h.send(request{method: method, path: path, token: token, body: body, header: map[string]string{"If-Match": etag}})
}

// etagOf returns the response's ETag, failing the test without one.
func etagOf(t *testing.T, r *response) string {
	t.Helper()
	tag := r.Header.Get("ETag")
	if tag == "" {
		t.Fatalf("no ETag in the answer: %v", r.Header)
	}
	return tag
}

// TestIfMatch checks optimistic concurrency on every single resource: GET
// answers an ETag; PATCH and DELETE with a stale one answer 412
// precondition_failed and change nothing; with the current one, or *, they
// proceed; without If-Match they proceed as before.
func TestIfMatch(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = tnSystemHost
	admin := h.admin()
	for _, tc := range []struct {
		kind   string
		create map[string]any
		field  string // a field PATCH changes
	}{
		{"users", map[string]any{"email": "etag@example.com", "name": "E"}, "name"},
		{"admin-roles", map[string]any{"name": "etag", "permissions": []string{"users.read"}}, "description"},
		{"permissions", map[string]any{"name": "etag.read"}, "description"},
		{"roles", map[string]any{"name": "etag", "permissions": []string{}}, "description"},
		{"organizations", map[string]any{"name": "Etag", "alias": "etag"}, "name"},
		{"groups", map[string]any{"name": "etag"}, "description"},
		{"tenants", map[string]any{"name": "Etag", "hostnames": []string{"etag.example.com"},
			"admin": map[string]any{"email": "boss@etag.example.com", "password": "Kq-d040e-001e1", "name": "Boss"}}, "name"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			h := biFor(h, t)
			set := func(v string) map[string]any { return map[string]any{tc.field: v} }
			created := h.post("/api/v1/"+tc.kind, admin, tc.create).want(http.StatusCreated)
			path := "/api/v1/" + tc.kind + "/" + created.JSON()["id"].(string)
			first := etagOf(t, h.get(path, admin).want(http.StatusOK))
			if tag := etagOf(t, created); tag != first {
				t.Errorf("ETag on create %s, on GET %s", tag, first)
			}

			second := etagOf(t, h.ifMatch(http.MethodPatch, path, admin, first, set("changed")).want(http.StatusOK))
			if second == first {
				t.Fatalf("ETag %s did not change with the PATCH", first)
			}
			if tag := etagOf(t, h.get(path, admin)); tag != second {
				t.Errorf("GET after PATCH answered ETag %s, the PATCH %s", tag, second)
			}
			for _, stale := range []string{first, `W/` + second, `"garbage"`} {
				h.ifMatch(http.MethodPatch, path, admin, stale, set("lost")).wantError(http.StatusPreconditionFailed, "precondition_failed")
				h.ifMatch(http.MethodDelete, path, admin, stale, nil).wantError(http.StatusPreconditionFailed, "precondition_failed")
			}
			after := h.get(path, admin).want(http.StatusOK)
			if etagOf(t, after) != second || after.JSON()[tc.field] != "changed" {
				t.Errorf("refused changes changed the resource: %s", after.Body)
			}

			third := etagOf(t, h.ifMatch(http.MethodPatch, path, admin, "*", set("any")).want(http.StatusOK))
			fourth := etagOf(t, h.patch(path, admin, set("unconditional")).want(http.StatusOK))
			h.ifMatch(http.MethodDelete, path, admin, third, nil).wantError(http.StatusPreconditionFailed, "precondition_failed")
			h.ifMatch(http.MethodDelete, path, admin, `"0", `+fourth, nil).want(http.StatusNoContent)
			h.get(path, admin).want(http.StatusNotFound)
		})
	}

	t.Run("admins", func(t *testing.T) {
		h := biFor(h, t)
		created := h.post("/api/v1/admins", admin, map[string]any{"email": "etag-admin@example.com", "name": "A", "password": "Kq-c5330-b1344",
			"admin_roles": []string{"superadmin"}}).want(http.StatusCreated)
		id := created.JSON()["id"].(string)
		first := etagOf(t, created)
		if tag := etagOf(t, h.get("/api/v1/admins/"+id, admin).want(http.StatusOK)); tag != first {
			t.Errorf("ETag on create %s, on GET %s", first, tag)
		}
		if tag := etagOf(t, h.get("/api/v1/users/"+id, admin)); tag != first {
			t.Errorf("admin's ETag %s, its user's %s", first, tag)
		}
		second := etagOf(t, h.ifMatch(http.MethodPatch, "/api/v1/admins/"+id, admin, first,
			map[string]any{"admin_roles": []string{"superadmin"}}).want(http.StatusOK))
		h.ifMatch(http.MethodPatch, "/api/v1/admins/"+id, admin, first, map[string]any{"admin_roles": []string{}}).
			wantError(http.StatusPreconditionFailed, "precondition_failed")
		h.ifMatch(http.MethodDelete, "/api/v1/admins/"+id, admin, first, nil).wantError(http.StatusPreconditionFailed, "precondition_failed")
		h.ifMatch(http.MethodDelete, "/api/v1/admins/"+id, admin, second, nil).want(http.StatusNoContent)
		h.get("/api/v1/admins/"+id, admin).wantError(http.StatusNotFound, "not_found")
	})

	t.Run("settings", func(t *testing.T) {
		h := biFor(h, t)
		first := etagOf(t, h.get("/api/v1/settings", admin).want(http.StatusOK))
		patch := map[string]any{"lockout": map[string]any{"max_attempts": 7}}
		second := etagOf(t, h.ifMatch(http.MethodPatch, "/api/v1/settings", admin, first, patch).want(http.StatusOK))
		if second == first {
			t.Fatalf("settings ETag %s did not change with the PATCH", first)
		}
		h.ifMatch(http.MethodPatch, "/api/v1/settings", admin, first, map[string]any{"lockout": map[string]any{"max_attempts": 3}}).
			wantError(http.StatusPreconditionFailed, "precondition_failed")
		st := h.get("/api/v1/settings", admin)
		if etagOf(t, st) != second || st.JSON()["lockout"].(map[string]any)["max_attempts"].(float64) != 7 {
			t.Fatalf("a refused patch changed the settings: %s", st.Body)
		}
	})
}

// TestRoleNeverKeepsADeletedPermission gives a role a permission while
// another admin deletes that permission, 30 times: either the role update
// sees the permission gone (400) or the deletion takes it out of the role
// again. Before, PostgreSQL let the role keep the deleted name, which the
// check API then granted.
func TestRoleNeverKeepsADeletedPermission(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	var role struct {
		ID string `json:"id"`
	}
	h.post("/api/v1/roles", admin, map[string]any{"name": "racer", "permissions": []string{}}).want(http.StatusCreated).Decode(&role)
	for run := range 30 {
		name := fmt.Sprintf("race.p%d", run)
		var perm struct {
			ID string `json:"id"`
		}
		h.post("/api/v1/permissions", admin, map[string]any{"name": name}).want(http.StatusCreated).Decode(&perm)
		var wg sync.WaitGroup
		var granted, deleted int
		wg.Go(func() {
			granted = h.patch("/api/v1/roles/"+role.ID, admin, map[string]any{"permissions": []string{name}}).Status
		})
		wg.Go(func() { deleted = h.delete("/api/v1/permissions/"+perm.ID, admin).Status })
		wg.Wait()
		if deleted != http.StatusNoContent || (granted != http.StatusOK && granted != http.StatusBadRequest) {
			t.Fatalf("run %d: grant answered %d, delete %d", run, granted, deleted)
		}
		var got struct {
			Permissions []string `json:"permissions"`
		}
		h.get("/api/v1/roles/"+role.ID, admin).want(http.StatusOK).Decode(&got)
		for _, p := range got.Permissions {
			if p == name {
				t.Fatalf("run %d: the role holds %s after it was deleted", run, name)
			}
		}
	}
}

// TestIfMatchOnResourcesWithoutETag: a membership has no ETag, so an If-Match
// naming a tag cannot hold (RFC 9110 §13.1.1) and the change is refused with
// 412 rather than made as if unconditional; * and no header change it.
func TestIfMatchOnResourcesWithoutETag(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	user := h.createUser(admin, "member@example.com", "")
	var org, group struct {
		ID string `json:"id"`
	}
	h.post("/api/v1/organizations", admin, map[string]any{"name": "Acme", "alias": "acme"}).want(http.StatusCreated).Decode(&org)
	h.post("/api/v1/groups", admin, map[string]any{"name": "Staff"}).want(http.StatusCreated).Decode(&group)
	member := "/api/v1/organizations/" + org.ID + "/members/" + user
	groupMember := "/api/v1/groups/" + group.ID + "/members/" + user

	h.ifMatch(http.MethodPut, member, admin, `"1"`, map[string]any{"roles": []string{}}).wantError(http.StatusPreconditionFailed, "precondition_failed")
	h.ifMatch(http.MethodPut, groupMember, admin, `"1"`, nil).wantError(http.StatusPreconditionFailed, "precondition_failed")
	if n := h.get("/api/v1/organizations/"+org.ID+"/members", admin).want(http.StatusOK).JSON()["total"]; n != 0.0 {
		t.Fatalf("a refused PUT made a membership: total %v", n)
	}
	if n := h.get("/api/v1/groups/"+group.ID+"/members", admin).want(http.StatusOK).JSON()["total"]; n != 0.0 {
		t.Fatalf("a refused PUT put the user in the group: total %v", n)
	}
	h.ifMatch(http.MethodPut, member, admin, "*", map[string]any{"roles": []string{}}).want(http.StatusOK)
	h.ifMatch(http.MethodPut, groupMember, admin, "*", nil).want(http.StatusNoContent)
	h.ifMatch(http.MethodDelete, member, admin, `"1"`, nil).wantError(http.StatusPreconditionFailed, "precondition_failed")
	h.delete(member, admin).want(http.StatusNoContent)
}
