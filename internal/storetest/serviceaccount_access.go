package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var serviceAccountAccessTests = []test{
	{"AdminRoleChangesMoveVersion", testServiceAccountAdminRoleChangesMoveVersion},
	{"Roles", testAccountRoles},
	{"Members", testAccountMembers},
	{"AdminRoles", testAccountAdminRoles},
	{"Grants", testAccountGrants},
	{"OtherTenant", testAccountAccessOtherTenant},
	{"DeleteAccount", testAccountAccessDeleteAccount},
}

func testAccountRoles(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	u := createUser(t, s, tn.ID, "u@example.com")
	r1, r2 := createAccessRole(t, s, tn.ID, "", "reader", "invoices.read"), createAccessRole(t, s, tn.ID, "", "writer", "invoices.*")
	must(t, s.AddServiceAccountRole(ctx, tn.ID, a.ID, r1.ID), "AddServiceAccountRole")
	must(t, s.AddServiceAccountRole(ctx, tn.ID, a.ID, r1.ID), "AddServiceAccountRole again")
	must(t, s.AddServiceAccountRole(ctx, tn.ID, a.ID, r2.ID), "AddServiceAccountRole")
	got, err := s.ServiceAccountRoles(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountRoles")
	check(t, "account roles", byAccessRoleID(got), accessRoles(r1, r2))
	// A user with the account's id would not share them; a user's roles are
	// not the account's.
	if roles, err := s.UserRoles(ctx, tn.ID, u.ID); err != nil || len(roles) != 0 {
		t.Errorf("UserRoles of another subject = %v, %v; want none", roles, err)
	}
	removed, err := s.RemoveServiceAccountRole(ctx, tn.ID, a.ID, r1.ID)
	if err != nil || !removed {
		t.Errorf("RemoveServiceAccountRole = %v, %v; want true", removed, err)
	}
	removed, err = s.RemoveServiceAccountRole(ctx, tn.ID, a.ID, r1.ID)
	if err != nil || removed {
		t.Errorf("RemoveServiceAccountRole again = %v, %v; want false", removed, err)
	}
	got, err = s.ServiceAccountRoles(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountRoles")
	check(t, "account roles after removal", byAccessRoleID(got), accessRoles(r2))
	wantCode(t, s.AddServiceAccountRole(ctx, tn.ID, u.ID, r1.ID), iam.CodeNotFound, "AddServiceAccountRole to a user's id")
}

func testAccountMembers(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	acme, beta := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "beta")
	own := createAccessRole(t, s, tn.ID, acme.ID, "acme-reader", "invoices.read")
	tmpl := createAccessRole(t, s, tn.ID, "", "writer", "invoices.write")
	created, err := s.SetServiceAccountMember(ctx, tn.ID, acme.ID, a.ID, []string{own.ID}, at(time.Minute))
	if err != nil || !created {
		t.Fatalf("SetServiceAccountMember = %v, %v; want created", created, err)
	}
	created, err = s.SetServiceAccountMember(ctx, tn.ID, acme.ID, a.ID, []string{own.ID, tmpl.ID}, at(time.Hour))
	if err != nil || created {
		t.Errorf("SetServiceAccountMember again = %v, %v; want not created", created, err)
	}
	_, err = s.SetServiceAccountMember(ctx, tn.ID, beta.ID, a.ID, nil, at(time.Minute))
	must(t, err, "SetServiceAccountMember beta")
	got, err := s.ServiceAccountMemberships(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountMemberships")
	if len(got) != 2 || got[0].Organization.ID != acme.ID || got[1].Organization.ID != beta.ID {
		t.Fatalf("ServiceAccountMemberships = %v; want acme, beta", got)
	}
	check(t, "acme membership", &got[0], &iam.Membership{Organization: *acme, Roles: accessRoles(own, tmpl), CreatedAt: at(time.Minute)})
	check(t, "beta membership", &got[1], &iam.Membership{Organization: *beta, Roles: []iam.Role{}, CreatedAt: at(time.Minute)})
	// The organization's user members are not its service accounts.
	if members, n, err := s.ListMembers(ctx, tn.ID, acme.ID, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 {
		t.Errorf("ListMembers = %v, %d, %v; want no users", members, n, err)
	}
	removed, err := s.RemoveServiceAccountMember(ctx, tn.ID, acme.ID, a.ID)
	if err != nil || !removed {
		t.Errorf("RemoveServiceAccountMember = %v, %v; want true", removed, err)
	}
	removed, err = s.RemoveServiceAccountMember(ctx, tn.ID, acme.ID, a.ID)
	if err != nil || removed {
		t.Errorf("RemoveServiceAccountMember again = %v, %v; want false", removed, err)
	}
	got, err = s.ServiceAccountMemberships(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountMemberships")
	if len(got) != 1 || got[0].Organization.ID != beta.ID {
		t.Errorf("ServiceAccountMemberships after removal = %v; want beta", got)
	}
	// Deleting an organization ends its memberships.
	must(t, s.DeleteOrganization(ctx, tn.ID, beta.ID), "DeleteOrganization")
	got, err = s.ServiceAccountMemberships(ctx, tn.ID, a.ID)
	if err != nil || len(got) != 0 {
		t.Errorf("ServiceAccountMemberships after the organization's deletion = %v, %v; want none", got, err)
	}
}

func testAccountAdminRoles(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	r1, r2 := createRole(t, s, tn.ID, "auditor", "audit.view"), createRole(t, s, tn.ID, "helpdesk", "users.read")
	must(t, s.SetServiceAccountAdminRoles(ctx, tn.ID, a.ID, []string{r2.ID, r1.ID}), "SetServiceAccountAdminRoles")
	got, err := s.ServiceAccountAdminRoles(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountAdminRoles")
	if !wantIDs(ids(got, roleID), []string{r1.ID, r2.ID}) {
		t.Errorf("ServiceAccountAdminRoles = %v; want auditor, helpdesk by name", ids(got, roleID))
	}
	acc, err := s.GetServiceAccount(ctx, tn.ID, a.ID)
	must(t, err, "GetServiceAccount")
	if acc.Version != 2 {
		t.Errorf("Version after SetServiceAccountAdminRoles = %d, want 2", acc.Version)
	}
	must(t, s.SetServiceAccountAdminRoles(ctx, tn.ID, a.ID, nil), "SetServiceAccountAdminRoles to none")
	if got, err := s.ServiceAccountAdminRoles(ctx, tn.ID, a.ID); err != nil || len(got) != 0 {
		t.Errorf("ServiceAccountAdminRoles after clearing = %v, %v; want none", got, err)
	}
	// A service account's admin roles do not make a user admin.
	if admins, n, err := s.ListAdmins(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 {
		t.Errorf("ListAdmins = %v, %d, %v; want none", admins, n, err)
	}
	wantCode(t, s.SetServiceAccountAdminRoles(ctx, tn.ID, newID(t), []string{r1.ID}), iam.CodeNotFound, "SetServiceAccountAdminRoles of an unknown account")
}

func testAccountGrants(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	acme := createOrg(t, s, tn.ID, "acme")
	wide := createAccessRole(t, s, tn.ID, "", "reader", "invoices.read")
	own := createAccessRole(t, s, tn.ID, acme.ID, "acme-writer", "invoices.write")
	must(t, s.AddServiceAccountRole(ctx, tn.ID, a.ID, wide.ID), "AddServiceAccountRole")
	_, err := s.SetServiceAccountMember(ctx, tn.ID, acme.ID, a.ID, []string{own.ID}, t0)
	must(t, err, "SetServiceAccountMember")
	tenantWide := iam.Grant{Permission: "invoices.read", RoleID: wide.ID, RoleName: wide.Name, Via: iam.ViaTenant}
	inAcme := iam.Grant{Permission: "invoices.write", RoleID: own.ID, RoleName: own.Name, Via: iam.ViaOrganization, ViaID: acme.ID, ViaName: acme.Name}
	for _, tc := range []struct {
		org  string
		want []iam.Grant
	}{{"", []iam.Grant{tenantWide}}, {acme.ID, []iam.Grant{tenantWide, inAcme}}, {newID(t), []iam.Grant{tenantWide}}} {
		got, err := s.ServiceAccountGrants(ctx, tn.ID, a.ID, tc.org)
		must(t, err, "ServiceAccountGrants")
		slices.SortFunc(got, func(x, y iam.Grant) int { return len(x.Via) - len(y.Via) })
		check(t, "grants in "+tc.org, got, tc.want)
	}
	if got, err := s.Grants(ctx, tn.ID, a.ID, acme.ID); err != nil || len(got) != 0 {
		t.Errorf("Grants of the account's id as a user = %v, %v; want none", got, err)
	}
}

func testAccountAccessOtherTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	foreignRole := createAccessRole(t, s, other.ID, "", "reader", "invoices.read")
	foreignOrg := createOrg(t, s, other.ID, "acme")
	foreignAdmin := createRole(t, s, other.ID, "auditor", "audit.view")
	wantCode(t, s.AddServiceAccountRole(ctx, tn.ID, a.ID, foreignRole.ID), iam.CodeNotFound, "AddServiceAccountRole of another tenant's role")
	wantCode(t, s.AddServiceAccountRole(ctx, other.ID, a.ID, foreignRole.ID), iam.CodeNotFound, "AddServiceAccountRole to another tenant's account")
	_, err := s.SetServiceAccountMember(ctx, tn.ID, foreignOrg.ID, a.ID, nil, t0)
	wantCode(t, err, iam.CodeNotFound, "SetServiceAccountMember of another tenant's organization")
	wantCode(t, s.SetServiceAccountAdminRoles(ctx, tn.ID, a.ID, []string{foreignAdmin.ID}), iam.CodeNotFound, "SetServiceAccountAdminRoles of another tenant's role")
	if roles, err := s.ServiceAccountAdminRoles(ctx, tn.ID, a.ID); err != nil || len(roles) != 0 {
		t.Errorf("ServiceAccountAdminRoles = %v, %v; want none", roles, err)
	}
}

func testAccountAccessDeleteAccount(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	acme := createOrg(t, s, tn.ID, "acme")
	r := createAccessRole(t, s, tn.ID, "", "reader", "invoices.read")
	admin := createRole(t, s, tn.ID, "auditor", "audit.view")
	must(t, s.AddServiceAccountRole(ctx, tn.ID, a.ID, r.ID), "AddServiceAccountRole")
	_, err := s.SetServiceAccountMember(ctx, tn.ID, acme.ID, a.ID, []string{r.ID}, t0)
	must(t, err, "SetServiceAccountMember")
	must(t, s.SetServiceAccountAdminRoles(ctx, tn.ID, a.ID, []string{admin.ID}), "SetServiceAccountAdminRoles")
	must(t, s.DeleteServiceAccount(ctx, tn.ID, a.ID), "DeleteServiceAccount")
	roles, err := s.ServiceAccountRoles(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountRoles")
	ms, err := s.ServiceAccountMemberships(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountMemberships")
	admins, err := s.ServiceAccountAdminRoles(ctx, tn.ID, a.ID)
	must(t, err, "ServiceAccountAdminRoles")
	grants, err := s.ServiceAccountGrants(ctx, tn.ID, a.ID, acme.ID)
	must(t, err, "ServiceAccountGrants")
	if len(roles)+len(ms)+len(admins)+len(grants) != 0 {
		t.Errorf("after deletion: roles %v, memberships %v, admin roles %v, grants %v; want none", roles, ms, admins, grants)
	}
}

// testServiceAccountAdminRoleChangesMoveVersion: a service account is shown
// with the admin roles it holds, so changing or deleting one of them moves
// its version (its ETag), as it does a user's.
func testServiceAccountAdminRoleChangesMoveVersion(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	r := createRole(t, s, tn.ID, "Readers", "users.read")
	held := createServiceAccount(t, s, tn.ID, "held")
	other := createServiceAccount(t, s, tn.ID, "other")
	must(t, s.SetServiceAccountAdminRoles(ctx, tn.ID, held.ID, []string{r.ID}), "SetServiceAccountAdminRoles")
	version := func(id string) int64 {
		t.Helper()
		a, err := s.GetServiceAccount(ctx, tn.ID, id)
		must(t, err, "GetServiceAccount")
		return a.Version
	}
	before, otherBefore := version(held.ID), version(other.ID)
	r.Name = "Auditors"
	must(t, s.UpdateAdminRole(ctx, r), "UpdateAdminRole")
	if got := version(held.ID); got != before+1 {
		t.Errorf("version after the held role changed = %d, want %d", got, before+1)
	}
	must(t, s.DeleteAdminRole(ctx, tn.ID, r.ID), "DeleteAdminRole")
	if got := version(held.ID); got != before+2 {
		t.Errorf("version after the held role was deleted = %d, want %d", got, before+2)
	}
	if got := version(other.ID); got != otherBefore {
		t.Errorf("the version of an account holding no role moved to %d from %d", got, otherBefore)
	}
}
