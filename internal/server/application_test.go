package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// createApplication registers an application and returns its answer.
func (h *harness) createApplication(token string, body map[string]any) map[string]any {
	h.t.Helper()
	return h.post("/api/v1/applications", token, body).want(http.StatusCreated).JSON()
}

// webApp is the body of a web application named name.
func webApp(name string) map[string]any {
	return map[string]any{"name": name, "type": "web", "redirect_uris": []string{"https://" + name + ".example.com/cb"}}
}

// jwk returns a new EC P-256 key as a JSON Web Key: its public half, or the
// whole key.
func jwk(t *testing.T, private bool) map[string]any {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var key any = &k.PublicKey
	if private {
		key = k
	}
	b, err := json.Marshal(jose.JSONWebKey{Key: key, Algorithm: "ES256", Use: "sig", KeyID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestApplicationLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tn, err := h.srv.SystemTenant(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx := iam.WithTenant(t.Context(), tn)

	res := h.post("/api/v1/applications", admin, map[string]any{"name": " Portal ", "type": "web",
		"redirect_uris": []string{"https://portal.example.com/cb", "https://portal.example.com/cb/"}}).want(http.StatusCreated)
	app := res.JSON()
	id, clientID, first := app["id"].(string), app["client_id"].(string), app["client_secret"].(string)
	if res.Header.Get("ETag") != `"1"` || app["name"] != "Portal" || !strings.HasPrefix(clientID, "app_") ||
		strings.Contains(clientID, strings.ReplaceAll(id, "-", "")) || !strings.HasPrefix(first, "gtapp_") || app["client_secret_set"] != true {
		t.Fatalf("created %v, ETag %s", app, res.Header.Get("ETag"))
	}
	// The defaults of a web application; both URIs kept as sent.
	for field, want := range map[string]any{"token_endpoint_auth_method": "client_secret_basic", "access_token_format": "jwt",
		"access_token_ttl": 900.0, "refresh_token_ttl": 2592000.0, "id_token_signed_response_alg": "RS256", "require_consent": false,
		"require_pkce": false, "grant_types": "[authorization_code refresh_token]", "allowed_scopes": "[openid profile email offline_access]",
		"redirect_uris": "[https://portal.example.com/cb https://portal.example.com/cb/]"} {
		got := app[field]
		if _, list := got.([]any); list {
			got = fmt.Sprint(got)
		}
		if got != want {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	if a, err := h.srv.Applications().VerifyClientSecret(ctx, clientID, first); err != nil || a.ID != id {
		t.Fatalf("VerifyClientSecret = %v, %v", a, err)
	}

	// The secret is shown once: never again on reading.
	got := h.get("/api/v1/applications/"+id, admin).want(http.StatusOK)
	if strings.Contains(string(got.Body), "client_secret\"") || strings.Contains(string(got.Body), first) || got.Header.Get("ETag") != `"1"` {
		t.Fatalf("get shows %s (ETag %s)", got.Body, got.Header.Get("ETag"))
	}
	h.post("/api/v1/applications", admin, webApp("portal")).want(http.StatusCreated)
	h.post("/api/v1/applications", admin, map[string]any{"name": "Portal", "type": "spa",
		"redirect_uris": []string{"https://spa.example.com/"}}).wantError(http.StatusConflict, "name_taken")
	spa := h.createApplication(admin, map[string]any{"name": "Dashboard", "type": "spa", "redirect_uris": []string{"https://dash.example.com/"}})
	if _, shown := spa["client_secret"]; shown || spa["client_secret_set"] != false || spa["require_pkce"] != true ||
		spa["token_endpoint_auth_method"] != "none" {
		t.Fatalf("spa %v", spa)
	}
	h.post("/api/v1/applications/"+spa["id"].(string)+"/secret", admin, nil).wantError(http.StatusUnprocessableEntity, "state_conflict")

	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
		Page  int              `json:"page"`
		Limit int              `json:"limit"`
	}
	h.get("/api/v1/applications?order_by=-name&limit=2", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 3 || len(page.Data) != 2 || page.Data[0]["name"] != "portal" || page.Data[1]["name"] != "Portal" || page.Limit != 2 {
		t.Errorf("list by -name = %+v", page)
	}
	h.get("/api/v1/applications?type=spa", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0]["name"] != "Dashboard" {
		t.Errorf("spa list = %v", page.Data)
	}
	h.get("/api/v1/applications?search=DASH", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 {
		t.Errorf("search = %v", page.Data)
	}
	h.get("/api/v1/applications?order_by=client_id", admin).wantError(http.StatusBadRequest, "invalid_request")

	patch := func(ifMatch string, body map[string]any) *response {
		return h.send(request{method: http.MethodPatch, path: "/api/v1/applications/" + id, token: admin, body: body,
			header: map[string]string{"If-Match": ifMatch}})
	}
	patch(`"7"`, map[string]any{"require_consent": true}).wantError(http.StatusPreconditionFailed, "precondition_failed")
	up := patch(`"1"`, map[string]any{"require_consent": true, "access_token_ttl": 300, "token_endpoint_auth_method": "client_secret_post"}).
		want(http.StatusOK)
	if up.Header.Get("ETag") != `"2"` || up.JSON()["require_consent"] != true || up.JSON()["access_token_ttl"] != 300.0 ||
		up.JSON()["name"] != "Portal" || up.JSON()["client_secret_set"] != true {
		t.Fatalf("patched %s, ETag %s", up.Body, up.Header.Get("ETag"))
	}
	patch(`"2"`, map[string]any{"type": "spa"}).wantError(http.StatusBadRequest, "invalid_request")
	patch(`"2"`, map[string]any{"redirect_uris": []string{"http://portal.example.com/cb"}}).wantError(http.StatusBadRequest, "invalid_request")

	// Rotation: shown once, the old secret stops working.
	rot := h.post("/api/v1/applications/"+id+"/secret", admin, nil).want(http.StatusOK)
	second := rot.JSON()["client_secret"].(string)
	if second == first || !strings.HasPrefix(second, "gtapp_") || rot.Header.Get("ETag") != `"3"` {
		t.Fatalf("rotated %s, ETag %s", rot.Body, rot.Header.Get("ETag"))
	}
	if _, err := h.srv.Applications().VerifyClientSecret(ctx, clientID, first); !iam.IsCode(err, iam.CodeInvalidCredentials) {
		t.Errorf("the old secret after rotation: %v, want invalid_credentials", err)
	}
	if a, err := h.srv.Applications().VerifyClientSecret(ctx, clientID, second); err != nil || a.ID != id {
		t.Errorf("the new secret: %v, %v", a, err)
	}

	// Leaving a secret method drops the secret.
	keys := map[string]any{"keys": []any{jwk(t, false)}}
	pk := patch(`"3"`, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": keys}).want(http.StatusOK).JSON()
	if pk["client_secret_set"] != false || pk["jwks"] == nil {
		t.Fatalf("after private_key_jwt: %v", pk)
	}
	if _, err := h.srv.Applications().VerifyClientSecret(ctx, clientID, second); !iam.IsCode(err, iam.CodeInvalidCredentials) {
		t.Errorf("a secret after private_key_jwt: %v, want invalid_credentials", err)
	}

	h.send(request{method: http.MethodDelete, path: "/api/v1/applications/" + id, token: admin, header: map[string]string{"If-Match": `"1"`}}).
		wantError(http.StatusPreconditionFailed, "precondition_failed")
	h.delete("/api/v1/applications/"+id, admin).want(http.StatusNoContent)
	h.get("/api/v1/applications/"+id, admin).wantError(http.StatusNotFound, "not_found")
	h.delete("/api/v1/applications/"+id, admin).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/applications/not-an-id", admin).wantError(http.StatusNotFound, "not_found")

	var actions []string
	for _, e := range h.auditEvents(admin, "") {
		actions = append(actions, e["action"].(string))
	}
	for _, want := range []string{"application.created", "application.updated", "application.secret_rotated", "application.secret_rejected",
		"application.deleted"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}

func TestApplicationVerifyClientSecretRefusesEveryMismatch(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tn, err := h.srv.SystemTenant(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx := iam.WithTenant(t.Context(), tn)
	a := h.createApplication(admin, webApp("portal"))
	b := h.createApplication(admin, webApp("billing"))
	clientID, secret := a["client_id"].(string), a["client_secret"].(string)
	for name, call := range map[string][2]string{
		"another client's id":     {b["client_id"].(string), secret},
		"another client's secret": {clientID, b["client_secret"].(string)},
		"a wrong checksum":        {clientID, secret[:len(secret)-2] + "00"},
		"no secret":               {clientID, ""},
		"an unknown client":       {"app_unknown", secret},
		"a secret never issued":   {clientID, "gtapp_" + strings.Repeat("0", 49)},
	} {
		if _, err := h.srv.Applications().VerifyClientSecret(ctx, call[0], call[1]); !iam.IsCode(err, iam.CodeInvalidCredentials) {
			t.Errorf("VerifyClientSecret with %s = %v, want invalid_credentials", name, err)
		}
	}
	other := iam.WithTenant(t.Context(), &iam.Tenant{ID: "01900000-0000-7000-8000-00000000000b"})
	if _, err := h.srv.Applications().VerifyClientSecret(other, clientID, secret); !iam.IsCode(err, iam.CodeInvalidCredentials) {
		t.Errorf("VerifyClientSecret at another tenant = %v, want invalid_credentials", err)
	}
	if got, err := h.srv.Applications().VerifyClientSecret(ctx, clientID, secret); err != nil || got.ClientID != clientID {
		t.Fatalf("VerifyClientSecret = %v, %v", got, err)
	}
}

func TestApplicationValidation(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	with := func(base map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	web := map[string]any{"name": "web", "type": "web", "redirect_uris": []string{"https://app.example.com/cb"}}
	native := map[string]any{"name": "native", "type": "native", "redirect_uris": []string{"com.example.app:/cb"}}
	machine := map[string]any{"name": "machine", "type": "machine"}
	uris := func(u ...string) []string { return append([]string{}, u...) }
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"http redirect for web", with(web, "redirect_uris", uris("http://app.example.com/cb")), "redirect_uris[0]"},
		{"loopback http for web", with(web, "redirect_uris", uris("http://127.0.0.1/cb")), "redirect_uris[0]"},
		{"a fragment", with(web, "redirect_uris", uris("https://app.example.com/cb#x")), "redirect_uris[0]"},
		{"an empty fragment", with(web, "redirect_uris", uris("https://app.example.com/cb#")), "redirect_uris[0]"},
		{"a relative URI", with(web, "redirect_uris", uris("/cb")), "redirect_uris[0]"},
		{"user information", with(web, "redirect_uris", uris("https://me:pw@app.example.com/cb")), "redirect_uris[0]"},
		{"a space", with(web, "redirect_uris", uris("https://app.example.com/c b")), "redirect_uris[0]"},
		{"the same URI twice", with(web, "redirect_uris", uris("https://a.example.com/cb", "https://a.example.com/cb")), "redirect_uris[1]"},
		{"a custom scheme for web", with(web, "redirect_uris", uris("com.example.app:/cb")), "redirect_uris[0]"},
		{"javascript: for native", with(native, "redirect_uris", uris("javascript:alert(1)")), "redirect_uris[0]"},
		{"http to a host for native", with(native, "redirect_uris", uris("http://example.com/cb")), "redirect_uris[0]"},
		{"http to a lookalike loopback", with(native, "redirect_uris", uris("http://127.0.0.1.evil.com/cb")), "redirect_uris[0]"},
		{"no redirect URI for the code grant", with(web, "redirect_uris", uris()), "redirect_uris"},
		{"a fragment in a post-logout URI", with(web, "post_logout_redirect_uris", uris("https://app.example.com/#bye")), "post_logout_redirect_uris[0]"},
		{"a secret for spa", with(web, "type", "spa", "token_endpoint_auth_method", "client_secret_basic"), "token_endpoint_auth_method"},
		{"private_key_jwt for native", with(native, "token_endpoint_auth_method", "private_key_jwt"), "token_endpoint_auth_method"},
		{"no authentication for web", with(web, "token_endpoint_auth_method", "none"), "token_endpoint_auth_method"},
		{"no authentication for machine", with(machine, "token_endpoint_auth_method", "none"), "token_endpoint_auth_method"},
		{"redirect URIs for machine", with(machine, "redirect_uris", uris("https://m.example.com/cb")), "redirect_uris"},
		{"post-logout URIs for machine", with(machine, "post_logout_redirect_uris", uris("https://m.example.com/")), "post_logout_redirect_uris"},
		{"the code grant for machine", with(machine, "grant_types", uris("authorization_code")), "grant_types[0]"},
		{"client credentials for spa", with(web, "type", "spa", "grant_types", uris("authorization_code", "client_credentials")), "grant_types[1]"},
		{"an unknown grant", with(web, "grant_types", uris("password")), "grant_types[0]"},
		{"the implicit grant", with(web, "grant_types", uris("implicit")), "grant_types[0]"},
		{"a grant twice", with(web, "grant_types", uris("authorization_code", "authorization_code")), "grant_types[1]"},
		{"refresh alone", with(machine, "type", "web", "grant_types", uris("refresh_token")), "grant_types"},
		{"no grant", with(web, "grant_types", uris()), "grant_types"},
		{"jwks without private_key_jwt", with(web, "jwks", map[string]any{"keys": []any{jwk(t, false)}}), "jwks"},
		{"jwks_uri without private_key_jwt", with(web, "jwks_uri", "https://app.example.com/jwks"), "jwks_uri"},
		{"private_key_jwt without keys", with(machine, "token_endpoint_auth_method", "private_key_jwt"), "jwks"},
		{"private_key_jwt with both", with(machine, "token_endpoint_auth_method", "private_key_jwt",
			"jwks", map[string]any{"keys": []any{jwk(t, false)}}, "jwks_uri", "https://m.example.com/jwks"), "jwks"},
		{"a jwks_uri over http", with(machine, "token_endpoint_auth_method", "private_key_jwt", "jwks_uri", "http://m.example.com/jwks"), "jwks_uri"},
		{"a private key in jwks", with(machine, "token_endpoint_auth_method", "private_key_jwt",
			"jwks", map[string]any{"keys": []any{jwk(t, true)}}), "jwks.keys[0]"},
		{"a jwks without keys", with(machine, "token_endpoint_auth_method", "private_key_jwt", "jwks", map[string]any{"keys": []any{}}), "jwks"},
		{"a jwks that is no key set", with(machine, "token_endpoint_auth_method", "private_key_jwt", "jwks", map[string]any{"keys": "x"}), "jwks"},
		{"an access token for ten seconds", with(web, "access_token_ttl", 10), "access_token_ttl"},
		{"an access token for a week", with(web, "access_token_ttl", 7*86400), "access_token_ttl"},
		{"a negative refresh lifetime", with(web, "refresh_token_ttl", -1), "refresh_token_ttl"},
		{"a refresh token for two years", with(web, "refresh_token_ttl", 2*365*86400), "refresh_token_ttl"},
		{"a scope with a space", with(web, "allowed_scopes", uris("read write")), "allowed_scopes[0]"},
		{"a scope with a quote", with(web, "allowed_scopes", uris(`re"ad`)), "allowed_scopes[0]"},
		{"a scope twice", with(web, "allowed_scopes", uris("read", "read")), "allowed_scopes[1]"},
		{"an empty scope", with(web, "allowed_scopes", uris("")), "allowed_scopes[0]"},
		{"HS256 ID tokens", with(web, "id_token_signed_response_alg", "HS256"), "id_token_signed_response_alg"},
		{"an unknown token format", with(web, "access_token_format", "paseto"), "access_token_format"},
		{"an unknown type", with(web, "type", "desktop"), "type"},
		{"no type", map[string]any{"name": "x"}, "type"},
		{"no name", with(web, "name", " "), "name"},
		{"a client_secret of one's own", with(web, "client_secret", "hunter2"), "client_secret"},
		{"a capitalised key", with(web, "Require_consent", true), "Require_consent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := biFor(h, t)
			m := h.post("/api/v1/applications", admin, tc.body).wantError(http.StatusBadRequest, "invalid_request")
			fields, _ := m["details"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields[tc.field]; !ok {
				t.Errorf("fields %v, want %s named", fields, tc.field)
			}
		})
	}
	if p := h.get("/api/v1/applications", admin).want(http.StatusOK).JSON(); p["total"] != 0.0 {
		t.Fatalf("a refused application was created: %v", p)
	}

	// What each type may do.
	for _, body := range []map[string]any{
		with(native, "name", "loopbacks", "redirect_uris", uris("http://127.0.0.1:8765/cb", "http://[::1]/cb", "http://localhost:3000/cb", "com.example.app:/cb")),
		with(native, "name", "tv", "redirect_uris", uris(), "grant_types", uris("urn:ietf:params:oauth:grant-type:device_code", "refresh_token")),
		with(web, "name", "slashes", "redirect_uris", uris("https://a.example.com/cb", "https://a.example.com/cb/", "https://a.example.com/CB")),
		with(machine, "name", "signed", "token_endpoint_auth_method", "private_key_jwt", "jwks", map[string]any{"keys": []any{jwk(t, false)}},
			"grant_types", uris("client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer")),
		with(machine, "name", "fetched", "token_endpoint_auth_method", "private_key_jwt", "jwks_uri", "https://m.example.com/jwks"),
		with(web, "name", "opaque", "access_token_format", "opaque", "id_token_signed_response_alg", "ES256", "access_token_ttl", 60,
			"refresh_token_ttl", 3600, "allowed_scopes", uris("openid", "invoices:read", "https://api.example.com/x"), "require_consent", true),
	} {
		app := h.createApplication(admin, body)
		_, hasSecret := app["client_secret"]
		if wantSecret := body["token_endpoint_auth_method"] == nil && body["type"] != "native"; hasSecret != wantSecret {
			t.Errorf("%s: client_secret shown %v, want %v", body["name"], hasSecret, wantSecret)
		}
		if b, _ := json.Marshal(body["redirect_uris"]); body["redirect_uris"] != nil && string(b) != jsonString(app["redirect_uris"]) {
			t.Errorf("%s: redirect_uris %v, want exactly %s", body["name"], app["redirect_uris"], b)
		}
	}
	machineApp := h.createApplication(admin, with(machine, "name", "defaults"))
	if fmt.Sprint(machineApp["grant_types"]) != "[client_credentials]" || fmt.Sprint(machineApp["allowed_scopes"]) != "[]" ||
		machineApp["client_secret"] == nil {
		t.Errorf("machine defaults: %v", machineApp)
	}
}

func TestApplicationsNeedAppsPermissions(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	app := h.createApplication(super, webApp("portal"))
	id := app["id"].(string)
	reader, _ := limitedAdmin(t, h, super, "reader@example.com", "apps.read")
	h.get("/api/v1/applications/"+id, reader).want(http.StatusOK)
	h.get("/api/v1/applications/"+id+"/roles", reader).want(http.StatusOK)
	for _, r := range []request{
		{method: http.MethodPost, path: "/api/v1/applications", body: webApp("mine")},
		{method: http.MethodPatch, path: "/api/v1/applications/" + id, body: map[string]any{"name": "mine"}},
		{method: http.MethodPost, path: "/api/v1/applications/" + id + "/secret"},
		{method: http.MethodDelete, path: "/api/v1/applications/" + id},
		{method: http.MethodPost, path: "/api/v1/applications/" + id + "/roles", body: map[string]any{"name": "editor"}},
	} {
		r.token = reader
		m := h.send(r).wantError(http.StatusForbidden, "forbidden")
		if d, _ := m["details"].(map[string]any); d["permission"] != "apps.write" {
			t.Errorf("%s %s: details %v, want apps.write", r.method, r.path, m["details"])
		}
	}
	// Mappings are roles.*: apps.write alone does not give roles away.
	writer, _ := limitedAdmin(t, h, super, "writer@example.com", "apps.*")
	h.post("/api/v1/applications/"+id+"/roles", writer, map[string]any{"name": "editor"}).want(http.StatusCreated)
	userID := h.createUser(super, "ann@example.com", "")
	h.post("/api/v1/app-mappings", writer, map[string]any{"application_id": id, "role": "editor", "user_id": userID}).
		wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/app-mappings", writer).wantError(http.StatusForbidden, "forbidden")
	if got := h.get("/api/v1/applications/"+id, super).JSON(); got["name"] != "portal" || got["client_secret_set"] != true {
		t.Fatalf("a refused change went through: %v", got)
	}
}

func TestApplicationsStayInTheirTenant(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test"
	admin := h.admin()
	app := h.createApplication(admin, webApp("portal"))
	id := app["id"].(string)
	h.post("/api/v1/applications/"+id+"/roles", admin, map[string]any{"name": "editor"}).want(http.StatusCreated)
	alice := h.createUser(admin, "alice@example.com", "")
	mapping := h.post("/api/v1/app-mappings", admin, map[string]any{"application_id": id, "role": "editor", "user_id": alice}).
		want(http.StatusCreated).JSON()
	b := h.post("/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusCreated).JSON()
	var bt tokens
	h.send(request{method: "POST", path: "/api/v1/auth/login", host: "b.example.com",
		body: map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusOK).Decode(&bt)
	inB := func(method, path string, body any) *response {
		return h.send(request{method: method, path: path, host: "b.example.com", token: bt.AccessToken, body: body})
	}
	inB("GET", "/api/v1/applications/"+id, nil).wantError(http.StatusNotFound, "not_found")
	inB("PATCH", "/api/v1/applications/"+id, map[string]any{"name": "stolen"}).wantError(http.StatusNotFound, "not_found")
	inB("POST", "/api/v1/applications/"+id+"/secret", nil).wantError(http.StatusNotFound, "not_found")
	inB("DELETE", "/api/v1/applications/"+id, nil).wantError(http.StatusNotFound, "not_found")
	inB("GET", "/api/v1/applications/"+id+"/roles", nil).wantError(http.StatusNotFound, "not_found")
	inB("POST", "/api/v1/applications/"+id+"/roles", map[string]any{"name": "admin"}).wantError(http.StatusNotFound, "not_found")
	inB("DELETE", "/api/v1/applications/"+id+"/roles/editor", nil).wantError(http.StatusNotFound, "not_found")
	inB("DELETE", "/api/v1/app-mappings/"+mapping["id"].(string), nil).wantError(http.StatusNotFound, "not_found")
	inB("POST", "/api/v1/app-mappings", map[string]any{"application_id": id, "role": "editor", "user_id": alice}).
		wantError(http.StatusBadRequest, "invalid_request")
	for _, path := range []string{"/api/v1/applications", "/api/v1/app-mappings"} {
		if p := inB("GET", path, nil).want(http.StatusOK).JSON(); p["total"] != 0.0 {
			t.Errorf("B sees A's %s: %v", path, p)
		}
	}
	// B's own application and mapping cannot reach A's user.
	mine := inB("POST", "/api/v1/applications", webApp("portal")).want(http.StatusCreated).JSON()
	inB("POST", "/api/v1/applications/"+mine["id"].(string)+"/roles", map[string]any{"name": "editor"}).want(http.StatusCreated)
	m := inB("POST", "/api/v1/app-mappings", map[string]any{"application_id": mine["id"], "role": "editor", "user_id": alice}).
		wantError(http.StatusBadRequest, "invalid_request")
	if fields := m["details"].(map[string]any)["fields"].(map[string]any); fields["user_id"] == nil {
		t.Errorf("fields %v, want user_id", fields)
	}
	// A's secret does not authenticate at B.
	ctxB := iam.WithTenant(t.Context(), &iam.Tenant{ID: b["id"].(string)})
	if _, err := h.srv.Applications().VerifyClientSecret(ctxB, app["client_id"].(string), app["client_secret"].(string)); !iam.IsCode(err, iam.CodeInvalidCredentials) {
		t.Errorf("A's client at B: %v, want invalid_credentials", err)
	}
	if got := h.get("/api/v1/applications/"+id, admin).want(http.StatusOK).JSON(); got["name"] != "portal" {
		t.Fatalf("A's application changed: %v", got)
	}
}

func TestApplicationRolesAndMappings(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	tn, err := h.srv.SystemTenant(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	app := h.createApplication(admin, webApp("portal"))["id"].(string)
	other := h.createApplication(admin, webApp("other"))["id"].(string)
	roles := "/api/v1/applications/" + app + "/roles"
	for _, name := range []string{"viewer", "editor", "billing:admin", "org.member"} {
		r := h.post(roles, admin, map[string]any{"name": name, "description": "Can " + name}).want(http.StatusCreated).JSON()
		if r["name"] != name || r["description"] != "Can "+name {
			t.Fatalf("role %v", r)
		}
	}
	h.post(roles, admin, map[string]any{"name": "editor"}).wantError(http.StatusConflict, "name_taken")
	for _, bad := range []string{"", "has space", "-dash", "ünicode", strings.Repeat("a", 101)} {
		h.post(roles, admin, map[string]any{"name": bad}).wantError(http.StatusBadRequest, "invalid_request")
	}
	h.post("/api/v1/applications/"+other+"/roles", admin, map[string]any{"name": "editor"}).want(http.StatusCreated)
	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	h.get(roles, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 4 || page.Data[0]["name"] != "billing:admin" || page.Data[3]["name"] != "viewer" {
		t.Fatalf("roles %v", page.Data)
	}

	ann := h.createUser(admin, "ann@example.com", "")
	bob := h.createUser(admin, "bob@example.com", "")
	group := h.post("/api/v1/groups", admin, map[string]any{"name": "Staff"}).want(http.StatusCreated).JSON()["id"].(string)
	org := h.post("/api/v1/organizations", admin, map[string]any{"name": "Acme", "alias": "acme"}).want(http.StatusCreated).JSON()["id"].(string)
	h.put("/api/v1/groups/"+group+"/members/"+ann, admin, nil).want(http.StatusNoContent)
	h.put("/api/v1/organizations/"+org+"/members/"+ann, admin, map[string]any{"roles": []string{}}).want(http.StatusOK)
	h.put("/api/v1/organizations/"+org+"/members/"+bob, admin, map[string]any{"roles": []string{}}).want(http.StatusOK)

	mapTo := func(role string, subject map[string]any) map[string]any {
		body := map[string]any{"application_id": app, "role": role}
		for k, v := range subject {
			body[k] = v
		}
		return body
	}
	direct := h.post("/api/v1/app-mappings", admin, mapTo("editor", map[string]any{"user_id": ann})).want(http.StatusCreated).JSON()
	if direct["role"] != "editor" || direct["user_id"] != ann || direct["group_id"] != nil || direct["application_id"] != app {
		t.Fatalf("mapping %v", direct)
	}
	h.post("/api/v1/app-mappings", admin, mapTo("viewer", map[string]any{"group_id": group})).want(http.StatusCreated)
	byOrg := h.post("/api/v1/app-mappings", admin, mapTo("org.member", map[string]any{"organization_id": org})).want(http.StatusCreated).JSON()
	h.post("/api/v1/app-mappings", admin, mapTo("editor", map[string]any{"group_id": group})).want(http.StatusCreated)
	h.post("/api/v1/app-mappings", admin, mapTo("editor", map[string]any{"user_id": ann})).wantError(http.StatusConflict, "conflict")
	for name, tc := range map[string]struct {
		body  map[string]any
		field string
	}{
		"two subjects":        {mapTo("editor", map[string]any{"user_id": bob, "group_id": group}), "user_id"},
		"no subject":          {mapTo("editor", nil), "user_id"},
		"an unknown role":     {mapTo("owner", map[string]any{"user_id": bob}), "role"},
		"an unknown user":     {mapTo("editor", map[string]any{"user_id": someID}), "user_id"},
		"an unknown group":    {mapTo("editor", map[string]any{"group_id": someID}), "group_id"},
		"an unknown org":      {mapTo("editor", map[string]any{"organization_id": someID}), "organization_id"},
		"an unknown app":      {map[string]any{"application_id": someID, "role": "editor", "user_id": bob}, "application_id"},
		"a subject not an id": {mapTo("editor", map[string]any{"user_id": "bob"}), "user_id"},
	} {
		m := h.post("/api/v1/app-mappings", admin, tc.body).wantError(http.StatusBadRequest, "invalid_request")
		if fields, _ := m["details"].(map[string]any)["fields"].(map[string]any); fields[tc.field] == nil {
			t.Errorf("%s: fields %v, want %s", name, fields, tc.field)
		}
	}

	rolesFor := func(user string, want ...string) {
		t.Helper()
		got, err := h.srv.Applications().RolesFor(t.Context(), tn.ID, app, user)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("RolesFor = %v, %v; want %v", got, err, want)
		}
	}
	rolesFor(ann, "editor", "org.member", "viewer")
	rolesFor(bob, "org.member")
	if got, err := h.srv.Applications().RolesFor(t.Context(), tn.ID, other, ann); err != nil || len(got) != 0 {
		t.Errorf("RolesFor in the other application = %v, %v; want none", got, err)
	}

	h.get("/api/v1/app-mappings?application_id="+app+"&role=editor", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 2 {
		t.Errorf("editor mappings: %v", page.Data)
	}
	h.get("/api/v1/app-mappings?user_id="+ann, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0]["id"] != direct["id"] {
		t.Errorf("ann's mappings: %v", page.Data)
	}
	h.get("/api/v1/app-mappings?organization_id="+org+"&limit=1", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0]["id"] != byOrg["id"] {
		t.Errorf("acme's mappings: %v", page.Data)
	}

	// Leaving the group, the direct mapping deleted, a role deleted.
	h.delete("/api/v1/groups/"+group+"/members/"+ann, admin).want(http.StatusNoContent)
	rolesFor(ann, "editor", "org.member")
	h.delete("/api/v1/app-mappings/"+direct["id"].(string), admin).want(http.StatusNoContent)
	h.delete("/api/v1/app-mappings/"+direct["id"].(string), admin).wantError(http.StatusNotFound, "not_found")
	rolesFor(ann, "org.member")
	h.delete(roles+"/org.member", admin).want(http.StatusNoContent)
	h.delete(roles+"/org.member", admin).wantError(http.StatusNotFound, "not_found")
	rolesFor(ann)
	rolesFor(bob)
	h.get("/api/v1/app-mappings?application_id="+app, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 2 {
		t.Errorf("mappings left: %v", page.Data)
	}

	var actions []string
	for _, e := range h.auditEvents(admin, "") {
		actions = append(actions, e["action"].(string))
	}
	for _, want := range []string{"application.role_created", "application.role_deleted", "application.mapping_created", "application.mapping_deleted"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
	// Deleting the application takes its roles and mappings with it.
	h.delete("/api/v1/applications/"+app, admin).want(http.StatusNoContent)
	h.get("/api/v1/app-mappings?application_id="+app, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 0 {
		t.Errorf("mappings of a deleted application: %v", page.Data)
	}
}

// TestApplicationPatchesOfDifferentFieldsBothApply sends, to each of 30
// applications, two PATCHes of different fields at once: every application
// ends with both changes.
func TestApplicationPatchesOfDifferentFieldsBothApply(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	const apps = 30
	ids := make([]string, apps)
	for i := range ids {
		ids[i] = h.createApplication(admin, webApp(fmt.Sprintf("app%d", i)))["id"].(string)
	}
	var wg sync.WaitGroup
	statuses := make([]int, 2*apps)
	for i, id := range ids {
		wg.Go(func() {
			statuses[2*i] = h.patch("/api/v1/applications/"+id, admin, map[string]any{"name": fmt.Sprintf("renamed %d", i)}).Status
		})
		wg.Go(func() {
			statuses[2*i+1] = h.patch("/api/v1/applications/"+id, admin, map[string]any{"allowed_scopes": []string{fmt.Sprintf("s%d", i)}}).Status
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("patch %d answered %d", i, s)
		}
	}
	for i, id := range ids {
		res := h.get("/api/v1/applications/"+id, admin).want(http.StatusOK)
		a := res.JSON()
		if a["name"] != fmt.Sprintf("renamed %d", i) || fmt.Sprint(a["allowed_scopes"]) != fmt.Sprintf("[s%d]", i) || res.Header.Get("ETag") != `"3"` {
			t.Errorf("application %d: name %v, scopes %v, ETag %s", i, a["name"], a["allowed_scopes"], res.Header.Get("ETag"))
		}
	}
}
