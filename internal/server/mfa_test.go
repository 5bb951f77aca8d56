package server_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

const adaPassword = "Kq-fern-4471-drum"

// mfaUser creates ada, a user with a verified address, and returns her
// password session's access token.
func mfaUser(t *testing.T, h *harness, admin string) string {
	t.Helper()
	h.post("/api/v1/users", admin, map[string]any{"email": "ada@example.com", "name": "Ada", "password": adaPassword,
		"email_verified": true}).want(http.StatusCreated)
	return h.login("ada@example.com", adaPassword).AccessToken
}

// enrolTOTP turns TOTP on for the caller and returns its seed.
func enrolTOTP(t *testing.T, h *harness, token string) string {
	t.Helper()
	var e struct {
		Secret     string `json:"secret"`
		OTPAuthURI string `json:"otpauth_uri"`
		QRPNG      []byte `json:"qr_png"`
	}
	h.post("/api/v1/mfa/totp", token, nil).want(http.StatusOK).Decode(&e)
	if !strings.HasPrefix(e.OTPAuthURI, "otpauth://totp/") || !strings.Contains(e.OTPAuthURI, "secret="+e.Secret) {
		t.Fatalf("otpauth_uri %q does not carry the secret %q", e.OTPAuthURI, e.Secret)
	}
	if _, err := png.Decode(bytes.NewReader(e.QRPNG)); err != nil {
		t.Fatalf("qr_png is not a PNG: %v", err)
	}
	h.post("/api/v1/mfa/totp/confirm", token, map[string]any{"code": totpAt(t, e.Secret, h.clock.Now())}).want(http.StatusNoContent)
	return e.Secret
}

func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

type mfaStep struct {
	AccessToken string   `json:"access_token"`
	MFARequired bool     `json:"mfa_required"`
	MFAToken    string   `json:"mfa_token"`
	Methods     []string `json:"methods"`
	ExpiresIn   int      `json:"expires_in"`
}

// loginStep signs in with a password and wants the second step.
func loginStep(t *testing.T, h *harness, email, password string) mfaStep {
	t.Helper()
	var s mfaStep
	h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": password}).want(http.StatusOK).Decode(&s)
	if !s.MFARequired || !strings.HasPrefix(s.MFAToken, "ghm_") || s.AccessToken != "" || s.ExpiresIn != 300 {
		t.Fatalf("login with a second factor answered %+v, want mfa_required and an mfa_token, no tokens", s)
	}
	return s
}

func mfaVerify(h *harness, mfaToken, method, code string) *response {
	return h.post("/api/v1/auth/mfa/verify", "", map[string]any{"mfa_token": mfaToken, "method": method, "code": code})
}

func TestTOTPSignIn(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	status := h.get("/api/v1/mfa", ada).want(http.StatusOK).JSON()
	if status["enabled"] != false || len(status["methods"].([]any)) != 0 {
		t.Fatalf("status before any factor: %v", status)
	}

	// A pending enrolment refuses malformed and wrong codes.
	var e struct {
		Secret string `json:"secret"`
	}
	h.post("/api/v1/mfa/totp", ada, nil).want(http.StatusOK).Decode(&e)
	for _, bad := range []string{"12 345", "1234567", "12345", "abcdef", "１２３４５６"} {
		h.post("/api/v1/mfa/totp/confirm", ada, map[string]any{"code": bad}).wantError(http.StatusBadRequest, "invalid_request")
	}
	wrong := totpAt(t, e.Secret, h.clock.Now().Add(-5*time.Minute))
	h.post("/api/v1/mfa/totp/confirm", ada, map[string]any{"code": wrong}).wantError(http.StatusBadRequest, "invalid_request")
	if h.get("/api/v1/mfa", ada).want(http.StatusOK).JSON()["totp"] != false {
		t.Fatal("TOTP is on before its confirmation")
	}
	secret := enrolTOTP(t, h, ada)
	status = h.get("/api/v1/mfa", ada).want(http.StatusOK).JSON()
	if status["enabled"] != true || status["totp"] != true || jsonString(status["methods"]) != `["totp"]` {
		t.Fatalf("status after enrolment: %v", status)
	}
	h.post("/api/v1/mfa/totp", ada, nil).wantError(http.StatusForbidden, "mfa_reauth_required")

	step := loginStep(t, h, "ada@example.com", adaPassword)
	if jsonString(step.Methods) != `["totp"]` {
		t.Fatalf("methods %v", step.Methods)
	}
	now := h.clock.Now()
	// The code that confirmed the enrolment was spent on it.
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, now)).wantError(http.StatusUnauthorized, "invalid_credentials")
	// Two steps away either way is outside the skew.
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, now.Add(-60*time.Second))).wantError(http.StatusUnauthorized, "invalid_credentials")
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, now.Add(60*time.Second))).wantError(http.StatusUnauthorized, "invalid_credentials")
	// Three wrong codes back the account off, as wrong passwords do.
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, now.Add(30*time.Second))).wantError(http.StatusUnauthorized, "invalid_credentials")
	h.clock.Advance(2 * time.Second)
	// Malformed codes are the client's mistake, not a guess.
	mfaVerify(h, step.MFAToken, "totp", "12345a").wantError(http.StatusBadRequest, "invalid_request")
	mfaVerify(h, step.MFAToken, "email", "123456").wantError(http.StatusBadRequest, "invalid_request")
	// One step ahead is within the skew.
	var tk tokens
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, now.Add(30*time.Second))).want(http.StatusOK).Decode(&tk)
	var claims struct {
		AMR []string `json:"amr"`
	}
	jwtClaims(t, tk.AccessToken, &claims)
	if jsonString(claims.AMR) != `["pwd","otp","mfa"]` {
		t.Fatalf("amr %v, want pwd, otp, mfa", claims.AMR)
	}
	h.get("/api/v1/me", tk.AccessToken).want(http.StatusOK)
	// The step ended with its success.
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, now.Add(30*time.Second))).wantError(http.StatusUnauthorized, "invalid_token")

	// The code accepted is refused again, in another login too.
	h.clock.Advance(30 * time.Second)
	again := loginStep(t, h, "ada@example.com", adaPassword)
	mfaVerify(h, again.MFAToken, "totp", totpAt(t, secret, now.Add(30*time.Second))).wantError(http.StatusUnauthorized, "invalid_credentials")
	h.clock.Advance(30 * time.Second)
	mfaVerify(h, again.MFAToken, "totp", totpAt(t, secret, h.clock.Now())).want(http.StatusOK)

	// An mfa_token lives five minutes.
	late := loginStep(t, h, "ada@example.com", adaPassword)
	h.clock.Advance(5*time.Minute + time.Second)
	mfaVerify(h, late.MFAToken, "totp", totpAt(t, secret, h.clock.Now())).wantError(http.StatusUnauthorized, "invalid_token")

	// Refused codes and tokens are audited with their reason.
	reasons := map[string]bool{}
	for _, ev := range h.auditEvents(admin, "action=auth.mfa.refused") {
		if d, ok := ev["details"].(map[string]any); ok {
			reasons[d["reason"].(string)] = true
		}
	}
	for _, r := range []string{"malformed_code", "method_not_enabled", "token_expired"} {
		if !reasons[r] {
			t.Errorf("no auth.mfa.refused event with reason %s (have %v)", r, reasons)
		}
	}
	found := false
	for _, ev := range h.auditEvents(admin, "action=auth.login.failed") {
		if d, ok := ev["details"].(map[string]any); ok && d["reason"] == "wrong_second_factor" {
			found = true
		}
	}
	if !found {
		t.Error("no auth.login.failed event with reason wrong_second_factor")
	}
}

func TestMFATokenDiesAfterFiveWrongCodes(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	secret := enrolTOTP(t, h, ada)
	h.clock.Advance(30 * time.Second)
	step := loginStep(t, h, "ada@example.com", adaPassword)
	right := totpAt(t, secret, h.clock.Now())
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	for range 5 {
		mfaVerify(h, step.MFAToken, "totp", wrong).wantError(http.StatusUnauthorized, "invalid_credentials")
		h.clock.Advance(10 * time.Second) // past the back-off
	}
	right = totpAt(t, secret, h.clock.Now())
	mfaVerify(h, step.MFAToken, "totp", right).wantError(http.StatusUnauthorized, "invalid_token")
}

func TestMFATokenIsBoundToItsTenant(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = tnSystemHost
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	secret := enrolTOTP(t, h, ada)
	h.post("/api/v1/tenants", admin, map[string]any{"name": "Other", "hostnames": []string{tnHostB}}).want(http.StatusCreated)
	h.clock.Advance(30 * time.Second)
	step := loginStep(t, h, "ada@example.com", adaPassword)
	h.send(request{method: http.MethodPost, path: "/api/v1/auth/mfa/verify", host: tnHostB,
		body: map[string]any{"mfa_token": step.MFAToken, "method": "totp", "code": totpAt(t, secret, h.clock.Now())}}).
		wantError(http.StatusUnauthorized, "invalid_token")
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, h.clock.Now())).want(http.StatusOK)
}

var recoveryCodeShape = regexp.MustCompile(`^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$`)

func TestRecoveryCodes(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	secret := enrolTOTP(t, h, ada)
	// Ada's session signed in with her password alone: it must step up.
	h.post("/api/v1/mfa/recovery-codes", ada, nil).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "password", "password": adaPassword}).
		wantError(http.StatusForbidden, "mfa_reauth_required")
	h.clock.Advance(30 * time.Second)
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	var first struct {
		Codes []string `json:"codes"`
	}
	res := h.post("/api/v1/mfa/recovery-codes", ada, nil).want(http.StatusOK)
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("recovery codes answered with Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	res.Decode(&first)
	if len(first.Codes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(first.Codes))
	}
	seen := map[string]bool{}
	for _, c := range first.Codes {
		if !recoveryCodeShape.MatchString(c) || seen[c] {
			t.Fatalf("recovery code %q is malformed or repeated", c)
		}
		seen[c] = true
	}
	status := h.get("/api/v1/mfa", ada).want(http.StatusOK).JSON()
	if status["recovery_codes_remaining"] != float64(10) || jsonString(status["methods"]) != `["totp","recovery_code"]` {
		t.Fatalf("status %v", status)
	}

	step := loginStep(t, h, "ada@example.com", adaPassword)
	// Upper case and without dashes are the same code.
	code := strings.ToUpper(strings.ReplaceAll(first.Codes[0], "-", ""))
	mfaVerify(h, step.MFAToken, "recovery_code", code).want(http.StatusOK)
	again := loginStep(t, h, "ada@example.com", adaPassword)
	mfaVerify(h, again.MFAToken, "recovery_code", first.Codes[0]).wantError(http.StatusUnauthorized, "invalid_credentials")
	mfaVerify(h, again.MFAToken, "recovery_code", "abcd-efgh").wantError(http.StatusBadRequest, "invalid_request")
	if n := h.get("/api/v1/mfa", ada).want(http.StatusOK).JSON()["recovery_codes_remaining"]; n != float64(9) {
		t.Fatalf("recovery_codes_remaining %v after using one, want 9", n)
	}

	// New codes void the old ones.
	var second struct {
		Codes []string `json:"codes"`
	}
	h.post("/api/v1/mfa/recovery-codes", ada, nil).want(http.StatusOK).Decode(&second)
	if slices.Contains(second.Codes, first.Codes[1]) {
		t.Fatal("a new set repeats an old code")
	}
	mfaVerify(h, again.MFAToken, "recovery_code", first.Codes[1]).wantError(http.StatusUnauthorized, "invalid_credentials")
	mfaVerify(h, again.MFAToken, "recovery_code", second.Codes[1]).want(http.StatusOK)
}

// mailedCode is the code in the newest sign-in code mail to an address.
func mailedCode(t *testing.T, h *harness, admin, to string) string {
	t.Helper()
	for _, m := range h.mailsTo(admin, to) {
		if m["kind"] != "mfa_code" {
			continue
		}
		match := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(m["text"].(string))
		if match == nil {
			t.Fatalf("no code in the mail: %s", m["text"])
		}
		return match[1]
	}
	t.Fatalf("no mfa_code mail to %s", to)
	return ""
}

func TestEmailCodes(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/users", admin, map[string]any{"email": "bob@example.com", "name": "Bob", "password": adaPassword}).want(http.StatusCreated)
	bob := h.login("bob@example.com", adaPassword).AccessToken
	h.post("/api/v1/mfa/email", bob, nil).wantError(http.StatusForbidden, "email_not_verified")

	ada := mfaUser(t, h, admin)
	h.post("/api/v1/mfa/email", ada, nil).want(http.StatusNoContent)
	step := loginStep(t, h, "ada@example.com", adaPassword)
	if jsonString(step.Methods) != `["email"]` {
		t.Fatalf("methods %v", step.Methods)
	}
	// No code was mailed yet: nothing is right.
	mfaVerify(h, step.MFAToken, "email", "123456").wantError(http.StatusUnauthorized, "invalid_credentials")
	h.post("/api/v1/auth/mfa/email/send", "", map[string]any{"mfa_token": step.MFAToken}).want(http.StatusAccepted)
	first := mailedCode(t, h, admin, "ada@example.com")
	h.post("/api/v1/auth/mfa/email/send", "", map[string]any{"mfa_token": step.MFAToken}).want(http.StatusAccepted)
	second := mailedCode(t, h, admin, "ada@example.com")
	if first != second {
		// The newer code replaced the first.
		mfaVerify(h, step.MFAToken, "email", first).wantError(http.StatusUnauthorized, "invalid_credentials")
	}
	var tk tokens
	mfaVerify(h, step.MFAToken, "email", second).want(http.StatusOK).Decode(&tk)
	var claims struct {
		AMR []string `json:"amr"`
	}
	jwtClaims(t, tk.AccessToken, &claims)
	if jsonString(claims.AMR) != `["pwd","otp","mfa"]` {
		t.Fatalf("amr %v", claims.AMR)
	}
	h.post("/api/v1/auth/mfa/email/send", "", map[string]any{"mfa_token": step.MFAToken}).wantError(http.StatusUnauthorized, "invalid_token")

	// A mailed code outlives neither its ten minutes nor its step.
	late := loginStep(t, h, "ada@example.com", adaPassword)
	h.post("/api/v1/auth/mfa/email/send", "", map[string]any{"mfa_token": late.MFAToken}).want(http.StatusAccepted)
	code := mailedCode(t, h, admin, "ada@example.com")
	h.clock.Advance(5*time.Minute + time.Second)
	mfaVerify(h, late.MFAToken, "email", code).wantError(http.StatusUnauthorized, "invalid_token")

	// Turning email codes off needs a recent second factor.
	h.delete("/api/v1/mfa/email", ada).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.delete("/api/v1/mfa/email", tk.AccessToken).want(http.StatusNoContent)
	h.login("ada@example.com", adaPassword)
}

func TestStepUp(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	secret := enrolTOTP(t, h, ada)
	h.delete("/api/v1/mfa/totp", ada).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.post("/api/v1/me/password", ada, map[string]any{"current_password": adaPassword, "new_password": "Zx-quill-8812-lamp"}).
		wantError(http.StatusForbidden, "mfa_reauth_required")
	h.post("/api/v1/me/email", ada, map[string]any{"new_email": "ada2@example.com", "password": adaPassword}).
		wantError(http.StatusForbidden, "mfa_reauth_required")

	// A session signed in with both factors may for ten minutes.
	h.clock.Advance(30 * time.Second)
	step := loginStep(t, h, "ada@example.com", adaPassword)
	var full tokens
	mfaVerify(h, step.MFAToken, "totp", totpAt(t, secret, h.clock.Now())).want(http.StatusOK).Decode(&full)
	h.post("/api/v1/me/email", full.AccessToken, map[string]any{"new_email": "ada2@example.com", "password": adaPassword}).want(http.StatusAccepted)
	h.clock.Advance(10*time.Minute + time.Second)
	var later tokens
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": full.RefreshToken}).want(http.StatusOK).Decode(&later)
	ada = later.AccessToken
	h.post("/api/v1/me/email", ada, map[string]any{"new_email": "ada2@example.com", "password": adaPassword}).
		wantError(http.StatusForbidden, "mfa_reauth_required")

	// Reauth: malformed codes and a method the account lacks are refused.
	h.post("/api/v1/auth/reauth/email/send", ada, nil).wantError(http.StatusUnprocessableEntity, "state_conflict")
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "totp", "code": "000000x"}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "email", "code": "123456"}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	h.delete("/api/v1/mfa/totp", ada).want(http.StatusNoContent)
	if h.get("/api/v1/mfa", ada).want(http.StatusOK).JSON()["enabled"] != false {
		t.Fatal("TOTP still on")
	}
	// Without a factor, nothing needs a step-up and the password signs in.
	h.post("/api/v1/me/password", ada, map[string]any{"current_password": adaPassword, "new_password": "Zx-quill-8812-lamp"}).want(http.StatusNoContent)
	h.login("ada@example.com", "Zx-quill-8812-lamp")
	admin = h.admin()
	h.post("/api/v1/auth/reauth", admin, map[string]any{"method": "password", "password": "wrong"}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
	h.post("/api/v1/auth/reauth", admin, map[string]any{"method": "password", "password": adminPassword}).want(http.StatusNoContent)

	events := h.auditEvents(admin, "action=auth.reauthentication.succeeded")
	if len(events) < 2 {
		t.Fatalf("%d auth.reauthentication.succeeded events, want 2", len(events))
	}
}

// TestTOTPSeedIsSealed reads the stored credential: the seed is not there
// in any spelling, and a sealed seed copied to another user does not open.
func TestTOTPSeedIsSealed(t *testing.T) {
	h, db := harnessWithDB(t)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	secret := enrolTOTP(t, h, ada)
	var stored string
	if err := db.QueryRow(`SELECT secret FROM credentials WHERE type = 'totp'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawStdEncoding.DecodeString(stored)
	for _, s := range []string{stored, string(raw)} {
		if strings.Contains(strings.ToUpper(s), secret) {
			t.Fatalf("the stored TOTP credential shows its seed: %q", s)
		}
	}
}

// TestCreatingACredentialNeedsStepUp: an admin with a second factor adds a
// device password for a user only within ten minutes of passing it.
func TestCreatingACredentialNeedsStepUp(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	id := h.createUser(admin, "dev@example.com", adaPassword)
	secret := enrolTOTP(t, h, admin)
	body := map[string]any{"type": "device_password", "credential_ext_id": "laptop-1", "password": "Zx-quill-8812-lamp"}
	h.post("/api/v1/users/"+id+"/credentials", admin, body).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.clock.Advance(30 * time.Second)
	h.post("/api/v1/auth/reauth", admin, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	h.post("/api/v1/users/"+id+"/credentials", admin, body).want(http.StatusCreated)
}

// TestDeleteOwnAccount: a session ends its own account only after
// confirming its user, with the password or, when the user has one, a
// second factor; the last superadmin cannot leave.
func TestDeleteOwnAccount(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	h.delete("/api/v1/me", ada).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "password", "password": adaPassword}).want(http.StatusNoContent)
	h.delete("/api/v1/me", ada).want(http.StatusNoContent)
	h.post("/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": adaPassword}).
		wantError(http.StatusUnauthorized, "invalid_credentials")

	bob := h.createUser(admin, "bob@example.com", adaPassword)
	tok := h.login("bob@example.com", adaPassword).AccessToken
	secret := enrolTOTP(t, h, tok)
	h.post("/api/v1/auth/reauth", tok, map[string]any{"method": "password", "password": adaPassword}).
		wantError(http.StatusForbidden, "mfa_reauth_required")
	h.delete("/api/v1/me", tok).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.clock.Advance(30 * time.Second)
	h.post("/api/v1/auth/reauth", tok, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	h.delete("/api/v1/me", tok).want(http.StatusNoContent)
	h.get("/api/v1/users/"+bob, admin).wantError(http.StatusNotFound, "not_found")

	h.post("/api/v1/auth/reauth", admin, map[string]any{"method": "password", "password": adminPassword}).want(http.StatusNoContent)
	h.delete("/api/v1/me", admin).wantError(http.StatusConflict, "last_superadmin")
}

// TestRequiredPolicyKeepsTheLastFactor: under a policy requiring a second
// factor, a user turns one off only while another stays on.
func TestRequiredPolicyKeepsTheLastFactor(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	ada := mfaUser(t, h, admin)
	secret := enrolTOTP(t, h, ada)
	h.clock.Advance(30 * time.Second)
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	h.post("/api/v1/mfa/email", ada, nil).want(http.StatusNoContent)
	h.patchSettings(admin, map[string]any{"mfa": map[string]any{"policy": "required"}})
	h.delete("/api/v1/mfa/email", ada).want(http.StatusNoContent)
	h.delete("/api/v1/mfa/totp", ada).wantError(http.StatusUnprocessableEntity, "state_conflict")
	if h.get("/api/v1/mfa", ada).want(http.StatusOK).JSON()["totp"] != true {
		t.Fatal("TOTP went off although the policy requires a factor")
	}
	h.patchSettings(admin, map[string]any{"mfa": map[string]any{"policy": "optional"}})
	h.delete("/api/v1/mfa/totp", ada).want(http.StatusNoContent)
}

// TestOwnSecondFactorsChangeOnlyUnderMFA: the admin credentials API does
// not let an admin remove their own second factor around step-up.
func TestOwnSecondFactorsChangeOnlyUnderMFA(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	enrolTOTP(t, h, admin)
	me := h.get("/api/v1/me", admin).want(http.StatusOK).JSON()["id"].(string)
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/users/"+me+"/credentials?type=totp", admin).want(http.StatusOK).Decode(&page)
	if len(page.Data) != 1 {
		t.Fatalf("%d TOTP credentials listed", len(page.Data))
	}
	id := page.Data[0]["id"].(string)
	h.delete("/api/v1/users/"+me+"/credentials/"+id, admin).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/users/"+me+"/credentials/"+id, admin, map[string]any{"state": "disabled"}).wantError(http.StatusForbidden, "forbidden")
	if h.get("/api/v1/mfa", admin).want(http.StatusOK).JSON()["totp"] != true {
		t.Fatal("TOTP went off")
	}
}

// TestStepUpLimits: a session mails at most five step-up codes while they
// live, and a SCIM token, like every secret, needs a recent second factor.
func TestStepUpLimits(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	secret := enrolTOTP(t, h, admin)
	h.post("/api/v1/scim/token", admin, map[string]any{}).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.clock.Advance(30 * time.Second)
	h.post("/api/v1/auth/reauth", admin, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	h.post("/api/v1/mfa/email", admin, nil).want(http.StatusNoContent)
	h.post("/api/v1/scim/token", admin, map[string]any{}).want(http.StatusCreated)
	for range 5 {
		h.post("/api/v1/auth/reauth/email/send", admin, nil).want(http.StatusAccepted)
	}
	h.post("/api/v1/auth/reauth/email/send", admin, nil).wantError(http.StatusTooManyRequests, "rate_limited")
	code := mailedCode(t, h, admin, adminEmail)
	h.post("/api/v1/auth/reauth", admin, map[string]any{"method": "email", "code": code}).want(http.StatusNoContent)
	h.post("/api/v1/auth/reauth/email/send", admin, nil).want(http.StatusAccepted)
}
