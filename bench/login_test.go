package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkLogin measures a whole successful password login through the
// real handler on SQLite, OWASP argon2id parameters included.
func BenchmarkLogin(b *testing.B) {
	h := newServer(b, noRateLimit)
	body := `{"email":"` + adminEmail + `","password":"` + adminPassword + `"}`
	b.ResetTimer()
	for b.Loop() {
		login(b, h, body)
	}
}

// BenchmarkLoginParallel runs logins from four goroutines at once, as the
// load measurement does, to show what besides argon2id a login costs.
func BenchmarkLoginParallel(b *testing.B) {
	h := newServer(b, noRateLimit)
	body := `{"email":"` + adminEmail + `","password":"` + adminPassword + `"}`
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			login(b, h, body)
		}
	})
}

// noRateLimit turns the per-IP limit off: every request comes from one
// address, and the limit is not what these benchmarks measure.
var noRateLimit = map[string]string{"GATEHOUSE_AUTH_RATE_PER_SECOND": "0"}

func login(b *testing.B, h http.Handler, body string) {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
}
