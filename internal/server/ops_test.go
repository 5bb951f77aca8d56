package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
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

// A client that goes away before its answer is no server error: the request
// is counted and logged as 499, not as a 500 at level ERROR, although the
// handler failed on the canceled context.
func TestClientThatLeavesIsNoServerError(t *testing.T) {
	h := newHarness(t, nil)
	arrived := make(chan struct{})
	h.srv.Mux("rest").HandleFunc("GET /api/v1/test/slow", func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
		iam.RecordCause(r.Context(), r.Context().Err())
		w.WriteHeader(http.StatusInternalServerError)
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.ts.URL+"/api/v1/test/slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = h.host
	go func() {
		<-arrived
		cancel()
	}()
	if _, err := h.ts.Client().Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("the request was not canceled: %v", err)
	}
	// The request's log line is its last step: the server is done with it
	// once the line is there.
	var logged map[string]any
	for range 200 {
		for line := range strings.Lines(h.logs.String()) {
			var l map[string]any
			if json.Unmarshal([]byte(line), &l) == nil && l["path"] == "/api/v1/test/slow" {
				logged = l
			}
		}
		if logged != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if logged["status"] != float64(499) || logged["level"] != "INFO" || logged["error"] != context.Canceled.Error() {
		t.Fatalf("the request's log line is %v", logged)
	}
	metrics := string(h.get("/metrics", "").want(http.StatusOK).Body)
	if !strings.Contains(metrics, `gatehouse_http_requests_total{method="GET",route="GET /api/v1/test/slow",status="499"} 1`) ||
		strings.Contains(metrics, `route="GET /api/v1/test/slow",status="500"`) {
		t.Fatalf("/metrics does not count the request as 499:\n%s", metrics)
	}
}

// A client chooses the method: methods beyond the standard ones share one
// label, or each new one would add series to /metrics until the process
// ends (found by a review).
func TestMetricsLabelOtherMethodsAsOne(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 20 {
		req, err := http.NewRequest(strings.Repeat("A", 1000)+strconv.Itoa(i), h.ts.URL+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	metrics := string(h.get("/metrics", "").want(http.StatusOK).Body)
	if strings.Contains(metrics, "AAAA") || !strings.Contains(metrics, `method="other"`) {
		t.Errorf("/metrics is %d bytes; want the 20 made-up methods counted as other", len(metrics))
	}
}
