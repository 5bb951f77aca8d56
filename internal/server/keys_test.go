package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// TestSigningKeyRotationOverHTTP: a rotated key is in /oauth2/keys at once,
// signs access tokens after the lead time, and the key it replaced goes on
// verifying its tokens, then leaves the JWKS after the retention time.
func TestSigningKeyRotationOverHTTP(t *testing.T) {
	h := newHarness(t, nil)
	old := h.login(adminEmail, adminPassword)
	oldKid := accessTokenKid(t, old.AccessToken)
	next, err := h.srv.Keys().Rotate(context.Background(), jose.ES256, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := publishedKids(h); !slices.Equal(got, []string{oldKid, next.ID}) {
		t.Fatalf("JWKS after a rotation %v, want the old key %s and the next key %s", got, oldKid, next.ID)
	}
	if kid := accessTokenKid(t, h.login(adminEmail, adminPassword).AccessToken); kid != oldKid {
		t.Fatalf("a token signed before the lead time passed names key %s, want %s", kid, oldKid)
	}
	h.clock.Advance(token.DefaultLead - time.Minute)
	last := h.login(adminEmail, adminPassword) // the old key's last token
	h.clock.Advance(time.Minute)
	if kid := accessTokenKid(t, h.login(adminEmail, adminPassword).AccessToken); kid != next.ID {
		t.Fatalf("after the lead time a token names key %s, want %s", kid, next.ID)
	}
	h.get("/api/v1/me", last.AccessToken).want(http.StatusOK)
	h.clock.Advance(token.DefaultRetention)
	if got := publishedKids(h); !slices.Equal(got, []string{next.ID}) {
		t.Fatalf("JWKS after the retention time %v, want only %s", got, next.ID)
	}
}

func accessTokenKid(t *testing.T, raw string) string {
	t.Helper()
	var header map[string]any
	decodeSegment(t, strings.Split(raw, ".")[0], &header)
	kid, _ := header["kid"].(string)
	return kid
}

func publishedKids(h *harness) []string {
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	h.get("/oauth2/keys", "").want(http.StatusOK).Decode(&jwks)
	var kids []string
	for _, k := range jwks.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}
