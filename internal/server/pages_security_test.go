package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/passkey/passkeytest"
)

// securityUser creates ada with a verified address and signs browser b in
// with her password.
func securityUser(t *testing.T, h *harness, b *browser) {
	t.Helper()
	h.post("/api/v1/users", h.admin(), map[string]any{"email": "ada@example.com", "name": "Ada", "password": adaPassword,
		"email_verified": true}).want(http.StatusCreated)
	signIn(t, b, "ada@example.com", adaPassword)
}

var secretPattern = regexp.MustCompile(`<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>`)

// pageSecret is the TOTP seed an enrolment page shows for typing in.
func pageSecret(t *testing.T, p *page) string {
	t.Helper()
	m := secretPattern.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no secret on the page: %s", p.text())
	}
	return strings.ReplaceAll(m[1], " ", "")
}

// enrolTOTPPage sets up an authenticator through the enrolment page the
// browser is on (whose form posts to confirm) and returns its seed.
func enrolTOTPPage(t *testing.T, h *harness, b *browser, begin, confirm string) string {
	t.Helper()
	setup := b.post(begin, url.Values{}).want(t, http.StatusOK)
	if !strings.Contains(setup.Body, `<img class="qr" src="data:image/png;base64,`) || !strings.Contains(setup.Body, `alt="QR code`) {
		t.Fatalf("the enrolment page shows no QR code image: %s", setup.Body)
	}
	if !strings.Contains(setup.Body, `autocomplete="one-time-code"`) {
		t.Error("the code field is not marked as a one-time code")
	}
	secret := pageSecret(t, setup)
	if strings.Contains(setup.Body, "otpauth") || strings.Contains(setup.Body, `value="`+secret) {
		t.Fatal("the enrolment's seed travels in the form")
	}

	good := totpAt(t, secret, h.clock.Now())
	n, _ := strconv.Atoi(good)
	wrong := b.post(confirm, url.Values{"code": {fmt.Sprintf("%06d", (n+500000)%1000000)}})
	if wrong.Status != http.StatusBadRequest || !strings.Contains(wrong.Body, `aria-describedby="e-code"`) ||
		!strings.Contains(wrong.text(), "This code is not right") {
		t.Fatalf("a wrong code: %d %s", wrong.Status, wrong.text())
	}
	if pageSecret(t, wrong) != secret {
		t.Fatal("after a wrong code the page shows another secret")
	}
	done := b.post(confirm, url.Values{"code": {good}})
	if done.Status != http.StatusSeeOther {
		t.Fatalf("confirming the right code: %d %s", done.Status, done.text())
	}
	return secret
}

// signOut signs browser b out through the pages.
func signOut(t *testing.T, b *browser) {
	t.Helper()
	b.get("/logout")
	b.post("/logout", url.Values{}).want(t, http.StatusSeeOther)
}

// passwordStep posts the password at /login and returns the second step's
// page, which it wants.
func passwordStep(t *testing.T, b *browser, email string) *page {
	t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"email": {email}, "password": {adaPassword}})
	loc := p.Header.Get("Location")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login/mfa?") {
		t.Fatalf("sign-in of %s: %d to %q, want the second step", email, p.Status, loc)
	}
	return b.get(loc).want(t, http.StatusOK)
}

// secondStep answers the second step with a code.
func secondStep(b *browser, method, code string) *page {
	last := b.last
	return b.post("/login/mfa", url.Values{"method": {method}, "code": {code},
		"methods": {last.input("methods")}, "return_to": {last.input("return_to")}})
}

func TestPagesSecurityTOTP(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	securityUser(t, h, b)
	overview := b.get("/account/security").want(t, http.StatusOK)
	if !strings.Contains(overview.text(), "Set up an authenticator app") || !strings.Contains(overview.text(), "Recovery codes stand in for a lost second factor") {
		t.Fatalf("the overview without factors: %s", overview.text())
	}
	secret := enrolTOTPPage(t, h, b, "/account/security/totp", "/account/security/totp/confirm")
	if p := b.get("/account/security?done=totp_on"); !strings.Contains(p.text(), "The authenticator app is on.") ||
		!strings.Contains(p.text(), "Turn off the authenticator app") {
		t.Fatalf("after enrolling: %s", p.text())
	}

	signOut(t, b)
	passwordStep(t, b, "ada@example.com")
	wrong := secondStep(b, "totp", fmt.Sprintf("%06d", 0))
	if wrong.Status != http.StatusUnauthorized || !strings.Contains(wrong.Body, `aria-describedby="e-code"`) ||
		!strings.Contains(wrong.text(), "The code is not correct.") || strings.Contains(wrong.text(), "password") || b.cookie("gatehouse") != "" {
		t.Fatalf("a wrong code at sign-in: %d %s", wrong.Status, wrong.text())
	}
	// The code that confirmed the enrolment was used up with it.
	used := totpAt(t, secret, h.clock.Now())
	if p := secondStep(b, "totp", used); p.Status < 400 || b.cookie("gatehouse") != "" {
		t.Fatalf("the enrolment's code again: %d", p.Status)
	}
	h.clock.Advance(30 * time.Second)
	code := totpAt(t, secret, h.clock.Now())
	if p := secondStep(b, "totp", code); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/account" || b.cookie("gatehouse") == "" {
		t.Fatalf("the right code: %d to %q", p.Status, p.Header.Get("Location"))
	}

	// The same code once more, in a sign-in of its own, is refused.
	signOut(t, b)
	passwordStep(t, b, "ada@example.com")
	if p := secondStep(b, "totp", code); p.Status < 400 || b.cookie("gatehouse") != "" {
		t.Fatalf("a code used twice: %d", p.Status)
	}
}

var recoveryPattern = regexp.MustCompile(`\b[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}\b`)

func TestPagesSecurityRecoveryCodes(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	securityUser(t, h, b)
	b.get("/account/security")
	secret := enrolTOTPPage(t, h, b, "/account/security/totp", "/account/security/totp/confirm")
	// New codes need a recent second factor.
	b.get("/account/security")
	if p := b.post("/account/security/recovery-codes", url.Values{}); !strings.HasPrefix(p.Header.Get("Location"), "/account/reauth?") {
		t.Fatalf("recovery codes without a step-up: %d to %q", p.Status, p.Header.Get("Location"))
	}
	signOut(t, b)
	passwordStep(t, b, "ada@example.com")
	h.clock.Advance(30 * time.Second)
	secondStep(b, "totp", totpAt(t, secret, h.clock.Now())).want(t, http.StatusSeeOther)
	if !strings.Contains(b.get("/account/security").text(), "You have no recovery codes yet.") {
		t.Fatalf("the overview before making codes: %s", b.last.text())
	}
	shown := b.post("/account/security/recovery-codes", url.Values{}).want(t, http.StatusOK)
	codes := recoveryPattern.FindAllString(shown.text(), -1)
	if len(codes) != 10 || shown.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("recovery codes page: %d codes, Cache-Control %q: %s", len(codes), shown.Header.Get("Cache-Control"), shown.text())
	}
	if !strings.Contains(shown.text(), "shown only now") {
		t.Errorf("the codes page does not say they are shown once: %s", shown.text())
	}
	for _, c := range b.client.Jar.Cookies(mustURL(t, h.ts.URL)) {
		if strings.Contains(c.Value, codes[0]) {
			t.Fatalf("a recovery code is in cookie %s", c.Name)
		}
	}
	overview := b.get("/account/security")
	if recoveryPattern.MatchString(overview.text()) || !strings.Contains(overview.text(), "Unused recovery codes: 10") {
		t.Fatalf("the overview after making codes: %s", overview.text())
	}

	signOut(t, b)
	passwordStep(t, b, "ada@example.com")
	b.get("/login/mfa?"+url.Values{"methods": {"totp recovery_code"}, "method": {"recovery_code"}}.Encode()).want(t, http.StatusOK)
	if p := secondStep(b, "recovery_code", codes[3]); p.Status != http.StatusSeeOther || b.cookie("gatehouse") == "" {
		t.Fatalf("signing in with a recovery code: %d %s", p.Status, p.text())
	}
	if !strings.Contains(b.get("/account/security").text(), "Unused recovery codes: 9") {
		t.Error("the used recovery code still counts")
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPagesSecurityEmailCodes(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	b := h.browser()
	securityUser(t, h, b)
	b.get("/account/security")
	b.post("/account/security/email", url.Values{}).want(t, http.StatusSeeOther)
	if p := b.get("/account/security?done=email_on"); !strings.Contains(p.text(), "Codes by email are on.") {
		t.Fatalf("after turning email codes on: %s", p.text())
	}

	signOut(t, b)
	step := passwordStep(t, b, "ada@example.com")
	b.get("/login/mfa?"+url.Values{"methods": {step.input("methods")}, "method": {"email"}}.Encode()).want(t, http.StatusOK)
	sent := b.post("/login/mfa/email", url.Values{"methods": {b.last.input("methods")}, "return_to": {"/account/security"}})
	if sent.Status != http.StatusSeeOther {
		t.Fatalf("sending a code: %d %s", sent.Status, sent.text())
	}
	b.get(sent.Header.Get("Location")).want(t, http.StatusOK)
	code := mailedCode(t, h, admin, "ada@example.com")
	if p := secondStep(b, "email", code); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/account/security" {
		t.Fatalf("the mailed code: %d to %q: %s", p.Status, p.Header.Get("Location"), p.text())
	}

	// A user whose address nobody verified cannot turn them on.
	h.createUser(admin, "bob@example.com", adaPassword)
	bob := h.browser()
	signIn(t, bob, "bob@example.com", adaPassword)
	if p := bob.get("/account/security"); !strings.Contains(p.text(), "verify your email address first") {
		t.Fatalf("an unverified user's overview: %s", p.text())
	}
	if p := bob.post("/account/security/email", url.Values{}); p.Status != http.StatusForbidden || !strings.Contains(p.text(), "verify your email address first") {
		t.Fatalf("an unverified user turning email codes on: %d %s", p.Status, p.text())
	}
}

func TestPagesSecurityStepUp(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	securityUser(t, h, b)
	b.get("/account/security")
	secret := enrolTOTPPage(t, h, b, "/account/security/totp", "/account/security/totp/confirm")
	signOut(t, b)
	passwordStep(t, b, "ada@example.com")
	h.clock.Advance(30 * time.Second)
	secondStep(b, "totp", totpAt(t, secret, h.clock.Now())).want(t, http.StatusSeeOther)

	h.clock.Advance(mfa.StepUpWindow + time.Minute)
	b.get("/account/security")
	p := b.post("/account/security/totp/disable", url.Values{})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/account/reauth?return_to=%2Faccount%2Fsecurity" {
		t.Fatalf("disabling TOTP in an old session: %d to %q", p.Status, p.Header.Get("Location"))
	}
	if !strings.Contains(b.get("/account/security").text(), "Turn off the authenticator app") {
		t.Fatal("TOTP went off without a step-up")
	}

	// Right after a second factor, it goes off.
	signOut(t, b)
	passwordStep(t, b, "ada@example.com")
	secondStep(b, "totp", totpAt(t, secret, h.clock.Now())).want(t, http.StatusSeeOther)
	b.get("/account/security")
	if p := b.post("/account/security/totp/disable", url.Values{}); p.Header.Get("Location") != "/account/security?done=totp_off" {
		t.Fatalf("disabling TOTP in a fresh session: %d to %q", p.Status, p.Header.Get("Location"))
	}
	if !strings.Contains(b.get("/account/security?done=totp_off").text(), "The authenticator app is off.") {
		t.Fatal("the overview does not show TOTP off")
	}
}

func TestPagesSecurityCSRF(t *testing.T) {
	h := newHarness(t, nil)
	b, other := h.browser(), h.browser()
	securityUser(t, h, b)
	other.get("/login")
	b.get("/account/security")
	for name, form := range map[string]url.Values{
		"none":    {"csrf": {""}},
		"another": {"csrf": {other.last.input("csrf")}},
	} {
		for _, path := range []string{"/account/security/email", "/account/security/recovery-codes", "/account/security/totp"} {
			if p := b.post(path, form); p.Status != http.StatusForbidden {
				t.Errorf("%s token at %s: %d", name, path, p.Status)
			}
		}
	}
	p := b.get("/account/security")
	if !strings.Contains(p.text(), "Turn on codes by email") || !strings.Contains(p.text(), "Set up an authenticator app") {
		t.Fatalf("a refused form changed something: %s", p.text())
	}
	// The passkey script's request needs the token too.
	if p := b.postRaw("/account/security/passkeys/begin", url.Values{}, map[string]string{"Sec-Fetch-Site": "same-origin"}); p.Status != http.StatusForbidden {
		t.Errorf("passkey options without a token: %d", p.Status)
	}
}

func TestPagesEnrollment(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/users", admin, map[string]any{"email": "ada@example.com", "name": "Ada", "password": adaPassword,
		"email_verified": true}).want(http.StatusCreated)
	h.patchSettings(admin, map[string]any{"mfa": map[string]any{"policy": "required"}})

	b := h.browser()
	if p := b.get("/login/enroll"); p.Status != http.StatusUnauthorized || !strings.Contains(p.text(), "start again") {
		t.Fatalf("the enrolment page without a sign-in: %d %s", p.Status, p.text())
	}
	b.get("/login")
	p := b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {adaPassword}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login/enroll" || !strings.HasPrefix(b.cookie("gatehouse-step"), "ghe_") ||
		b.cookie("gatehouse") != "" {
		t.Fatalf("sign-in under a required policy: %d to %q", p.Status, p.Header.Get("Location"))
	}
	choice := b.get("/login/enroll").want(t, http.StatusOK)
	if !strings.Contains(choice.text(), "requires a second factor") || !strings.Contains(choice.text(), "Turn on codes by email") {
		t.Fatalf("the enrolment page: %s", choice.text())
	}
	secret := enrolTOTPPage(t, h, b, "/login/enroll/totp", "/login/enroll/totp/confirm")
	if loc := b.last.Header.Get("Location"); loc != "/login/enroll/done" || b.cookie("gatehouse-step") != "" || b.cookie("gatehouse") != "" {
		t.Fatalf("after enrolling: to %q, step cookie %q", loc, b.cookie("gatehouse-step"))
	}
	done := b.get("/login/enroll/done").want(t, http.StatusOK)
	if !strings.Contains(done.text(), "sign in again") || !strings.Contains(done.Body, `href="/login"`) {
		t.Fatalf("the enrolment's end: %s", done.text())
	}
	if p := b.post("/login/enroll/email", url.Values{"csrf": {b.cookie("gatehouse-csrf")}}); p.Status != http.StatusUnauthorized {
		t.Fatalf("the enrolment after its end: %d", p.Status)
	}

	passwordStep(t, b, "ada@example.com")
	h.clock.Advance(30 * time.Second)
	secondStep(b, "totp", totpAt(t, secret, h.clock.Now())).want(t, http.StatusSeeOther)
	if b.cookie("gatehouse") == "" {
		t.Fatal("no session after signing in with the enrolled factor")
	}

	// The policy keeps the last factor, even in a fresh session.
	b.get("/account/security")
	off := b.post("/account/security/totp/disable", url.Values{})
	if off.Status != http.StatusUnprocessableEntity || !strings.Contains(off.text(), "Your organization requires a second factor") {
		t.Fatalf("turning off the last required factor: %d %s", off.Status, off.text())
	}
	if !strings.Contains(b.get("/account/security").text(), "Turn off the authenticator app") {
		t.Fatal("the required factor went off")
	}
}

func TestPagesEnrollmentEmail(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "bob@example.com", adaPassword)
	h.post("/api/v1/users", admin, map[string]any{"email": "ada@example.com", "name": "Ada", "password": adaPassword,
		"email_verified": true}).want(http.StatusCreated)
	h.patchSettings(admin, map[string]any{"mfa": map[string]any{"policy": "required"}})

	// Bob's address is not verified: email codes are not offered, and
	// refused when asked for.
	bob := h.browser()
	bob.get("/login")
	bob.post("/login", url.Values{"email": {"bob@example.com"}, "password": {adaPassword}}).want(t, http.StatusSeeOther)
	if p := bob.get("/login/enroll"); strings.Contains(p.text(), "Turn on codes by email") {
		t.Fatalf("email codes offered to an unverified address: %s", p.text())
	}
	if p := bob.post("/login/enroll/email", url.Values{}); p.Status != http.StatusForbidden || !strings.Contains(p.text(), "verify your email address first") {
		t.Fatalf("email codes for an unverified address: %d %s", p.Status, p.text())
	}

	b := h.browser()
	b.get("/login")
	b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {adaPassword}}).want(t, http.StatusSeeOther)
	b.get("/login/enroll")
	if p := b.post("/login/enroll/email", url.Values{}); p.Header.Get("Location") != "/login/enroll/done" {
		t.Fatalf("enrolling email codes: %d to %q", p.Status, p.Header.Get("Location"))
	}
	step := passwordStep(t, b, "ada@example.com")
	if step.input("method") != "email" {
		t.Fatalf("the second step offers %q, want email", step.input("method"))
	}
}

func TestPagesSecurityPasskeys(t *testing.T) {
	h := passkeyHarness(t, nil)
	b := h.browser()
	securityUser(t, h, b)
	overview := b.get("/account/security").want(t, http.StatusOK)
	if !strings.Contains(overview.Body, `data-passkey="register"`) || !strings.Contains(overview.Body, `src="/assets/passkey.js"`) ||
		!strings.Contains(overview.text(), "You have no passkeys yet.") {
		t.Fatalf("the passkeys section: %s", overview.Body)
	}
	csrf := overview.input("csrf")
	begin := b.postRaw("/account/security/passkeys/begin", url.Values{},
		map[string]string{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin", "Origin": h.ts.URL}).want(t, http.StatusOK)
	if b.cookie("gatehouse-register") == "" {
		t.Fatal("no registration cookie")
	}
	reg, err := passkeytest.New(rpOrigin).Create(json.RawMessage(begin.Body))
	if err != nil {
		t.Fatal(err)
	}
	credential := string(encodeRegistration(t, reg))
	added := b.post("/account/security/passkeys", url.Values{"csrf": {csrf}, "name": {"<b>Laptop</b>"}, "credential": {credential}})
	if added.Header.Get("Location") != "/account/security?done=passkey_added" || b.cookie("gatehouse-register") != "" {
		t.Fatalf("finishing the registration: %d to %q: %s", added.Status, added.Header.Get("Location"), added.text())
	}
	list := b.get("/account/security?done=passkey_added")
	if !strings.Contains(list.Body, "&lt;b&gt;Laptop&lt;/b&gt;") || !strings.Contains(list.text(), "The passkey was added.") {
		t.Fatalf("the list after adding: %s", list.Body)
	}
	// The ceremony is used up: its answer does not register twice.
	again := b.post("/account/security/passkeys", url.Values{"name": {"Again"}, "credential": {credential}})
	if again.Status != http.StatusBadRequest || !strings.Contains(again.text(), "could not be added") {
		t.Fatalf("a registration replayed: %d %s", again.Status, again.text())
	}

	id := regexp.MustCompile(`/account/security/passkeys/([0-9a-f-]+)/rename`).FindStringSubmatch(list.Body)
	if id == nil {
		t.Fatalf("no rename form: %s", list.Body)
	}
	b.get("/account/security")
	if p := b.post("/account/security/passkeys/"+id[1]+"/rename", url.Values{"name": {"Work laptop"}}); p.Header.Get("Location") != "/account/security?done=passkey_renamed" {
		t.Fatalf("renaming: %d %s", p.Status, p.text())
	}
	// Now a factor guards the account, and the session passed none:
	// removing one, or adding another, needs a step-up first.
	renamed := b.get("/account/security")
	if !strings.Contains(renamed.text(), "Work laptop") || !strings.Contains(renamed.text(), "confirm that it is you first") ||
		strings.Contains(renamed.Body, `data-passkey="register"`) {
		t.Fatalf("the list after renaming: %s", renamed.text())
	}
	if p := b.post("/account/security/passkeys/"+id[1]+"/delete", url.Values{}); !strings.HasPrefix(p.Header.Get("Location"), "/account/reauth?") {
		t.Fatalf("deleting without step-up: %d to %q", p.Status, p.Header.Get("Location"))
	}
	if !strings.Contains(b.get("/account/security").text(), "Work laptop") {
		t.Fatal("the passkey went without a step-up")
	}
}
