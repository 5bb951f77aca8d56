package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var tenantTests = []test{
	{"CreateGet", testTenantCreateGet},
	{"NotFound", testTenantNotFound},
	{"SystemTenant", testSystemTenant},
	{"OneSystemTenant", testOneSystemTenant},
	{"ByHostname", testTenantByHostname},
	{"Update", testTenantUpdate},
	{"HostnamesKeepOrder", testTenantHostnamesKeepOrder},
	{"HostnameTaken", testTenantHostnameTaken},
	{"List", testTenantList},
	{"DeleteCascades", testTenantDeleteCascades},
}

// withHostnames sorts hostnames, for cases about which hostnames a tenant has
// (HostnamesKeepOrder checks their order).
func withHostnames(tn *iam.Tenant) *iam.Tenant {
	if tn == nil {
		return nil
	}
	c := *tn
	c.Hostnames = sorted(tn.Hostnames)
	return &c
}

func testTenantCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	for _, want := range []*iam.Tenant{
		{ID: newID(t), Name: "Acme", Hostnames: []string{"login.acme.test", "acme.example.com"}, CreatedAt: t0, UpdatedAt: at(time.Second)},
		{ID: newID(t), Name: "Bare", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
	} {
		must(t, s.CreateTenant(ctx, want), "CreateTenant "+want.Name)
		got, err := s.GetTenant(ctx, want.ID)
		must(t, err, "GetTenant "+want.Name)
		check(t, "GetTenant "+want.Name, withHostnames(got), withHostnames(want))
	}
}

func testTenantNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"known.test"} })
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetTenant":        func() error { _, err := s.GetTenant(ctx, unknown); return err },
		"TenantByHostname": func() error { _, err := s.TenantByHostname(ctx, "unknown.test"); return err },
		"UpdateTenant": func() error {
			return s.UpdateTenant(ctx, &iam.Tenant{ID: unknown, Name: "x", Hostnames: []string{"ghost.test"}, CreatedAt: t0, UpdatedAt: t0})
		},
		"DeleteTenant": func() error { return s.DeleteTenant(ctx, unknown) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	_, err := s.TenantByHostname(ctx, "ghost.test")
	wantCode(t, err, iam.CodeNotFound, "TenantByHostname of a hostname given to an unknown tenant")
}

func testSystemTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	ordinary := createTenant(t, s)
	_, err := s.SystemTenant(ctx)
	wantCode(t, err, iam.CodeNotFound, "SystemTenant before bootstrap")

	sys := createTenant(t, s, func(tn *iam.Tenant) { tn.System = true; tn.Hostnames = []string{"admin.test"} })
	got, err := s.SystemTenant(ctx)
	must(t, err, "SystemTenant")
	check(t, "SystemTenant", got, sys)

	got, err = s.GetTenant(ctx, ordinary.ID)
	must(t, err, "GetTenant ordinary")
	if got.System {
		t.Error("ordinary tenant reads back as the system tenant")
	}
}

func testOneSystemTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	sys := createTenant(t, s, func(tn *iam.Tenant) { tn.System = true })
	second := &iam.Tenant{ID: newID(t), Name: "Second", System: true, CreatedAt: t0, UpdatedAt: t0}
	err := s.CreateTenant(ctx, second)
	if iam.ErrorCode(err).Class() != iam.ClassConflict {
		t.Fatalf("CreateTenant of a second system tenant: error %v, want a conflict", err)
	}
	got, err := s.SystemTenant(ctx)
	must(t, err, "SystemTenant")
	if got.ID != sys.ID {
		t.Errorf("SystemTenant = %s, want the first %s", got.ID, sys.ID)
	}
}

func testTenantByHostname(t *testing.T, s iam.Store) {
	a := createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"a.test", "www.a.test"} })
	b := createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"b.test"} })
	for _, tc := range []struct {
		host string
		want *iam.Tenant
	}{
		{"a.test", a},
		{"www.a.test", a},
		{"b.test", b},
		{"c.test", nil},
		{"a.test.evil", nil},
	} {
		got, err := s.TenantByHostname(t.Context(), tc.host)
		if tc.want == nil {
			wantCode(t, err, iam.CodeNotFound, "TenantByHostname "+tc.host)
			continue
		}
		if err != nil {
			t.Errorf("TenantByHostname %s: %v", tc.host, err)
			continue
		}
		check(t, "TenantByHostname "+tc.host, withHostnames(got), withHostnames(tc.want))
	}
}

func testTenantUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, func(tn *iam.Tenant) { tn.Name = "Old"; tn.Hostnames = []string{"old.test", "keep.test"} })

	upd := *tn
	upd.Name, upd.Hostnames, upd.UpdatedAt = "New", []string{"new.test", "keep.test"}, at(time.Hour)
	must(t, s.UpdateTenant(ctx, &upd), "UpdateTenant")
	got, err := s.GetTenant(ctx, tn.ID)
	must(t, err, "GetTenant")
	check(t, "GetTenant after update", withHostnames(got), withHostnames(&upd))

	_, err = s.TenantByHostname(ctx, "old.test")
	wantCode(t, err, iam.CodeNotFound, "TenantByHostname of a removed hostname")
	for _, h := range []string{"new.test", "keep.test"} {
		got, err := s.TenantByHostname(ctx, h)
		if err != nil || got.ID != tn.ID {
			t.Errorf("TenantByHostname %s = %v, %v; want tenant %s", h, got, err, tn.ID)
		}
	}

	upd.Hostnames, upd.UpdatedAt = nil, at(2*time.Hour)
	must(t, s.UpdateTenant(ctx, &upd), "UpdateTenant to no hostnames")
	got, err = s.GetTenant(ctx, tn.ID)
	must(t, err, "GetTenant")
	check(t, "GetTenant after removing hostnames", got, &upd)
}

func testTenantHostnameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	other := createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"taken.test"} })
	mine := createTenant(t, s, func(tn *iam.Tenant) { tn.Name = "Mine"; tn.Hostnames = []string{"mine.test"} })

	t.Run("Create", func(t *testing.T) {
		tn := &iam.Tenant{ID: newID(t), Name: "Late", Hostnames: []string{"free.test", "taken.test"}, CreatedAt: t0, UpdatedAt: t0}
		wantCode(t, s.CreateTenant(ctx, tn), iam.CodeHostnameTaken, "CreateTenant with a taken hostname")
		// Outside InTx a store method is one transaction: nothing of it stays.
		_, err := s.GetTenant(ctx, tn.ID)
		wantCode(t, err, iam.CodeNotFound, "GetTenant of the rejected tenant")
		_, err = s.TenantByHostname(ctx, "free.test")
		wantCode(t, err, iam.CodeNotFound, "TenantByHostname of the rejected tenant's free hostname")
	})
	t.Run("Update", func(t *testing.T) {
		upd := *mine
		upd.Name, upd.Hostnames, upd.UpdatedAt = "Renamed", []string{"other.test", "taken.test"}, at(time.Hour)
		wantCode(t, s.UpdateTenant(ctx, &upd), iam.CodeHostnameTaken, "UpdateTenant with a taken hostname")
		got, err := s.GetTenant(ctx, mine.ID)
		must(t, err, "GetTenant")
		check(t, "tenant after the rejected update", withHostnames(got), withHostnames(mine))
	})
	got, err := s.TenantByHostname(ctx, "taken.test")
	if err != nil || got.ID != other.ID {
		t.Errorf("TenantByHostname taken.test = %v, %v; want the first holder %s", got, err, other.ID)
	}
}

func testTenantList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	// Created in this order, one minute apart; names sort differently.
	names := []string{"Gamma Corp", "Alpha Corp", "Epsilon Corp", "Beta Labs", "Delta Inc"}
	byName := map[string]*iam.Tenant{}
	for i, n := range names {
		byName[n] = createTenant(t, s, func(tn *iam.Tenant) {
			tn.Name = n
			tn.CreatedAt, tn.UpdatedAt = at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
			if n == "Beta Labs" {
				tn.Hostnames = []string{"beta.test", "labs.test"}
			}
		})
	}
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
			idsOf("Gamma Corp", "Alpha Corp", "Epsilon Corp", "Beta Labs", "Delta Inc"), 5},
		{"created desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "created_at", Desc: true},
			idsOf("Delta Inc", "Beta Labs", "Epsilon Corp", "Alpha Corp", "Gamma Corp"), 5},
		{"name asc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"},
			idsOf("Alpha Corp", "Beta Labs", "Delta Inc", "Epsilon Corp", "Gamma Corp"), 5},
		{"name desc", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Desc: true},
			idsOf("Gamma Corp", "Epsilon Corp", "Delta Inc", "Beta Labs", "Alpha Corp"), 5},
		{"search is case-insensitive", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "CORP"},
			idsOf("Alpha Corp", "Epsilon Corp", "Gamma Corp"), 3},
		{"search matches inside names", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "ta l"},
			idsOf("Beta Labs"), 1},
		{"search without match", iam.ListParams{Page: 1, Limit: 10, OrderBy: "name", Search: "zzz"}, idsOf(), 0},
		{"first page", iam.ListParams{Page: 1, Limit: 2, OrderBy: "name"}, idsOf("Alpha Corp", "Beta Labs"), 5},
		{"second page", iam.ListParams{Page: 2, Limit: 2, OrderBy: "name"}, idsOf("Delta Inc", "Epsilon Corp"), 5},
		{"last page", iam.ListParams{Page: 3, Limit: 2, OrderBy: "name"}, idsOf("Gamma Corp"), 5},
		{"past the end", iam.ListParams{Page: 4, Limit: 2, OrderBy: "name"}, idsOf(), 5},
		{"search and page", iam.ListParams{Page: 2, Limit: 2, OrderBy: "name", Search: "corp"}, idsOf("Gamma Corp"), 3},
	} {
		got, total, err := s.ListTenants(ctx, tc.p)
		if !listed(t, tc.name+": ListTenants", got, total, err, tenantID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			check(t, tc.name+": listed tenant", withHostnames(&got[i]), withHostnames(byName[got[i].Name]))
		}
	}
}

func testTenantDeleteCascades(t *testing.T, s iam.Store) {
	ctx := t.Context()
	gone := createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"gone.test"} })
	u := createUser(t, s, gone.ID, "ada@example.com")
	r := createRole(t, s, gone.ID, "Superadmin", "*")
	must(t, s.SetUserAdminRoles(ctx, gone.ID, u.ID, []string{r.ID}), "SetUserAdminRoles")
	se := createSession(t, s, gone.ID, u.ID)
	rt := createRefreshToken(t, s, gone.ID, se.ID)
	appendAudit(t, s, gone.ID, t0, iam.Ref{Type: "user", ID: u.ID}, "user.create", iam.Ref{Type: "user", ID: u.ID})

	kept := createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"kept.test"} })
	ku := createUser(t, s, kept.ID, "ada@example.com")

	must(t, s.DeleteTenant(ctx, gone.ID), "DeleteTenant")

	for name, call := range map[string]func() error{
		"GetTenant":          func() error { _, err := s.GetTenant(ctx, gone.ID); return err },
		"TenantByHostname":   func() error { _, err := s.TenantByHostname(ctx, "gone.test"); return err },
		"GetUser":            func() error { _, err := s.GetUser(ctx, gone.ID, u.ID); return err },
		"GetUserByEmail":     func() error { _, err := s.GetUserByEmail(ctx, gone.ID, u.Email); return err },
		"GetAdminRole":       func() error { _, err := s.GetAdminRole(ctx, gone.ID, r.ID); return err },
		"GetSession":         func() error { _, err := s.GetSession(ctx, gone.ID, se.ID); return err },
		"RefreshTokenByHash": func() error { _, err := s.RefreshTokenByHash(ctx, rt.Hash); return err },
		"DeleteTenant again": func() error { return s.DeleteTenant(ctx, gone.ID) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name+" after DeleteTenant")
	}
	if _, n, err := s.ListUsers(ctx, gone.ID, iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListUsers of the deleted tenant: total %d, %v; want 0", n, err)
	}
	if _, n, err := s.ListAudit(ctx, gone.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListAudit of the deleted tenant: total %d, %v; want 0", n, err)
	}

	got, err := s.GetUser(ctx, kept.ID, ku.ID)
	must(t, err, "GetUser of the other tenant")
	check(t, "other tenant's user", got, ku)
	if _, err := s.TenantByHostname(ctx, "kept.test"); err != nil {
		t.Errorf("TenantByHostname of the other tenant: %v", err)
	}
	// The hostname is free again.
	createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"gone.test"} })
}
