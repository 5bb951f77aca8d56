package storetest

import (
	"cmp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var organizationTests = []test{
	{"CreateGet", testOrgCreateGet},
	{"NotFound", testOrgNotFound},
	{"AliasTaken", testOrgAliasTaken},
	{"ExternalIDTaken", testOrgExternalIDTaken},
	{"List", testOrgList},
	{"ListSearchNonASCII", testOrgListSearchNonASCII},
	{"Update", testOrgUpdate},
	{"Delete", testOrgDelete},
	{"SetMember", testSetMember},
	{"SetMemberIsAtomic", testSetMemberIsAtomic},
	{"RemoveMember", testRemoveMember},
	{"ListMembers", testListMembers},
	{"ListMembersSharingARole", testListMembersSharingARole},
	{"UserMemberships", testUserMemberships},
	{"UserInMFAOrganization", testUserInMFAOrganization},
}

func testOrgCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	for _, want := range []*iam.Organization{
		{ID: newID(t), TenantID: tn.ID, Name: "Acme Inc.", Alias: "acme", ExternalID: "crm-42",
			Metadata: map[string]any{
				"plan": "enterprise", "seats": float64(250), "sso": true, "regions": []any{"eu", "us"},
				"billing": map[string]any{"vat": "DE123", "net_days": float64(30)}, "note": nil,
			},
			MFA: "required", CreatedAt: t0, UpdatedAt: at(time.Second + 999*time.Nanosecond)},
		{ID: newID(t), TenantID: tn.ID, Name: "Globex", Alias: "globex-eu", Metadata: map[string]any{},
			MFA: "optional", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
		{ID: newID(t), TenantID: tn.ID, Name: "Ünïcode GmbH", Alias: "unicode", MFA: "optional", CreatedAt: t0, UpdatedAt: t0},
	} {
		must(t, s.CreateOrganization(ctx, want), "CreateOrganization "+want.Alias)
		got, err := s.GetOrganization(ctx, tn.ID, want.ID)
		must(t, err, "GetOrganization "+want.Alias)
		check(t, "GetOrganization "+want.Alias, got, want)
		got, err = s.GetOrganizationByAlias(ctx, tn.ID, want.Alias)
		must(t, err, "GetOrganizationByAlias "+want.Alias)
		check(t, "GetOrganizationByAlias "+want.Alias, got, want)
	}
}

func testOrgNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	o := createOrg(t, s, tn.ID, "acme", func(o *iam.Organization) { o.ExternalID = "crm-1" })
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetOrganization":        func() error { _, err := s.GetOrganization(ctx, tn.ID, unknown); return err },
		"GetOrganizationByAlias": func() error { _, err := s.GetOrganizationByAlias(ctx, tn.ID, "nope"); return err },
		"UpdateOrganization": func() error {
			return s.UpdateOrganization(ctx, &iam.Organization{ID: unknown, TenantID: tn.ID, Name: "X", Alias: "x", UpdatedAt: t0})
		},
		"DeleteOrganization":                  func() error { return s.DeleteOrganization(ctx, tn.ID, unknown) },
		"GetOrganization from another tenant": func() error { _, err := s.GetOrganization(ctx, other.ID, o.ID); return err },
		"GetOrganizationByAlias from another tenant": func() error {
			_, err := s.GetOrganizationByAlias(ctx, other.ID, o.Alias)
			return err
		},
		"UpdateOrganization from another tenant": func() error {
			upd := *o
			upd.TenantID, upd.Name, upd.Alias, upd.UpdatedAt = other.ID, "Hijacked", "hijacked", at(time.Hour)
			return s.UpdateOrganization(ctx, &upd)
		},
		"DeleteOrganization from another tenant": func() error { return s.DeleteOrganization(ctx, other.ID, o.ID) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetOrganization(ctx, tn.ID, o.ID)
	must(t, err, "GetOrganization")
	check(t, "organization after foreign update and delete", got, o)
	if _, n, err := s.ListOrganizations(ctx, other.ID, iam.ListParams{Page: 1, Limit: 10}); err != nil || n != 0 {
		t.Errorf("ListOrganizations of the other tenant: total %d, %v; want 0", n, err)
	}
}

func testOrgAliasTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createOrg(t, s, a.ID, "acme")
	dup := &iam.Organization{ID: newID(t), TenantID: a.ID, Name: "Another Acme", Alias: "acme", CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateOrganization(ctx, dup), iam.CodeAliasTaken, "CreateOrganization with a taken alias")
	_, err := s.GetOrganization(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetOrganization of the rejected organization")

	// The same alias in another tenant is another organization; names need not be unique.
	createOrg(t, s, b.ID, "acme")
	other := createOrg(t, s, a.ID, "globex", func(o *iam.Organization) { o.Name = first.Name })

	upd := *other
	upd.Alias, upd.Name, upd.UpdatedAt = first.Alias, "Renamed", at(time.Hour)
	wantCode(t, s.UpdateOrganization(ctx, &upd), iam.CodeAliasTaken, "UpdateOrganization to a taken alias")
	got, err := s.GetOrganization(ctx, a.ID, other.ID)
	must(t, err, "GetOrganization")
	check(t, "organization after the rejected update", got, other)
	got, err = s.GetOrganizationByAlias(ctx, a.ID, first.Alias)
	must(t, err, "GetOrganizationByAlias")
	check(t, "holder of the alias", got, first)
}

func testOrgExternalIDTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	withExt := func(id string) func(*iam.Organization) { return func(o *iam.Organization) { o.ExternalID = id } }
	createOrg(t, s, a.ID, "acme", withExt("E1"))
	dup := &iam.Organization{ID: newID(t), TenantID: a.ID, Name: "Dup", Alias: "dup", ExternalID: "E1", CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateOrganization(ctx, dup), iam.CodeExternalIDTaken, "CreateOrganization with a taken external_id")
	_, err := s.GetOrganization(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetOrganization of the rejected organization")

	// Empty means unset: any number of organizations may lack one.
	var plain []*iam.Organization
	for _, alias := range []string{"one", "two", "three"} {
		plain = append(plain, createOrg(t, s, a.ID, alias))
	}
	for _, o := range plain {
		got, err := s.GetOrganization(ctx, a.ID, o.ID)
		must(t, err, "GetOrganization")
		if got.ExternalID != "" {
			t.Errorf("ExternalID = %q, want empty", got.ExternalID)
		}
	}
	createOrg(t, s, b.ID, "acme", withExt("E1"))

	upd := *plain[0]
	upd.ExternalID, upd.UpdatedAt = "E1", at(time.Hour)
	wantCode(t, s.UpdateOrganization(ctx, &upd), iam.CodeExternalIDTaken, "UpdateOrganization to a taken external_id")
	got, err := s.GetOrganization(ctx, a.ID, plain[0].ID)
	must(t, err, "GetOrganization")
	check(t, "organization after the rejected update", got, plain[0])
}

func testOrgList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	// Created in this order, one minute apart; names, aliases and creation
	// order sort three different ways.
	fixtures := []struct{ name, alias string }{
		{"Umbrella Corp", "umbrella"},
		{"acme Inc", "zz-acme"},
		{"Globex", "globex-eu"},
		{"Initech", "acme-sub"},
		{"Stark_Industries", "stark"},
		{"100% Pure", "pure"},
	}
	byAlias := map[string]*iam.Organization{}
	for i, f := range fixtures {
		byAlias[f.alias] = createOrg(t, s, tn.ID, f.alias, func(o *iam.Organization) {
			o.Name, o.Metadata = f.name, map[string]any{"rank": float64(i)}
			o.CreatedAt, o.UpdatedAt = at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
		})
	}
	createOrg(t, s, other.ID, "acme", func(o *iam.Organization) { o.Name = "Acme Elsewhere" })
	createOrg(t, s, other.ID, "corp-two")
	idsOf := func(aliases ...string) []string {
		out := []string{}
		for _, a := range aliases {
			out = append(out, byAlias[a].ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		p     iam.ListParams
		want  []string
		total int
	}{
		{"created asc", iam.ListParams{OrderBy: "created_at"},
			idsOf("umbrella", "zz-acme", "globex-eu", "acme-sub", "stark", "pure"), 6},
		{"created desc", iam.ListParams{OrderBy: "created_at", Desc: true},
			idsOf("pure", "stark", "acme-sub", "globex-eu", "zz-acme", "umbrella"), 6},
		{"name asc, any case", iam.ListParams{OrderBy: "name"},
			idsOf("pure", "zz-acme", "globex-eu", "acme-sub", "stark", "umbrella"), 6},
		{"name desc", iam.ListParams{OrderBy: "name", Desc: true},
			idsOf("umbrella", "stark", "acme-sub", "globex-eu", "zz-acme", "pure"), 6},
		{"alias asc", iam.ListParams{OrderBy: "alias"},
			idsOf("acme-sub", "globex-eu", "pure", "stark", "umbrella", "zz-acme"), 6},
		{"alias desc", iam.ListParams{OrderBy: "alias", Desc: true},
			idsOf("zz-acme", "umbrella", "stark", "pure", "globex-eu", "acme-sub"), 6},
		{"search name and alias, any case", iam.ListParams{OrderBy: "name", Search: "ACME"}, idsOf("zz-acme", "acme-sub"), 2},
		{"search alias only", iam.ListParams{OrderBy: "name", Search: "-eu"}, idsOf("globex-eu"), 1},
		{"search name only", iam.ListParams{OrderBy: "name", Search: "corp"}, idsOf("umbrella"), 1},
		{"search percent literally", iam.ListParams{OrderBy: "name", Search: "%"}, idsOf("pure"), 1},
		{"search underscore literally", iam.ListParams{OrderBy: "name", Search: "_"}, idsOf("stark"), 1},
		{"search without match", iam.ListParams{OrderBy: "name", Search: "elsewhere"}, idsOf(), 0},
		{"first page", iam.ListParams{OrderBy: "alias", Limit: 4}, idsOf("acme-sub", "globex-eu", "pure", "stark"), 6},
		{"second page", iam.ListParams{OrderBy: "alias", Limit: 4, Page: 2}, idsOf("umbrella", "zz-acme"), 6},
		{"past the end", iam.ListParams{OrderBy: "alias", Limit: 4, Page: 3}, idsOf(), 6},
		{"page of descending", iam.ListParams{OrderBy: "name", Desc: true, Limit: 2, Page: 2}, idsOf("acme-sub", "globex-eu"), 6},
		{"page of search", iam.ListParams{OrderBy: "alias", Search: "acme", Limit: 1, Page: 2}, idsOf("zz-acme"), 2},
	} {
		tc.p.Page, tc.p.Limit = max(tc.p.Page, 1), cmp.Or(tc.p.Limit, 10)
		got, total, err := s.ListOrganizations(ctx, tn.ID, tc.p)
		if !listed(t, tc.name+": ListOrganizations", got, total, err, organizationID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			if want, ok := byAlias[got[i].Alias]; ok {
				check(t, tc.name+": listed organization", &got[i], want)
			}
		}
	}
}

func aliases(os []iam.Organization) []string {
	return ids(os, func(o iam.Organization) string { return o.Alias })
}

func testOrgListSearchNonASCII(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	erable := createOrg(t, s, tn.ID, "erable", func(o *iam.Organization) { o.Name = "Érable Ltée" })
	eclair := createOrg(t, s, tn.ID, "eclair", func(o *iam.Organization) { o.Name = "éclair" })
	zulu := createOrg(t, s, tn.ID, "zulu", func(o *iam.Organization) { o.Name = "Zulu" })
	for _, search := range []string{"Érable", "érable", "ÉRABLE", "ble lt", "LTÉE"} {
		got, total, err := s.ListOrganizations(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: search})
		if err != nil || total != 1 || !wantIDs(ids(got, organizationID), []string{erable.ID}) {
			t.Errorf("ListOrganizations search %q = %v, total %d, %v; want erable only", search, aliases(got), total, err)
		}
	}
	// By folded name, "éclair" sorts before "érable" whatever the case.
	got, _, err := s.ListOrganizations(ctx, tn.ID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"})
	must(t, err, "ListOrganizations")
	if !wantIDs(ids(got, organizationID), []string{zulu.ID, eclair.ID, erable.ID}) {
		t.Errorf("ListOrganizations by name = %v; want [zulu eclair erable]", aliases(got))
	}
}

func testOrgUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	o := createOrg(t, s, tn.ID, "acme", func(o *iam.Organization) { o.Metadata = map[string]any{"plan": "free"} })

	upd := *o
	upd.Name, upd.Alias, upd.ExternalID, upd.UpdatedAt = "Acme Worldwide", "acme-ww", "crm-9", at(time.Hour)
	upd.Metadata = map[string]any{"plan": "enterprise", "seats": float64(10)}
	upd.MFA = "required"
	upd.CreatedAt = at(24 * time.Hour) // not mutable
	must(t, s.UpdateOrganization(ctx, &upd), "UpdateOrganization")
	want := upd
	want.CreatedAt = o.CreatedAt
	got, err := s.GetOrganization(ctx, tn.ID, o.ID)
	must(t, err, "GetOrganization")
	check(t, "organization after update", got, &want)

	_, err = s.GetOrganizationByAlias(ctx, tn.ID, o.Alias)
	wantCode(t, err, iam.CodeNotFound, "GetOrganizationByAlias of the old alias")
	got, err = s.GetOrganizationByAlias(ctx, tn.ID, upd.Alias)
	must(t, err, "GetOrganizationByAlias of the new alias")
	check(t, "organization by new alias", got, &want)

	want.ExternalID, want.Metadata, want.UpdatedAt, want.Version = "", nil, at(2*time.Hour), 3
	upd = want
	must(t, s.UpdateOrganization(ctx, &upd), "UpdateOrganization clearing external_id and metadata")
	got, err = s.GetOrganization(ctx, tn.ID, o.ID)
	must(t, err, "GetOrganization")
	check(t, "organization after second update", got, &want)
	// The old alias and a cleared external_id are free for another organization.
	createOrg(t, s, tn.ID, o.Alias, func(o *iam.Organization) { o.ExternalID = "crm-9" })
}

func testOrgDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	gone := createOrg(t, s, tn.ID, "gone", func(o *iam.Organization) { o.ExternalID = "crm-1" })
	kept := createOrg(t, s, tn.ID, "kept")

	must(t, s.DeleteOrganization(ctx, tn.ID, gone.ID), "DeleteOrganization")
	_, err := s.GetOrganization(ctx, tn.ID, gone.ID)
	wantCode(t, err, iam.CodeNotFound, "GetOrganization after delete")
	_, err = s.GetOrganizationByAlias(ctx, tn.ID, gone.Alias)
	wantCode(t, err, iam.CodeNotFound, "GetOrganizationByAlias after delete")
	wantCode(t, s.DeleteOrganization(ctx, tn.ID, gone.ID), iam.CodeNotFound, "DeleteOrganization again")

	got, err := s.GetOrganization(ctx, tn.ID, kept.ID)
	must(t, err, "GetOrganization of the other organization")
	check(t, "other organization", got, kept)
	// The alias and external_id are free again.
	createOrg(t, s, tn.ID, gone.Alias, func(o *iam.Organization) { o.ExternalID = "crm-1" })
}

// member is what GetMember and ListMembers should answer, roles by id.
func member(orgID string, u *iam.User, joined time.Time, roles ...*iam.Role) iam.Member {
	return iam.Member{OrganizationID: orgID, User: *u, Roles: accessRoles(roles...), CreatedAt: joined}
}

// getMember fails the test unless GetMember answers want.
func getMember(t *testing.T, s iam.Store, step, tenantID, orgID, userID string, want iam.Member) {
	t.Helper()
	got, err := s.GetMember(t.Context(), tenantID, orgID, userID)
	if err != nil {
		t.Errorf("%s: GetMember: %v", step, err)
		return
	}
	got.Roles = byAccessRoleID(got.Roles)
	check(t, step+": GetMember", got, &want)
}

func testSetMember(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, b := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "beta")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read", "reports.read")
	editor := createAccessRole(t, s, tn.ID, "", "Editor", "invoices.*")
	owner := createAccessRole(t, s, tn.ID, a.ID, "Owner", "orgs.manage")
	u := createUser(t, s, tn.ID, "ada@example.com")
	bystander := createUser(t, s, tn.ID, "grace@example.com")
	setMember(t, s, tn.ID, a.ID, bystander.ID, at(-time.Hour), viewer)

	_, err := s.GetMember(ctx, tn.ID, a.ID, u.ID)
	wantCode(t, err, iam.CodeNotFound, "GetMember before SetMember")
	for _, step := range []struct {
		name    string
		org     *iam.Organization
		roles   []*iam.Role
		when    time.Time
		created bool
		want    iam.Member
	}{
		{"join with roles", a, []*iam.Role{viewer, owner}, t0, true, member(a.ID, u, t0, viewer, owner)},
		{"replace roles", a, []*iam.Role{editor}, at(time.Hour), false, member(a.ID, u, t0, editor)},
		{"replace overlapping", a, []*iam.Role{owner, editor}, at(2 * time.Hour), false, member(a.ID, u, t0, editor, owner)},
		{"no roles", a, nil, at(3 * time.Hour), false, member(a.ID, u, t0)},
		{"roles again", a, []*iam.Role{viewer}, at(4 * time.Hour), false, member(a.ID, u, t0, viewer)},
		{"join another organization", b, []*iam.Role{editor}, at(5 * time.Hour), true, member(b.ID, u, at(5*time.Hour), editor)},
		{"join without roles", b, []*iam.Role{}, at(6 * time.Hour), false, member(b.ID, u, at(5*time.Hour))},
	} {
		created, err := s.SetMember(ctx, tn.ID, step.org.ID, u.ID, ids(step.roles, func(r *iam.Role) string { return r.ID }), step.when)
		if err != nil || created != step.created {
			t.Errorf("%s: SetMember = %v, %v; want %v", step.name, created, err, step.created)
			continue
		}
		getMember(t, s, step.name, tn.ID, step.org.ID, u.ID, step.want)
	}
	getMember(t, s, "membership of the first organization", tn.ID, a.ID, u.ID, member(a.ID, u, t0, viewer))
	getMember(t, s, "bystander", tn.ID, a.ID, bystander.ID, member(a.ID, bystander, at(-time.Hour), viewer))
	_, err = s.GetMember(ctx, tn.ID, b.ID, bystander.ID)
	wantCode(t, err, iam.CodeNotFound, "GetMember of a non-member")

	// A role's changes reach the members holding it.
	upd := *viewer
	upd.Name, upd.Permissions, upd.UpdatedAt = "Reader", []string{"reports.read"}, at(time.Hour)
	must(t, s.UpdateRole(ctx, &upd), "UpdateRole")
	getMember(t, s, "after the role changed", tn.ID, a.ID, bystander.ID, member(a.ID, bystander, at(-time.Hour), &upd))

	unknown := newID(t)
	for name, call := range map[string]func() error{
		"SetMember in an unknown organization": func() error { _, err := s.SetMember(ctx, tn.ID, unknown, u.ID, nil, t0); return err },
		"SetMember of an unknown user":         func() error { _, err := s.SetMember(ctx, tn.ID, a.ID, unknown, nil, t0); return err },
		"SetMember with an unknown role": func() error {
			_, err := s.SetMember(ctx, tn.ID, a.ID, u.ID, []string{unknown}, t0)
			return err
		},
		"GetMember of an unknown user":         func() error { _, err := s.GetMember(ctx, tn.ID, a.ID, unknown); return err },
		"GetMember in an unknown organization": func() error { _, err := s.GetMember(ctx, tn.ID, unknown, u.ID); return err },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	getMember(t, s, "after the failed calls", tn.ID, a.ID, u.ID, member(a.ID, u, t0, &upd))
}

// testSetMemberIsAtomic checks that a SetMember failing part-way leaves the
// membership and its roles as they were.
func testSetMemberIsAtomic(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createOrg(t, s, tn.ID, "acme")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read")
	editor := createAccessRole(t, s, tn.ID, "", "Editor", "invoices.*")
	u := createUser(t, s, tn.ID, "ada@example.com")
	newcomer := createUser(t, s, tn.ID, "grace@example.com")
	setMember(t, s, tn.ID, a.ID, u.ID, t0, viewer)

	if _, err := s.SetMember(ctx, tn.ID, a.ID, u.ID, []string{editor.ID, newID(t)}, at(time.Hour)); err == nil {
		t.Error("SetMember with an unknown role succeeded")
	}
	getMember(t, s, "member after a failed SetMember", tn.ID, a.ID, u.ID, member(a.ID, u, t0, viewer))

	if _, err := s.SetMember(ctx, tn.ID, a.ID, newcomer.ID, []string{editor.ID, newID(t)}, at(time.Hour)); err == nil {
		t.Error("SetMember of a newcomer with an unknown role succeeded")
	}
	_, err := s.GetMember(ctx, tn.ID, a.ID, newcomer.ID)
	wantCode(t, err, iam.CodeNotFound, "GetMember of the newcomer after a failed SetMember")
	if ms, err := s.UserMemberships(ctx, tn.ID, newcomer.ID); err != nil || len(ms) != 0 {
		t.Errorf("UserMemberships of the newcomer = %d, %v; want none", len(ms), err)
	}
	// The newcomer can still join, and the join is new.
	created, err := s.SetMember(ctx, tn.ID, a.ID, newcomer.ID, []string{editor.ID}, at(2*time.Hour))
	if err != nil || !created {
		t.Errorf("SetMember of the newcomer = %v, %v; want created", created, err)
	}
	getMember(t, s, "newcomer", tn.ID, a.ID, newcomer.ID, member(a.ID, newcomer, at(2*time.Hour), editor))
}

func testRemoveMember(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, b := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "beta")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read")
	owner := createAccessRole(t, s, tn.ID, a.ID, "Owner", "orgs.manage")
	u := createUser(t, s, tn.ID, "ada@example.com")
	bystander := createUser(t, s, tn.ID, "grace@example.com")
	setMember(t, s, tn.ID, a.ID, u.ID, t0, viewer, owner)
	setMember(t, s, tn.ID, b.ID, u.ID, t0, viewer)
	setMember(t, s, tn.ID, a.ID, bystander.ID, t0, owner)

	for _, step := range []struct {
		name     string
		org      *iam.Organization
		user     *iam.User
		wasThere bool
	}{
		{"remove a member", a, u, true},
		{"remove again", a, u, false},
		{"remove a non-member", b, bystander, false},
		{"remove from an unknown organization", &iam.Organization{ID: newID(t)}, u, false},
	} {
		was, err := s.RemoveMember(ctx, tn.ID, step.org.ID, step.user.ID)
		if err != nil || was != step.wasThere {
			t.Errorf("%s: RemoveMember = %v, %v; want %v", step.name, was, err, step.wasThere)
		}
	}
	_, err := s.GetMember(ctx, tn.ID, a.ID, u.ID)
	wantCode(t, err, iam.CodeNotFound, "GetMember after RemoveMember")
	getMember(t, s, "other membership", tn.ID, b.ID, u.ID, member(b.ID, u, t0, viewer))
	getMember(t, s, "bystander", tn.ID, a.ID, bystander.ID, member(a.ID, bystander, t0, owner))
	if grants, err := s.Grants(ctx, tn.ID, u.ID, a.ID); err != nil || len(grants) != 0 {
		t.Errorf("Grants in the organization left = %v, %v; want none", grants, err)
	}

	// Joining again starts afresh: the old roles are gone with the membership.
	created, err := s.SetMember(ctx, tn.ID, a.ID, u.ID, nil, at(time.Hour))
	if err != nil || !created {
		t.Errorf("SetMember after RemoveMember = %v, %v; want created", created, err)
	}
	getMember(t, s, "member again", tn.ID, a.ID, u.ID, member(a.ID, u, at(time.Hour)))
}

// memberFixtures creates users whose emails, names and creation order sort
// three different ways, keyed by the local part of their email.
func memberFixtures(t *testing.T, s iam.Store, tenantID string) map[string]*iam.User {
	t.Helper()
	people := map[string]*iam.User{}
	for i, f := range []struct{ email, name string }{
		{"carol@example.com", "Mallory Carol"},
		{"alice@example.com", "Zed Alice"},
		{"dave@sample.org", "Dave 100% Real"},
		{"bob@example.com", "Alison Bob"},
		{"erin_x@sample.org", "Erin Black"},
		{"frank@sample.org", "Frank Outsider"},
	} {
		local, _, _ := strings.Cut(f.email, "@")
		people[local] = createUser(t, s, tenantID, f.email, func(u *iam.User) {
			u.Name, u.CreatedAt, u.UpdatedAt = f.name, at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
		})
	}
	return people
}

func testListMembers(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a, b := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "beta")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read", "reports.read")
	editor := createAccessRole(t, s, tn.ID, "", "Editor", "invoices.*")
	owner := createAccessRole(t, s, tn.ID, a.ID, "Owner", "orgs.manage")
	people := memberFixtures(t, s, tn.ID)
	// Joined in this order, an hour apart: not the order the users were created.
	// No two members share a role here: see testListMembersSharingARole.
	roles := map[string][]*iam.Role{"alice": {viewer}, "bob": {editor, owner}}
	want := map[string]iam.Member{}
	for i, local := range []string{"dave", "alice", "erin_x", "carol", "bob"} {
		setMember(t, s, tn.ID, a.ID, people[local].ID, at(time.Duration(i)*time.Hour), roles[local]...)
		want[people[local].ID] = member(a.ID, people[local], at(time.Duration(i)*time.Hour), roles[local]...)
	}
	// frank is a member elsewhere only; another tenant has its own members.
	setMember(t, s, tn.ID, b.ID, people["frank"].ID, t0, viewer)
	oo := createOrg(t, s, other.ID, "acme")
	setMember(t, s, other.ID, oo.ID, createUser(t, s, other.ID, "alice@example.com").ID, t0)

	idsOf := func(locals ...string) []string {
		out := []string{}
		for _, l := range locals {
			out = append(out, people[l].ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		p     iam.ListParams
		want  []string
		total int
	}{
		{"joined asc", iam.ListParams{OrderBy: "created_at"}, idsOf("dave", "alice", "erin_x", "carol", "bob"), 5},
		{"joined desc", iam.ListParams{OrderBy: "created_at", Desc: true}, idsOf("bob", "carol", "erin_x", "alice", "dave"), 5},
		{"email asc", iam.ListParams{OrderBy: "email"}, idsOf("alice", "bob", "carol", "dave", "erin_x"), 5},
		{"email desc", iam.ListParams{OrderBy: "email", Desc: true}, idsOf("erin_x", "dave", "carol", "bob", "alice"), 5},
		{"name asc", iam.ListParams{OrderBy: "name"}, idsOf("bob", "dave", "erin_x", "carol", "alice"), 5},
		{"name desc", iam.ListParams{OrderBy: "name", Desc: true}, idsOf("alice", "carol", "erin_x", "dave", "bob"), 5},
		{"search email and name, any case", iam.ListParams{OrderBy: "email", Search: "ALI"}, idsOf("alice", "bob"), 2},
		{"search name only", iam.ListParams{OrderBy: "email", Search: "black"}, idsOf("erin_x"), 1},
		{"search email domain", iam.ListParams{OrderBy: "email", Search: "Sample.Org"}, idsOf("dave", "erin_x"), 2},
		{"search percent literally", iam.ListParams{OrderBy: "email", Search: "%"}, idsOf("dave"), 1},
		{"search underscore literally", iam.ListParams{OrderBy: "email", Search: "_"}, idsOf("erin_x"), 1},
		{"search a non-member", iam.ListParams{OrderBy: "email", Search: "frank"}, idsOf(), 0},
		{"first page", iam.ListParams{OrderBy: "email", Limit: 2}, idsOf("alice", "bob"), 5},
		{"second page", iam.ListParams{OrderBy: "email", Limit: 2, Page: 2}, idsOf("carol", "dave"), 5},
		{"last page", iam.ListParams{OrderBy: "email", Limit: 2, Page: 3}, idsOf("erin_x"), 5},
		{"past the end", iam.ListParams{OrderBy: "email", Limit: 2, Page: 4}, idsOf(), 5},
		{"page of descending", iam.ListParams{OrderBy: "created_at", Desc: true, Limit: 2, Page: 2}, idsOf("erin_x", "alice"), 5},
		{"page of search", iam.ListParams{OrderBy: "email", Search: "ali", Limit: 1, Page: 2}, idsOf("bob"), 2},
	} {
		tc.p.Page, tc.p.Limit = max(tc.p.Page, 1), cmp.Or(tc.p.Limit, 10)
		got, total, err := s.ListMembers(ctx, tn.ID, a.ID, tc.p)
		if !listed(t, tc.name+": ListMembers", got, total, err, memberUserID, tc.want, tc.total) {
			continue
		}
		for _, m := range got {
			m.Roles = byAccessRoleID(m.Roles)
			check(t, tc.name+": listed member", m, want[m.User.ID])
		}
	}
	for name, orgID := range map[string]string{"unknown organization": newID(t), "another tenant's organization": oo.ID} {
		if got, total, err := s.ListMembers(ctx, tn.ID, orgID, iam.ListParams{Page: 1, Limit: 10}); err != nil || total != 0 || len(got) != 0 {
			t.Errorf("ListMembers of an %s = %v, total %d, %v; want none", name, memberEmails(got), total, err)
		}
	}
}

// testListMembersSharingARole checks that every member listed holding a
// role gets the role's permissions, not only one of them.
func testListMembersSharingARole(t *testing.T, s iam.Store) {

	ctx := t.Context()
	tn := createTenant(t, s)
	a := createOrg(t, s, tn.ID, "acme")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read", "reports.read")
	owner := createAccessRole(t, s, tn.ID, a.ID, "Owner", "orgs.manage")
	ada := createUser(t, s, tn.ID, "ada@example.com")
	bob := createUser(t, s, tn.ID, "bob@example.com")
	cat := createUser(t, s, tn.ID, "cat@example.com")
	setMember(t, s, tn.ID, a.ID, ada.ID, t0, viewer)
	setMember(t, s, tn.ID, a.ID, bob.ID, at(time.Hour), viewer, owner)
	setMember(t, s, tn.ID, a.ID, cat.ID, at(2*time.Hour), owner)

	got, total, err := s.ListMembers(ctx, tn.ID, a.ID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"})
	must(t, err, "ListMembers")
	for i := range got {
		got[i].Roles = byAccessRoleID(got[i].Roles)
	}
	if total != 3 {
		t.Errorf("ListMembers total %d, want 3", total)
	}
	check(t, "ListMembers", got, []iam.Member{
		member(a.ID, ada, t0, viewer),
		member(a.ID, bob, at(time.Hour), viewer, owner),
		member(a.ID, cat, at(2*time.Hour), owner),
	})
}

func memberEmails(ms []iam.Member) []string {
	return ids(ms, func(m iam.Member) string { return m.User.Email })
}

func testUserMemberships(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	zeta := createOrg(t, s, tn.ID, "zeta", func(o *iam.Organization) { o.Name = "Zeta"; o.Metadata = map[string]any{"tier": "gold"} })
	alpha := createOrg(t, s, tn.ID, "z-alpha", func(o *iam.Organization) { o.Name = "alpha" })
	mid := createOrg(t, s, tn.ID, "a-mid", func(o *iam.Organization) { o.Name = "Mid"; o.ExternalID = "crm-3" })
	createOrg(t, s, tn.ID, "elsewhere") // u is not a member
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read")
	owner := createAccessRole(t, s, tn.ID, zeta.ID, "Owner", "orgs.manage")
	u := createUser(t, s, tn.ID, "ada@example.com")
	loner := createUser(t, s, tn.ID, "grace@example.com")
	setMember(t, s, tn.ID, zeta.ID, u.ID, t0, viewer, owner)
	setMember(t, s, tn.ID, alpha.ID, u.ID, at(time.Hour))
	setMember(t, s, tn.ID, mid.ID, u.ID, at(2*time.Hour), viewer)
	oo := createOrg(t, s, other.ID, "aaa")
	setMember(t, s, other.ID, oo.ID, createUser(t, s, other.ID, "ada@example.com").ID, t0)

	got, err := s.UserMemberships(ctx, tn.ID, u.ID)
	must(t, err, "UserMemberships")
	for i := range got {
		got[i].Roles = byAccessRoleID(got[i].Roles)
	}
	check(t, "UserMemberships by name", got, []iam.Membership{
		{Organization: *alpha, Roles: accessRoles(), CreatedAt: at(time.Hour)},
		{Organization: *mid, Roles: accessRoles(viewer), CreatedAt: at(2 * time.Hour)},
		{Organization: *zeta, Roles: accessRoles(viewer, owner), CreatedAt: t0},
	})
	for name, call := range map[string]func() ([]iam.Membership, error){
		"a user without memberships":   func() ([]iam.Membership, error) { return s.UserMemberships(ctx, tn.ID, loner.ID) },
		"an unknown user":              func() ([]iam.Membership, error) { return s.UserMemberships(ctx, tn.ID, newID(t)) },
		"the user from another tenant": func() ([]iam.Membership, error) { return s.UserMemberships(ctx, other.ID, u.ID) },
	} {
		if ms, err := call(); err != nil || len(ms) != 0 {
			t.Errorf("UserMemberships of %s = %d, %v; want none", name, len(ms), err)
		}
	}
}

func testUserInMFAOrganization(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	required := func(o *iam.Organization) { o.MFA = "required" }
	strict := createOrg(t, s, tn.ID, "strict", required)
	relaxed := createOrg(t, s, tn.ID, "relaxed")
	u := createUser(t, s, tn.ID, "ada@example.com")
	plain := createUser(t, s, tn.ID, "grace@example.com")
	setMember(t, s, tn.ID, relaxed.ID, plain.ID, t0)
	outsider := createUser(t, s, other.ID, "ada@example.com")
	setMember(t, s, other.ID, createOrg(t, s, other.ID, "strict", required).ID, outsider.ID, t0)
	setMember(t, s, tn.ID, relaxed.ID, u.ID, t0)
	setMember(t, s, tn.ID, strict.ID, u.ID, t0)

	want := func(step string, tenantID, userID string, want bool) {
		t.Helper()
		got, err := s.UserInMFAOrganization(ctx, tenantID, userID)
		if err != nil || got != want {
			t.Errorf("%s: UserInMFAOrganization = %v, %v; want %v", step, got, err, want)
		}
	}
	want("a member of a required organization", tn.ID, u.ID, true)
	want("a member of an optional organization only", tn.ID, plain.ID, false)
	want("a user of another tenant in its required organization, asked in this tenant", tn.ID, outsider.ID, false)
	want("a member asked about in another tenant", other.ID, u.ID, false)
	want("an unknown user", tn.ID, newID(t), false)

	_, err := s.RemoveMember(ctx, tn.ID, strict.ID, u.ID)
	must(t, err, "RemoveMember")
	want("after leaving the required organization", tn.ID, u.ID, false)

	setMember(t, s, tn.ID, strict.ID, u.ID, t0)
	upd := *strict
	upd.MFA, upd.UpdatedAt = "optional", at(time.Hour)
	must(t, s.UpdateOrganization(ctx, &upd), "UpdateOrganization to optional")
	want("after the organization turned optional", tn.ID, u.ID, false)
	upd.MFA, upd.UpdatedAt = "required", at(2*time.Hour)
	must(t, s.UpdateOrganization(ctx, &upd), "UpdateOrganization to required")
	want("after the organization turned required", tn.ID, u.ID, true)
	must(t, s.DeleteOrganization(ctx, tn.ID, strict.ID), "DeleteOrganization")
	want("after the organization was deleted", tn.ID, u.ID, false)
}
