package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var adminTests = []test{
	{"RoleCreateGet", testRoleCreateGet},
	{"RoleNotFound", testRoleNotFound},
	{"RoleNameTaken", testRoleNameTaken},
	{"RoleList", testRoleList},
	{"RoleUpdate", testRoleUpdate},
	{"RoleDelete", testRoleDelete},
	{"SetUserAdminRoles", testSetUserAdminRoles},
	{"ListAdmins", testListAdmins},
	{"CountActiveHolders", testCountActiveHolders},
	{"DeleteRoleRemovesHoldings", testDeleteRoleRemovesHoldings},
}

// byRoleID sorts roles by id: the contract does not order a user's roles.
func byRoleID(rs []iam.AdminRole) []iam.AdminRole {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b iam.AdminRole) int { return strings.Compare(a.ID, b.ID) })
	return rs
}

func rolesOf(rs ...*iam.AdminRole) []iam.AdminRole {
	out := []iam.AdminRole{}
	for _, r := range rs {
		out = append(out, *r)
	}
	return byRoleID(out)
}

func testRoleCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	for _, want := range []*iam.AdminRole{
		{ID: newID(t), TenantID: tn.ID, Name: "Superadmin", Description: "Everything", Permissions: []string{"*"},
			Builtin: true, CreatedAt: t0, UpdatedAt: at(time.Second)},
		{ID: newID(t), TenantID: tn.ID, Name: "Auditor", Description: "Reads the log",
			Permissions: []string{"audit:read", "users:read", "tenants:read"}, CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
		{ID: newID(t), TenantID: tn.ID, Name: "Nothing yet", CreatedAt: t0, UpdatedAt: t0},
	} {
		must(t, s.CreateAdminRole(ctx, want), "CreateAdminRole "+want.Name)
		got, err := s.GetAdminRole(ctx, tn.ID, want.ID)
		must(t, err, "GetAdminRole "+want.Name)
		check(t, "GetAdminRole "+want.Name, got, want)
		got, err = s.GetAdminRoleByName(ctx, tn.ID, want.Name)
		must(t, err, "GetAdminRoleByName "+want.Name)
		check(t, "GetAdminRoleByName "+want.Name, got, want)
	}
}

func testRoleNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	r := createRole(t, s, tn.ID, "Ops", "users:read")
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetAdminRole":                     func() error { _, err := s.GetAdminRole(ctx, tn.ID, unknown); return err },
		"GetAdminRoleByName":               func() error { _, err := s.GetAdminRoleByName(ctx, tn.ID, "Nope"); return err },
		"DeleteAdminRole":                  func() error { return s.DeleteAdminRole(ctx, tn.ID, unknown) },
		"GetAdminRole from another tenant": func() error { _, err := s.GetAdminRole(ctx, other.ID, r.ID); return err },
		"GetAdminRoleByName from another tenant": func() error {
			_, err := s.GetAdminRoleByName(ctx, other.ID, r.Name)
			return err
		},
		"DeleteAdminRole from another tenant": func() error { return s.DeleteAdminRole(ctx, other.ID, r.ID) },
		"UpdateAdminRole": func() error {
			return s.UpdateAdminRole(ctx, &iam.AdminRole{ID: unknown, TenantID: tn.ID, Name: "X", UpdatedAt: t0})
		},
		"UpdateAdminRole from another tenant": func() error {
			upd := *r
			upd.TenantID, upd.Name = other.ID, "Hijacked"
			return s.UpdateAdminRole(ctx, &upd)
		},
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetAdminRole(ctx, tn.ID, r.ID)
	must(t, err, "GetAdminRole")
	check(t, "role after foreign update and delete", got, r)
}

func testRoleNameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	ops := createRole(t, s, a.ID, "Ops")
	dup := &iam.AdminRole{ID: newID(t), TenantID: a.ID, Name: "Ops", CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateAdminRole(ctx, dup), iam.CodeNameTaken, "CreateAdminRole with a taken name")
	_, err := s.GetAdminRole(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAdminRole of the rejected role")

	createRole(t, s, b.ID, "Ops")

	dev := createRole(t, s, a.ID, "Dev", "apps:write")
	upd := *dev
	upd.Name, upd.Permissions, upd.UpdatedAt = ops.Name, []string{"*"}, at(time.Hour)
	wantCode(t, s.UpdateAdminRole(ctx, &upd), iam.CodeNameTaken, "UpdateAdminRole to a taken name")
	got, err := s.GetAdminRole(ctx, a.ID, dev.ID)
	must(t, err, "GetAdminRole")
	check(t, "role after the rejected update", got, dev)
}

func testRoleList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	names := []string{"Support", "Auditor", "Superadmin", "Billing"}
	byName := map[string]*iam.AdminRole{}
	for i, n := range names {
		r := &iam.AdminRole{ID: newID(t), TenantID: tn.ID, Name: n, Permissions: []string{strings.ToLower(n) + ":all"},
			CreatedAt: at(time.Duration(i) * time.Minute), UpdatedAt: at(time.Duration(i) * time.Minute)}
		must(t, s.CreateAdminRole(ctx, r), "CreateAdminRole "+n)
		byName[n] = r
	}
	createRole(t, s, other.ID, "Auditor")
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
		{"created asc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "created_at"}, idsOf("Support", "Auditor", "Superadmin", "Billing"), 4},
		{"created desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "created_at", Desc: true}, idsOf("Billing", "Superadmin", "Auditor", "Support"), 4},
		{"name asc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"}, idsOf("Auditor", "Billing", "Superadmin", "Support"), 4},
		{"name desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Desc: true}, idsOf("Support", "Superadmin", "Billing", "Auditor"), 4},
		{"search any case", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "sU"}, idsOf("Superadmin", "Support"), 2},
		{"search without match", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "%"}, idsOf(), 0},
		{"second page", iam.ListParams{Page: 2, Limit: 3, OrderBy: "name"}, idsOf("Support"), 4},
		{"search and page", iam.ListParams{Page: 2, Limit: 1, OrderBy: "name", Search: "su"}, idsOf("Support"), 2},
	} {
		got, total, err := s.ListAdminRoles(ctx, tn.ID, tc.p)
		if !listed(t, tc.name+": ListAdminRoles", got, total, err, roleID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			check(t, tc.name+": listed role", &got[i], byName[got[i].Name])
		}
	}
}

func testRoleUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	r := createRole(t, s, tn.ID, "Helpdesk", "users:read")
	upd := *r
	upd.Name, upd.Description, upd.Permissions, upd.UpdatedAt = "Support", "Helps people", []string{"users:read", "users:write"}, at(time.Hour)
	must(t, s.UpdateAdminRole(ctx, &upd), "UpdateAdminRole")
	got, err := s.GetAdminRole(ctx, tn.ID, r.ID)
	must(t, err, "GetAdminRole")
	check(t, "role after update", got, &upd)
	_, err = s.GetAdminRoleByName(ctx, tn.ID, "Helpdesk")
	wantCode(t, err, iam.CodeNotFound, "GetAdminRoleByName of the old name")

	upd.Permissions, upd.UpdatedAt = nil, at(2*time.Hour)
	must(t, s.UpdateAdminRole(ctx, &upd), "UpdateAdminRole to no permissions")
	got, err = s.GetAdminRoleByName(ctx, tn.ID, "Support")
	must(t, err, "GetAdminRoleByName")
	check(t, "role without permissions", got, &upd)
}

func testRoleDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	gone, kept := createRole(t, s, tn.ID, "Gone"), createRole(t, s, tn.ID, "Kept")
	must(t, s.DeleteAdminRole(ctx, tn.ID, gone.ID), "DeleteAdminRole")
	_, err := s.GetAdminRole(ctx, tn.ID, gone.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAdminRole after delete")
	wantCode(t, s.DeleteAdminRole(ctx, tn.ID, gone.ID), iam.CodeNotFound, "DeleteAdminRole again")
	got, err := s.GetAdminRole(ctx, tn.ID, kept.ID)
	must(t, err, "GetAdminRole of the other role")
	check(t, "other role", got, kept)
	createRole(t, s, tn.ID, "Gone") // the name is free again
}

func testSetUserAdminRoles(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	r1, r2, r3 := createRole(t, s, tn.ID, "A", "a"), createRole(t, s, tn.ID, "B", "b"), createRole(t, s, tn.ID, "C", "c")
	u := createUser(t, s, tn.ID, "ada@example.com")
	bystander := createUser(t, s, tn.ID, "grace@example.com")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, bystander.ID, []string{r1.ID}), "SetUserAdminRoles bystander")

	for _, step := range []struct {
		name string
		set  []string
		want []iam.AdminRole
	}{
		{"none yet", nil, rolesOf()},
		{"two roles", []string{r1.ID, r2.ID}, rolesOf(r1, r2)},
		{"replaced by one", []string{r3.ID}, rolesOf(r3)},
		{"replaced by overlapping", []string{r3.ID, r1.ID}, rolesOf(r1, r3)},
		{"empty list", []string{}, rolesOf()},
		{"again after empty", []string{r2.ID}, rolesOf(r2)},
		{"nil list", nil, rolesOf()},
	} {
		if step.name != "none yet" {
			must(t, s.SetUserAdminRoles(ctx, tn.ID, u.ID, step.set), step.name+": SetUserAdminRoles")
		}
		got, err := s.UserAdminRoles(ctx, tn.ID, u.ID)
		if err != nil {
			t.Errorf("%s: UserAdminRoles: %v", step.name, err)
			continue
		}
		check(t, step.name+": UserAdminRoles", byRoleID(got), step.want)
	}
	got, err := s.UserAdminRoles(ctx, tn.ID, bystander.ID)
	must(t, err, "UserAdminRoles bystander")
	check(t, "bystander's roles", byRoleID(got), rolesOf(r1))

	// A role that does not exist fails the call, and outside InTx the call is
	// one transaction: the roles held before stay.
	if err := s.SetUserAdminRoles(ctx, tn.ID, bystander.ID, []string{r2.ID, newID(t)}); err == nil {
		t.Error("SetUserAdminRoles with an unknown role succeeded")
	}
	got, err = s.UserAdminRoles(ctx, tn.ID, bystander.ID)
	must(t, err, "UserAdminRoles bystander")
	check(t, "bystander's roles after a failed SetUserAdminRoles", byRoleID(got), rolesOf(r1))
}

func testListAdmins(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	r1, r2 := createRole(t, s, tn.ID, "Superadmin", "*"), createRole(t, s, tn.ID, "Auditor", "audit:read")
	amy := createUser(t, s, tn.ID, "amy@example.com", func(u *iam.User) { u.Name = "Zoe Amy" })
	bob := createUser(t, s, tn.ID, "bob@example.com", func(u *iam.User) {
		u.Name, u.Status, u.CreatedAt = "Bob Builder", iam.UserDisabled, at(time.Minute)
	})
	createUser(t, s, tn.ID, "cat@example.com") // holds no role
	dropped := createUser(t, s, tn.ID, "dan@example.com")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, amy.ID, []string{r1.ID}), "SetUserAdminRoles amy")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, bob.ID, []string{r1.ID, r2.ID}), "SetUserAdminRoles bob")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, dropped.ID, []string{r2.ID}), "SetUserAdminRoles dan")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, dropped.ID, nil), "SetUserAdminRoles dan to none")
	or := createRole(t, s, other.ID, "Superadmin", "*")
	ou := createUser(t, s, other.ID, "amy@example.com")
	must(t, s.SetUserAdminRoles(ctx, other.ID, ou.ID, []string{or.ID}), "SetUserAdminRoles in the other tenant")

	// Setting a user's admin roles counts as an update of the user.
	amy.Version, bob.Version = 2, 2
	wantAdmin := map[string]iam.Admin{
		amy.ID: {User: *amy, Roles: rolesOf(r1)},
		bob.ID: {User: *bob, Roles: rolesOf(r1, r2)},
	}
	for _, tc := range []struct {
		name  string
		p     iam.ListParams
		want  []string
		total int
	}{
		{"email asc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"}, []string{amy.ID, bob.ID}, 2},
		{"email desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "email", Desc: true}, []string{bob.ID, amy.ID}, 2},
		{"name asc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"}, []string{bob.ID, amy.ID}, 2},
		{"created desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "created_at", Desc: true}, []string{bob.ID, amy.ID}, 2},
		{"search", iam.ListParams{Page: 1, Limit: 10, OrderBy: "email", Search: "BUILD"}, []string{bob.ID}, 1},
		{"search a non-admin", iam.ListParams{Page: 1, Limit: 10, OrderBy: "email", Search: "cat"}, []string{}, 0},
		{"second page", iam.ListParams{Page: 2, Limit: 1, OrderBy: "email"}, []string{bob.ID}, 2},
	} {
		got, total, err := s.ListAdmins(ctx, tn.ID, tc.p)
		if !listed(t, tc.name+": ListAdmins", got, total, err, adminID, tc.want, tc.total) {
			continue
		}
		for _, a := range got {
			a.Roles = byRoleID(a.Roles)
			check(t, tc.name+": listed admin", a, wantAdmin[a.User.ID])
		}
	}
}

func testCountActiveHolders(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	r1, r2, unheld := createRole(t, s, tn.ID, "Superadmin"), createRole(t, s, tn.ID, "Auditor"), createRole(t, s, tn.ID, "Unheld")
	amy := createUser(t, s, tn.ID, "amy@example.com")
	bob := createUser(t, s, tn.ID, "bob@example.com", func(u *iam.User) { u.Status = iam.UserDisabled })
	eve := createUser(t, s, tn.ID, "eve@example.com")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, amy.ID, []string{r1.ID}), "SetUserAdminRoles amy")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, bob.ID, []string{r1.ID, r2.ID}), "SetUserAdminRoles bob")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, eve.ID, []string{r1.ID}), "SetUserAdminRoles eve")

	count := func(step string, r *iam.AdminRole, want int) {
		t.Helper()
		n, err := s.CountActiveHolders(ctx, tn.ID, r.ID)
		if err != nil || n != want {
			t.Errorf("%s: CountActiveHolders(%s) = %d, %v; want %d", step, r.Name, n, err, want)
		}
	}
	count("start", r1, 2)
	count("start", r2, 0)
	count("start", unheld, 0)

	off := *amy
	off.Status, off.UpdatedAt = iam.UserDisabled, at(time.Hour)
	must(t, s.UpdateUser(ctx, &off), "UpdateUser disabling amy")
	count("after disabling amy", r1, 1)

	on := *bob
	on.Status, on.UpdatedAt = iam.UserActive, at(time.Hour)
	must(t, s.UpdateUser(ctx, &on), "UpdateUser enabling bob")
	count("after enabling bob", r1, 2)
	count("after enabling bob", r2, 1)

	must(t, s.DeleteUser(ctx, tn.ID, eve.ID), "DeleteUser eve")
	count("after deleting eve", r1, 1)
}

func testDeleteRoleRemovesHoldings(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	r1, r2 := createRole(t, s, tn.ID, "Superadmin"), createRole(t, s, tn.ID, "Auditor")
	u := createUser(t, s, tn.ID, "ada@example.com")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, u.ID, []string{r1.ID, r2.ID}), "SetUserAdminRoles")

	must(t, s.DeleteAdminRole(ctx, tn.ID, r1.ID), "DeleteAdminRole")
	got, err := s.UserAdminRoles(ctx, tn.ID, u.ID)
	must(t, err, "UserAdminRoles")
	check(t, "roles after deleting one", byRoleID(got), rolesOf(r2))
	if n, err := s.CountActiveHolders(ctx, tn.ID, r1.ID); err != nil || n != 0 {
		t.Errorf("CountActiveHolders of the deleted role = %d, %v; want 0", n, err)
	}
	admins, total, err := s.ListAdmins(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"})
	must(t, err, "ListAdmins")
	if total != 1 || len(admins) != 1 {
		t.Fatalf("ListAdmins = %d admins, total %d; want 1", len(admins), total)
	}
	check(t, "admin's roles", byRoleID(admins[0].Roles), rolesOf(r2))

	must(t, s.DeleteAdminRole(ctx, tn.ID, r2.ID), "DeleteAdminRole of the last role")
	admins, total, err = s.ListAdmins(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"})
	if err != nil || total != 0 || len(admins) != 0 {
		t.Errorf("ListAdmins after deleting every role = %d admins, total %d, %v; want none", len(admins), total, err)
	}
	if _, err := s.GetUser(ctx, tn.ID, u.ID); err != nil {
		t.Errorf("GetUser of the former admin: %v", err)
	}
}
