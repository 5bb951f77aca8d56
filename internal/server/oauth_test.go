package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// oauthHarness starts a server whose issuer is its real address, as an
// OpenID client library needs: it fetches the discovery document there and
// checks the issuer it names.
func oauthHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, map[string]string{"GATEHOUSE_ISSUER": "http://127.0.0.1:" + portPlaceholder})
}

// relyingParty is an application as a client library sees it.
type relyingParty struct {
	t        *testing.T
	h        *harness
	ctx      context.Context
	provider *oidc.Provider
	conf     oauth2.Config
	appID    string
	// consent is what authorize answers on the consent page: "allow",
	// "deny", or "" to fail the test there.
	consent string
}

const rpCallback = "https://rp.example.com/callback"

// newRelyingParty registers a web application and discovers the provider.
func (h *harness) newRelyingParty(admin string, body map[string]any) *relyingParty {
	h.t.Helper()
	app := h.createApplication(admin, body)
	ctx := oidc.ClientContext(h.t.Context(), h.ts.Client())
	provider, err := oidc.NewProvider(ctx, h.ts.URL)
	if err != nil {
		h.t.Fatalf("discovery: %v", err)
	}
	secret, _ := app["client_secret"].(string)
	return &relyingParty{t: h.t, h: h, ctx: ctx, provider: provider, appID: app["id"].(string), conf: oauth2.Config{
		ClientID: app["client_id"].(string), ClientSecret: secret, Endpoint: provider.Endpoint(),
		RedirectURL: rpCallback, Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}}
}

// authorize follows an authorization request in b until it leaves for the
// client's redirect URI, signing in on the way with password when the
// sign-in page shows; it returns the query the client receives.
func (rp *relyingParty) authorize(b *browser, authURL, email, password string) url.Values {
	rp.t.Helper()
	next := strings.TrimPrefix(authURL, rp.h.ts.URL)
	for range 10 {
		p := b.get(next)
		if p.Status == http.StatusOK && strings.Contains(p.Body, `name="password"`) {
			// A person takes a moment to sign in; the server's clock stands
			// still otherwise.
			rp.h.clock.Advance(time.Second)
			p = b.post("/login", url.Values{"email": {email}, "password": {password}, "return_to": {p.input("return_to")}})
		}
		if p.Status == http.StatusOK && strings.Contains(p.Body, `action="/consent"`) {
			if rp.consent == "" {
				rp.t.Fatalf("the consent page shows for %s", next)
			}
			p = b.post("/consent", url.Values{"id": {p.input("id")}, "decision": {rp.consent}})
		}
		if p.Status != http.StatusFound && p.Status != http.StatusSeeOther {
			rp.t.Fatalf("GET %s: status %d: %s", next, p.Status, p.Body)
		}
		loc := p.Header.Get("Location")
		if strings.HasPrefix(loc, rpCallback) {
			u, err := url.Parse(loc)
			if err != nil {
				rp.t.Fatal(err)
			}
			return u.Query()
		}
		next = strings.TrimPrefix(loc, rp.h.ts.URL)
	}
	rp.t.Fatalf("no redirect to the client after 10 steps from %s", authURL)
	return nil
}

// signIn runs the code flow with PKCE and returns the tokens.
func (rp *relyingParty) signIn(b *browser, email, password string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, string) {
	rp.t.Helper()
	verifier, state, nonce := oauth2.GenerateVerifier(), rand.Text(), rand.Text()
	opts = append(opts, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	q := rp.authorize(b, rp.conf.AuthCodeURL(state, opts...), email, password)
	if q.Get("state") != state || q.Get("code") == "" {
		rp.t.Fatalf("callback %v, want a code and state %s", q, state)
	}
	tok, err := rp.conf.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		rp.t.Fatalf("code exchange: %v", err)
	}
	return tok, nonce
}

// postForm posts form to path as the client (HTTP Basic when it has a
// secret) and returns the status and the decoded answer.
func (rp *relyingParty) postForm(path string, form url.Values) (int, map[string]any) {
	rp.t.Helper()
	r, err := http.NewRequest(http.MethodPost, rp.h.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		rp.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rp.conf.ClientSecret != "" {
		r.SetBasicAuth(url.QueryEscape(rp.conf.ClientID), url.QueryEscape(rp.conf.ClientSecret))
	}
	res, err := rp.h.ts.Client().Do(r)
	if err != nil {
		rp.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode >= http.StatusInternalServerError {
		rp.t.Errorf("POST %s answered %d: %v", path, res.StatusCode, out)
	}
	return res.StatusCode, out
}

// introspect asks the introspection endpoint about tok as the client.
func (rp *relyingParty) introspect(tok string) map[string]any {
	rp.t.Helper()
	status, out := rp.postForm("/oauth2/introspect", url.Values{"token": {tok}})
	if status != http.StatusOK {
		rp.t.Fatalf("introspection: status %d", status)
	}
	return out
}

// revoke revokes tok as the client (RFC 7009) and returns the status.
func (rp *relyingParty) revoke(tok string) int {
	rp.t.Helper()
	status, _ := rp.postForm("/oauth2/revoke", url.Values{"token": {tok}})
	return status
}

// jwtHeader is the protected header of a compact JWS.
func jwtHeader(t *testing.T, raw string) jose.Header {
	t.Helper()
	sig, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	return sig.Signatures[0].Header
}

// TestOAuthCodeFlowWithRealClients: golang.org/x/oauth2 and coreos/go-oidc
// sign a user in with the code flow and PKCE, verify the ID token against
// the published keys, call userinfo, refresh, introspect and revoke; the
// browser's session then signs in again without a password (SSO).
func TestOAuthCodeFlowWithRealClients(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	rp := h.newRelyingParty(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback}})
	h.post("/api/v1/applications/"+rp.appID+"/roles", admin, map[string]any{"name": "editor"}).want(http.StatusCreated)
	h.post("/api/v1/app-mappings", admin, map[string]any{"application_id": rp.appID, "role": "editor", "user_id": userID}).
		want(http.StatusCreated)

	b := h.browser()
	tok, nonce := rp.signIn(b, "ada@example.com", "correct horse 7 battery")

	rawID, _ := tok.Extra("id_token").(string)
	idToken, err := rp.provider.Verifier(&oidc.Config{ClientID: rp.conf.ClientID}).Verify(rp.ctx, rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var idClaims struct {
		Nonce         string   `json:"nonce"`
		Email         string   `json:"email"`
		EmailVerified bool     `json:"email_verified"`
		Name          string   `json:"name"`
		Roles         []string `json:"roles"`
		AMR           []string `json:"amr"`
		AuthTime      int64    `json:"auth_time"`
		AtHash        string   `json:"at_hash"`
		// IdP names an external provider, and no password sign-in.
		IdP string `json:"idp"`
	}
	if err := idToken.Claims(&idClaims); err != nil {
		t.Fatal(err)
	}
	if idToken.Subject != userID || idClaims.Nonce != nonce || idClaims.Email != "ada@example.com" ||
		idClaims.Name != "User ada@example.com" || !slices.Equal(idClaims.Roles, []string{"editor"}) ||
		!slices.Contains(idClaims.AMR, "pwd") || idClaims.AuthTime == 0 || idClaims.IdP != "" {
		t.Errorf("ID token claims %+v (sub %s), want ada's with the nonce, editor role, pwd and auth_time", idClaims, idToken.Subject)
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if alg := jwtHeader(t, rawID).Algorithm; alg != "RS256" {
		t.Errorf("ID token alg %s, want RS256", alg)
	}

	// The access token is an RFC 9068 JWT for this client.
	head := jwtHeader(t, tok.AccessToken)
	if head.Algorithm != "ES256" || head.ExtraHeaders[jose.HeaderType] != "at+jwt" {
		t.Errorf("access token header %+v, want ES256 and typ at+jwt", head)
	}
	var at map[string]any
	jwtClaims(t, tok.AccessToken, &at)
	if at["client_id"] != rp.conf.ClientID || at["aud"] != rp.conf.ClientID || at["sub"] != userID ||
		at["scope"] != "openid profile email offline_access" || at["iss"] != h.ts.URL || at["sid"] == nil {
		t.Errorf("access token claims %v", at)
	}
	// It is not a token of Gatehouse's own API.
	h.get("/api/v1/me", tok.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")

	info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != userID || info.Email != "ada@example.com" || !info.EmailVerified == idClaims.EmailVerified {
		t.Errorf("userinfo %+v", info)
	}

	got := rp.introspect(tok.AccessToken)
	if got["active"] != true || got["client_id"] != rp.conf.ClientID || got["sub"] != userID || got["username"] != "ada@example.com" {
		t.Errorf("introspection of the access token: %v", got)
	}

	// Refresh rotates the refresh token.
	tok.Expiry = tok.Expiry.Add(-24 * 60 * 60 * 1e9)
	refreshed, err := rp.conf.TokenSource(rp.ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken || refreshed.AccessToken == tok.AccessToken {
		t.Fatalf("refresh gave refresh token %q and a new access token: %v", refreshed.RefreshToken, refreshed.AccessToken != tok.AccessToken)
	}
	if rawID, _ := refreshed.Extra("id_token").(string); rawID == "" {
		t.Error("no ID token on refresh")
	}

	// The same browser signs in again without a password: single sign-on.
	again, _ := rp.signIn(b, "nobody@example.com", "no password is asked")
	if again.AccessToken == "" {
		t.Fatal("no token on the second sign-in")
	}

	// Revoking the refresh token ends its grant: its access tokens stop.
	if status := rp.revoke(refreshed.RefreshToken); status != http.StatusOK {
		t.Fatalf("revoke: status %d", status)
	}
	if got := rp.introspect(refreshed.AccessToken); got["active"] != false {
		t.Errorf("introspection after revocation: %v", got)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(refreshed)); err == nil {
		t.Error("userinfo answers with a revoked grant's token")
	}
	// The other grant (the second sign-in) lives on.
	if got := rp.introspect(again.AccessToken); got["active"] != true {
		t.Errorf("introspection of the other grant's token: %v", got)
	}
	h.wantAudit(admin, "oauth.token.issued", "oauth.token.refreshed", "oauth.token.revoked")
}

// wantAudit fails the test unless each action is in the audit log.
func (h *harness) wantAudit(admin string, actions ...string) {
	h.t.Helper()
	for _, action := range actions {
		if len(h.auditEvents(admin, "action="+action)) == 0 {
			h.t.Errorf("no %s event in the audit log", action)
		}
	}
}

// TestOAuthClientCredentials: a machine application gets its own token with
// clientcredentials, which introspection knows for the client's.
func TestOAuthClientCredentials(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	app := h.createApplication(admin, map[string]any{"name": "worker", "type": "machine", "allowed_scopes": []string{"reports.read"}})
	ctx := oidc.ClientContext(t.Context(), h.ts.Client())
	cc := clientcredentials.Config{ClientID: app["client_id"].(string), ClientSecret: app["client_secret"].(string),
		TokenURL: h.ts.URL + "/oauth2/token", Scopes: []string{"reports.read"}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	var at map[string]any
	jwtClaims(t, tok.AccessToken, &at)
	if at["sub"] != cc.ClientID || at["client_id"] != cc.ClientID || at["scope"] != "reports.read" || at["sid"] != nil {
		t.Errorf("access token claims %v", at)
	}
	rp := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret}}
	if got := rp.introspect(tok.AccessToken); got["active"] != true || got["sub"] != cc.ClientID {
		t.Errorf("introspection: %v", got)
	}

	// Grants at once are each audited, committed in shared transactions.
	const parallel = 16
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			if _, err := cc.Token(ctx); err != nil {
				t.Errorf("concurrent client credentials: %v", err)
			}
		})
	}
	wg.Wait()
	if got := len(h.auditEvents(admin, "action=oauth.token.issued")); got != parallel+1 {
		t.Errorf("%d oauth.token.issued events, want %d", got, parallel+1)
	}

	wrong := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: cc.ClientID, ClientSecret: "gtapp_wrong"}}
	if status, body := wrong.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("a wrong secret in HTTP Basic: %d %v, want 401 invalid_client (RFC 6749 §5.2)", status, body)
	}

	bad := cc
	bad.ClientSecret = "gtapp_wrong"
	if _, err := bad.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("a wrong secret: %v, want invalid_client", err)
	}
	other := cc
	other.Scopes = []string{"admin"}
	if _, err := other.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("a scope not allowed: %v, want invalid_scope", err)
	}
	h.wantAudit(admin, "oauth.token.issued", "application.secret_rejected")
}

// TestOAuthLogout: RP-initiated logout ends the browser's session and
// returns to the application's registered post-logout URI with its state;
// without an id_token_hint the person confirms first; an unregistered URI
// or a tampered link goes nowhere.
func TestOAuthLogout(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	const bye = "https://rp.example.com/bye"
	rp := h.newRelyingParty(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback},
		"post_logout_redirect_uris": []string{bye}})
	endSession := func(b *browser, q url.Values) *page {
		t.Helper()
		return b.get("/oauth2/end_session?" + q.Encode())
	}
	signedOut := func(b *browser) bool {
		t.Helper()
		p := b.get("/account")
		return p.Status == http.StatusSeeOther && strings.HasPrefix(p.Header.Get("Location"), "/login")
	}

	b := h.browser()
	tok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery")
	idToken, _ := tok.Extra("id_token").(string)
	p := endSession(b, url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {bye}, "state": {"s1"}})
	if loc := p.Header.Get("Location"); loc != bye+"?state=s1" {
		t.Fatalf("end_session with id_token_hint: %d to %q, want %s?state=s1", p.Status, loc, bye)
	}
	if !signedOut(b) {
		t.Error("the browser is still signed in after end_session")
	}
	h.wantAudit(admin, "auth.logout")

	// Without a hint, the person confirms on the sign-out page.
	b = h.browser()
	rp.signIn(b, "ada@example.com", "correct horse 7 battery")
	p = endSession(b, url.Values{"client_id": {rp.conf.ClientID}, "post_logout_redirect_uri": {bye}, "state": {"s2"}})
	loc := p.Header.Get("Location")
	if !strings.HasPrefix(loc, "/logout?") || signedOut(b) {
		t.Fatalf("end_session without a hint: %d to %q, want the sign-out page and still signed in", p.Status, loc)
	}
	confirm := b.get(loc).want(t, http.StatusOK)
	returnTo := confirm.input("return_to")
	if !strings.HasPrefix(returnTo, "/oauth2/logout/continue?") {
		t.Fatalf("the sign-out page returns to %q", returnTo)
	}
	p = b.post("/logout", url.Values{"return_to": {returnTo}})
	p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	if loc := p.Header.Get("Location"); loc != bye+"?state=s2" {
		t.Errorf("after confirming: %d to %q, want %s?state=s2", p.Status, loc, bye)
	}
	if !signedOut(b) {
		t.Error("still signed in after confirming")
	}

	// Nothing leads to a URI the client did not register.
	for _, q := range []url.Values{
		{"client_id": {rp.conf.ClientID}, "post_logout_redirect_uri": {"https://evil.example/bye"}},
		{"id_token_hint": {idToken}, "post_logout_redirect_uri": {bye + "/"}},
		{"id_token_hint": {"not-a-token"}, "post_logout_redirect_uri": {bye}},
	} {
		p := endSession(h.browser(), q)
		if loc := p.Header.Get("Location"); strings.Contains(loc, "evil") || strings.HasPrefix(loc, bye) || p.Status >= 500 {
			t.Errorf("end_session %v: %d to %q", q, p.Status, loc)
		}
	}
	tampered := strings.Replace(returnTo, "?r=", "?r=A", 1)
	if p := h.browser().get(tampered); p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" {
		t.Errorf("a tampered sign-out link: %d to %q", p.Status, p.Header.Get("Location"))
	}
}

// TestOAuthConsent: an application that requires consent gets it once per
// scope, remembered; the person sees and withdraws it, which ends the
// application's grants; denying answers access_denied; prompt=none without
// consent answers consent_required.
func TestOAuthConsent(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	h.createUser(admin, "bob@example.com", "correct horse 7 battery")
	rp := h.newRelyingParty(admin, map[string]any{"name": "Portal <b>", "type": "web", "redirect_uris": []string{rpCallback},
		"require_consent": true})
	b := h.browser()

	// The first request stops at the consent page, which names the
	// application and the scopes in plain words.
	p := b.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s1"), h.ts.URL))
	for i := 0; i < 6 && p.Status != http.StatusOK; i++ {
		p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	}
	h.clock.Advance(time.Second)
	p = b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse 7 battery"}, "return_to": {p.input("return_to")}})
	for i := 0; i < 6 && p.Status != http.StatusOK; i++ {
		p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	}
	if !strings.Contains(p.Body, `action="/consent"`) || !strings.Contains(p.Body, "Portal &lt;b&gt;") ||
		!strings.Contains(p.Body, "See your email address") {
		t.Fatalf("want the consent page naming the application and its scopes: %d %s", p.Status, p.Body)
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://rp.example.com;") {
		t.Errorf("consent page CSP %q, want the client's origin in form-action", csp)
	}
	requestID := p.input("id")
	// Nobody else answers it.
	bob := h.browser()
	rp.consent = "allow"
	rp.authorize(bob, rp.conf.AuthCodeURL("sb"), "bob@example.com", "correct horse 7 battery")
	if other := bob.get("/consent?id=" + requestID); other.Status != http.StatusNotFound {
		t.Errorf("bob opens ada's consent page: %d", other.Status)
	}
	p = b.post("/consent", url.Values{"id": {requestID}, "decision": {"allow"}})
	u, _ := url.Parse(p.Header.Get("Location"))
	if !strings.HasPrefix(u.String(), rpCallback) || u.Query().Get("code") == "" || u.Query().Get("state") != "s1" {
		t.Fatalf("after allowing: %d to %q, want a code and state s1", p.Status, u)
	}

	// Consent is remembered: the next sign-in goes straight through.
	rp.consent = ""
	tok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery")
	ada := h.login("ada@example.com", "correct horse 7 battery").AccessToken
	var consents struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/me/consents", ada).want(http.StatusOK).Decode(&consents)
	if len(consents.Data) != 1 || consents.Data[0]["application_id"] != rp.appID || consents.Data[0]["application_name"] != "Portal <b>" {
		t.Fatalf("my consents: %v", consents.Data)
	}
	if page := b.get("/account/sessions"); !strings.Contains(page.Body, "Portal &lt;b&gt;") || !strings.Contains(page.Body, "/account/apps/"+rp.appID+"/revoke") {
		t.Errorf("the sessions page does not list the application with a way to withdraw it")
	}

	// Withdrawing it ends the application's grants.
	h.delete("/api/v1/me/consents/"+rp.appID, ada).want(http.StatusNoContent)
	if got := rp.introspect(tok.AccessToken); got["active"] != false {
		t.Errorf("introspection after withdrawing consent: %v", got)
	}
	status, body := rp.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("refresh after withdrawing consent: %d %v", status, body)
	}
	h.delete("/api/v1/me/consents/"+rp.appID, ada).wantError(http.StatusNotFound, "not_found")
	h.wantAudit(admin, "oauth.consent.granted", "oauth.consent.revoked")

	// prompt=none cannot ask; the person may deny.
	q := rp.authorize(b, rp.conf.AuthCodeURL("s2", oauth2.SetAuthURLParam("prompt", "none")), "", "")
	if q.Get("error") != "consent_required" || q.Get("state") != "s2" {
		t.Errorf("prompt=none without consent: %v", q)
	}
	rp.consent = "deny"
	q = rp.authorize(b, rp.conf.AuthCodeURL("s3"), "", "")
	if q.Get("error") != "access_denied" || q.Get("state") != "s3" || q.Get("code") != "" {
		t.Errorf("after denying: %v", q)
	}
	h.wantAudit(admin, "oauth.consent.denied")
}

// TestOAuthConsentCoversResources: consent is to the resource servers too
// (RFC 8707). An application the person allowed to know who they are must
// ask again before it gets a token for an API of the tenant, which carries
// their roles there; the page names the API, and prompt=none answers
// consent_required (found by a review).
func TestOAuthConsentCoversResources(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	const payroll = "https://payroll.example.com"
	srv := h.createApplication(admin, map[string]any{"name": "Payroll API", "type": "machine", "resource_uri": payroll})
	h.post("/api/v1/applications/"+srv["id"].(string)+"/roles", admin, map[string]any{"name": "payroll-admin"}).want(http.StatusCreated)
	h.post("/api/v1/app-mappings", admin, map[string]any{"application_id": srv["id"], "role": "payroll-admin", "user_id": userID}).want(http.StatusCreated)
	rp := h.newRelyingParty(admin, map[string]any{"name": "Notes agent", "type": "web", "redirect_uris": []string{rpCallback}, "require_consent": true})
	b := h.browser()
	rp.consent = "allow"
	rp.signIn(b, "ada@example.com", "correct horse 7 battery")

	rp.consent = ""
	q := rp.authorize(b, rp.conf.AuthCodeURL("s1", oauth2.SetAuthURLParam("resource", payroll), oauth2.SetAuthURLParam("prompt", "none"),
		oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "", "")
	if q.Get("error") != "consent_required" || q.Get("code") != "" {
		t.Fatalf("prompt=none for a resource not consented to: %v", q)
	}
	p := b.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s2", oauth2.SetAuthURLParam("resource", payroll),
		oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), h.ts.URL))
	for i := 0; i < 6 && p.Status != http.StatusOK; i++ {
		p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	}
	if !strings.Contains(p.Body, `action="/consent"`) || !strings.Contains(p.Body, "Payroll API") {
		t.Fatalf("want the consent page naming the resource server: %d %s", p.Status, p.Body)
	}
	rp.consent = "allow"
	tok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery", oauth2.SetAuthURLParam("resource", payroll))
	var c map[string]any
	jwtClaims(t, tok.AccessToken, &c)
	if c["aud"] != payroll {
		t.Errorf("the token after consenting to the resource: aud %v", c["aud"])
	}
	rp.consent = ""
	rp.signIn(b, "ada@example.com", "correct horse 7 battery", oauth2.SetAuthURLParam("resource", payroll))
	ada := h.login("ada@example.com", "correct horse 7 battery").AccessToken
	var consents struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/me/consents", ada).want(http.StatusOK).Decode(&consents)
	if len(consents.Data) != 1 || !slices.Equal(anySlice(consents.Data[0]["resources"]), []any{payroll}) {
		t.Errorf("my consents: %v", consents.Data)
	}
	h.wantAudit(admin, "oauth.consent.granted")
}

// consentTo registers an application named name that requires consent,
// and has the bootstrap admin allow it in browser b.
func (h *harness) consentTo(b *browser, admin, name string) {
	h.t.Helper()
	app := h.createApplication(admin, map[string]any{"name": name, "type": "web", "redirect_uris": []string{rpCallback}, "require_consent": true})
	rp := &relyingParty{t: h.t, h: h, consent: "allow", conf: oauth2.Config{ClientID: app["client_id"].(string),
		RedirectURL: rpCallback, Scopes: []string{"openid"}, Endpoint: oauth2.Endpoint{AuthURL: h.ts.URL + "/oauth2/authorize"}}}
	if q := rp.authorize(b, rp.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), adminEmail, adminPassword); q.Get("code") == "" {
		h.t.Fatalf("consent to %s: %v", name, q)
	}
}

// TestOAuthDeviceFlow: a device (golang.org/x/oauth2's DeviceAuth) gets a
// user code; the person enters it on /device and allows it; the device's
// next poll gets tokens, once. A denied device gets access_denied, and a
// wrong code is refused on the page.
func TestOAuthDeviceFlow(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	rp := h.newRelyingParty(admin, map[string]any{"name": "Living room TV", "type": "native", "redirect_uris": []string{},
		"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}})
	poll := func(deviceCode string) (int, map[string]any) {
		return rp.tokenRequest(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
			"device_code": {deviceCode}, "client_id": {rp.conf.ClientID}})
	}
	b := h.browser()
	b.get("/login")
	b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse 7 battery"}}).want(t, http.StatusSeeOther)
	decide := func(userCode, decision string) {
		t.Helper()
		b.get("/device")
		b.post("/device", url.Values{"user_code": {userCode}}).want(t, http.StatusOK)
		b.post("/device/decide", url.Values{"user_code": {userCode}, "decision": {decision}}).want(t, http.StatusOK)
	}

	auth, err := rp.conf.DeviceAuth(rp.ctx)
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	if auth.VerificationURI != h.ts.URL+"/device" || !strings.Contains(auth.VerificationURIComplete, "user_code=") || len(auth.UserCode) != 9 {
		t.Errorf("device authorization %+v", auth)
	}
	if status, body := poll(auth.DeviceCode); status != http.StatusBadRequest || body["error"] != "authorization_pending" {
		t.Errorf("poll before approval: %d %v", status, body)
	}
	// A device polling faster than every five seconds is told to slow down
	// (found by a review); one that waits is answered again.
	if status, body := poll(auth.DeviceCode); status != http.StatusBadRequest || body["error"] != "slow_down" {
		t.Errorf("a second poll at once: %d %v", status, body)
	}
	h.clock.Advance(5 * time.Second)
	if status, body := poll(auth.DeviceCode); status != http.StatusBadRequest || body["error"] != "authorization_pending" {
		t.Errorf("a poll five seconds later: %d %v", status, body)
	}

	page := b.get(strings.TrimPrefix(auth.VerificationURIComplete, h.ts.URL)).want(t, http.StatusOK)
	if page.input("user_code") != auth.UserCode {
		t.Errorf("the device page is not filled in with %s", auth.UserCode)
	}
	wrong := b.post("/device", url.Values{"user_code": {"BBBB-BBBB"}})
	if wrong.Status != http.StatusBadRequest || !strings.Contains(wrong.Body, "wrong or has expired") {
		t.Errorf("a wrong code: %d", wrong.Status)
	}
	confirm := b.post("/device", url.Values{"user_code": {strings.ToLower(strings.ReplaceAll(auth.UserCode, "-", ""))}}).want(t, http.StatusOK)
	if !strings.Contains(confirm.Body, "Living room TV") || !strings.Contains(confirm.Body, "Stay connected") {
		t.Fatalf("the confirmation does not name the device and its scopes: %s", confirm.Body)
	}
	b.post("/device/decide", url.Values{"user_code": {confirm.input("user_code")}, "decision": {"allow"}}).want(t, http.StatusOK)

	status, tok := poll(auth.DeviceCode)
	if status != http.StatusOK || tok["access_token"] == nil || tok["refresh_token"] == nil || tok["id_token"] == nil {
		t.Fatalf("poll after approval: %d %v", status, tok)
	}
	var at map[string]any
	jwtClaims(t, tok["access_token"].(string), &at)
	if at["sub"] != userID || at["client_id"] != rp.conf.ClientID {
		t.Errorf("access token claims %v", at)
	}
	// zitadel/oidc answers every refused poll access_denied.
	if status, body := poll(auth.DeviceCode); status != http.StatusBadRequest || body["error"] != "access_denied" {
		t.Errorf("a second poll after the tokens: %d %v", status, body)
	}

	denied, err := rp.conf.DeviceAuth(rp.ctx)
	if err != nil {
		t.Fatal(err)
	}
	decide(denied.UserCode, "deny")
	if status, body := poll(denied.DeviceCode); status != http.StatusBadRequest || body["error"] != "access_denied" {
		t.Errorf("poll after denial: %d %v", status, body)
	}
	h.wantAudit(admin, "oauth.device.approved", "oauth.device.denied")

	// A device may ask for a resource server's tokens (RFC 8707).
	const resource = "https://tv-api.example.com"
	h.createApplication(admin, map[string]any{"name": "tv api", "type": "machine", "resource_uri": resource})
	if _, err := rp.conf.DeviceAuth(rp.ctx, oauth2.SetAuthURLParam("resource", "https://unknown.example")); err == nil ||
		!strings.Contains(err.Error(), "invalid_target") {
		t.Errorf("a device asking for an unknown resource: %v, want invalid_target", err)
	}
	forAPI, err := rp.conf.DeviceAuth(rp.ctx, oauth2.SetAuthURLParam("resource", resource))
	if err != nil {
		t.Fatal(err)
	}
	decide(forAPI.UserCode, "allow")
	status, tok = poll(forAPI.DeviceCode)
	if status != http.StatusOK {
		t.Fatalf("poll for the resource: %d %v", status, tok)
	}
	jwtClaims(t, tok["access_token"].(string), &at)
	if at["aud"] != resource {
		t.Errorf("the device's token for the resource has aud %v", at["aud"])
	}

	// A code approved but not redeemed expires like a waiting one (found
	// by a review): the device has 10 minutes in all.
	late, err := rp.conf.DeviceAuth(rp.ctx)
	if err != nil {
		t.Fatal(err)
	}
	decide(late.UserCode, "allow")
	h.clock.Advance(time.Until(late.Expiry) + time.Minute)
	if status, body := poll(late.DeviceCode); status != http.StatusBadRequest || body["error"] != "expired_token" {
		t.Errorf("poll of an approved code after it expired: %d %v", status, body)
	}
}

// TestOAuthOpaqueAccessTokens: an application whose access_token_format is
// opaque gets tokens no client can read, which introspection and userinfo
// read, and which revoking the grant ends.
func TestOAuthOpaqueAccessTokens(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	rp := h.newRelyingParty(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback},
		"access_token_format": "opaque"})
	tok, _ := rp.signIn(h.browser(), "ada@example.com", "correct horse 7 battery")
	if !strings.HasPrefix(tok.AccessToken, "gtat_") || strings.Count(tok.AccessToken, ".") != 0 {
		t.Fatalf("access token %q, want an opaque gtat_ token", tok.AccessToken)
	}
	if strings.Contains(tok.AccessToken, userID) {
		t.Error("the opaque token shows the user's id")
	}
	if got := rp.introspect(tok.AccessToken); got["active"] != true || got["sub"] != userID || got["client_id"] != rp.conf.ClientID {
		t.Errorf("introspection: %v", got)
	}
	info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != userID {
		t.Fatalf("userinfo: %v, %v", info, err)
	}
	tampered := tok.AccessToken[:len(tok.AccessToken)-2] + "AA"
	if got := rp.introspect(tampered); got["active"] != false {
		t.Errorf("introspection of a tampered token: %v", got)
	}
	if status := rp.revoke(tok.AccessToken); status != http.StatusOK {
		t.Fatalf("revoke: %d", status)
	}
	if got := rp.introspect(tok.AccessToken); got["active"] != false {
		t.Errorf("introspection after revocation: %v", got)
	}
}

// TestOAuthPushedAuthorizationRequests: a client pushes its request (RFC
// 9126) and the browser carries only the request_uri; a request_uri of
// another client, a tampered or an expired one goes nowhere, and an
// unregistered redirect URI is refused when pushed.
func TestOAuthPushedAuthorizationRequests(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	rp := h.newRelyingParty(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback}})
	other := h.newRelyingParty(admin, map[string]any{"name": "other", "type": "web", "redirect_uris": []string{rpCallback}})
	var doc map[string]any
	h.get("/.well-known/openid-configuration", "").want(http.StatusOK).Decode(&doc)
	if doc["pushed_authorization_request_endpoint"] != h.ts.URL+"/oauth2/par" {
		t.Errorf("discovery names %v as the PAR endpoint", doc["pushed_authorization_request_endpoint"])
	}
	verifier := oauth2.GenerateVerifier()
	push := func(rp *relyingParty, redirect string) (int, map[string]any) {
		t.Helper()
		return rp.postForm("/oauth2/par", url.Values{"response_type": {"code"}, "redirect_uri": {redirect}, "scope": {"openid email"},
			"state": {"pushed"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}})
	}
	status, pushed := push(rp, rpCallback)
	requestURI, _ := pushed["request_uri"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(requestURI, "urn:ietf:params:oauth:request_uri:") || pushed["expires_in"] != 60.0 {
		t.Fatalf("PAR: %d %v", status, pushed)
	}
	authorizeWith := func(clientID, uri string) string {
		return "/oauth2/authorize?" + url.Values{"client_id": {clientID}, "request_uri": {uri}}.Encode()
	}
	b := h.browser()
	q := rp.authorize(b, authorizeWith(rp.conf.ClientID, requestURI), "ada@example.com", "correct horse 7 battery")
	if q.Get("state") != "pushed" || q.Get("code") == "" {
		t.Fatalf("callback %v, want a code and the pushed state", q)
	}
	if _, err := rp.conf.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if p := b.get(authorizeWith(rp.conf.ClientID, requestURI)); p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" {
		t.Errorf("a request_uri used twice: %d to %q", p.Status, p.Header.Get("Location"))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// The same sealed bytes spelt otherwise: the last character's spare
	// bits set, which a lax base64 decoder ignores.
	sealed, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(requestURI, "urn:ietf:params:oauth:request_uri:"))
	if err != nil || len(sealed)%3 == 0 {
		t.Fatalf("the request_uri's %d bytes, %v: want a length whose last character has spare bits", len(sealed), err)
	}
	respelt := []byte(requestURI)
	respelt[len(respelt)-1] = alphabet[strings.IndexByte(alphabet, respelt[len(respelt)-1])|1]
	for name, uri := range map[string]string{
		"with its spare bits set": string(respelt),
		"with a line break":       requestURI[:len(requestURI)-8] + "\n" + requestURI[len(requestURI)-8:],
	} {
		if p := b.get(authorizeWith(rp.conf.ClientID, uri)); p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" {
			t.Errorf("a used request_uri spelt %s: %d to %q", name, p.Status, p.Header.Get("Location"))
		}
	}

	if status, body := push(rp, "https://evil.example/cb"); status != http.StatusBadRequest || body["error"] != "invalid_request" {
		t.Errorf("pushing an unregistered redirect URI: %d %v", status, body)
	}
	_, fresh := push(rp, rpCallback)
	uri := fresh["request_uri"].(string)
	tampered := []byte(uri)
	tampered[len(uri)-10] = alphabet[(strings.IndexByte(alphabet, tampered[len(uri)-10])+1)%64]
	for name, path := range map[string]string{
		"another client's": authorizeWith(other.conf.ClientID, uri),
		"a tampered one":   authorizeWith(rp.conf.ClientID, string(tampered)),
	} {
		if p := b.get(path); p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" {
			t.Errorf("%s request_uri: %d to %q", name, p.Status, p.Header.Get("Location"))
		}
	}
	h.clock.Advance(61 * time.Second)
	if p := b.get(authorizeWith(rp.conf.ClientID, uri)); p.Status != http.StatusBadRequest {
		t.Errorf("an expired request_uri: %d", p.Status)
	}
}

// TestOAuthDynamicRegistration: off by default; where the tenant opens it,
// a client registers itself (RFC 7591) and signs users in only with their
// consent; machine grants and bad redirect URIs are refused.
func TestOAuthDynamicRegistration(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	register := func(body any) (int, map[string]any) {
		t.Helper()
		res := h.post("/oauth2/register", "", body)
		var out map[string]any
		_ = json.Unmarshal(res.Body, &out)
		return res.Status, out
	}
	mcp := map[string]any{"client_name": "Agent", "redirect_uris": []string{"http://127.0.0.1:8976/callback"},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}}
	if status, body := register(mcp); status != http.StatusForbidden || body["error"] != "access_denied" {
		t.Errorf("registration while off: %d %v", status, body)
	}
	var doc map[string]any
	h.get("/.well-known/openid-configuration", "").Decode(&doc)
	if doc["registration_endpoint"] != nil {
		t.Errorf("discovery names a registration endpoint while it is off: %v", doc["registration_endpoint"])
	}

	h.patchSettings(admin, map[string]any{"oauth": map[string]any{"dynamic_registration": "open"}})
	h.get("/.well-known/openid-configuration", "").Decode(&doc)
	if doc["registration_endpoint"] != h.ts.URL+"/oauth2/register" {
		t.Errorf("discovery's registration endpoint: %v", doc["registration_endpoint"])
	}
	status, client := register(mcp)
	if status != http.StatusCreated || client["client_id"] == nil || client["client_secret"] != nil ||
		client["token_endpoint_auth_method"] != "none" || client["scope"] != "openid profile email offline_access" {
		t.Fatalf("registering a public client: %d %v", status, client)
	}
	// Its users must consent.
	rp := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: client["client_id"].(string), RedirectURL: "http://127.0.0.1:8976/callback",
		Scopes: []string{"openid"}, Endpoint: oauth2.Endpoint{AuthURL: h.ts.URL + "/oauth2/authorize"}}}
	b := h.browser()
	p := b.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), h.ts.URL))
	for i := 0; i < 6 && p.Status != http.StatusOK; i++ {
		p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	}
	h.clock.Advance(time.Second)
	p = b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse 7 battery"}, "return_to": {p.input("return_to")}})
	for i := 0; i < 6 && p.Status != http.StatusOK; i++ {
		p = b.get(strings.TrimPrefix(p.Header.Get("Location"), h.ts.URL))
	}
	if !strings.Contains(p.Body, `action="/consent"`) || !strings.Contains(p.Body, "Agent") {
		t.Errorf("a registered client's sign-in does not ask for consent: %d", p.Status)
	}

	if status, again := register(mcp); status != http.StatusCreated || again["client_name"] == "Agent" || !strings.HasPrefix(again["client_name"].(string), "Agent (") {
		t.Errorf("registering the same name again: %d %v", status, again)
	}
	status, web := register(map[string]any{"client_name": "Site", "redirect_uris": []string{"https://site.example/cb"}})
	if status != http.StatusCreated || web["client_secret"] == nil || web["client_secret_expires_at"] != 0.0 {
		t.Errorf("registering a confidential client: %d %v", status, web)
	}
	for name, tc := range map[string]struct {
		body any
		want string
	}{
		"a machine grant":    {map[string]any{"redirect_uris": []string{"https://site.example/cb"}, "grant_types": []string{"client_credentials"}}, "invalid_client_metadata"},
		"no redirect URI":    {map[string]any{"client_name": "x"}, "invalid_client_metadata"},
		"plain http":         {map[string]any{"redirect_uris": []string{"http://site.example/cb"}}, "invalid_redirect_uri"},
		"a fragment":         {map[string]any{"redirect_uris": []string{"https://site.example/cb#x"}}, "invalid_redirect_uri"},
		"a scope of its own": {map[string]any{"redirect_uris": []string{"https://site.example/cb"}, "scope": "openid admin"}, "invalid_client_metadata"},
		"the implicit flow":  {map[string]any{"redirect_uris": []string{"https://site.example/cb"}, "response_types": []string{"token"}}, "invalid_client_metadata"},
		"not JSON":           {"{", "invalid_client_metadata"},
	} {
		if status, body := register(tc.body); status != http.StatusBadRequest || body["error"] != tc.want {
			t.Errorf("%s: %d %v, want %s", name, status, body, tc.want)
		}
	}
	h.wantAudit(admin, "application.registered")
}

// TestOAuthResourceIndicators: resource=<uri> (RFC 8707) makes the access
// token's audience a resource server of the tenant, with the user's roles
// there, through the code flow, refresh and client credentials; an unknown
// resource answers invalid_target.
func TestOAuthResourceIndicators(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	const resource = "https://mcp.example.com/mcp"
	server := h.createApplication(admin, map[string]any{"name": "tools", "type": "machine", "resource_uri": resource})
	if server["resource_uri"] != resource {
		t.Errorf("the application's resource_uri: %v", server["resource_uri"])
	}
	h.post("/api/v1/applications/"+server["id"].(string)+"/roles", admin, map[string]any{"name": "reader"}).want(http.StatusCreated)
	h.post("/api/v1/app-mappings", admin, map[string]any{"application_id": server["id"], "role": "reader", "user_id": userID}).
		want(http.StatusCreated)
	h.post("/api/v1/applications", admin, map[string]any{"name": "copy", "type": "machine", "resource_uri": resource}).
		wantError(http.StatusConflict, "conflict")
	for _, bad := range []string{"http://mcp.example.com", "mcp.example.com", "https://mcp.example.com/#x", "https://user@mcp.example.com/"} {
		h.post("/api/v1/applications", admin, map[string]any{"name": "bad", "type": "machine", "resource_uri": bad}).
			wantError(http.StatusBadRequest, "invalid_request")
	}

	rp := h.newRelyingParty(admin, map[string]any{"name": "agent", "type": "web", "redirect_uris": []string{rpCallback}})
	b := h.browser()
	tok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery", oauth2.SetAuthURLParam("resource", resource))
	var c map[string]any
	jwtClaims(t, tok.AccessToken, &c)
	roles, _ := c["roles"].([]any)
	if c["aud"] != resource || c["client_id"] != rp.conf.ClientID || len(roles) != 1 || roles[0] != "reader" {
		t.Errorf("access token for the resource: %v", c)
	}
	tok.Expiry = time.Now().Add(-time.Hour)
	refreshed, err := rp.conf.TokenSource(rp.ctx, tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	jwtClaims(t, refreshed.AccessToken, &c)
	if c["aud"] != resource {
		t.Errorf("a refreshed token's audience: %v", c["aud"])
	}
	q := rp.authorize(b, rp.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("resource", "https://unknown.example/")), "ada@example.com", "correct horse 7 battery")
	if q.Get("error") != "invalid_target" {
		t.Errorf("an unknown resource: %v", q)
	}

	worker := h.createApplication(admin, map[string]any{"name": "worker", "type": "machine"})
	ccp := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: worker["client_id"].(string), ClientSecret: worker["client_secret"].(string)}}
	status, body := ccp.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "resource": {resource}})
	if status != http.StatusOK {
		t.Fatalf("client credentials for a resource: %d %v", status, body)
	}
	jwtClaims(t, body["access_token"].(string), &c)
	if c["aud"] != resource || c["sub"] != ccp.conf.ClientID {
		t.Errorf("client token for the resource: %v", c)
	}
	if status, body := ccp.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "resource": {"https://unknown.example/"}}); status != http.StatusBadRequest || body["error"] != "invalid_target" {
		t.Errorf("client credentials for an unknown resource: %d %v", status, body)
	}
}

// tlsBrowser is h.browser() for a harness served over TLS (an https issuer).
func (h *harness) tlsBrowser() *browser {
	b := h.browser()
	b.client.Transport = h.ts.Client().Transport
	return b
}

// TestNoResourceIsTheIssuer: a token whose audience is the issuer acts on
// /api/v1 as its user, which is what api_access gives. So no application
// may name the issuer as its resource (whatever its spelling), a request
// naming it is refused even if a stored application has it, and an
// application with api_access is changed, re-keyed or deleted only by a
// caller holding every permission, as it is created.
func TestNoResourceIsTheIssuer(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_ISSUER": "https://127.0.0.1:" + portPlaceholder})
	super := h.admin()
	writer, _ := limitedAdmin(t, h, super, "writer@example.com", "apps.*")
	issuer := h.ts.URL
	api := h.createApplication(writer, map[string]any{"name": "api", "type": "machine", "resource_uri": "https://api.example.com"})
	for _, uri := range []string{issuer, issuer + "/", strings.Replace(issuer, "https://", "HTTPS://", 1)} {
		for _, caller := range []string{writer, super} {
			m := h.post("/api/v1/applications", caller, map[string]any{"name": "gatehouse api", "type": "machine", "resource_uri": uri}).
				wantError(http.StatusBadRequest, "invalid_request")
			if f, _ := m["details"].(map[string]any)["fields"].(map[string]any); f["resource_uri"] == nil {
				t.Errorf("resource_uri %s refused without naming the field: %v", uri, m)
			}
			h.patch("/api/v1/applications/"+api["id"].(string), caller, map[string]any{"resource_uri": uri}).
				wantError(http.StatusBadRequest, "invalid_request")
		}
	}

	console := h.createApplication(super, map[string]any{"name": "console", "type": "web",
		"redirect_uris": []string{"https://console.example.com/cb"}, "api_access": true})
	path := "/api/v1/applications/" + console["id"].(string)
	h.patch(path, writer, map[string]any{"redirect_uris": []string{"https://evil.example.com/cb"}}).wantError(http.StatusForbidden, "forbidden")
	h.post(path+"/secret", writer, nil).wantError(http.StatusForbidden, "forbidden")
	h.delete(path, writer).wantError(http.StatusForbidden, "forbidden")
	if got := h.get(path, super).want(http.StatusOK).JSON(); !slices.Equal(got["redirect_uris"].([]any), []any{"https://console.example.com/cb"}) {
		t.Errorf("the console's redirect URIs changed: %v", got["redirect_uris"])
	}
	h.patch(path, super, map[string]any{"name": "admin console"}).want(http.StatusOK)

	// An application stored with the issuer as its resource, before it was
	// refused, does not make a token for it.
	tn, err := h.srv.SystemTenant(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.StoreResourceURI(t.Context(), tn.ID, api["id"].(string), issuer); err != nil {
		t.Fatal(err)
	}
	rp := h.newRelyingParty(writer, map[string]any{"name": "harmless", "type": "web", "redirect_uris": []string{rpCallback}})
	q := rp.authorize(h.tlsBrowser(), rp.conf.AuthCodeURL("state", oauth2.SetAuthURLParam("resource", issuer),
		oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), adminEmail, adminPassword)
	if q.Get("error") != "invalid_target" || q.Get("code") != "" {
		t.Errorf("an authorization request for resource=<issuer>: %v", q)
	}
}

// TestOAuthConsoleApplication: an application with api_access (an admin
// console) signs its users in with the code flow, and their access tokens
// call /api/v1 as them; revoking the grant stops them at once. Only a
// caller holding every permission turns api_access on.
func TestOAuthConsoleApplication(t *testing.T) {
	h := oauthHarness(t)
	super := h.admin()
	writer, _ := limitedAdmin(t, h, super, "writer@example.com", "apps.*")
	console := map[string]any{"name": "console", "type": "spa", "redirect_uris": []string{rpCallback}, "api_access": true}
	h.post("/api/v1/applications", writer, console).wantError(http.StatusForbidden, "forbidden")
	plain := h.createApplication(writer, map[string]any{"name": "plain", "type": "spa", "redirect_uris": []string{rpCallback}})
	h.patch("/api/v1/applications/"+plain["id"].(string), writer, map[string]any{"api_access": true}).wantError(http.StatusForbidden, "forbidden")
	h.post("/api/v1/applications", super, map[string]any{"name": "machine", "type": "machine", "api_access": true}).
		wantError(http.StatusBadRequest, "invalid_request")

	rp := h.newRelyingParty(super, console)
	if rp.conf.ClientSecret != "" {
		t.Fatal("a spa got a secret")
	}
	tok, _ := rp.signIn(h.browser(), adminEmail, adminPassword)
	me := h.get("/api/v1/me", tok.AccessToken).want(http.StatusOK).JSON()
	if me["email"] != adminEmail {
		t.Errorf("/api/v1/me with the console's token: %v", me)
	}
	h.get("/api/v1/users", tok.AccessToken).want(http.StatusOK)
	// A public client revokes with its client_id in the form.
	if status, body := rp.postForm("/oauth2/revoke", url.Values{"token": {tok.RefreshToken}, "client_id": {rp.conf.ClientID}}); status != http.StatusOK {
		t.Fatalf("revoke: %d %v", status, body)
	}
	h.get("/api/v1/me", tok.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")

	// Another application's token stays out of /api/v1.
	other := h.newRelyingParty(super, map[string]any{"name": "other", "type": "web", "redirect_uris": []string{rpCallback}})
	otherTok, _ := other.signIn(h.browser(), adminEmail, adminPassword)
	h.get("/api/v1/me", otherTok.AccessToken).wantError(http.StatusUnauthorized, "invalid_token")
}

// A new password ends the grants in flight too, as it ends sessions: a
// device approved before it, or a code not yet exchanged, gets no tokens
// after it (found by a review).
func TestOAuthPasswordResetEndsGrantsInFlight(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	tv := h.newRelyingParty(admin, map[string]any{"name": "TV", "type": "native", "redirect_uris": []string{},
		"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}})
	b := h.browser()
	b.get("/login")
	b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse 7 battery"}}).want(t, http.StatusSeeOther)
	auth, err := tv.conf.DeviceAuth(tv.ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.get("/device")
	b.post("/device", url.Values{"user_code": {auth.UserCode}}).want(t, http.StatusOK)
	b.post("/device/decide", url.Values{"user_code": {auth.UserCode}, "decision": {"allow"}}).want(t, http.StatusOK)
	web := h.newRelyingParty(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback}})
	verifier := oauth2.GenerateVerifier()
	q := web.authorize(h.browser(), web.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "ada@example.com", "correct horse 7 battery")

	h.post("/api/v1/users/"+userID+"/password", admin, map[string]any{"password": "a brand new 9 passphrase"}).want(http.StatusNoContent)
	h.clock.Advance(6 * time.Second)
	status, body := tv.tokenRequest(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {auth.DeviceCode}, "client_id": {tv.conf.ClientID}})
	if status != http.StatusBadRequest || body["error"] != "access_denied" {
		t.Errorf("the device approved before the new password: %d %v", status, body)
	}
	if _, err := web.conf.Exchange(web.ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err == nil {
		t.Error("a code issued before the new password was exchanged after it")
	}
}

// max_age above 0 that the browser's session is too old for shows the
// sign-in form; it used to send the browser between /oauth2/login and
// /login for ever (found by a review).
func TestOAuthMaxAgeAsksAgain(t *testing.T) {
	h, rp := portal(t)
	b := h.browser()
	rp.signIn(b, "ada@example.com", "correct horse 7 battery")
	h.clock.Advance(10 * time.Minute)
	next := strings.TrimPrefix(rp.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("max_age", "60")), h.ts.URL)
	for range 8 {
		p := b.get(next)
		if p.Status == http.StatusOK && strings.Contains(p.Body, `name="password"`) {
			// Signing in again goes on to the client with a code.
			tok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery", oauth2.SetAuthURLParam("max_age", "60"))
			if tok.AccessToken == "" {
				t.Fatal("no token after signing in again")
			}
			return
		}
		loc := p.Header.Get("Location")
		if (p.Status != http.StatusFound && p.Status != http.StatusSeeOther) || strings.HasPrefix(loc, rpCallback) {
			t.Fatalf("max_age=60 after 10 minutes ended with %d to %q, want the sign-in form", p.Status, loc)
		}
		next = strings.TrimPrefix(loc, h.ts.URL)
	}
	t.Fatal("max_age=60 never showed the sign-in form")
}

// Only an ID token is a hint that signs the browser out at once on
// end_session: the user's access token, which any resource server holds,
// leads to the confirmation page (found by a review).
func TestOAuthLogoutHintIsAnIDToken(t *testing.T) {
	h, rp := portal(t)
	b := h.browser()
	tok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery")
	p := b.get("/oauth2/end_session?" + url.Values{"id_token_hint": {tok.AccessToken}}.Encode())
	if loc := p.Header.Get("Location"); !strings.HasPrefix(loc, "/logout") {
		t.Errorf("an access token as id_token_hint: %d to %q, want the confirmation page", p.Status, loc)
	}
	b.get("/account").want(t, http.StatusOK)
	idToken, _ := tok.Extra("id_token").(string)
	b.get("/oauth2/end_session?" + url.Values{"id_token_hint": {idToken}}.Encode())
	if acct := b.get("/account"); acct.Status != http.StatusSeeOther {
		t.Errorf("the ID token as hint did not sign the browser out: %d", acct.Status)
	}
}

// prompt=none with an id_token_hint of another user than the browser's
// answers login_required, not a code for the browser's user (OpenID Connect
// Core §3.1.2.2; found by a review).
func TestOAuthHintOfAnotherUser(t *testing.T) {
	h, rp := portal(t)
	h.createUser(h.admin(), "bob@example.com", "correct horse 8 battery")
	tok, _ := rp.signIn(h.browser(), "bob@example.com", "correct horse 8 battery")
	bobHint, _ := tok.Extra("id_token").(string)
	b := h.browser()
	adaTok, _ := rp.signIn(b, "ada@example.com", "correct horse 7 battery")
	hint := func(idToken string) string {
		return rp.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("id_token_hint", idToken))
	}
	if q := rp.authorize(b, hint(bobHint), "", ""); q.Get("error") != "login_required" || q.Get("code") != "" {
		t.Errorf("prompt=none with bob's hint in ada's browser: %v", q)
	}
	adaHint, _ := adaTok.Extra("id_token").(string)
	if q := rp.authorize(b, hint(adaHint), "", ""); q.Get("code") == "" {
		t.Errorf("prompt=none with ada's own hint: %v", q)
	}
}

// portal is an OAuth harness where ada signs in to a web application.
func portal(t *testing.T) (*harness, *relyingParty) {
	t.Helper()
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	return h, h.newRelyingParty(admin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback}})
}
