package server_test

import (
	"net/http"
	"strings"
	"testing"
)

const (
	cyrillicAdmin = "\u0430dmin@example.com" // Cyrillic а, then Latin "dmin"
	joseNFC       = "jos\u00e9@example.com"
	joseNFD       = "jose\u0301@example.com"
)

// wantEmailRefused fails unless r is 400 invalid_request naming field.
func wantEmailRefused(t *testing.T, r *response, field string) {
	t.Helper()
	body := r.wantError(http.StatusBadRequest, "invalid_request")
	fields, _ := body["details"].(map[string]any)["fields"].(map[string]any)
	if msg, _ := fields[field].(string); msg == "" {
		t.Fatalf("the error does not name %s: %v", field, body)
	}
}

// TestMixedScriptAddressesAreRefused: "аdmin@example.com" with a Cyrillic
// "а" cannot sit beside admin@example.com, on any path that takes an address.
func TestMixedScriptAddressesAreRefused(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	user := h.createUser(admin, "ula@example.com", goodPassword)
	ula := h.login("ula@example.com", goodPassword).AccessToken

	wantEmailRefused(t, h.post("/api/v1/users", admin, map[string]any{"email": cyrillicAdmin, "name": "Spoof", "password": goodPassword}), "email")
	wantEmailRefused(t, h.patch("/api/v1/users/"+user, admin, map[string]any{"email": cyrillicAdmin}), "email")
	wantEmailRefused(t, h.post("/api/v1/admins", admin, map[string]any{"email": cyrillicAdmin, "name": "Spoof", "password": goodPassword,
		"admin_roles": []string{"superadmin"}}), "email")
	wantEmailRefused(t, h.post("/api/v1/invitations", admin, map[string]any{"email": cyrillicAdmin}), "email")
	wantEmailRefused(t, register(h, cyrillicAdmin, goodPassword, "Spoof", nil), "email")
	wantEmailRefused(t, h.post("/api/v1/me/email", ula, map[string]any{"new_email": cyrillicAdmin, "password": goodPassword}), "new_email")
	wantEmailRefused(t, h.post("/api/v1/auth/login", "", map[string]any{"email": cyrillicAdmin, "password": adminPassword}), "email")
	if len(h.mailsTo(admin, cyrillicAdmin)) != 0 {
		t.Fatal("a mail went to the mixed-script address")
	}
	// Cyrillic alone is one script, and an address.
	h.createUser(admin, "админ@example.com", goodPassword)
}

// TestOneAccountPerAddressSpelling: NFC and NFD, upper and lower case,
// Unicode and punycode domains are spellings of one account, which login,
// forgot and signup all find.
func TestOneAccountPerAddressSpelling(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	created := h.post("/api/v1/users", admin, map[string]any{"email": joseNFD, "name": "José", "password": goodPassword}).
		want(http.StatusCreated).JSON()
	if created["email"] != joseNFC {
		t.Fatalf("stored as %q, want the NFC form %q", created["email"], joseNFC)
	}
	for _, spelling := range []string{joseNFC, joseNFD, "JOSE\u0301@Example.COM"} {
		h.post("/api/v1/users", admin, map[string]any{"email": spelling, "name": "Twin", "password": goodPassword}).
			wantError(http.StatusConflict, "email_taken")
		h.login(spelling, goodPassword)
	}

	ana := h.post("/api/v1/users", admin, map[string]any{"email": "Ana@Bücher.example", "name": "Ana", "password": goodPassword}).
		want(http.StatusCreated).JSON()
	if ana["email"] != "ana@xn--bcher-kva.example" {
		t.Fatalf("stored as %q, want the IDNA form", ana["email"])
	}
	h.login("ana@BÜCHER.example", goodPassword)
	h.login("ana@xn--bcher-kva.example", goodPassword)
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "ANA@bücher.example"}).want(http.StatusAccepted)
	if len(h.mailsTo(admin, "ana@xn--bcher-kva.example")) != 1 {
		t.Fatal("forgot with another spelling did not mail the account")
	}
	// The outbox finds it by any spelling too.
	if len(h.mailsTo(admin, "Ana@BÜCHER.example")) != 1 {
		t.Fatal("the outbox filter did not find the mail by another spelling of its address")
	}

	// An allowed signup domain written in Unicode admits its every spelling.
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "domain_allowlist", "domains": []string{"bücher.example"}}})
	register(h, "bea@BÜCHER.example", goodPassword, "Bea", nil).want(http.StatusCreated)
	register(h, "bea@xn--bcher-kva.example", goodPassword, "Bea", nil).want(http.StatusCreated)
	kinds := map[string]int{}
	for _, m := range h.mailsTo(admin, "bea@xn--bcher-kva.example") {
		kinds[m["kind"].(string)]++
	}
	if kinds["verify_email"] != 1 || kinds["signup_exists"] != 1 {
		t.Fatalf("two spellings of one address made two accounts: %v", kinds)
	}
}

// TestIPLiteralAddressesAreNoOracle: an IP literal is no address for anyone,
// so forgot answers alike whether or not an account exists, and an address
// accepted for an account can always be mailed.
func TestIPLiteralAddressesAreNoOracle(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	for _, literal := range []string{"a@[127.0.0.1]", "a@127.0.0.1", "a@[IPv6:::1]"} {
		wantEmailRefused(t, h.post("/api/v1/users", admin, map[string]any{"email": literal, "name": "Literal", "password": goodPassword}), "email")
		wantEmailRefused(t, h.post("/api/v1/invitations", admin, map[string]any{"email": literal}), "email")
	}
	known := h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "a@[127.0.0.1]"})
	unknown := h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "b@[127.0.0.1]"})
	wantEmailRefused(t, known, "email")
	if string(known.Body) != strings.Replace(string(unknown.Body), "b@", "a@", 1) {
		t.Fatalf("forgot answers differ: %s vs %s", known.Body, unknown.Body)
	}
	// Every address the rule accepts is one the mailer takes.
	h.createUser(admin, "jörg@bücher.example", goodPassword)
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "jörg@bücher.example"}).want(http.StatusAccepted)
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "nobody@bücher.example"}).want(http.StatusAccepted)
	if len(h.mailsTo(admin, "jörg@xn--bcher-kva.example")) != 1 {
		t.Fatal("no reset mail for an internationalised address")
	}
}
