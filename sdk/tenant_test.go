package sdk_test

import (
	"errors"
	"testing"

	"github.com/gatehouse-iam/gatehouse/sdk"
)

// TestVerifyTenantBaseURL: a resource server of one tenant of a multi-tenant
// Gatehouse gives the verifier that tenant's base URL and id. It accepts the
// tenant's tokens, and refuses those of another tenant signed with the same
// keys, whether their issuer or their tenant id gives them away.
func TestVerifyTenantBaseURL(t *testing.T) {
	g := startGatehouse(t)
	const (
		system = "https://iam.example.com:8443"
		baseB  = "https://login.b.example.com:8443"
	)
	v := sdk.NewVerifier(baseB, sdk.WithTenant("tenant-b"), sdk.WithKeysURL(g.URL+"/oauth2/keys"),
		sdk.WithHTTPClient(g.Client()), sdk.WithClock(g.clock.Now))
	of := func(iss, aud, tid string) string {
		return g.token("user-1", set("iss", iss), set("aud", aud), set("tid", tid))
	}
	c, err := v.Verify(t.Context(), of(baseB, baseB, "tenant-b"))
	if err != nil {
		t.Fatalf("a token of the tenant: %v", err)
	}
	if c.Issuer != baseB || c.TenantID != "tenant-b" {
		t.Errorf("claims %+v", c)
	}
	for name, raw := range map[string]string{
		"the system tenant's token":             of(system, system, "system"),
		"another tenant's id, issuer and aud":   of(system, system, "tenant-b"),
		"the tenant's issuer, another's id":     of(baseB, baseB, "system"),
		"the tenant's id, another's audience":   of(baseB, system, "tenant-b"),
		"the tenant's host without its port":    of("https://login.b.example.com", "https://login.b.example.com", "tenant-b"),
		"another tenant's issuer, the audience": of(system, baseB, "tenant-b"),
	} {
		if _, err := v.Verify(t.Context(), raw); !errors.Is(err, sdk.ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
}
