package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestMalformedTextIsRefusedOrCleaned: bytes that are not UTF-8, NUL and
// control characters never reach the database raw (PostgreSQL refuses them).
func TestMalformedTextIsRefusedOrCleaned(t *testing.T) {
	h := newHarness(t, nil)
	ua := "curl\xff/8" + strings.Repeat("x", 1000)
	res := h.send(request{method: http.MethodPost, path: "/api/v1/auth/login", body: map[string]any{"email": adminEmail, "password": "Kq-c7f5a-91c05"},
		header: map[string]string{"User-Agent": ua}})
	res.wantError(http.StatusUnauthorized, "invalid_credentials")
	tk := h.login(adminEmail, adminPassword)
	events := h.auditEvents(tk.AccessToken, "action=auth.login.failed")
	if len(events) != 1 {
		t.Fatalf("the failed login was not audited: %v", events)
	}
	got := events[0]["user_agent"].(string)
	if !strings.HasPrefix(got, "curl\uFFFD/8xxx") || len(got) > 512 || strings.ContainsRune(got, 0) {
		t.Fatalf("stored user agent %q", got)
	}
	for _, q := range []string{"actor_id=%00", "action=%FF", "target_id=a%00b"} {
		h.get("/api/v1/audit-logs?"+q, tk.AccessToken).wantError(http.StatusBadRequest, "invalid_request")
	}
	h.get("/api/v1/organizations/%FF", tk.AccessToken).wantError(http.StatusBadRequest, "invalid_request")
	h.get("/healthz", "").want(http.StatusOK)
}
