package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// testTenantHostnamesKeepOrder: hostnames read back in the order they were
// given, whatever their alphabetical order, since the first is the tenant's
// primary hostname (its links and token issuer).
func testTenantHostnamesKeepOrder(t *testing.T, s iam.Store) {
	ctx := t.Context()
	given := []string{"zeta.test", "alpha.test", "mid.test"}
	tn := createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = given })
	other := createTenant(t, s, func(tn *iam.Tenant) { tn.Hostnames = []string{"yak.test", "bee.test"} })
	wantHosts := func(what string, id string, want []string) {
		t.Helper()
		got, err := s.GetTenant(ctx, id)
		must(t, err, what+": GetTenant")
		if !slices.Equal(got.Hostnames, want) {
			t.Errorf("%s: GetTenant hostnames %v, want %v", what, got.Hostnames, want)
		}
		byHost, err := s.TenantByHostname(ctx, want[len(want)-1])
		must(t, err, what+": TenantByHostname")
		if !slices.Equal(byHost.Hostnames, want) {
			t.Errorf("%s: TenantByHostname hostnames %v, want %v", what, byHost.Hostnames, want)
		}
		listed, _, err := s.ListTenants(ctx, iam.ListParams{Page: 1, Limit: 100})
		must(t, err, what+": ListTenants")
		for _, l := range listed {
			if l.ID == id && !slices.Equal(l.Hostnames, want) {
				t.Errorf("%s: ListTenants hostnames %v, want %v", what, l.Hostnames, want)
			}
		}
	}
	wantHosts("created", tn.ID, given)
	wantHosts("other tenant", other.ID, []string{"yak.test", "bee.test"})

	upd := *tn
	upd.Hostnames, upd.UpdatedAt = []string{"mid.test", "new.test", "alpha.test"}, at(time.Hour)
	must(t, s.UpdateTenant(ctx, &upd), "UpdateTenant")
	wantHosts("updated", tn.ID, upd.Hostnames)
	wantHosts("other tenant after update", other.ID, []string{"yak.test", "bee.test"})
}
