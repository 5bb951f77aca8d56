package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/gatehouse-iam/gatehouse/internal/server"
)

// assertion signs claims as a client assertion (RFC 7523) with key, kid
// in its header.
func assertion(t *testing.T, key *ecdsa.PrivateKey, kid string, c jwt.Claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// forged is a JWT with alg "none", or HS256 keyed with secret.
func forged(t *testing.T, alg string, secret []byte, c jwt.Claims) string {
	t.Helper()
	head, _ := json.Marshal(map[string]string{"alg": alg, "kid": "k1", "typ": "JWT"})
	body, _ := json.Marshal(c)
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(head) + "." + enc.EncodeToString(body)
	if alg == "none" {
		return signing + "."
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// signingKey is a new P-256 key and the JWKS body of its public half as
// key k1, for an application's private_key_jwt.
func signingKey(t *testing.T) (*ecdsa.PrivateKey, map[string]any) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	var jwks map[string]any
	if err := json.Unmarshal(pub, &jwks); err != nil {
		t.Fatal(err)
	}
	return key, jwks
}

// publicBytes is the public key as bytes, the "secret" of an HS256 forgery.
func publicBytes(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	pk, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return pk.Bytes()
}

// TestOAuthPrivateKeyJWTAndJWTBearer: an application authenticates with
// its key (private_key_jwt) for client credentials; a service account gets
// a token for itself with the JWT-bearer grant and with its secret. Forged,
// expired, early, long-lived, misaddressed and replayed assertions are
// refused.
func TestOAuthPrivateKeyJWTAndJWTBearer(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	key, jwks := signingKey(t)
	app := h.createApplication(admin, map[string]any{"name": "signer", "type": "machine", "token_endpoint_auth_method": "private_key_jwt",
		"jwks": jwks, "allowed_scopes": []string{"reports.read"}})
	clientID := app["client_id"].(string)
	rp := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: clientID}}
	now := h.clock.Now()
	claims := func(mod func(*jwt.Claims)) jwt.Claims {
		c := jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{h.ts.URL + "/oauth2/token"}, ID: rand.Text(),
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	grant := func(assertion string) (int, map[string]any) {
		return rp.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "scope": {"reports.read"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
	}

	good := assertion(t, key, "k1", claims(nil))
	status, tok := grant(good)
	if status != http.StatusOK || tok["access_token"] == nil {
		t.Fatalf("client credentials with private_key_jwt: %d %v", status, tok)
	}
	var at map[string]any
	jwtClaims(t, tok["access_token"].(string), &at)
	if at["sub"] != clientID || at["scope"] != "reports.read" {
		t.Errorf("access token claims %v", at)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, raw := range map[string]string{
		"the same assertion again":        good,
		"alg none":                        forged(t, "none", nil, claims(nil)),
		"HS256 keyed with the public key": forged(t, "HS256", publicBytes(t, key), claims(nil)),
		"another key":                     assertion(t, other, "k1", claims(nil)),
		"an unknown key id":               assertion(t, key, "k2", claims(nil)),
		"expired":                         assertion(t, key, "k1", claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute)) })),
		"not yet valid":                   assertion(t, key, "k1", claims(func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour)) })),
		"living a day":                    assertion(t, key, "k1", claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(24 * time.Hour)) })),
		"for another server":              assertion(t, key, "k1", claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://evil.example/token"} })),
		"without a jti":                   assertion(t, key, "k1", claims(func(c *jwt.Claims) { c.ID = "" })),
		"sub not the client":              assertion(t, key, "k1", claims(func(c *jwt.Claims) { c.Subject = "someone" })),
	} {
		if status, body := grant(raw); status == http.StatusOK || (body["error"] != "invalid_client" && body["error"] != "invalid_request") {
			t.Errorf("%s: %d %v, want invalid_client", name, status, body)
		}
	}

	// A service account: a generated key for the JWT-bearer grant, and a
	// secret for client credentials.
	saID := h.createServiceAccount(admin, "deployer")
	sa := h.get("/api/v1/service-accounts/"+saID, admin).want(http.StatusOK).JSON()
	saClient := sa["client_id"].(string)
	gen := h.post("/api/v1/service-accounts/"+saID+"/keys", admin, map[string]any{"type": "generated", "algorithm": "ES256"}).
		want(http.StatusCreated).JSON()
	block, _ := pem.Decode([]byte(gen["private_key_pem"].(string)))
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	saKey := parsed.(*ecdsa.PrivateKey)
	bearer := func(raw string) (int, map[string]any) {
		return rp.tokenRequest(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {raw}})
	}
	saClaims := jwt.Claims{Issuer: saClient, Subject: saClient, Audience: jwt.Audience{h.ts.URL}, ID: rand.Text(),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}
	signed := assertion(t, saKey, gen["key_id"].(string), saClaims)
	status, tok = bearer(signed)
	if status != http.StatusOK || tok["access_token"] == nil {
		t.Fatalf("JWT-bearer grant: %d %v", status, tok)
	}
	jwtClaims(t, tok["access_token"].(string), &at)
	if at["sub"] != saClient || at["client_id"] != saClient {
		t.Errorf("service account token claims %v", at)
	}
	if status, body := bearer(signed); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("the same JWT-bearer assertion again: %d %v", status, body)
	}
	_, secret := h.accountSecret(admin, saID, nil)
	saRP := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: saClient, ClientSecret: secret}}
	if status, body := saRP.tokenRequest(url.Values{"grant_type": {"client_credentials"}}); status != http.StatusOK || body["access_token"] == nil {
		t.Errorf("client credentials with a service account's secret: %d %v", status, body)
	}
	events := h.auditEvents(admin, "action=oauth.token.issued")
	var bearerEvent bool
	for _, e := range events {
		if d, _ := e["details"].(map[string]any); d["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" &&
			strings.Contains(jsonString(e["actor"]), "service_account") {
			bearerEvent = true
		}
	}
	if !bearerEvent {
		t.Error("no audit event of the service account's JWT-bearer grant")
	}
}

// TestOAuthTokenExchange: a web application trades a user's token for one
// meant for its backend (RFC 8693); the backend trades that for one for a
// downstream service, acting for the user (act); revoking the user's grant
// ends every exchanged token. Broader scopes, unknown audiences and tokens
// of other clients are refused.
func TestOAuthTokenExchange(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	exchange := "urn:ietf:params:oauth:grant-type:token-exchange"
	front := h.newRelyingParty(admin, map[string]any{"name": "front", "type": "web", "redirect_uris": []string{rpCallback},
		"grant_types": []string{"authorization_code", "refresh_token", exchange}})
	backApp := h.createApplication(admin, map[string]any{"name": "back", "type": "machine",
		"grant_types": []string{"client_credentials", exchange}, "allowed_scopes": []string{"jobs.run"}})
	downApp := h.createApplication(admin, map[string]any{"name": "down", "type": "machine"})
	back := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: backApp["client_id"].(string), ClientSecret: backApp["client_secret"].(string)}}
	downID := downApp["client_id"].(string)

	tok, _ := front.signIn(h.browser(), "ada@example.com", "correct horse 7 battery")
	trade := func(rp *relyingParty, subject string, extra url.Values) (int, map[string]any) {
		form := url.Values{"grant_type": {exchange}, "subject_token": {subject},
			"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}}
		for k, v := range extra {
			form[k] = v
		}
		return rp.tokenRequest(form)
	}
	status, forBack := trade(front, tok.AccessToken, url.Values{"audience": {back.conf.ClientID}, "scope": {"openid email"}})
	if status != http.StatusOK || forBack["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" {
		t.Fatalf("front's exchange: %d %v", status, forBack)
	}
	var c map[string]any
	jwtClaims(t, forBack["access_token"].(string), &c)
	if c["sub"] != userID || c["aud"] != back.conf.ClientID || c["client_id"] != front.conf.ClientID || c["scope"] != "openid email" || c["act"] != nil {
		t.Errorf("exchanged token claims %v", c)
	}

	// The backend acts for the user towards the downstream service.
	_, own := back.tokenRequest(url.Values{"grant_type": {"client_credentials"}})
	status, forDown := trade(back, forBack["access_token"].(string), url.Values{"audience": {downID},
		"actor_token": {own["access_token"].(string)}, "actor_token_type": {"urn:ietf:params:oauth:token-type:access_token"}})
	if status != http.StatusOK {
		t.Fatalf("back's delegation: %d %v", status, forDown)
	}
	jwtClaims(t, forDown["access_token"].(string), &c)
	act, _ := c["act"].(map[string]any)
	if c["sub"] != userID || c["aud"] != downID || act["sub"] != back.conf.ClientID {
		t.Errorf("delegated token claims %v", c)
	}

	for name, tc := range map[string]struct {
		rp    *relyingParty
		token string
		extra url.Values
		want  string
	}{
		"broader scopes":           {front, tok.AccessToken, url.Values{"scope": {"openid offline_access jobs.run"}}, "invalid_scope"},
		"an unknown audience":      {front, tok.AccessToken, url.Values{"audience": {"https://evil.example"}}, "invalid_target"},
		"a resource":               {front, tok.AccessToken, url.Values{"resource": {"https://api.example"}}, "invalid_target"},
		"another client's token":   {back, tok.AccessToken, nil, "invalid_request"},
		"a token that is no token": {front, "gtref_nope", nil, "invalid_request"},
		"someone else's actor":     {back, forBack["access_token"].(string), url.Values{"actor_token": {tok.AccessToken}, "actor_token_type": {"urn:ietf:params:oauth:token-type:access_token"}}, "invalid_request"},
	} {
		if status, body := trade(tc.rp, tc.token, tc.extra); status != http.StatusBadRequest || body["error"] != tc.want {
			t.Errorf("%s: %d %v, want %s", name, status, body, tc.want)
		}
	}
	if status, body := trade(&relyingParty{t: t, h: h, conf: front.conf}, tok.AccessToken, nil); status != http.StatusOK {
		t.Errorf("exchange without an audience: %d %v", status, body)
	}

	// Revoking the user's grant ends what was exchanged from it.
	if status := front.revoke(tok.RefreshToken); status != http.StatusOK {
		t.Fatalf("revoke: %d", status)
	}
	if got := back.introspect(forDown["access_token"].(string)); got["active"] != false {
		t.Errorf("the delegated token after the grant was revoked: %v", got)
	}
	h.wantAudit(admin, "oauth.token.exchanged")
}

// TestOAuthIntrospectionWithAnAssertion: a resource server authenticates
// to introspection with an ES256 assertion of its key, once per jti; a
// client without credentials is refused.
func TestOAuthIntrospectionWithAnAssertion(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	key, jwks := signingKey(t)
	api := h.createApplication(admin, map[string]any{"name": "api", "type": "machine", "token_endpoint_auth_method": "private_key_jwt",
		"jwks": jwks})
	worker := h.createApplication(admin, map[string]any{"name": "worker", "type": "machine"})
	cc := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: worker["client_id"].(string), ClientSecret: worker["client_secret"].(string)}}
	_, tok := cc.tokenRequest(url.Values{"grant_type": {"client_credentials"}})
	now := h.clock.Now()
	signed := assertion(t, key, "k1", jwt.Claims{Issuer: api["client_id"].(string), Subject: api["client_id"].(string),
		Audience: jwt.Audience{h.ts.URL}, ID: rand.Text(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))})
	anonymous := &relyingParty{t: t, h: h}
	introspect := func(form url.Values) (int, map[string]any) { return anonymous.postForm("/oauth2/introspect", form) }
	form := url.Values{"token": {tok["access_token"].(string)}, "client_assertion": {signed},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
	if status, body := introspect(form); status != http.StatusOK || body["active"] != true || body["sub"] != cc.conf.ClientID {
		t.Errorf("introspection with an assertion: %d %v", status, body)
	}
	if status, body := introspect(form); status == http.StatusOK && body["active"] == true {
		t.Errorf("introspection with the same assertion again: %d %v", status, body)
	}
	if status, _ := introspect(url.Values{"token": {tok["access_token"].(string)}, "client_id": {cc.conf.ClientID}}); status == http.StatusOK {
		t.Error("introspection without client credentials answers 200")
	}
}

// TestOAuthPrivateKeyJWTFromJWKSURI: an application whose keys are
// published at its jwks_uri (a real https server here, the outside world)
// authenticates with them; a key rotated in is found once the set is read
// again, an unknown key id does not make Gatehouse fetch in a loop.
func TestOAuthPrivateKeyJWTFromJWKSURI(t *testing.T) {
	first, firstSet := signingKey(t)
	second, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var (
		published = firstSet
		fetches   atomic.Int32
	)
	jwksServer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(published)
	}))
	defer jwksServer.Close()
	h := newHarnessWith(t, map[string]string{"GATEHOUSE_ISSUER": "http://127.0.0.1:" + portPlaceholder},
		func(o *server.Options) { o.Outbound = jwksServer.Client() })
	admin := h.admin()
	app := h.createApplication(admin, map[string]any{"name": "remote", "type": "machine", "token_endpoint_auth_method": "private_key_jwt",
		"jwks_uri": jwksServer.URL + "/jwks.json"})
	clientID := app["client_id"].(string)
	rp := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: clientID}}
	grant := func(key *ecdsa.PrivateKey, kid string) (int, map[string]any) {
		now := h.clock.Now()
		signed := assertion(t, key, kid, jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{h.ts.URL},
			ID: rand.Text(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))})
		return rp.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_assertion": {signed},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}})
	}
	if status, body := grant(first, "k1"); status != http.StatusOK {
		t.Fatalf("with a key of the jwks_uri: %d %v", status, body)
	}
	if status, _ := grant(first, "k1"); status != http.StatusOK || fetches.Load() != 1 {
		t.Errorf("a second assertion: %d after %d fetches, want 200 after 1", status, fetches.Load())
	}
	// The application rotates to k2.
	rotated, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &second.PublicKey, KeyID: "k2", Algorithm: "ES256", Use: "sig"}}})
	published = nil
	_ = json.Unmarshal(rotated, &published)
	for range 5 {
		if status, _ := grant(second, "k2"); status == http.StatusOK {
			t.Fatal("a key id unknown a moment ago is accepted before the set may be read again")
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for unknown key ids within a minute, want none after the first", n)
	}
	h.clock.Advance(61 * time.Second)
	if status, body := grant(second, "k2"); status != http.StatusOK {
		t.Errorf("with the rotated key after a minute: %d %v", status, body)
	}
}

// A delegated token (act) traded on without an actor token keeps its act,
// or the delegation would pass for the user's own sign-in; the client the
// new token is issued to cannot revoke it alone, and is told so (found by a
// review).
func TestOAuthExchangeKeepsTheActorChain(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	front := h.newRelyingParty(admin, map[string]any{"name": "front", "type": "web", "redirect_uris": []string{rpCallback},
		"grant_types": []string{"authorization_code", "refresh_token", exchangeGrant}})
	back, down := machineParty(t, h, admin, "back"), machineParty(t, h, admin, "down")
	tok, _ := front.signIn(h.browser(), "ada@example.com", "correct horse 7 battery")
	forBack := exchangeToken(t, front, tok.AccessToken, url.Values{"audience": {back.conf.ClientID}})
	_, own := back.tokenRequest(url.Values{"grant_type": {"client_credentials"}})
	forDown := exchangeToken(t, back, forBack, url.Values{"audience": {down.conf.ClientID},
		"actor_token": {own["access_token"].(string)}, "actor_token_type": {accessTokenType}})
	var delegated map[string]any
	jwtClaims(t, forDown, &delegated)
	if act, _ := delegated["act"].(map[string]any); act["sub"] != back.conf.ClientID {
		t.Fatalf("the delegated token's act: %v", delegated["act"])
	}
	again := exchangeToken(t, down, forDown, nil)
	var traded map[string]any
	jwtClaims(t, again, &traded)
	if act, _ := traded["act"].(map[string]any); act["sub"] != back.conf.ClientID || traded["client_id"] != down.conf.ClientID {
		t.Errorf("the token traded from a delegated one: act %v, client_id %v", traded["act"], traded["client_id"])
	}
	status, body := down.postForm("/oauth2/revoke", url.Values{"token": {again}})
	if status != http.StatusBadRequest || body["error"] != "unsupported_token_type" {
		t.Errorf("down revoking its exchanged token: %d %v", status, body)
	}
	// It is the user's grant with front that ends it.
	if status, body := front.postForm("/oauth2/revoke", url.Values{"token": {tok.RefreshToken}}); status != http.StatusOK {
		t.Fatalf("front revoking its grant: %d %v", status, body)
	}
	if status, body := down.postForm("/oauth2/introspect", url.Values{"token": {again}}); status != http.StatusOK || body["active"] != false {
		t.Errorf("the exchanged token after its grant ended: %d %v", status, body)
	}
}

// A resource server trades a user's token meant for it (aud is its
// resource URI) for one to call another API on the user's behalf: the
// on-behalf-of flow of RFC 8693 with RFC 8707 (found by a review).
func TestOAuthResourceServerExchangesItsToken(t *testing.T) {
	h := oauthHarness(t)
	admin := h.admin()
	h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	const resource = "https://api.example.com"
	apiApp := h.createApplication(admin, map[string]any{"name": "api", "type": "machine", "resource_uri": resource,
		"grant_types": []string{"client_credentials", exchangeGrant}})
	api := &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: apiApp["client_id"].(string), ClientSecret: apiApp["client_secret"].(string)}}
	downstream := h.createApplication(admin, map[string]any{"name": "downstream", "type": "machine"})
	rp := h.newRelyingParty(admin, map[string]any{"name": "front", "type": "web", "redirect_uris": []string{rpCallback}})
	tok, _ := rp.signIn(h.browser(), "ada@example.com", "correct horse 7 battery", oauth2.SetAuthURLParam("resource", resource))
	traded := exchangeToken(t, api, tok.AccessToken, url.Values{"audience": {downstream["client_id"].(string)}})
	var c map[string]any
	jwtClaims(t, traded, &c)
	if c["aud"] != downstream["client_id"] && !slices.Contains(anySlice(c["aud"]), downstream["client_id"]) {
		t.Errorf("the traded token's audience: %v", c["aud"])
	}
	// Another API, whose resource the token does not name, may not.
	other := machineParty(t, h, admin, "other")
	if status, body := other.tokenRequest(url.Values{"grant_type": {exchangeGrant}, "subject_token": {tok.AccessToken},
		"subject_token_type": {accessTokenType}}); status != http.StatusBadRequest {
		t.Errorf("another client trading the token: %d %v", status, body)
	}
}

const (
	exchangeGrant   = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
)

// machineParty is a new machine application that may exchange tokens.
func machineParty(t *testing.T, h *harness, admin, name string) *relyingParty {
	t.Helper()
	app := h.createApplication(admin, map[string]any{"name": name, "type": "machine", "grant_types": []string{"client_credentials", exchangeGrant}})
	return &relyingParty{t: t, h: h, conf: oauth2.Config{ClientID: app["client_id"].(string), ClientSecret: app["client_secret"].(string)}}
}

// exchangeToken trades subject as rp, with extra parameters, and returns
// the new access token.
func exchangeToken(t *testing.T, rp *relyingParty, subject string, extra url.Values) string {
	t.Helper()
	form := url.Values{"grant_type": {exchangeGrant}, "subject_token": {subject}, "subject_token_type": {accessTokenType}}
	for k, v := range extra {
		form[k] = v
	}
	status, body := rp.tokenRequest(form)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	return body["access_token"].(string)
}

// anySlice is v as a slice, or nil.
func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}
