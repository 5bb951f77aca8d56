package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/passkey/passkeytest"
)

// rpOrigin is where the passkey tests' pages are: the relying party id
// cannot be an IP address, so they use localhost.
const rpOrigin = "http://localhost:8443"

func passkeyHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	vars := map[string]string{"GATEHOUSE_WEBAUTHN_RP_ID": "localhost", "GATEHOUSE_WEBAUTHN_RP_ORIGINS": rpOrigin}
	for k, v := range env {
		vars[k] = v
	}
	return newHarness(t, vars)
}

// ceremony is what a begin answers.
type ceremony struct {
	Token   string          `json:"token"`
	Options json.RawMessage `json:"options"`
}

func (h *harness) beginRegistration(token string) ceremony {
	h.t.Helper()
	var c ceremony
	h.post("/api/v1/mfa/webauthn/register/begin", token, nil).want(http.StatusOK).Decode(&c)
	return c
}

func (h *harness) finishRegistration(token string, c ceremony, name string, credential json.RawMessage) *response {
	h.t.Helper()
	return h.post("/api/v1/mfa/webauthn/register/finish", token, map[string]any{"token": c.Token, "name": name, "credential": credential})
}

// registerPasskey registers a new key of a for the caller and returns the
// stored passkey.
func (h *harness) registerPasskey(token string, a *passkeytest.Authenticator, name string) map[string]any {
	h.t.Helper()
	c := h.beginRegistration(token)
	reg, err := a.Create(c.Options)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.finishRegistration(token, c, name, encodeRegistration(h.t, reg)).want(http.StatusCreated).JSON()
}

// stepUpWithPasskey confirms the caller's session with a's key, as adding
// or removing a second factor needs once the caller has one.
func (h *harness) stepUpWithPasskey(token string, a *passkeytest.Authenticator) {
	h.t.Helper()
	var o struct {
		Options json.RawMessage `json:"options"`
	}
	h.post("/api/v1/auth/reauth/webauthn/begin", token, nil).want(http.StatusOK).Decode(&o)
	as, err := a.Get(o.Options)
	if err != nil {
		h.t.Fatal(err)
	}
	h.post("/api/v1/auth/reauth", token, map[string]any{"method": "webauthn", "assertion": sign(h.t, as)}).want(http.StatusNoContent)
}

func encodeRegistration(t *testing.T, r *passkeytest.Registration) json.RawMessage {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(t *testing.T, a *passkeytest.Assertion) json.RawMessage {
	t.Helper()
	b, err := a.Sign()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h *harness) beginPasskeyLogin(host string) ceremony {
	h.t.Helper()
	var c ceremony
	h.send(request{method: http.MethodPost, path: "/api/v1/auth/passkey/begin", host: host}).want(http.StatusOK).Decode(&c)
	return c
}

func (h *harness) finishPasskeyLogin(host string, c ceremony, credential json.RawMessage) *response {
	h.t.Helper()
	return h.send(request{method: http.MethodPost, path: "/api/v1/auth/passkey/finish", host: host,
		body: map[string]any{"token": c.Token, "credential": credential}})
}

// passkeyLogin signs in with a's first key for the options of a new
// passwordless sign-in.
func (h *harness) passkeyLogin(host string, a *passkeytest.Authenticator) *response {
	h.t.Helper()
	c := h.beginPasskeyLogin(host)
	as, err := a.Get(c.Options)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.finishPasskeyLogin(host, c, sign(h.t, as))
}

// wantAudited fails unless the newest event of action carries reason.
func (h *harness) wantAudited(admin, action, reason string) {
	h.t.Helper()
	events := h.auditEvents(admin, "action="+action)
	if len(events) == 0 {
		h.t.Fatalf("no %s event", action)
	}
	got, _ := events[0]["details"].(map[string]any)["reason"].(string)
	if !strings.HasPrefix(got, reason) {
		h.t.Fatalf("newest %s event has reason %q, want %q…", action, got, reason)
	}
}

func TestPasskeyLifecycle(t *testing.T) {
	h := passkeyHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "ann@example.com", "Kq-21207-1fec7")
	ann := h.login("ann@example.com", "Kq-21207-1fec7").AccessToken
	a := passkeytest.New(rpOrigin)

	c := h.beginRegistration(ann)
	var opts struct {
		PublicKey struct {
			RP struct {
				ID string `json:"id"`
			} `json:"rp"`
			Attestation            string `json:"attestation"`
			AuthenticatorSelection struct {
				ResidentKey string `json:"residentKey"`
			} `json:"authenticatorSelection"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(c.Options, &opts); err != nil {
		t.Fatal(err)
	}
	if opts.PublicKey.RP.ID != "localhost" || opts.PublicKey.Attestation != "none" || opts.PublicKey.AuthenticatorSelection.ResidentKey != "preferred" {
		t.Fatalf("creation options %s", c.Options)
	}
	reg, err := a.Create(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	laptop := h.finishRegistration(ann, c, "  Laptop  ", encodeRegistration(t, reg)).want(http.StatusCreated).JSON()
	// With a passkey, adding another needs a recent second factor.
	h.post("/api/v1/mfa/webauthn/register/begin", ann, nil).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.stepUpWithPasskey(ann, a)
	if laptop["name"] != "Laptop" || laptop["state"] != "active" || laptop["synced"] != false || laptop["last_used_at"] != nil {
		t.Fatalf("registered %v", laptop)
	}
	b := passkeytest.New(rpOrigin)
	b.Synced = true
	phone := h.registerPasskey(ann, b, "")
	if phone["name"] != "Passkey" || phone["synced"] != true {
		t.Fatalf("registered %v", phone)
	}

	// The keys the user holds are excluded from a new registration.
	for _, held := range []*passkeytest.Authenticator{a, b} {
		if _, err := held.Create(h.beginRegistration(ann).Options); err == nil || !strings.Contains(err.Error(), "excluded") {
			t.Fatalf("creating a second key on an authenticator holding one: %v", err)
		}
	}

	var list struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	h.get("/api/v1/mfa/webauthn", ann).want(http.StatusOK).Decode(&list)
	if list.Total != 2 || list.Data[0]["id"] != laptop["id"] || list.Data[1]["id"] != phone["id"] {
		t.Fatalf("passkeys %v", list)
	}

	renamed := h.patch("/api/v1/mfa/webauthn/"+phone["id"].(string), ann, map[string]any{"name": "Phone"}).want(http.StatusOK).JSON()
	if renamed["name"] != "Phone" || renamed["id"] != phone["id"] {
		t.Fatalf("renamed %v", renamed)
	}
	for _, bad := range []string{"", "   ", "a\nb", strings.Repeat("x", 65)} {
		h.patch("/api/v1/mfa/webauthn/"+phone["id"].(string), ann, map[string]any{"name": bad}).wantError(http.StatusBadRequest, "invalid_request")
	}

	// Another user sees, renames and deletes none of them.
	h.createUser(admin, "bob@example.com", "Kq-3b0b-77aa1")
	bob := h.login("bob@example.com", "Kq-3b0b-77aa1").AccessToken
	h.get("/api/v1/mfa/webauthn", bob).want(http.StatusOK).Decode(&list)
	if list.Total != 0 {
		t.Fatalf("bob lists %v", list)
	}
	h.patch("/api/v1/mfa/webauthn/"+phone["id"].(string), bob, map[string]any{"name": "Mine"}).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/mfa/webauthn/"+phone["id"].(string), bob).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/mfa/webauthn/not-a-uuid", ann).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/mfa/webauthn", "").wantError(http.StatusUnauthorized, "unauthenticated")

	h.delete("/api/v1/mfa/webauthn/"+laptop["id"].(string), ann).want(http.StatusNoContent)
	h.delete("/api/v1/mfa/webauthn/"+laptop["id"].(string), ann).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/mfa/webauthn", ann).want(http.StatusOK).Decode(&list)
	if list.Total != 1 || list.Data[0]["name"] != "Phone" {
		t.Fatalf("passkeys after a delete %v", list)
	}
	for _, action := range []string{"mfa.webauthn.registered", "mfa.webauthn.renamed", "mfa.webauthn.deleted"} {
		if len(h.auditEvents(admin, "action="+action)) == 0 {
			t.Errorf("no %s event", action)
		}
	}
}

func TestPasskeyPasswordlessSignIn(t *testing.T) {
	h := passkeyHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "ann@example.com", "Kq-21207-1fec7")
	ann := h.login("ann@example.com", "Kq-21207-1fec7").AccessToken
	device, synced := passkeytest.New(rpOrigin), passkeytest.New(rpOrigin)
	synced.Synced = true
	key := h.registerPasskey(ann, device, "Security key")
	h.stepUpWithPasskey(ann, device)
	h.registerPasskey(ann, synced, "Phone")

	for _, tt := range []struct {
		name string
		a    *passkeytest.Authenticator
		amr  []string
	}{
		{"device-bound key", device, []string{"hwk", "mfa"}},
		{"synced passkey", synced, []string{"swk", "mfa"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := biFor(h, t)
			c := h.beginPasskeyLogin("")
			var opts struct {
				PublicKey struct {
					RPID             string `json:"rpId"`
					UserVerification string `json:"userVerification"`
					Allow            []any  `json:"allowCredentials"`
				} `json:"publicKey"`
			}
			if err := json.Unmarshal(c.Options, &opts); err != nil {
				t.Fatal(err)
			}
			if opts.PublicKey.RPID != "localhost" || opts.PublicKey.UserVerification != "required" || len(opts.PublicKey.Allow) != 0 {
				t.Fatalf("request options %s", c.Options)
			}
			as, err := tt.a.Get(c.Options)
			if err != nil {
				t.Fatal(err)
			}
			var tk tokens
			h.finishPasskeyLogin("", c, sign(t, as)).want(http.StatusOK).Decode(&tk)
			var claims struct {
				Tid string   `json:"tid"`
				Sid string   `json:"sid"`
				AMR []string `json:"amr"`
			}
			jwtClaims(t, tk.AccessToken, &claims)
			if !slices.Equal(claims.AMR, tt.amr) {
				t.Fatalf("amr %v, want %v", claims.AMR, tt.amr)
			}
			me := h.get("/api/v1/me", tk.AccessToken).want(http.StatusOK).JSON()
			if me["email"] != "ann@example.com" {
				t.Fatalf("signed in as %v", me["email"])
			}
			mfaAt, err := h.srv.SessionMFAAt(t.Context(), claims.Tid, claims.Sid)
			if err != nil || mfaAt == nil || !mfaAt.Equal(h.clock.Now().UTC().Truncate(time.Microsecond)) {
				t.Fatalf("session MFA time %v (%v), want now", mfaAt, err)
			}
			h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken}).want(http.StatusOK)
		})
	}

	// The sign count and last use are recorded; the next sign-in works.
	var list struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/mfa/webauthn", ann).want(http.StatusOK).Decode(&list)
	if list.Data[0]["id"] != key["id"] || list.Data[0]["last_used_at"] == nil {
		t.Fatalf("passkeys after sign-in %v", list.Data)
	}
	h.passkeyLogin("", device).want(http.StatusOK)
	succeeded := h.auditEvents(admin, "action=auth.login.succeeded")
	if amr, _ := succeeded[0]["details"].(map[string]any)["amr"].([]any); len(amr) != 2 || amr[0] != "hwk" {
		t.Fatalf("login audited with %v", succeeded[0])
	}

	// A disabled user's passkey signs nobody in, and says no more than a
	// wrong password would.
	me := h.get("/api/v1/me", ann).want(http.StatusOK).JSON()
	h.post("/api/v1/users/"+me["id"].(string)+"/disable", admin, nil).want(http.StatusOK)
	h.passkeyLogin("", device).wantError(http.StatusUnauthorized, "invalid_credentials")
	h.wantAudited(admin, "auth.login.failed", "passkey_user_disabled")
}

// TestPasskeyRefusals: every assertion that must not sign in is refused
// with a 4xx, changes nothing, and is audited with its reason.
func TestPasskeyRefusals(t *testing.T) {
	h := passkeyHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "ann@example.com", "Kq-21207-1fec7")
	h.createUser(admin, "bob@example.com", "Kq-3b0b-77aa1")
	ann := h.login("ann@example.com", "Kq-21207-1fec7").AccessToken
	bob := h.login("bob@example.com", "Kq-3b0b-77aa1").AccessToken
	a, b := passkeytest.New(rpOrigin), passkeytest.New(rpOrigin)
	h.registerPasskey(ann, a, "Ann's key")
	h.registerPasskey(bob, b, "Bob's key")
	h.stepUpWithPasskey(ann, a)

	// get answers a fresh sign-in's challenge with Ann's key.
	get := func(h *harness) (ceremony, *passkeytest.Assertion) {
		c := h.beginPasskeyLogin("")
		as, err := a.Get(c.Options)
		if err != nil {
			h.t.Fatal(err)
		}
		return c, as
	}
	tests := []struct {
		name   string
		forge  func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage
		status int
		code   string
		reason string
	}{
		{"another origin", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.Origin = "https://evil.example"
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "invalid_assertion"},
		{"another relying party", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.RPID = "evil.example"
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "invalid_assertion"},
		{"another challenge", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			other, _ := get(h)
			*c = other
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "invalid_assertion"},
		{"a registration's client data", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.Type = "webauthn.create"
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "invalid_assertion"},
		{"no user verification", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.Flags &^= 0x04
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "invalid_assertion"},
		{"a tampered signature", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			good := sign(h.t, as)
			as.Count += 100 // signed data changes, the signature above does not
			forged := sign(h.t, as)
			var g, f map[string]any
			_ = json.Unmarshal(good, &g)
			_ = json.Unmarshal(forged, &f)
			f["response"].(map[string]any)["signature"] = g["response"].(map[string]any)["signature"]
			out, _ := json.Marshal(f)
			return out
		}, http.StatusUnauthorized, "invalid_credentials", "invalid_assertion"},
		{"another user's handle", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.UserHandle = b.Keys[0].UserHandle
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "unknown_credential"},
		{"an unknown user handle", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.UserHandle = []byte("not a user")
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "unknown_user_handle"},
		{"no user handle", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.UserHandle = nil
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "unknown_user_handle"},
		{"a sign count that went back", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			as.Count = 0
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_credentials", "sign_count_regressed"},
		{"garbage for a credential", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			return json.RawMessage(`{"id":"x","type":"public-key","response":{}}`)
		}, http.StatusBadRequest, "invalid_request", "malformed_assertion"},
		{"an unknown token", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			c.Token = "ghk_unknown"
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_token", "unknown_challenge"},
		{"an expired challenge", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			h.clock.Advance(5*time.Minute + time.Second)
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_token", "challenge_expired"},
		{"a registration's token", func(h *harness, c *ceremony, as *passkeytest.Assertion) json.RawMessage {
			c.Token = h.beginRegistration(ann).Token
			return sign(h.t, as)
		}, http.StatusUnauthorized, "invalid_token", "challenge_of_webauthn_register"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := biFor(h, t)
			c, as := get(h)
			body := tt.forge(h, &c, as)
			h.finishPasskeyLogin("", c, body).wantError(tt.status, tt.code)
			h.wantAudited(admin, "auth.passkey.failed", tt.reason)
			// The refusal stored no sign count, nor anything else: the
			// key's next use works.
			h.passkeyLogin("", a).want(http.StatusOK)
		})
	}

	t.Run("a credential that is no object", func(t *testing.T) {
		h := biFor(h, t)
		c, as := get(h)
		biWantError(h.finishPasskeyLogin("", c, json.RawMessage(`"hello"`)), http.StatusBadRequest, "invalid_request", "credential")
		// Refused before it reached a ceremony: the challenge still works.
		h.finishPasskeyLogin("", c, sign(t, as)).want(http.StatusOK)
	})

	t.Run("a replayed challenge", func(t *testing.T) {
		h := biFor(h, t)
		c, as := get(h)
		body := sign(t, as)
		h.finishPasskeyLogin("", c, body).want(http.StatusOK)
		h.finishPasskeyLogin("", c, body).wantError(http.StatusUnauthorized, "invalid_token")
		h.wantAudited(admin, "auth.passkey.failed", "unknown_challenge")
		// A refused finish uses its challenge up too.
		c, as = get(h)
		as.Origin = "https://evil.example"
		h.finishPasskeyLogin("", c, sign(t, as)).wantError(http.StatusUnauthorized, "invalid_credentials")
		as.Origin = rpOrigin
		h.finishPasskeyLogin("", c, sign(t, as)).wantError(http.StatusUnauthorized, "invalid_token")
	})

	t.Run("concurrent finishes of one challenge", func(t *testing.T) {
		h := biFor(h, t)
		c, as := get(h)
		body := sign(t, as)
		const n = 4
		statuses := make([]int, n)
		done := make(chan int)
		for i := range n {
			go func() {
				r := h.send(request{method: http.MethodPost, path: "/api/v1/auth/passkey/finish",
					body: map[string]any{"token": c.Token, "credential": body}})
				statuses[i] = r.Status
				done <- i
			}()
		}
		for range n {
			<-done
		}
		slices.Sort(statuses)
		if statuses[0] != http.StatusOK || statuses[1] != http.StatusUnauthorized || statuses[n-1] != http.StatusUnauthorized {
			t.Fatalf("statuses %v, want one 200 and the rest 401", statuses)
		}
	})
}

func TestPasskeyRegistrationRefusals(t *testing.T) {
	h := passkeyHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "ann@example.com", "Kq-21207-1fec7")
	h.createUser(admin, "bob@example.com", "Kq-3b0b-77aa1")
	ann := h.login("ann@example.com", "Kq-21207-1fec7").AccessToken
	bob := h.login("bob@example.com", "Kq-3b0b-77aa1").AccessToken
	tests := []struct {
		name   string
		forge  func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage
		status int
		code   string
		reason string
	}{
		{"another origin", func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage {
			r.Origin = "https://evil.example"
			return encodeRegistration(h.t, r)
		}, http.StatusBadRequest, "invalid_request", "invalid_response"},
		{"another relying party", func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage {
			r.RPID = "evil.example"
			return encodeRegistration(h.t, r)
		}, http.StatusBadRequest, "invalid_request", "invalid_response"},
		{"another challenge", func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage {
			*c = h.beginRegistration(ann)
			return encodeRegistration(h.t, r)
		}, http.StatusBadRequest, "invalid_request", "invalid_response"},
		{"an assertion's client data", func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage {
			r.Type = "webauthn.get"
			return encodeRegistration(h.t, r)
		}, http.StatusBadRequest, "invalid_request", "invalid_response"},
		{"another user's token", func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage {
			*c = h.beginRegistration(bob)
			return encodeRegistration(h.t, r)
		}, http.StatusBadRequest, "invalid_request", "challenge_of_another_user"},
		{"garbage for a credential", func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage {
			return json.RawMessage(`{"id":"x","type":"public-key","response":{"attestationObject":"AAAA"}}`)
		}, http.StatusBadRequest, "invalid_request", "malformed_response"},
		{"an expired challenge", func(h *harness, c *ceremony, r *passkeytest.Registration) json.RawMessage {
			h.clock.Advance(5*time.Minute + time.Second)
			return encodeRegistration(h.t, r)
		}, http.StatusBadRequest, "invalid_request", "challenge_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := biFor(h, t)
			c := h.beginRegistration(ann)
			r, err := passkeytest.New(rpOrigin).Create(c.Options)
			if err != nil {
				t.Fatal(err)
			}
			body := tt.forge(h, &c, r)
			h.finishRegistration(ann, c, "Key", body).wantError(tt.status, tt.code)
			h.wantAudited(admin, "mfa.webauthn.register_failed", tt.reason)
			var list struct {
				Total int `json:"total"`
			}
			h.get("/api/v1/mfa/webauthn", ann).want(http.StatusOK).Decode(&list)
			if list.Total != 0 {
				t.Fatalf("a refused registration stored %d passkeys", list.Total)
			}
		})
	}

	t.Run("a replayed registration", func(t *testing.T) {
		h := biFor(h, t)
		c := h.beginRegistration(ann)
		key := passkeytest.New(rpOrigin)
		r, err := key.Create(c.Options)
		if err != nil {
			t.Fatal(err)
		}
		body := encodeRegistration(t, r)
		h.finishRegistration(ann, c, "Key", body).want(http.StatusCreated)
		h.stepUpWithPasskey(ann, key)
		biWantError(h.finishRegistration(ann, c, "Key", body), http.StatusBadRequest, "invalid_request", "token")
		// The same key under a new challenge is refused as a duplicate.
		c = h.beginRegistration(ann)
		r.Challenge = strings.Split(strings.Split(string(c.Options), `"challenge":"`)[1], `"`)[0]
		h.finishRegistration(ann, c, "Again", encodeRegistration(t, r)).wantError(http.StatusConflict, "conflict")
	})

	t.Run("a bad name", func(t *testing.T) {
		h := biFor(h, t)
		c := h.beginRegistration(ann)
		r, err := passkeytest.New(rpOrigin).Create(c.Options)
		if err != nil {
			t.Fatal(err)
		}
		h.finishRegistration(ann, c, "two\nlines", encodeRegistration(t, r)).wantError(http.StatusBadRequest, "invalid_request")
		// The refusal left the challenge for a good name.
		h.finishRegistration(ann, c, "Key 2", encodeRegistration(t, r)).want(http.StatusCreated)
	})
}

// TestPasskeyRelyingPartyPerTenant: a tenant's passkeys belong to its own
// hostname; a key of one tenant signs nobody into another.
func TestPasskeyRelyingPartyPerTenant(t *testing.T) {
	const hostB = "b.localhost"
	h := passkeyHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true", "GATEHOUSE_ISSUER": "http://gatehouse.localhost:8080",
		"GATEHOUSE_WEBAUTHN_RP_ID": "", "GATEHOUSE_WEBAUTHN_RP_ORIGINS": ""})
	const sysHost = "gatehouse.localhost"
	sys := func(r request) *response { r.host = sysHost; return h.send(r) }
	var tk tokens
	sys(request{method: http.MethodPost, path: "/api/v1/auth/login", body: map[string]any{"email": adminEmail, "password": adminPassword}}).
		want(http.StatusOK).Decode(&tk)
	sys(request{method: http.MethodPost, path: "/api/v1/tenants", token: tk.AccessToken, body: map[string]any{
		"name": "Tenant B", "hostnames": []string{hostB},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1", "name": "Boss"}}}).want(http.StatusCreated)
	var bTok tokens
	h.send(request{method: http.MethodPost, path: "/api/v1/auth/login", host: hostB,
		body: map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusOK).Decode(&bTok)

	// B's relying party is its hostname, its origin B's base URL.
	var c ceremony
	h.send(request{method: http.MethodPost, path: "/api/v1/mfa/webauthn/register/begin", host: hostB, token: bTok.AccessToken}).
		want(http.StatusOK).Decode(&c)
	if !strings.Contains(string(c.Options), `"id":"b.localhost"`) {
		t.Fatalf("B's creation options %s", c.Options)
	}
	a := passkeytest.New("http://b.localhost:8080")
	r, err := a.Create(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	h.send(request{method: http.MethodPost, path: "/api/v1/mfa/webauthn/register/finish", host: hostB, token: bTok.AccessToken,
		body: map[string]any{"token": c.Token, "credential": encodeRegistration(t, r)}}).want(http.StatusCreated)
	h.passkeyLogin(hostB, a).want(http.StatusOK)

	// The system tenant's relying party comes from the issuer; B's key,
	// presented there with the system tenant's id and origin, names no
	// user of the system tenant.
	c = h.beginPasskeyLogin(sysHost)
	if !strings.Contains(string(c.Options), `"rpId":"gatehouse.localhost"`) {
		t.Fatalf("the system tenant's request options %s", c.Options)
	}
	as, err := a.GetWith(a.Keys[0], c.Options)
	if err != nil {
		t.Fatal(err)
	}
	as.Origin = "http://gatehouse.localhost:8080"
	h.finishPasskeyLogin(sysHost, c, sign(t, as)).wantError(http.StatusUnauthorized, "invalid_credentials")
	events := h.auditEventsAt(sysHost, tk.AccessToken, "action=auth.passkey.failed")
	if len(events) == 0 || events[0]["details"].(map[string]any)["reason"] != "unknown_user_handle" {
		t.Fatalf("the system tenant audited %v", events)
	}
	// B's token does not finish a sign-in at the system tenant's host.
	c = h.beginPasskeyLogin(hostB)
	as, err = a.Get(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	h.finishPasskeyLogin(sysHost, c, sign(t, as)).wantError(http.StatusUnauthorized, "invalid_token")
}

func TestPasskeysNeedADomainName(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_ISSUER": "http://127.0.0.1:8080"})
	admin := h.admin()
	h.post("/api/v1/auth/passkey/begin", "", nil).wantError(http.StatusServiceUnavailable, "unavailable")
	h.post("/api/v1/mfa/webauthn/register/begin", admin, nil).wantError(http.StatusServiceUnavailable, "unavailable")

	// By default the relying party is the issuer's host.
	h = newHarness(t, nil)
	c := h.beginPasskeyLogin("")
	if !strings.Contains(string(c.Options), `"rpId":"gatehouse.test"`) {
		t.Fatalf("request options %s", c.Options)
	}
}

// auditEventsAt lists the newest audit events matching query of the tenant
// at host.
func (h *harness) auditEventsAt(host, token, query string) []map[string]any {
	h.t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.send(request{method: http.MethodGet, path: "/api/v1/audit-logs?limit=100&" + query, host: host, token: token}).
		want(http.StatusOK).Decode(&page)
	return page.Data
}

// TestPasskeyAsSecondFactor completes a password login with a passkey: the
// assertion must answer this step's own challenge, with the user's own key.
func TestPasskeyAsSecondFactor(t *testing.T) {
	h := passkeyHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "ann@example.com", "Kq-21207-1fec7")
	h.createUser(admin, "bob@example.com", "Kq-3b0b-77aa1")
	ann := h.login("ann@example.com", "Kq-21207-1fec7").AccessToken
	bob := h.login("bob@example.com", "Kq-3b0b-77aa1").AccessToken
	a, b := passkeytest.New(rpOrigin), passkeytest.New(rpOrigin)
	h.registerPasskey(ann, a, "Ann's key")
	h.registerPasskey(bob, b, "Bob's key")

	step := loginStep(t, h, "ann@example.com", "Kq-21207-1fec7")
	if jsonString(step.Methods) != `["webauthn"]` {
		t.Fatalf("methods %v", step.Methods)
	}
	begin := func() json.RawMessage {
		var o struct {
			Options json.RawMessage `json:"options"`
		}
		h.post("/api/v1/auth/mfa/webauthn/begin", "", map[string]any{"mfa_token": step.MFAToken}).want(http.StatusOK).Decode(&o)
		return o.Options
	}
	answer := func(assertion json.RawMessage) *response {
		return h.post("/api/v1/auth/mfa/verify", "", map[string]any{"mfa_token": step.MFAToken, "method": "webauthn", "assertion": assertion})
	}
	// Nothing asked yet.
	as, err := a.GetWith(a.Keys[0], []byte(`{"publicKey":{"challenge":"AAAA","rpId":"localhost"}}`))
	if err != nil {
		t.Fatal(err)
	}
	answer(sign(t, as)).wantError(http.StatusUnprocessableEntity, "state_conflict")

	// An assertion for an earlier challenge of the step, after a new one.
	stale, err := a.Get(begin())
	if err != nil {
		t.Fatal(err)
	}
	begin()
	answer(sign(t, stale)).wantError(http.StatusUnauthorized, "invalid_credentials")
	// Each answer ends the ceremony: ask again.
	answer(sign(t, stale)).wantError(http.StatusUnprocessableEntity, "state_conflict")
	// Bob's key for Ann's step.
	bobs, err := b.GetWith(b.Keys[0], begin())
	if err != nil {
		t.Fatal(err)
	}
	answer(sign(t, bobs)).wantError(http.StatusUnauthorized, "invalid_credentials")
	// Ann's key for her step.
	right, err := a.Get(begin())
	if err != nil {
		t.Fatal(err)
	}
	var tk tokens
	answer(sign(t, right)).want(http.StatusOK).Decode(&tk)
	var claims struct {
		AMR []string `json:"amr"`
	}
	jwtClaims(t, tk.AccessToken, &claims)
	if jsonString(claims.AMR) != `["pwd","hwk","mfa"]` {
		t.Fatalf("amr %v", claims.AMR)
	}
	// The session passed a second factor: changing factors needs no step-up.
	h.post("/api/v1/mfa/webauthn/register/begin", tk.AccessToken, nil).want(http.StatusOK)
	h.wantAudited(admin, "auth.login.failed", "wrong_second_factor")
}

// Adding a way into the account needs a recent proof even from a user
// without a second factor: the sign-in itself within the step-up window, or
// the password again. Otherwise an old session cookie (a shared computer, a
// stolen one) became a passkey, a second factor or a token that outlives the
// session and a password reset (found by a review).
func TestNewCredentialsNeedARecentProof(t *testing.T) {
	h := passkeyHarness(t, nil)
	admin := h.admin()
	const email, pw = "ada@example.com", "Kq-70b1e-93d2c"
	h.createUser(admin, email, pw)
	session := h.login(email, pw)
	h.post("/api/v1/mfa/webauthn/register/begin", session.AccessToken, nil).want(http.StatusOK)

	h.clock.Advance(2 * time.Hour)
	var later tokens
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": session.RefreshToken}).want(http.StatusOK).Decode(&later)
	for _, path := range []string{"/api/v1/mfa/webauthn/register/begin", "/api/v1/mfa/totp", "/api/v1/mfa/email", "/api/v1/me/tokens"} {
		var body any
		if path == "/api/v1/me/tokens" {
			body = map[string]any{"name": "ci"}
		}
		m := h.post(path, later.AccessToken, body).wantError(http.StatusForbidden, "mfa_reauth_required")
		if d, _ := m["details"].(map[string]any); !slices.Equal(anySlice(d["methods"]), []any{"password"}) {
			t.Errorf("POST %s two hours after the sign-in: %v, want the password as the way to confirm", path, m)
		}
	}
	h.post("/api/v1/auth/reauth", later.AccessToken, map[string]any{"method": "password", "password": pw}).want(http.StatusNoContent)
	h.post("/api/v1/mfa/webauthn/register/begin", later.AccessToken, nil).want(http.StatusOK)
	h.post("/api/v1/me/tokens", later.AccessToken, map[string]any{"name": "ci"}).want(http.StatusCreated)
}
