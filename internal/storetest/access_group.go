package storetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var groupTests = []test{
	{"CreateGet", testGroupCreateGet},
	{"NotFound", testGroupNotFound},
	{"NameTaken", testGroupNameTaken},
	{"ExternalIDTaken", testGroupExternalIDTaken},
	{"List", testGroupList},
	{"ListSearchNonASCII", testGroupListSearchNonASCII},
	{"Update", testGroupUpdate},
	{"Delete", testGroupDelete},
	{"Members", testGroupMembers},
	{"GroupsOfUsers", testGroupsOfUsers},
	{"ListMembers", testListGroupMembers},
	{"Roles", testGroupRoles},
}

func testGroupCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	for _, want := range []*iam.Group{
		{ID: newID(t), TenantID: tn.ID, Name: "Engineering", Description: "Builds things", ExternalID: "scim-7",
			CreatedAt: t0, UpdatedAt: at(time.Second + 999*time.Nanosecond)},
		{ID: newID(t), TenantID: tn.ID, Name: "Équipe Ventes", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
	} {
		must(t, s.CreateGroup(ctx, want), "CreateGroup "+want.Name)
		got, err := s.GetGroup(ctx, tn.ID, want.ID)
		must(t, err, "GetGroup "+want.Name)
		check(t, "GetGroup "+want.Name, got, want)
	}
}

func testGroupNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	g := createGroup(t, s, tn.ID, "Engineering", func(g *iam.Group) { g.ExternalID = "scim-1" })
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetGroup": func() error { _, err := s.GetGroup(ctx, tn.ID, unknown); return err },
		"UpdateGroup": func() error {
			return s.UpdateGroup(ctx, &iam.Group{ID: unknown, TenantID: tn.ID, Name: "X", UpdatedAt: t0})
		},
		"DeleteGroup":                  func() error { return s.DeleteGroup(ctx, tn.ID, unknown) },
		"GetGroup from another tenant": func() error { _, err := s.GetGroup(ctx, other.ID, g.ID); return err },
		"UpdateGroup from another tenant": func() error {
			upd := *g
			upd.TenantID, upd.Name, upd.UpdatedAt = other.ID, "Hijacked", at(time.Hour)
			return s.UpdateGroup(ctx, &upd)
		},
		"DeleteGroup from another tenant": func() error { return s.DeleteGroup(ctx, other.ID, g.ID) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetGroup(ctx, tn.ID, g.ID)
	must(t, err, "GetGroup")
	check(t, "group after foreign update and delete", got, g)
	if _, n, err := s.ListGroups(ctx, other.ID, iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListGroups of the other tenant: total %d, %v; want 0", n, err)
	}
}

func testGroupNameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createGroup(t, s, a.ID, "Engineering")
	dup := &iam.Group{ID: newID(t), TenantID: a.ID, Name: first.Name, CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateGroup(ctx, dup), iam.CodeNameTaken, "CreateGroup with a taken name")
	_, err := s.GetGroup(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetGroup of the rejected group")

	createGroup(t, s, b.ID, first.Name)

	other := createGroup(t, s, a.ID, "Sales")
	upd := *other
	upd.Name, upd.Description, upd.UpdatedAt = first.Name, "Renamed", at(time.Hour)
	wantCode(t, s.UpdateGroup(ctx, &upd), iam.CodeNameTaken, "UpdateGroup to a taken name")
	got, err := s.GetGroup(ctx, a.ID, other.ID)
	must(t, err, "GetGroup")
	check(t, "group after the rejected update", got, other)
}

func testGroupExternalIDTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	withExt := func(id string) func(*iam.Group) { return func(g *iam.Group) { g.ExternalID = id } }
	createGroup(t, s, a.ID, "Engineering", withExt("E1"))
	dup := &iam.Group{ID: newID(t), TenantID: a.ID, Name: "Dup", ExternalID: "E1", CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateGroup(ctx, dup), iam.CodeExternalIDTaken, "CreateGroup with a taken external_id")
	_, err := s.GetGroup(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetGroup of the rejected group")

	// Empty means unset: any number of groups may lack one.
	var plain []*iam.Group
	for _, n := range []string{"One", "Two", "Three"} {
		plain = append(plain, createGroup(t, s, a.ID, n))
	}
	for _, g := range plain {
		got, err := s.GetGroup(ctx, a.ID, g.ID)
		must(t, err, "GetGroup")
		if got.ExternalID != "" {
			t.Errorf("ExternalID = %q, want empty", got.ExternalID)
		}
	}
	createGroup(t, s, b.ID, "Engineering", withExt("E1"))

	upd := *plain[0]
	upd.ExternalID, upd.UpdatedAt = "E1", at(time.Hour)
	wantCode(t, s.UpdateGroup(ctx, &upd), iam.CodeExternalIDTaken, "UpdateGroup to a taken external_id")
	got, err := s.GetGroup(ctx, a.ID, plain[0].ID)
	must(t, err, "GetGroup")
	check(t, "group after the rejected update", got, plain[0])
}

func testGroupList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	names := []string{"Engineering", "admins", "Sales_EU", "Design 100%", "Backend Engineering"}
	byName := map[string]*iam.Group{}
	for i, n := range names {
		byName[n] = createGroup(t, s, tn.ID, n, func(g *iam.Group) {
			g.Description = "searches never look here: sales"
			g.CreatedAt, g.UpdatedAt = at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
		})
	}
	createGroup(t, s, other.ID, "Engineering")
	createGroup(t, s, other.ID, "Elsewhere")
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
		{"created asc", iam.ListParams{OrderBy: "created_at"},
			idsOf("Engineering", "admins", "Sales_EU", "Design 100%", "Backend Engineering"), 5},
		{"created desc", iam.ListParams{OrderBy: "created_at", Desc: true},
			idsOf("Backend Engineering", "Design 100%", "Sales_EU", "admins", "Engineering"), 5},
		{"name asc, any case", iam.ListParams{OrderBy: "name"},
			idsOf("admins", "Backend Engineering", "Design 100%", "Engineering", "Sales_EU"), 5},
		{"name desc", iam.ListParams{OrderBy: "name", Desc: true},
			idsOf("Sales_EU", "Engineering", "Design 100%", "Backend Engineering", "admins"), 5},
		{"search any case", iam.ListParams{OrderBy: "name", Search: "ENGINEER"}, idsOf("Backend Engineering", "Engineering"), 2},
		{"search percent literally", iam.ListParams{OrderBy: "name", Search: "%"}, idsOf("Design 100%"), 1},
		{"search underscore literally", iam.ListParams{OrderBy: "name", Search: "_"}, idsOf("Sales_EU"), 1},
		{"search ignores descriptions", iam.ListParams{OrderBy: "name", Search: "never"}, idsOf(), 0},
		{"search another tenant's name", iam.ListParams{OrderBy: "name", Search: "elsewhere"}, idsOf(), 0},
		{"first page", iam.ListParams{OrderBy: "name", Limit: 2}, idsOf("admins", "Backend Engineering"), 5},
		{"last page", iam.ListParams{OrderBy: "name", Limit: 2, Page: 3}, idsOf("Sales_EU"), 5},
		{"past the end", iam.ListParams{OrderBy: "name", Limit: 2, Page: 4}, idsOf(), 5},
		{"page of descending", iam.ListParams{OrderBy: "created_at", Desc: true, Limit: 2, Page: 2}, idsOf("Sales_EU", "admins"), 5},
		{"page of search", iam.ListParams{OrderBy: "name", Search: "engineering", Limit: 1, Page: 2}, idsOf("Engineering"), 2},
	} {
		tc.p.Page, tc.p.Limit = max(tc.p.Page, 1), cmp.Or(tc.p.Limit, 10)
		got, total, err := s.ListGroups(ctx, tn.ID, iam.GroupQuery{ListParams: tc.p})
		if !listed(t, tc.name+": ListGroups", got, total, err, groupIDOf, tc.want, tc.total) {
			continue
		}
		for i := range got {
			if want, ok := byName[got[i].Name]; ok {
				check(t, tc.name+": listed group", &got[i], want)
			}
		}
	}
}

func groupNames(gs []iam.Group) []string { return ids(gs, func(g iam.Group) string { return g.Name }) }

func testGroupListSearchNonASCII(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	equipe := createGroup(t, s, tn.ID, "Équipe Ventes")
	ecole := createGroup(t, s, tn.ID, "école")
	zulu := createGroup(t, s, tn.ID, "Zulu")
	for _, search := range []string{"Équipe", "équipe", "ÉQUIPE", "pe ve"} {
		got, total, err := s.ListGroups(ctx, tn.ID, iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: search}})
		if err != nil || total != 1 || !wantIDs(ids(got, groupIDOf), []string{equipe.ID}) {
			t.Errorf("ListGroups search %q = %v, total %d, %v; want %s only", search, groupNames(got), total, err, equipe.Name)
		}
	}
	got, _, err := s.ListGroups(ctx, tn.ID, iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"}})
	must(t, err, "ListGroups")
	if !wantIDs(ids(got, groupIDOf), []string{zulu.ID, ecole.ID, equipe.ID}) {
		t.Errorf("ListGroups by name = %v; want [Zulu école Équipe Ventes]", groupNames(got))
	}
}

func testGroupUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	g := createGroup(t, s, tn.ID, "Engineering")

	upd := *g
	upd.Name, upd.Description, upd.ExternalID, upd.UpdatedAt = "Platform", "Runs the platform", "scim-9", at(time.Hour)
	upd.CreatedAt = at(24 * time.Hour) // not mutable
	must(t, s.UpdateGroup(ctx, &upd), "UpdateGroup")
	want := upd
	want.CreatedAt = g.CreatedAt
	got, err := s.GetGroup(ctx, tn.ID, g.ID)
	must(t, err, "GetGroup")
	check(t, "group after update", got, &want)
	list, _, err := s.ListGroups(ctx, tn.ID, iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "platf"}})
	if err != nil || !wantIDs(ids(list, groupIDOf), []string{g.ID}) {
		t.Errorf("ListGroups search of the new name = %v, %v; want the group", groupNames(list), err)
	}

	want.ExternalID, want.Description, want.UpdatedAt, want.Version = "", "", at(2*time.Hour), 3
	upd = want
	must(t, s.UpdateGroup(ctx, &upd), "UpdateGroup clearing external_id")
	got, err = s.GetGroup(ctx, tn.ID, g.ID)
	must(t, err, "GetGroup")
	check(t, "group after second update", got, &want)
	// The old name and a cleared external_id are free for another group.
	createGroup(t, s, tn.ID, g.Name, func(g *iam.Group) { g.ExternalID = "scim-9" })
}

func testGroupDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	gone := createGroup(t, s, tn.ID, "Gone", func(g *iam.Group) { g.ExternalID = "scim-1" })
	kept := createGroup(t, s, tn.ID, "Kept")

	must(t, s.DeleteGroup(ctx, tn.ID, gone.ID), "DeleteGroup")
	_, err := s.GetGroup(ctx, tn.ID, gone.ID)
	wantCode(t, err, iam.CodeNotFound, "GetGroup after delete")
	wantCode(t, s.DeleteGroup(ctx, tn.ID, gone.ID), iam.CodeNotFound, "DeleteGroup again")
	got, err := s.GetGroup(ctx, tn.ID, kept.ID)
	must(t, err, "GetGroup of the other group")
	check(t, "other group", got, kept)
	// The name and external_id are free again.
	createGroup(t, s, tn.ID, gone.Name, func(g *iam.Group) { g.ExternalID = "scim-1" })
}

// groupMembers fails the test unless the group's members are want, by email.
func groupMembers(t *testing.T, s iam.Store, step, tenantID, groupID string, want ...iam.GroupMember) {
	t.Helper()
	got, total, err := s.ListGroupMembers(t.Context(), tenantID, groupID, iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"})
	if err != nil {
		t.Errorf("%s: ListGroupMembers: %v", step, err)
		return
	}
	if total != len(want) {
		t.Errorf("%s: ListGroupMembers total %d, want %d", step, total, len(want))
	}
	check(t, step+": ListGroupMembers", got, append([]iam.GroupMember{}, want...))
}

func testGroupMembers(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	g, other := createGroup(t, s, tn.ID, "Engineering"), createGroup(t, s, tn.ID, "Sales")
	ada := createUser(t, s, tn.ID, "ada@example.com")
	bob := createUser(t, s, tn.ID, "bob@example.com")
	addGroupMember(t, s, tn.ID, other.ID, ada.ID, t0)
	version := g.Version

	for _, step := range []struct {
		name    string
		add     bool
		user    *iam.User
		when    time.Time
		changed bool
		want    []iam.GroupMember
	}{
		{"add", true, ada, at(time.Hour), true, []iam.GroupMember{{User: *ada, CreatedAt: at(time.Hour)}}},
		{"add again keeps the first time", true, ada, at(2 * time.Hour), false, []iam.GroupMember{{User: *ada, CreatedAt: at(time.Hour)}}},
		{"add another", true, bob, at(3 * time.Hour), true,
			[]iam.GroupMember{{User: *ada, CreatedAt: at(time.Hour)}, {User: *bob, CreatedAt: at(3 * time.Hour)}}},
		{"remove", false, ada, time.Time{}, true, []iam.GroupMember{{User: *bob, CreatedAt: at(3 * time.Hour)}}},
		{"remove again", false, ada, time.Time{}, false, []iam.GroupMember{{User: *bob, CreatedAt: at(3 * time.Hour)}}},
		{"add back", true, ada, at(4 * time.Hour), true,
			[]iam.GroupMember{{User: *ada, CreatedAt: at(4 * time.Hour)}, {User: *bob, CreatedAt: at(3 * time.Hour)}}},
	} {
		var changed bool
		var err error
		if step.add {
			changed, err = s.AddGroupMember(ctx, tn.ID, g.ID, step.user.ID, step.when)
		} else {
			changed, err = s.RemoveGroupMember(ctx, tn.ID, g.ID, step.user.ID)
		}
		if err != nil || changed != step.changed {
			t.Errorf("%s: = %v, %v; want %v", step.name, changed, err, step.changed)
		}
		after, err := s.GetGroup(ctx, tn.ID, g.ID)
		must(t, err, step.name+": GetGroup")
		if moved := after.Version != version; moved != step.changed {
			t.Errorf("%s: version %d after %d; want it moved only by a change", step.name, after.Version, version)
		}
		version = after.Version
		groupMembers(t, s, step.name, tn.ID, g.ID, step.want...)
	}
	groupMembers(t, s, "other group", tn.ID, other.ID, iam.GroupMember{User: *ada, CreatedAt: t0})
	memberIDs, err := s.GroupMemberIDs(ctx, tn.ID, g.ID)
	if err != nil || !slices.Equal(sorted(memberIDs), sorted([]string{ada.ID, bob.ID})) {
		t.Errorf("GroupMemberIDs = %v, %v; want ada and bob", memberIDs, err)
	}
	if ids, err := s.GroupMemberIDs(ctx, createTenant(t, s).ID, g.ID); err != nil || len(ids) != 0 {
		t.Errorf("GroupMemberIDs from another tenant = %v, %v; want none", ids, err)
	}

	unknown := newID(t)
	for name, call := range map[string]func() error{
		"AddGroupMember to an unknown group": func() error { _, err := s.AddGroupMember(ctx, tn.ID, unknown, ada.ID, t0); return err },
		"AddGroupMember of an unknown user":  func() error { _, err := s.AddGroupMember(ctx, tn.ID, g.ID, unknown, t0); return err },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	if removed, err := s.RemoveGroupMember(ctx, tn.ID, unknown, ada.ID); err != nil || removed {
		t.Errorf("RemoveGroupMember from an unknown group = %v, %v; want false", removed, err)
	}
	if removed, err := s.RemoveGroupMember(ctx, tn.ID, other.ID, bob.ID); err != nil || removed {
		t.Errorf("RemoveGroupMember of a non-member = %v, %v; want false", removed, err)
	}
	groupMembers(t, s, "after the failed calls", tn.ID, g.ID,
		iam.GroupMember{User: *ada, CreatedAt: at(4 * time.Hour)}, iam.GroupMember{User: *bob, CreatedAt: at(3 * time.Hour)})
}

func testListGroupMembers(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	g, elsewhere := createGroup(t, s, tn.ID, "Engineering"), createGroup(t, s, tn.ID, "Sales")
	people := memberFixtures(t, s, tn.ID)
	want := map[string]iam.GroupMember{}
	// Joined in this order, an hour apart: not the order the users were created.
	for i, local := range []string{"dave", "alice", "erin_x", "carol", "bob"} {
		addGroupMember(t, s, tn.ID, g.ID, people[local].ID, at(time.Duration(i)*time.Hour))
		want[people[local].ID] = iam.GroupMember{User: *people[local], CreatedAt: at(time.Duration(i) * time.Hour)}
	}
	addGroupMember(t, s, tn.ID, elsewhere.ID, people["frank"].ID, t0)
	og := createGroup(t, s, other.ID, "Engineering")
	addGroupMember(t, s, other.ID, og.ID, createUser(t, s, other.ID, "alice@example.com").ID, t0)

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
		{"second page", iam.ListParams{OrderBy: "email", Limit: 2, Page: 2}, idsOf("carol", "dave"), 5},
		{"past the end", iam.ListParams{OrderBy: "email", Limit: 2, Page: 4}, idsOf(), 5},
		{"page of descending", iam.ListParams{OrderBy: "created_at", Desc: true, Limit: 2, Page: 2}, idsOf("erin_x", "alice"), 5},
		{"page of search", iam.ListParams{OrderBy: "email", Search: "ali", Limit: 1, Page: 2}, idsOf("bob"), 2},
	} {
		tc.p.Page, tc.p.Limit = max(tc.p.Page, 1), cmp.Or(tc.p.Limit, 10)
		got, total, err := s.ListGroupMembers(ctx, tn.ID, g.ID, tc.p)
		if err != nil {
			t.Errorf("%s: ListGroupMembers: %v", tc.name, err)
			continue
		}
		if gi := ids(got, groupMemberID); !wantIDs(gi, tc.want) || total != tc.total {
			t.Errorf("%s: ListGroupMembers = %v, total %d; want %v, total %d", tc.name,
				ids(got, func(m iam.GroupMember) string { return m.User.Email }), total, tc.want, tc.total)
		}
		for _, m := range got {
			check(t, tc.name+": listed member", m, want[m.User.ID])
		}
	}
	for name, groupID := range map[string]string{"unknown group": newID(t), "another tenant's group": og.ID} {
		if got, total, err := s.ListGroupMembers(ctx, tn.ID, groupID, iam.ListParams{Page: 1, Limit: 10}); err != nil || total != 0 || len(got) != 0 {
			t.Errorf("ListGroupMembers of an %s = %d members, total %d, %v; want none", name, len(got), total, err)
		}
	}
}

func testGroupRoles(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	g, bystander := createGroup(t, s, tn.ID, "Engineering"), createGroup(t, s, tn.ID, "Sales")
	viewer := createAccessRole(t, s, tn.ID, "", "Viewer", "invoices.read", "reports.read")
	editor := createAccessRole(t, s, tn.ID, "", "Editor", "invoices.*")
	addGroupRole(t, s, tn.ID, bystander.ID, viewer.ID)

	groupRoles := func(step string, g *iam.Group, want []iam.Role) {
		t.Helper()
		got, err := s.GroupRoles(ctx, tn.ID, g.ID)
		if err != nil {
			t.Errorf("%s: GroupRoles: %v", step, err)
			return
		}
		check(t, step+": GroupRoles", byAccessRoleID(got), want)
	}
	groupRoles("none yet", g, accessRoles())
	for _, step := range []struct {
		name    string
		add     bool
		role    *iam.Role
		changed bool
		want    []iam.Role
	}{
		{"add", true, viewer, true, accessRoles(viewer)},
		{"add again", true, viewer, false, accessRoles(viewer)},
		{"add another", true, editor, true, accessRoles(viewer, editor)},
		{"remove", false, viewer, true, accessRoles(editor)},
		{"remove again", false, viewer, false, accessRoles(editor)},
		{"add back", true, viewer, true, accessRoles(viewer, editor)},
	} {
		var changed bool
		var err error
		if step.add {
			changed, err = s.AddGroupRole(ctx, tn.ID, g.ID, step.role.ID)
		} else {
			changed, err = s.RemoveGroupRole(ctx, tn.ID, g.ID, step.role.ID)
		}
		if err != nil || changed != step.changed {
			t.Errorf("%s: = %v, %v; want %v", step.name, changed, err, step.changed)
		}
		groupRoles(step.name, g, step.want)
	}
	groupRoles("bystander", bystander, accessRoles(viewer))

	unknown := newID(t)
	for name, call := range map[string]func() error{
		"AddGroupRole to an unknown group": func() error { _, err := s.AddGroupRole(ctx, tn.ID, unknown, viewer.ID); return err },
		"AddGroupRole of an unknown role":  func() error { _, err := s.AddGroupRole(ctx, tn.ID, g.ID, unknown); return err },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	if removed, err := s.RemoveGroupRole(ctx, tn.ID, g.ID, unknown); err != nil || removed {
		t.Errorf("RemoveGroupRole of an unknown role = %v, %v; want false", removed, err)
	}
	if got, err := s.GroupRoles(ctx, tn.ID, unknown); err != nil || len(got) != 0 {
		t.Errorf("GroupRoles of an unknown group = %v, %v; want none", roleNames(got), err)
	}

	// A role's changes reach the groups carrying it.
	upd := *viewer
	upd.Name, upd.Permissions, upd.UpdatedAt = "Reader", []string{"reports.read"}, at(time.Hour)
	must(t, s.UpdateRole(ctx, &upd), "UpdateRole")
	groupRoles("after the role changed", g, accessRoles(&upd, editor))
}

// testGroupsOfUsers: the groups of several users at once, by name, never
// another tenant's.
func testGroupsOfUsers(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	sales, eng := createGroup(t, s, tn.ID, "Sales"), createGroup(t, s, tn.ID, "Engineering")
	ada, bob, cid := createUser(t, s, tn.ID, "ada@example.com"), createUser(t, s, tn.ID, "bob@example.com"), createUser(t, s, tn.ID, "cid@example.com")
	addGroupMember(t, s, tn.ID, sales.ID, ada.ID, t0)
	addGroupMember(t, s, tn.ID, eng.ID, ada.ID, t0)
	addGroupMember(t, s, tn.ID, eng.ID, bob.ID, t0)
	got, err := s.GroupsOfUsers(ctx, tn.ID, []string{ada.ID, bob.ID, cid.ID})
	must(t, err, "GroupsOfUsers")
	names := func(gs []iam.Group) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return out
	}
	if !slices.Equal(names(got[ada.ID]), []string{"Engineering", "Sales"}) || !slices.Equal(names(got[bob.ID]), []string{"Engineering"}) ||
		len(got[cid.ID]) != 0 || len(got) != 2 {
		t.Errorf("GroupsOfUsers = %v", got)
	}
	if got, err := s.GroupsOfUsers(ctx, other.ID, []string{ada.ID}); err != nil || len(got) != 0 {
		t.Errorf("GroupsOfUsers from another tenant = %v, %v; want none", got, err)
	}
	if got, err := s.GroupsOfUsers(ctx, tn.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("GroupsOfUsers of no users = %v, %v", got, err)
	}
}
