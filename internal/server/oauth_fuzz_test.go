package server_test

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestOAuthEndpointsNeverFail: garbage at every OAuth endpoint (random and
// hostile parameters, repeated keys, wrong methods and content types,
// oversized values, tokens of the wrong kind) is refused with a 4xx, never
// a 5xx, and an error body of the OAuth shape.
func TestOAuthEndpointsNeverFail(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	app := h.createApplication(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback}})
	clientID, secret := app["client_id"].(string), app["client_secret"].(string)
	login := h.login(adminEmail, adminPassword)
	values := []string{"", " ", "x", "%00", "\x00", "null", "{}", "[]", "-1", "1e999", strings.Repeat("a", 5000), "☃", "\xff\xfe",
		"javascript:alert(1)", "//evil.example", rpCallback, rpCallback + "/", clientID, secret, login.AccessToken, login.RefreshToken,
		"gtref_" + strings.Repeat("A", 49), "gtat_AAAA", "eyJhbGciOiJub25lIn0.e30.", "urn:ietf:params:oauth:request_uri:AAAA",
		"openid", "openid profile email offline_access phone", "S256", "plain", "none", "login", "consent"}
	keys := []string{"grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier", "refresh_token",
		"scope", "token", "token_type_hint", "subject_token", "subject_token_type", "actor_token", "actor_token_type", "audience",
		"resource", "assertion", "client_assertion", "client_assertion_type", "device_code", "response_type", "state", "nonce",
		"prompt", "max_age", "code_challenge", "code_challenge_method", "request_uri", "request", "id_token_hint",
		"post_logout_redirect_uri", "ui_locales", "login_hint", "response_mode"}
	grants := []string{"authorization_code", "refresh_token", "client_credentials", "password", "implicit",
		"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer",
		"urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:saml2-bearer"}
	paths := []string{"/oauth2/authorize", "/oauth2/token", "/oauth2/introspect", "/oauth2/revoke", "/oauth2/userinfo",
		"/oauth2/end_session", "/oauth2/device_authorization", "/oauth2/par", "/oauth2/register", "/oauth2/login",
		"/oauth2/logout/continue", "/.well-known/openid-configuration"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	b := h.browser()
	for i := range 600 {
		form := url.Values{}
		if rng.IntN(3) > 0 {
			form.Set("grant_type", pick(grants))
		}
		for range rng.IntN(8) {
			form.Add(pick(keys), pick(values))
		}
		path := pick(paths)
		method := http.MethodPost
		if rng.IntN(3) == 0 {
			method = http.MethodGet
		}
		var r *http.Request
		if method == http.MethodGet {
			r, _ = http.NewRequest(method, h.ts.URL+path+"?"+form.Encode(), nil)
		} else {
			r, _ = http.NewRequest(method, h.ts.URL+path, strings.NewReader(form.Encode()))
			ct := []string{"application/x-www-form-urlencoded", "application/json", "text/plain", ""}[rng.IntN(4)]
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
		}
		switch rng.IntN(4) {
		case 0:
			r.SetBasicAuth(clientID, secret)
		case 1:
			r.SetBasicAuth(url.QueryEscape(pick(values)), url.QueryEscape(pick(values)))
		case 2:
			r.Header.Set("Authorization", "Bearer "+url.QueryEscape(pick(values)))
		}
		res, err := b.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 512)
		n, _ := res.Body.Read(body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("request %d: %s %s %v answered %d: %s", i, method, path, form, res.StatusCode, body[:n])
		}
	}
}
