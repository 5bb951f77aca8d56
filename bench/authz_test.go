package bench

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkAuthzCheck measures POST /api/v1/authz/check through the whole
// handler on SQLite with a warm decision cache: one user holding a role in
// an organization, asked about a permission it holds.
func BenchmarkAuthzCheck(b *testing.B) {
	h := newServer(b, map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64"})
	call := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec
	}
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(call("POST", "/api/v1/auth/login", "", `{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`).Body.Bytes(), &tk)
	id := func(rec *httptest.ResponseRecorder) string {
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &v)
		return v.ID
	}
	call("POST", "/api/v1/permissions", tk.AccessToken, `{"name":"invoices.read"}`)
	role := id(call("POST", "/api/v1/roles", tk.AccessToken, `{"name":"billing","permissions":["invoices.*"]}`))
	call("POST", "/api/v1/organizations", tk.AccessToken, `{"name":"Acme","alias":"acme"}`)
	user := id(call("POST", "/api/v1/users", tk.AccessToken, `{"email":"u@example.com","name":"U"}`))
	call("PUT", "/api/v1/organizations/acme/members/"+user, tk.AccessToken, `{"roles":["`+role+`"]}`)
	body := []byte(`{"subject":{"type":"user","id":"` + user + `"},"permission":"invoices.read","organization":"acme"}`)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/authz/check", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
				b.Fatalf("check: %d %s", rec.Code, rec.Body)
			}
		}
	})
}
