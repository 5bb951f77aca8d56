package server_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Regression tests for the accounts review.

func TestMailTemplatesNeedEveryPermission(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	settingsOnly, _ := limitedAdmin(t, h, super, "settings@example.com", "settings.manage")
	patch := map[string]any{"mail": map[string]any{"templates": map[string]any{"password_reset": map[string]any{"subject": "Reset for {{.Email}}"}}}}
	h.patch("/api/v1/settings", settingsOnly, patch).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/settings", super, patch).want(http.StatusOK)
	leak := map[string]any{"mail": map[string]any{"templates": map[string]any{"password_reset": map[string]any{"subject": "Reset {{.Link}}"}}}}
	h.patch("/api/v1/settings", super, leak).wantError(http.StatusBadRequest, "invalid_request")
	// Other settings stay open to settings.manage.
	h.patch("/api/v1/settings", settingsOnly, map[string]any{"lockout": map[string]any{"max_attempts": 7}}).want(http.StatusOK)
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

func TestReauthenticationCountsTowardsTheLock(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "rae@example.com", goodPassword)
	h.patchSettings(admin, map[string]any{"tokens": map[string]any{"access_token_ttl": "24h"}})
	tk := h.login("rae@example.com", goodPassword).AccessToken
	for i := range 10 {
		h.post("/api/v1/me/password", tk, map[string]any{"current_password": "guess-" + strconv.Itoa(i), "new_password": "orchid-canyon-38-flint"}).
			wantError(http.StatusUnauthorized, "invalid_credentials")
		h.clock.Advance(3 * time.Minute)
		tk = h.login("rae@example.com", goodPassword).AccessToken
	}
	// A success clears the count, so guessing and signing in alternately is
	// slow but unlimited only at the pace of the back-off; guessing alone locks.
	before := h.hashes()
	for i := range 12 {
		h.post("/api/v1/me/password", tk, map[string]any{"current_password": "guess-again-" + strconv.Itoa(i), "new_password": "orchid-canyon-38-flint"}).
			wantError(http.StatusUnauthorized, "invalid_credentials")
		h.clock.Advance(3 * time.Minute)
	}
	if spent := h.hashes() - before; spent > 10 {
		t.Fatalf("12 guesses at the current password spent %d hashes; the lock allows 10", spent)
	}
	h.post("/api/v1/me/password", tk, map[string]any{"current_password": goodPassword, "new_password": "orchid-canyon-38-flint"}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
}

func TestOneTryPerLockPeriodDoesNotKeepTheAccountLocked(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "lee@example.com", goodPassword)
	attempt := func(pw string) *response {
		return h.post("/api/v1/auth/login", "", map[string]any{"email": "lee@example.com", "password": pw})
	}
	for i := range 10 {
		attempt("wrong-"+strconv.Itoa(i)).wantError(http.StatusUnauthorized, "invalid_credentials")
		h.clock.Advance(3 * time.Minute) // past each back-off, within the window
	}
	attempt(goodPassword).wantError(http.StatusUnauthorized, "invalid_credentials")
	for range 3 {
		h.clock.Advance(16 * time.Minute)
		attempt("attacker-try").wantError(http.StatusUnauthorized, "invalid_credentials")
	}
	attempt(goodPassword).want(http.StatusOK)
}

func TestDomainAllowlistNeedsAVerifiedAddress(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "domain_allowlist", "domains": []string{"corp.example"}}})
	register(h, "ceo@corp.example", goodPassword, "Not The CEO", nil).want(http.StatusCreated)
	h.post("/api/v1/auth/login", "", map[string]any{"email": "ceo@corp.example", "password": goodPassword}).wantError(http.StatusForbidden, "email_not_verified")
}

func TestConcurrentSettingsPatchesAllApply(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		h.patchSettings(admin, map[string]any{"lockout": map[string]any{"max_attempts": 7}})
	}()
	go func() {
		defer wg.Done()
		h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	}()
	wg.Wait()
	st := h.get("/api/v1/settings", admin).JSON()
	if st["lockout"].(map[string]any)["max_attempts"].(float64) != 7 || st["signup"].(map[string]any)["policy"] != "open" {
		t.Fatalf("a concurrent patch was lost: %v", st)
	}
}

func TestSessionAdminsDoNotReachAdmins(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	superID := h.get("/api/v1/me", super).JSON()["id"].(string)
	sessions, _ := limitedAdmin(t, h, super, "sessions@example.com", "sessions.read", "sessions.write")
	h.get("/api/v1/sessions?user_id="+superID, sessions).wantError(http.StatusForbidden, "forbidden")
	h.delete("/api/v1/users/"+superID+"/sessions", sessions).wantError(http.StatusForbidden, "forbidden")
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/me/sessions", super).want(http.StatusOK).Decode(&page)
	h.delete("/api/v1/sessions/"+page.Data[0]["id"].(string), sessions).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/me", super).want(http.StatusOK)
}

func TestBadLinksAndMailInjection(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test"
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	register(h, "eve@example.com", goodPassword, "Eve\r\nBcc: everyone@example.com", nil).wantError(http.StatusBadRequest, "invalid_request")
	register(h, "eve@example.com\r\nBcc: x@example.com", goodPassword, "Eve", nil).wantError(http.StatusBadRequest, "invalid_request")
	register(h, "eve@example.com", goodPassword, "Eve", nil).want(http.StatusCreated)
	verify := h.linkToken(admin, "eve@example.com", "verify_email")
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "eve@example.com"}).want(http.StatusAccepted)
	reset := h.linkToken(admin, "eve@example.com", "password_reset")

	tampered := reset[:len(reset)-3] + "AAA"
	for name, req := range map[string]request{
		"a tampered reset token":   {method: "POST", path: "/api/v1/auth/password/reset", body: map[string]any{"token": tampered, "new_password": "harbor-violin-55-cedar"}},
		"a verify token as reset":  {method: "POST", path: "/api/v1/auth/password/reset", body: map[string]any{"token": verify, "new_password": "harbor-violin-55-cedar"}},
		"a reset token as verify":  {method: "POST", path: "/api/v1/auth/email/verify", body: map[string]any{"token": reset}},
		"a reset token as confirm": {method: "POST", path: "/api/v1/auth/email/confirm", body: map[string]any{"token": reset}},
		"an empty token":           {method: "POST", path: "/api/v1/auth/email/verify", body: map[string]any{"token": ""}},
	} {
		if r := h.send(req); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// Another tenant's link does nothing there.
	h.post("/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"}}).want(http.StatusCreated)
	h.send(request{method: "POST", path: "/api/v1/auth/password/reset", host: "b.example.com",
		body: map[string]any{"token": reset, "new_password": "harbor-violin-55-cedar"}}).wantError(http.StatusUnauthorized, "invalid_token")
	// The untouched link still works at home, once.
	h.post("/api/v1/auth/password/reset", "", map[string]any{"token": reset, "new_password": "harbor-violin-55-cedar"}).want(http.StatusNoContent)
}
