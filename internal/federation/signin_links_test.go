package federation_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/federation/samltest"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

// existingUser creates a verified, active user of the fixture's tenant.
func (f *fixture) existingUser(email string) *iam.User {
	f.t.Helper()
	now := f.clock.Now()
	u := &iam.User{ID: uuid.NewString(), TenantID: iam.TenantFrom(f.ctx).ID, Email: email, Name: "Existing", EmailVerified: true,
		Status: iam.UserActive, CreatedAt: now, UpdatedAt: now}
	if err := f.store.CreateUser(f.ctx, u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) signInAs(sub, email string, verified bool) (*federation.Outcome, error) {
	f.t.Helper()
	return f.signIn(func(c map[string]any) string {
		c["sub"], c["email"], c["email_verified"] = sub, email, verified
		return sign(f.t, f.idp.key, f.idp.kid, c)
	})
}

// TestNoAccountForAnUnverifiedEmail: a first sign-in with an address the
// provider does not vouch for makes no account, so nobody claims another
// person's address before they sign up.
func TestNoAccountForAnUnverifiedEmail(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.signInAs("attacker", "victim@example.com", false); reasonOf(err) != federation.ReasonEmailUnverified {
		t.Fatalf("an unverified address: %v", err)
	}
	if _, err := f.store.GetUserByEmail(f.ctx, iam.TenantFrom(f.ctx).ID, "victim@example.com"); !iam.IsCode(err, iam.CodeNotFound) {
		t.Fatalf("an account was made: %v", err)
	}
}

// TestAutomaticLinkingRefusals: an existing account is not linked by email
// alone when it has a second factor, when it is disabled, or when its
// address is of a domain another provider speaks for.
func TestAutomaticLinkingRefusals(t *testing.T) {
	f := newFixture(t, nil) // tenant-wide, no domains, verified_email
	tn := iam.TenantFrom(f.ctx)
	admin := iam.WithPrincipal(f.ctx, &iam.Principal{Kind: iam.PrincipalUser, ID: "admin", TenantID: tn.ID, Permissions: []string{"*"}})
	acmeIdP, err := samltest.New("https://idp.acme.example/saml", "https://idp.acme.example/sso")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(admin, federation.Input{Name: "Acme SSO", Kind: iam.ProviderSAML, Enabled: true, Domains: []string{"acme.example"},
		Settings: federation.Settings{MetadataXML: acmeIdP.Metadata()}}); err != nil {
		t.Fatal(err)
	}
	f.existingUser("bob@acme.example")
	if _, err := f.signInAs("someone-elses-google", "bob@acme.example", true); reasonOf(err) != federation.ReasonLinkRequired {
		t.Errorf("an address of another provider's domain: %v", err)
	}
	carol := f.existingUser("carol@example.com")
	now := f.clock.Now()
	if err := f.store.CreateCredential(f.ctx, &iam.Credential{ID: uuid.NewString(), TenantID: tn.ID, UserID: carol.ID, Type: iam.CredentialTOTP,
		Name: "totp", State: iam.CredentialActive, Secret: "x", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.signInAs("carol-upstream", "carol@example.com", true); reasonOf(err) != federation.ReasonLinkRequired {
		t.Errorf("an account with a second factor: %v", err)
	}
	dave := f.existingUser("dave@example.com")
	dave.Status = iam.UserDisabled
	if err := f.store.UpdateUser(f.ctx, dave); err != nil {
		t.Fatal(err)
	}
	if _, err := f.signInAs("dave-upstream", "dave@example.com", true); reasonOf(err) != federation.ReasonInactive {
		t.Errorf("a disabled account: %v", err)
	}
	for _, u := range []string{carol.ID, dave.ID} {
		if ids, _ := f.store.ListFederatedIdentities(f.ctx, tn.ID, u); len(ids) != 0 {
			t.Errorf("identities linked to %s: %v", u, ids)
		}
	}
	erin := f.existingUser("erin@example.com")
	if out, err := f.signInAs("erin-upstream", "erin@example.com", true); err != nil || out.UserID != erin.ID {
		t.Errorf("a plain verified account is linked: %v, %v", out, err)
	}
}

// TestSAMLNameIDIsTheSubject: an attribute named "sub" does not replace
// the name id.
func TestSAMLNameIDIsTheSubject(t *testing.T) {
	f := newSAMLFixture(t)
	victim, err := f.answer(func(a *samltest.Assertion) { a.NameID = "victim-persistent-id" }, signedAssertion)
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.answer(func(a *samltest.Assertion) {
		a.NameID = "mallory-persistent-id"
		a.Attributes = map[string][]string{"email": {"mallory@acme.example"}, "sub": {"victim-persistent-id"}}
	}, signedAssertion)
	if err != nil || other.UserID == victim.UserID {
		t.Fatalf("mallory's assertion: %v, %v (victim %s)", other, err, victim.UserID)
	}
}

// TestProviderAnswersAreBounded: a discovery document past 1 MiB is not
// read whole, and the sign-in does not start.
func TestProviderAnswersAreBounded(t *testing.T) {
	var served atomic.Int64
	var big *httptest.Server
	big = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		pad := []byte(strings.Repeat(" ", 1<<20))
		for range 16 {
			n, err := w.Write(pad)
			served.Add(int64(n))
			if err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`{"issuer":"` + big.URL + `","authorization_endpoint":"` + big.URL + `/a","token_endpoint":"` + big.URL + `/t","jwks_uri":"` + big.URL + `/k"}`))
	}))
	defer big.Close()
	f := newFixture(t, func(in *federation.Input) { in.Settings.Issuer = big.URL })
	if _, err := f.svc.Begin(f.ctx, f.provider, "/account", "", ""); !iam.IsCode(err, iam.CodeUnavailable) {
		t.Fatalf("a 16 MiB discovery document: %v", err)
	}
}

// TestConcurrentFirstSignIns: one person finishing several first sign-ins
// at once (two tabs, a retried callback) gets one account, and every
// sign-in succeeds, on PostgreSQL where the transactions interleave.
func TestConcurrentFirstSignIns(t *testing.T) {
	f := newFixtureOn(t, storetest.FreshPostgres(t, storetest.PostgresDSN(t)), nil)
	// The token endpoint answers each sign-in with its own nonce, found by
	// the PKCE challenge of the verifier it is sent.
	var mu sync.Mutex
	nonceOf := map[string]string{}
	inner := f.idp.srv.Config.Handler
	f.idp.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/token" {
			inner.ServeHTTP(w, r)
			return
		}
		_ = r.ParseForm()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		mu.Lock()
		nonce := nonceOf[base64.RawURLEncoding.EncodeToString(sum[:])]
		mu.Unlock()
		writeJSON(w, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300,
			"id_token": sign(t, f.idp.key, f.idp.kid, f.good(nonce))})
	})
	type begun struct {
		q       url.Values
		browser string
	}
	var all []begun
	for range 6 {
		started, err := f.svc.Begin(f.ctx, f.provider, "/account", "", "")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(started.URL)
		mu.Lock()
		nonceOf[u.Query().Get("code_challenge")] = u.Query().Get("nonce")
		mu.Unlock()
		all = append(all, begun{url.Values{"state": {u.Query().Get("state")}, "code": {"the-code"}}, started.BrowserSecret})
	}
	var wg sync.WaitGroup
	outs := make([]*federation.Outcome, len(all))
	errs := make([]error, len(all))
	for i, b := range all {
		wg.Go(func() { outs[i], errs[i] = f.svc.Complete(context.WithoutCancel(f.ctx), f.provider, b.q, b.browser) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || outs[i].UserID != outs[0].UserID {
			t.Errorf("sign-in %d: %v, %v", i, outs[i], err)
		}
	}
}

// TestNewIssuerUnlinksIdentities: a provider pointed at another issuer
// keeps none of its identities (its subjects name other people there);
// other changes keep them.
func TestNewIssuerUnlinksIdentities(t *testing.T) {
	f := newFixture(t, nil)
	out, err := f.signInAs("user-1", "ada@example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	tn := iam.TenantFrom(f.ctx)
	admin := iam.WithPrincipal(f.ctx, &iam.Principal{Kind: iam.PrincipalUser, ID: "admin", TenantID: tn.ID, Permissions: []string{"*"}})
	count := func() int {
		ids, err := f.store.ListFederatedIdentities(f.ctx, tn.ID, out.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ids)
	}
	if _, err := f.svc.Update(admin, f.provider, iam.Precondition{}, func(in federation.Input) federation.Input {
		in.Name = "Renamed"
		return in
	}); err != nil || count() != 1 {
		t.Fatalf("a rename: %v, %d identities", err, count())
	}
	if _, err := f.svc.Update(admin, f.provider, iam.Precondition{}, func(in federation.Input) federation.Input {
		in.Settings.Issuer = "https://other-idp.example"
		return in
	}); err != nil || count() != 0 {
		t.Fatalf("a new issuer: %v, %d identities", err, count())
	}
}

// TestGroupsOnlyFromAMappedClaim: a groups claim an admin did not map
// joins no group: groups carry permissions across the tenant.
func TestGroupsOnlyFromAMappedClaim(t *testing.T) {
	f := newFixture(t, nil)
	tn := iam.TenantFrom(f.ctx)
	now := f.clock.Now()
	g := &iam.Group{ID: uuid.NewString(), TenantID: tn.ID, Name: "Finance", CreatedAt: now, UpdatedAt: now}
	if err := f.store.CreateGroup(f.ctx, g); err != nil {
		t.Fatal(err)
	}
	out, err := f.signIn(func(c map[string]any) string {
		c["groups"] = []string{"Finance"}
		return sign(t, f.idp.key, f.idp.kid, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	members, err := f.store.GroupMemberIDs(f.ctx, tn.ID, g.ID)
	if err != nil || len(members) != 0 {
		t.Fatalf("an unmapped groups claim put %v in Finance (%v); first sign-in of %s", members, err, out.UserID)
	}
}

// TestGoogleForADomainNeedsItsWorkspace: a Google provider with domains
// admits accounts of that Workspace (hd), not consumer accounts showing
// an address of the domain.
func TestGoogleForADomainNeedsItsWorkspace(t *testing.T) {
	f := newFixture(t, func(in *federation.Input) {
		in.Settings.Preset, in.Domains = federation.PresetGoogle, []string{"example.com"}
	})
	// The preset's issuer is Google's; the test's IdP stands in for it.
	tn := iam.TenantFrom(f.ctx)
	fp, err := f.store.GetFederatedProvider(f.ctx, tn.ID, f.provider)
	if err != nil {
		t.Fatal(err)
	}
	fp.Settings = []byte(strings.Replace(string(fp.Settings), "https://accounts.google.com", f.idp.srv.URL, 1))
	if err := f.store.UpdateFederatedProvider(f.ctx, fp); err != nil {
		t.Fatal(err)
	}
	if _, err := f.signInAs("consumer", "ada@example.com", true); reasonOf(err) != federation.ReasonEmailDomain {
		t.Errorf("a consumer account with an address of the domain: %v", err)
	}
	out, err := f.signIn(func(c map[string]any) string {
		c["sub"], c["hd"] = "workspace", "example.com"
		return sign(t, f.idp.key, f.idp.kid, c)
	})
	if err != nil || out.UserID == "" {
		t.Errorf("a Workspace account: %v, %v", out, err)
	}
}

// TestRacingUnlinksKeepAWayIn: unlinks of all of a user's identities,
// racing on PostgreSQL, leave one: each holds the user's row while it
// counts what stays.
func TestRacingUnlinksKeepAWayIn(t *testing.T) {
	f := newFixtureOn(t, storetest.FreshPostgres(t, storetest.PostgresDSN(t)), nil)
	tn := iam.TenantFrom(f.ctx)
	u := f.existingUser("ada@example.com")
	var ids []string
	for _, sub := range []string{"a", "b", "c", "d", "e", "f"} {
		i := &iam.FederatedIdentity{ID: uuid.NewString(), TenantID: tn.ID, ProviderID: f.provider, UserID: u.ID, Subject: sub,
			Email: u.Email, CreatedAt: f.clock.Now()}
		if err := f.store.CreateFederatedIdentity(f.ctx, i); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, i.ID)
	}
	ctx := iam.WithPrincipal(f.ctx, &iam.Principal{Kind: iam.PrincipalUser, ID: u.ID, UserID: u.ID, TenantID: tn.ID})
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, id := range ids {
		wg.Go(func() {
			<-start
			errs[i] = f.svc.UnlinkMine(ctx, id)
		})
	}
	close(start)
	wg.Wait()
	left, err := f.store.ListFederatedIdentities(f.ctx, tn.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, err := range errs {
		if iam.IsCode(err, iam.CodeStateConflict) {
			refused++
		} else if err != nil {
			t.Errorf("unlink: %v", err)
		}
	}
	if len(left) != 1 || refused != 1 {
		t.Fatalf("after %d racing unlinks: %d identities left, %d refused; want 1 and 1", len(ids), len(left), refused)
	}
}
