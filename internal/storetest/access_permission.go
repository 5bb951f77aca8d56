package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var permissionTests = []test{
	{"CreateGet", testPermissionCreateGet},
	{"NotFound", testPermissionNotFound},
	{"NameTaken", testPermissionNameTaken},
	{"List", testPermissionList},
	{"Update", testPermissionUpdate},
	{"Delete", testPermissionDelete},
	{"DeleteTakesItOutOfRoles", testPermissionDeleteTakesItOutOfRoles},
}

func testPermissionCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	for _, want := range []*iam.Permission{
		{ID: newID(t), TenantID: tn.ID, Name: "invoices.read", Description: "Read invoices",
			CreatedAt: t0, UpdatedAt: at(time.Second + 999*time.Nanosecond)},
		{ID: newID(t), TenantID: tn.ID, Name: "billing.invoices.export", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
	} {
		must(t, s.CreatePermission(ctx, want), "CreatePermission "+want.Name)
		got, err := s.GetPermission(ctx, tn.ID, want.ID)
		must(t, err, "GetPermission "+want.Name)
		check(t, "GetPermission "+want.Name, got, want)
		got, err = s.GetPermissionByName(ctx, tn.ID, want.Name)
		must(t, err, "GetPermissionByName "+want.Name)
		check(t, "GetPermissionByName "+want.Name, got, want)
	}
}

func testPermissionNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	p := createPermission(t, s, tn.ID, "invoices.read")
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetPermission":       func() error { _, err := s.GetPermission(ctx, tn.ID, unknown); return err },
		"GetPermissionByName": func() error { _, err := s.GetPermissionByName(ctx, tn.ID, "invoices.write"); return err },
		"UpdatePermission": func() error {
			return s.UpdatePermission(ctx, &iam.Permission{ID: unknown, TenantID: tn.ID, Name: "x.y", UpdatedAt: t0})
		},
		"DeletePermission":                  func() error { return s.DeletePermission(ctx, tn.ID, unknown) },
		"GetPermission from another tenant": func() error { _, err := s.GetPermission(ctx, other.ID, p.ID); return err },
		"GetPermissionByName from another tenant": func() error {
			_, err := s.GetPermissionByName(ctx, other.ID, p.Name)
			return err
		},
		"UpdatePermission from another tenant": func() error {
			upd := *p
			upd.TenantID, upd.Description, upd.UpdatedAt = other.ID, "Hijacked", at(time.Hour)
			return s.UpdatePermission(ctx, &upd)
		},
		"DeletePermission from another tenant": func() error { return s.DeletePermission(ctx, other.ID, p.ID) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetPermission(ctx, tn.ID, p.ID)
	must(t, err, "GetPermission")
	check(t, "permission after foreign update and delete", got, p)
	if _, n, err := s.ListPermissions(ctx, other.ID, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 {
		t.Errorf("ListPermissions of the other tenant: total %d, %v; want 0", n, err)
	}
}

func testPermissionNameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createPermission(t, s, a.ID, "invoices.read")
	dup := &iam.Permission{ID: newID(t), TenantID: a.ID, Name: first.Name, CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreatePermission(ctx, dup), iam.CodeNameTaken, "CreatePermission with a taken name")
	_, err := s.GetPermission(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetPermission of the rejected permission")
	got, err := s.GetPermissionByName(ctx, a.ID, first.Name)
	must(t, err, "GetPermissionByName")
	check(t, "holder of the name", got, first)

	// The same name in another tenant is another permission.
	createPermission(t, s, b.ID, first.Name)
}

func testPermissionList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	names := []string{"reports.read", "invoices.read", "billing_x.export", "invoices.write", "audit.view"}
	byName := map[string]*iam.Permission{}
	for i, n := range names {
		p := &iam.Permission{ID: newID(t), TenantID: tn.ID, Name: n, Description: "About " + n,
			CreatedAt: at(time.Duration(i) * time.Minute), UpdatedAt: at(time.Duration(i) * time.Minute)}
		must(t, s.CreatePermission(ctx, p), "CreatePermission "+n)
		byName[n] = p
	}
	createPermission(t, s, other.ID, "invoices.read")
	createPermission(t, s, other.ID, "invoices.delete")
	idsOf := func(ns ...string) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, byName[n].ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		p     iam.ListParams
		want  []string
		total int
	}{
		{"created asc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "created_at"},
			idsOf("reports.read", "invoices.read", "billing_x.export", "invoices.write", "audit.view"), 5},
		{"created desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "created_at", Desc: true},
			idsOf("audit.view", "invoices.write", "billing_x.export", "invoices.read", "reports.read"), 5},
		{"name asc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"},
			idsOf("audit.view", "billing_x.export", "invoices.read", "invoices.write", "reports.read"), 5},
		{"name desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Desc: true},
			idsOf("reports.read", "invoices.write", "invoices.read", "billing_x.export", "audit.view"), 5},
		{"search any case", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "INVOICES"},
			idsOf("invoices.read", "invoices.write"), 2},
		{"search suffix", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: ".read"},
			idsOf("invoices.read", "reports.read"), 2},
		{"search underscore literally", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "_"},
			idsOf("billing_x.export"), 1},
		{"search percent literally", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "%"}, idsOf(), 0},
		{"search another tenant's name", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "delete"}, idsOf(), 0},
		{"first page", iam.ListParams{Page: 1, Limit: 2, OrderBy: "name"}, idsOf("audit.view", "billing_x.export"), 5},
		{"last page", iam.ListParams{Page: 3, Limit: 2, OrderBy: "name"}, idsOf("reports.read"), 5},
		{"past the end", iam.ListParams{Page: 4, Limit: 2, OrderBy: "name"}, idsOf(), 5},
		{"page of descending", iam.ListParams{Page: 2, Limit: 2, OrderBy: "created_at", Desc: true},
			idsOf("billing_x.export", "invoices.read"), 5},
		{"page of search", iam.ListParams{Page: 2, Limit: 1, OrderBy: "name", Search: "invoices"}, idsOf("invoices.write"), 2},
	} {
		got, total, err := s.ListPermissions(ctx, tn.ID, tc.p)
		if !listed(t, tc.name+": ListPermissions", got, total, err, permissionID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			if want, ok := byName[got[i].Name]; ok {
				check(t, tc.name+": listed permission", &got[i], want)
			}
		}
	}
}

func permissionNames(ps []iam.Permission) []string {
	return ids(ps, func(p iam.Permission) string { return p.Name })
}

func testPermissionUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	p := createPermission(t, s, tn.ID, "invoices.read")
	bystander := createPermission(t, s, tn.ID, "invoices.write")

	upd := *p
	upd.Description, upd.UpdatedAt = "Read every invoice", at(time.Hour)
	must(t, s.UpdatePermission(ctx, &upd), "UpdatePermission")
	got, err := s.GetPermission(ctx, tn.ID, p.ID)
	must(t, err, "GetPermission")
	check(t, "permission after update", got, &upd)
	got, err = s.GetPermissionByName(ctx, tn.ID, p.Name)
	must(t, err, "GetPermissionByName")
	check(t, "permission by name after update", got, &upd)

	upd.Description, upd.UpdatedAt = "", at(2*time.Hour)
	must(t, s.UpdatePermission(ctx, &upd), "UpdatePermission clearing the description")
	got, err = s.GetPermission(ctx, tn.ID, p.ID)
	must(t, err, "GetPermission")
	check(t, "permission after clearing the description", got, &upd)

	got, err = s.GetPermission(ctx, tn.ID, bystander.ID)
	must(t, err, "GetPermission of the other permission")
	check(t, "other permission", got, bystander)
}

func testPermissionDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	gone := createPermission(t, s, tn.ID, "invoices.read")
	kept := createPermission(t, s, tn.ID, "invoices.write")

	must(t, s.DeletePermission(ctx, tn.ID, gone.ID), "DeletePermission")
	_, err := s.GetPermission(ctx, tn.ID, gone.ID)
	wantCode(t, err, iam.CodeNotFound, "GetPermission after delete")
	_, err = s.GetPermissionByName(ctx, tn.ID, gone.Name)
	wantCode(t, err, iam.CodeNotFound, "GetPermissionByName after delete")
	wantCode(t, s.DeletePermission(ctx, tn.ID, gone.ID), iam.CodeNotFound, "DeletePermission again")

	got, err := s.GetPermission(ctx, tn.ID, kept.ID)
	must(t, err, "GetPermission of the other permission")
	check(t, "other permission", got, kept)
	list, total, err := s.ListPermissions(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"})
	if err != nil || total != 1 || !wantIDs(ids(list, permissionID), []string{kept.ID}) {
		t.Errorf("ListPermissions after delete = %v, total %d, %v; want %s only", permissionNames(list), total, err, kept.Name)
	}
	createPermission(t, s, tn.ID, gone.Name) // the name is free again
}

func testPermissionDeleteTakesItOutOfRoles(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	read := createPermission(t, s, tn.ID, "invoices.read")
	createPermission(t, s, tn.ID, "invoices.write")
	all := createAccessRole(t, s, tn.ID, "", "Clerk", "invoices.*", "invoices.read", "invoices.write")
	only := createAccessRole(t, s, tn.ID, org.ID, "Reader", "invoices.read")
	unrelated := createAccessRole(t, s, tn.ID, "", "Reporter", "reports.read", "invoices.reader")
	// Another tenant defines the same name and uses it.
	otherRead := createPermission(t, s, other.ID, "invoices.read")
	otherRole := createAccessRole(t, s, other.ID, "", "Clerk", "invoices.read", "invoices.write")

	must(t, s.DeletePermission(ctx, tn.ID, read.ID), "DeletePermission")

	wantAll, wantOnly := *all, *only
	wantAll.Permissions, wantOnly.Permissions = []string{"invoices.*", "invoices.write"}, []string{}
	for _, want := range []*iam.Role{&wantAll, &wantOnly, unrelated} {
		got, err := s.GetRole(ctx, tn.ID, want.ID)
		must(t, err, "GetRole "+want.Name)
		check(t, "role "+want.Name+" after DeletePermission", got, want)
	}
	got, err := s.GetRole(ctx, other.ID, otherRole.ID)
	must(t, err, "GetRole in the other tenant")
	check(t, "other tenant's role", got, otherRole)
	gotPerm, err := s.GetPermission(ctx, other.ID, otherRead.ID)
	must(t, err, "GetPermission in the other tenant")
	check(t, "other tenant's permission", gotPerm, otherRead)
	roles, _, err := s.ListRoles(ctx, tn.ID, iam.RoleQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"}})
	must(t, err, "ListRoles")
	check(t, "roles listed after DeletePermission", roles, []iam.Role{wantAll, wantOnly, *unrelated})
}
