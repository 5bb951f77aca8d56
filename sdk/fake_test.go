package sdk_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-iam/gatehouse/internal/testclock"
)

// newClock starts at the real time, so that examples on the real clock
// accept the tokens made on it.
func newClock() *testclock.Clock { return testclock.New(time.Now().UTC().Truncate(time.Second)) }

// signingKey is a key the fake Gatehouse signs tokens with.
type signingKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key any // *ecdsa.PrivateKey or *rsa.PrivateKey
}

func newES256Key(kid string) *signingKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	return &signingKey{kid: kid, alg: jose.ES256, key: k}
}

func newRS256Key(kid string) *signingKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	return &signingKey{kid: kid, alg: jose.RS256, key: k}
}

func (k *signingKey) jwk() jose.JSONWebKey {
	var pub any
	switch priv := k.key.(type) {
	case *ecdsa.PrivateKey:
		pub = &priv.PublicKey
	case *rsa.PrivateKey:
		pub = &priv.PublicKey
	}
	return jose.JSONWebKey{Key: pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// sign serializes claims as a JWT signed by k with the given typ header.
func (k *signingKey) sign(claims any, typ string) string {
	opts := (&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), k.kid)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, opts)
	must(err)
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	must(err)
	return raw
}

// gatehouse plays the parts of a Gatehouse server the SDK talks to: the
// JWKS, the authorization API and a little of the management API, in memory.
type gatehouse struct {
	*httptest.Server
	clock *testclock.Clock

	jwksHits  atomic.Int32
	checkHits atomic.Int32

	mu           sync.Mutex
	signing      *signingKey     // what new tokens are signed with
	served       []*signingKey   // what the JWKS lists
	jwksStatus   int             // non-zero: the JWKS fails with it
	jwksGate     chan struct{}   // non-nil: the JWKS waits for it to close
	checkStatus  int             // non-zero: checks fail with it
	services     map[string]bool // opaque tokens that hold authz.check
	endedSession map[string]bool // sessions whose tokens Gatehouse refuses
	grants       map[grant]string
	checks       []recorded // every check and check-batch request
	nextID       int
	users        []map[string]any
	orgs         map[string]map[string]any // by id
	roles        map[string]map[string]any // by id
	userRoles    map[string][]string       // user → tenant-wide role ids
	members      map[[2]string][]string    // {org id, user} → role ids
}

type grant struct{ subject, permission, organization string }

type recorded struct {
	Authorization string
	Body          map[string]any
}

func newGatehouse() *gatehouse {
	k := newES256Key("key-1")
	g := &gatehouse{
		clock:        newClock(),
		signing:      k,
		served:       []*signingKey{k},
		services:     map[string]bool{},
		endedSession: map[string]bool{},
		grants:       map[grant]string{},
		orgs:         map[string]map[string]any{},
		roles:        map[string]map[string]any{},
		userRoles:    map[string][]string{},
		members:      map[[2]string][]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/keys", g.keys)
	mux.HandleFunc("POST /api/v1/authz/check", g.check)
	mux.HandleFunc("POST /api/v1/authz/check-batch", g.checkBatch)
	mux.HandleFunc("POST /api/v1/users", g.createUser)
	mux.HandleFunc("GET /api/v1/users", g.listUsers)
	mux.HandleFunc("POST /api/v1/organizations", g.create("org", func(m map[string]any) { g.orgs[m["id"].(string)] = m }))
	mux.HandleFunc("POST /api/v1/roles", g.create("role", func(m map[string]any) { g.roles[m["id"].(string)] = m }))
	mux.HandleFunc("POST /api/v1/permissions", g.create("perm", func(map[string]any) {}))
	mux.HandleFunc("PUT /api/v1/users/{id}/roles/{role}", g.assignRole)
	mux.HandleFunc("PUT /api/v1/organizations/{org}/members/{user}", g.setMember)
	g.Server = httptest.NewServer(mux)
	return g
}

// Issuer is the issuer URL of the fake's tokens.
func (g *gatehouse) Issuer() string { return g.URL }

// claims are the claims of a fresh token of sub, as Gatehouse issues them.
func (g *gatehouse) claims(sub string) map[string]any {
	now := g.clock.Now()
	return map[string]any{
		"iss": g.Issuer(),
		"sub": sub,
		"aud": g.Issuer(),
		"exp": now.Add(10 * time.Minute).Unix(),
		"iat": now.Unix(),
		"jti": fmt.Sprintf("jti-%d", now.UnixNano()),
		"tid": "tenant-1",
		"sid": "session-" + sub,
		"amr": []string{"pwd"},
	}
}

// token is a valid access token of sub, with edit applied to its claims.
func (g *gatehouse) token(sub string, edit ...func(map[string]any)) string {
	c := g.claims(sub)
	for _, e := range edit {
		e(c)
	}
	g.mu.Lock()
	k := g.signing
	g.mu.Unlock()
	return k.sign(c, "at+jwt")
}

// rotate makes k the signing key and serves it beside the old ones.
func (g *gatehouse) rotate(k *signingKey) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.signing = k
	g.served = append(g.served, k)
}

// serve adds k to the JWKS without signing with it.
func (g *gatehouse) serve(k *signingKey) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.served = append(g.served, k)
}

// withdraw removes the key kid from the JWKS.
func (g *gatehouse) withdraw(kid string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.served = slices.DeleteFunc(g.served, func(k *signingKey) bool { return k.kid == kid })
}

func (g *gatehouse) setJWKSStatus(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.jwksStatus = status
}

// holdJWKS makes JWKS requests wait until the returned channel is closed.
func (g *gatehouse) holdJWKS() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.jwksGate = make(chan struct{})
	return g.jwksGate
}

// serviceToken is a token of a service account holding authz.check.
func (g *gatehouse) serviceToken() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.services["service-token"] = true
	return "service-token"
}

func (g *gatehouse) grant(subject, permission, organization string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants[grant{subject, permission, organization}] = "granted directly"
}

func (g *gatehouse) revoke(subject, permission, organization string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.grants, grant{subject, permission, organization})
}

func (g *gatehouse) setCheckStatus(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checkStatus = status
}

func (g *gatehouse) recordedChecks() []recorded {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.checks)
}

func (g *gatehouse) keys(w http.ResponseWriter, r *http.Request) {
	g.jwksHits.Add(1)
	g.mu.Lock()
	gate, status := g.jwksGate, g.jwksStatus
	set := jose.JSONWebKeySet{}
	for _, k := range g.served {
		set.Keys = append(set.Keys, k.jwk())
	}
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if status != 0 {
		writeJSON(w, status, map[string]any{"code": "internal", "message": "internal error"})
		return
	}
	writeJSON(w, http.StatusOK, set)
}

// caller is whom a request's bearer token names: an opaque service token, or
// the sub of an access token. The fake trusts its own tokens unverified; it
// is the SDK that is under test.
func (g *gatehouse) caller(w http.ResponseWriter, r *http.Request) (sub string, service, ok bool) {
	raw, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "unauthenticated", "message": "a bearer token is required"})
		return "", false, false
	}
	if g.services[raw] {
		return "", true, true
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	var c struct {
		Subject   string `json:"sub"`
		SessionID string `json:"sid"`
	}
	if err == nil {
		err = tok.UnsafeClaimsWithoutVerification(&c)
	}
	if err != nil || g.endedSession[c.SessionID] {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "invalid_token", "message": "the access token is invalid or expired"})
		return "", false, false
	}
	return c.Subject, false, true
}

type checkBody struct {
	Subject struct {
		Type, ID string
	} `json:"subject"`
	Permission   string `json:"permission"`
	Organization string `json:"organization"`
}

// decide answers one check, or returns an error body and status. Every
// organization exists except those whose name starts with "no-such-".
func (g *gatehouse) decide(sub string, service bool, c checkBody) (map[string]any, int) {
	if !service && c.Subject.ID != sub {
		return map[string]any{"code": "forbidden", "message": "authz.check is required to ask about others"}, http.StatusForbidden
	}
	org := c.Organization
	for id, o := range g.orgs {
		if o["alias"] == org {
			org = id
		}
	}
	if strings.HasPrefix(org, "no-such-") {
		return map[string]any{"code": "not_found", "message": "organization not found"}, http.StatusNotFound
	}
	reason, ok := g.grants[grant{c.Subject.ID, c.Permission, c.Organization}]
	if !ok {
		roles := slices.Concat(g.userRoles[c.Subject.ID], g.members[[2]string{org, c.Subject.ID}])
		for _, id := range roles {
			if perms, _ := g.roles[id]["permissions"].([]any); slices.Contains(perms, any(c.Permission)) {
				reason, ok = fmt.Sprintf("role %q", g.roles[id]["name"]), true
			}
		}
	}
	if !ok {
		reason = "no role grants " + c.Permission
	}
	return map[string]any{"allowed": ok, "reason": reason}, http.StatusOK
}

func (g *gatehouse) record(r *http.Request) (map[string]any, bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, false
	}
	g.checks = append(g.checks, recorded{Authorization: r.Header.Get("Authorization"), Body: body})
	return body, true
}

func (g *gatehouse) check(w http.ResponseWriter, r *http.Request) {
	g.checkHits.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	body, ok := g.record(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid_request", "message": "malformed JSON"})
		return
	}
	if g.checkStatus != 0 {
		writeJSON(w, g.checkStatus, map[string]any{"code": "internal", "message": "internal error"})
		return
	}
	sub, service, ok := g.caller(w, r)
	if !ok {
		return
	}
	var c checkBody
	remarshal(body, &c)
	out, status := g.decide(sub, service, c)
	writeJSON(w, status, out)
}

func (g *gatehouse) checkBatch(w http.ResponseWriter, r *http.Request) {
	g.checkHits.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	body, ok := g.record(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid_request", "message": "malformed JSON"})
		return
	}
	sub, service, ok := g.caller(w, r)
	if !ok {
		return
	}
	var in struct{ Checks []checkBody }
	remarshal(body, &in)
	if len(in.Checks) > 100 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid_request", "message": "at most 100 checks"})
		return
	}
	results := []any{}
	for _, c := range in.Checks {
		out, status := g.decide(sub, service, c)
		if status != http.StatusOK {
			writeJSON(w, status, out)
			return
		}
		results = append(results, out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (g *gatehouse) id(kind string) string {
	g.nextID++
	return fmt.Sprintf("%s-%04d", kind, g.nextID)
}

func (g *gatehouse) createUser(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var in struct{ Email, Name, Password string }
	if json.NewDecoder(r.Body).Decode(&in) != nil || !strings.Contains(in.Email, "@") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid_request", "message": "invalid input",
			"details": map[string]any{"fields": map[string]any{"email": "must be an email address"}}})
		return
	}
	for _, u := range g.users {
		if u["email"] == in.Email {
			writeJSON(w, http.StatusConflict, map[string]any{"code": "conflict", "message": "the email is taken"})
			return
		}
	}
	now := g.clock.Now().Format(time.RFC3339)
	u := map[string]any{"id": g.id("user"), "email": in.Email, "name": in.Name, "email_verified": false,
		"status": "active", "created_at": now, "updated_at": now}
	g.users = append(g.users, u)
	writeJSON(w, http.StatusCreated, u)
}

func (g *gatehouse) listUsers(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	data := []any{}
	for _, u := range g.users {
		if s := r.URL.Query().Get("search"); s == "" || strings.Contains(u["email"].(string)+u["name"].(string), s) {
			data = append(data, u)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(data), "page": 1, "limit": 20})
}

// create answers a POST of a management resource: the body, with an id.
func (g *gatehouse) create(kind string, keep func(map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		var m map[string]any
		if json.NewDecoder(r.Body).Decode(&m) != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid_request", "message": "malformed JSON"})
			return
		}
		m["id"] = g.id(kind)
		m["created_at"] = g.clock.Now().Format(time.RFC3339)
		keep(m)
		writeJSON(w, http.StatusCreated, m)
	}
}

func (g *gatehouse) assignRole(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.roles[r.PathValue("role")] == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": "not_found", "message": "role not found"})
		return
	}
	g.userRoles[r.PathValue("id")] = append(g.userRoles[r.PathValue("id")], r.PathValue("role"))
	w.WriteHeader(http.StatusNoContent)
}

func (g *gatehouse) setMember(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var in struct{ Roles []string }
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.Roles == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid_request", "message": "roles is required"})
		return
	}
	g.members[[2]string{r.PathValue("org"), r.PathValue("user")}] = in.Roles
	writeJSON(w, http.StatusOK, map[string]any{"user_id": r.PathValue("user"), "roles": in.Roles})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	must(json.NewEncoder(w).Encode(v))
}

func remarshal(from, to any) {
	b, err := json.Marshal(from)
	must(err)
	must(json.Unmarshal(b, to))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
