package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var orderTests = []test{
	{"EveryListSortsByEachNameOfItsOrder", testEveryOrder},
}

// sortedList is one list that lets the caller choose an order: its Order and
// the ids of a page of it.
type sortedList struct {
	name  string
	order iam.Order
	ids   func(ctx context.Context, p iam.ListParams) ([]string, error)
}

// testEveryOrder runs every list with each name of its iam.Order, both ways,
// and with names it does not offer: every offered name sorts (descending is
// ascending reversed, ties broken by id both ways), and any other name is
// CodeInvalid rather than some default order.
func testEveryOrder(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, func(tn *iam.Tenant) { tn.Name = "Beta" })
	createTenant(t, s, func(tn *iam.Tenant) { tn.Name = "alpha"; tn.CreatedAt = at(time.Hour) })
	// Creation, email and name orders all differ, and two users share a name.
	ann := createUser(t, s, tn.ID, "zed@example.com", func(u *iam.User) { u.Name = "Ann"; u.CreatedAt = at(2 * time.Hour) })
	bob := createUser(t, s, tn.ID, "amy@example.com", func(u *iam.User) { u.Name = "bob" })
	cat := createUser(t, s, tn.ID, "max@example.com", func(u *iam.User) { u.Name = "Ann"; u.CreatedAt = at(time.Hour) })
	su := createRole(t, s, tn.ID, "Superadmin", "*")
	createRole(t, s, tn.ID, "auditors", "audit.view")
	for _, u := range []*iam.User{ann, bob, cat} {
		must(t, s.SetUserAdminRoles(ctx, tn.ID, u.ID, []string{su.ID}), "SetUserAdminRoles")
	}
	createPermission(t, s, tn.ID, "reports.view")
	createPermission(t, s, tn.ID, "invoices.read")
	createAccessRole(t, s, tn.ID, "", "Viewer", "reports.view")
	createAccessRole(t, s, tn.ID, "", "editor", "invoices.read")
	org := createOrg(t, s, tn.ID, "zulu", func(o *iam.Organization) { o.Name = "Acme" })
	createOrg(t, s, tn.ID, "alpha", func(o *iam.Organization) { o.Name = "globex"; o.CreatedAt = at(time.Hour) })
	grp := createGroup(t, s, tn.ID, "Staff")
	createGroup(t, s, tn.ID, "admins", func(g *iam.Group) { g.CreatedAt = at(time.Hour) })
	for i, u := range []*iam.User{ann, bob, cat} {
		setMember(t, s, tn.ID, org.ID, u.ID, at(time.Duration(3-i)*time.Minute))
		addGroupMember(t, s, tn.ID, grp.ID, u.ID, at(time.Duration(3-i)*time.Minute))
	}

	lists := []sortedList{
		{"users", iam.UserOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListUsers(ctx, tn.ID, iam.UserQuery{ListParams: p})
			return ids(got, userID), err
		}},
		{"admins", iam.AdminOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListAdmins(ctx, tn.ID, p)
			return ids(got, adminID), err
		}},
		{"admin roles", iam.AdminRoleOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListAdminRoles(ctx, tn.ID, p)
			return ids(got, roleID), err
		}},
		{"tenants", iam.TenantOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListTenants(ctx, p)
			return ids(got, tenantID), err
		}},
		{"permissions", iam.PermissionOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListPermissions(ctx, tn.ID, p)
			return ids(got, permissionID), err
		}},
		{"roles", iam.RoleOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListRoles(ctx, tn.ID, iam.RoleQuery{ListParams: p})
			return ids(got, accessRoleID), err
		}},
		{"organizations", iam.OrganizationOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListOrganizations(ctx, tn.ID, p)
			return ids(got, organizationID), err
		}},
		{"members", iam.MemberOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListMembers(ctx, tn.ID, org.ID, p)
			return ids(got, memberUserID), err
		}},
		{"groups", iam.GroupOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListGroups(ctx, tn.ID, iam.GroupQuery{ListParams: p})
			return ids(got, groupIDOf), err
		}},
		{"group members", iam.GroupMemberOrder, func(ctx context.Context, p iam.ListParams) ([]string, error) {
			got, _, err := s.ListGroupMembers(ctx, tn.ID, grp.ID, p)
			return ids(got, groupMemberID), err
		}},
	}
	unknown := []string{"bogus", "password_hash", "id", "Name", " name", "name; DROP TABLE users", "-name"}
	for _, l := range lists {
		page := func(name string, desc bool) iam.ListParams {
			return iam.ListParams{Page: 1, Limit: 10, OrderBy: name, Desc: desc}
		}
		def, err := l.ids(ctx, page("", false))
		if err != nil || len(def) < 2 {
			t.Errorf("%s in the default order = %v, %v; want two or more", l.name, def, err)
			continue
		}
		for _, name := range l.order {
			asc, err := l.ids(ctx, page(name, false))
			if err != nil {
				t.Errorf("%s by %s: %v", l.name, name, err)
				continue
			}
			desc, err := l.ids(ctx, page(name, true))
			if err != nil {
				t.Errorf("%s by -%s: %v", l.name, name, err)
				continue
			}
			if !wantIDs(sorted(asc), sorted(def)) || !wantIDs(desc, reversed(asc)) {
				t.Errorf("%s by %s = %v, descending %v; want every row, and descending the reverse", l.name, name, asc, desc)
			}
			if name == l.order[0] && !wantIDs(asc, def) {
				t.Errorf("%s by default = %v; want by %s: %v", l.name, def, name, asc)
			}
		}
		for _, name := range unknown {
			_, err := l.ids(ctx, page(name, false))
			wantCode(t, err, iam.CodeInvalid, l.name+" by "+name)
		}
	}
}

func reversed(s []string) []string {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}
