package sdk_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-iam/gatehouse/sdk"
)

func startGatehouse(t testing.TB) *gatehouse {
	t.Helper()
	g := newGatehouse()
	t.Cleanup(g.Close)
	return g
}

// verifier is a verifier of g's tokens on g's clock.
func verifier(g *gatehouse, opts ...sdk.VerifierOption) *sdk.Verifier {
	base := []sdk.VerifierOption{sdk.WithClock(g.clock.Now), sdk.WithHTTPClient(g.Client())}
	return sdk.NewVerifier(g.Issuer(), append(base, opts...)...)
}

func TestVerifyValidToken(t *testing.T) {
	g := startGatehouse(t)
	v := verifier(g)
	raw := g.token("user-1", func(c map[string]any) { c["nbf"] = g.clock.Now().Unix() })

	c, err := v.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	now := g.clock.Now()
	want := sdk.Claims{
		Issuer: g.Issuer(), Subject: "user-1", Audience: []string{g.Issuer()},
		Expiry: now.Add(10 * time.Minute), NotBefore: now, IssuedAt: now,
		ID: c.Raw["jti"].(string), TenantID: "tenant-1", SessionID: "session-user-1", AMR: []string{"pwd"},
	}
	got := *c
	got.Raw = nil
	if !claimsEqual(got, want) {
		t.Errorf("claims\n got %+v\nwant %+v", got, want)
	}
	if !strings.HasPrefix(c.ID, "jti-") || c.Raw["tid"] != "tenant-1" || c.Expiry.Location() != time.UTC {
		t.Errorf("ID %q, Raw %v, Expiry in %v", c.ID, c.Raw, c.Expiry.Location())
	}
}

func claimsEqual(a, b sdk.Claims) bool {
	return a.Issuer == b.Issuer && a.Subject == b.Subject && slices.Equal(a.Audience, b.Audience) &&
		a.Expiry.Equal(b.Expiry) && a.NotBefore.Equal(b.NotBefore) && a.IssuedAt.Equal(b.IssuedAt) &&
		a.ID == b.ID && a.TenantID == b.TenantID && a.SessionID == b.SessionID && slices.Equal(a.AMR, b.AMR)
}

// set returns a claims edit that sets name to value, or deletes it when
// value is nil.
func set(name string, value any) func(map[string]any) {
	return func(c map[string]any) {
		if value == nil {
			delete(c, name)
			return
		}
		c[name] = value
	}
}

func TestVerifyClaims(t *testing.T) {
	g := startGatehouse(t)
	now := g.clock.Now()
	tests := []struct {
		name string
		edit func(map[string]any)
		opts []sdk.VerifierOption
		ok   bool
	}{
		{name: "expired beyond the leeway", edit: set("exp", now.Add(-31*time.Second).Unix())},
		{name: "expired within the leeway", edit: set("exp", now.Add(-29*time.Second).Unix()), ok: true},
		{name: "expired, no leeway", edit: set("exp", now.Add(-time.Second).Unix()), opts: []sdk.VerifierOption{sdk.WithLeeway(0)}},
		{name: "not yet valid", edit: set("nbf", now.Add(31*time.Second).Unix())},
		{name: "not yet valid within the leeway", edit: set("nbf", now.Add(29*time.Second).Unix()), ok: true},
		{name: "issued in the future", edit: set("iat", now.Add(time.Hour).Unix())},
		{name: "no exp", edit: set("exp", nil)},
		{name: "no sub", edit: set("sub", nil)},
		{name: "wrong issuer", edit: set("iss", "https://evil.example.com")},
		{name: "issuer with a trailing slash", edit: set("iss", g.Issuer()+"/")},
		{name: "wrong audience", edit: set("aud", "https://billing.example.com")},
		{name: "no audience", edit: set("aud", nil)},
		{name: "audience list with the issuer", edit: set("aud", []string{"other", g.Issuer()}), ok: true},
		{name: "configured audience", edit: set("aud", "api://billing"), opts: []sdk.VerifierOption{sdk.WithAudience("api://billing")}, ok: true},
		{name: "issuer audience when another is configured", opts: []sdk.VerifierOption{sdk.WithAudience("api://billing")}},
		{name: "amr not a list", edit: set("amr", "pwd")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edits []func(map[string]any)
			if tt.edit != nil {
				edits = append(edits, tt.edit)
			}
			_, err := verifier(g, tt.opts...).Verify(t.Context(), g.token("user-1", edits...))
			checkVerdict(t, err, tt.ok)
		})
	}
}

func checkVerdict(t *testing.T, err error, ok bool) {
	t.Helper()
	switch {
	case ok && err != nil:
		t.Errorf("refused: %v", err)
	case !ok && err == nil:
		t.Error("accepted")
	case !ok && !errors.Is(err, sdk.ErrInvalidToken):
		t.Errorf("error %v does not wrap ErrInvalidToken", err)
	case !ok && errors.Is(err, sdk.ErrKeysUnavailable):
		t.Errorf("error %v blames the key set", err)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signWith signs claims with key under alg, with exactly the given extra
// headers.
func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, headers map[string]any, claims any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range headers {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestVerifyTokenForm(t *testing.T) {
	g := startGatehouse(t)
	rsaKey := newRS256Key("rsa-1")
	g.serve(rsaKey)
	ecKey := g.signing.key.(*ecdsa.PrivateKey)
	claims := g.claims("user-1")
	payload, _ := json.Marshal(claims)
	good := g.token("user-1")

	der, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	publicJWK, _ := json.Marshal(g.signing.jwk())
	at := map[string]any{"kid": "key-1", "typ": "at+jwt"}
	parts := strings.Split(good, ".")

	tests := []struct {
		name  string
		token string
		opts  []sdk.VerifierOption
		ok    bool
	}{
		{name: "valid", token: good, ok: true},
		{name: "alg none", token: b64(`{"alg":"none","kid":"key-1","typ":"at+jwt"}`) + "." + b64(string(payload)) + "."},
		{name: "alg none with the signature kept", token: b64(`{"alg":"none","kid":"key-1","typ":"at+jwt"}`) + "." + parts[1] + "." + parts[2]},
		{name: "HS256 keyed with the public key PEM", token: signWith(t, jose.HS256, publicPEM, at, claims)},
		{name: "HS256 keyed with the public JWK", token: signWith(t, jose.HS256, publicJWK, at, claims)},
		{name: "HS256 keyed with the PEM, RS256 allowed", token: signWith(t, jose.HS256, publicPEM, at, claims), opts: []sdk.VerifierOption{sdk.AllowRS256()}},
		{name: "RS256 not allowed", token: rsaKey.sign(claims, "at+jwt")},
		{name: "RS256 allowed", token: rsaKey.sign(claims, "at+jwt"), opts: []sdk.VerifierOption{sdk.AllowRS256()}, ok: true},
		{name: "RS256 header with the EC key's kid", token: signWith(t, jose.RS256, rsaKey.key, at, claims), opts: []sdk.VerifierOption{sdk.AllowRS256()}},
		{name: "typ application/at+jwt", token: signWith(t, jose.ES256, ecKey, map[string]any{"kid": "key-1", "typ": "application/at+jwt"}, claims), ok: true},
		{name: "typ JWT (an ID token, say)", token: signWith(t, jose.ES256, ecKey, map[string]any{"kid": "key-1", "typ": "JWT"}, claims)},
		{name: "no typ", token: signWith(t, jose.ES256, ecKey, map[string]any{"kid": "key-1"}, claims)},
		{name: "no kid", token: signWith(t, jose.ES256, ecKey, map[string]any{"typ": "at+jwt"}, claims)},
		{name: "known kid, another key", token: newES256Key("key-1").sign(claims, "at+jwt")},
		{name: "payload changed", token: parts[0] + "." + b64(strings.Replace(string(payload), "user-1", "admin", 1)) + "." + parts[2]},
		{name: "signature cut", token: parts[0] + "." + parts[1] + "."},
		{name: "two parts", token: parts[0] + "." + parts[1]},
		{name: "garbage", token: "not-a-token"},
		{name: "empty", token: ""},
		{name: "huge", token: parts[0] + "." + strings.Repeat("A", 20000) + "." + parts[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifier(g, tt.opts...).Verify(t.Context(), tt.token)
			checkVerdict(t, err, tt.ok)
		})
	}
}

func TestVerifyFetchesKeysLazilyAndOnce(t *testing.T) {
	g := startGatehouse(t)
	v := verifier(g, sdk.WithTokenCacheSize(0))
	if n := g.jwksHits.Load(); n != 0 {
		t.Fatalf("NewVerifier fetched the keys %d times", n)
	}
	for range 3 {
		if _, err := v.Verify(t.Context(), g.token("user-1")); err != nil {
			t.Fatal(err)
		}
	}
	if n := g.jwksHits.Load(); n != 1 {
		t.Errorf("3 verifications fetched the keys %d times, want 1", n)
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	g := startGatehouse(t)
	v := verifier(g)
	ctx := t.Context()
	old := g.token("user-1")
	expect := func(step, raw string, ok bool, hits int32) {
		t.Helper()
		_, err := v.Verify(ctx, raw)
		if ok != (err == nil) {
			t.Errorf("%s: error %v, want ok=%v", step, err, ok)
		}
		if err != nil && !errors.Is(err, sdk.ErrInvalidToken) {
			t.Errorf("%s: error %v does not wrap ErrInvalidToken", step, err)
		}
		if n := g.jwksHits.Load(); n != hits {
			t.Errorf("%s: %d key set fetches, want %d", step, n, hits)
		}
	}
	expect("first token", old, true, 1)

	g.rotate(newES256Key("key-2"))
	rotated := g.token("user-1")
	expect("new kid within the refetch interval", rotated, false, 1)
	g.clock.Advance(9 * time.Second)
	expect("new kid 9s later", rotated, false, 1)
	g.clock.Advance(time.Second)
	expect("new kid 10s later", rotated, true, 2)
	expect("new kid again", rotated, true, 2)
	expect("old kid, still served", old, true, 2)

	garbage := signWith(t, jose.ES256, g.signing.key, map[string]any{"kid": "made-up", "typ": "at+jwt"}, g.claims("user-1"))
	expect("made-up kid right after a fetch", garbage, false, 2)
	for range 100 {
		_, _ = v.Verify(ctx, garbage)
	}
	expect("100 made-up kids", garbage, false, 2)
	g.clock.Advance(10 * time.Second)
	expect("made-up kid 10s later", garbage, false, 3)
	expect("made-up kid again", garbage, false, 3)
}

func TestVerifyRefetchInterval(t *testing.T) {
	g := startGatehouse(t)
	v := verifier(g, sdk.WithRefetchInterval(time.Minute))
	if _, err := v.Verify(t.Context(), g.token("user-1")); err != nil {
		t.Fatal(err)
	}
	g.rotate(newES256Key("key-2"))
	rotated := g.token("user-1")
	g.clock.Advance(59 * time.Second)
	if _, err := v.Verify(t.Context(), rotated); err == nil || g.jwksHits.Load() != 1 {
		t.Errorf("59s later: error %v, %d fetches; want refused without a fetch", err, g.jwksHits.Load())
	}
	g.clock.Advance(time.Second)
	if _, err := v.Verify(t.Context(), rotated); err != nil || g.jwksHits.Load() != 2 {
		t.Errorf("60s later: error %v, %d fetches; want accepted after one more fetch", err, g.jwksHits.Load())
	}
}

func TestVerifyConcurrentUnknownKidFetchesOnce(t *testing.T) {
	for _, warm := range []bool{false, true} {
		name := map[bool]string{false: "cold verifier", true: "warm verifier, rotated key"}[warm]
		t.Run(name, func(t *testing.T) {
			g := startGatehouse(t)
			// No refetch interval: only the sharing of one fetch keeps
			// this at one request.
			v := verifier(g, sdk.WithRefetchInterval(0))
			want := int32(1)
			if warm {
				if _, err := v.Verify(t.Context(), g.token("user-1")); err != nil {
					t.Fatal(err)
				}
				g.rotate(newES256Key("key-2"))
				want = 2
			}
			gate := g.holdJWKS()
			var once sync.Once
			release := func() { once.Do(func() { close(gate) }) }
			t.Cleanup(release) // before g.Close, which waits for held requests

			const n = 50
			var started, done sync.WaitGroup
			errs := make(chan error, n)
			started.Add(n)
			for i := range n {
				raw := g.token("user-" + string(rune('a'+i%26)))
				done.Go(func() {
					started.Done()
					_, err := v.Verify(context.Background(), raw)
					errs <- err
				})
			}
			started.Wait()
			waitFor(t, func() bool { return g.jwksHits.Load() >= want })
			time.Sleep(20 * time.Millisecond) // let the others reach the key set
			release()
			done.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if got := g.jwksHits.Load(); got != want {
				t.Errorf("%d concurrent verifications fetched the key set %d times in all, want %d", n, got, want)
			}
		})
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestVerifyKeysUnavailable(t *testing.T) {
	g := startGatehouse(t)
	g.setJWKSStatus(500)
	v := verifier(g)
	raw := g.token("user-1")
	for i := range 2 {
		_, err := v.Verify(t.Context(), raw)
		if !errors.Is(err, sdk.ErrKeysUnavailable) || errors.Is(err, sdk.ErrInvalidToken) {
			t.Errorf("attempt %d: error %v, want ErrKeysUnavailable only", i, err)
		}
	}
	if n := g.jwksHits.Load(); n != 1 {
		t.Errorf("%d fetches within the refetch interval, want 1", n)
	}
	g.setJWKSStatus(0)
	g.clock.Advance(10 * time.Second)
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Errorf("after Gatehouse recovered: %v", err)
	}
}

func TestVerifyWithdrawnKey(t *testing.T) {
	g := startGatehouse(t)
	v := verifier(g, sdk.WithKeysMaxAge(time.Minute), sdk.WithTokenCacheSize(0))
	old := g.token("user-1")
	if _, err := v.Verify(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	// Gatehouse fails for a while: the keys held stay in use.
	g.setJWKSStatus(500)
	g.clock.Advance(time.Minute)
	if _, err := v.Verify(t.Context(), old); err != nil {
		t.Errorf("stale key, fetch failed: %v", err)
	}
	if n := g.jwksHits.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
	// Gatehouse is back and has withdrawn key-1.
	g.setJWKSStatus(0)
	g.withdraw("key-1")
	g.clock.Advance(10 * time.Second)
	_, err := v.Verify(t.Context(), old)
	checkVerdict(t, err, false)
	if n := g.jwksHits.Load(); n != 3 {
		t.Errorf("%d fetches, want 3", n)
	}
}

func TestVerifyTokenCacheHonoursExpiry(t *testing.T) {
	g := startGatehouse(t)
	v := verifier(g)
	raw := g.token("user-1")
	for range 2 {
		if _, err := v.Verify(t.Context(), raw); err != nil {
			t.Fatal(err)
		}
	}
	g.clock.Advance(10*time.Minute + 29*time.Second)
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Errorf("within the leeway: %v", err)
	}
	g.clock.Advance(2 * time.Second)
	_, err := v.Verify(t.Context(), raw)
	checkVerdict(t, err, false)
}

func TestVerifyKeysURL(t *testing.T) {
	g := startGatehouse(t)
	const issuer = "https://iam.example.com"
	v := sdk.NewVerifier(issuer, sdk.WithKeysURL(g.URL+"/oauth2/keys"), sdk.WithHTTPClient(g.Client()), sdk.WithClock(g.clock.Now))
	raw := g.token("user-1", set("iss", issuer), set("aud", issuer))
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	if n := g.jwksHits.Load(); n != 1 {
		t.Errorf("%d fetches from the keys URL, want 1", n)
	}
}

func TestVerifyTenant(t *testing.T) {
	g := startGatehouse(t)
	raw := g.token("user-1")
	if _, err := verifier(g, sdk.WithTenant("tenant-1")).Verify(t.Context(), raw); err != nil {
		t.Fatalf("a token of the tenant: %v", err)
	}
	if _, err := verifier(g, sdk.WithTenant("tenant-2")).Verify(t.Context(), raw); !errors.Is(err, sdk.ErrInvalidToken) {
		t.Fatalf("a token of another tenant: %v", err)
	}
	if _, err := sdk.NewVerifier("", sdk.WithHTTPClient(g.Client())).Verify(t.Context(), raw); !errors.Is(err, sdk.ErrInvalidToken) {
		t.Fatalf("a verifier without an issuer accepted a token: %v", err)
	}
}
