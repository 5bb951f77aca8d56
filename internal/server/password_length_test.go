package server_test

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// hangul returns n distinct-looking Hangul syllables, each of three jamo
// when decomposed, in NFD: three code points and nine bytes per syllable.
func hangul(n int) string {
	var b strings.Builder
	for i := range n {
		// A syllable is 0xAC00 + (lead×21 + vowel)×28 + tail; tail 1..27
		// gives it a final consonant.
		b.WriteRune(rune(0xAC00 + ((i*7)%19*21+(i*5)%21)*28 + 1 + i%27))
	}
	return norm.NFD.String(b.String())
}

// TestPasswordLengthIsCountedAfterNFKC: a password the policy accepts signs
// in, whatever its form, even when its decomposed bytes are many times its
// length; one longer than a policy accepts is refused at creation and at
// login, the latter without a hash.
func TestPasswordLengthIsCountedAfterNFKC(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	login := func(email, pw string) *response {
		return h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": pw})
	}

	// 120 syllables are 120 code points after NFKC, within the default
	// max_length of 128, and 1,080 bytes before.
	pw := hangul(120)
	h.createUser(admin, "hangul@example.com", pw)
	login("hangul@example.com", pw).want(http.StatusOK)
	login("hangul@example.com", norm.NFC.String(pw)).want(http.StatusOK)

	h.post("/api/v1/users", admin, map[string]any{"email": "long@example.com", "name": "Long", "password": hangul(129)}).
		wantError(http.StatusBadRequest, "password_policy")

	// The highest max_length a policy allows: 1,024 syllables sign in; 1,025
	// are refused at creation and, without a hash, at login.
	h.patchSettings(admin, map[string]any{"password": map[string]any{"max_length": 1024}})
	longest := hangul(1024)
	h.createUser(admin, "longest@example.com", longest)
	login("longest@example.com", longest).want(http.StatusOK)
	tooLong := hangul(1025)
	body := h.post("/api/v1/users", admin, map[string]any{"email": "toolong@example.com", "name": "Too Long", "password": tooLong}).
		wantError(http.StatusBadRequest, "password_policy")
	if rule := body["details"].(map[string]any)["violations"].([]any)[0].(map[string]any)["rule"]; rule != "max_length" {
		t.Fatalf("creation refused for another reason: %v", body)
	}
	before := h.hashes()
	login("longest@example.com", tooLong).wantError(http.StatusUnauthorized, "invalid_credentials")
	login("longest@example.com", strings.Repeat("x", 16000)).wantError(http.StatusUnauthorized, "invalid_credentials")
	if n := h.hashes() - before; n != 0 {
		t.Fatalf("passwords longer than any policy accepts cost %d hashes", n)
	}
	for _, e := range h.auditEvents(admin, "action=auth.login.failed")[:2] {
		if reason := e["details"].(map[string]any)["reason"]; reason != "password_too_long" {
			t.Fatalf("a refused login was audited as %v", reason)
		}
	}
}
