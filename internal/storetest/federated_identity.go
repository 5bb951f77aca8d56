package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var federatedIdentityTests = []test{
	{"LinkFindList", testFederatedIdentityLinkFindList},
	{"GoneWithOwner", testFederatedIdentityGoneWithOwner},
	{"DeleteOfProvider", testFederatedIdentityDeleteOfProvider},
	{"SessionProvider", testSessionFederatedProvider},
	{"LoginTakenOnce", testFederatedLoginTakenOnce},
	{"LoginExpiry", testFederatedLoginExpiry},
	{"ConcurrentTake", testFederatedLoginConcurrentTake},
	{"ConcurrentLink", testFederatedIdentityConcurrentLink},
}

func newFederatedIdentity(t *testing.T, tenantID, providerID, userID, subject string) *iam.FederatedIdentity {
	return &iam.FederatedIdentity{ID: newID(t), TenantID: tenantID, ProviderID: providerID, UserID: userID, Subject: subject,
		Email: "ada@example.com", CreatedAt: t0}
}

// identityFixture is a tenant with a provider and a user.
func identityFixture(t *testing.T, s iam.Store) (*iam.Tenant, *iam.FederatedProvider, *iam.User) {
	tn := createTenant(t, s)
	p := newFederatedProvider(t, tn.ID, "Okta")
	must(t, s.CreateFederatedProvider(t.Context(), p), "CreateFederatedProvider")
	return tn, p, createUser(t, s, tn.ID, "ada@example.com")
}

func testFederatedIdentityLinkFindList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, u := identityFixture(t, s)
	first := newFederatedIdentity(t, tn.ID, p.ID, u.ID, "sub-1")
	must(t, s.CreateFederatedIdentity(ctx, first), "link")
	second := newFederatedIdentity(t, tn.ID, p.ID, u.ID, "sub-2")
	second.CreatedAt = at(time.Minute)
	must(t, s.CreateFederatedIdentity(ctx, second), "link a second subject")
	other := createUser(t, s, tn.ID, "bob@example.com")
	wantCode(t, s.CreateFederatedIdentity(ctx, newFederatedIdentity(t, tn.ID, p.ID, other.ID, "sub-1")), iam.CodeConflict,
		"link a subject linked already")

	got, err := s.GetFederatedIdentityBySubject(ctx, tn.ID, p.ID, "sub-1")
	must(t, err, "find")
	check(t, "identity", got, first)
	_, err = s.GetFederatedIdentityBySubject(ctx, tn.ID, p.ID, "SUB-1")
	wantCode(t, err, iam.CodeNotFound, "subjects are compared exactly")
	_, err = s.GetFederatedIdentityBySubject(ctx, createTenant(t, s).ID, p.ID, "sub-1")
	wantCode(t, err, iam.CodeNotFound, "another tenant's")

	must(t, s.RecordFederatedSignIn(ctx, tn.ID, first.ID, "ada@new.example", at(time.Hour)), "record sign-in")
	list, err := s.ListFederatedIdentities(ctx, tn.ID, u.ID)
	must(t, err, "list")
	first.Email, first.LastLoginAt = "ada@new.example", ptr(at(time.Hour))
	check(t, "identities", list, []iam.FederatedIdentity{*first, *second})
	wantCode(t, s.RecordFederatedSignIn(ctx, tn.ID, newID(t), "x@example.com", t0), iam.CodeNotFound, "record for an unknown identity")

	wantCode(t, s.DeleteFederatedIdentity(ctx, tn.ID, other.ID, first.ID), iam.CodeNotFound, "unlink another user's identity")
	must(t, s.DeleteFederatedIdentity(ctx, tn.ID, u.ID, first.ID), "unlink")
	list, err = s.ListFederatedIdentities(ctx, tn.ID, u.ID)
	must(t, err, "list after unlink")
	check(t, "identities after unlink", list, []iam.FederatedIdentity{*second})
}

// testFederatedIdentityGoneWithOwner: deleting the user or the provider
// removes their identities.
func testFederatedIdentityGoneWithOwner(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, u := identityFixture(t, s)
	must(t, s.CreateFederatedIdentity(ctx, newFederatedIdentity(t, tn.ID, p.ID, u.ID, "sub-u")), "link u")
	v := createUser(t, s, tn.ID, "bob@example.com")
	must(t, s.CreateFederatedIdentity(ctx, newFederatedIdentity(t, tn.ID, p.ID, v.ID, "sub-v")), "link v")
	must(t, s.DeleteUser(ctx, tn.ID, u.ID), "delete user")
	_, err := s.GetFederatedIdentityBySubject(ctx, tn.ID, p.ID, "sub-u")
	wantCode(t, err, iam.CodeNotFound, "identity of a deleted user")
	must(t, s.DeleteFederatedProvider(ctx, tn.ID, p.ID), "delete provider")
	list, err := s.ListFederatedIdentities(ctx, tn.ID, v.ID)
	must(t, err, "list")
	if len(list) != 0 {
		t.Errorf("identities of a deleted provider: %v", list)
	}
}

func testSessionFederatedProvider(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, u := identityFixture(t, s)
	se := createSession(t, s, tn.ID, u.ID, func(se *iam.Session) { se.AMR, se.FederatedProviderID = []string{"fed"}, p.ID })
	got, err := s.GetSession(ctx, tn.ID, se.ID)
	must(t, err, "GetSession")
	check(t, "session", got, se)
}

func newFederatedLogin(t *testing.T, tenantID, providerID string, created time.Time) *iam.FederatedLogin {
	return &iam.FederatedLogin{ID: newID(t), TenantID: tenantID, ProviderID: providerID, BrowserHash: "browser", Nonce: "nonce",
		Verifier: "verifier", ReturnTo: "/account", CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute)}
}

func testFederatedLoginTakenOnce(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, u := identityFixture(t, s)
	l := newFederatedLogin(t, tn.ID, p.ID, t0)
	l.LinkUserID, l.PreviousSessionID = u.ID, createSession(t, s, tn.ID, u.ID).ID
	must(t, s.CreateFederatedLogin(ctx, l), "create")
	_, err := s.TakeFederatedLogin(ctx, createTenant(t, s).ID, l.ID, t0)
	wantCode(t, err, iam.CodeNotFound, "take from another tenant")
	got, err := s.TakeFederatedLogin(ctx, tn.ID, l.ID, at(time.Minute))
	must(t, err, "take")
	check(t, "login", got, l)
	_, err = s.TakeFederatedLogin(ctx, tn.ID, l.ID, at(time.Minute))
	wantCode(t, err, iam.CodeNotFound, "take again")
}

// testFederatedLoginExpiry: an expired sign-in is not answered, and
// creating a new one clears those expired.
func testFederatedLoginExpiry(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, _ := identityFixture(t, s)
	old := newFederatedLogin(t, tn.ID, p.ID, t0)
	must(t, s.CreateFederatedLogin(ctx, old), "create")
	_, err := s.TakeFederatedLogin(ctx, tn.ID, old.ID, old.ExpiresAt)
	wantCode(t, err, iam.CodeNotFound, "take when it expires")

	stale := newFederatedLogin(t, tn.ID, p.ID, t0)
	must(t, s.CreateFederatedLogin(ctx, stale), "create stale")
	fresh := newFederatedLogin(t, tn.ID, p.ID, at(time.Hour))
	must(t, s.CreateFederatedLogin(ctx, fresh), "create fresh")
	_, err = s.TakeFederatedLogin(ctx, tn.ID, stale.ID, t0)
	wantCode(t, err, iam.CodeNotFound, "take one cleared as expired")
	_, err = s.TakeFederatedLogin(ctx, tn.ID, fresh.ID, at(time.Hour))
	must(t, err, "take the fresh one")
}

// testFederatedLoginConcurrentTake: of callbacks racing with one state,
// exactly one gets the sign-in.
func testFederatedLoginConcurrentTake(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, _ := identityFixture(t, s)
	l := newFederatedLogin(t, tn.ID, p.ID, t0)
	must(t, s.CreateFederatedLogin(ctx, l), "create")
	const n = 8
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		_, err := s.TakeFederatedLogin(ctx, tn.ID, l.ID, t0)
		won[i] = err == nil
		if !iam.IsCode(err, iam.CodeNotFound) {
			errs[i] = err
		}
	})
	singleWinner(t, "take", won, errs)
}

// testFederatedIdentityConcurrentLink: first sign-ins racing with one
// subject link it once.
func testFederatedIdentityConcurrentLink(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, _ := identityFixture(t, s)
	const n = 8
	users := make([]*iam.User, n)
	for i := range users {
		users[i] = createUser(t, s, tn.ID, fmt.Sprintf("u%d@example.com", i))
	}
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		err := s.CreateFederatedIdentity(ctx, newFederatedIdentity(t, tn.ID, p.ID, users[i].ID, "sub"))
		won[i] = err == nil
		if !iam.IsCode(err, iam.CodeConflict) {
			errs[i] = err
		}
	})
	w := singleWinner(t, "link", won, errs)
	got, err := s.GetFederatedIdentityBySubject(ctx, tn.ID, p.ID, "sub")
	must(t, err, "find")
	if got.UserID != users[w].ID {
		t.Errorf("subject linked to %s, want the winner %s", got.UserID, users[w].ID)
	}
}

// testFederatedIdentityDeleteOfProvider removes one provider's identities
// and no others.
func testFederatedIdentityDeleteOfProvider(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, p, u := identityFixture(t, s)
	other := newFederatedProvider(t, tn.ID, "Google")
	must(t, s.CreateFederatedProvider(ctx, other), "create google")
	for _, sub := range []string{"a", "b"} {
		must(t, s.CreateFederatedIdentity(ctx, newFederatedIdentity(t, tn.ID, p.ID, u.ID, sub)), "link "+sub)
	}
	kept := newFederatedIdentity(t, tn.ID, other.ID, u.ID, "a")
	must(t, s.CreateFederatedIdentity(ctx, kept), "link at google")
	n, err := s.DeleteProviderIdentities(ctx, tn.ID, p.ID)
	must(t, err, "delete")
	if n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}
	list, err := s.ListFederatedIdentities(ctx, tn.ID, u.ID)
	must(t, err, "list")
	check(t, "identities left", list, []iam.FederatedIdentity{*kept})
	if n, err := s.DeleteProviderIdentities(ctx, createTenant(t, s).ID, other.ID); err != nil || n != 0 {
		t.Errorf("another tenant deleted %d (%v)", n, err)
	}
}
