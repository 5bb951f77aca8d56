package server_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestPagesBranding(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	bad := h.patch("/api/v1/settings", admin, map[string]any{"branding": map[string]any{
		"logo_url": "javascript:alert(1)", "accent_color": "red", "display_name": strings.Repeat("x", 101)}}).
		wantError(http.StatusBadRequest, "invalid_request")
	fields, _ := bad["details"].(map[string]any)["fields"].(map[string]any)
	for _, f := range []string{"branding.logo_url", "branding.accent_color", "branding.display_name"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("no error for %s: %v", f, fields)
		}
	}
	h.patchSettings(admin, map[string]any{"branding": map[string]any{
		"display_name": "Acme <b>Corp</b>", "logo_url": "https://cdn.example/logo.png", "accent_color": "#ffee00"}})

	b := h.browser()
	p := b.get("/login").want(t, http.StatusOK)
	if !strings.Contains(p.Body, "Acme &lt;b&gt;Corp&lt;/b&gt;") || strings.Contains(p.Body, "<b>Corp</b>") {
		t.Errorf("the display name is not shown escaped")
	}
	if !strings.Contains(p.Body, `src="https://cdn.example/logo.png"`) {
		t.Errorf("the logo is not shown")
	}
	theme := b.get("/assets/theme.css").want(t, http.StatusOK).Body
	// A pale accent gets black text on it, and links keep a dark colour.
	for _, want := range []string{"--accent:#ffee00", "--on-accent:#000000", "--link:#1a1a1a"} {
		if !strings.Contains(theme, want) {
			t.Errorf("theme.css %q lacks %s", theme, want)
		}
	}
}

func TestPagesCookiesOverHTTPS(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_ISSUER": "https://login.example"})
	p := h.browser().get("/login").want(t, http.StatusOK)
	var csrf *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "__Host-gatehouse-csrf" {
			csrf = c
		}
	}
	if csrf == nil || !csrf.Secure || !csrf.HttpOnly || csrf.Path != "/" || csrf.Domain != "" {
		t.Fatalf("over https the CSRF cookie is %+v, want __Host- prefixed, Secure, HttpOnly, path /", csrf)
	}
}
