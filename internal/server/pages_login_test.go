package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// signIn signs browser b in through /login and fails the test unless it
// lands on /account.
func signIn(t *testing.T, b *browser, email, password string) {
	t.Helper()
	b.get("/login").want(t, http.StatusOK)
	p := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/account" {
		t.Fatalf("sign-in: %d to %q: %s", p.Status, p.Header.Get("Location"), p.text())
	}
	if b.cookie("gatehouse") == "" {
		t.Fatal("no session cookie after sign-in")
	}
}

func TestPagesLogin(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	p := b.get("/login?return_to=/logout").want(t, http.StatusOK)
	for _, want := range []string{`autocomplete="username webauthn"`, `autocomplete="current-password"`, `<label for="f-email">`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the login page lacks %s", want)
		}
	}
	before := b.cookie("gatehouse-csrf")

	wrong := b.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong-password-1"}, "return_to": {"/logout"}})
	if wrong.Status != http.StatusUnauthorized || !strings.Contains(wrong.text(), "email address or password is not correct") {
		t.Fatalf("wrong password: %d %s", wrong.Status, wrong.text())
	}
	if wrong.input("email") != adminEmail || wrong.input("password") != "" {
		t.Errorf("the form shows email %q and password %q again", wrong.input("email"), wrong.input("password"))
	}

	ok := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "return_to": {"/logout"}})
	if ok.Status != http.StatusSeeOther || ok.Header.Get("Location") != "/logout" {
		t.Fatalf("sign-in: %d to %q", ok.Status, ok.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: ok.Header}).Cookies() {
		if c.Name == "gatehouse" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || !session.Expires.IsZero() {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, path /, no expiry without keep-me-signed-in", session)
	}
	if b.cookie("gatehouse-csrf") == before {
		t.Error("the CSRF token was not replaced at sign-in")
	}

	// The browser's session is an account session like the API's.
	admin := h.admin()
	var sessions struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/me/sessions", admin).want(http.StatusOK).Decode(&sessions)
	if len(sessions.Data) != 2 {
		t.Fatalf("sessions: %v, want the browser's and the API's", sessions.Data)
	}

	// The sign-out page asks first; the form signs out; replaying it fails.
	confirm := b.get("/logout").want(t, http.StatusOK)
	if !strings.Contains(confirm.text(), "signed in as "+adminEmail) {
		t.Fatalf("logout page: %s", confirm.text())
	}
	form := url.Values{"csrf": {confirm.input("csrf")}}
	out := b.post("/logout", form)
	if out.Status != http.StatusSeeOther || b.cookie("gatehouse") != "" {
		t.Fatalf("sign-out: %d, cookie %q", out.Status, b.cookie("gatehouse"))
	}
	if !strings.Contains(b.get("/logout").text(), "You are signed out") {
		t.Error("after sign-out the page does not say so")
	}
	b.post("/logout", form).want(t, http.StatusForbidden)
	h.get("/api/v1/me/sessions", admin).want(http.StatusOK).Decode(&sessions)
	if len(sessions.Data) != 1 {
		t.Fatalf("after sign-out: %d sessions, want 1", len(sessions.Data))
	}
}

func TestPagesLoginKeepSignedIn(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	b.get("/login")
	p := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "keep": {"on"}})
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "gatehouse" {
			session = c
		}
	}
	if session == nil || session.Expires.Before(h.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("keep me signed in: the session cookie is %+v, want one lasting beyond a day", session)
	}
}

func TestPagesReturnTo(t *testing.T) {
	h := newHarness(t, nil)
	for _, bad := range []string{"//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/\t/evil.example"} {
		b := h.browser()
		b.get("/login?return_to=" + url.QueryEscape(bad))
		if got := b.last.input("return_to"); got != "/account" {
			t.Errorf("return_to %q shows as %q", bad, got)
		}
		p := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "return_to": {bad}})
		if loc := p.Header.Get("Location"); loc != "/account" {
			t.Errorf("return_to %q leads to %q", bad, loc)
		}
	}
}

func TestPagesLoginCSRF(t *testing.T) {
	h := newHarness(t, nil)
	a, other := h.browser(), h.browser()
	a.get("/login")
	other.get("/login")
	for name, form := range map[string]url.Values{
		"none":    {"email": {adminEmail}, "password": {adminPassword}, "csrf": {""}},
		"another": {"email": {adminEmail}, "password": {adminPassword}, "csrf": {other.last.input("csrf")}},
	} {
		p := a.post("/login", form)
		if p.Status != http.StatusForbidden || a.cookie("gatehouse") != "" {
			t.Errorf("%s token: %d, signed in %v", name, p.Status, a.cookie("gatehouse") != "")
		}
	}
}

func TestPagesSessionEndedElsewhere(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	if p := b.get("/logout"); !strings.Contains(p.text(), "signed in as") {
		t.Fatalf("signed-in logout page: %s", p.text())
	}
	h.post("/api/v1/auth/logout", h.admin(), map[string]any{"all_sessions": true}).want(http.StatusNoContent)
	if p := b.get("/logout"); !strings.Contains(p.text(), "You are signed out") {
		t.Fatalf("after every session ended: %s", p.text())
	}
	if b.cookie("gatehouse") != "" {
		t.Error("the dead session cookie was not removed")
	}
}

// A sign-in over a browser's session ends that session: on a shared
// computer the earlier user's session must not live on out of reach.
func TestPagesSignInEndsTheBrowsersEarlierSession(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "bob@example.com", goodPassword)
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	earlier := b.cookie("gatehouse")
	// A second tab's sign-in form, opened before the first sign-in.
	p := b.post("/login", url.Values{"email": {"bob@example.com"}, "password": {goodPassword}, "csrf": {b.cookie("gatehouse-csrf")}})
	if p.Status != http.StatusSeeOther || b.cookie("gatehouse") == earlier {
		t.Fatalf("second sign-in: %d", p.Status)
	}
	stale := h.browser()
	stale.client.Jar.SetCookies(mustURL(t, h.ts.URL), []*http.Cookie{{Name: "gatehouse", Value: earlier, Path: "/"}})
	if p := stale.get("/account"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login") {
		t.Fatalf("the earlier session's cookie still signs in: %d %s", p.Status, p.Header.Get("Location"))
	}
}
