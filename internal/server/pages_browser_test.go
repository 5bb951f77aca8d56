package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/browsertest"
)

// visit checks the page the tab shows: no serious or critical axe-core
// violation, no sideways scrolling at 320 px or 200% zoom, and keeps its
// screenshots under name.
func visit(tab *browsertest.Tab, name string) {
	tab.Axe()
	tab.Screenshot(name)
	tab.CheckReflow(name)
}

// TestPageJourneys drives the hosted pages in headless Chromium, as people
// use them, on the store the HTTP suite runs on.
func TestPageJourneys(t *testing.T) {
	chromium := browsertest.New(t)
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open", "require_verified_email": true}})
	link := func(path, to, kind string) string {
		return h.ts.URL + path + "?token=" + url.QueryEscape(h.linkToken(admin, to, kind))
	}
	wantText := func(t *testing.T, tab *browsertest.Tab, want string) {
		t.Helper()
		if text := tab.Text(); !strings.Contains(text, want) {
			t.Fatalf("%s: the page lacks %q: %s", tab.URL(), want, text)
		}
	}
	const grace, gracePassword, graceNext = "grace@example.com", "cobol-harbor-58-moth", "nanosecond-wire-11-bug"

	t.Run("sign up, verify, sign in", func(t *testing.T) {
		tab := chromium.Tab(t)
		tab.Open(h.ts.URL + "/signup")
		visit(tab, "signup")
		tab.Fill("Name", "Grace <b>Hopper</b>")
		tab.Fill("Email address", grace)
		tab.Fill("New password", "short")
		tab.Press("Create account")
		wantText(t, tab, "Use at least")
		visit(tab, "signup-error")
		tab.Fill("New password", gracePassword)
		tab.Press("Create account")
		wantText(t, tab, "We sent a message to "+grace)
		visit(tab, "signup-sent")
		tab.Open(link("/verify-email", grace, "verify_email"))
		visit(tab, "verify-email")
		tab.Press("Verify my email")
		wantText(t, tab, "your email address is verified")
		visit(tab, "verify-email-done")
		tab.Open(h.ts.URL + "/login")
		tab.Fill("Email address", grace)
		tab.Fill("Password", gracePassword)
		tab.Press("Sign in")
		if !strings.HasSuffix(tab.URL(), "/account") {
			t.Fatalf("after sign-in the browser is at %s", tab.URL())
		}
	})

	t.Run("forgot and reset the password from the mail", func(t *testing.T) {
		tab := chromium.Tab(t)
		tab.Open(h.ts.URL + "/login")
		tab.Press("Forgot your password?")
		visit(tab, "forgot")
		tab.Fill("Email address", grace)
		tab.Press("Send link")
		wantText(t, tab, "If there is an account for "+grace)
		visit(tab, "forgot-sent")
		reset := link("/reset-password", grace, "password_reset")
		tab.Open(reset)
		visit(tab, "reset-password")
		tab.Fill("New password", graceNext)
		tab.Press("Save new password")
		wantText(t, tab, "Your new password is set")
		visit(tab, "reset-password-done")
		tab.Open(reset)
		tab.Fill("New password", gracePassword)
		tab.Press("Save new password")
		wantText(t, tab, "This link is not valid")
		visit(tab, "link-invalid")
	})

	t.Run("invitation", func(t *testing.T) {
		h.post("/api/v1/invitations", admin, map[string]any{"email": "ivy@example.com"}).want(http.StatusCreated)
		tab := chromium.Tab(t)
		tab.Open(h.ts.URL + "/signup?invitation=" + url.QueryEscape(h.linkToken(admin, "ivy@example.com", "invitation")))
		wantText(t, tab, "You were invited with this address")
		visit(tab, "signup-invitation")
		tab.Fill("Name", "Ivy")
		tab.Fill("New password", gracePassword)
		tab.Press("Create account")
		visit(tab, "signup-invitation-done")
		h.login("ivy@example.com", gracePassword)
	})

	t.Run("sign in and out", func(t *testing.T) {
		tab := chromium.Tab(t)
		tab.Open(h.ts.URL + "/login")
		visit(tab, "login")
		tab.Fill("Email address", adminEmail)
		tab.Fill("Password", "not the password")
		tab.Press("Sign in")
		if !strings.Contains(tab.Text(), "The email address or password is not correct.") {
			t.Fatalf("wrong password: %s", tab.Text())
		}
		visit(tab, "login-error")
		tab.Fill("Password", adminPassword)
		tab.Press("Sign in")
		tab.Open(h.ts.URL + "/logout")
		visit(tab, "logout-confirm")
		tab.Press("Sign out")
		if !strings.Contains(tab.Text(), "You are signed out.") {
			t.Fatalf("after sign-out: %s", tab.Text())
		}
		visit(tab, "logout-done")
		tab.Open(h.ts.URL + "/login?lang=de")
		visit(tab, "login-de")
		if !strings.Contains(tab.Text(), "Angemeldet bleiben") {
			t.Fatalf("German login page: %s", tab.Text())
		}
	})
}
