package storetest

import (
	"cmp"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var accessRoleTests = []test{
	{"CreateGet", testAccessRoleCreateGet},
	{"NotFound", testAccessRoleNotFound},
	{"NameTaken", testAccessRoleNameTaken},
	{"List", testAccessRoleList},
	{"ListNonASCII", testAccessRoleListNonASCII},
	{"Update", testAccessRoleUpdate},
	{"UpdateIsAtomic", testAccessRoleUpdateIsAtomic},
	{"Delete", testAccessRoleDelete},
	{"UserRoles", testUserRoles},
}

func testAccessRoleCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	for _, tc := range []struct {
		role  *iam.Role
		perms []string // as the store answers them
	}{
		{&iam.Role{ID: newID(t), TenantID: tn.ID, Name: "Viewer", Description: "Reads",
			Permissions: []string{"invoices.read", "reports.read"}, CreatedAt: t0, UpdatedAt: at(time.Second + 999*time.Nanosecond)},
			[]string{"invoices.read", "reports.read"}},
		{&iam.Role{ID: newID(t), TenantID: tn.ID, OrganizationID: org.ID, Name: "Owner", Description: "Runs Acme",
			Permissions: []string{"reports.read", "invoices.write", "invoices.*", "audit.read"}, CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
			[]string{"audit.read", "invoices.*", "invoices.write", "reports.read"}},
		{&iam.Role{ID: newID(t), TenantID: tn.ID, Name: "Nothing yet", CreatedAt: t0, UpdatedAt: t0}, nil},
		{&iam.Role{ID: newID(t), TenantID: tn.ID, OrganizationID: org.ID, Name: "Empty list", Permissions: []string{},
			CreatedAt: t0, UpdatedAt: t0}, nil},
	} {
		must(t, s.CreateRole(ctx, tc.role), "CreateRole "+tc.role.Name)
		want := *tc.role
		want.Permissions = tc.perms
		got, err := s.GetRole(ctx, tn.ID, want.ID)
		must(t, err, "GetRole "+want.Name)
		check(t, "GetRole "+want.Name, got, &want)
	}
}

func testAccessRoleNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	r := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read")
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetRole":    func() error { _, err := s.GetRole(ctx, tn.ID, unknown); return err },
		"DeleteRole": func() error { return s.DeleteRole(ctx, tn.ID, unknown) },
		"UpdateRole": func() error {
			return s.UpdateRole(ctx, &iam.Role{ID: unknown, TenantID: tn.ID, Name: "X", Permissions: []string{"x.y"}, UpdatedAt: t0})
		},
		"CreateRole in an unknown organization": func() error {
			return s.CreateRole(ctx, &iam.Role{ID: newID(t), TenantID: tn.ID, OrganizationID: unknown, Name: "Lost",
				Permissions: []string{"x.y"}, CreatedAt: t0, UpdatedAt: t0})
		},
		"GetRole from another tenant":    func() error { _, err := s.GetRole(ctx, other.ID, r.ID); return err },
		"DeleteRole from another tenant": func() error { return s.DeleteRole(ctx, other.ID, r.ID) },
		"UpdateRole from another tenant": func() error {
			upd := *r
			upd.TenantID, upd.Name, upd.Permissions, upd.UpdatedAt = other.ID, "Hijacked", []string{"*"}, at(time.Hour)
			return s.UpdateRole(ctx, &upd)
		},
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetRole(ctx, tn.ID, r.ID)
	must(t, err, "GetRole")
	check(t, "role after foreign update and delete", got, r)
	if _, n, err := s.ListRoles(ctx, other.ID, iam.RoleQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListRoles of the other tenant: total %d, %v; want 0", n, err)
	}
	if _, n, err := s.ListRoles(ctx, tn.ID, iam.RoleQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 1 {
		t.Errorf("ListRoles after the rejected creation: total %d, %v; want 1", n, err)
	}
}

// testAccessRoleNameTaken checks that a name is unique among the tenant's
// templates and among each organization's own roles, not across them.
func testAccessRoleNameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a, b := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "beta")
	tmpl := createAccessRole(t, s, tn.ID, "", "Editor", "invoices.write")
	inA := createAccessRole(t, s, tn.ID, a.ID, "Editor", "orgs.manage")
	inB := createAccessRole(t, s, tn.ID, b.ID, "Editor")
	createAccessRole(t, s, other.ID, "", "Editor")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read")
	ownerA := createAccessRole(t, s, tn.ID, a.ID, "Owner", "orgs.manage")
	staffB := createAccessRole(t, s, tn.ID, b.ID, "Staff")

	for _, tc := range []struct {
		name string
		org  string
	}{
		{"CreateRole with a taken template name", ""},
		{"CreateRole with a name taken in the organization", a.ID},
	} {
		dup := &iam.Role{ID: newID(t), TenantID: tn.ID, OrganizationID: tc.org, Name: "Editor", Permissions: []string{"x.y"},
			CreatedAt: t0, UpdatedAt: t0}
		wantCode(t, s.CreateRole(ctx, dup), iam.CodeNameTaken, tc.name)
		_, err := s.GetRole(ctx, tn.ID, dup.ID)
		wantCode(t, err, iam.CodeNotFound, tc.name+": GetRole of the rejected role")
	}
	for _, tc := range []struct {
		name string
		role *iam.Role
	}{
		{"UpdateRole of a template to a taken template name", viewer},
		{"UpdateRole of an organization's role to a name taken there", ownerA},
	} {
		upd := *tc.role
		upd.Name, upd.Permissions, upd.UpdatedAt = "Editor", []string{"*"}, at(time.Hour)
		wantCode(t, s.UpdateRole(ctx, &upd), iam.CodeNameTaken, tc.name)
		got, err := s.GetRole(ctx, tn.ID, tc.role.ID)
		must(t, err, "GetRole")
		check(t, tc.name+": role after the rejected update", got, tc.role)
	}

	// A name taken only in another organization or among templates is free.
	upd := *staffB
	upd.Name, upd.UpdatedAt = "Owner", at(time.Hour)
	must(t, s.UpdateRole(ctx, &upd), "UpdateRole to a name taken in another organization")
	upd.Name = "Viewer"
	must(t, s.UpdateRole(ctx, &upd), "UpdateRole to a template's name")
	staffB = &upd

	for _, tc := range []struct {
		name string
		q    iam.RoleQuery
		want []iam.Role
	}{
		{"templates", iam.RoleQuery{TemplatesOnly: true}, []iam.Role{*tmpl, *viewer}},
		{"organization A", iam.RoleQuery{OrganizationID: a.ID}, []iam.Role{*inA, *ownerA}},
		{"organization B", iam.RoleQuery{OrganizationID: b.ID}, []iam.Role{*inB, *staffB}},
	} {
		tc.q.ListParams = iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"}
		got, _, err := s.ListRoles(ctx, tn.ID, tc.q)
		must(t, err, "ListRoles "+tc.name)
		check(t, "ListRoles "+tc.name, got, tc.want)
	}
}

func testAccessRoleList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a, b := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "beta")
	// Created in this order, one minute apart.
	fixtures := []struct {
		name  string
		org   string
		perms []string
	}{
		{"Viewer", "", []string{"reports.read"}},
		{"approver", "", nil},
		{"Owner", a.ID, []string{"orgs.manage"}},
		{"Billing Admin", b.ID, []string{"billing.*"}},
		{"Editor", "", []string{"invoices.*", "invoices.read"}},
		{"Member", a.ID, nil},
	}
	byName := map[string]*iam.Role{}
	for i, f := range fixtures {
		r := &iam.Role{ID: newID(t), TenantID: tn.ID, OrganizationID: f.org, Name: f.name, Permissions: f.perms,
			CreatedAt: at(time.Duration(i) * time.Minute), UpdatedAt: at(time.Duration(i) * time.Minute)}
		must(t, s.CreateRole(ctx, r), "CreateRole "+f.name)
		byName[f.name] = r
	}
	oo := createOrg(t, s, other.ID, "acme")
	createAccessRole(t, s, other.ID, "", "Viewer", "reports.read")
	createAccessRole(t, s, other.ID, oo.ID, "Owner")
	idsOf := func(ns ...string) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, byName[n].ID)
		}
		return out
	}
	all := func(p iam.ListParams) iam.RoleQuery {
		p.Page, p.Limit = max(p.Page, 1), cmp.Or(p.Limit, 10)
		return iam.RoleQuery{ListParams: p}
	}
	templates := func(p iam.ListParams) iam.RoleQuery { q := all(p); q.TemplatesOnly = true; return q }
	inOrg := func(org string, p iam.ListParams) iam.RoleQuery { q := all(p); q.OrganizationID = org; return q }
	for _, tc := range []struct {
		name  string
		q     iam.RoleQuery
		want  []string
		total int
	}{
		{"created asc", all(iam.ListParams{OrderBy: "created_at"}),
			idsOf("Viewer", "approver", "Owner", "Billing Admin", "Editor", "Member"), 6},
		{"created desc", all(iam.ListParams{OrderBy: "created_at", Desc: true}),
			idsOf("Member", "Editor", "Billing Admin", "Owner", "approver", "Viewer"), 6},
		{"name asc, any case", all(iam.ListParams{OrderBy: "name"}),
			idsOf("approver", "Billing Admin", "Editor", "Member", "Owner", "Viewer"), 6},
		{"name desc", all(iam.ListParams{OrderBy: "name", Desc: true}),
			idsOf("Viewer", "Owner", "Member", "Editor", "Billing Admin", "approver"), 6},
		{"templates by creation", templates(iam.ListParams{OrderBy: "created_at"}), idsOf("Viewer", "approver", "Editor"), 3},
		{"templates by name", templates(iam.ListParams{OrderBy: "name"}), idsOf("approver", "Editor", "Viewer"), 3},
		{"templates by name desc", templates(iam.ListParams{OrderBy: "name", Desc: true}), idsOf("Viewer", "Editor", "approver"), 3},
		{"organization by creation", inOrg(a.ID, iam.ListParams{OrderBy: "created_at"}), idsOf("Owner", "Member"), 2},
		{"organization by name", inOrg(a.ID, iam.ListParams{OrderBy: "name"}), idsOf("Member", "Owner"), 2},
		{"other organization", inOrg(b.ID, iam.ListParams{OrderBy: "name"}), idsOf("Billing Admin"), 1},
		{"unknown organization", inOrg(newID(t), iam.ListParams{OrderBy: "name"}), idsOf(), 0},
		{"another tenant's organization", inOrg(oo.ID, iam.ListParams{OrderBy: "name"}), idsOf(), 0},
		{"search any case", all(iam.ListParams{OrderBy: "name", Search: "ER"}), idsOf("approver", "Member", "Owner", "Viewer"), 4},
		{"search templates", templates(iam.ListParams{OrderBy: "name", Search: "er"}), idsOf("approver", "Viewer"), 2},
		{"search organization", inOrg(a.ID, iam.ListParams{OrderBy: "name", Search: "er"}), idsOf("Member", "Owner"), 2},
		{"search with a space", all(iam.ListParams{OrderBy: "name", Search: "g a"}), idsOf("Billing Admin"), 1},
		{"search percent literally", all(iam.ListParams{OrderBy: "name", Search: "%"}), idsOf(), 0},
		{"search underscore literally", all(iam.ListParams{OrderBy: "name", Search: "_"}), idsOf(), 0},
		{"second page", all(iam.ListParams{OrderBy: "name", Limit: 4, Page: 2}), idsOf("Owner", "Viewer"), 6},
		{"past the end", all(iam.ListParams{OrderBy: "name", Limit: 4, Page: 3}), idsOf(), 6},
		{"page of descending", all(iam.ListParams{OrderBy: "created_at", Desc: true, Limit: 2, Page: 2}), idsOf("Billing Admin", "Owner"), 6},
		{"page of templates", templates(iam.ListParams{OrderBy: "name", Limit: 2, Page: 2}), idsOf("Viewer"), 3},
		{"page of search", all(iam.ListParams{OrderBy: "name", Search: "er", Limit: 3, Page: 2}), idsOf("Viewer"), 4},
	} {
		got, total, err := s.ListRoles(ctx, tn.ID, tc.q)
		if !listed(t, tc.name+": ListRoles", got, total, err, accessRoleID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			if want, ok := byName[got[i].Name]; ok {
				check(t, tc.name+": listed role", &got[i], want)
			}
		}
	}
}

func roleNames(rs []iam.Role) []string { return ids(rs, func(r iam.Role) string { return r.Name }) }

func testAccessRoleListNonASCII(t *testing.T, s iam.Store) {

	ctx := t.Context()
	tn := createTenant(t, s)
	editeur := createAccessRole(t, s, tn.ID, "", "Éditeur")
	eclair := createAccessRole(t, s, tn.ID, "", "éclair")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer")
	for _, search := range []string{"Éditeur", "éditeur", "ÉDITEUR", "diteur"} {
		got, total, err := s.ListRoles(ctx, tn.ID, iam.RoleQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: search}})
		if err != nil || total != 1 || !wantIDs(ids(got, accessRoleID), []string{editeur.ID}) {
			t.Errorf("ListRoles search %q = %v, total %d, %v; want %s only", search, roleNames(got), total, err, editeur.Name)
		}
	}
	// By folded name, "éclair" sorts before "éditeur" whatever the case.
	got, _, err := s.ListRoles(ctx, tn.ID, iam.RoleQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"}})
	must(t, err, "ListRoles")
	if !wantIDs(ids(got, accessRoleID), []string{viewer.ID, eclair.ID, editeur.ID}) {
		t.Errorf("ListRoles by name = %v; want [Viewer éclair Éditeur]", roleNames(got))
	}
}

func testAccessRoleUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	for _, r := range []*iam.Role{
		createAccessRole(t, s, tn.ID, "", "Helpdesk", "tickets.read"),
		createAccessRole(t, s, tn.ID, org.ID, "Helpdesk", "tickets.read", "orgs.read"),
	} {
		upd := *r
		upd.Name, upd.Description, upd.UpdatedAt = "Support", "Helps people", at(time.Hour)
		upd.Permissions = []string{"tickets.write", "tickets.read", "customers.*"}
		must(t, s.UpdateRole(ctx, &upd), "UpdateRole")
		want := upd
		want.Permissions = []string{"customers.*", "tickets.read", "tickets.write"}
		got, err := s.GetRole(ctx, tn.ID, r.ID)
		must(t, err, "GetRole")
		check(t, "role after update", got, &want)

		// UpdateRole writes name, description and permissions only.
		upd.Permissions, upd.Description, upd.UpdatedAt = nil, "", at(2*time.Hour)
		upd.OrganizationID, upd.CreatedAt = newID(t), at(24*time.Hour)
		must(t, s.UpdateRole(ctx, &upd), "UpdateRole to no permissions")
		want.Permissions, want.Description, want.UpdatedAt, want.Version = nil, "", at(2*time.Hour), 3
		got, err = s.GetRole(ctx, tn.ID, r.ID)
		must(t, err, "GetRole")
		check(t, "role without permissions", got, &want)
	}
}

// testAccessRoleUpdateIsAtomic checks that an update failing part-way leaves
// the role as it was, permissions included.
func testAccessRoleUpdateIsAtomic(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	createAccessRole(t, s, tn.ID, "", "Taken")
	r := createAccessRole(t, s, tn.ID, "", "Clerk", "invoices.read", "invoices.write")
	unchanged := func(step string) {
		t.Helper()
		got, err := s.GetRole(ctx, tn.ID, r.ID)
		must(t, err, "GetRole")
		check(t, step+": role", got, r)
	}

	upd := *r
	upd.Name, upd.Permissions, upd.UpdatedAt = "Taken", []string{"reports.read"}, at(time.Hour)
	wantCode(t, s.UpdateRole(ctx, &upd), iam.CodeNameTaken, "UpdateRole to a taken name")
	unchanged("after a rejected name")

	// A permission listed twice fails only once the old ones are gone.
	upd.Name, upd.Permissions = "Renamed", []string{"reports.read", "reports.read"}
	if err := s.UpdateRole(ctx, &upd); err != nil {
		unchanged("after a failed permission write")
	} else {
		want := upd
		want.Permissions = []string{"reports.read"}
		got, err := s.GetRole(ctx, tn.ID, r.ID)
		must(t, err, "GetRole")
		check(t, "role after an update listing a permission twice", got, &want)
		r = got
	}

	// Inside a transaction that rolls back, the update is undone.
	errAbort := errors.New("abort")
	err := s.InTx(ctx, func(tx iam.Tx) error {
		upd.Name, upd.Permissions = "Inside", []string{"audit.read"}
		if err := tx.UpdateRole(ctx, &upd); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the abort", err)
	}
	unchanged("after a rolled back transaction")

	// A role created with a permission listed twice is not created at all.
	dup := &iam.Role{ID: newID(t), TenantID: tn.ID, Name: "Twice", Permissions: []string{"a.b", "a.b"}, CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateRole(ctx, dup); err != nil {
		_, err := s.GetRole(ctx, tn.ID, dup.ID)
		wantCode(t, err, iam.CodeNotFound, "GetRole of a role whose creation failed")
		createAccessRole(t, s, tn.ID, "", "Twice") // the name was never taken
	}
}

func testAccessRoleDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	gone := createAccessRole(t, s, tn.ID, "", "Gone", "invoices.read")
	goneInOrg := createAccessRole(t, s, tn.ID, org.ID, "Gone", "invoices.read")
	kept := createAccessRole(t, s, tn.ID, "", "Kept", "invoices.read")

	for _, r := range []*iam.Role{gone, goneInOrg} {
		must(t, s.DeleteRole(ctx, tn.ID, r.ID), "DeleteRole")
		_, err := s.GetRole(ctx, tn.ID, r.ID)
		wantCode(t, err, iam.CodeNotFound, "GetRole after delete")
		wantCode(t, s.DeleteRole(ctx, tn.ID, r.ID), iam.CodeNotFound, "DeleteRole again")
	}
	got, err := s.GetRole(ctx, tn.ID, kept.ID)
	must(t, err, "GetRole of the other role")
	check(t, "other role", got, kept)
	list, total, err := s.ListRoles(ctx, tn.ID, iam.RoleQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	if err != nil || total != 1 {
		t.Errorf("ListRoles after delete = %v, total %d, %v; want Kept only", roleNames(list), total, err)
	}
	// The names are free again.
	createAccessRole(t, s, tn.ID, "", "Gone")
	createAccessRole(t, s, tn.ID, org.ID, "Gone")
}

func testUserRoles(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	r1 := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read", "reports.read")
	r2 := createAccessRole(t, s, tn.ID, "", "Editor", "invoices.*")
	r3 := createAccessRole(t, s, tn.ID, org.ID, "Owner", "orgs.manage")
	u := createUser(t, s, tn.ID, "ada@example.com")
	bystander := createUser(t, s, tn.ID, "grace@example.com")
	must(t, s.AddUserRole(ctx, tn.ID, bystander.ID, r1.ID), "AddUserRole bystander")

	userRoles := func(step string, u *iam.User, want []iam.Role) {
		t.Helper()
		got, err := s.UserRoles(ctx, tn.ID, u.ID)
		if err != nil {
			t.Errorf("%s: UserRoles: %v", step, err)
			return
		}
		check(t, step+": UserRoles", byAccessRoleID(got), want)
	}
	userRoles("none yet", u, accessRoles())
	must(t, s.AddUserRole(ctx, tn.ID, u.ID, r1.ID), "AddUserRole")
	userRoles("one role", u, accessRoles(r1))
	must(t, s.AddUserRole(ctx, tn.ID, u.ID, r1.ID), "AddUserRole again")
	userRoles("added again", u, accessRoles(r1))
	must(t, s.AddUserRole(ctx, tn.ID, u.ID, r2.ID), "AddUserRole second role")
	userRoles("two roles", u, accessRoles(r1, r2))

	for _, step := range []struct {
		name string
		role *iam.Role
		held bool
		want []iam.Role
	}{
		{"remove held", r1, true, accessRoles(r2)},
		{"remove again", r1, false, accessRoles(r2)},
		{"remove never held", r3, false, accessRoles(r2)},
		{"remove last", r2, true, accessRoles()},
	} {
		held, err := s.RemoveUserRole(ctx, tn.ID, u.ID, step.role.ID)
		if err != nil || held != step.held {
			t.Errorf("%s: RemoveUserRole = %v, %v; want %v", step.name, held, err, step.held)
		}
		userRoles(step.name, u, step.want)
	}
	userRoles("bystander", bystander, accessRoles(r1))

	// Assigning something that does not exist fails and assigns nothing.
	wantCode(t, s.AddUserRole(ctx, tn.ID, u.ID, newID(t)), iam.CodeNotFound, "AddUserRole of an unknown role")
	wantCode(t, s.AddUserRole(ctx, tn.ID, newID(t), r1.ID), iam.CodeNotFound, "AddUserRole to an unknown user")
	userRoles("after failed assignments", u, accessRoles())
	if held, err := s.RemoveUserRole(ctx, tn.ID, newID(t), r1.ID); err != nil || held {
		t.Errorf("RemoveUserRole of an unknown user = %v, %v; want false", held, err)
	}

	// A role's changes reach its holders.
	upd := *r1
	upd.Name, upd.Permissions, upd.UpdatedAt = "Reader", []string{"reports.read"}, at(time.Hour)
	must(t, s.UpdateRole(ctx, &upd), "UpdateRole")
	userRoles("after the role changed", bystander, accessRoles(&upd))
}
