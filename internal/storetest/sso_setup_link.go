package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var ssoSetupLinkTests = []test{
	{"CreateFindUpdate", testSSOSetupLinkCreateFindUpdate},
	{"GoneWithOrganization", testSSOSetupLinkGoneWithOrganization},
	{"ConcurrentUpdates", testSSOSetupLinkConcurrentUpdates},
	{"ListDeleteEnd", testSSOSetupLinkListDeleteEnd},
}

func newSSOSetupLink(t *testing.T, tenantID, orgID string) *iam.SSOSetupLink {
	return &iam.SSOSetupLink{ID: newID(t), TenantID: tenantID, OrganizationID: orgID, TokenHash: newID(t), ProviderID: newID(t),
		CreatedAt: t0, ExpiresAt: at(72 * time.Hour)}
}

func testSSOSetupLinkCreateFindUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	l := newSSOSetupLink(t, tn.ID, org.ID)
	must(t, s.CreateSSOSetupLink(ctx, l), "create")
	if l.Version != 1 {
		t.Errorf("version %d after create", l.Version)
	}
	got, err := s.GetSSOSetupLinkByHash(ctx, tn.ID, l.TokenHash)
	must(t, err, "find")
	l.Domains = []iam.SetupDomain{}
	check(t, "link", got, l)
	_, err = s.GetSSOSetupLinkByHash(ctx, createTenant(t, s).ID, l.TokenHash)
	wantCode(t, err, iam.CodeNotFound, "another tenant's")

	got.Domains = []iam.SetupDomain{{Name: "acme.example", VerifiedAt: ptr(at(time.Hour))}, {Name: "acme.test"}}
	got.CompletedAt = ptr(at(2 * time.Hour))
	must(t, s.UpdateSSOSetupLink(ctx, got), "update")
	again, err := s.GetSSOSetupLinkForUpdate(ctx, tn.ID, l.ID)
	must(t, err, "read for update")
	check(t, "after update", again, got)
	if again.Version != 2 {
		t.Errorf("version %d after an update", again.Version)
	}
	_, err = s.GetSSOSetupLinkForUpdate(ctx, tn.ID, newID(t))
	wantCode(t, err, iam.CodeNotFound, "an unknown link")
}

func testSSOSetupLinkGoneWithOrganization(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	l := newSSOSetupLink(t, tn.ID, org.ID)
	must(t, s.CreateSSOSetupLink(ctx, l), "create")
	must(t, s.DeleteOrganization(ctx, tn.ID, org.ID), "delete the organization")
	_, err := s.GetSSOSetupLinkByHash(ctx, tn.ID, l.TokenHash)
	wantCode(t, err, iam.CodeNotFound, "a deleted organization's link")
}

// testSSOSetupLinkConcurrentUpdates: domains added by racing requests,
// each reading the link for update, are all kept.
func testSSOSetupLinkConcurrentUpdates(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	l := newSSOSetupLink(t, tn.ID, createOrg(t, s, tn.ID, "acme").ID)
	must(t, s.CreateSSOSetupLink(ctx, l), "create")
	const n = 8
	errs := make([]error, n)
	raceN(n, func(i int) {
		errs[i] = s.InTx(ctx, func(tx iam.Tx) error {
			got, err := tx.GetSSOSetupLinkForUpdate(ctx, tn.ID, l.ID)
			if err != nil {
				return err
			}
			got.Domains = append(got.Domains, iam.SetupDomain{Name: fmt.Sprintf("d%d.example", i)})
			return tx.UpdateSSOSetupLink(ctx, got)
		})
	})
	for i, err := range errs {
		must(t, err, fmt.Sprintf("update %d", i))
	}
	got, err := s.GetSSOSetupLinkByHash(ctx, tn.ID, l.TokenHash)
	must(t, err, "find")
	if len(got.Domains) != n || got.Version != 1+n {
		t.Errorf("after %d racing updates: %d domains, version %d", n, len(got.Domains), got.Version)
	}
}

func testSSOSetupLinkListDeleteEnd(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	org := createOrg(t, s, tn.ID, "acme")
	older, newer := newSSOSetupLink(t, tn.ID, org.ID), newSSOSetupLink(t, tn.ID, org.ID)
	newer.CreatedAt = at(time.Hour)
	other := newSSOSetupLink(t, tn.ID, createOrg(t, s, tn.ID, "globex").ID)
	for _, l := range []*iam.SSOSetupLink{older, newer, other} {
		must(t, s.CreateSSOSetupLink(ctx, l), "create")
	}
	list, err := s.ListSSOSetupLinks(ctx, tn.ID, org.ID)
	must(t, err, "list")
	if got := ids(list, func(l iam.SSOSetupLink) string { return l.ID }); !wantIDs(got, []string{newer.ID, older.ID}) {
		t.Errorf("acme's links %v, want newest first %v", got, []string{newer.ID, older.ID})
	}
	wantCode(t, s.DeleteSSOSetupLink(ctx, tn.ID, org.ID, other.ID), iam.CodeNotFound, "delete another organization's link")
	must(t, s.DeleteSSOSetupLink(ctx, tn.ID, org.ID, older.ID), "delete")
	_, err = s.GetSSOSetupLinkByHash(ctx, tn.ID, older.TokenHash)
	wantCode(t, err, iam.CodeNotFound, "a deleted link")

	must(t, s.EndSSOSetupLinks(ctx, tn.ID, newer.ProviderID, at(2*time.Hour)), "end")
	got, err := s.GetSSOSetupLinkByHash(ctx, tn.ID, newer.TokenHash)
	must(t, err, "find")
	if got.CompletedAt == nil || !got.CompletedAt.Equal(at(2*time.Hour).Truncate(time.Microsecond)) || got.Version != 2 {
		t.Errorf("after ending: completed %v, version %d", got.CompletedAt, got.Version)
	}
	must(t, s.EndSSOSetupLinks(ctx, tn.ID, newer.ProviderID, at(3*time.Hour)), "end again")
	if again, _ := s.GetSSOSetupLinkByHash(ctx, tn.ID, newer.TokenHash); !again.CompletedAt.Equal(*got.CompletedAt) {
		t.Errorf("ending again moved the completion to %v", again.CompletedAt)
	}
	if o, _ := s.GetSSOSetupLinkByHash(ctx, tn.ID, other.TokenHash); o.CompletedAt != nil {
		t.Error("another provider's link was ended")
	}
}
