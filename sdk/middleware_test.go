package sdk_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/sdk"
)

// whoami is the protected handler: it answers the subject and token it got.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c := sdk.ClaimsFrom(r.Context())
	fmt.Fprintf(w, "%s %s", c.Subject, sdk.TokenFrom(r.Context()))
})

// get sends GET path with the given Authorization headers to h.
func get(h http.Handler, path string, authorization ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for _, a := range authorization {
		r.Header.Add("Authorization", a)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// wantError checks that w is an error in Gatehouse's shape.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if body["code"] != code {
		t.Errorf("code %v, want %s", body["code"], code)
	}
	if m, _ := body["message"].(string); m == "" {
		t.Errorf("no message in %s", w.Body)
	}
	challenge := w.Header().Get("WWW-Authenticate")
	switch {
	case status == http.StatusUnauthorized && !strings.HasPrefix(challenge, `Bearer realm="gatehouse"`):
		t.Errorf("WWW-Authenticate %q, want a Bearer challenge", challenge)
	case code == sdk.CodeInvalidToken && !strings.Contains(challenge, `error="invalid_token"`):
		t.Errorf("WWW-Authenticate %q lacks the invalid_token error", challenge)
	case status != http.StatusUnauthorized && challenge != "":
		t.Errorf("WWW-Authenticate %q on a %d", challenge, status)
	}
}

func TestAuthenticate(t *testing.T) {
	g := startGatehouse(t)
	h := sdk.Authenticate(verifier(g))(whoami)
	valid := g.token("user-1")
	expired := g.token("user-1", set("exp", g.clock.Now().Add(-time.Hour).Unix()))
	wrongIssuer := g.token("user-1", set("iss", "https://evil.example.com"))

	tests := []struct {
		name          string
		authorization []string
		status        int
		code          string
	}{
		{"no Authorization", nil, 401, sdk.CodeUnauthenticated},
		{"Basic", []string{"Basic dXNlcjpwYXNz"}, 401, sdk.CodeUnauthenticated},
		{"Bearer without a token", []string{"Bearer "}, 401, sdk.CodeUnauthenticated},
		{"Bearer alone", []string{"Bearer"}, 401, sdk.CodeUnauthenticated},
		{"garbage", []string{"Bearer garbage"}, 401, sdk.CodeInvalidToken},
		{"expired", []string{"Bearer " + expired}, 401, sdk.CodeInvalidToken},
		{"wrong issuer", []string{"Bearer " + wrongIssuer}, 401, sdk.CodeInvalidToken},
		{"two headers", []string{"Bearer " + valid, "Bearer " + valid}, 400, sdk.CodeInvalidRequest},
		{"valid", []string{"Bearer " + valid}, 200, ""},
		{"valid, scheme in lower case", []string{"bearer " + valid}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(h, "/", tt.authorization...)
			if tt.status != http.StatusOK {
				wantError(t, w, tt.status, tt.code)
				return
			}
			if w.Code != http.StatusOK || w.Body.String() != "user-1 "+valid {
				t.Errorf("%d %q, want 200 with the subject and token", w.Code, w.Body)
			}
		})
	}
}

func TestAuthenticateKeysUnavailable(t *testing.T) {
	g := startGatehouse(t)
	g.setJWKSStatus(http.StatusInternalServerError)
	h := sdk.Authenticate(verifier(g))(whoami)
	wantError(t, get(h, "/", "Bearer "+g.token("user-1")), 503, sdk.CodeUnavailable)
}

// resourceServer is a resource server whose routes are guarded by
// Authenticate and one RequirePermission("invoices.read"); the organization
// is in the path of the second route.
func resourceServer(g *gatehouse, c *sdk.Client, opts ...sdk.PermissionOption) http.Handler {
	opts = append([]sdk.PermissionOption{
		sdk.WithClock(g.clock.Now),
		sdk.WithOrganization(func(r *http.Request) string { return r.PathValue("org") }),
	}, opts...)
	authenticate := sdk.Authenticate(verifier(g))
	mayRead := sdk.RequirePermission(c, "invoices.read", opts...)
	mux := http.NewServeMux()
	mux.Handle("GET /invoices", authenticate(mayRead(whoami)))
	mux.Handle("GET /orgs/{org}/invoices", authenticate(mayRead(whoami)))
	return mux
}

// client is a client of g with no token of its own.
func client(g *gatehouse, opts ...sdk.ClientOption) *sdk.Client {
	return sdk.NewClient(g.URL, append([]sdk.ClientOption{sdk.WithHTTPClient(g.Client())}, opts...)...)
}

func subjectCheck(sub, org string) map[string]any {
	body := map[string]any{"subject": map[string]any{"type": "user", "id": sub}, "permission": "invoices.read"}
	if org != "" {
		body["organization"] = org
	}
	return body
}

func TestRequirePermission(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "")
	h := resourceServer(g, client(g))
	alice, bob := g.token("alice"), g.token("bob")

	if w := get(h, "/invoices", "Bearer "+alice); w.Code != http.StatusOK || w.Body.String() != "alice "+alice {
		t.Errorf("alice: %d %s", w.Code, w.Body)
	}
	wantError(t, get(h, "/invoices", "Bearer "+bob), 403, sdk.CodeForbidden)

	// Each asked about itself, with its own token.
	want := []recorded{
		{"Bearer " + alice, subjectCheck("alice", "")},
		{"Bearer " + bob, subjectCheck("bob", "")},
	}
	if got := g.recordedChecks(); !reflect.DeepEqual(got, want) {
		t.Errorf("checks sent\n got %v\nwant %v", got, want)
	}
}

func TestRequirePermissionCaches(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "")
	h := resourceServer(g, client(g))
	alice, bob := g.token("alice"), g.token("bob")
	step := func(name, token string, status int, checks int32) {
		t.Helper()
		if w := get(h, "/invoices", "Bearer "+token); w.Code != status {
			t.Errorf("%s: status %d, want %d", name, w.Code, status)
		}
		if n := g.checkHits.Load(); n != checks {
			t.Errorf("%s: %d checks in all, want %d", name, n, checks)
		}
	}
	step("alice", alice, 200, 1)
	step("alice again", alice, 200, 1)
	step("alice with another token", g.token("alice", set("jti", "other")), 200, 1)
	step("bob", bob, 403, 2)
	step("bob again: denials are cached too", bob, 403, 2)

	g.revoke("alice", "invoices.read", "")
	g.clock.Advance(sdk.DefaultCacheTTL - time.Second)
	step("alice, role removed, within the TTL", alice, 200, 2)
	g.clock.Advance(time.Second)
	step("alice, role removed, TTL over", alice, 403, 3)
}

func TestRequirePermissionCachesPerOrganization(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "acme")
	h := resourceServer(g, client(g))
	alice := g.token("alice")
	for _, step := range []struct {
		path   string
		status int
		checks int32
	}{
		{"/orgs/acme/invoices", 200, 1},
		{"/orgs/globex/invoices", 403, 2},
		{"/invoices", 403, 3},
		{"/orgs/acme/invoices", 200, 3},
		{"/orgs/globex/invoices", 403, 3},
		{"/invoices", 403, 3},
	} {
		if w := get(h, step.path, "Bearer "+alice); w.Code != step.status {
			t.Errorf("%s: status %d, want %d", step.path, w.Code, step.status)
		}
		if n := g.checkHits.Load(); n != step.checks {
			t.Errorf("%s: %d checks in all, want %d", step.path, n, step.checks)
		}
	}
	checks := g.recordedChecks()
	if len(checks) != 3 || !reflect.DeepEqual(checks[0].Body, subjectCheck("alice", "acme")) ||
		!reflect.DeepEqual(checks[2].Body, subjectCheck("alice", "")) {
		t.Errorf("checks sent: %v", checks)
	}
}

func TestRequirePermissionCacheOff(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "")
	h := resourceServer(g, client(g), sdk.WithCacheTTL(0))
	alice := g.token("alice")
	for range 3 {
		if w := get(h, "/invoices", "Bearer "+alice); w.Code != 200 {
			t.Errorf("status %d", w.Code)
		}
	}
	if n := g.checkHits.Load(); n != 3 {
		t.Errorf("%d checks for 3 requests without a cache", n)
	}
}

func TestRequirePermissionCacheSize(t *testing.T) {
	g := startGatehouse(t)
	tokens := map[string]string{"a": g.token("a"), "b": g.token("b"), "c": g.token("c")}
	for _, tt := range []struct {
		size   int
		checks int32
	}{
		{size: 2, checks: 4},                    // a is evicted by b and c
		{size: sdk.DefaultCacheSize, checks: 3}, // a is still there
	} {
		before := g.checkHits.Load()
		h := resourceServer(g, client(g), sdk.WithCacheSize(tt.size))
		for _, sub := range []string{"a", "b", "c", "a"} {
			get(h, "/invoices", "Bearer "+tokens[sub])
		}
		if n := g.checkHits.Load() - before; n != tt.checks {
			t.Errorf("size %d: %d checks, want %d", tt.size, n, tt.checks)
		}
	}
}

func TestRequirePermissionShortTTL(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "")
	h := resourceServer(g, client(g), sdk.WithCacheTTL(time.Millisecond), sdk.WithClock(time.Now))
	alice := g.token("alice")
	get(h, "/invoices", "Bearer "+alice)
	time.Sleep(5 * time.Millisecond)
	get(h, "/invoices", "Bearer "+alice)
	if n := g.checkHits.Load(); n != 2 {
		t.Errorf("%d checks, want 2 once the 1ms TTL passed", n)
	}
}

func TestRequirePermissionFailsClosed(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "")
	var hookErrs atomic.Int32
	hook := sdk.OnCheckError(func(r *http.Request, err error) { hookErrs.Add(1) })
	h := resourceServer(g, client(g), hook)
	alice := g.token("alice")

	for _, status := range []int{500, 502, 503, 429} {
		g.setCheckStatus(status)
		wantError(t, get(h, "/invoices", "Bearer "+alice), 503, sdk.CodeUnavailable)
	}
	if n := hookErrs.Load(); n != 4 {
		t.Errorf("OnCheckError called %d times, want 4", n)
	}
	// Failures are not cached: Gatehouse is back, so is access.
	g.setCheckStatus(0)
	if w := get(h, "/invoices", "Bearer "+alice); w.Code != 200 {
		t.Errorf("after recovery: %d %s", w.Code, w.Body)
	}

	// Gatehouse cannot be reached at all.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	h = resourceServer(g, sdk.NewClient(down.URL))
	wantError(t, get(h, "/invoices", "Bearer "+alice), 503, sdk.CodeUnavailable)
}

func TestRequirePermissionGatehouseRefuses(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "")
	h := resourceServer(g, client(g))

	// The session ended: Gatehouse refuses the caller's token.
	g.mu.Lock()
	g.endedSession["session-alice"] = true
	g.mu.Unlock()
	wantError(t, get(h, "/invoices", "Bearer "+g.token("alice")), 401, sdk.CodeInvalidToken)

	// No such organization: refused as a denial.
	wantError(t, get(h, "/orgs/no-such-org/invoices", "Bearer "+g.token("bob")), 403, sdk.CodeForbidden)
}

func TestRequirePermissionServiceToken(t *testing.T) {
	g := startGatehouse(t)
	g.grant("alice", "invoices.read", "")
	h := resourceServer(g, client(g, sdk.WithToken(g.serviceToken())), sdk.WithServiceToken())
	if w := get(h, "/invoices", "Bearer "+g.token("alice")); w.Code != 200 {
		t.Errorf("status %d %s", w.Code, w.Body)
	}
	want := []recorded{{"Bearer service-token", subjectCheck("alice", "")}}
	if got := g.recordedChecks(); !reflect.DeepEqual(got, want) {
		t.Errorf("checks sent\n got %v\nwant %v", got, want)
	}

	// A service whose token Gatehouse refuses is misconfigured: 503.
	h = resourceServer(g, client(g, sdk.WithToken("bad-service-token")), sdk.WithServiceToken())
	wantError(t, get(h, "/invoices", "Bearer "+g.token("alice")), 503, sdk.CodeUnavailable)
}

func TestRequirePermissionWithoutAuthenticate(t *testing.T) {
	g := startGatehouse(t)
	h := sdk.RequirePermission(client(g), "invoices.read")(whoami)
	wantError(t, get(h, "/"), 401, sdk.CodeUnauthenticated)
	if n := g.checkHits.Load(); n != 0 {
		t.Errorf("%d checks", n)
	}
}

// discard is a ResponseWriter that keeps nothing, so that the benchmark
// measures the middleware rather than a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkMiddlewareWarmCache measures what Authenticate and
// RequirePermission add to a request once their caches are warm, beside the
// same handler bare.
func BenchmarkMiddlewareWarmCache(b *testing.B) {
	g := startGatehouse(b)
	g.grant("alice", "invoices.read", "")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c := client(g)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", ok},
		{"authenticate+require", sdk.Authenticate(verifier(g))(sdk.RequirePermission(c, "invoices.read", sdk.WithClock(g.clock.Now))(ok))},
		{"authenticate+require/no-token-cache", sdk.Authenticate(verifier(g, sdk.WithTokenCacheSize(0)))(sdk.RequirePermission(c, "invoices.read", sdk.WithClock(g.clock.Now))(ok))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/invoices", nil)
			r.Header.Set("Authorization", "Bearer "+g.token("alice"))
			w := &discard{h: http.Header{}}
			bc.h.ServeHTTP(w, r) // warm the caches
			checks := g.checkHits.Load()
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, r)
			}
			if n := g.checkHits.Load() - checks; n != 0 {
				b.Errorf("%d checks with a warm cache", n)
			}
		})
	}
}
