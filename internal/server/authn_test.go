package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// serviceAccounts stands in for the machine-identity capability: it accepts
// one opaque secret and answers a service-account principal of the tenant.
type serviceAccounts struct{ secret string }

func (v serviceAccounts) Authenticate(ctx context.Context, raw string) (*iam.Principal, error) {
	t := iam.TenantFrom(ctx)
	if raw != v.secret || t == nil {
		return nil, iam.Errorf(iam.CodeInvalidToken, "the access token is invalid or expired")
	}
	return &iam.Principal{Kind: iam.PrincipalServiceAccount, ID: "sa-1", TenantID: t.ID, Permissions: []string{"users.read", "users.write"}}, nil
}

// No opaque verifier is registered yet: opaque secrets, a real refresh token
// among them, get the same answer as a bad access token.
func TestOpaqueBearerTokensAreRefusedUntilAVerifierClaimsTheirPrefix(t *testing.T) {
	h := newHarness(t, nil)
	refresh := h.login(adminEmail, adminPassword).RefreshToken
	for name, raw := range map[string]string{
		"refresh token":     refresh,
		"unknown prefix":    "ghp_c2VjcmV0LXNlY3JldC1zZWNyZXQ",
		"prefix with a dot": "ghp_c2Vj.cmV0.eHl6",
	} {
		t.Run(name, func(t *testing.T) {
			biWantInvalidToken(h.get("/api/v1/users", raw))
			biWantInvalidToken(h.get("/api/v1/me", raw))
		})
	}
}

// A verifier registered for a prefix is the one the chain picks, and its
// principal, of another kind than user, passes permission checks, acts in the
// audit log under its kind, and is refused what only a user has.
func TestRegisteredOpaqueVerifierAuthenticatesAPrincipalOfItsKind(t *testing.T) {
	h := newHarness(t, nil)
	const secret = "ghsa_c2VydmljZS1hY2NvdW50LXNlY3JldA"
	h.srv.UseOpaqueVerifier("ghsa_", serviceAccounts{secret: secret})
	admin := h.admin() // JWTs still go to the access-token verifier

	h.get("/api/v1/users", secret).want(http.StatusOK)
	id := h.createUser(secret, "made-by-machine@example.com", "Kq-5e1f-90ab-77")
	events := h.auditEvents(admin, "action=user.created&target_id="+id)
	if len(events) != 1 {
		t.Fatalf("%d user.created events for %s, want 1", len(events), id)
	}
	if actor, _ := events[0]["actor"].(map[string]any); actor["type"] != "service_account" || actor["id"] != "sa-1" {
		t.Errorf("actor %v, want the service account", events[0]["actor"])
	}
	m := h.get("/api/v1/audit-logs", secret).wantError(http.StatusForbidden, "forbidden")
	if d, _ := m["details"].(map[string]any); d["permission"] != "audit.view" {
		t.Errorf("details %v, want permission audit.view", m["details"])
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/me/sessions", "/api/v1/me/organizations", "/api/v1/me/permissions"} {
		h.get(path, secret).wantError(http.StatusForbidden, "forbidden")
	}
	// What only a signed-in user has (a password, an address, a session) is
	// refused to other kinds, instead of acting on an empty user id.
	h.post("/api/v1/me/password", secret, map[string]any{"current_password": "x", "new_password": "Kq-5e1f-90ab-78"}).
		wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/me/email", secret, map[string]any{"new_email": "sa@example.com", "password": "x"}).
		wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/auth/logout", secret, map[string]any{"all_sessions": true}).wantError(http.StatusForbidden, "forbidden")
	biWantInvalidToken(h.get("/api/v1/users", "ghsa_d3Jvbmc"))
}
