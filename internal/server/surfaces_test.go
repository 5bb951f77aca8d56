package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// wantShape fails unless r is an error with status in the shape of a surface:
// "rest" {"code","message","details"} or "oauth" {"error","error_description"}
// (RFC 6749 §5.2), with code as its code or error. It returns the body.
func wantShape(r *response, status int, shape, code string) map[string]any {
	r.t.Helper()
	r.want(status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.t.Errorf("Content-Type %q, want application/json", ct)
	}
	m := r.JSON()
	codeKey, textKey, otherKey := "code", "message", "error"
	if shape == "oauth" {
		codeKey, textKey, otherKey = "error", "error_description", "code"
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			r.t.Errorf("Cache-Control %q, want no-store", cc)
		}
	}
	if m[codeKey] != code {
		r.t.Errorf("%s %v, want %s: %s", codeKey, m[codeKey], code, r.Body)
	}
	if text, _ := m[textKey].(string); text == "" {
		r.t.Errorf("no %s: %s", textKey, r.Body)
	}
	if _, ok := m[otherKey]; ok {
		r.t.Errorf("%q in a %s error: %s", otherKey, shape, r.Body)
	}
	return m
}

// Each surface answers its errors, panics and refused requests included, in
// its own shape.
func TestEachSurfaceAnswersInItsOwnShape(t *testing.T) {
	h := newHarness(t, nil)
	for surface, path := range map[string]string{"rest": "/api/v1/test/panic", "oauth": "/oauth2/test/panic", "ops": "/test/panic"} {
		h.srv.Mux(surface).HandleFunc("GET "+path, func(http.ResponseWriter, *http.Request) { panic("test panic on " + surface) })
	}
	tooLarge := strings.Repeat("x", 1<<20+1)
	garbage := map[string]string{"Authorization": "Bearer not-a-token"}
	for _, tc := range []struct {
		name        string
		req         request
		status      int
		shape, code string // shape "" for a success
	}{
		{"unknown REST path", request{method: "GET", path: "/api/v1/nope"}, 404, "rest", "not_found"},
		{"unknown AuthZEN path", request{method: "GET", path: "/access/v1/nope"}, 404, "rest", "not_found"},
		{"bad bearer on the REST API", request{method: "GET", path: "/api/v1/users", header: garbage}, 401, "rest", "invalid_token"},
		{"bad bearer on a public REST endpoint", request{method: "POST", path: "/api/v1/auth/login", header: garbage,
			body: map[string]any{"email": adminEmail, "password": adminPassword}}, 401, "rest", "invalid_token"},
		{"bad scheme on AuthZEN", request{method: "POST", path: "/access/v1/evaluation", header: map[string]string{"Authorization": "Basic eDp5"}},
			401, "rest", "invalid_token"},
		{"query not UTF-8 on REST", request{method: "GET", path: "/api/v1/users?x=%ff"}, 400, "rest", "invalid_request"},
		{"body too large on REST", request{method: "POST", path: "/api/v1/auth/login", body: tooLarge}, 413, "rest", "request_too_large"},
		{"panic on REST", request{method: "GET", path: "/api/v1/test/panic"}, 500, "rest", "internal"},

		{"the key set ignores a bearer token", request{method: "GET", path: "/oauth2/keys", header: garbage}, 200, "", ""},
		{"unknown OAuth path", request{method: "GET", path: "/oauth2/nope"}, 404, "oauth", "not_found"},
		{"unknown well-known document", request{method: "GET", path: "/.well-known/nope"}, 404, "oauth", "not_found"},
		{"token endpoint without a grant", request{method: "POST", path: "/oauth2/token", body: "x=1",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 400, "oauth", "invalid_request"},
		{"query not UTF-8 on OAuth", request{method: "GET", path: "/oauth2/keys?x=%ff"}, 400, "oauth", "invalid_request"},
		{"body too large on OAuth", request{method: "POST", path: "/oauth2/token", body: tooLarge}, 413, "oauth", "invalid_request"},
		{"panic on OAuth", request{method: "GET", path: "/oauth2/test/panic"}, 500, "oauth", "server_error"},

		{"health ignores a bearer token", request{method: "GET", path: "/healthz", header: garbage}, 200, "", ""},
		{"query not UTF-8 on operations", request{method: "GET", path: "/healthz?x=%ff"}, 400, "rest", "invalid_request"},
		{"unknown path", request{method: "GET", path: "/nope"}, 404, "rest", "not_found"},
		{"panic on operations", request{method: "GET", path: "/test/panic"}, 500, "rest", "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := biFor(h, t)
			r := h.send(tc.req)
			if tc.shape == "" {
				r.want(tc.status)
				return
			}
			m := wantShape(r, tc.status, tc.shape, tc.code)
			if tc.status != http.StatusInternalServerError {
				return
			}
			id := r.Header.Get("X-Request-Id")
			if tc.shape == "oauth" && !strings.Contains(m["error_description"].(string), id) {
				t.Errorf("error_description %q lacks the request id %s", m["error_description"], id)
			}
			if d, _ := m["details"].(map[string]any); tc.shape == "rest" && d["request_id"] != id {
				t.Errorf("details %v, want request_id %s", m["details"], id)
			}
			if strings.Contains(string(r.Body), "test panic") {
				t.Errorf("the panic shows: %s", r.Body)
			}
		})
	}
	if logs := h.logs.String(); strings.Count(logs, "panic: test panic on ") != 3 {
		t.Errorf("the request log does not hold the three panics:\n%s", logs)
	}
	biWantHealthy(h)
}

// In multi-tenant mode the surfaces that serve tenants refuse an unknown host
// in their own shape; operational endpoints answer whatever the host.
func TestUnknownHostPerSurface(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	const host = "nobody.example.com"
	wantShape(h.send(request{method: "GET", path: "/api/v1/users", host: host}), 404, "rest", "tenant_not_found")
	wantShape(h.send(request{method: "GET", path: "/oauth2/keys", host: host}), 404, "oauth", "tenant_not_found")
	h.send(request{method: "GET", path: "/healthz", host: host}).want(http.StatusOK)
	h.send(request{method: "GET", path: "/openapi.json", host: host}).want(http.StatusOK)
	h.send(request{method: "GET", path: "/oauth2/keys", host: "gatehouse.test"}).want(http.StatusOK)
}
