package server_test

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// hashes reads how many password hashes the server has computed.
func (h *harness) hashes() int {
	h.t.Helper()
	m := regexp.MustCompile(`(?m)^gatehouse_password_hashes_total (\d+)`).FindStringSubmatch(string(h.get("/metrics", "").want(http.StatusOK).Body))
	if m == nil {
		h.t.Fatal("no gatehouse_password_hashes_total in /metrics")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestLockout(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	id := h.createUser(admin, "lou@example.com", goodPassword)
	attempt := func(email, pw string) *response {
		return h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": pw})
	}
	// Ten failures, each after any back-off has passed, lock the email.
	for i := range 10 {
		attempt("lou@example.com", "wrong-password-"+strconv.Itoa(i)).wantError(http.StatusUnauthorized, "invalid_credentials")
		h.clock.Advance(10 * time.Minute)
	}
	before := h.hashes()
	locked := attempt("lou@example.com", goodPassword)
	locked.wantError(http.StatusUnauthorized, "invalid_credentials")
	if after := h.hashes(); after != before {
		t.Fatalf("a locked email cost %d password hashes", after-before)
	}
	// An email without an account locks the same way: the lock reveals nothing.
	for i := range 10 {
		attempt("ghost@example.com", "whatever-"+strconv.Itoa(i)).wantError(http.StatusUnauthorized, "invalid_credentials")
		h.clock.Advance(10 * time.Minute)
	}
	before = h.hashes()
	if string(attempt("ghost@example.com", "whatever").Body) != string(locked.Body) {
		t.Fatal("a locked unknown email answers differently")
	}
	if h.hashes() != before {
		t.Fatal("a locked unknown email cost a hash")
	}
	events := h.auditEvents(h.admin(), "action=auth.login.locked")
	if len(events) != 2 {
		t.Fatalf("%d lock events, want 2", len(events))
	}

	// The lock ends by itself, or when an admin lifts it.
	h.post("/api/v1/users/"+id+"/unlock", h.admin(), nil).want(http.StatusNoContent)
	attempt("lou@example.com", goodPassword).want(http.StatusOK)
	h.clock.Advance(16 * time.Minute)
	attempt("ghost@example.com", "whatever").wantError(http.StatusUnauthorized, "invalid_credentials")
}

func TestLoginBackoff(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "ben@example.com", goodPassword)
	attempt := func(pw string) *response {
		return h.post("/api/v1/auth/login", "", map[string]any{"email": "ben@example.com", "password": pw})
	}
	for range 3 {
		attempt("Kq-c7f5a-91c05").wantError(http.StatusUnauthorized, "invalid_credentials")
	}
	// After three failures the next attempt waits a second, doubling after each further failure.
	before := h.hashes()
	attempt(goodPassword).wantError(http.StatusUnauthorized, "invalid_credentials")
	if h.hashes() != before {
		t.Fatal("an attempt during the back-off computed a hash")
	}
	h.clock.Advance(1100 * time.Millisecond)
	attempt(goodPassword).want(http.StatusOK)
	// Success resets the count.
	attempt("Kq-c7f5a-91c05").wantError(http.StatusUnauthorized, "invalid_credentials")
	attempt(goodPassword).want(http.StatusOK)
}

func TestAuthRateLimit(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_AUTH_RATE_PER_SECOND": "1", "GATEHOUSE_AUTH_RATE_BURST": "3"})
	body := map[string]any{"email": "nobody@example.com"}
	for range 3 {
		h.post("/api/v1/auth/password/forgot", "", body).want(http.StatusAccepted)
	}
	res := h.post("/api/v1/auth/password/forgot", "", body)
	res.wantError(http.StatusTooManyRequests, "rate_limited")
	if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 1 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	h.post("/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}).wantError(http.StatusTooManyRequests, "rate_limited")
	h.get("/healthz", "").want(http.StatusOK)
	h.clock.Advance(2 * time.Second)
	admin := h.login(adminEmail, adminPassword).AccessToken
	if n := len(h.auditEvents(admin, "action=auth.rate_limited")); n != 1 {
		t.Fatalf("%d rate-limit events, want the first refusal only", n)
	}
}

// TestConcurrentFailuresSpendAtMostTheLockBudget: attempts racing at once
// are counted before their hash, so no more than max_attempts are hashed.
func TestConcurrentFailuresSpendAtMostTheLockBudget(t *testing.T) {
	h := newHarness(t, nil)
	before := h.hashes()
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.post("/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": "wrong-" + strconv.Itoa(i)}).
				wantError(http.StatusUnauthorized, "invalid_credentials")
		}()
	}
	wg.Wait()
	if spent := h.hashes() - before; spent > 10 {
		t.Fatalf("30 racing failures spent %d hashes; the lock allows 10", spent)
	}
	h.post("/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}).wantError(http.StatusUnauthorized, "invalid_credentials")
	// After the lock, one attempt is allowed again.
	h.clock.Advance(16 * time.Minute)
	h.login(adminEmail, adminPassword)
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
