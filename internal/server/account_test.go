package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func register(h *harness, email, password, name string, extra map[string]any) *response {
	body := map[string]any{"email": email, "password": password, "name": name}
	for k, v := range extra {
		body[k] = v
	}
	return h.post("/api/v1/auth/register", "", body)
}

const goodPassword = "tulip-anchor-91-violet"

func TestSignupPolicies(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	register(h, "ann@example.com", goodPassword, "Ann", nil).wantError(http.StatusForbidden, "signup_closed")

	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "domain_allowlist", "domains": []string{"Example.com"}}})
	register(h, "ann@other.org", goodPassword, "Ann", nil).wantError(http.StatusForbidden, "domain_not_allowed")
	if m := register(h, "ann@example.com", goodPassword, "Ann", nil).want(http.StatusCreated).JSON(); m["status"] != "verification_sent" {
		t.Fatalf("signup answered %v", m)
	}

	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	register(h, "bob@example.com", goodPassword, "Bob", nil).wantError(http.StatusForbidden, "invitation_required")

	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	fresh := register(h, "carl@example.com", goodPassword, "Carl", nil).want(http.StatusCreated)
	again := register(h, "CARL@example.com", "another-long-passphrase-7", "Someone", nil).want(http.StatusCreated)
	if string(fresh.Body) != string(again.Body) {
		t.Fatalf("a taken email answers differently: %s vs %s", fresh.Body, again.Body)
	}
	kinds := map[string]int{}
	for _, m := range h.mailsTo(admin, "carl@example.com") {
		kinds[m["kind"].(string)]++
		if strings.Contains(m["text"].(string), "another-long-passphrase-7") || strings.Contains(m["text"].(string), goodPassword) {
			t.Fatal("a mail contains a password")
		}
	}
	if kinds["verify_email"] != 1 || kinds["signup_exists"] != 1 {
		t.Fatalf("mails to carl: %v", kinds)
	}
	// The first password still works: the second signup changed nothing.
	h.login("carl@example.com", goodPassword)
}

func TestInvitationSignup(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	h.patchSettings(r.admin, map[string]any{"signup": map[string]any{"policy": "invite_only"}})
	inv := h.post("/api/v1/invitations", r.admin, map[string]any{"email": "Nina@Example.com", "organization_id": "acme",
		"roles": []string{r.auditor}}).want(http.StatusCreated).JSON()
	if inv["email"] != "nina@example.com" || inv["organization_id"] != r.acme {
		t.Fatalf("invitation %v", inv)
	}
	tok := h.linkToken(r.admin, "nina@example.com", "invitation")
	register(h, "someone.else@example.com", goodPassword, "Eve", map[string]any{"invitation_token": tok}).wantError(http.StatusUnauthorized, "invalid_token")
	m := register(h, "nina@example.com", goodPassword, "Nina", map[string]any{"invitation_token": tok}).want(http.StatusCreated).JSON()
	if m["status"] != "active" {
		t.Fatalf("invited signup: %v", m)
	}
	register(h, "nina@example.com", goodPassword, "Nina", map[string]any{"invitation_token": tok}).wantError(http.StatusUnauthorized, "invalid_token")
	nina := h.login("nina@example.com", goodPassword).AccessToken
	me := h.get("/api/v1/me", nina).want(http.StatusOK).JSON()
	if me["email_verified"] != true {
		t.Fatal("an invitation did not verify the address")
	}
	if allowed, _ := r.check(t, me["id"].(string), "reports.view", "acme"); !allowed {
		t.Fatal("the invitation's organization role was not given")
	}
	list := h.get("/api/v1/invitations", r.admin).want(http.StatusOK).JSON()
	if list["total"].(float64) != 1 || list["data"].([]any)[0].(map[string]any)["accepted_at"] == nil {
		t.Fatalf("invitations %v", list)
	}
	// A withdrawn invitation's link stops working.
	second := h.post("/api/v1/invitations", r.admin, map[string]any{"email": "omar@example.com"}).want(http.StatusCreated).JSON()
	tok = h.linkToken(r.admin, "omar@example.com", "invitation")
	h.delete("/api/v1/invitations/"+second["id"].(string), r.admin).want(http.StatusNoContent)
	register(h, "omar@example.com", goodPassword, "Omar", map[string]any{"invitation_token": tok}).wantError(http.StatusUnauthorized, "invalid_token")
	h.post("/api/v1/invitations", r.admin, map[string]any{"email": "x@example.com", "roles": []string{r.auditor}}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/invitations", r.admin, map[string]any{"email": "x@example.com", "organization_id": "globex", "roles": []string{r.auditor}}).
		wantError(http.StatusBadRequest, "invalid_request")
}

func TestEmailVerification(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open", "require_verified_email": true}})
	register(h, "vera@example.com", goodPassword, "Vera", nil).want(http.StatusCreated)
	login := func(pw string) *response {
		return h.post("/api/v1/auth/login", "", map[string]any{"email": "vera@example.com", "password": pw})
	}
	login("Kq-0e2f0-c3dab").wantError(http.StatusUnauthorized, "invalid_credentials")
	login(goodPassword).wantError(http.StatusForbidden, "email_not_verified")

	first := h.linkToken(admin, "vera@example.com", "verify_email")
	h.post("/api/v1/auth/email/resend", "", map[string]any{"email": "vera@example.com"}).want(http.StatusAccepted)
	h.post("/api/v1/auth/email/resend", "", map[string]any{"email": "nobody@example.com"}).want(http.StatusAccepted)
	second := h.linkToken(admin, "vera@example.com", "verify_email")
	if first == second {
		t.Fatal("resend reused the link")
	}
	h.post("/api/v1/auth/email/verify", "", map[string]any{"token": first}).wantError(http.StatusUnauthorized, "invalid_token")
	h.post("/api/v1/auth/email/verify", "", map[string]any{"token": second}).want(http.StatusNoContent)
	h.post("/api/v1/auth/email/verify", "", map[string]any{"token": second}).wantError(http.StatusUnauthorized, "invalid_token")
	login(goodPassword).want(http.StatusOK)
	if len(h.mailsTo(admin, "nobody@example.com")) != 0 {
		t.Fatal("a resend to an unknown address sent mail")
	}
}

func TestPasswordReset(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	id := h.createUser(admin, "rita@example.com", goodPassword)
	session := h.login("rita@example.com", goodPassword)
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "nobody@example.com"}).want(http.StatusAccepted)
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "RITA@example.com"}).want(http.StatusAccepted)
	tok := h.linkToken(admin, "rita@example.com", "password_reset")
	if !strings.HasPrefix(tok, "ghp_") {
		t.Fatalf("reset token %q", tok)
	}
	reset := func(tok, pw string) *response {
		return h.post("/api/v1/auth/password/reset", "", map[string]any{"token": tok, "new_password": pw})
	}
	if m := reset(tok, "short").wantError(http.StatusBadRequest, "password_policy"); !strings.Contains(string(reset(tok, "password123").Body), "common") {
		t.Fatalf("policy answer %v", m)
	}
	reset(tok, "marigold-ferry-42-quartz").want(http.StatusNoContent)
	reset(tok, "another-ferry-42-quartz").wantError(http.StatusUnauthorized, "invalid_token")
	h.get("/api/v1/me", session.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	h.login("rita@example.com", "marigold-ferry-42-quartz")
	kinds := map[string]bool{}
	for _, m := range h.mailsTo(admin, "rita@example.com") {
		kinds[m["kind"].(string)] = true
	}
	if !kinds["password_changed"] {
		t.Fatal("no notice of the changed password")
	}

	// Links expire after 30 minutes.
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "rita@example.com"}).want(http.StatusAccepted)
	tok = h.linkToken(admin, "rita@example.com", "password_reset")
	h.clock.Advance(31 * time.Minute)
	reset(tok, "lantern-orbit-77-sage").wantError(http.StatusUnauthorized, "invalid_token")

	// Admins set a password or send a reset mail.
	admin = h.admin()
	h.post("/api/v1/users/"+id+"/password", admin, map[string]any{"password": "harbor-violin-55-cedar"}).want(http.StatusNoContent)
	h.login("rita@example.com", "harbor-violin-55-cedar")
	h.post("/api/v1/users/"+id+"/password", admin, map[string]any{"send_reset_email": true}).want(http.StatusNoContent)
	h.post("/api/v1/users/"+id+"/password", admin, map[string]any{}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/users/"+id+"/password", admin, map[string]any{"password": "1234567"}).wantError(http.StatusBadRequest, "password_policy")
}

func TestChangePasswordAndEmail(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "max@example.com", goodPassword)
	current := h.login("max@example.com", goodPassword)
	other := h.login("max@example.com", goodPassword)
	h.post("/api/v1/me/password", current.AccessToken, map[string]any{"current_password": "wrong-one-123", "new_password": "orchid-canyon-38-flint"}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
	h.post("/api/v1/me/password", current.AccessToken, map[string]any{"current_password": goodPassword, "new_password": "max-is-my-name-123"}).
		wantError(http.StatusBadRequest, "password_policy")
	h.post("/api/v1/me/password", current.AccessToken, map[string]any{"current_password": goodPassword, "new_password": "orchid-canyon-38-flint"}).
		want(http.StatusNoContent)
	h.get("/api/v1/me", current.AccessToken).want(http.StatusOK)
	h.get("/api/v1/me", other.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")

	h.post("/api/v1/me/email", current.AccessToken, map[string]any{"new_email": "maxi@example.com", "password": "orchid-canyon-38-flint"}).want(http.StatusAccepted)
	if len(h.mailsTo(admin, "max@example.com")) == 0 {
		t.Fatal("no notice to the old address")
	}
	tok := h.linkToken(admin, "maxi@example.com", "email_change_confirm")
	if me := h.get("/api/v1/me", current.AccessToken).JSON(); me["email"] != "max@example.com" {
		t.Fatal("the email changed before confirmation")
	}
	h.post("/api/v1/auth/email/confirm", "", map[string]any{"token": tok}).want(http.StatusNoContent)
	if me := h.get("/api/v1/me", current.AccessToken).JSON(); me["email"] != "maxi@example.com" {
		t.Fatalf("after confirmation: %v", me["email"])
	}
	h.login("maxi@example.com", "orchid-canyon-38-flint")

	// An address taken between request and confirmation fails with 409.
	h.post("/api/v1/me/email", current.AccessToken, map[string]any{"new_email": "taken@example.com", "password": "orchid-canyon-38-flint"}).want(http.StatusAccepted)
	tok = h.linkToken(admin, "taken@example.com", "email_change_confirm")
	h.createUser(admin, "taken@example.com", goodPassword)
	h.post("/api/v1/auth/email/confirm", "", map[string]any{"token": tok}).wantError(http.StatusConflict, "email_taken")
}

func TestPasswordPolicy(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	cases := []struct {
		password string
		rule     string
	}{
		{"abc1234", "min_length"},
		{strings.Repeat("x", 129), "max_length"},
		{strings.Repeat("y", 10_000), "max_length"},
		{"password123", "common"},
		{"quentin-was-here", "personal"},
	}
	for _, c := range cases {
		m := register(h, "quentin@example.com", c.password, "Quentin", nil).wantError(http.StatusBadRequest, "password_policy")
		if !strings.Contains(jsonString(m["details"]), `"rule":"`+c.rule+`"`) {
			t.Errorf("%q: details %v lack rule %s", c.password[:min(20, len(c.password))], m["details"], c.rule)
		}
	}
	h.post("/api/v1/users", admin, map[string]any{"email": "q@example.com", "name": "Q", "password": "qwerty123"}).wantError(http.StatusBadRequest, "password_policy")

	// Unicode passwords are normalised (NFKC): full-width letters equal ASCII.
	register(h, "uma@example.com", "Ｒｉｖｅｒ-Ｓｔｏｎｅ-９１", "Uma", nil).want(http.StatusCreated)
	h.login("uma@example.com", "River-Stone-91")

	var st map[string]any
	h.post("/api/v1/auth/password-strength", "", map[string]any{"password": "password"}).want(http.StatusOK).Decode(&st)
	if st["score"].(float64) > 1 || st["acceptable"] != false || len(st["warnings"].([]any)) == 0 {
		t.Fatalf("strength of a common password: %v", st)
	}
	h.post("/api/v1/auth/password-strength", "", map[string]any{"password": "vX9#qL2!mZ7&wR4$tP"}).want(http.StatusOK).Decode(&st)
	if st["score"].(float64) < 3 || st["acceptable"] != true || st["crack_time_display"] == "" {
		t.Fatalf("strength of a strong password: %v", st)
	}
	h.patchSettings(admin, map[string]any{"password": map[string]any{"min_strength": 4}})
	register(h, "vic@example.com", "tulip-anchor", "Vic", nil).wantError(http.StatusBadRequest, "password_policy")
}

func TestSettings(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	st := h.get("/api/v1/settings", admin).want(http.StatusOK).JSON()
	if st["signup"].(map[string]any)["policy"] != "closed" || st["lockout"].(map[string]any)["max_attempts"].(float64) != 10 ||
		st["sessions"].(map[string]any)["idle_timeout"] != "12h0m0s" {
		t.Fatalf("defaults %v", st)
	}
	m := h.patch("/api/v1/settings", admin, map[string]any{
		"signup":   map[string]any{"policy": "sometimes"},
		"password": map[string]any{"min_length": 2, "min_strength": 9},
		"lockout":  map[string]any{"lock_duration": "forever"},
	}).wantError(http.StatusBadRequest, "invalid_request")
	if fields := m["details"].(map[string]any)["fields"].(map[string]any); len(fields) != 1 {
		// A value of the wrong type stops decoding: that one field is named.
		t.Logf("fields %v", fields)
	}
	m = h.patch("/api/v1/settings", admin, map[string]any{
		"signup":   map[string]any{"policy": "sometimes"},
		"password": map[string]any{"min_length": 2, "min_strength": 9},
	}).wantError(http.StatusBadRequest, "invalid_request")
	fields := m["details"].(map[string]any)["fields"].(map[string]any)
	for _, f := range []string{"signup.policy", "password.min_length", "password.min_strength"} {
		if fields[f] == nil {
			t.Errorf("the error does not name %s: %v", f, fields)
		}
	}
	h.patch("/api/v1/settings", admin, map[string]any{"signup": map[string]any{"policy": "open", "colour": "blue"}}).wantError(http.StatusBadRequest, "invalid_request")
	if st := h.get("/api/v1/settings", admin).JSON(); st["signup"].(map[string]any)["policy"] != "closed" {
		t.Fatal("an invalid patch changed something")
	}
	h.patchSettings(admin, map[string]any{"lockout": map[string]any{"max_attempts": 5}})
	h.patchSettings(admin, map[string]any{"lockout": map[string]any{"max_attempts": nil}})
	if st := h.get("/api/v1/settings", admin).JSON(); st["lockout"].(map[string]any)["max_attempts"].(float64) != 10 {
		t.Fatal("null did not restore the default")
	}
	h.patch("/api/v1/settings", admin, map[string]any{"mail": map[string]any{"templates": map[string]any{"verify_email": map[string]any{"subject": "{{.Nope"}}}}).
		wantError(http.StatusBadRequest, "invalid_request")
	plain, _ := limitedAdmin(t, h, admin, "reader@example.com", "users.read")
	h.get("/api/v1/settings", plain).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/outbox", plain).wantError(http.StatusForbidden, "forbidden")
}

func TestSessionsAPI(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	id := h.createUser(admin, "sam@example.com", goodPassword)
	a := h.login("sam@example.com", goodPassword)
	b := h.login("sam@example.com", goodPassword)
	c := h.login("sam@example.com", goodPassword)
	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	h.get("/api/v1/me/sessions", a.AccessToken).want(http.StatusOK).Decode(&page)
	if page.Total != 3 {
		t.Fatalf("%d sessions", page.Total)
	}
	var currentID, otherID string
	for _, s := range page.Data {
		if s["current"] == true {
			currentID = s["id"].(string)
		} else {
			otherID = s["id"].(string)
		}
		if s["ip"] == "" || s["user_agent"] == "" {
			t.Fatalf("session without origin %v", s)
		}
	}
	if currentID == "" {
		t.Fatal("no current session marked")
	}
	h.delete("/api/v1/me/sessions/"+otherID, a.AccessToken).want(http.StatusNoContent)
	h.delete("/api/v1/me/sessions/"+otherID, a.AccessToken).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/me/sessions", a.AccessToken).want(http.StatusNoContent)
	for _, s := range []tokens{b, c} {
		h.get("/api/v1/me", s.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	}
	h.get("/api/v1/me", a.AccessToken).want(http.StatusOK)

	h.get("/api/v1/sessions?user_id="+id, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0]["id"] != currentID {
		t.Fatalf("admin view %+v", page)
	}
	// Another user's session is not "mine".
	h.delete("/api/v1/me/sessions/"+currentID, admin).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/sessions/"+currentID, admin).want(http.StatusNoContent)
	h.get("/api/v1/me", a.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	d := h.login("sam@example.com", goodPassword)
	h.delete("/api/v1/users/"+id+"/sessions", admin).want(http.StatusNoContent)
	h.get("/api/v1/me", d.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")

	e := h.login("sam@example.com", goodPassword)
	f := h.login("sam@example.com", goodPassword)
	h.post("/api/v1/auth/logout", e.AccessToken, map[string]any{"all_sessions": true}).want(http.StatusNoContent)
	h.get("/api/v1/me", f.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
	plain := h.login("sam@example.com", goodPassword).AccessToken
	h.get("/api/v1/sessions?user_id="+id, plain).wantError(http.StatusForbidden, "forbidden")
}

// TestOutboxHidesLinksFromThoseWhoCouldNotUseThemAnyway: a settings admin
// must not read the reset link of an account it could not change itself.
func TestOutboxHidesLinksFromThoseWhoCouldNotUseThemAnyway(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	settingsOnly, _ := limitedAdmin(t, h, super, "settings@example.com", "settings.manage")
	userAdmin, _ := limitedAdmin(t, h, super, "people@example.com", "settings.manage", "users.write")
	h.createUser(super, "plain@example.com", goodPassword)
	for _, email := range []string{adminEmail, "plain@example.com"} {
		h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": email}).want(http.StatusAccepted)
	}
	body := func(token, to string) string {
		for _, m := range h.mailsTo(token, to) {
			if m["kind"] == "password_reset" {
				return m["text"].(string)
			}
		}
		t.Fatalf("no reset mail to %s", to)
		return ""
	}
	if strings.Contains(body(settingsOnly, "plain@example.com"), "token=") || strings.Contains(body(settingsOnly, adminEmail), "token=") {
		t.Fatal("settings.manage alone reads reset links")
	}
	if !strings.Contains(body(userAdmin, "plain@example.com"), "token=") {
		t.Fatal("an admin who may set the user's password cannot read the mail")
	}
	if strings.Contains(body(userAdmin, adminEmail), "token=") {
		t.Fatal("a users.write admin reads the superadmin's reset link")
	}
	if !strings.Contains(body(super, adminEmail), "token=") {
		t.Fatal("the superadmin cannot read mails")
	}
}

func TestPasswordResetVoidsPendingEmailChange(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "vic@example.com", goodPassword)
	thief := h.login("vic@example.com", goodPassword)
	h.post("/api/v1/me/email", thief.AccessToken, map[string]any{"new_email": "thief@evil.example", "password": goodPassword}).want(http.StatusAccepted)
	change := h.linkToken(admin, "thief@evil.example", "email_change_confirm")
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "vic@example.com"}).want(http.StatusAccepted)
	reset := h.linkToken(admin, "vic@example.com", "password_reset")
	h.post("/api/v1/auth/password/reset", "", map[string]any{"token": reset, "new_password": "harbor-violin-55-cedar"}).want(http.StatusNoContent)
	h.post("/api/v1/auth/email/confirm", "", map[string]any{"token": change}).wantError(http.StatusUnauthorized, "invalid_token")
	h.login("vic@example.com", "harbor-violin-55-cedar")
}

func TestDomainAllowlistNeedsAVerifiedAddress(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "domain_allowlist", "domains": []string{"corp.example"}}})
	register(h, "ceo@corp.example", goodPassword, "Not The CEO", nil).want(http.StatusCreated)
	h.post("/api/v1/auth/login", "", map[string]any{"email": "ceo@corp.example", "password": goodPassword}).wantError(http.StatusForbidden, "email_not_verified")
}
