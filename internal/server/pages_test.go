package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestPagesHeadersAndErrors(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	p := b.get("/account/nothing-here").want(t, http.StatusNotFound)
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("a missing page answers %q, want HTML", ct)
	}
	csp := p.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP admits inline code: %q", csp)
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := p.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(p.text(), "Page not found") {
		t.Errorf("404 page: %s", p.text())
	}
	de := b.get("/account/nothing-here?lang=de").want(t, http.StatusNotFound)
	if !strings.Contains(de.text(), "Seite nicht gefunden") {
		t.Errorf("the German 404 page reads: %s", de.text())
	}
	if !strings.Contains(b.get("/account/nothing-here").text(), "Seite nicht gefunden") {
		t.Errorf("the language switch is not remembered")
	}
	for header, want := range map[string]string{"de-CH, en;q=0.5": "Anmelden", "fr, en;q=0.8": "Sign in", "xx": "Sign in"} {
		res := h.send(request{method: http.MethodGet, path: "/login", header: map[string]string{"Accept-Language": header}})
		if !strings.Contains(string(res.Body), "<h1>"+want+"</h1>") {
			t.Errorf("Accept-Language %q: the page is not in the language of %q", header, want)
		}
	}
}

func TestPagesRefuseCrossOriginForms(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	b.get("/account/x")
	form := url.Values{"csrf": {b.cookie("gatehouse-csrf")}}
	p := b.postRaw("/logout", form, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}).want(t, http.StatusForbidden)
	if !strings.Contains(p.text(), "expired or was sent from another page") {
		t.Errorf("the refusal reads: %s", p.text())
	}
	admin := h.admin()
	found := false
	for _, e := range h.auditEvents(admin, "action=pages.form_refused") {
		found = found || e["action"] == "pages.form_refused"
	}
	if !found {
		t.Error("the refused form is not audited")
	}
}

// Every form of the pages is rate limited per client address, the step-up
// and a refused form included: each checks a secret, mails, or is audited.
func TestPagesRateLimit(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_AUTH_RATE_PER_SECOND": "1", "GATEHOUSE_AUTH_RATE_BURST": "3"})
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	b.get("/account/reauth")
	statuses := []int{}
	for range 4 {
		statuses = append(statuses, b.post("/account/reauth", url.Values{"method": {"password"}, "password": {"wrong-password-1"}}).Status)
	}
	if statuses[3] != http.StatusTooManyRequests {
		t.Fatalf("four wrong step-up passwords from one address: %v, want the fourth refused with 429", statuses)
	}
	if p := b.last; !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || p.Header.Get("Retry-After") == "" {
		t.Errorf("the refusal is %q with Retry-After %q, want an HTML page and a Retry-After", p.Header.Get("Content-Type"), p.Header.Get("Retry-After"))
	}
	// Forged forms use up the same allowance instead of filling the audit log.
	other := h.browser()
	other.get("/login")
	forged := other.postRaw("/logout", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if forged.Status != http.StatusTooManyRequests {
		t.Errorf("a forged form after the allowance: %d, want 429", forged.Status)
	}
}

func TestPagesAssets(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	css := b.get("/assets/style.css").want(t, http.StatusOK)
	if ct := css.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") || css.Header.Get("Cache-Control") != "public, max-age=86400" {
		t.Errorf("style.css: %q, %q", ct, css.Header.Get("Cache-Control"))
	}
	if ct := b.get("/assets/passkey.js").want(t, http.StatusOK).Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("passkey.js: %q", ct)
	}
	for _, path := range []string{"/assets/", "/assets/nope.js", "/assets/../go.mod", "/assets/%2e%2e%2fgo.mod"} {
		p := b.get(path)
		if p.Status == http.StatusOK || (p.Status == http.StatusNotFound && !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html")) {
			t.Errorf("%s: %d %q", path, p.Status, p.Header.Get("Content-Type"))
		}
	}
}
