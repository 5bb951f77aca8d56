package storetest

import (
	"cmp"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var applicationRoleTests = []test{
	{"RoleCreateList", testApplicationRoleCreateList},
	{"RoleNameTaken", testApplicationRoleNameTaken},
	{"RoleNotFound", testApplicationRoleNotFound},
	{"RoleDelete", testApplicationRoleDelete},
	{"MappingCreateGet", testAppRoleMappingCreateGet},
	{"MappingConflict", testAppRoleMappingConflict},
	{"MappingNotFound", testAppRoleMappingNotFound},
	{"MappingList", testAppRoleMappingList},
	{"MappingDelete", testAppRoleMappingDelete},
	{"MappingSubjectDeleted", testAppRoleMappingSubjectDeleted},
	{"RolesFor", testApplicationRolesFor},
}

// createApplicationRole inserts the role name of the application.
func createApplicationRole(t *testing.T, s iam.Tx, a *iam.Application, name string) *iam.ApplicationRole {
	t.Helper()
	r := &iam.ApplicationRole{ID: newID(t), TenantID: a.TenantID, ApplicationID: a.ID, Name: name, Description: "Role " + name, CreatedAt: t0}
	must(t, s.CreateApplicationRole(t.Context(), r), "CreateApplicationRole "+name)
	return r
}

// createAppRoleMapping maps the role to the subject mod sets.
func createAppRoleMapping(t *testing.T, s iam.Tx, r *iam.ApplicationRole, mod func(*iam.AppRoleMapping)) *iam.AppRoleMapping {
	t.Helper()
	m := &iam.AppRoleMapping{ID: newID(t), TenantID: r.TenantID, ApplicationID: r.ApplicationID, RoleID: r.ID, Role: r.Name, CreatedAt: t0}
	mod(m)
	must(t, s.CreateAppRoleMapping(t.Context(), m), "CreateAppRoleMapping "+r.Name)
	return m
}

func appRoleName(r iam.ApplicationRole) string     { return r.Name }
func appRoleMappingID(m iam.AppRoleMapping) string { return m.ID }

func testApplicationRoleCreateList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, other := createApplication(t, s, tn.ID, "portal"), createApplication(t, s, tn.ID, "other")
	want := map[string]*iam.ApplicationRole{}
	for _, n := range []string{"viewer", "Admin", "editor"} {
		want[n] = createApplicationRole(t, s, a, n)
	}
	createApplicationRole(t, s, other, "auditor")
	got, err := s.ListApplicationRoles(ctx, tn.ID, a.ID)
	if !listed(t, "ListApplicationRoles", got, len(got), err, appRoleName, []string{"Admin", "editor", "viewer"}, 3) {
		return
	}
	for i := range got {
		check(t, "listed role "+got[i].Name, &got[i], want[got[i].Name])
	}
	r, err := s.ApplicationRoleByName(ctx, tn.ID, a.ID, "editor")
	must(t, err, "ApplicationRoleByName")
	check(t, "ApplicationRoleByName", r, want["editor"])
	_, err = s.ApplicationRoleByName(ctx, tn.ID, a.ID, "EDITOR")
	wantCode(t, err, iam.CodeNotFound, "ApplicationRoleByName in another case")
	_, err = s.ApplicationRoleByName(ctx, tn.ID, a.ID, "auditor")
	wantCode(t, err, iam.CodeNotFound, "ApplicationRoleByName of another application's role")
}

func testApplicationRoleNameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, other := createApplication(t, s, tn.ID, "portal"), createApplication(t, s, tn.ID, "other")
	createApplicationRole(t, s, a, "editor")
	dup := &iam.ApplicationRole{ID: newID(t), TenantID: tn.ID, ApplicationID: a.ID, Name: "editor", CreatedAt: t0}
	wantCode(t, s.CreateApplicationRole(ctx, dup), iam.CodeNameTaken, "CreateApplicationRole with a taken name")
	// Another application may have its own editor.
	createApplicationRole(t, s, other, "editor")
}

func testApplicationRoleNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, foreign := createTenant(t, s), createTenant(t, s)
	theirs := createApplication(t, s, foreign.ID, "theirs")
	r := createApplicationRole(t, s, theirs, "editor")
	for name, appID := range map[string]string{"another tenant's application": theirs.ID, "an unknown application": newID(t)} {
		nr := &iam.ApplicationRole{ID: newID(t), TenantID: tn.ID, ApplicationID: appID, Name: "editor", CreatedAt: t0}
		wantCode(t, s.CreateApplicationRole(ctx, nr), iam.CodeNotFound, "CreateApplicationRole in "+name)
	}
	wantCode(t, s.DeleteApplicationRole(ctx, tn.ID, theirs.ID, r.ID), iam.CodeNotFound, "DeleteApplicationRole from another tenant")
	if roles, err := s.ListApplicationRoles(ctx, tn.ID, theirs.ID); err != nil || len(roles) != 0 {
		t.Errorf("ListApplicationRoles of another tenant's application = %v, %v; want none", roles, err)
	}
	_, err := s.ApplicationRoleByName(ctx, foreign.ID, theirs.ID, "editor")
	must(t, err, "the role survived")
}

func testApplicationRoleDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, other := createApplication(t, s, tn.ID, "portal"), createApplication(t, s, tn.ID, "other")
	u := createUser(t, s, tn.ID, "ann@example.com")
	editor, viewer := createApplicationRole(t, s, a, "editor"), createApplicationRole(t, s, a, "viewer")
	m := createAppRoleMapping(t, s, editor, func(m *iam.AppRoleMapping) { m.UserID = u.ID })
	createAppRoleMapping(t, s, viewer, func(m *iam.AppRoleMapping) { m.UserID = u.ID })
	wantCode(t, s.DeleteApplicationRole(ctx, tn.ID, other.ID, editor.ID), iam.CodeNotFound, "DeleteApplicationRole through another application")
	must(t, s.DeleteApplicationRole(ctx, tn.ID, a.ID, editor.ID), "DeleteApplicationRole")
	wantCode(t, s.DeleteApplicationRole(ctx, tn.ID, a.ID, editor.ID), iam.CodeNotFound, "DeleteApplicationRole again")
	_, err := s.GetAppRoleMapping(ctx, tn.ID, m.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAppRoleMapping of the deleted role")
	roles, err := s.ApplicationRolesFor(ctx, tn.ID, a.ID, u.ID)
	must(t, err, "ApplicationRolesFor")
	check(t, "roles after delete", roles, []string{"viewer"})
	// The name is free again.
	createApplicationRole(t, s, a, "editor")
}

func testAppRoleMappingCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	r := createApplicationRole(t, s, a, "editor")
	u, g, o := createUser(t, s, tn.ID, "ann@example.com"), createGroup(t, s, tn.ID, "Staff"), createOrg(t, s, tn.ID, "acme")
	for i, set := range []func(*iam.AppRoleMapping){
		func(m *iam.AppRoleMapping) { m.UserID = u.ID },
		func(m *iam.AppRoleMapping) { m.GroupID = g.ID },
		func(m *iam.AppRoleMapping) { m.OrganizationID = o.ID },
	} {
		want := &iam.AppRoleMapping{ID: newID(t), TenantID: tn.ID, ApplicationID: a.ID, RoleID: r.ID, Role: r.Name,
			CreatedAt: at(time.Duration(i)*time.Minute + 999*time.Nanosecond)}
		set(want)
		must(t, s.CreateAppRoleMapping(ctx, want), "CreateAppRoleMapping")
		got, err := s.GetAppRoleMapping(ctx, tn.ID, want.ID)
		must(t, err, "GetAppRoleMapping")
		check(t, "GetAppRoleMapping", got, want)
	}
}

func testAppRoleMappingConflict(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	editor, viewer := createApplicationRole(t, s, a, "editor"), createApplicationRole(t, s, a, "viewer")
	u, g, o := createUser(t, s, tn.ID, "ann@example.com"), createGroup(t, s, tn.ID, "Staff"), createOrg(t, s, tn.ID, "acme")
	for name, set := range map[string]func(*iam.AppRoleMapping){
		"user":         func(m *iam.AppRoleMapping) { m.UserID = u.ID },
		"group":        func(m *iam.AppRoleMapping) { m.GroupID = g.ID },
		"organization": func(m *iam.AppRoleMapping) { m.OrganizationID = o.ID },
	} {
		createAppRoleMapping(t, s, editor, set)
		dup := &iam.AppRoleMapping{ID: newID(t), TenantID: tn.ID, ApplicationID: a.ID, RoleID: editor.ID, CreatedAt: t0}
		set(dup)
		wantCode(t, s.CreateAppRoleMapping(ctx, dup), iam.CodeConflict, "CreateAppRoleMapping again for the "+name)
		// The same subject may hold another role.
		createAppRoleMapping(t, s, viewer, set)
	}
}

func testAppRoleMappingNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, foreign := createTenant(t, s), createTenant(t, s)
	a, other := createApplication(t, s, tn.ID, "portal"), createApplication(t, s, tn.ID, "other")
	r, otherRole := createApplicationRole(t, s, a, "editor"), createApplicationRole(t, s, other, "editor")
	theirApp := createApplication(t, s, foreign.ID, "theirs")
	theirRole := createApplicationRole(t, s, theirApp, "editor")
	fu, fg, fo := createUser(t, s, foreign.ID, "eve@example.com"), createGroup(t, s, foreign.ID, "Staff"), createOrg(t, s, foreign.ID, "evil")
	u := createUser(t, s, tn.ID, "ann@example.com")
	mapping := func(appID, roleID string, set func(*iam.AppRoleMapping)) *iam.AppRoleMapping {
		m := &iam.AppRoleMapping{ID: newID(t), TenantID: tn.ID, ApplicationID: appID, RoleID: roleID, CreatedAt: t0}
		set(m)
		return m
	}
	user := func(m *iam.AppRoleMapping) { m.UserID = u.ID }
	for name, m := range map[string]*iam.AppRoleMapping{
		"another application's role":    mapping(a.ID, otherRole.ID, user),
		"another tenant's role":         mapping(theirApp.ID, theirRole.ID, user),
		"an unknown role":               mapping(a.ID, newID(t), user),
		"another tenant's user":         mapping(a.ID, r.ID, func(m *iam.AppRoleMapping) { m.UserID = fu.ID }),
		"another tenant's group":        mapping(a.ID, r.ID, func(m *iam.AppRoleMapping) { m.GroupID = fg.ID }),
		"another tenant's organization": mapping(a.ID, r.ID, func(m *iam.AppRoleMapping) { m.OrganizationID = fo.ID }),
		"an unknown user":               mapping(a.ID, r.ID, func(m *iam.AppRoleMapping) { m.UserID = newID(t) }),
		"an unknown group":              mapping(a.ID, r.ID, func(m *iam.AppRoleMapping) { m.GroupID = newID(t) }),
	} {
		wantCode(t, s.CreateAppRoleMapping(ctx, m), iam.CodeNotFound, "CreateAppRoleMapping to "+name)
	}
	theirs := createAppRoleMapping(t, s, theirRole, func(m *iam.AppRoleMapping) { m.UserID = fu.ID })
	_, err := s.GetAppRoleMapping(ctx, tn.ID, theirs.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAppRoleMapping from another tenant")
	wantCode(t, s.DeleteAppRoleMapping(ctx, tn.ID, theirs.ID), iam.CodeNotFound, "DeleteAppRoleMapping from another tenant")
	_, err = s.GetAppRoleMapping(ctx, foreign.ID, theirs.ID)
	must(t, err, "the other tenant's mapping survived")
	if _, n, err := s.ListAppRoleMappings(ctx, tn.ID, iam.AppRoleMappingQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListAppRoleMappings: total %d, %v; want 0", n, err)
	}
}

func testAppRoleMappingList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, foreign := createTenant(t, s), createTenant(t, s)
	a, other := createApplication(t, s, tn.ID, "portal"), createApplication(t, s, tn.ID, "other")
	editor, viewer, otherEditor := createApplicationRole(t, s, a, "editor"), createApplicationRole(t, s, a, "viewer"), createApplicationRole(t, s, other, "editor")
	u, g, o := createUser(t, s, tn.ID, "ann@example.com"), createGroup(t, s, tn.ID, "Staff"), createOrg(t, s, tn.ID, "acme")
	byKey := map[string]*iam.AppRoleMapping{}
	for i, m := range []struct {
		key  string
		role *iam.ApplicationRole
		set  func(*iam.AppRoleMapping)
	}{
		{"editor-user", editor, func(m *iam.AppRoleMapping) { m.UserID = u.ID }},
		{"viewer-group", viewer, func(m *iam.AppRoleMapping) { m.GroupID = g.ID }},
		{"editor-org", editor, func(m *iam.AppRoleMapping) { m.OrganizationID = o.ID }},
		{"other-user", otherEditor, func(m *iam.AppRoleMapping) { m.UserID = u.ID }},
	} {
		byKey[m.key] = createAppRoleMapping(t, s, m.role, func(x *iam.AppRoleMapping) {
			x.CreatedAt = at(time.Duration(i) * time.Minute)
			m.set(x)
		})
	}
	theirApp := createApplication(t, s, foreign.ID, "theirs")
	createAppRoleMapping(t, s, createApplicationRole(t, s, theirApp, "editor"), func(m *iam.AppRoleMapping) {
		m.UserID = createUser(t, s, foreign.ID, "eve@example.com").ID
	})
	idsOf := func(keys ...string) []string {
		out := []string{}
		for _, k := range keys {
			out = append(out, byKey[k].ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		q     iam.AppRoleMappingQuery
		want  []string
		total int
	}{
		{"all, oldest first", iam.AppRoleMappingQuery{}, idsOf("editor-user", "viewer-group", "editor-org", "other-user"), 4},
		{"one application", iam.AppRoleMappingQuery{ApplicationID: a.ID}, idsOf("editor-user", "viewer-group", "editor-org"), 3},
		{"one role name", iam.AppRoleMappingQuery{Role: "editor"}, idsOf("editor-user", "editor-org", "other-user"), 3},
		{"one role of one application", iam.AppRoleMappingQuery{ApplicationID: a.ID, Role: "editor"}, idsOf("editor-user", "editor-org"), 2},
		{"one user", iam.AppRoleMappingQuery{UserID: u.ID}, idsOf("editor-user", "other-user"), 2},
		{"one group", iam.AppRoleMappingQuery{GroupID: g.ID}, idsOf("viewer-group"), 1},
		{"one organization", iam.AppRoleMappingQuery{OrganizationID: o.ID}, idsOf("editor-org"), 1},
		{"no match", iam.AppRoleMappingQuery{Role: "owner"}, idsOf(), 0},
		{"first page", iam.AppRoleMappingQuery{ListParams: iam.ListParams{Limit: 3}}, idsOf("editor-user", "viewer-group", "editor-org"), 4},
		{"second page", iam.AppRoleMappingQuery{ListParams: iam.ListParams{Limit: 3, Page: 2}}, idsOf("other-user"), 4},
	} {
		tc.q.Page, tc.q.Limit = max(tc.q.Page, 1), cmp.Or(tc.q.Limit, 10)
		got, total, err := s.ListAppRoleMappings(ctx, tn.ID, tc.q)
		if !listed(t, tc.name+": ListAppRoleMappings", got, total, err, appRoleMappingID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			for _, m := range byKey {
				if m.ID == got[i].ID {
					check(t, tc.name+": listed mapping", &got[i], m)
				}
			}
		}
	}
}

func testAppRoleMappingDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	r := createApplicationRole(t, s, a, "editor")
	u := createUser(t, s, tn.ID, "ann@example.com")
	m := createAppRoleMapping(t, s, r, func(m *iam.AppRoleMapping) { m.UserID = u.ID })
	must(t, s.DeleteAppRoleMapping(ctx, tn.ID, m.ID), "DeleteAppRoleMapping")
	wantCode(t, s.DeleteAppRoleMapping(ctx, tn.ID, m.ID), iam.CodeNotFound, "DeleteAppRoleMapping again")
	_, err := s.GetAppRoleMapping(ctx, tn.ID, m.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAppRoleMapping after delete")
	// The subject may be mapped again.
	createAppRoleMapping(t, s, r, func(m *iam.AppRoleMapping) { m.UserID = u.ID })
}

func testAppRoleMappingSubjectDeleted(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	r := createApplicationRole(t, s, a, "editor")
	u, g, o := createUser(t, s, tn.ID, "ann@example.com"), createGroup(t, s, tn.ID, "Staff"), createOrg(t, s, tn.ID, "acme")
	mu := createAppRoleMapping(t, s, r, func(m *iam.AppRoleMapping) { m.UserID = u.ID })
	mg := createAppRoleMapping(t, s, r, func(m *iam.AppRoleMapping) { m.GroupID = g.ID })
	mo := createAppRoleMapping(t, s, r, func(m *iam.AppRoleMapping) { m.OrganizationID = o.ID })
	must(t, s.DeleteUser(ctx, tn.ID, u.ID), "DeleteUser")
	must(t, s.DeleteGroup(ctx, tn.ID, g.ID), "DeleteGroup")
	must(t, s.DeleteOrganization(ctx, tn.ID, o.ID), "DeleteOrganization")
	for _, m := range []*iam.AppRoleMapping{mu, mg, mo} {
		_, err := s.GetAppRoleMapping(ctx, tn.ID, m.ID)
		wantCode(t, err, iam.CodeNotFound, "GetAppRoleMapping of a deleted subject")
	}
}

func testApplicationRolesFor(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, other := createApplication(t, s, tn.ID, "portal"), createApplication(t, s, tn.ID, "other")
	direct, viaGroup, viaOrg, twice, unheld := createApplicationRole(t, s, a, "direct"), createApplicationRole(t, s, a, "Group role"),
		createApplicationRole(t, s, a, "org-role"), createApplicationRole(t, s, a, "twice"), createApplicationRole(t, s, a, "unheld")
	otherRole := createApplicationRole(t, s, other, "other-app")
	ann, bob := createUser(t, s, tn.ID, "ann@example.com"), createUser(t, s, tn.ID, "bob@example.com")
	staff, acme := createGroup(t, s, tn.ID, "Staff"), createOrg(t, s, tn.ID, "acme")
	addGroupMember(t, s, tn.ID, staff.ID, ann.ID, t0)
	setMember(t, s, tn.ID, acme.ID, ann.ID, t0)
	createAppRoleMapping(t, s, direct, func(m *iam.AppRoleMapping) { m.UserID = ann.ID })
	createAppRoleMapping(t, s, viaGroup, func(m *iam.AppRoleMapping) { m.GroupID = staff.ID })
	createAppRoleMapping(t, s, viaOrg, func(m *iam.AppRoleMapping) { m.OrganizationID = acme.ID })
	createAppRoleMapping(t, s, twice, func(m *iam.AppRoleMapping) { m.UserID = ann.ID })
	createAppRoleMapping(t, s, twice, func(m *iam.AppRoleMapping) { m.GroupID = staff.ID })
	createAppRoleMapping(t, s, unheld, func(m *iam.AppRoleMapping) { m.UserID = bob.ID })
	createAppRoleMapping(t, s, otherRole, func(m *iam.AppRoleMapping) { m.UserID = ann.ID })

	rolesFor := func(step, appID, userID string, want ...string) {
		t.Helper()
		got, err := s.ApplicationRolesFor(ctx, tn.ID, appID, userID)
		must(t, err, step)
		check(t, step, got, append([]string{}, want...))
	}
	rolesFor("ann: direct, group, organization, each once, sorted", a.ID, ann.ID, "Group role", "direct", "org-role", "twice")
	rolesFor("bob", a.ID, bob.ID, "unheld")
	rolesFor("ann in the other application", other.ID, ann.ID, "other-app")
	rolesFor("an unknown user", a.ID, newID(t))
	got, err := s.ApplicationRolesFor(ctx, createTenant(t, s).ID, a.ID, ann.ID)
	must(t, err, "ApplicationRolesFor in another tenant")
	check(t, "roles in another tenant", got, []string{})

	_, err = s.RemoveGroupMember(ctx, tn.ID, staff.ID, ann.ID)
	must(t, err, "RemoveGroupMember")
	_, err = s.RemoveMember(ctx, tn.ID, acme.ID, ann.ID)
	must(t, err, "RemoveMember")
	rolesFor("ann after leaving the group and the organization", a.ID, ann.ID, "direct", "twice")
}
