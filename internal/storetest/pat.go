package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var patTests = []test{
	{"CreateFind", testPATCreateFind},
	{"UserOfAnotherTenant", testPATUserOfAnotherTenant},
	{"List", testPATList},
	{"Revoke", testPATRevoke},
	{"ConcurrentRevoke", testPATConcurrentRevoke},
	{"RecordUse", testPATRecordUse},
	{"GoneWithUser", testPATGoneWithUser},
}

// newPAT is a token of the user created at created, expiring a day later,
// with a hash unique to its id.
func newPAT(t *testing.T, u *iam.User, name string, created time.Time) *iam.PersonalAccessToken {
	p := &iam.PersonalAccessToken{ID: newID(t), TenantID: u.TenantID, UserID: u.ID, Name: name,
		Display: "gtpat_" + name[:1], CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour)}
	p.Hash = "sha256:" + p.ID
	return p
}

func createPAT(t *testing.T, s iam.Tx, p *iam.PersonalAccessToken) *iam.PersonalAccessToken {
	t.Helper()
	must(t, s.CreatePAT(t.Context(), p), "CreatePAT "+p.Name)
	return p
}

func patID(p iam.PersonalAccessToken) string { return p.ID }

func testPATCreateFind(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	all := createPAT(t, s, newPAT(t, ada, "all", t0))
	none := newPAT(t, ada, "none", t0)
	none.Scopes = []string{}
	createPAT(t, s, none)
	some := newPAT(t, ada, "some", t0)
	some.Scopes, some.LastUsedAt = []string{"users.read", "groups.read"}, ptr(at(time.Minute))
	createPAT(t, s, some)

	for _, want := range []*iam.PersonalAccessToken{all, none, some} {
		got, err := s.PATByHash(ctx, want.Hash)
		if err != nil {
			t.Errorf("PATByHash %s: %v", want.Name, err)
			continue
		}
		check(t, "PATByHash "+want.Name, got, want)
		// nil (every permission of the owner) and empty (none) differ.
		if (got.Scopes == nil) != (want.Scopes == nil) {
			t.Errorf("PATByHash %s: scopes %#v, want %#v", want.Name, got.Scopes, want.Scopes)
		}
	}
	_, err := s.PATByHash(ctx, "sha256:unknown")
	wantCode(t, err, iam.CodeNotFound, "PATByHash of an unknown hash")
}

func testPATUserOfAnotherTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	p := newPAT(t, ada, "x", t0)
	p.TenantID = other.ID
	wantCode(t, s.CreatePAT(ctx, p), iam.CodeNotFound, "CreatePAT for a user of another tenant")
	_, err := s.PATByHash(ctx, p.Hash)
	wantCode(t, err, iam.CodeNotFound, "PATByHash of the refused token")
}

func testPATList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	first := createPAT(t, s, newPAT(t, ada, "first", t0))
	revoked := createPAT(t, s, newPAT(t, ada, "revoked", at(time.Second)))
	expired := newPAT(t, ada, "expired", at(2*time.Second))
	expired.ExpiresAt = at(3 * time.Second)
	createPAT(t, s, expired)
	last := createPAT(t, s, newPAT(t, ada, "last", at(3*time.Second)))
	createPAT(t, s, newPAT(t, grace, "grace's", at(4*time.Second)))
	_, err := s.RevokePAT(ctx, tn.ID, ada.ID, revoked.ID, at(time.Minute))
	must(t, err, "RevokePAT")

	got, total, err := s.ListPATs(ctx, tn.ID, ada.ID, iam.ListParams{Page: 1, Limit: 10})
	if listed(t, "ListPATs", got, total, err, patID, []string{last.ID, expired.ID, first.ID}, 3) {
		check(t, "ListPATs[0]", got[0], *last)
	}
	got, total, err = s.ListPATs(ctx, tn.ID, ada.ID, iam.ListParams{Page: 2, Limit: 2, OrderBy: "name"})
	listed(t, "ListPATs page 2 (its order fixed)", got, total, err, patID, []string{first.ID}, 3)
	got, total, err = s.ListPATs(ctx, createTenant(t, s).ID, ada.ID, iam.ListParams{Page: 1, Limit: 10})
	listed(t, "ListPATs in another tenant", got, total, err, patID, []string{}, 0)
}

func testPATRevoke(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	p := createPAT(t, s, newPAT(t, ada, "p", t0))

	_, err := s.RevokePAT(ctx, tn.ID, grace.ID, p.ID, at(time.Minute))
	wantCode(t, err, iam.CodeNotFound, "RevokePAT as another user")
	_, err = s.RevokePAT(ctx, createTenant(t, s).ID, ada.ID, p.ID, at(time.Minute))
	wantCode(t, err, iam.CodeNotFound, "RevokePAT in another tenant")
	got, err := s.RevokePAT(ctx, tn.ID, ada.ID, p.ID, at(time.Minute))
	must(t, err, "RevokePAT")
	p.RevokedAt = ptr(at(time.Minute))
	check(t, "RevokePAT's answer", got, p)
	_, err = s.RevokePAT(ctx, tn.ID, ada.ID, p.ID, at(time.Hour))
	wantCode(t, err, iam.CodeNotFound, "RevokePAT again")
	// The row stays, so that its use is told from an unknown secret.
	got, err = s.PATByHash(ctx, p.Hash)
	must(t, err, "PATByHash of the revoked token")
	check(t, "PATByHash of the revoked token", got, p)
}

func testPATConcurrentRevoke(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	p := createPAT(t, s, newPAT(t, ada, "p", t0))
	const n = 6
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		_, err := s.RevokePAT(ctx, tn.ID, ada.ID, p.ID, at(time.Duration(i)*time.Second))
		won[i] = err == nil
		if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			errs[i] = err
		}
	})
	w := singleWinner(t, "RevokePAT", won, errs)
	got, err := s.PATByHash(ctx, p.Hash)
	must(t, err, "PATByHash")
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at(time.Duration(w)*time.Second).Truncate(time.Microsecond)) {
		t.Errorf("RevokedAt = %v, want the winner's %v", got.RevokedAt, at(time.Duration(w)*time.Second))
	}
}

func testPATRecordUse(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	p := createPAT(t, s, newPAT(t, ada, "p", t0))
	must(t, s.RecordPATUse(ctx, tn.ID, p.ID, at(time.Minute)), "RecordPATUse")
	p.LastUsedAt = ptr(at(time.Minute))
	got, err := s.PATByHash(ctx, p.Hash)
	must(t, err, "PATByHash")
	check(t, "after RecordPATUse", got, p)
	wantCode(t, s.RecordPATUse(ctx, createTenant(t, s).ID, p.ID, at(time.Hour)), iam.CodeNotFound, "RecordPATUse in another tenant")
	wantCode(t, s.RecordPATUse(ctx, tn.ID, newID(t), at(time.Hour)), iam.CodeNotFound, "RecordPATUse of an unknown token")
}

func testPATGoneWithUser(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	p := createPAT(t, s, newPAT(t, ada, "p", t0))
	must(t, s.DeleteUser(ctx, tn.ID, ada.ID), "DeleteUser")
	_, err := s.PATByHash(ctx, p.Hash)
	wantCode(t, err, iam.CodeNotFound, "PATByHash after its user was deleted")
}

var scimTokenTests = []test{
	{"CreateFind", testSCIMTokenCreateFind},
	{"OneActivePerTenant", testSCIMTokenOneActive},
	{"Revoke", testSCIMTokenRevoke},
	{"ConcurrentRecreate", testSCIMTokenConcurrentRecreate},
	{"RecordUse", testSCIMTokenRecordUse},
	{"Organizations", testSCIMTokenOrganizations},
}

// testSCIMTokenOrganizations: an organization's token is apart from its
// tenant's and from other organizations': one active each, found and
// revoked each on its own, and gone with its organization.
func testSCIMTokenOrganizations(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	acme, globex := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "globex")
	tenantTok := newSCIMToken(t, tn.ID, t0)
	acmeTok := newSCIMToken(t, tn.ID, t0)
	acmeTok.OrganizationID = acme.ID
	must(t, s.CreateSCIMToken(ctx, tenantTok), "the tenant's token")
	must(t, s.CreateSCIMToken(ctx, acmeTok), "acme's token beside the tenant's")
	second := newSCIMToken(t, tn.ID, at(time.Second))
	second.OrganizationID = acme.ID
	wantCode(t, s.CreateSCIMToken(ctx, second), iam.CodeConflict, "a second token of acme")
	globexTok := newSCIMToken(t, tn.ID, t0)
	globexTok.OrganizationID = globex.ID
	must(t, s.CreateSCIMToken(ctx, globexTok), "globex's token")

	got, err := s.ActiveSCIMToken(ctx, tn.ID, acme.ID)
	must(t, err, "ActiveSCIMToken of acme")
	check(t, "acme's token", got, acmeTok)
	got, err = s.ActiveSCIMToken(ctx, tn.ID, "")
	must(t, err, "ActiveSCIMToken of the tenant")
	check(t, "the tenant's token", got, tenantTok)
	got, err = s.SCIMTokenByHash(ctx, acmeTok.Hash)
	must(t, err, "SCIMTokenByHash")
	check(t, "SCIMTokenByHash of acme's", got, acmeTok)

	revoked, err := s.RevokeSCIMToken(ctx, tn.ID, acme.ID, at(time.Minute))
	must(t, err, "RevokeSCIMToken of acme")
	if revoked.ID != acmeTok.ID {
		t.Errorf("revoked %s; want acme's %s", revoked.ID, acmeTok.ID)
	}
	for what, org := range map[string]string{"the tenant": "", "globex": globex.ID} {
		if _, err := s.ActiveSCIMToken(ctx, tn.ID, org); err != nil {
			t.Errorf("%s's token after acme's revocation: %v", what, err)
		}
	}
	_, err = s.ActiveSCIMToken(ctx, createTenant(t, s).ID, globex.ID)
	wantCode(t, err, iam.CodeNotFound, "globex's token from another tenant")
	must(t, s.DeleteOrganization(ctx, tn.ID, globex.ID), "DeleteOrganization")
	_, err = s.SCIMTokenByHash(ctx, globexTok.Hash)
	wantCode(t, err, iam.CodeNotFound, "the token of a deleted organization")
}

func newSCIMToken(t *testing.T, tenantID string, created time.Time) *iam.SCIMToken {
	tk := &iam.SCIMToken{ID: newID(t), TenantID: tenantID, Display: "gtscim_abcd",
		CreatedBy: iam.Ref{Type: "user", ID: newID(t)}, CreatedAt: created}
	tk.Hash = "sha256:" + tk.ID
	return tk
}

func testSCIMTokenCreateFind(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	tk := newSCIMToken(t, tn.ID, t0)
	tk.ExpiresAt = ptr(at(time.Hour))
	must(t, s.CreateSCIMToken(ctx, tk), "CreateSCIMToken")
	got, err := s.ActiveSCIMToken(ctx, tn.ID, "")
	must(t, err, "ActiveSCIMToken")
	check(t, "ActiveSCIMToken", got, tk)
	got, err = s.SCIMTokenByHash(ctx, tk.Hash)
	must(t, err, "SCIMTokenByHash")
	check(t, "SCIMTokenByHash", got, tk)
	_, err = s.ActiveSCIMToken(ctx, createTenant(t, s).ID, "")
	wantCode(t, err, iam.CodeNotFound, "ActiveSCIMToken of a tenant without one")
	_, err = s.SCIMTokenByHash(ctx, "sha256:unknown")
	wantCode(t, err, iam.CodeNotFound, "SCIMTokenByHash of an unknown hash")
}

func testSCIMTokenOneActive(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	must(t, s.CreateSCIMToken(ctx, newSCIMToken(t, tn.ID, t0)), "CreateSCIMToken")
	must(t, s.CreateSCIMToken(ctx, newSCIMToken(t, other.ID, t0)), "CreateSCIMToken in another tenant")
	wantCode(t, s.CreateSCIMToken(ctx, newSCIMToken(t, tn.ID, at(time.Second))), iam.CodeConflict, "a second CreateSCIMToken")
}

func testSCIMTokenRevoke(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	_, err := s.RevokeSCIMToken(ctx, tn.ID, "", t0)
	wantCode(t, err, iam.CodeNotFound, "RevokeSCIMToken without a token")
	tk := newSCIMToken(t, tn.ID, t0)
	must(t, s.CreateSCIMToken(ctx, tk), "CreateSCIMToken")
	got, err := s.RevokeSCIMToken(ctx, tn.ID, "", at(time.Minute))
	must(t, err, "RevokeSCIMToken")
	tk.RevokedAt = ptr(at(time.Minute))
	check(t, "RevokeSCIMToken's answer", got, tk)
	_, err = s.ActiveSCIMToken(ctx, tn.ID, "")
	wantCode(t, err, iam.CodeNotFound, "ActiveSCIMToken after revocation")
	_, err = s.RevokeSCIMToken(ctx, tn.ID, "", at(time.Hour))
	wantCode(t, err, iam.CodeNotFound, "RevokeSCIMToken again")
	got, err = s.SCIMTokenByHash(ctx, tk.Hash)
	must(t, err, "SCIMTokenByHash of the revoked token")
	check(t, "SCIMTokenByHash of the revoked token", got, tk)
	// A new one may be created once the old is revoked.
	must(t, s.CreateSCIMToken(ctx, newSCIMToken(t, tn.ID, at(time.Hour))), "CreateSCIMToken after revocation")
}

// testSCIMTokenConcurrentRecreate races re-creations as the service runs
// them (the tenant's lock, revoke, create): each succeeds in turn, the last
// one's token is the tenant's only one, and every other is revoked.
func testSCIMTokenConcurrentRecreate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	must(t, s.CreateSCIMToken(ctx, newSCIMToken(t, tn.ID, t0)), "CreateSCIMToken")
	const n = 8
	tokens, errs := make([]*iam.SCIMToken, n), make([]error, n)
	raceN(n, func(i int) {
		tk := newSCIMToken(t, tn.ID, at(time.Duration(i+1)*time.Second))
		errs[i] = s.InTx(ctx, func(tx iam.Tx) error {
			if err := tx.LockTenant(ctx, tn.ID); err != nil {
				return err
			}
			if _, err := tx.RevokeSCIMToken(ctx, tn.ID, "", tk.CreatedAt); err != nil {
				return err
			}
			return tx.CreateSCIMToken(ctx, tk)
		})
		tokens[i] = tk
	})
	active, err := s.ActiveSCIMToken(ctx, tn.ID, "")
	must(t, err, "ActiveSCIMToken")
	found := false
	for i, tk := range tokens {
		if errs[i] != nil {
			t.Errorf("re-create %d: %v", i, errs[i])
			continue
		}
		got, err := s.SCIMTokenByHash(ctx, tk.Hash)
		must(t, err, "SCIMTokenByHash")
		if got.ID == active.ID {
			found = true
		} else if got.RevokedAt == nil {
			t.Errorf("re-create %d: its token is neither the active one nor revoked", i)
		}
	}
	if !found {
		t.Errorf("the active token %s is none of the re-created ones", active.ID)
	}
}

func testSCIMTokenRecordUse(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	tk := newSCIMToken(t, tn.ID, t0)
	must(t, s.CreateSCIMToken(ctx, tk), "CreateSCIMToken")
	must(t, s.RecordSCIMTokenUse(ctx, tn.ID, tk.ID, at(time.Minute)), "RecordSCIMTokenUse")
	tk.LastUsedAt = ptr(at(time.Minute))
	got, err := s.ActiveSCIMToken(ctx, tn.ID, "")
	must(t, err, "ActiveSCIMToken")
	check(t, "after RecordSCIMTokenUse", got, tk)
	wantCode(t, s.RecordSCIMTokenUse(ctx, createTenant(t, s).ID, tk.ID, at(time.Hour)), iam.CodeNotFound, "RecordSCIMTokenUse in another tenant")
}
