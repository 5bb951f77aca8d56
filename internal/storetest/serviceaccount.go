package storetest

import (
	"cmp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var serviceAccountTests = []test{
	{"CreateGet", testServiceAccountCreateGet},
	{"NotFound", testServiceAccountNotFound},
	{"NameTaken", testServiceAccountNameTaken},
	{"ClientIDTaken", testServiceAccountClientIDTaken},
	{"OrganizationOfAnotherTenant", testServiceAccountForeignOrganization},
	{"List", testServiceAccountList},
	{"Update", testServiceAccountUpdate},
	{"Delete", testServiceAccountDelete},
	{"DeleteOrganization", testServiceAccountDeleteOrganization},
}

// createServiceAccount inserts a service account named name, changed by mods.
func createServiceAccount(t *testing.T, s iam.Tx, tenantID, name string, mods ...func(*iam.ServiceAccount)) *iam.ServiceAccount {
	t.Helper()
	a := &iam.ServiceAccount{ID: newID(t), TenantID: tenantID, Name: name, Description: "Account " + name, CreatedAt: t0, UpdatedAt: t0}
	a.ClientID = "sa_" + strings.ReplaceAll(a.ID, "-", "")
	for _, m := range mods {
		m(a)
	}
	must(t, s.CreateServiceAccount(t.Context(), a), "CreateServiceAccount "+name)
	return a
}

func serviceAccountID(a iam.ServiceAccount) string { return a.ID }

func testServiceAccountCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	for _, want := range []*iam.ServiceAccount{
		{ID: newID(t), TenantID: tn.ID, Name: "billing-sync", Description: "Pushes invoices", ClientID: "sa_1",
			CreatedAt: t0, UpdatedAt: at(time.Second + 999*time.Nanosecond)},
		{ID: newID(t), TenantID: tn.ID, OrganizationID: org.ID, Name: "Équipe robot", ClientID: "sa_2",
			CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
	} {
		must(t, s.CreateServiceAccount(ctx, want), "CreateServiceAccount "+want.Name)
		if want.Version != 1 {
			t.Errorf("Version after create = %d, want 1", want.Version)
		}
		got, err := s.GetServiceAccount(ctx, tn.ID, want.ID)
		must(t, err, "GetServiceAccount "+want.Name)
		check(t, "GetServiceAccount "+want.Name, got, want)
		got, err = s.GetServiceAccountByClientID(ctx, tn.ID, want.ClientID)
		must(t, err, "GetServiceAccountByClientID "+want.Name)
		check(t, "GetServiceAccountByClientID "+want.Name, got, want)
		err = s.InTx(ctx, func(tx iam.Tx) error {
			got, err := tx.GetServiceAccountForUpdate(ctx, tn.ID, want.ID)
			if err == nil {
				check(t, "GetServiceAccountForUpdate "+want.Name, got, want)
			}
			return err
		})
		must(t, err, "GetServiceAccountForUpdate")
	}
}

func testServiceAccountNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetServiceAccount": func() error { _, err := s.GetServiceAccount(ctx, tn.ID, unknown); return err },
		"GetServiceAccountByClientID": func() error {
			_, err := s.GetServiceAccountByClientID(ctx, tn.ID, "sa_unknown")
			return err
		},
		"UpdateServiceAccount": func() error {
			return s.UpdateServiceAccount(ctx, &iam.ServiceAccount{ID: unknown, TenantID: tn.ID, Name: "X", UpdatedAt: t0})
		},
		"DeleteServiceAccount": func() error { return s.DeleteServiceAccount(ctx, tn.ID, unknown) },
		"GetServiceAccount from another tenant": func() error {
			_, err := s.GetServiceAccount(ctx, other.ID, a.ID)
			return err
		},
		"GetServiceAccountByClientID from another tenant": func() error {
			_, err := s.GetServiceAccountByClientID(ctx, other.ID, a.ClientID)
			return err
		},
		"GetServiceAccountForUpdate from another tenant": func() error {
			return s.InTx(ctx, func(tx iam.Tx) error { _, err := tx.GetServiceAccountForUpdate(ctx, other.ID, a.ID); return err })
		},
		"UpdateServiceAccount from another tenant": func() error {
			upd := *a
			upd.TenantID, upd.Name, upd.UpdatedAt = other.ID, "Hijacked", at(time.Hour)
			return s.UpdateServiceAccount(ctx, &upd)
		},
		"DeleteServiceAccount from another tenant": func() error { return s.DeleteServiceAccount(ctx, other.ID, a.ID) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetServiceAccount(ctx, tn.ID, a.ID)
	must(t, err, "GetServiceAccount")
	check(t, "service account after foreign update and delete", got, a)
	if _, n, err := s.ListServiceAccounts(ctx, other.ID, iam.ServiceAccountQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListServiceAccounts of the other tenant: total %d, %v; want 0", n, err)
	}
}

func testServiceAccountNameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createServiceAccount(t, s, a.ID, "robot")
	dup := &iam.ServiceAccount{ID: newID(t), TenantID: a.ID, Name: first.Name, ClientID: "sa_dup", CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateServiceAccount(ctx, dup), iam.CodeNameTaken, "CreateServiceAccount with a taken name")
	_, err := s.GetServiceAccount(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetServiceAccount of the rejected account")

	createServiceAccount(t, s, b.ID, first.Name)

	other := createServiceAccount(t, s, a.ID, "other")
	upd := *other
	upd.Name, upd.Description, upd.UpdatedAt = first.Name, "Renamed", at(time.Hour)
	wantCode(t, s.UpdateServiceAccount(ctx, &upd), iam.CodeNameTaken, "UpdateServiceAccount to a taken name")
	got, err := s.GetServiceAccount(ctx, a.ID, other.ID)
	must(t, err, "GetServiceAccount")
	check(t, "service account after the rejected update", got, other)
}

func testServiceAccountClientIDTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createServiceAccount(t, s, a.ID, "robot")
	// Client ids are unique across tenants: a token endpoint may look one
	// up before anything else.
	for _, tn := range []*iam.Tenant{a, b} {
		dup := &iam.ServiceAccount{ID: newID(t), TenantID: tn.ID, Name: "dup", ClientID: first.ClientID, CreatedAt: t0, UpdatedAt: t0}
		wantCode(t, s.CreateServiceAccount(ctx, dup), iam.CodeConflict, "CreateServiceAccount with a taken client id")
		_, err := s.GetServiceAccount(ctx, tn.ID, dup.ID)
		wantCode(t, err, iam.CodeNotFound, "GetServiceAccount of the rejected account")
	}
}

func testServiceAccountForeignOrganization(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	foreign := createOrg(t, s, other.ID, "foreign")
	for name, orgID := range map[string]string{"another tenant's organization": foreign.ID, "an unknown organization": newID(t)} {
		a := &iam.ServiceAccount{ID: newID(t), TenantID: tn.ID, OrganizationID: orgID, Name: "robot", ClientID: "sa_" + name,
			CreatedAt: t0, UpdatedAt: t0}
		wantCode(t, s.CreateServiceAccount(ctx, a), iam.CodeNotFound, "CreateServiceAccount in "+name)
		_, err := s.GetServiceAccount(ctx, tn.ID, a.ID)
		wantCode(t, err, iam.CodeNotFound, "GetServiceAccount of the rejected account")
	}
}

func testServiceAccountList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	names := []string{"sync", "Backup_job", "deploy 100%", "Build", "Éclair"}
	byName := map[string]*iam.ServiceAccount{}
	for i, n := range names {
		byName[n] = createServiceAccount(t, s, tn.ID, n, func(a *iam.ServiceAccount) {
			a.Description = "searches never look here: sync"
			a.CreatedAt, a.UpdatedAt = at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
			if i%2 == 1 {
				a.OrganizationID = org.ID
			}
		})
	}
	createServiceAccount(t, s, other.ID, "sync")
	createServiceAccount(t, s, other.ID, "elsewhere")
	idsOf := func(ns ...string) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, byName[n].ID)
		}
		return out
	}
	page := func(p iam.ListParams) iam.ServiceAccountQuery { return iam.ServiceAccountQuery{ListParams: p} }
	for _, tc := range []struct {
		name  string
		q     iam.ServiceAccountQuery
		want  []string
		total int
	}{
		{"default: created asc", page(iam.ListParams{}), idsOf("sync", "Backup_job", "deploy 100%", "Build", "Éclair"), 5},
		{"created desc", page(iam.ListParams{OrderBy: "created_at", Desc: true}), idsOf("Éclair", "Build", "deploy 100%", "Backup_job", "sync"), 5},
		{"name asc, any case", page(iam.ListParams{OrderBy: "name"}), idsOf("Backup_job", "Build", "deploy 100%", "sync", "Éclair"), 5},
		{"name desc", page(iam.ListParams{OrderBy: "name", Desc: true}), idsOf("Éclair", "sync", "deploy 100%", "Build", "Backup_job"), 5},
		{"search any case", page(iam.ListParams{OrderBy: "name", Search: "B"}), idsOf("Backup_job", "Build"), 2},
		{"search non-ASCII any case", page(iam.ListParams{Search: "ÉCLAIR"}), idsOf("Éclair"), 1},
		{"search percent literally", page(iam.ListParams{Search: "%"}), idsOf("deploy 100%"), 1},
		{"search underscore literally", page(iam.ListParams{Search: "_"}), idsOf("Backup_job"), 1},
		{"search ignores descriptions", page(iam.ListParams{Search: "never"}), idsOf(), 0},
		{"search another tenant's name", page(iam.ListParams{Search: "elsewhere"}), idsOf(), 0},
		{"organization's own", iam.ServiceAccountQuery{OrganizationID: org.ID}, idsOf("Backup_job", "Build"), 2},
		{"organization's own, searched", iam.ServiceAccountQuery{OrganizationID: org.ID, ListParams: iam.ListParams{Search: "bui"}}, idsOf("Build"), 1},
		{"first page", page(iam.ListParams{OrderBy: "name", Limit: 2}), idsOf("Backup_job", "Build"), 5},
		{"last page", page(iam.ListParams{OrderBy: "name", Limit: 2, Page: 3}), idsOf("Éclair"), 5},
		{"past the end", page(iam.ListParams{OrderBy: "name", Limit: 2, Page: 4}), idsOf(), 5},
	} {
		tc.q.Page, tc.q.Limit = max(tc.q.Page, 1), cmp.Or(tc.q.Limit, 10)
		got, total, err := s.ListServiceAccounts(ctx, tn.ID, tc.q)
		if !listed(t, tc.name+": ListServiceAccounts", got, total, err, serviceAccountID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			check(t, tc.name+": listed service account", &got[i], byName[got[i].Name])
		}
	}
	_, _, err := s.ListServiceAccounts(ctx, tn.ID, iam.ServiceAccountQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "client_id"}})
	wantCode(t, err, iam.CodeInvalid, "ListServiceAccounts by an unknown order")
}

func testServiceAccountUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	a := createServiceAccount(t, s, tn.ID, "robot", func(a *iam.ServiceAccount) { a.OrganizationID = org.ID })
	upd := *a
	upd.Name, upd.Description, upd.UpdatedAt = "Robot Two", "Renamed", at(time.Hour)
	// Only name and description change: the owner and the client id are fixed.
	upd.OrganizationID, upd.ClientID, upd.CreatedAt = "", "sa_changed", at(2*time.Hour)
	must(t, s.UpdateServiceAccount(ctx, &upd), "UpdateServiceAccount")
	if upd.Version != 2 {
		t.Errorf("Version after update = %d, want 2", upd.Version)
	}
	want := *a
	want.Name, want.Description, want.UpdatedAt, want.Version = upd.Name, upd.Description, upd.UpdatedAt, 2
	got, err := s.GetServiceAccount(ctx, tn.ID, a.ID)
	must(t, err, "GetServiceAccount")
	check(t, "service account after update", got, &want)
	list, _, err := s.ListServiceAccounts(ctx, tn.ID, iam.ServiceAccountQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, Search: "robot two"}})
	if !listed(t, "ListServiceAccounts by the new name", list, len(list), err, serviceAccountID, []string{a.ID}, 1) {
		return
	}
	check(t, "listed after update", &list[0], &want)
}

func testServiceAccountDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	keep := createServiceAccount(t, s, tn.ID, "keep")
	must(t, s.DeleteServiceAccount(ctx, tn.ID, a.ID), "DeleteServiceAccount")
	_, err := s.GetServiceAccount(ctx, tn.ID, a.ID)
	wantCode(t, err, iam.CodeNotFound, "GetServiceAccount after delete")
	wantCode(t, s.DeleteServiceAccount(ctx, tn.ID, a.ID), iam.CodeNotFound, "DeleteServiceAccount again")
	// Its name and client id are free again.
	createServiceAccount(t, s, tn.ID, a.Name, func(n *iam.ServiceAccount) { n.ClientID = a.ClientID })
	got, err := s.GetServiceAccount(ctx, tn.ID, keep.ID)
	must(t, err, "GetServiceAccount of the other account")
	check(t, "other account after delete", got, keep)
}

func testServiceAccountDeleteOrganization(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	owned := createServiceAccount(t, s, tn.ID, "owned", func(a *iam.ServiceAccount) { a.OrganizationID = org.ID })
	free := createServiceAccount(t, s, tn.ID, "free")
	must(t, s.DeleteOrganization(ctx, tn.ID, org.ID), "DeleteOrganization")
	_, err := s.GetServiceAccount(ctx, tn.ID, owned.ID)
	wantCode(t, err, iam.CodeNotFound, "GetServiceAccount of the deleted organization's account")
	_, err = s.GetServiceAccount(ctx, tn.ID, free.ID)
	must(t, err, "GetServiceAccount of a tenant-wide account")
}
