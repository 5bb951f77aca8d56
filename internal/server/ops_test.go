package server_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestOperationalEndpoints(t *testing.T) {
	h := newHarness(t, nil)
	if m := h.get("/healthz", "").want(http.StatusOK).JSON(); m["status"] != "ok" {
		t.Fatalf("healthz %v", m)
	}
	if m := h.get("/readyz", "").want(http.StatusOK).JSON(); m["status"] != "ok" {
		t.Fatalf("readyz %v", m)
	}
	if m := h.get("/version", "").want(http.StatusOK).JSON(); m["version"] != "test" || m["commit"] != "abc" {
		t.Fatalf("version %v", m)
	}
	h.get("/api/v1/users/01900000-0000-7000-8000-000000000000", "")
	metrics := string(h.get("/metrics", "").want(http.StatusOK).Body)
	for _, want := range []string{
		`gatehouse_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		`gatehouse_http_requests_total{method="GET",route="GET /api/v1/users/{id}",status="401"} 1`,
		`gatehouse_http_request_duration_seconds_bucket{method="GET",route="GET /readyz"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	h.get("/no/such/thing", "").wantError(http.StatusNotFound, "not_found")
}

func TestRequestIDs(t *testing.T) {
	h := newHarness(t, nil)
	res := h.get("/healthz", "")
	if id := res.Header.Get("X-Request-Id"); len(id) != 32 {
		t.Fatalf("generated request id %q", id)
	}
	res = h.send(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "trace-123"}})
	if id := res.Header.Get("X-Request-Id"); id != "trace-123" {
		t.Fatalf("request id %q, want the caller's", id)
	}
	res = h.send(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "evil\tvalue"}})
	if id := res.Header.Get("X-Request-Id"); id == "evil\tvalue" || id == "" {
		t.Fatalf("unprintable request id %q was echoed", id)
	}
}

func TestReadyzFailsWhenTheStoreIsDown(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.Close()
	h.get("/readyz", "").wantError(http.StatusServiceUnavailable, "unavailable")
	h.get("/healthz", "").want(http.StatusOK)
}

func TestInternalErrorsHideTheirCause(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.srv.Close()
	m := h.get("/api/v1/me", admin).wantError(http.StatusInternalServerError, "internal")
	if m["message"] != "internal error" || strings.Contains(string(h.get("/api/v1/me", admin).Body), "sql") {
		t.Fatalf("internal error leaks its cause: %v", m)
	}
	if d, _ := m["details"].(map[string]any); d["request_id"] == nil {
		t.Fatalf("internal error without request id: %v", m)
	}
	if !strings.Contains(h.logs.String(), `"level":"ERROR"`) {
		t.Fatal("the cause was not logged")
	}
}
