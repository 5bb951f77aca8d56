package token_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// TestIssuerPerTenant: each tenant's tokens name its base URL as issuer and
// audience, and verify only where that base URL is expected, also once the
// token's signature is remembered from an earlier use.
func TestIssuerPerTenant(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Now())
	keys, err := token.LoadKeys(ctx, newStore(t), masterKey(t), clk.Now, token.Timing{})
	if err != nil {
		t.Fatal(err)
	}
	const (
		baseA = "https://a.example.com:8443"
		baseB = "https://b.example.com:8443"
	)
	iss := token.NewIssuer(keys, clk.Now)
	raw, err := iss.Issue(baseB, "tenant-b", "user-1", "session-1", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err == nil {
		err = tok.UnsafeClaimsWithoutVerification(&c)
	}
	if err != nil || c.Issuer != baseB || len(c.Audience) != 1 || c.Audience[0] != baseB {
		t.Fatalf("claims %+v, %v; want iss and aud %s", c, err, baseB)
	}
	// Twice each, so that the second use of each answers from the cache.
	for range 2 {
		if _, err := iss.Verify(ctx, raw, baseB); err != nil {
			t.Fatalf("at its own base URL: %v", err)
		}
		for _, other := range []string{baseA, "https://b.example.com", baseB + "/", ""} {
			if _, err := iss.Verify(ctx, raw, other); !iam.IsCode(err, iam.CodeInvalidToken) {
				t.Fatalf("a token of %s verified at %q: %v", baseB, other, err)
			}
		}
	}
	if _, err := iss.Issue("", "tenant-b", "user-1", "session-1", nil, time.Hour); err == nil {
		t.Fatal("a token without issuer was signed")
	}
}

// Replicas whose clocks differ by seconds take each other's new tokens: a
// token issued up to 30 s ahead of this replica's clock verifies, one
// further ahead does not, and expiry stays exact (found by a review).
func TestVerifyAllowsReplicaClockSkew(t *testing.T) {
	ctx := context.Background()
	store, master := newStore(t), masterKey(t)
	base := time.Now().Truncate(time.Second).Add(500 * time.Millisecond)
	clkA, clkB := testclock.New(base), testclock.New(base)
	a, err := token.LoadKeys(ctx, store, master, clkA.Now, token.Timing{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := token.LoadKeys(ctx, store, master, clkB.Now, token.Timing{})
	if err != nil {
		t.Fatal(err)
	}
	clkA.Advance(time.Hour)
	raw, err := token.NewIssuer(a, clkA.Now).Issue("https://id", "t", "u", "s", nil, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		behind time.Duration
		ok     bool
	}{{2 * time.Second, true}, {29 * time.Second, true}, {time.Minute, false}} {
		clkB.Set(clkA.Now().Add(-c.behind))
		if _, err := token.NewIssuer(b, clkB.Now).Verify(ctx, raw, "https://id"); (err == nil) != c.ok {
			t.Errorf("a replica %s behind: %v, want accepted %v", c.behind, err, c.ok)
		}
	}
	clkB.Set(clkA.Now().Add(10 * time.Minute))
	if _, err := token.NewIssuer(b, clkB.Now).Verify(ctx, raw, "https://id"); err == nil {
		t.Error("a token verified at its expiry")
	}
}
