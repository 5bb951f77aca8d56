package server_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// tokenRequest posts form to the token endpoint as the client.
func (rp *relyingParty) tokenRequest(form url.Values) (int, map[string]any) {
	rp.t.Helper()
	return rp.postForm("/oauth2/token", form)
}

// code runs an authorization request to its code, in a browser signed in
// as ada, with the options given.
func (rp *relyingParty) code(b *browser, opts ...oauth2.AuthCodeOption) string {
	rp.t.Helper()
	state := rand.Text()
	q := rp.authorize(b, rp.conf.AuthCodeURL(state, opts...), "ada@example.com", "correct horse 7 battery")
	if q.Get("code") == "" {
		rp.t.Fatalf("no code: %v", q)
	}
	return q.Get("code")
}

// TestOAuthRefusesBadRequests: what RFC 6749, RFC 7636 and RFC 9700 refuse
// is refused, and a refused authorization request never leaves for a
// redirect URI the client did not register.
func TestOAuthRefusesBadRequests(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	rp := h.newRelyingParty(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback}})
	other := h.newRelyingParty(admin, map[string]any{"name": "other", "type": "web", "redirect_uris": []string{rpCallback}})
	spa := h.newRelyingParty(admin, map[string]any{"name": "spa", "type": "spa", "redirect_uris": []string{rpCallback}})
	b := h.browser()

	t.Run("redirect URIs that are not the registered one", func(t *testing.T) {
		for _, uri := range []string{rpCallback + "/", rpCallback + "x", rpCallback + "#frag", "https://evil.example/callback",
			"https://rp.example.com/Callback", rpCallback + "?x=1", "//evil.example/callback", "javascript:alert(1)"} {
			conf := rp.conf
			conf.RedirectURL = uri
			p := b.get(strings.TrimPrefix(conf.AuthCodeURL("s"), h.ts.URL))
			if loc := p.Header.Get("Location"); p.Status < 400 || loc != "" {
				t.Errorf("redirect_uri %q: status %d, Location %q; want a refusal that goes nowhere", uri, p.Status, loc)
			}
		}
	})

	t.Run("a public client without PKCE", func(t *testing.T) {
		q := spa.authorize(b, spa.conf.AuthCodeURL("s"), "ada@example.com", "correct horse 7 battery")
		if q.Get("error") != "invalid_request" || q.Get("code") != "" {
			t.Errorf("callback %v, want invalid_request and no code", q)
		}
		q = spa.authorize(b, spa.conf.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", "abc"),
			oauth2.SetAuthURLParam("code_challenge_method", "plain")), "ada@example.com", "correct horse 7 battery")
		if q.Get("error") != "invalid_request" {
			t.Errorf("plain PKCE: callback %v, want invalid_request", q)
		}
	})

	t.Run("a scope the client may not ask for, or nobody knows", func(t *testing.T) {
		for _, scope := range []string{"phone", "admin:everything"} {
			conf := rp.conf
			conf.Scopes = []string{"openid", scope}
			q := rp.authorize(b, conf.AuthCodeURL("s"), "ada@example.com", "correct horse 7 battery")
			if q.Get("error") != "invalid_scope" {
				t.Errorf("scope %s: callback %v, want invalid_scope", scope, q)
			}
		}
	})

	verifier := oauth2.GenerateVerifier()
	t.Run("a missing or wrong PKCE verifier", func(t *testing.T) {
		code := rp.code(b, oauth2.S256ChallengeOption(verifier))
		status, body := rp.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}})
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("without a verifier: %d %v, want invalid_grant", status, body)
		}
		code = rp.code(b, oauth2.S256ChallengeOption(verifier))
		status, body = rp.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback},
			"code_verifier": {oauth2.GenerateVerifier()}})
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("with another verifier: %d %v, want invalid_grant", status, body)
		}
	})

	t.Run("a code used twice ends what its first use issued", func(t *testing.T) {
		code := rp.code(b, oauth2.S256ChallengeOption(verifier))
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}, "code_verifier": {verifier}}
		status, first := rp.tokenRequest(form)
		if status != http.StatusOK {
			t.Fatalf("first use: %d %v", status, first)
		}
		status, second := rp.tokenRequest(form)
		if status != http.StatusBadRequest || second["error"] != "invalid_grant" {
			t.Errorf("second use: %d %v, want invalid_grant", status, second)
		}
		if got := rp.introspect(first["access_token"].(string)); got["active"] != false {
			t.Errorf("the first use's access token after the second use: %v", got)
		}
		status, refreshed := rp.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)}})
		if status != http.StatusBadRequest || refreshed["error"] != "invalid_grant" {
			t.Errorf("the first use's refresh token after the second use: %d %v", status, refreshed)
		}
		h.wantAudit(admin, "oauth.code.reused")
	})

	t.Run("a code of another client or with another redirect URI", func(t *testing.T) {
		code := rp.code(b, oauth2.S256ChallengeOption(verifier))
		status, body := other.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback},
			"code_verifier": {verifier}})
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("another client's code: %d %v, want invalid_grant", status, body)
		}
		code = rp.code(b, oauth2.S256ChallengeOption(verifier))
		status, body = rp.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback + "/"},
			"code_verifier": {verifier}})
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("another redirect URI: %d %v, want invalid_grant", status, body)
		}
	})

	t.Run("unknown grants and codes", func(t *testing.T) {
		for _, form := range []url.Values{
			{"grant_type": {"password"}, "username": {"ada@example.com"}, "password": {"x"}},
			{"grant_type": {"implicit"}},
			{"grant_type": {"authorization_code"}, "code": {"not-a-code"}, "redirect_uri": {rpCallback}},
			{"grant_type": {"refresh_token"}, "refresh_token": {"gtref_nope"}},
			{"grant_type": {"refresh_token"}, "refresh_token": {h.login("ada@example.com", "correct horse 7 battery").RefreshToken}},
		} {
			status, body := rp.tokenRequest(form)
			if status != http.StatusBadRequest || (body["error"] != "unsupported_grant_type" && body["error"] != "invalid_grant") {
				t.Errorf("%v: %d %v, want unsupported_grant_type or invalid_grant", form, status, body)
			}
		}
		// Each refusal is in the audit log, and no secret is.
		refused := h.auditEvents(admin, "action=oauth.token.refused")
		grants := map[string]bool{}
		for _, e := range refused {
			d, _ := e["details"].(map[string]any)
			grants[fmt.Sprint(d["grant_type"])] = true
			if d["client_id"] != rp.conf.ClientID && d["client_id"] != other.conf.ClientID {
				t.Errorf("a refusal names client %v", d["client_id"])
			}
		}
		for _, g := range []string{"password", "implicit", "authorization_code", "refresh_token"} {
			if !grants[g] {
				t.Errorf("no oauth.token.refused event for grant %s", g)
			}
		}
		if strings.Contains(jsonString(refused), rp.conf.ClientSecret) || strings.Contains(jsonString(refused), "gtref_") {
			t.Error("a refusal event holds a secret or token")
		}
	})

	t.Run("prompt=none without a session", func(t *testing.T) {
		q := rp.authorize(h.browser(), rp.conf.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "none")), "", "")
		if q.Get("error") != "login_required" || q.Get("state") != "s" {
			t.Errorf("callback %v, want login_required with the state", q)
		}
	})

	t.Run("ui_locales chooses the sign-in page's language", func(t *testing.T) {
		fresh := h.browser()
		p := fresh.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s", oauth2.SetAuthURLParam("ui_locales", "fr de-CH en")), h.ts.URL))
		p = fresh.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
		page := fresh.get(p.Header.Get("Location"))
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `<html lang="de"`) {
			t.Errorf("the sign-in page for ui_locales=fr de-CH en: %d, %s", page.Status, p.Header.Get("Location"))
		}
	})

	t.Run("prompt=login asks again", func(t *testing.T) {
		signedIn := h.browser()
		rp.code(signedIn)
		p := signedIn.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "login")), h.ts.URL))
		p = signedIn.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
		if loc := p.Header.Get("Location"); !strings.HasPrefix(loc, "/login?") || !strings.Contains(loc, "prompt=login") {
			t.Fatalf("prompt=login sent the signed-in browser to %q, want the sign-in page", loc)
		}
		if page := signedIn.get(p.Header.Get("Location")); page.Status != http.StatusOK || !strings.Contains(page.Body, `name="password"`) {
			t.Errorf("prompt=login: the signed-in browser gets %d without the sign-in form", page.Status)
		}
	})

	t.Run("the ID token is for its client only", func(t *testing.T) {
		tok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery")
		raw, _ := tok.Extra("id_token").(string)
		if _, err := other.provider.Verifier(&oidc.Config{ClientID: other.conf.ClientID}).Verify(other.ctx, raw); err == nil {
			t.Error("another client accepts the ID token")
		}
	})
}

// TestOAuthACRValues: acr tells whether the sign-in had a second factor;
// acr_values asking for one sends a person who has a factor, signed in
// without it, to confirm it first (prompt=none answers
// interaction_required instead); a person without a factor goes through
// with the single-factor acr.
func TestOAuthACRValues(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	h.createUser(admin, "bob@example.com", "correct horse 7 battery")
	rp := h.newRelyingParty(admin, map[string]any{"name": "bank", "type": "web", "redirect_uris": []string{rpCallback}})
	var doc map[string]any
	h.get("/.well-known/openid-configuration", "").Decode(&doc)
	if fmt.Sprint(doc["acr_values_supported"]) != "[urn:gatehouse:acr:pwd urn:gatehouse:acr:mfa]" {
		t.Errorf("acr_values_supported %v", doc["acr_values_supported"])
	}
	idClaims := func(tok *oauth2.Token) map[string]any {
		t.Helper()
		var c map[string]any
		jwtClaims(t, tok.Extra("id_token").(string), &c)
		return c
	}
	wantMFA := oauth2.SetAuthURLParam("acr_values", "urn:gatehouse:acr:mfa")

	// Bob has no second factor: he goes through, and acr says so.
	tok, _ := rp.signIn(h.browser(), "bob@example.com", "correct horse 7 battery", wantMFA)
	if c := idClaims(tok); c["acr"] != "urn:gatehouse:acr:pwd" {
		t.Errorf("bob's acr %v", c["acr"])
	}

	// Ada signs in with her password, then enrols TOTP.
	b := h.browser()
	tok, _ = rp.signIn(b, "ada@example.com", "correct horse 7 battery")
	if c := idClaims(tok); c["acr"] != "urn:gatehouse:acr:pwd" {
		t.Errorf("ada's acr before her second factor %v", c["acr"])
	}
	secret := enrolTOTP(t, h, h.login("ada@example.com", "correct horse 7 battery").AccessToken)
	q := rp.authorize(b, rp.conf.AuthCodeURL("s", wantMFA, oauth2.SetAuthURLParam("prompt", "none")), "", "")
	if q.Get("error") != "interaction_required" {
		t.Errorf("prompt=none needing a second factor: %v", q)
	}
	verifier := oauth2.GenerateVerifier()
	p := b.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s", wantMFA, oauth2.S256ChallengeOption(verifier)), h.ts.URL))
	p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	if loc := p.Header.Get("Location"); !strings.HasPrefix(loc, "/account/reauth?") {
		t.Fatalf("acr_values=mfa sent ada to %q, want the step-up page", loc)
	}
	step := b.get(p.Header.Get("Location")).want(t, http.StatusOK)
	// The next TOTP step: the one that confirmed the enrolment is spent.
	h.clock.Advance(30 * time.Second)
	p = b.post("/account/reauth", url.Values{"method": {"totp"}, "code": {totpAt(t, secret, h.clock.Now())},
		"return_to": {step.input("return_to")}})
	p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	u, _ := url.Parse(p.Header.Get("Location"))
	if !strings.HasPrefix(u.String(), rpCallback) || u.Query().Get("code") == "" {
		t.Fatalf("after the step-up: %d to %q", p.Status, u)
	}
	tok, err := rp.conf.Exchange(rp.ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	c := idClaims(tok)
	if amr, _ := c["amr"].([]any); c["acr"] != "urn:gatehouse:acr:mfa" || !slices.Contains(amr, any("mfa")) {
		t.Errorf("after the step-up: acr %v, amr %v", c["acr"], c["amr"])
	}
}

// What a refused token request names is bounded in its audit event, and a
// body sent without a length (chunked) stops at the 1 MiB limit as one
// with a length does (found by a review): before, one request stored a
// client id of 5 MB twice.
func TestOAuthRefusalsAreBounded(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	send := func(clientID string) int {
		t.Helper()
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"x"}}.Encode()
		// An io.Reader of no known length goes chunked.
		req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/oauth2/token", io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := h.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if status := send(strings.Repeat("C", 500_000)); status != http.StatusUnauthorized && status != http.StatusBadRequest {
		t.Errorf("a 500 kB client id: %d", status)
	}
	if status := send(strings.Repeat("D", 2<<20)); status < 400 || status >= 500 {
		t.Errorf("a chunked body of 2 MiB: %d, want it refused", status)
	}
	events := h.auditEvents(admin, "action=oauth.token.refused")
	if len(events) == 0 {
		t.Fatal("no refusal audited")
	}
	for _, e := range events {
		target, _ := e["target"].(map[string]any)
		details, _ := e["details"].(map[string]any)
		if id, _ := target["id"].(string); len(id) > 128 || len(fmt.Sprint(details["client_id"])) > 128 {
			t.Errorf("an audited refusal names a client id of %d bytes", len(id))
		}
		if strings.Contains(fmt.Sprint(e), "DDDD") {
			t.Error("the 2 MiB body was read and audited")
		}
	}
}
