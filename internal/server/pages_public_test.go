package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// wantText fails unless the page's visible text holds each of want.
func (p *page) wantText(t *testing.T, want ...string) *page {
	t.Helper()
	text := p.text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Fatalf("the page lacks %q: %s", w, text)
		}
	}
	return p
}

// wantField fails unless the page has a labelled control named name with
// the autocomplete given.
func (p *page) wantField(t *testing.T, name, autocomplete string) {
	t.Helper()
	if !strings.Contains(p.Body, `<label for="f-`+name+`">`) || !strings.Contains(p.Body, `id="f-`+name+`"`) {
		t.Errorf("no labelled control %q: %s", name, p.Body)
	}
	if !strings.Contains(p.Body, `autocomplete="`+autocomplete+`"`) {
		t.Errorf("no autocomplete=%q for %q", autocomplete, name)
	}
}

// wantFieldError fails unless the field carries an error that is announced.
func (p *page) wantFieldError(t *testing.T, name string) {
	t.Helper()
	if !strings.Contains(p.Body, `id="e-`+name+`"`) || !strings.Contains(p.Body, `aria-invalid="true"`) {
		t.Fatalf("no error next to %q: %s", name, p.Body)
	}
}

// repost sends a form with the browser's CSRF token, as a reload of a
// posted page does, whatever page came last.
func (b *browser) repost(path string, form url.Values) *page {
	b.t.Helper()
	form.Set("csrf", b.cookie("gatehouse-csrf"))
	return b.post(path, form)
}

// openSignup sets the signup policy to open, with verified emails needed
// to sign in, so that verification shows in the login.
func openSignup(h *harness, admin string) {
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open", "require_verified_email": true}})
}

func loginStatus(h *harness, email, password string) int {
	return h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": password}).Status
}

func TestPublicPagesRender(t *testing.T) {
	h := newHarness(t, nil)
	openSignup(h, h.admin())
	b := h.browser()
	for _, c := range []struct {
		path, heading string
		fields        map[string]string
	}{
		{"/signup", "Create your account", map[string]string{"name": "name", "email": "username", "password": "new-password"}},
		{"/forgot", "Forgot your password?", map[string]string{"email": "username"}},
		{"/reset-password?token=ghp_x", "Choose a new password", map[string]string{"password": "new-password"}},
		{"/verify-email", "Send a new verification link", map[string]string{"email": "email"}},
		{"/verify-email?token=ghv_x", "Verify your email address", nil},
		{"/confirm-email?token=ghe_x", "Confirm your new email address", nil},
	} {
		p := b.get(c.path).want(t, http.StatusOK)
		if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s answers %q", c.path, ct)
		}
		p.wantText(t, c.heading)
		if p.input("csrf") == "" {
			t.Errorf("%s: a form without a CSRF token", c.path)
		}
		for name, ac := range c.fields {
			p.wantField(t, name, ac)
		}
	}
	p := b.get("/signup").want(t, http.StatusOK)
	p.wantText(t, "At least 8 characters")

	de := b.get("/signup?lang=de").want(t, http.StatusOK)
	de.wantText(t, "Konto erstellen", "E-Mail-Adresse", "Neues Passwort", "Mindestens 8 Zeichen")
	if strings.Contains(de.text(), "Create your account") {
		t.Errorf("the German page has English: %s", de.text())
	}
}

// The journey of a new user: sign up, the mail's link, a GET that changes
// nothing (mail scanners open links), the POST that verifies, then login.
func TestSignupVerifyJourney(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	openSignup(h, admin)
	b := h.browser()
	b.get("/signup").want(t, http.StatusOK)
	form := url.Values{"name": {"Vera"}, "email": {"Vera@Example.com"}, "password": {goodPassword}}
	first := b.post("/signup", form).want(t, http.StatusOK).wantText(t, "Check your email", "Vera@Example.com")
	if strings.Contains(first.Body, goodPassword) {
		t.Fatal("the page shows the password")
	}
	tok := h.linkToken(admin, "vera@example.com", "verify_email")

	// Signing up again with the address answers exactly the same.
	b.get("/signup")
	again := b.post("/signup", url.Values{"name": {"Someone"}, "email": {"Vera@Example.com"}, "password": {"another-long-passphrase-7"}}).want(t, http.StatusOK)
	if again.text() != first.text() {
		t.Fatalf("a taken address answers differently:\n%s\n%s", first.text(), again.text())
	}

	p := b.get("/verify-email?token="+url.QueryEscape(tok)).want(t, http.StatusOK).wantText(t, "Verify my email")
	if p.input("token") != tok {
		t.Fatalf("the token is not in the form: %q", p.input("token"))
	}
	if strings.Contains(p.text(), tok) {
		t.Fatal("the page shows the token")
	}
	if got := loginStatus(h, "vera@example.com", goodPassword); got != http.StatusForbidden {
		t.Fatalf("opening the link verified the address: login %d", got)
	}
	b.post("/verify-email", url.Values{"token": {tok}}).want(t, http.StatusOK).wantText(t, "Email address verified", "Sign in")
	h.login("vera@example.com", goodPassword)
	// The first password holds: the second signup changed nothing.
	if got := loginStatus(h, "vera@example.com", "another-long-passphrase-7"); got != http.StatusUnauthorized {
		t.Fatalf("the second signup's password: login %d", got)
	}

	// A used link shows the invalid-link page, which leads to a new one.
	b.get("/verify-email?token=" + url.QueryEscape(tok))
	used := b.post("/verify-email", url.Values{"token": {tok}}).want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")
	if !strings.Contains(used.Body, `href="/verify-email"`) || used.input("token") != "" {
		t.Fatalf("the invalid-link page: %s", used.Body)
	}
}

func TestVerificationResendPage(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	openSignup(h, admin)
	register(h, "rae@example.com", goodPassword, "Rae", nil).want(http.StatusCreated)
	first := h.linkToken(admin, "rae@example.com", "verify_email")
	b := h.browser()
	b.get("/verify-email").want(t, http.StatusOK)
	known := b.post("/verify-email", url.Values{"email": {"rae@example.com"}}).want(t, http.StatusOK)
	b.get("/verify-email")
	unknown := b.post("/verify-email", url.Values{"email": {"nobody@example.com"}}).want(t, http.StatusOK)
	if strings.ReplaceAll(known.text(), "rae@", "") != strings.ReplaceAll(unknown.text(), "nobody@", "") {
		t.Fatalf("the answer tells which address has an account:\n%s\n%s", known.text(), unknown.text())
	}
	second := h.linkToken(admin, "rae@example.com", "verify_email")
	if second == first {
		t.Fatal("no new link was mailed")
	}
	if n := len(h.mailsTo(admin, "nobody@example.com")); n != 0 {
		t.Fatalf("%d mails to an unknown address", n)
	}
	b.get("/verify-email")
	b.post("/verify-email", url.Values{"email": {"not-an-address"}}).want(t, http.StatusBadRequest).wantFieldError(t, "email")
}

func TestForgotResetJourney(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "rita@example.com", goodPassword)
	session := h.login("rita@example.com", goodPassword)
	b := h.browser()

	b.get("/forgot").want(t, http.StatusOK)
	known := b.post("/forgot", url.Values{"email": {"rita@example.com"}}).want(t, http.StatusOK)
	b.get("/forgot")
	unknown := b.post("/forgot", url.Values{"email": {"nobody@example.com"}}).want(t, http.StatusOK)
	if strings.ReplaceAll(known.text(), "rita@", "") != strings.ReplaceAll(unknown.text(), "nobody@", "") {
		t.Fatalf("the answer tells which address has an account:\n%s\n%s", known.text(), unknown.text())
	}
	known.wantText(t, "If there is an account for rita@example.com")
	tok := h.linkToken(admin, "rita@example.com", "password_reset")

	p := b.get("/reset-password?token="+url.QueryEscape(tok)).want(t, http.StatusOK)
	if p.input("token") != tok || strings.Contains(p.text(), tok) {
		t.Fatalf("the token is not only in the form's hidden field: %s", p.Body)
	}
	// A refused password shows the form again, with the error at the field;
	// the link still works.
	weak := b.post("/reset-password", url.Values{"token": {tok}, "password": {"password123"}}).want(t, http.StatusBadRequest)
	weak.wantFieldError(t, "password")
	weak.wantText(t, "common or leaked passwords")
	if weak.input("token") != tok || strings.Contains(weak.Body, "password123") {
		t.Fatalf("the form again: %s", weak.Body)
	}
	b.post("/reset-password", url.Values{"token": {tok}, "password": {"marigold-ferry-42-quartz"}}).want(t, http.StatusOK).
		wantText(t, "Your password was changed")
	if !strings.Contains(b.last.Body, `href="/login"`) {
		t.Error("the success page does not lead to the sign-in")
	}
	h.get("/api/v1/me", session.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	if got := loginStatus(h, "rita@example.com", goodPassword); got != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", got)
	}
	h.login("rita@example.com", "marigold-ferry-42-quartz")

	// Posted again (a reload), the spent link shows the invalid-link page
	// leading to /forgot, and changes nothing.
	used := b.repost("/reset-password", url.Values{"token": {tok}, "password": {"lantern-orbit-77-sage"}}).want(t, http.StatusUnauthorized)
	used.wantText(t, "This link no longer works")
	if !strings.Contains(used.Body, `href="/forgot"`) || strings.Contains(used.Body, `name="password"`) {
		t.Fatalf("the invalid-link page: %s", used.Body)
	}
	h.login("rita@example.com", "marigold-ferry-42-quartz")

	// Without a token there is no form.
	b.get("/reset-password").want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")
}

func TestConfirmEmailPage(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "max@example.com", goodPassword)
	session := h.login("max@example.com", goodPassword)
	h.post("/api/v1/me/email", session.AccessToken, map[string]any{"new_email": "maxi@example.com", "password": goodPassword}).want(http.StatusAccepted)
	tok := h.linkToken(admin, "maxi@example.com", "email_change_confirm")

	b := h.browser()
	p := b.get("/confirm-email?token="+url.QueryEscape(tok)).want(t, http.StatusOK).wantText(t, "Confirm my new email")
	if p.input("token") != tok {
		t.Fatal("the token is not in the form")
	}
	if me := h.get("/api/v1/me", session.AccessToken).JSON(); me["email"] != "max@example.com" {
		t.Fatal("opening the link changed the address")
	}
	b.post("/confirm-email", url.Values{"token": {tok}}).want(t, http.StatusOK).wantText(t, "Email address changed")
	if me := h.get("/api/v1/me", session.AccessToken).JSON(); me["email"] != "maxi@example.com" {
		t.Fatalf("after confirming: %v", me["email"])
	}
	b.repost("/confirm-email", url.Values{"token": {tok}}).want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")

	// An address taken meanwhile: a clear page, nothing changed.
	h.post("/api/v1/me/email", session.AccessToken, map[string]any{"new_email": "taken@example.com", "password": goodPassword}).want(http.StatusAccepted)
	tok = h.linkToken(admin, "taken@example.com", "email_change_confirm")
	h.createUser(admin, "taken@example.com", goodPassword)
	b.get("/confirm-email?token=" + url.QueryEscape(tok))
	b.post("/confirm-email", url.Values{"token": {tok}}).want(t, http.StatusConflict).wantText(t, "Address already in use")
	if me := h.get("/api/v1/me", session.AccessToken).JSON(); me["email"] != "maxi@example.com" {
		t.Fatalf("a taken address changed the email: %v", me["email"])
	}
	b.get("/confirm-email").want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")
}

// An invitation fixes the address: the page shows it, not as a field to
// type in, and the signup registers it whatever email is posted.
func TestInvitationSignupPage(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	h.post("/api/v1/invitations", admin, map[string]any{"email": "nina@example.com"}).want(http.StatusCreated)
	tok := h.linkToken(admin, "nina@example.com", "invitation")

	b := h.browser()
	p := b.get("/signup?invitation="+url.QueryEscape(tok)).want(t, http.StatusOK)
	if !strings.Contains(p.Body, `value="nina@example.com" readonly`) || strings.Contains(p.Body, `name="email"`) {
		t.Fatalf("the invited address is not fixed: %s", p.Body)
	}
	if p.input("invitation") != tok {
		t.Fatal("the invitation is not in the form")
	}
	b.post("/signup", url.Values{"invitation": {tok}, "name": {"Nina"}, "email": {"eve@example.com"}, "password": {goodPassword}}).
		want(t, http.StatusOK).wantText(t, "Your account is ready")
	h.login("nina@example.com", goodPassword)
	if got := loginStatus(h, "eve@example.com", goodPassword); got != http.StatusUnauthorized {
		t.Fatalf("the posted address was registered: login %d", got)
	}
	b.get("/signup?invitation="+url.QueryEscape(tok)).want(t, http.StatusUnauthorized).wantText(t, "This invitation no longer works")
	b.get("/signup?invitation=ghi_forged").want(t, http.StatusUnauthorized).wantText(t, "This invitation no longer works")
}

func TestSignupPolicyPages(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	b := h.browser()
	users := func() float64 {
		return h.get("/api/v1/users?limit=1", admin).want(http.StatusOK).JSON()["total"].(float64)
	}
	before := users()
	form := func() url.Values {
		return url.Values{"name": {"Ann"}, "email": {"ann@example.com"}, "password": {goodPassword}}
	}

	// Closed by default: no form, and a posted one is refused.
	p := b.get("/signup").want(t, http.StatusOK).wantText(t, "Signing up is closed")
	if strings.Contains(p.Body, `name="password"`) {
		t.Fatal("a closed signup shows the form")
	}
	b.repost("/signup", form()).want(t, http.StatusForbidden).wantText(t, "Signing up is closed")

	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	p = b.get("/signup").want(t, http.StatusOK).wantText(t, "needs an invitation")
	if strings.Contains(p.Body, `name="password"`) {
		t.Fatal("an invite-only signup without invitation shows the form")
	}
	b.repost("/signup", form()).want(t, http.StatusForbidden).wantText(t, "needs an invitation")

	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "domain_allowlist", "domains": []string{"example.com"}}})
	b.get("/signup").want(t, http.StatusOK)
	other := form()
	other.Set("email", "ann@other.org")
	b.post("/signup", other).want(t, http.StatusForbidden).wantFieldError(t, "email")
	if b.last.input("email") != "ann@other.org" || b.last.input("name") != "Ann" {
		t.Fatal("the form does not keep what was typed")
	}
	if users() != before {
		t.Fatal("a refused signup created a user")
	}

	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	b.get("/signup")
	short := form()
	short.Set("password", "abc1234")
	p = b.post("/signup", short).want(t, http.StatusBadRequest)
	p.wantFieldError(t, "password")
	p.wantText(t, "Use at least 8 characters.")
	if strings.Contains(p.Body, "abc1234") {
		t.Fatal("the page shows the refused password")
	}
	if users() != before {
		t.Fatal("a refused signup created a user")
	}
}

// HTML typed into a form comes back as text on every page that shows it.
func TestPublicPagesEscapeHTML(t *testing.T) {
	h := newHarness(t, nil)
	openSignup(h, h.admin())
	b := h.browser()
	script := "<script>alert(1)</script>"
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/signup", url.Values{"name": {script}, "email": {script + "@example.com"}, "password": {goodPassword}}},
		{"/forgot", url.Values{"email": {script}}},
		{"/verify-email", url.Values{"email": {script}}},
	} {
		b.get(c.path)
		p := b.post(c.path, c.form)
		if strings.Contains(p.Body, "<script>") {
			t.Errorf("%s shows the HTML unescaped: %s", c.path, p.Body)
		}
		if !strings.Contains(p.Body, "&lt;script&gt;") {
			t.Errorf("%s does not show what was typed: %s", c.path, p.Body)
		}
	}
	// A valid name with HTML, on the page that shows the signup's address.
	b.get("/signup")
	p := b.post("/signup", url.Values{"name": {script}, "email": {"tag@example.com"}, "password": {goodPassword}}).want(t, http.StatusOK)
	if strings.Contains(p.Body, "<script>") {
		t.Fatalf("the signup's answer: %s", p.Body)
	}
	b.get("/reset-password?token=" + url.QueryEscape(`"><script>alert(1)</script>`))
	if strings.Contains(b.last.Body, "<script>") {
		t.Fatalf("the reset page shows a token unescaped: %s", b.last.Body)
	}
}

// Forged, foreign and oversized forms change nothing.
func TestPublicFormsRefused(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "rita@example.com", goodPassword)
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "rita@example.com"}).want(http.StatusAccepted)
	tok := h.linkToken(admin, "rita@example.com", "password_reset")
	mails := len(h.mailsTo(admin, "rita@example.com"))

	b := h.browser()
	b.get("/reset-password?token=" + url.QueryEscape(tok))
	other := h.browser()
	other.get("/forgot")
	for name, csrf := range map[string]string{"without a token": "", "with another browser's token": other.last.input("csrf")} {
		b.post("/reset-password", url.Values{"csrf": {csrf}, "token": {tok}, "password": {"marigold-ferry-42-quartz"}}).
			want(t, http.StatusForbidden).wantText(t, "expired or was sent from another page")
		b.post("/forgot", url.Values{"csrf": {csrf}, "email": {"rita@example.com"}}).want(t, http.StatusForbidden)
		if got := loginStatus(h, "rita@example.com", goodPassword); got != http.StatusOK {
			t.Fatalf("%s: the password changed (login %d)", name, got)
		}
	}
	if got := len(h.mailsTo(admin, "rita@example.com")); got != mails {
		t.Fatalf("a refused form sent mail: %d mails, want %d", got, mails)
	}

	b.get("/forgot")
	b.post("/forgot", url.Values{"email": {strings.Repeat("a", 4097) + "@example.com"}}).want(t, http.StatusRequestEntityTooLarge).wantText(t, "too large")
	b.get("/signup")
	b.post("/signup", url.Values{"name": {strings.Repeat("n", 5000)}, "email": {"big@example.com"}, "password": {goodPassword}}).
		want(t, http.StatusRequestEntityTooLarge)
	if got := len(h.mailsTo(admin, "big@example.com")); got != 0 {
		t.Fatal("an oversized signup was acted on")
	}

	// Tampered: the link works afterwards, since nothing used it.
	tampered := tok[:len(tok)-1] + "A"
	if strings.HasSuffix(tok, "A") {
		tampered = tok[:len(tok)-1] + "B"
	}
	b.get("/reset-password?token=" + url.QueryEscape(tampered))
	b.post("/reset-password", url.Values{"token": {tampered}, "password": {"marigold-ferry-42-quartz"}}).
		want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")
	// Expired.
	h.clock.Advance(31 * time.Minute)
	b.get("/reset-password?token=" + url.QueryEscape(tok))
	b.post("/reset-password", url.Values{"token": {tok}, "password": {"marigold-ferry-42-quartz"}}).
		want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")
	if got := loginStatus(h, "rita@example.com", goodPassword); got != http.StatusOK {
		t.Fatalf("a refused link changed the password (login %d)", got)
	}
}

// A link of one tenant works on no other tenant's pages.
func TestPublicLinksOfAnotherTenant(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = tnSystemHost
	admin := h.admin()
	h.post("/api/v1/tenants", admin, map[string]any{"name": "Tenant B", "hostnames": []string{tnHostB},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusCreated)
	h.createUser(admin, "rita@example.com", goodPassword)
	session := h.login("rita@example.com", goodPassword)
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "rita@example.com"}).want(http.StatusAccepted)
	reset := h.linkToken(admin, "rita@example.com", "password_reset")
	h.post("/api/v1/me/email", session.AccessToken, map[string]any{"new_email": "rita.new@example.com", "password": goodPassword}).want(http.StatusAccepted)
	confirm := h.linkToken(admin, "rita.new@example.com", "email_change_confirm")
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	h.post("/api/v1/invitations", admin, map[string]any{"email": "nina@example.com"}).want(http.StatusCreated)
	invitation := h.linkToken(admin, "nina@example.com", "invitation")

	onB := *h
	onB.host = tnHostB
	onB.patchSettings(onB.login("boss@b.example.com", "Kq-d040e-001e1").AccessToken,
		map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	b := onB.browser()
	b.get("/reset-password?token=" + url.QueryEscape(reset))
	b.post("/reset-password", url.Values{"token": {reset}, "password": {"marigold-ferry-42-quartz"}}).
		want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")
	b.get("/confirm-email?token=" + url.QueryEscape(confirm))
	b.post("/confirm-email", url.Values{"token": {confirm}}).want(t, http.StatusUnauthorized).wantText(t, "This link no longer works")
	b.get("/signup?invitation="+url.QueryEscape(invitation)).want(t, http.StatusUnauthorized).wantText(t, "This invitation no longer works")

	// Nothing was used up: each link still works on its own tenant.
	a := h.browser()
	a.get("/reset-password?token=" + url.QueryEscape(reset))
	a.post("/reset-password", url.Values{"token": {reset}, "password": {"marigold-ferry-42-quartz"}}).want(t, http.StatusOK)
	a.get("/signup?invitation="+url.QueryEscape(invitation)).want(t, http.StatusOK)
	if a.last.input("invitation") != invitation {
		t.Fatal("the invitation does not work on its own tenant")
	}
}

// Two browsers posting the same link at once: exactly one uses it.
func TestVerifyLinkUsedOnce(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	openSignup(h, admin)
	register(h, "uno@example.com", goodPassword, "Uno", nil).want(http.StatusCreated)
	tok := h.linkToken(admin, "uno@example.com", "verify_email")
	reqs := make([]*http.Request, 2)
	clients := make([]*http.Client, 2)
	for i := range reqs {
		b := h.browser()
		b.get("/verify-email?token="+url.QueryEscape(tok)).want(t, http.StatusOK)
		form := url.Values{"csrf": {b.last.input("csrf")}, "token": {tok}}
		r, err := http.NewRequest(http.MethodPost, h.ts.URL+"/verify-email", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		reqs[i], clients[i] = r, b.client
	}
	statuses := make(chan int, len(reqs))
	for i := range reqs {
		go func() {
			res, err := clients[i].Do(reqs[i])
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	got := map[int]int{}
	for range reqs {
		got[<-statuses]++
	}
	if got[http.StatusOK] != 1 || got[http.StatusUnauthorized] != 1 {
		t.Fatalf("statuses %v, want one 200 and one 401", got)
	}
}
