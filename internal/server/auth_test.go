package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoginIssuesSignedTokens(t *testing.T) {
	h := newHarness(t, nil)
	tk := h.login("ADMIN@example.com", adminPassword)
	if tk.TokenType != "Bearer" || tk.ExpiresIn != 600 || !strings.HasPrefix(tk.RefreshToken, "gtref_") {
		t.Fatalf("unexpected tokens %+v", tk)
	}
	parts := strings.Split(tk.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWS: %q", tk.AccessToken)
	}
	var header map[string]any
	decodeSegment(t, parts[0], &header)
	if header["alg"] != "ES256" || header["kid"] == "" || header["kid"] == nil {
		t.Fatalf("header %v", header)
	}
	var claims map[string]any
	decodeSegment(t, parts[1], &claims)
	for _, c := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "tid", "sid", "amr"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing from %v", c, claims)
		}
	}
	if claims["iss"] != "http://gatehouse.test" || claims["exp"].(float64)-claims["iat"].(float64) != 600 {
		t.Errorf("claims %v", claims)
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	h.get("/oauth2/keys", "").want(http.StatusOK).Decode(&jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0]["kid"] != header["kid"] || jwks.Keys[0]["crv"] != "P-256" || jwks.Keys[0]["d"] != nil {
		t.Fatalf("jwks %v does not publish exactly the public signing key %v", jwks, header["kid"])
	}
	me := h.get("/api/v1/me", tk.AccessToken).want(http.StatusOK).JSON()
	if me["email"] != adminEmail || me["id"] != claims["sub"] {
		t.Fatalf("me %v", me)
	}
}

// jwtClaims decodes an access token's claims into v without checking them:
// the server under test checks them; this reads what it put there.
func jwtClaims(t *testing.T, raw string, v any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", raw)
	}
	decodeSegment(t, parts[1], v)
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestFailedLoginsLookAlikeAndAreAuditedWithTheirReason(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	disabledID := h.createUser(admin, "disabled@example.com", "Kq-b2386-7f294")
	h.post("/api/v1/users/"+disabledID+"/disable", admin, nil).want(http.StatusOK)
	cases := []struct{ email, password, reason string }{
		{adminEmail, "Kq-c7f5a-91c05", "wrong_password"},
		{"nobody@example.com", "Kq-41978-653a4", "unknown_email"},
		{"disabled@example.com", "Kq-b2386-7f294", "user_disabled"},
	}
	var bodies []string
	for _, c := range cases {
		res := h.post("/api/v1/auth/login", "", map[string]any{"email": c.email, "password": c.password})
		res.wantError(http.StatusUnauthorized, "invalid_credentials")
		bodies = append(bodies, string(res.Body))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("failed logins differ: %q vs %q", bodies[0], b)
		}
	}
	events := h.auditEvents(admin, "action=auth.login.failed")
	got := map[string]string{}
	for _, e := range events {
		d := e["details"].(map[string]any)
		got[d["email"].(string)] = d["reason"].(string)
		if e["result"] != "failure" || e["ip"] == "" {
			t.Errorf("event %v", e)
		}
	}
	for _, c := range cases {
		if got[c.email] != c.reason {
			t.Errorf("audit reason for %s = %q, want %q", c.email, got[c.email], c.reason)
		}
	}
	metrics := string(h.get("/metrics", "").want(http.StatusOK).Body)
	if !strings.Contains(metrics, `gatehouse_logins_total{outcome="invalid_credentials"} 3`) {
		t.Errorf("login outcomes missing from /metrics")
	}
}

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	h := newHarness(t, nil)
	first := h.login(adminEmail, adminPassword)
	var second tokens
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}).want(http.StatusOK).Decode(&second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Fatal("refresh did not rotate")
	}
	h.get("/api/v1/me", second.AccessToken).want(http.StatusOK)

	// Presenting the rotated token again revokes the whole session.
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}).wantError(http.StatusUnauthorized, "invalid_token")
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": second.RefreshToken}).wantError(http.StatusUnauthorized, "invalid_token")
	h.get("/api/v1/me", second.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	admin := h.admin()
	if len(h.auditEvents(admin, "action=auth.refresh.reuse_detected")) != 1 {
		t.Fatal("reuse not audited")
	}
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": "ghr_unknown"}).wantError(http.StatusUnauthorized, "invalid_token")
}

func TestConcurrentRefreshHasOneWinner(t *testing.T) {
	h := newHarness(t, nil)
	tk := h.login(adminEmail, adminPassword)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken}).Status
		}()
	}
	wg.Wait()
	wins := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			wins++
		} else if s != http.StatusUnauthorized {
			t.Errorf("status %d", s)
		}
	}
	if wins != 1 {
		t.Fatalf("%d refreshes won, want exactly 1 (%v)", wins, statuses)
	}
}

func TestLogoutRevokesTheSessionAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	tk := h.login(adminEmail, adminPassword)
	other := h.login(adminEmail, adminPassword)
	h.get("/api/v1/me", tk.AccessToken).want(http.StatusOK)
	h.post("/api/v1/auth/logout", tk.AccessToken, nil).want(http.StatusNoContent)
	h.get("/api/v1/me", tk.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken}).wantError(http.StatusUnauthorized, "invalid_token")
	// Other sessions of the same user live on.
	h.get("/api/v1/me", other.AccessToken).want(http.StatusOK)
	if len(h.auditEvents(other.AccessToken, "action=auth.logout")) != 1 {
		t.Fatal("logout not audited")
	}
}

func TestSessionLifetimes(t *testing.T) {
	h := newHarness(t, nil)
	short := h.login(adminEmail, adminPassword)
	var long tokens
	h.post("/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword, "keep_logged_in": true}).want(http.StatusOK).Decode(&long)
	h.clock.Advance(13 * time.Hour)
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": short.RefreshToken}).wantError(http.StatusUnauthorized, "invalid_token")
	var next tokens
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": long.RefreshToken}).want(http.StatusOK).Decode(&next)
	h.clock.Advance(30 * 24 * time.Hour)
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": next.RefreshToken}).wantError(http.StatusUnauthorized, "invalid_token")
}

func TestAccessTokenExpires(t *testing.T) {
	h := newHarness(t, nil)
	tk := h.login(adminEmail, adminPassword)
	h.clock.Advance(9 * time.Minute)
	h.get("/api/v1/me", tk.AccessToken).want(http.StatusOK)
	h.clock.Advance(2 * time.Minute)
	h.get("/api/v1/me", tk.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
}

// TestRefreshTokenOfTheEarlierForm: a session opened before the one secret
// format holds a ghr_ refresh token, which still refreshes; malformed ones
// of either form do not.
func TestRefreshTokenOfTheEarlierForm(t *testing.T) {
	h, db := harnessWithDB(t)
	tk := h.login(adminEmail, adminPassword)
	if !strings.HasPrefix(tk.RefreshToken, "gtref_") {
		t.Fatalf("refresh token %q is not of the one format", tk.RefreshToken)
	}
	old := "ghr_" + strings.Repeat("A", 43)
	sum := sha256.Sum256([]byte(old))
	if _, err := db.Exec(`UPDATE refresh_tokens SET token_hash = '` + hex.EncodeToString(sum[:]) + `'`); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{old + "A", "ghr_short", damaged(tk.RefreshToken)} {
		h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": bad}).wantError(http.StatusUnauthorized, "invalid_token")
	}
	var next tokens
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": old}).want(http.StatusOK).Decode(&next)
	if !strings.HasPrefix(next.RefreshToken, "gtref_") {
		t.Fatalf("the rotated refresh token %q is not of the one format", next.RefreshToken)
	}
}
