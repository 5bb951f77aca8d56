package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// accountPages are the /account pages of this group, each for a signed-in
// browser only.
var accountPages = []string{"/account", "/account/password", "/account/email", "/account/sessions", "/account/tokens", "/account/reauth"}

// wantLogin fails the test unless p sends the browser to sign in first,
// to come back to back.
func wantLogin(t *testing.T, p *page, back string) {
	t.Helper()
	want := "/login?return_to=" + url.QueryEscape(back)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != want {
		t.Fatalf("%d to %q, want a redirect to %q", p.Status, p.Header.Get("Location"), want)
	}
}

// wantDone fails the test unless p is the redirect after a form to page
// with the notice done.
func wantDone(t *testing.T, p *page, page, done string) {
	t.Helper()
	if want := page + "?done=" + done; p.Status != http.StatusSeeOther || p.Header.Get("Location") != want {
		t.Fatalf("%d to %q, want a redirect to %q: %s", p.Status, p.Header.Get("Location"), want, p.text())
	}
}

// formIDs are the ids in the actions of a page's forms of the shape
// /prefix/{id}/suffix.
func formIDs(p *page, prefix, suffix string) []string {
	re := regexp.MustCompile(`action="` + regexp.QuoteMeta(prefix) + `([^/"]+)` + regexp.QuoteMeta(suffix) + `"`)
	var ids []string
	for _, m := range re.FindAllStringSubmatch(p.Body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

var patSecret = regexp.MustCompile(`gtpat_[A-Za-z0-9_-]+`)

func TestPagesAccountSignedInOnly(t *testing.T) {
	h := newHarness(t, nil)
	visitor := h.browser()
	for _, path := range accountPages {
		wantLogin(t, visitor.get(path), path)
	}
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	for _, path := range accountPages {
		p := b.get(path).want(t, http.StatusOK)
		if path != "/account/reauth" && !strings.Contains(p.Body, `<nav class="account"`) {
			t.Errorf("%s lacks the account navigation", path)
		}
		if path != "/account/reauth" && !strings.Contains(p.Body, `href="/logout"`) {
			t.Errorf("%s has no way to sign out", path)
		}
	}
	// A visitor's form goes to the sign-in page too.
	visitor.get("/login")
	wantLogin(t, visitor.post("/account/name", url.Values{"name": {"x"}}), "/account/name")
}

func TestPagesAccountName(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	b.get("/account").want(t, http.StatusOK)

	const name = `<b>Ada</b> & "Co"`
	wantDone(t, b.post("/account/name", url.Values{"name": {"  " + name + "  "}}), "/account", "name")
	if got := h.get("/api/v1/me", admin).want(http.StatusOK).JSON()["name"]; got != name {
		t.Fatalf("name %q, want %q", got, name)
	}
	p := b.get("/account?done=name").want(t, http.StatusOK)
	if !strings.Contains(p.text(), "Your name was saved") || !strings.Contains(p.text(), name) {
		t.Fatalf("after the change: %s", p.text())
	}
	for _, path := range accountPages {
		if body := b.get(path).Body; strings.Contains(body, "<b>Ada") {
			t.Errorf("%s shows the name as HTML", path)
		}
	}
	events := h.auditEvents(admin, "action=user.updated")
	if len(events) == 0 {
		t.Fatal("no user.updated event")
	}
	adminID := h.get("/api/v1/me", admin).JSON()["id"]
	if actor, _ := events[0]["actor"].(map[string]any); actor["type"] != "user" || actor["id"] != adminID {
		t.Errorf("user.updated by %v, want the user", events[0]["actor"])
	}

	b.get("/account")
	long := b.post("/account/name", url.Values{"name": {strings.Repeat("n", 201)}}).want(t, http.StatusBadRequest)
	if !strings.Contains(long.Body, `aria-describedby="e-name"`) || !strings.Contains(long.text(), "at most 200 characters") {
		t.Fatalf("too long a name: %s", long.text())
	}
	if got := h.get("/api/v1/me", admin).JSON()["name"]; got != name {
		t.Errorf("a refused name changed it to %q", got)
	}
}

func TestUpdateMe(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	pat := h.createPAT(admin, map[string]any{"name": "script"}).Token
	h.get("/api/v1/me", pat).want(http.StatusOK)
	me := h.patch("/api/v1/me", admin, map[string]any{"name": " Grace Hopper "}).want(http.StatusOK).JSON()
	if me["name"] != "Grace Hopper" || me["email"] != adminEmail || me["permissions"] == nil {
		t.Fatalf("PATCH /me answered %v", me)
	}
	if got := h.get("/api/v1/me", admin).JSON()["name"]; got != "Grace Hopper" {
		t.Errorf("GET /me after the change: %q", got)
	}
	// A personal access token's caller shows the change at once too.
	if got := h.get("/api/v1/me", pat).JSON()["name"]; got != "Grace Hopper" {
		t.Errorf("GET /me with a token after the change: %q", got)
	}
	h.patch("/api/v1/me", admin, map[string]any{"name": "Grace\x07"}).wantError(http.StatusBadRequest, "invalid_request")
	h.patch("/api/v1/me", admin, map[string]any{"name": strings.Repeat("n", 201)}).wantError(http.StatusBadRequest, "invalid_request")
	h.patch("/api/v1/me", admin, map[string]any{"name": "x", "email": "other@example.com"}).wantError(http.StatusBadRequest, "invalid_request")
	h.patch("/api/v1/me", "", map[string]any{"name": "x"}).want(http.StatusUnauthorized)
	token := h.createPAT(admin, map[string]any{"name": "ci"})
	h.patch("/api/v1/me", token.Token, map[string]any{"name": "x"}).want(http.StatusForbidden)
	if got := h.get("/api/v1/me", admin).JSON()["name"]; got != "Grace Hopper" {
		t.Errorf("a refused change left the name %q", got)
	}
}

func TestPagesAccountPassword(t *testing.T) {
	h := newHarness(t, nil)
	h.createUser(h.admin(), "bo@example.com", adaPassword)
	b := h.browser()
	signIn(t, b, "bo@example.com", adaPassword)
	p := b.get("/account/password").want(t, http.StatusOK)
	for _, want := range []string{`autocomplete="current-password"`, `autocomplete="new-password"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the password page lacks %s", want)
		}
	}
	wrong := b.post("/account/password", url.Values{"current_password": {"not-my-password-9"}, "new_password": {"Lantern-Orbit-5521"}}).
		want(t, http.StatusUnauthorized)
	if !strings.Contains(wrong.Body, `aria-describedby="e-current_password"`) {
		t.Errorf("a wrong current password is not shown next to its field: %s", wrong.text())
	}
	weak := b.post("/account/password", url.Values{"current_password": {adaPassword}, "new_password": {"short"}}).want(t, http.StatusBadRequest)
	if !strings.Contains(weak.Body, `aria-describedby="e-new_password"`) || !strings.Contains(weak.text(), "Use at least") {
		t.Errorf("a policy error is not shown next to the new password: %s", weak.text())
	}
	wantDone(t, b.post("/account/password", url.Values{"current_password": {adaPassword}, "new_password": {"Lantern-Orbit-5521"}}),
		"/account/password", "password")
	if !strings.Contains(b.get("/account/password?done=password").text(), "Your password was changed") {
		t.Error("no notice after the change")
	}
	h.post("/api/v1/auth/login", "", map[string]any{"email": "bo@example.com", "password": adaPassword}).want(http.StatusUnauthorized)
	h.login("bo@example.com", "Lantern-Orbit-5521")
}

func TestPagesAccountEmail(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "cy@example.com", adaPassword)
	b := h.browser()
	signIn(t, b, "cy@example.com", adaPassword)
	b.get("/account/email").want(t, http.StatusOK)
	bad := b.post("/account/email", url.Values{"new_email": {"not an address"}, "password": {adaPassword}}).want(t, http.StatusBadRequest)
	if !strings.Contains(bad.Body, `aria-describedby="e-new_email"`) || bad.input("new_email") != "not an address" {
		t.Errorf("a bad address: %s", bad.text())
	}
	wrong := b.post("/account/email", url.Values{"new_email": {"cy2@example.com"}, "password": {"wrong-password-1"}}).want(t, http.StatusUnauthorized)
	if !strings.Contains(wrong.Body, `aria-describedby="e-password"`) {
		t.Errorf("a wrong password is not shown next to its field: %s", wrong.text())
	}
	if len(h.mailsTo(admin, "cy2@example.com")) != 0 {
		t.Fatal("a refused change sent mail")
	}
	wantDone(t, b.post("/account/email", url.Values{"new_email": {"cy2@example.com"}, "password": {adaPassword}}), "/account/email", "email")
	if !strings.Contains(b.get("/account/email?done=email").text(), "Check your new mailbox") {
		t.Error("no notice after the request")
	}
	h.linkToken(admin, "cy2@example.com", "email_change_confirm")
}

func TestPagesAccountSessions(t *testing.T) {
	h := newHarness(t, nil)
	h.createUser(h.admin(), "di@example.com", adaPassword)
	a, b := h.browser(), h.browser()
	signIn(t, a, "di@example.com", adaPassword)
	signIn(t, b, "di@example.com", adaPassword)

	p := a.get("/account/sessions").want(t, http.StatusOK)
	if strings.Count(p.text(), "This session") != 1 {
		t.Fatalf("the sessions page marks %d sessions as this one: %s", strings.Count(p.text(), "This session"), p.text())
	}
	others := formIDs(p, "/account/sessions/", "/end")
	if len(others) != 1 {
		t.Fatalf("forms to end %v, want the other browser's only", others)
	}
	wantDone(t, a.post("/account/sessions/"+others[0]+"/end", url.Values{}), "/account/sessions", "session")
	wantLogin(t, b.get("/account"), "/account")
	a.get("/account").want(t, http.StatusOK)

	a.get("/account")
	a.post("/account/sessions/"+others[0]+"/end", url.Values{}).want(t, http.StatusNotFound)

	// Ending this browser's own session is signing out, confirmed first.
	token := h.login("di@example.com", adaPassword).AccessToken
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	h.get("/api/v1/me/sessions", token).want(http.StatusOK).Decode(&list)
	shown := formIDs(a.get("/account/sessions"), "/account/sessions/", "/end")
	own := ""
	for _, s := range list.Data {
		if !slices.Contains(shown, s.ID) {
			own = s.ID
		}
	}
	if own == "" {
		t.Fatalf("sessions %v, of which the page shows %v", list.Data, shown)
	}
	if p := a.post("/account/sessions/"+own+"/end", url.Values{}); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/logout" {
		t.Fatalf("ending this session: %d to %q, want the sign-out page", p.Status, p.Header.Get("Location"))
	}
	a.get("/account").want(t, http.StatusOK)

	// "Sign out all other sessions" ends the others, API ones included.
	c := h.browser()
	signIn(t, c, "di@example.com", adaPassword)
	a.get("/account/sessions")
	wantDone(t, a.post("/account/sessions/end-others", url.Values{}), "/account/sessions", "others")
	wantLogin(t, c.get("/account/tokens"), "/account/tokens")
	h.get("/api/v1/me", token).want(http.StatusUnauthorized)
	if p := a.get("/account/sessions?done=others").want(t, http.StatusOK); len(formIDs(p, "/account/sessions/", "/end")) != 0 ||
		!strings.Contains(p.text(), "other sessions were signed out") {
		t.Errorf("after ending the others: %s", p.text())
	}
}

func TestPagesAccountTokens(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	b.get("/account/tokens").want(t, http.StatusOK)

	empty := b.post("/account/tokens", url.Values{"name": {" "}}).want(t, http.StatusBadRequest)
	if !strings.Contains(empty.Body, `aria-describedby="e-name"`) {
		t.Errorf("a token without a name: %s", empty.text())
	}
	for _, bad := range []string{"12", "abc"} {
		p := b.post("/account/tokens", url.Values{"name": {"ci"}, "expires": {bad}}).want(t, http.StatusBadRequest)
		if !strings.Contains(p.text(), "Choose one of the lifetimes offered.") {
			t.Errorf("expires=%s: %s", bad, p.text())
		}
	}

	created := b.post("/account/tokens", url.Values{"name": {"ci"}, "expires": {"7"}, "scope_mode": {"some"}, "scopes": {"users.read"}}).
		want(t, http.StatusOK)
	secret := patSecret.FindString(created.Body)
	if secret == "" || !strings.Contains(created.text(), "shown only this once") {
		t.Fatalf("the new token's secret is not shown: %s", created.text())
	}
	if b.cookie("gatehouse-csrf") == secret || strings.Contains(created.Header.Get("Location"), secret) {
		t.Error("the secret left the page's body")
	}
	list := b.get("/account/tokens").want(t, http.StatusOK)
	if strings.Contains(list.Body, secret) || !strings.Contains(list.text(), "ci") {
		t.Fatalf("the list shows the secret again, or not the token: %s", list.text())
	}
	mine := h.myPATs(admin)
	if len(mine) != 1 || !slices.Equal(mine[0].Scopes, []string{"users.read"}) ||
		!mine[0].ExpiresAt.Equal(h.clock.Now().Add(7*24*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("tokens %+v, want ci with users.read for 7 days", mine)
	}
	h.get("/api/v1/me", secret).want(http.StatusOK)

	ids := formIDs(list, "/account/tokens/", "/delete")
	if len(ids) != 1 || ids[0] != mine[0].ID {
		t.Fatalf("delete forms %v, want %s", ids, mine[0].ID)
	}
	wantDone(t, b.post("/account/tokens/"+ids[0]+"/delete", url.Values{}), "/account/tokens", "token_deleted")
	h.get("/api/v1/me", secret).want(http.StatusUnauthorized)
	if p := b.get("/account/tokens?done=token_deleted"); !strings.Contains(p.text(), "You have no tokens") {
		t.Errorf("after the deletion: %s", p.text())
	}
}

// signInTOTP signs browser b in as a user with TOTP, through both steps.
func signInTOTP(t *testing.T, h *harness, b *browser, email, password, secret string) {
	t.Helper()
	b.get("/login")
	step := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if step.Status != http.StatusSeeOther || !strings.HasPrefix(step.Header.Get("Location"), "/login/mfa?") {
		t.Fatalf("sign-in: %d to %q", step.Status, step.Header.Get("Location"))
	}
	page := b.get(step.Header.Get("Location")).want(t, http.StatusOK)
	h.clock.Advance(30 * time.Second)
	p := b.post("/login/mfa", url.Values{"method": {"totp"}, "methods": {page.input("methods")}, "return_to": {"/account"},
		"code": {totpAt(t, secret, h.clock.Now())}})
	if p.Status != http.StatusSeeOther || b.cookie("gatehouse") == "" {
		t.Fatalf("second step: %d %s", p.Status, p.text())
	}
}

func TestPagesAccountStepUp(t *testing.T) {
	h := newHarness(t, nil)
	ada := mfaUser(t, h, h.admin())
	secret := enrolTOTP(t, h, ada)
	b := h.browser()
	signInTOTP(t, h, b, "ada@example.com", adaPassword, secret)

	// Within the step-up window the sign-in's second factor is enough.
	b.get("/account/tokens")
	b.post("/account/tokens", url.Values{"name": {"fresh"}}).want(t, http.StatusOK)

	h.clock.Advance(11 * time.Minute)
	b.get("/account/tokens")
	p := b.post("/account/tokens", url.Values{"name": {"late"}})
	if want := "/account/reauth?return_to=%2Faccount%2Ftokens"; p.Status != http.StatusSeeOther || p.Header.Get("Location") != want {
		t.Fatalf("a token past the step-up window: %d to %q, want %q", p.Status, p.Header.Get("Location"), want)
	}
	reauth := b.get(p.Header.Get("Location")).want(t, http.StatusOK)
	if reauth.input("method") != "totp" || !strings.Contains(reauth.Body, `autocomplete="one-time-code"`) {
		t.Fatalf("the step-up page: %s", reauth.text())
	}
	wrong := b.post("/account/reauth", url.Values{"method": {"totp"}, "code": {"000000"}, "return_to": {"/account/tokens"}}).
		want(t, http.StatusUnauthorized)
	if !strings.Contains(wrong.Body, `aria-describedby="e-code"`) {
		t.Errorf("a wrong code is not shown next to its field: %s", wrong.text())
	}
	old := b.cookie("gatehouse")
	done := b.post("/account/reauth", url.Values{"method": {"totp"}, "code": {totpAt(t, secret, h.clock.Now())}, "return_to": {"/account/tokens"}})
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/account/tokens" {
		t.Fatalf("step-up: %d to %q: %s", done.Status, done.Header.Get("Location"), done.text())
	}
	if b.cookie("gatehouse") == old || b.cookie("gatehouse") == "" {
		t.Fatal("the session cookie was not rotated at step-up")
	}
	thief := h.browser()
	u, _ := url.Parse(h.ts.URL)
	thief.client.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse", Value: old, Path: "/"}})
	wantLogin(t, thief.get("/account"), "/account")

	b.get("/account/tokens")
	if p := b.post("/account/tokens", url.Values{"name": {"late"}}).want(t, http.StatusOK); patSecret.FindString(p.Body) == "" {
		t.Fatalf("after the step-up: %s", p.text())
	}
	// The same return_to rules as the sign-in's.
	if p := b.post("/account/reauth", url.Values{"method": {"totp"}, "code": {"123456"}, "return_to": {"//evil.example"}}); p.input("return_to") != "/account" {
		t.Errorf("return_to //evil.example shows as %q", p.input("return_to"))
	}
}

func TestPagesAccountReauthPassword(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	p := b.get("/account/reauth?return_to=/account/email").want(t, http.StatusOK)
	if p.input("method") != "password" || !strings.Contains(p.Body, `autocomplete="current-password"`) {
		t.Fatalf("the step-up page of a user without a second factor: %s", p.text())
	}
	old := b.cookie("gatehouse")
	done := b.post("/account/reauth", url.Values{"method": {"password"}, "password": {adminPassword}, "return_to": {"/account/email"}})
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/account/email" || b.cookie("gatehouse") == old {
		t.Fatalf("step-up by password: %d to %q", done.Status, done.Header.Get("Location"))
	}
}

func TestPagesAccountCSRF(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	before := h.get("/api/v1/me", admin).JSON()["name"]
	other := h.browser()
	signIn(t, other, adminEmail, adminPassword)
	sessionID := formIDs(b.get("/account/sessions"), "/account/sessions/", "/end")[0]
	tk := h.createPAT(admin, map[string]any{"name": "keep"})
	forms := map[string]url.Values{
		"/account/name":                           {"name": {"Mallory"}},
		"/account/password":                       {"current_password": {adminPassword}, "new_password": {"Lantern-Orbit-5521"}},
		"/account/email":                          {"new_email": {"mallory@example.com"}, "password": {adminPassword}},
		"/account/sessions/end-others":            {},
		"/account/sessions/" + sessionID + "/end": {},
		"/account/tokens":                         {"name": {"mallory"}},
		"/account/tokens/" + tk.ID + "/delete":    {},
		"/account/reauth":                         {"method": {"password"}, "password": {adminPassword}},
		"/account/reauth/email":                   {},
		"/account/reauth/webauthn":                {},
	}
	for path, form := range forms {
		form.Set("csrf", "")
		if p := b.post(path, form); p.Status != http.StatusForbidden || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s without a CSRF token: %d %s", path, p.Status, p.Header.Get("Content-Type"))
		}
	}
	old := b.cookie("gatehouse")
	if got := h.get("/api/v1/me", admin).JSON()["name"]; got != before {
		t.Errorf("the name changed to %q", got)
	}
	h.login(adminEmail, adminPassword)
	other.get("/account").want(t, http.StatusOK)
	if mine := h.myPATs(admin); len(mine) != 1 || mine[0].ID != tk.ID {
		t.Errorf("tokens %+v, want only %s", mine, tk.ID)
	}
	if len(h.mailsTo(admin, "mallory@example.com")) != 0 {
		t.Error("a forged email change sent mail")
	}
	if b.cookie("gatehouse") != old {
		t.Error("a forged step-up rotated the session")
	}
}

func TestPagesAccountGerman(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	signIn(t, b, adminEmail, adminPassword)
	p := b.get("/account/sessions?lang=de").want(t, http.StatusOK)
	for _, want := range []string{"Ihre Sitzungen", "Diese Sitzung", "Sicherheit", "Zugriffstoken", `lang="de"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the German sessions page lacks %q", want)
		}
	}
	if strings.Contains(p.text(), "account.") {
		t.Errorf("a key shows instead of its text: %s", p.text())
	}
}

// TestRenamingOneselfWhileAnAdminChangesTheEmailLosesNeither has ten users
// rename themselves while an admin changes their addresses, all at once:
// every user ends with both changes.
func TestRenamingOneselfWhileAnAdminChangesTheEmailLosesNeither(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	const users = 10
	ids, sessions := make([]string, users), make([]string, users)
	for i := range ids {
		email := fmt.Sprintf("self%d@example.com", i)
		ids[i] = h.createUser(admin, email, adaPassword)
		sessions[i] = h.login(email, adaPassword).AccessToken
	}
	var wg sync.WaitGroup
	statuses := make([]int, 2*users)
	for i, id := range ids {
		wg.Go(func() {
			statuses[2*i] = h.patch("/api/v1/users/"+id, admin, map[string]any{"email": fmt.Sprintf("moved%d@example.com", i)}).Status
		})
		wg.Go(func() {
			statuses[2*i+1] = h.patch("/api/v1/me", sessions[i], map[string]any{"name": fmt.Sprintf("Self %d", i)}).Status
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("change %d answered %d", i, s)
		}
	}
	for i, id := range ids {
		u := h.get("/api/v1/users/"+id, admin).want(http.StatusOK).JSON()
		if u["email"] != fmt.Sprintf("moved%d@example.com", i) || u["name"] != fmt.Sprintf("Self %d", i) {
			t.Errorf("user %d after both changes: email %v, name %v", i, u["email"], u["name"])
		}
	}
}
