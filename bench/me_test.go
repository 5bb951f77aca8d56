package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkMe measures GET /api/v1/me with a JWT through the whole handler
// (middleware, token check, store read) on SQLite, without the network.
func BenchmarkMe(b *testing.B) {
	h := newServer(b, map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64"})
	benchmarkMe(b, h, loginToken(b, h))
}

// BenchmarkMePAT measures the same requests with a personal access token.
func BenchmarkMePAT(b *testing.B) {
	h := newServer(b, map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64"})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/me/tokens", strings.NewReader(`{"name":"bench"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+loginToken(b, h))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var pat struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &pat); err != nil || pat.Token == "" {
		b.Fatalf("create token: %d %s", rec.Code, rec.Body)
	}
	benchmarkMe(b, h, pat.Token)
}

func loginToken(b *testing.B, h http.Handler) string {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", strings.NewReader(`{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tk); err != nil || tk.AccessToken == "" {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	return tk.AccessToken
}

func benchmarkMe(b *testing.B, h http.Handler, token string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("me: %d %s", rec.Code, rec.Body)
			}
		}
	})
}
