package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var accessTests = []test{
	{"Grants", testGrants},
	{"GrantsFollowChanges", testGrantsFollowChanges},
	{"DeleteCascades", testAccessDeleteCascades},
	{"TenantIsolation", testAccessTenantIsolation},
	{"ForeignTenantLinks", testAccessForeignTenantLinks},
	{"AccessVersion", testAccessVersion},
}

// via lists the grants one role gives through one path, a permission each.
func via(r *iam.Role, path, viaID, viaName string) []iam.Grant {
	out := []iam.Grant{}
	for _, p := range r.Permissions {
		out = append(out, iam.Grant{Permission: p, RoleID: r.ID, RoleName: r.Name, Via: path, ViaID: viaID, ViaName: viaName})
	}
	return out
}

func viaTenant(r *iam.Role) []iam.Grant              { return via(r, iam.ViaTenant, "", "") }
func viaGroup(r *iam.Role, g *iam.Group) []iam.Grant { return via(r, iam.ViaGroup, g.ID, g.Name) }
func viaOrg(r *iam.Role, o *iam.Organization) []iam.Grant {
	return via(r, iam.ViaOrganization, o.ID, o.Name)
}
func grantSet(parts ...[]iam.Grant) []iam.Grant { return sortGrants(slices.Concat(parts...)) }
func grantKey(g iam.Grant) string               { return g.Via + " " + g.ViaID + " " + g.RoleID + " " + g.Permission }
func compareGrants(a, b iam.Grant) int          { return cmp.Compare(grantKey(a), grantKey(b)) }
func sortGrants(gs []iam.Grant) []iam.Grant {
	gs = slices.Clone(gs)
	slices.SortFunc(gs, compareGrants)
	return gs
}
func grantStrings(gs []iam.Grant) []string { return ids(sortGrants(gs), grantString) }
func grantString(g iam.Grant) string {
	return g.Via + ":" + g.ViaName + ":" + g.RoleName + ":" + g.Permission
}
func noGrants() []iam.Grant            { return []iam.Grant{} }
func roleIDs(rs ...*iam.Role) []string { return ids(rs, func(r *iam.Role) string { return r.ID }) }
func withName(r *iam.Role, name string, perms ...string) iam.Role {
	c := *r
	c.Name, c.Permissions = name, perms
	return c
}

// wantGrants fails the test unless Grants answers want, in any order.
func wantGrants(t *testing.T, s iam.Store, step, tenantID, userID, orgID string, want []iam.Grant) {
	t.Helper()
	got, err := s.Grants(t.Context(), tenantID, userID, orgID)
	if err != nil {
		t.Errorf("%s: Grants: %v", step, err)
		return
	}
	if !slices.Equal(sortGrants(got), sortGrants(want)) {
		t.Errorf("%s: Grants =\n\t%v\nwant\n\t%v", step, grantStrings(got), grantStrings(want))
	}
}

// grantsWorld is a tenant where u holds roles by every path:
//
//	tenant-wide  Viewer, Empty
//	groups       Staff (Editor, Empty), Readers (Viewer)
//	acme         Viewer, Owner (acme's own)
//	beta         Billing (beta's own)
//
// v is in Staff and holds Auditor in acme; idle holds nothing; cold is an
// organization u is not a member of.
type grantsWorld struct {
	tn                             *iam.Tenant
	u, v, idle                     *iam.User
	viewer, editor, empty, auditor *iam.Role
	owner, billing                 *iam.Role
	acme, beta, cold               *iam.Organization
	staff, readers                 *iam.Group
}

func newGrantsWorld(t *testing.T, s iam.Store) *grantsWorld {
	t.Helper()
	ctx := t.Context()
	w := &grantsWorld{tn: createTenant(t, s)}
	tn := w.tn.ID
	w.acme, w.beta, w.cold = createOrg(t, s, tn, "acme"), createOrg(t, s, tn, "beta"), createOrg(t, s, tn, "cold")
	w.viewer = createAccessRole(t, s, tn, "", "Viewer", "invoices.read", "reports.read")
	w.editor = createAccessRole(t, s, tn, "", "Editor", "invoices.*")
	w.empty = createAccessRole(t, s, tn, "", "Empty")
	w.auditor = createAccessRole(t, s, tn, "", "Auditor", "audit.read")
	w.owner = createAccessRole(t, s, tn, w.acme.ID, "Owner", "orgs.manage", "invoices.*")
	w.billing = createAccessRole(t, s, tn, w.beta.ID, "Billing", "billing.read")
	w.staff, w.readers = createGroup(t, s, tn, "Staff"), createGroup(t, s, tn, "Readers")
	addGroupRole(t, s, tn, w.staff.ID, w.editor.ID)
	addGroupRole(t, s, tn, w.staff.ID, w.empty.ID)
	addGroupRole(t, s, tn, w.readers.ID, w.viewer.ID)
	w.u = createUser(t, s, tn, "ada@example.com")
	w.v = createUser(t, s, tn, "bob@example.com")
	w.idle = createUser(t, s, tn, "cat@example.com")
	must(t, s.AddUserRole(ctx, tn, w.u.ID, w.viewer.ID), "AddUserRole")
	must(t, s.AddUserRole(ctx, tn, w.u.ID, w.empty.ID), "AddUserRole")
	addGroupMember(t, s, tn, w.staff.ID, w.u.ID, t0)
	addGroupMember(t, s, tn, w.readers.ID, w.u.ID, t0)
	addGroupMember(t, s, tn, w.staff.ID, w.v.ID, t0)
	setMember(t, s, tn, w.acme.ID, w.u.ID, t0, w.viewer, w.owner)
	setMember(t, s, tn, w.beta.ID, w.u.ID, t0, w.billing)
	setMember(t, s, tn, w.acme.ID, w.v.ID, t0, w.auditor)
	return w
}

func testGrants(t *testing.T, s iam.Store) {
	w := newGrantsWorld(t, s)
	tn := w.tn.ID
	// Another tenant with the same names, where u's id means nothing.
	other := newGrantsWorld(t, s)

	base := grantSet(viaTenant(w.viewer), viaGroup(w.editor, w.staff), viaGroup(w.viewer, w.readers))
	for _, tc := range []struct {
		name         string
		tenant, user string
		org          string
		want         []iam.Grant
	}{
		{"tenant-wide only", tn, w.u.ID, "", base},
		{"in an organization", tn, w.u.ID, w.acme.ID, grantSet(base, viaOrg(w.viewer, w.acme), viaOrg(w.owner, w.acme))},
		{"in another organization", tn, w.u.ID, w.beta.ID, grantSet(base, viaOrg(w.billing, w.beta))},
		{"in an organization without membership", tn, w.u.ID, w.cold.ID, base},
		{"in an unknown organization", tn, w.u.ID, newID(t), base},
		{"in another tenant's organization", tn, w.u.ID, other.acme.ID, base},
		{"group member, tenant-wide", tn, w.v.ID, "", viaGroup(w.editor, w.staff)},
		{"group member in an organization", tn, w.v.ID, w.acme.ID, grantSet(viaGroup(w.editor, w.staff), viaOrg(w.auditor, w.acme))},
		{"group member elsewhere", tn, w.v.ID, w.beta.ID, viaGroup(w.editor, w.staff)},
		{"holder of nothing", tn, w.idle.ID, w.acme.ID, noGrants()},
		{"unknown user", tn, newID(t), w.acme.ID, noGrants()},
		{"from another tenant", other.tn.ID, w.u.ID, w.acme.ID, noGrants()},
		{"from another tenant, its organization", other.tn.ID, w.u.ID, other.acme.ID, noGrants()},
	} {
		wantGrants(t, s, tc.name, tc.tenant, tc.user, tc.org, tc.want)
	}
}

func testGrantsFollowChanges(t *testing.T, s iam.Store) {
	ctx := t.Context()
	w := newGrantsWorld(t, s)
	tn := w.tn.ID
	viewer, owner := *w.viewer, *w.owner
	staff, acme := *w.staff, *w.acme
	for _, step := range []struct {
		name string
		do   func() error
		want func() []iam.Grant // u's grants in acme
	}{
		{"start", func() error { return nil }, func() []iam.Grant {
			return grantSet(viaTenant(&viewer), viaGroup(w.editor, &staff), viaGroup(&viewer, w.readers),
				viaOrg(&viewer, &acme), viaOrg(&owner, &acme))
		}},
		{"role renamed and its permissions changed", func() error {
			viewer.Name, viewer.Permissions, viewer.UpdatedAt = "Reader", []string{"reports.export", "reports.read"}, at(time.Hour)
			return s.UpdateRole(ctx, &viewer)
		}, func() []iam.Grant {
			return grantSet(viaTenant(&viewer), viaGroup(w.editor, &staff), viaGroup(&viewer, w.readers),
				viaOrg(&viewer, &acme), viaOrg(&owner, &acme))
		}},
		{"group and organization renamed", func() error {
			staff.Name, staff.UpdatedAt = "Employees", at(time.Hour)
			acme.Name, acme.UpdatedAt = "Acme Worldwide", at(time.Hour)
			if err := s.UpdateGroup(ctx, &staff); err != nil {
				return err
			}
			return s.UpdateOrganization(ctx, &acme)
		}, func() []iam.Grant {
			return grantSet(viaTenant(&viewer), viaGroup(w.editor, &staff), viaGroup(&viewer, w.readers),
				viaOrg(&viewer, &acme), viaOrg(&owner, &acme))
		}},
		{"left a group", func() error { _, err := s.RemoveGroupMember(ctx, tn, w.readers.ID, w.u.ID); return err }, func() []iam.Grant {
			return grantSet(viaTenant(&viewer), viaGroup(w.editor, &staff), viaOrg(&viewer, &acme), viaOrg(&owner, &acme))
		}},
		{"group lost its role", func() error { _, err := s.RemoveGroupRole(ctx, tn, w.staff.ID, w.editor.ID); return err }, func() []iam.Grant {
			return grantSet(viaTenant(&viewer), viaOrg(&viewer, &acme), viaOrg(&owner, &acme))
		}},
		{"member roles replaced", func() error {
			_, err := s.SetMember(ctx, tn, w.acme.ID, w.u.ID, roleIDs(&owner), at(time.Hour))
			return err
		},
			func() []iam.Grant { return grantSet(viaTenant(&viewer), viaOrg(&owner, &acme)) }},
		{"tenant-wide role removed", func() error { _, err := s.RemoveUserRole(ctx, tn, w.u.ID, w.viewer.ID); return err },
			func() []iam.Grant { return viaOrg(&owner, &acme) }},
		{"permission deleted", func() error {
			p := createPermission(t, s, tn, "orgs.manage")
			owner.Permissions = []string{"invoices.*"}
			return s.DeletePermission(ctx, tn, p.ID)
		}, func() []iam.Grant { return viaOrg(&owner, &acme) }},
		{"left the organization", func() error { _, err := s.RemoveMember(ctx, tn, w.acme.ID, w.u.ID); return err },
			func() []iam.Grant { return noGrants() }},
		{"group role added", func() error { _, err := s.AddGroupRole(ctx, tn, w.staff.ID, w.auditor.ID); return err },
			func() []iam.Grant { return viaGroup(w.auditor, &staff) }},
		{"tenant-wide role added", func() error { return s.AddUserRole(ctx, tn, w.u.ID, w.editor.ID) },
			func() []iam.Grant { return grantSet(viaGroup(w.auditor, &staff), viaTenant(w.editor)) }},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		wantGrants(t, s, step.name, tn, w.u.ID, w.acme.ID, step.want())
	}
	// v was touched only through the group.
	wantGrants(t, s, "v at the end", tn, w.v.ID, w.acme.ID, grantSet(viaGroup(w.auditor, &staff), viaOrg(w.auditor, &acme)))
	// beta was never touched.
	wantGrants(t, s, "u in beta at the end", tn, w.u.ID, w.beta.ID, grantSet(viaGroup(w.auditor, &staff), viaTenant(w.editor),
		viaOrg(w.billing, w.beta)))
}

// testAccessDeleteCascades checks that deleting a user, role, organization,
// group or tenant takes with it everything that refers to it, and nothing else.
func testAccessDeleteCascades(t *testing.T, s iam.Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		del   func(w *grantsWorld) error
		check func(t *testing.T, w *grantsWorld)
	}{
		{"user", func(w *grantsWorld) error { return s.DeleteUser(ctx, w.tn.ID, w.u.ID) }, func(t *testing.T, w *grantsWorld) {
			tn := w.tn.ID
			_, err := s.GetMember(ctx, tn, w.acme.ID, w.u.ID)
			wantCode(t, err, iam.CodeNotFound, "GetMember of the deleted user")
			wantMembers(t, s, tn, w.acme.ID, w.v)
			wantMembers(t, s, tn, w.beta.ID)
			groupMembers(t, s, "Staff", tn, w.staff.ID, iam.GroupMember{User: *w.v, CreatedAt: t0})
			groupMembers(t, s, "Readers", tn, w.readers.ID)
			wantUserRoles(t, s, tn, w.u.ID)
			wantMemberships(t, s, tn, w.u.ID)
			wantGrants(t, s, "deleted user", tn, w.u.ID, w.acme.ID, noGrants())
			if held, err := s.RemoveUserRole(ctx, tn, w.u.ID, w.viewer.ID); err != nil || held {
				t.Errorf("RemoveUserRole of the deleted user = %v, %v; want false", held, err)
			}
			wantGrants(t, s, "other user", tn, w.v.ID, w.acme.ID, grantSet(viaGroup(w.editor, w.staff), viaOrg(w.auditor, w.acme)))
			// The roles and groups stay.
			wantRole(t, s, w.viewer)
			wantGroupRoles(t, s, tn, w.readers.ID, w.viewer)
		}},
		{"role", func(w *grantsWorld) error { return s.DeleteRole(ctx, w.tn.ID, w.viewer.ID) }, func(t *testing.T, w *grantsWorld) {
			tn := w.tn.ID
			wantUserRoles(t, s, tn, w.u.ID, w.empty)
			wantGroupRoles(t, s, tn, w.readers.ID)
			wantGroupRoles(t, s, tn, w.staff.ID, w.editor, w.empty)
			getMember(t, s, "member", tn, w.acme.ID, w.u.ID, member(w.acme.ID, w.u, t0, w.owner))
			wantGrants(t, s, "holder", tn, w.u.ID, w.acme.ID, grantSet(viaGroup(w.editor, w.staff), viaOrg(w.owner, w.acme)))
			// The group whose only role went is still there, with its members.
			groupMembers(t, s, "Readers", tn, w.readers.ID, iam.GroupMember{User: *w.u, CreatedAt: t0})
			if held, err := s.RemoveUserRole(ctx, tn, w.u.ID, w.viewer.ID); err != nil || held {
				t.Errorf("RemoveUserRole of the deleted role = %v, %v; want false", held, err)
			}
		}},
		{"organization", func(w *grantsWorld) error { return s.DeleteOrganization(ctx, w.tn.ID, w.acme.ID) }, func(t *testing.T, w *grantsWorld) {
			tn := w.tn.ID
			_, err := s.GetRole(ctx, tn, w.owner.ID)
			wantCode(t, err, iam.CodeNotFound, "GetRole of the organization's own role")
			if roles, n, err := s.ListRoles(ctx, tn, iam.RoleQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}, OrganizationID: w.acme.ID}); err != nil || n != 0 {
				t.Errorf("ListRoles of the deleted organization = %v, total %d, %v; want none", roleNames(roles), n, err)
			}
			_, err = s.GetMember(ctx, tn, w.acme.ID, w.u.ID)
			wantCode(t, err, iam.CodeNotFound, "GetMember in the deleted organization")
			wantMembers(t, s, tn, w.acme.ID)
			wantMemberships(t, s, tn, w.u.ID, iam.Membership{Organization: *w.beta, Roles: accessRoles(w.billing), CreatedAt: t0})
			wantMemberships(t, s, tn, w.v.ID)
			wantGrants(t, s, "former member", tn, w.u.ID, w.acme.ID,
				grantSet(viaTenant(w.viewer), viaGroup(w.editor, w.staff), viaGroup(w.viewer, w.readers)))
			// Templates, users and other organizations stay; the alias is free.
			wantRole(t, s, w.viewer)
			wantRole(t, s, w.billing)
			wantUserRoles(t, s, tn, w.u.ID, w.viewer, w.empty)
			createOrg(t, s, tn, w.acme.Alias)
		}},
		{"group", func(w *grantsWorld) error { return s.DeleteGroup(ctx, w.tn.ID, w.staff.ID) }, func(t *testing.T, w *grantsWorld) {
			tn := w.tn.ID
			groupMembers(t, s, "deleted group", tn, w.staff.ID)
			wantGroupRoles(t, s, tn, w.staff.ID)
			wantGrants(t, s, "former member", tn, w.u.ID, "", grantSet(viaTenant(w.viewer), viaGroup(w.viewer, w.readers)))
			wantGrants(t, s, "other former member", tn, w.v.ID, w.acme.ID, viaOrg(w.auditor, w.acme))
			// The roles and the other group stay; the name is free.
			wantRole(t, s, w.editor)
			groupMembers(t, s, "Readers", tn, w.readers.ID, iam.GroupMember{User: *w.u, CreatedAt: t0})
			createGroup(t, s, tn, w.staff.Name)
		}},
		{"tenant", func(w *grantsWorld) error { return s.DeleteTenant(ctx, w.tn.ID) }, func(t *testing.T, w *grantsWorld) {
			tn := w.tn.ID
			for name, call := range map[string]func() error{
				"GetRole":         func() error { _, err := s.GetRole(ctx, tn, w.viewer.ID); return err },
				"GetOrganization": func() error { _, err := s.GetOrganization(ctx, tn, w.acme.ID); return err },
				"GetGroup":        func() error { _, err := s.GetGroup(ctx, tn, w.staff.ID); return err },
				"GetMember":       func() error { _, err := s.GetMember(ctx, tn, w.acme.ID, w.u.ID); return err },
			} {
				wantCode(t, call(), iam.CodeNotFound, name+" after DeleteTenant")
			}
			wantGrants(t, s, "deleted tenant", tn, w.u.ID, w.acme.ID, noGrants())
			if _, n, err := s.ListPermissions(ctx, tn, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 {
				t.Errorf("ListPermissions of the deleted tenant: total %d, %v; want 0", n, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newGrantsWorld(t, s)
			createPermission(t, s, w.tn.ID, "invoices.read")
			bystander := newGrantsWorld(t, s)
			before := snapshotAccess(t, s, bystander)
			must(t, tc.del(w), "delete")
			tc.check(t, w)
			sameFacts(t, "another tenant", snapshotAccess(t, s, bystander), before)
		})
	}
}

func wantRole(t *testing.T, s iam.Store, want *iam.Role) {
	t.Helper()
	got, err := s.GetRole(t.Context(), want.TenantID, want.ID)
	if err != nil {
		t.Errorf("GetRole %s: %v", want.Name, err)
		return
	}
	check(t, "role "+want.Name, got, want)
}

func wantUserRoles(t *testing.T, s iam.Store, tenantID, userID string, want ...*iam.Role) {
	t.Helper()
	got, err := s.UserRoles(t.Context(), tenantID, userID)
	if err != nil {
		t.Errorf("UserRoles: %v", err)
		return
	}
	check(t, "UserRoles", byAccessRoleID(got), accessRoles(want...))
}

func wantGroupRoles(t *testing.T, s iam.Store, tenantID, groupID string, want ...*iam.Role) {
	t.Helper()
	got, err := s.GroupRoles(t.Context(), tenantID, groupID)
	if err != nil {
		t.Errorf("GroupRoles: %v", err)
		return
	}
	check(t, "GroupRoles", byAccessRoleID(got), accessRoles(want...))
}

// wantMembers fails the test unless the organization's members are want.
func wantMembers(t *testing.T, s iam.Store, tenantID, orgID string, want ...*iam.User) {
	t.Helper()
	got, total, err := s.ListMembers(t.Context(), tenantID, orgID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"})
	if err != nil || total != len(want) || !wantIDs(ids(got, memberUserID), ids(want, func(u *iam.User) string { return u.ID })) {
		t.Errorf("ListMembers = %v, total %d, %v; want %v", memberEmails(got), total, err, ids(want, func(u *iam.User) string { return u.Email }))
	}
}

func wantMemberships(t *testing.T, s iam.Store, tenantID, userID string, want ...iam.Membership) {
	t.Helper()
	got, err := s.UserMemberships(t.Context(), tenantID, userID)
	if err != nil {
		t.Errorf("UserMemberships: %v", err)
		return
	}
	for i := range got {
		got[i].Roles = byAccessRoleID(got[i].Roles)
	}
	check(t, "UserMemberships", got, append([]iam.Membership{}, want...))
}

// snapshotAccess describes, a line a fact, everything the store answers
// about a grants world: its rows, who belongs where holding what, and grants.
func snapshotAccess(t *testing.T, s iam.Store, w *grantsWorld) []string {
	t.Helper()
	ctx, tn := t.Context(), w.tn.ID
	all := iam.ListParams{Page: 1, Limit: iam.MaxLimit, OrderBy: "created_at"}
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	perms, _, err := s.ListPermissions(ctx, tn, all)
	must(t, err, "ListPermissions")
	for _, p := range perms {
		add("permission %+v", p)
	}
	roles, _, err := s.ListRoles(ctx, tn, iam.RoleQuery{ListParams: all})
	must(t, err, "ListRoles")
	for _, r := range roles {
		add("role %+v", r)
	}
	orgs, _, err := s.ListOrganizations(ctx, tn, all)
	must(t, err, "ListOrganizations")
	for _, o := range orgs {
		add("organization %+v", o)
		ms, _, err := s.ListMembers(ctx, tn, o.ID, all)
		must(t, err, "ListMembers")
		for _, m := range ms {
			add("member of %s: %s since %s holding %s", o.Alias, who(&m.User), m.CreatedAt, holding(m.Roles))
		}
	}
	groups, _, err := s.ListGroups(ctx, tn, iam.GroupQuery{ListParams: all})
	must(t, err, "ListGroups")
	for _, g := range groups {
		add("group %+v", g)
		ms, _, err := s.ListGroupMembers(ctx, tn, g.ID, all)
		must(t, err, "ListGroupMembers")
		for _, m := range ms {
			add("in group %s: %s since %s", g.Name, who(&m.User), m.CreatedAt)
		}
		rs, err := s.GroupRoles(ctx, tn, g.ID)
		must(t, err, "GroupRoles")
		add("group %s carries %s", g.Name, holding(rs))
	}
	for _, u := range []*iam.User{w.u, w.v, w.idle} {
		rs, err := s.UserRoles(ctx, tn, u.ID)
		must(t, err, "UserRoles")
		add("%s holds tenant-wide %s", who(u), holding(rs))
		ms, err := s.UserMemberships(ctx, tn, u.ID)
		must(t, err, "UserMemberships")
		for _, m := range ms {
			add("%s belongs to %s since %s holding %s", who(u), m.Organization.Alias, m.CreatedAt, holding(m.Roles))
		}
		for _, org := range []*iam.Organization{{Alias: "(none)"}, w.acme, w.beta, w.cold} {
			gs, err := s.Grants(ctx, tn, u.ID, org.ID)
			must(t, err, "Grants")
			for _, g := range grantStrings(gs) {
				add("%s in %s is granted %s", who(u), org.Alias, g)
			}
		}
	}
	slices.Sort(lines)
	return lines
}

func who(u *iam.User) string { return u.Email + " (" + u.TenantID + "/" + u.ID + ")" }

// holding describes roles by tenant, id, name and permissions, in id order.
func holding(rs []iam.Role) string {
	out := []string{}
	for _, r := range byAccessRoleID(rs) {
		out = append(out, fmt.Sprintf("%s/%s %s%v", r.TenantID, r.ID, r.Name, r.Permissions))
	}
	return fmt.Sprint(out)
}

// sameFacts fails the test with the facts gained and lost unless got and
// want, as from snapshotAccess, are the same.
func sameFacts(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, l := range got {
		if !slices.Contains(want, l) {
			t.Errorf("%s: gained %s", what, l)
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			t.Errorf("%s: lost %s", what, l)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d facts, want %d", what, len(got), len(want))
	}
}

// testAccessTenantIsolation checks that reads, updates, deletes and removals
// naming another tenant's rows answer not found or empty and change nothing.
func testAccessTenantIsolation(t *testing.T, s iam.Store) {
	ctx := t.Context()
	home := newGrantsWorld(t, s)
	perm := createPermission(t, s, home.tn.ID, "invoices.read")
	only := createOrg(t, s, home.tn.ID, "home-only") // an alias the other tenant lacks
	away := newGrantsWorld(t, s)
	before, awayBefore := snapshotAccess(t, s, home), snapshotAccess(t, s, away)
	a := away.tn.ID

	for name, call := range map[string]func() error{
		"GetPermission":       func() error { _, err := s.GetPermission(ctx, a, perm.ID); return err },
		"GetPermissionByName": func() error { _, err := s.GetPermissionByName(ctx, a, perm.Name); return err },
		"UpdatePermission": func() error {
			p := *perm
			p.TenantID, p.Description = a, "Hijacked"
			return s.UpdatePermission(ctx, &p)
		},
		"DeletePermission": func() error { return s.DeletePermission(ctx, a, perm.ID) },
		"GetRole":          func() error { _, err := s.GetRole(ctx, a, home.viewer.ID); return err },
		"UpdateRole": func() error {
			r := withName(home.viewer, "Hijacked", "*")
			r.TenantID = a
			return s.UpdateRole(ctx, &r)
		},
		"DeleteRole":             func() error { return s.DeleteRole(ctx, a, home.owner.ID) },
		"GetOrganization":        func() error { _, err := s.GetOrganization(ctx, a, home.acme.ID); return err },
		"GetOrganizationByAlias": func() error { _, err := s.GetOrganizationByAlias(ctx, a, only.Alias); return err },
		"UpdateOrganization": func() error {
			o := *only
			o.TenantID, o.Alias, o.Name = a, "hijacked", "Hijacked"
			return s.UpdateOrganization(ctx, &o)
		},
		"DeleteOrganization": func() error { return s.DeleteOrganization(ctx, a, home.acme.ID) },
		"GetGroup":           func() error { _, err := s.GetGroup(ctx, a, home.staff.ID); return err },
		"UpdateGroup": func() error {
			g := *home.staff
			g.TenantID, g.Name = a, "Hijacked"
			return s.UpdateGroup(ctx, &g)
		},
		"DeleteGroup": func() error { return s.DeleteGroup(ctx, a, home.staff.ID) },
		"GetMember":   func() error { _, err := s.GetMember(ctx, a, home.acme.ID, home.u.ID); return err },
	} {
		wantCode(t, call(), iam.CodeNotFound, name+" from another tenant")
	}
	for name, call := range map[string]func() (bool, error){
		"RemoveUserRole":    func() (bool, error) { return s.RemoveUserRole(ctx, a, home.u.ID, home.viewer.ID) },
		"RemoveMember":      func() (bool, error) { return s.RemoveMember(ctx, a, home.acme.ID, home.u.ID) },
		"RemoveGroupMember": func() (bool, error) { return s.RemoveGroupMember(ctx, a, home.staff.ID, home.u.ID) },
		"RemoveGroupRole":   func() (bool, error) { return s.RemoveGroupRole(ctx, a, home.staff.ID, home.editor.ID) },
	} {
		if changed, err := call(); err != nil || changed {
			t.Errorf("%s from another tenant = %v, %v; want false", name, changed, err)
		}
	}
	lp := iam.ListParams{Page: 1, Limit: 10}
	for name, call := range map[string]func() (int, error){
		"ListRoles of the organization": func() (int, error) {
			_, n, err := s.ListRoles(ctx, a, iam.RoleQuery{ListParams: lp, OrganizationID: home.acme.ID})
			return n, err
		},
		"ListMembers":        func() (int, error) { _, n, err := s.ListMembers(ctx, a, home.acme.ID, lp); return n, err },
		"ListGroupMembers":   func() (int, error) { _, n, err := s.ListGroupMembers(ctx, a, home.staff.ID, lp); return n, err },
		"UserRoles":          func() (int, error) { rs, err := s.UserRoles(ctx, a, home.u.ID); return len(rs), err },
		"GroupRoles":         func() (int, error) { rs, err := s.GroupRoles(ctx, a, home.staff.ID); return len(rs), err },
		"UserMemberships":    func() (int, error) { ms, err := s.UserMemberships(ctx, a, home.u.ID); return len(ms), err },
		"Grants":             func() (int, error) { gs, err := s.Grants(ctx, a, home.u.ID, home.acme.ID); return len(gs), err },
		"Grants tenant-wide": func() (int, error) { gs, err := s.Grants(ctx, a, home.u.ID, ""); return len(gs), err },
	} {
		if n, err := call(); err != nil || n != 0 {
			t.Errorf("%s from another tenant = %d, %v; want none", name, n, err)
		}
	}
	sameFacts(t, "home tenant", snapshotAccess(t, s, home), before)
	sameFacts(t, "other tenant", snapshotAccess(t, s, away), awayBefore)
}

// testAccessForeignTenantLinks checks that the calls linking rows refuse rows
// of another tenant, either side of the link, and change nothing.
func testAccessForeignTenantLinks(t *testing.T, s iam.Store) {

	ctx := t.Context()
	home := newGrantsWorld(t, s)
	away := newGrantsWorld(t, s)
	newcomer := createUser(t, s, home.tn.ID, "dan@example.com")
	before, awayBefore := snapshotAccess(t, s, home), snapshotAccess(t, s, away)
	h, a := home.tn.ID, away.tn.ID

	for name, call := range map[string]func() error{
		// The tenant named is not the rows' tenant.
		"AddUserRole from another tenant": func() error { return s.AddUserRole(ctx, a, home.idle.ID, home.viewer.ID) },
		"SetMember of a member from another tenant": func() error {
			_, err := s.SetMember(ctx, a, home.acme.ID, home.u.ID, nil, at(time.Hour))
			return err
		},
		"SetMember of a newcomer from another tenant": func() error {
			_, err := s.SetMember(ctx, a, home.acme.ID, newcomer.ID, nil, at(time.Hour))
			return err
		},
		"AddGroupMember from another tenant": func() error {
			_, err := s.AddGroupMember(ctx, a, home.readers.ID, home.idle.ID, at(time.Hour))
			return err
		},
		"AddGroupRole from another tenant": func() error {
			_, err := s.AddGroupRole(ctx, a, home.readers.ID, home.auditor.ID)
			return err
		},
		"CreateRole in another tenant's organization": func() error {
			return s.CreateRole(ctx, &iam.Role{ID: newID(t), TenantID: a, OrganizationID: home.acme.ID, Name: "Intruder",
				Permissions: []string{"orgs.manage"}, CreatedAt: t0, UpdatedAt: t0})
		},
		// The tenant is right, but one side of the link belongs to another tenant.
		"AddUserRole of another tenant's role": func() error { return s.AddUserRole(ctx, h, home.idle.ID, away.auditor.ID) },
		"AddUserRole to another tenant's user": func() error { return s.AddUserRole(ctx, h, away.idle.ID, home.auditor.ID) },
		"SetMember with another tenant's role": func() error {
			_, err := s.SetMember(ctx, h, home.acme.ID, home.v.ID, roleIDs(away.auditor), at(time.Hour))
			return err
		},
		"SetMember of another tenant's user": func() error {
			_, err := s.SetMember(ctx, h, home.acme.ID, away.idle.ID, nil, at(time.Hour))
			return err
		},
		"AddGroupMember of another tenant's user": func() error {
			_, err := s.AddGroupMember(ctx, h, home.readers.ID, away.idle.ID, at(time.Hour))
			return err
		},
		"AddGroupRole of another tenant's role": func() error {
			_, err := s.AddGroupRole(ctx, h, home.readers.ID, away.auditor.ID)
			return err
		},
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	sameFacts(t, "home tenant", snapshotAccess(t, s, home), before)
	sameFacts(t, "other tenant", snapshotAccess(t, s, away), awayBefore)
	_, err := s.GetMember(ctx, h, home.acme.ID, newcomer.ID)
	wantCode(t, err, iam.CodeNotFound, "GetMember of the newcomer")

	// The home tenant can still make each link itself, and each is new.
	if created, err := s.SetMember(ctx, h, home.acme.ID, newcomer.ID, nil, at(2*time.Hour)); err != nil || !created {
		t.Errorf("SetMember of the newcomer at home = %v, %v; want created", created, err)
	}
	if added, err := s.AddGroupMember(ctx, h, home.readers.ID, home.idle.ID, at(2*time.Hour)); err != nil || !added {
		t.Errorf("AddGroupMember at home = %v, %v; want added", added, err)
	}
	if added, err := s.AddGroupRole(ctx, h, home.readers.ID, home.auditor.ID); err != nil || !added {
		t.Errorf("AddGroupRole at home = %v, %v; want added", added, err)
	}
	must(t, s.AddUserRole(ctx, h, home.idle.ID, home.viewer.ID), "AddUserRole at home")
	wantUserRoles(t, s, h, home.idle.ID, home.viewer)
	wantGrants(t, s, "idle at home", h, home.idle.ID, "", grantSet(viaTenant(home.viewer),
		viaGroup(home.viewer, home.readers), viaGroup(home.auditor, home.readers)))
}

func testAccessVersion(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	version := func(step string, tenantID string, want int64) {
		t.Helper()
		if v, err := s.AccessVersion(ctx, tenantID); err != nil || v != want {
			t.Errorf("%s: AccessVersion = %d, %v; want %d", step, v, err, want)
		}
	}
	version("before any bump", tn.ID, 0)
	for range 3 {
		must(t, s.BumpAccessVersion(ctx, tn.ID), "BumpAccessVersion")
	}
	version("after three bumps", tn.ID, 3)
	version("other tenant", other.ID, 0)
	must(t, s.BumpAccessVersion(ctx, other.ID), "BumpAccessVersion of the other tenant")
	version("other tenant after its bump", other.ID, 1)
	version("after the other tenant's bump", tn.ID, 3)

	// A bump belongs to its transaction.
	errAbort := errors.New("abort")
	err := s.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.BumpAccessVersion(ctx, tn.ID); err != nil {
			return err
		}
		if v, err := tx.AccessVersion(ctx, tn.ID); err != nil || v != 4 {
			t.Errorf("AccessVersion inside the transaction = %d, %v; want 4", v, err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the abort", err)
	}
	version("after a rolled back bump", tn.ID, 3)

	// Concurrent bumps, the first of them creating the counter, all count.
	fresh := createTenant(t, s)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx iam.Tx) error { return tx.BumpAccessVersion(ctx, fresh.ID) })
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent BumpAccessVersion %d: %v", i, err)
		}
	}
	version("after concurrent bumps", fresh.ID, n)

	wantCode(t, s.BumpAccessVersion(ctx, newID(t)), iam.CodeNotFound, "BumpAccessVersion of an unknown tenant")
	must(t, s.DeleteTenant(ctx, tn.ID), "DeleteTenant")
	version("deleted tenant", tn.ID, 0)
	version("other tenant at the end", other.ID, 1)
}
