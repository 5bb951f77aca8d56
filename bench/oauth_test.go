package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per operation since start: the
// cost of an operation on the machine's cores, which other work on the
// machine changes less than it changes wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU(b)-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// machineClient registers a client credentials application and returns
// its id and secret.
func machineClient(b *testing.B, h http.Handler) (string, string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/applications",
		strings.NewReader(`{"name":"worker","type":"machine","allowed_scopes":["reports.read"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+loginToken(b, h))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &app); err != nil || app.ClientSecret == "" {
		b.Fatalf("create application: %d %s", rec.Code, rec.Body)
	}
	return app.ClientID, app.ClientSecret
}

// postClientForm posts form to path as the client and returns the answer.
func postClientForm(h http.Handler, path, form, id, secret string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkOAuthClientCredentials measures the client credentials grant
// through the whole handler, audit event included, on SQLite.
func BenchmarkOAuthClientCredentials(b *testing.B) {
	h := newServer(b, map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64"})
	id, secret := machineClient(b, h)
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := postClientForm(h, "/oauth2/token", form, id, secret); rec.Code != http.StatusOK {
				b.Fatalf("token: %d %s", rec.Code, rec.Body)
			}
		}
	})
	reportCPU(b, cpu)
}

// BenchmarkOAuthIntrospection measures introspection of a client's token.
func BenchmarkOAuthIntrospection(b *testing.B) {
	h := newServer(b, map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64"})
	id, secret := machineClient(b, h)
	rec := postClientForm(h, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}.Encode(), id, secret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	form := url.Values{"token": {tok.AccessToken}}.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := postClientForm(h, "/oauth2/introspect", form, id, secret)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"active":true`) {
				b.Fatalf("introspect: %d %s", rec.Code, rec.Body)
			}
		}
	})
	reportCPU(b, cpu)
}
