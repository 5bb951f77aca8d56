package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// patBody is a personal access token as the API answers it.
type patBody struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Token      string     `json:"token"`
}

// createPAT creates a token for the caller of session and fails unless it
// is created.
func (h *harness) createPAT(session string, body map[string]any) patBody {
	h.t.Helper()
	var p patBody
	res := h.post("/api/v1/me/tokens", session, body).want(http.StatusCreated)
	res.Decode(&p)
	if !strings.HasPrefix(p.Token, "gtpat_") || p.Prefix != p.Token[:10] || res.Header.Get("Cache-Control") != "no-store" {
		h.t.Fatalf("created token %+v, Cache-Control %q", p, res.Header.Get("Cache-Control"))
	}
	return p
}

// myPATs lists the caller's tokens.
func (h *harness) myPATs(token string) []patBody {
	h.t.Helper()
	var page struct {
		Data []patBody `json:"data"`
	}
	h.get("/api/v1/me/tokens", token).want(http.StatusOK).Decode(&page)
	return page.Data
}

func TestPATLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	adaID := h.get("/api/v1/me", ada).want(http.StatusOK).JSON()["id"].(string)

	ci := h.createPAT(ada, map[string]any{"name": "  ci  "})
	if ci.Name != "ci" || ci.Scopes != nil || ci.LastUsedAt != nil ||
		!ci.ExpiresAt.Equal(h.clock.Now().Add(30*24*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("created %+v; want name ci, no scopes, unused, expiring in 30 days", ci)
	}
	// The token signs its owner in, without a session.
	me := h.get("/api/v1/me", ci.Token).want(http.StatusOK).JSON()
	if me["id"] != adaID {
		t.Fatalf("GET /me with the token: %v", me)
	}
	// The list never shows the secret.
	res := h.get("/api/v1/me/tokens", ada).want(http.StatusOK)
	if strings.Contains(string(res.Body), ci.Token) || strings.Contains(string(res.Body), `"token"`) {
		t.Fatalf("the list shows the secret: %s", res.Body)
	}
	if got := h.myPATs(ada); len(got) != 1 || got[0].ID != ci.ID || got[0].Prefix != ci.Prefix || got[0].LastUsedAt == nil {
		t.Fatalf("the session lists %+v; want the token, used", got)
	}

	// A token may not do what guards the account: that needs a session.
	for _, r := range []request{
		{method: http.MethodPost, path: "/api/v1/me/tokens", body: map[string]any{"name": "child"}},
		{method: http.MethodPost, path: "/api/v1/me/password", body: map[string]any{"current_password": adaPassword, "new_password": "Kq-9fe1-c0ffee"}},
		{method: http.MethodPost, path: "/api/v1/me/email", body: map[string]any{"new_email": "new@example.com", "password": adaPassword}},
		{method: http.MethodPost, path: "/api/v1/mfa/totp"},
		{method: http.MethodPost, path: "/api/v1/mfa/email"},
		{method: http.MethodPost, path: "/api/v1/mfa/recovery-codes"},
		{method: http.MethodPost, path: "/api/v1/mfa/webauthn/register/begin"},
		{method: http.MethodPost, path: "/api/v1/auth/reauth", body: map[string]any{"method": "password", "password": adaPassword}},
		{method: http.MethodPost, path: "/api/v1/auth/logout"},
		{method: http.MethodDelete, path: "/api/v1/me/sessions"},
		{method: http.MethodGet, path: "/api/v1/me/sessions"},
		{method: http.MethodGet, path: "/api/v1/me/tokens"},
	} {
		r.token = ci.Token
		h.send(r).wantError(http.StatusForbidden, "forbidden")
	}
	h.get("/api/v1/me", ada).want(http.StatusOK) // the session lives on

	// Revoked, it stops at once, and its use is audited as such.
	other := h.createPAT(ada, map[string]any{"name": "other"})
	h.delete("/api/v1/me/tokens/"+ci.ID, ada).want(http.StatusNoContent)
	h.get("/api/v1/me", ci.Token).wantError(http.StatusUnauthorized, "invalid_token")
	h.wantAudited(admin, "pat.refused", "revoked")
	h.delete("/api/v1/me/tokens/"+ci.ID, ada).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/me/tokens/not-a-uuid", ada).wantError(http.StatusNotFound, "not_found")
	if got := h.myPATs(ada); len(got) != 1 || got[0].ID != other.ID {
		t.Fatalf("after revocation the list holds %+v; want only the other token", got)
	}
	// Another user cannot revoke it.
	h.createUser(admin, "grace@example.com", "Kq-a11ce-b0b5")
	grace := h.login("grace@example.com", "Kq-a11ce-b0b5").AccessToken
	h.delete("/api/v1/me/tokens/"+other.ID, grace).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/me", other.Token).want(http.StatusOK)

	events := h.auditEvents(admin, "action=pat.created")
	if len(events) != 2 || events[0]["actor"].(map[string]any)["type"] != "user" || events[0]["actor"].(map[string]any)["id"] != adaID {
		t.Fatalf("pat.created events %v", events)
	}
	if len(h.auditEvents(admin, "action=pat.revoked")) != 1 {
		t.Fatal("no pat.revoked event")
	}
}

func TestPATScopesAndLifetime(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	readOnly := h.createPAT(admin, map[string]any{"name": "reader", "scopes": []string{"users.read", "users.read"}})
	if !slices.Equal(readOnly.Scopes, []string{"users.read"}) {
		t.Fatalf("scopes %v, want [users.read]", readOnly.Scopes)
	}
	h.get("/api/v1/users", readOnly.Token).want(http.StatusOK)
	h.post("/api/v1/users", readOnly.Token, bodyFor("POST", "/api/v1/users")).wantError(http.StatusForbidden, "forbidden")
	if perms := h.get("/api/v1/me", readOnly.Token).want(http.StatusOK).JSON()["permissions"].([]any); len(perms) != 1 || perms[0] != "users.read" {
		t.Fatalf("permissions with the scoped token: %v", perms)
	}
	none := h.createPAT(admin, map[string]any{"name": "none", "scopes": []string{}})
	h.get("/api/v1/users", none.Token).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/me", none.Token).want(http.StatusOK)
	full := h.createPAT(admin, map[string]any{"name": "full"})
	h.post("/api/v1/users", full.Token, bodyFor("POST", "/api/v1/users")).want(http.StatusCreated)

	now := h.clock.Now()
	h.createUser(admin, "plain@example.com", "Kq-21207-1fec7")
	plain := h.login("plain@example.com", "Kq-21207-1fec7").AccessToken
	for _, c := range []struct {
		name  string
		token string
		body  map[string]any
		field string
	}{
		{"no name", admin, map[string]any{"name": " "}, "name"},
		{"a control character", admin, map[string]any{"name": "a\x07b"}, "name"},
		{"too long a name", admin, map[string]any{"name": strings.Repeat("é", 101)}, "name"},
		{"not a permission", admin, map[string]any{"name": "x", "scopes": []string{"users.read", "invoices.read"}}, "scopes[1]"},
		{"a wildcard", admin, map[string]any{"name": "x", "scopes": []string{"users.*"}}, "scopes[0]"},
		{"everything", admin, map[string]any{"name": "x", "scopes": []string{"*"}}, "scopes[0]"},
		{"a permission the caller lacks", plain, map[string]any{"name": "x", "scopes": []string{"users.read"}}, "scopes[0]"},
		{"expiry now", admin, map[string]any{"name": "x", "expires_at": now}, "expires_at"},
		{"expiry past", admin, map[string]any{"name": "x", "expires_at": now.Add(-time.Hour)}, "expires_at"},
		{"expiry beyond the cap", admin, map[string]any{"name": "x", "expires_at": now.Add(366 * 24 * time.Hour)}, "expires_at"},
	} {
		m := h.post("/api/v1/me/tokens", c.token, c.body).wantError(http.StatusBadRequest, "invalid_request")
		if f, _ := m["details"].(map[string]any)["fields"].(map[string]any); f[c.field] == nil {
			t.Errorf("%s: details %v do not name %s", c.name, m["details"], c.field)
		}
	}
	h.post("/api/v1/me/tokens", admin, map[string]any{"name": "x", "expires_at": "tomorrow"}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/me/tokens", admin, map[string]any{"name": "x", "Name": "y"}).wantError(http.StatusBadRequest, "invalid_request")

	// The tenant's cap applies, and so does a cap shorter than the default.
	h.patchSettings(admin, map[string]any{"tokens": map[string]any{"max_pat_lifetime": "48h"}})
	h.post("/api/v1/me/tokens", admin, map[string]any{"name": "x", "expires_at": now.Add(72 * time.Hour)}).wantError(http.StatusBadRequest, "invalid_request")
	short := h.createPAT(admin, map[string]any{"name": "short"})
	if !short.ExpiresAt.Equal(now.Add(48 * time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("default expiry under a 48h cap: %v", short.ExpiresAt)
	}
	day := h.createPAT(admin, map[string]any{"name": "day", "expires_at": now.Add(24 * time.Hour)})

	// Expired, a token stops, audited as such.
	h.clock.Advance(24 * time.Hour)
	h.get("/api/v1/me", day.Token).wantError(http.StatusUnauthorized, "invalid_token")
	h.wantAudited(h.admin(), "pat.refused", "expired")
	h.get("/api/v1/me", short.Token).want(http.StatusOK)
}

func TestPATStopsWithItsOwner(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	role := h.post("/api/v1/admin-roles", admin, map[string]any{"name": "readers", "permissions": []string{"users.read"}}).want(http.StatusCreated).JSON()
	reader := h.post("/api/v1/admins", admin, map[string]any{"email": "reader@example.com", "name": "Reader", "password": "Kq-5b077-73270",
		"admin_roles": []string{role["id"].(string)}}).want(http.StatusCreated).JSON()["id"].(string)
	session := h.login("reader@example.com", "Kq-5b077-73270").AccessToken
	tok := h.createPAT(session, map[string]any{"name": "ci"}).Token
	h.get("/api/v1/users", tok).want(http.StatusOK) // and its state is now cached

	// Demoted: the token loses the role's permissions at once.
	h.delete("/api/v1/admins/"+reader, admin).want(http.StatusNoContent)
	h.get("/api/v1/users", tok).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/me", tok).want(http.StatusOK)

	// Disabled: the token stops at once; enabled again, it works again.
	h.post("/api/v1/users/"+reader+"/disable", admin, nil).want(http.StatusOK)
	h.get("/api/v1/me", tok).wantError(http.StatusUnauthorized, "invalid_token")
	h.wantAudited(admin, "pat.refused", "owner_disabled")
	h.post("/api/v1/users/"+reader+"/enable", admin, nil).want(http.StatusOK)
	h.get("/api/v1/me", tok).want(http.StatusOK)

	// Deleted: the token goes with its owner.
	h.delete("/api/v1/users/"+reader, admin).want(http.StatusNoContent)
	h.get("/api/v1/me", tok).wantError(http.StatusUnauthorized, "invalid_token")
}

func TestPATRefusesBadSecrets(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	sys := tnHost{h: h, host: tnSystemHost}
	b := tnHost{h: h, host: tnHostB}
	admin := sys.login(adminEmail, adminPassword).AccessToken
	sys.do(http.MethodPost, "/api/v1/tenants", admin, map[string]any{"name": "Tenant B", "hostnames": []string{tnHostB},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1", "name": "Boss"}}).want(http.StatusCreated)
	h.host = tnHostB
	bossTok := h.createPAT(b.login("boss@b.example.com", "Kq-d040e-001e1").AccessToken, map[string]any{"name": "b"}).Token
	h.host = tnSystemHost
	good := h.createPAT(admin, map[string]any{"name": "good"})
	revoked := h.createPAT(admin, map[string]any{"name": "revoked"})
	h.get("/api/v1/me", revoked.Token).want(http.StatusOK) // its state is cached
	h.delete("/api/v1/me/tokens/"+revoked.ID, admin).want(http.StatusNoContent)

	last := good.Token[len(good.Token)-1:]
	flipped := "A"
	if last == "A" {
		flipped = "B"
	}
	for name, raw := range map[string]string{
		"a changed checksum":           good.Token[:len(good.Token)-1] + flipped,
		"another prefix":               "gtapi_" + strings.TrimPrefix(good.Token, "gtpat_"),
		"a foreign prefix":             "ghp_" + strings.TrimPrefix(good.Token, "gtpat_"),
		"a trailing no-break space":    good.Token + "\u00a0",
		"a truncated token":            good.Token[:len(good.Token)-1],
		"another tenant's token":       bossTok,
		"a token revoked a moment ago": revoked.Token,
	} {
		t.Run(name, func(t *testing.T) {
			h.get("/api/v1/me", raw).wantError(http.StatusUnauthorized, "invalid_token")
		})
	}
	h.get("/api/v1/me", good.Token).want(http.StatusOK)
	// Another tenant's token is refused there and audited in its own tenant.
	h.host = tnHostB
	bossSession := b.login("boss@b.example.com", "Kq-d040e-001e1").AccessToken
	h.wantAudited(bossSession, "pat.refused", "other_tenant")
	h.get("/api/v1/me", bossTok).want(http.StatusOK)
}

func TestPATNeedsStepUp(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"tokens": map[string]any{"access_token_ttl": "1h"}})
	ada := mfaUser(t, h, admin)
	secret := enrolTOTP(t, h, ada)
	h.clock.Advance(11 * time.Minute)
	h.post("/api/v1/me/tokens", ada, map[string]any{"name": "ci"}).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	h.createPAT(ada, map[string]any{"name": "ci"})
}

func TestPATAdminEndpoints(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	adminID := h.get("/api/v1/me", admin).want(http.StatusOK).JSON()["id"].(string)
	ada := mfaUser(t, h, admin)
	adaID := h.get("/api/v1/me", ada).want(http.StatusOK).JSON()["id"].(string)
	adaTok := h.createPAT(ada, map[string]any{"name": "ci"})
	adminTok := h.createPAT(admin, map[string]any{"name": "root"})

	var page struct {
		Data  []patBody `json:"data"`
		Total int       `json:"total"`
	}
	h.get("/api/v1/users/"+adaID+"/tokens", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0].ID != adaTok.ID || page.Data[0].Token != "" {
		t.Fatalf("ada's tokens as the admin sees them: %+v", page)
	}
	h.get("/api/v1/users/"+someID+"/tokens", admin).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/users/x/tokens", admin).wantError(http.StatusNotFound, "not_found")

	// A credentials admin ends a user's token, but not a superadmin's.
	role := h.post("/api/v1/admin-roles", admin, map[string]any{"name": "creds", "permissions": []string{"credentials.read", "credentials.write"}}).
		want(http.StatusCreated).JSON()["id"].(string)
	h.post("/api/v1/admins", admin, map[string]any{"email": "creds@example.com", "name": "Creds", "password": "Kq-c5330-b1344",
		"admin_roles": []string{role}}).want(http.StatusCreated)
	creds := h.login("creds@example.com", "Kq-c5330-b1344").AccessToken
	h.delete("/api/v1/users/"+adminID+"/tokens/"+adminTok.ID, creds).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/me", adminTok.Token).want(http.StatusOK)
	h.delete("/api/v1/users/"+adminID+"/tokens/"+adaTok.ID, creds).wantError(http.StatusForbidden, "forbidden")
	h.delete("/api/v1/users/"+adaID+"/tokens/"+adminTok.ID, creds).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/users/"+adaID+"/tokens/"+adaTok.ID, creds).want(http.StatusNoContent)
	h.get("/api/v1/me", adaTok.Token).wantError(http.StatusUnauthorized, "invalid_token")
	events := h.auditEvents(admin, "action=pat.revoked")
	if len(events) != 1 || events[0]["details"].(map[string]any)["user_id"] != adaID {
		t.Fatalf("pat.revoked events %v", events)
	}
}

// TestPATUseWritesOncePerMinute: authenticating a token writes its last use
// at most once a minute, not on every request.
func TestPATUseWritesOncePerMinute(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tok := h.createPAT(admin, map[string]any{"name": "ci"})
	lastUsed := func() *time.Time {
		for _, p := range h.myPATs(admin) {
			if p.ID == tok.ID {
				return p.LastUsedAt
			}
		}
		t.Fatal("the token is not listed")
		return nil
	}
	first := h.clock.Now().Truncate(time.Microsecond)
	for range 5 {
		h.get("/api/v1/me", tok.Token).want(http.StatusOK)
	}
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Fatalf("last_used_at %v, want %v", got, first)
	}
	h.clock.Advance(59 * time.Second)
	for range 5 {
		h.get("/api/v1/me", tok.Token).want(http.StatusOK)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("a use within the minute moved last_used_at to %v", got)
	}
	h.clock.Advance(time.Second)
	h.get("/api/v1/me", tok.Token).want(http.StatusOK)
	if got := lastUsed(); !got.Equal(h.clock.Now().Truncate(time.Microsecond)) {
		t.Fatalf("a use a minute later left last_used_at at %v", got)
	}
}

func TestSCIMToken(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ctx := context.Background()
	sys, err := h.srv.SystemTenant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h.get("/api/v1/scim/token", admin).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/scim/token", admin).wantError(http.StatusNotFound, "not_found")

	type created struct {
		ID        string         `json:"id"`
		Prefix    string         `json:"prefix"`
		Token     string         `json:"token"`
		CreatedBy map[string]any `json:"created_by"`
		ExpiresAt *time.Time     `json:"expires_at"`
	}
	var first created
	res := h.post("/api/v1/scim/token", admin, nil).want(http.StatusCreated)
	res.Decode(&first)
	if !strings.HasPrefix(first.Token, "gtscim_") || first.Prefix != first.Token[:11] || first.ExpiresAt != nil ||
		first.CreatedBy["type"] != "user" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created %+v", first)
	}
	if got, err := h.srv.AuthenticateSCIM(ctx, first.Token); err != nil || got != sys.ID {
		t.Fatalf("AuthenticateSCIM = %q, %v; want the system tenant", got, err)
	}
	meta := h.get("/api/v1/scim/token", admin).want(http.StatusOK)
	if strings.Contains(string(meta.Body), first.Token) || meta.JSON()["id"] != first.ID || meta.JSON()["last_used_at"] == nil {
		t.Fatalf("metadata %s", meta.Body)
	}

	// Re-created, the old one stops at once.
	var second created
	h.post("/api/v1/scim/token", admin, map[string]any{"expires_at": h.clock.Now().Add(time.Hour)}).want(http.StatusCreated).Decode(&second)
	if second.ExpiresAt == nil {
		t.Fatal("the expiry was not kept")
	}
	// In order: the newest refusal audited is the other tenant's.
	for _, c := range []struct {
		name string
		ctx  context.Context
		raw  string
	}{
		{"the replaced token", ctx, first.Token},
		{"a bad checksum", ctx, second.Token[:len(second.Token)-1] + "!"},
		{"a personal access token", ctx, "gtpat_" + strings.TrimPrefix(second.Token, "gtscim_")},
		{"a trailing space", ctx, second.Token + " "},
		{"another tenant's", iam.WithTenant(ctx, &iam.Tenant{ID: someID}), second.Token},
	} {
		if _, err := h.srv.AuthenticateSCIM(c.ctx, c.raw); !iam.IsCode(err, iam.CodeInvalidToken) {
			t.Errorf("%s: %v, want invalid_token", c.name, err)
		}
	}
	h.wantAudited(admin, "scim_token.refused", "other_tenant")
	if got, err := h.srv.AuthenticateSCIM(iam.WithTenant(ctx, sys), second.Token); err != nil || got != sys.ID {
		t.Fatalf("AuthenticateSCIM of the new token = %q, %v", got, err)
	}
	h.clock.Advance(time.Hour)
	admin = h.admin()
	if _, err := h.srv.AuthenticateSCIM(ctx, second.Token); !iam.IsCode(err, iam.CodeInvalidToken) {
		t.Fatalf("expired: %v", err)
	}
	h.wantAudited(admin, "scim_token.refused", "expired")
	h.post("/api/v1/scim/token", admin, map[string]any{"expires_at": h.clock.Now()}).wantError(http.StatusBadRequest, "invalid_request")

	// Revoked, it stops, and there is none.
	var third created
	h.post("/api/v1/scim/token", admin, nil).want(http.StatusCreated).Decode(&third)
	h.delete("/api/v1/scim/token", admin).want(http.StatusNoContent)
	if _, err := h.srv.AuthenticateSCIM(ctx, third.Token); !iam.IsCode(err, iam.CodeInvalidToken) {
		t.Fatalf("revoked: %v", err)
	}
	h.wantAudited(admin, "scim_token.refused", "revoked")
	h.get("/api/v1/scim/token", admin).wantError(http.StatusNotFound, "not_found")
	if n := len(h.auditEvents(admin, "action=scim_token.created")); n != 3 {
		t.Fatalf("%d scim_token.created events, want 3", n)
	}

	// Concurrent re-creations each succeed; exactly one token remains.
	const n = 5
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var c created
			h.post("/api/v1/scim/token", admin, nil).want(http.StatusCreated).Decode(&c)
			tokens[i] = c.Token
		})
	}
	wg.Wait()
	working := 0
	for _, tok := range tokens {
		if _, err := h.srv.AuthenticateSCIM(ctx, tok); err == nil {
			working++
		}
	}
	if working != 1 {
		t.Fatalf("%d of the concurrently created tokens work, want 1", working)
	}
}
