package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var federatedProviderTests = []test{
	{"CreateGetList", testFederatedProviderCreateGetList},
	{"UpdateDelete", testFederatedProviderUpdateDelete},
	{"Tenants", testFederatedProviderTenants},
	{"ConcurrentUpdates", testFederatedProviderConcurrentUpdates},
}

// testFederatedProviderConcurrentUpdates: read-modify-writes of one provider
// that race, each reading it for update, lose none of each other's changes.
func testFederatedProviderConcurrentUpdates(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	p := newFederatedProvider(t, tn.ID, "Okta")
	p.Domains = []string{}
	must(t, s.CreateFederatedProvider(ctx, p), "create")
	const n = 8
	errs := make([]error, n)
	raceN(n, func(i int) {
		errs[i] = s.InTx(ctx, func(tx iam.Tx) error {
			got, err := tx.GetFederatedProviderForUpdate(ctx, tn.ID, p.ID)
			if err != nil {
				return err
			}
			got.Domains = append(got.Domains, fmt.Sprintf("d%d.example", i))
			got.UpdatedAt = at(time.Duration(i) * time.Second)
			return tx.UpdateFederatedProvider(ctx, got)
		})
	})
	for i, err := range errs {
		must(t, err, fmt.Sprintf("update %d", i))
	}
	got, err := s.GetFederatedProvider(ctx, tn.ID, p.ID)
	must(t, err, "GetFederatedProvider")
	if len(got.Domains) != n || got.Version != 1+n {
		t.Errorf("after %d racing updates: domains %v, version %d; want all %d and version %d", n, got.Domains, got.Version, n, 1+n)
	}
}

func newFederatedProvider(t *testing.T, tenantID, name string) *iam.FederatedProvider {
	return &iam.FederatedProvider{ID: newID(t), TenantID: tenantID, Name: name, Kind: iam.ProviderOIDC, Enabled: true,
		Domains: []string{"example.com"}, JITProvisioning: true, LinkPolicy: "verified_email",
		Settings: []byte(`{"issuer":"https://idp.example.com"}`), ClientSecret: []byte{1, 2, 3}, CreatedAt: t0, UpdatedAt: t0}
}

func testFederatedProviderCreateGetList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	okta := newFederatedProvider(t, tn.ID, "Okta")
	okta.OrganizationID = org.ID
	azure := newFederatedProvider(t, tn.ID, "azure")
	azure.Kind, azure.Domains, azure.ClientSecret, azure.Enabled = iam.ProviderSAML, []string{}, nil, false
	must(t, s.CreateFederatedProvider(ctx, okta), "create okta")
	must(t, s.CreateFederatedProvider(ctx, azure), "create azure")
	got, err := s.GetFederatedProvider(ctx, tn.ID, okta.ID)
	must(t, err, "GetFederatedProvider")
	check(t, "GetFederatedProvider", got, okta)
	list, err := s.ListFederatedProviders(ctx, tn.ID)
	must(t, err, "ListFederatedProviders")
	if len(list) != 2 || list[0].ID != azure.ID || list[1].ID != okta.ID {
		t.Errorf("list = %v; want azure then Okta (by name, without case)", list)
	}
	check(t, "listed azure", &list[0], azure)
	wantCode(t, s.CreateFederatedProvider(ctx, newFederatedProvider(t, tn.ID, "OKTA")), iam.CodeNameTaken, "a second Okta")
}

func testFederatedProviderUpdateDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	p := newFederatedProvider(t, tn.ID, "Okta")
	must(t, s.CreateFederatedProvider(ctx, p), "create")
	must(t, s.CreateFederatedProvider(ctx, newFederatedProvider(t, tn.ID, "Google")), "create google")
	p.Name, p.Kind, p.Enabled, p.Domains, p.Settings, p.ClientSecret, p.UpdatedAt = "Okta EU", iam.ProviderOAuth2, false,
		[]string{"a.example", "b.example"}, []byte(`{"authorization_url":"https://eu.example.com/authorize"}`), []byte{9}, at(time.Hour)
	must(t, s.UpdateFederatedProvider(ctx, p), "update")
	if p.Version != 2 {
		t.Errorf("version after update = %d; want 2", p.Version)
	}
	got, err := s.GetFederatedProviderForUpdate(ctx, tn.ID, p.ID)
	must(t, err, "GetFederatedProviderForUpdate")
	check(t, "after update", got, p)
	taken := *p
	taken.Name = "google"
	wantCode(t, s.UpdateFederatedProvider(ctx, &taken), iam.CodeNameTaken, "rename onto Google")
	must(t, s.DeleteFederatedProvider(ctx, tn.ID, p.ID), "delete")
	_, err = s.GetFederatedProvider(ctx, tn.ID, p.ID)
	wantCode(t, err, iam.CodeNotFound, "get after delete")
	wantCode(t, s.DeleteFederatedProvider(ctx, tn.ID, p.ID), iam.CodeNotFound, "delete again")
}

func testFederatedProviderTenants(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	p := newFederatedProvider(t, tn.ID, "Okta")
	must(t, s.CreateFederatedProvider(ctx, p), "create")
	must(t, s.CreateFederatedProvider(ctx, newFederatedProvider(t, other.ID, "Okta")), "the same name in another tenant")
	_, err := s.GetFederatedProvider(ctx, other.ID, p.ID)
	wantCode(t, err, iam.CodeNotFound, "get from another tenant")
	wantCode(t, s.DeleteFederatedProvider(ctx, other.ID, p.ID), iam.CodeNotFound, "delete from another tenant")
	hijack := *p
	hijack.TenantID, hijack.Name = other.ID, "Hijacked"
	wantCode(t, s.UpdateFederatedProvider(ctx, &hijack), iam.CodeNotFound, "update from another tenant")
	list, err := s.ListFederatedProviders(ctx, other.ID)
	must(t, err, "list of the other tenant")
	if len(list) != 1 || list[0].ID == p.ID {
		t.Errorf("the other tenant lists %v", list)
	}
}
