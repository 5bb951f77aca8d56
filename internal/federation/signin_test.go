package federation_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// testIdP is an OpenID provider run by the test: it answers the token
// request with the ID token idToken makes of the claims a good provider
// would send, so that a test can break one thing at a time.
type testIdP struct {
	srv *httptest.Server
	key *ecdsa.PrivateKey
	kid string
	// pending are the claims of the next token; make signs them.
	mu      sync.Mutex
	pending map[string]any
	make    func(claims map[string]any) string
}

func newTestIdP(t *testing.T) *testIdP {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{key: key, kid: "k1"}
	mux := http.NewServeMux()
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": idp.srv.URL, "authorization_endpoint": idp.srv.URL + "/authorize",
			"token_endpoint": idp.srv.URL + "/token", "jwks_uri": idp.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: idp.kid, Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("code") != "the-code" || r.PostForm.Get("code_verifier") == "" {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"error": "invalid_grant"})
			return
		}
		idp.mu.Lock()
		claims, made := idp.pending, idp.make
		idp.mu.Unlock()
		writeJSON(w, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": made(claims)})
	})
	return idp
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sign signs claims with key under kid.
func sign(t *testing.T, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	sig, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sig.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// fixture is a tenant of a real SQLite store with a provider at the test
// IdP, and the service.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	svc      *federation.Service
	store    *sqlstore.Store
	idp      *testIdP
	provider string
	clock    *testclock.Clock
}

func newFixture(t *testing.T, provider func(*federation.Input)) *fixture {
	return newFixtureOn(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"), provider)
}

// newFixtureOn is newFixture on the database of dsn.
func newFixtureOn(t *testing.T, dsn string, provider func(*federation.Input)) *fixture {
	ctx := t.Context()
	store, err := sqlstore.Open(ctx, dsn, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	master, err := token.ParseMasterKey(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(time.Now().UTC())
	tn := &iam.Tenant{ID: uuid.NewString(), Name: "T", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := store.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	idp := newTestIdP(t)
	svc := federation.New(federation.Deps{Store: store, Sealer: master, Client: idp.srv.Client(), Resolver: net.DefaultResolver,
		BaseURL: func(*iam.Tenant) string { return "https://gatehouse.example" }, Now: clock.Now})
	ctx = iam.WithTenant(ctx, tn)
	admin := iam.WithPrincipal(ctx, &iam.Principal{Kind: iam.PrincipalUser, ID: "admin", TenantID: tn.ID, Permissions: []string{"*"}})
	in := federation.Input{Name: "Test IdP", Kind: iam.ProviderOIDC, Enabled: true, JITProvisioning: true, ClientSecret: "s3cret",
		Settings: federation.Settings{Issuer: idp.srv.URL, ClientID: "gatehouse"}}
	if provider != nil {
		provider(&in)
	}
	p, err := svc.Create(admin, in)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, svc: svc, store: store, idp: idp, provider: p.ID, clock: clock}
}

// good are the claims a good provider sends for nonce.
func (f *fixture) good(nonce string) map[string]any {
	now := f.clock.Now()
	return map[string]any{"iss": f.idp.srv.URL, "aud": "gatehouse", "sub": "user-1", "nonce": nonce, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "email": "ada@example.com", "email_verified": true, "name": "Ada"}
}

// signIn runs a sign-in whose ID token is what make makes of good
// claims, and returns Complete's answer.
func (f *fixture) signIn(make func(claims map[string]any) string) (*federation.Outcome, error) {
	f.t.Helper()
	started, err := f.svc.Begin(f.ctx, f.provider, "/account", "", "")
	if err != nil {
		f.t.Fatal(err)
	}
	auth, err := url.Parse(started.URL)
	if err != nil {
		f.t.Fatal(err)
	}
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
		q.Get("redirect_uri") != "https://gatehouse.example/api/v1/auth/federated/"+f.provider+"/callback" {
		f.t.Fatalf("authorization request %s", started.URL)
	}
	f.idp.mu.Lock()
	f.idp.pending, f.idp.make = f.good(q.Get("nonce")), make
	f.idp.mu.Unlock()
	return f.svc.Complete(f.ctx, f.provider, url.Values{"state": {q.Get("state")}, "code": {"the-code"}}, started.BrowserSecret)
}

func reasonOf(err error) string {
	e, ok := err.(*iam.Error)
	if !ok {
		return "not a refusal: " + err.Error()
	}
	r, _ := e.Details["reason"].(string)
	return r
}

// TestIDTokenChecks: an ID token is refused unless signed by a key of the
// provider's JWKS, for Gatehouse's client, from the provider's issuer,
// unexpired, with the sign-in's nonce and a subject; each refusal is
// audited with the provider.
func TestIDTokenChecks(t *testing.T) {
	f := newFixture(t, nil)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(c map[string]any)) func(map[string]any) string {
		return func(c map[string]any) string {
			change(c)
			return sign(t, f.idp.key, f.idp.kid, c)
		}
	}
	cases := []struct {
		name string
		make func(map[string]any) string
	}{
		{"another issuer", with(func(c map[string]any) { c["iss"] = "https://evil.example" })},
		{"another audience", with(func(c map[string]any) { c["aud"] = "someone-else" })},
		{"expired", with(func(c map[string]any) { c["exp"] = f.clock.Now().Add(-time.Minute).Unix() })},
		{"another nonce", with(func(c map[string]any) { c["nonce"] = "replayed-nonce" })},
		{"no nonce", with(func(c map[string]any) { delete(c, "nonce") })},
		{"no subject", with(func(c map[string]any) { delete(c, "sub") })},
		{"unsigned", func(c map[string]any) string {
			header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
			payload, _ := json.Marshal(c)
			return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
		}},
		{"a key not in the JWKS", func(c map[string]any) string { return sign(t, other, f.idp.kid, c) }},
		{"an unknown key id", func(c map[string]any) string { return sign(t, other, "k2", c) }},
		{"not a JWT", func(map[string]any) string { return "garbage" }},
	}
	for _, tc := range cases {
		out, err := f.signIn(tc.make)
		if err == nil || reasonOf(err) != federation.ReasonToken {
			t.Errorf("%s: outcome %v, error %v; want refused as %s", tc.name, out, err, federation.ReasonToken)
		}
	}
	events, _, err := f.store.ListAudit(f.ctx, iam.TenantFrom(f.ctx).ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 100},
		Action: "federated.login.refused"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(cases) || events[0].Target.ID != f.provider {
		t.Fatalf("%d refusals audited for %d cases: %v", len(events), len(cases), events)
	}

	out, err := f.signIn(func(c map[string]any) string { return sign(t, f.idp.key, f.idp.kid, c) })
	if err != nil || out.UserID == "" || out.ReturnTo != "/account" {
		t.Fatalf("a good ID token: %v, %v", out, err)
	}
}

// TestStateChecks: a sign-in is finished once, by the browser that
// started it, at the provider it started at.
func TestStateChecks(t *testing.T) {
	f := newFixture(t, nil)
	good := func(c map[string]any) string { return sign(t, f.idp.key, f.idp.kid, c) }
	begin := func() (url.Values, string) {
		started, err := f.svc.Begin(f.ctx, f.provider, "/account", "", "")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(started.URL)
		f.idp.mu.Lock()
		f.idp.pending, f.idp.make = f.good(u.Query().Get("nonce")), good
		f.idp.mu.Unlock()
		return url.Values{"state": {u.Query().Get("state")}, "code": {"the-code"}}, started.BrowserSecret
	}
	q, browser := begin()
	if _, err := f.svc.Complete(f.ctx, f.provider, q, "another browser"); reasonOf(err) != federation.ReasonState {
		t.Errorf("another browser: %v", err)
	}
	if _, err := f.svc.Complete(f.ctx, f.provider, q, browser); reasonOf(err) != federation.ReasonState {
		t.Errorf("the right browser after another used the state: %v", err)
	}
	q, browser = begin()
	if _, err := f.svc.Complete(f.ctx, f.provider, q, browser); err != nil {
		t.Fatalf("a good sign-in: %v", err)
	}
	if _, err := f.svc.Complete(f.ctx, f.provider, q, browser); reasonOf(err) != federation.ReasonState {
		t.Errorf("a replayed callback: %v", err)
	}
	for name, q := range map[string]url.Values{"no state": {"code": {"the-code"}}, "unknown state": {"state": {"x"}, "code": {"the-code"}}} {
		if _, err := f.svc.Complete(f.ctx, f.provider, q, browser); reasonOf(err) != federation.ReasonState {
			t.Errorf("%s: %v", name, err)
		}
	}
	q, browser = begin()
	f.clock.Advance(11 * time.Minute)
	if _, err := f.svc.Complete(f.ctx, f.provider, q, browser); reasonOf(err) != federation.ReasonState {
		t.Errorf("an expired sign-in: %v", err)
	}
	q, browser = begin()
	q.Del("code")
	q.Set("error", "access_denied")
	if _, err := f.svc.Complete(f.ctx, f.provider, q, browser); reasonOf(err) != federation.ReasonProvider {
		t.Errorf("the provider refused: %v", err)
	}
	q, browser = begin()
	q.Set("code", "a stolen code")
	if _, err := f.svc.Complete(f.ctx, f.provider, q, browser); reasonOf(err) != federation.ReasonToken {
		t.Errorf("a code the provider refuses: %v", err)
	}
	q, browser = begin()
	if _, err := f.svc.Complete(f.ctx, uuid.NewString(), q, browser); reasonOf(err) != federation.ReasonState {
		t.Errorf("another provider's callback: %v", err)
	}
}

// TestProviderSpeaksForItsDomains: a provider with domains may not assert
// addresses of others, so an organization's IdP cannot take over accounts
// outside its domains.
func TestProviderSpeaksForItsDomains(t *testing.T) {
	f := newFixture(t, func(in *federation.Input) { in.Domains = []string{"acme.example"} })
	_, err := f.signIn(func(c map[string]any) string { return sign(t, f.idp.key, f.idp.kid, c) })
	if reasonOf(err) != federation.ReasonEmailDomain {
		t.Fatalf("ada@example.com through acme.example's provider: %v", err)
	}
	out, err := f.signIn(func(c map[string]any) string {
		c["email"] = "ada@ACME.example"
		return sign(t, f.idp.key, f.idp.kid, c)
	})
	if err != nil || out.UserID == "" {
		t.Fatalf("an address of its domain: %v, %v", out, err)
	}
}
