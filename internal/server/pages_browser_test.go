package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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

// signInTab signs a tab in with a password, without a second factor.
func signInTab(t *testing.T, h *harness, tab *browsertest.Tab, email, password string) {
	t.Helper()
	tab.Open(h.ts.URL + "/login")
	tab.Fill("Email address", email)
	tab.Fill("Password", password)
	tab.Press("Sign in")
	if !strings.HasSuffix(tab.URL(), "/account") {
		t.Fatalf("after sign-in the browser is at %s: %s", tab.URL(), tab.Text())
	}
}

// signOutTab signs a tab out through the confirmation page.
func signOutTab(t *testing.T, h *harness, tab *browsertest.Tab) {
	t.Helper()
	tab.Open(h.ts.URL + "/logout")
	tab.Press("Sign out")
	if !strings.Contains(tab.Text(), "You are signed out.") {
		t.Fatalf("sign-out: %s", tab.Text())
	}
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
		tab.Open(h.ts.URL + "/verify-email")
		visit(tab, "verify-email-resend")
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

	t.Run("authenticator app, then sign in with it and with a recovery code", func(t *testing.T) {
		tab := chromium.Tab(t)
		signInTab(t, h, tab, grace, gracePassword)
		tab.Open(h.ts.URL + "/account/security")
		visit(tab, "security")
		tab.Press("Set up an authenticator app")
		visit(tab, "security-totp")
		secret := strings.ReplaceAll(browsertest.Eval[string](tab, `document.getElementById("totp-secret").textContent`), " ", "")
		tab.Fill("Code from the app", "000000")
		tab.Press("Turn on the authenticator app")
		wantText(t, tab, "This code is not right")
		visit(tab, "security-totp-error")
		tab.Fill("Code from the app", totpAt(t, secret, h.clock.Now()))
		tab.Press("Turn on the authenticator app")
		wantText(t, tab, "The authenticator app is on.")

		signOutTab(t, h, tab)
		h.clock.Advance(30 * time.Second)
		tab.Open(h.ts.URL + "/login")
		tab.Fill("Email address", grace)
		tab.Fill("Password", gracePassword)
		tab.Press("Sign in")
		wantText(t, tab, "Enter the 6-digit code from your authenticator app.")
		visit(tab, "mfa-totp")
		tab.Fill("Code", totpAt(t, secret, h.clock.Now()))
		tab.Press("Continue")
		if !strings.HasSuffix(tab.URL(), "/account") {
			t.Fatalf("after the second step the browser is at %s: %s", tab.URL(), tab.Text())
		}

		// Fresh from a second factor, the session may create recovery codes.
		tab.Open(h.ts.URL + "/account/security")
		tab.Press("Create recovery codes")
		wantText(t, tab, "They are shown only now.")
		visit(tab, "security-recovery-codes")
		codes := browsertest.Eval[[]string](tab, `[...document.querySelectorAll("main code")].map(e => e.textContent.trim()).filter(s => /^[a-z0-9]{4}(-[a-z0-9]{4}){3}$/.test(s))`)
		if len(codes) != 10 {
			t.Fatalf("recovery codes on the page: %v", codes)
		}

		signOutTab(t, h, tab)
		tab.Open(h.ts.URL + "/login")
		tab.Fill("Email address", grace)
		tab.Fill("Password", gracePassword)
		tab.Press("Sign in")
		tab.Press("Recovery code")
		visit(tab, "mfa-recovery-code")
		tab.Fill("Recovery code", codes[0])
		tab.Press("Continue")
		if !strings.HasSuffix(tab.URL(), "/account") {
			t.Fatalf("after a recovery code the browser is at %s: %s", tab.URL(), tab.Text())
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

	t.Run("account: name, email change from the mail, a token, sessions ended from another browser", func(t *testing.T) {
		const ivy = "ivy@example.com"
		tab, other := chromium.Tab(t), chromium.Tab(t)
		signInTab(t, h, tab, ivy, gracePassword)
		signInTab(t, h, other, ivy, gracePassword)
		visit(tab, "account")
		tab.Fill("Name", "Ivy <i>Baker</i> Priest")
		tab.Press("Save name")
		wantText(t, tab, "Ivy <i>Baker</i> Priest")
		tab.Open(h.ts.URL + "/account/password")
		visit(tab, "account-password")

		tab.Open(h.ts.URL + "/account/email")
		visit(tab, "account-email")
		tab.Fill("New email address", "ivy.priest@example.com")
		tab.Fill("Your password", gracePassword)
		tab.Press("Send confirmation link")
		wantText(t, tab, "Check your new mailbox")
		tab.Open(link("/confirm-email", "ivy.priest@example.com", "email_change_confirm"))
		visit(tab, "confirm-email")
		tab.Press("Confirm my new email")
		wantText(t, tab, "Your account now uses your new email address.")
		visit(tab, "confirm-email-done")

		tab.Open(h.ts.URL + "/account/reauth?return_to=/account/tokens")
		wantText(t, tab, "Enter your password.")
		visit(tab, "reauth")
		tab.Open(h.ts.URL + "/account/tokens")
		visit(tab, "account-tokens")
		tab.Fill("Name", "deploy script")
		tab.Press("Create token")
		secret := browsertest.Eval[string](tab, `document.getElementById("new-token").textContent.trim()`)
		visit(tab, "account-tokens-created")
		h.get("/api/v1/me", secret).want(http.StatusOK)

		tab.Open(h.ts.URL + "/account/sessions")
		visit(tab, "account-sessions")
		wantText(t, tab, "This session")
		tab.Press("Sign out all other sessions")
		wantText(t, tab, "All your other sessions were signed out.")
		other.Open(h.ts.URL + "/account")
		if !strings.Contains(other.URL(), "/login?return_to=") {
			t.Fatalf("the other browser's session lives on: %s", other.URL())
		}
		visit(other, "login-after-session-ended")
	})

	t.Run("error pages", func(t *testing.T) {
		tab := chromium.Tab(t)
		if status := tab.Open(h.ts.URL + "/account/no-such-page"); status != http.StatusNotFound {
			t.Fatalf("a missing page answers %d", status)
		}
		wantText(t, tab, "Page not found")
		visit(tab, "not-found")
	})

	t.Run("enrolment required by the tenant", func(t *testing.T) {
		h.patchSettings(admin, map[string]any{"mfa": map[string]any{"policy": "required"}})
		h.post("/api/v1/users", admin, map[string]any{"email": "otto@example.com", "name": "Otto", "password": gracePassword,
			"email_verified": true}).want(http.StatusCreated)
		tab := chromium.Tab(t)
		tab.Open(h.ts.URL + "/login")
		tab.Fill("Email address", "otto@example.com")
		tab.Fill("Password", gracePassword)
		tab.Press("Sign in")
		wantText(t, tab, "Your organization requires a second factor")
		visit(tab, "enroll")
	})

	t.Run("passkey: added on the account page, then a sign-in without password", func(t *testing.T) {
		// WebAuthn needs the page's real origin as the relying party's.
		local := newHarness(t, map[string]string{"GATEHOUSE_ISSUER": "http://localhost:" + portPlaceholder})
		base := strings.Replace(local.ts.URL, "127.0.0.1", "localhost", 1)
		local.post("/api/v1/users", local.admin(), map[string]any{"email": "pia@example.com", "name": "Pia", "password": gracePassword,
			"email_verified": true}).want(http.StatusCreated)
		tab := chromium.Tab(t)
		tab.VirtualAuthenticator()
		tab.Open(base + "/login")
		tab.Fill("Email address", "pia@example.com")
		tab.Fill("Password", gracePassword)
		tab.Press("Sign in")
		tab.Open(base + "/account/security")
		tab.Fill("Name of the new passkey (optional)", "Laptop")
		tab.Press("Add a passkey")
		wantText(t, tab, "The passkey was added.")
		wantText(t, tab, "Laptop")
		visit(tab, "security-passkey")

		tab.Open(base + "/logout")
		tab.Press("Sign out")
		tab.Open(base + "/login")
		tab.Press("Sign in with a passkey")
		if !strings.HasSuffix(tab.URL(), "/account") {
			t.Fatalf("after the passkey sign-in the browser is at %s: %s", tab.URL(), tab.Text())
		}
		wantText(t, tab, "pia@example.com")
	})
}
