package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scimtoken"
)

// scimToken creates the system tenant's SCIM token through the API.
func scimToken(b *testing.B, h http.Handler) string {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/scim/token", nil)
	req.Header.Set("Authorization", "Bearer "+loginToken(b, h))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var created struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.Token == "" {
		b.Fatalf("SCIM token: %d %s", rec.Code, rec.Body)
	}
	return created.Token
}

func scimRequest(h http.Handler, method, target, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkSCIMFilterUserName measures GET /scim/v2/Users?filter=userName
// eq "…" on a tenant of 100,000 users (seeded through the directory's
// provisioning, as SCIM creates them), reporting the server time's p99.
func BenchmarkSCIMFilterUserName(b *testing.B) {
	const users = 100_000
	srv := openServer(b, map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64"}, nil)
	h := srv.Handler()
	ctx := context.Background()
	tenant, err := srv.SystemTenant(ctx)
	if err != nil {
		b.Fatal(err)
	}
	provisioner := iam.WithPrincipal(ctx, &iam.Principal{Kind: iam.PrincipalSCIM, ID: "bench", TenantID: tenant.ID,
		Permissions: scimtoken.Provisioning})
	start := time.Now()
	for i := range users {
		if _, err := srv.Directory().ProvisionUser(provisioner, directory.ProvisionedUser{
			Email: fmt.Sprintf("user%06d@example.com", i), Name: fmt.Sprintf("User %d", i), Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d users in %s", users, time.Since(start).Round(time.Millisecond))
	token := scimToken(b, h)
	var times []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		email := fmt.Sprintf("user%06d@example.com", (i*7919)%users)
		t0 := time.Now()
		rec := scimRequest(h, http.MethodGet, "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "`+email+`"`), token, "")
		times = append(times, time.Since(t0))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"totalResults":1`) {
			b.Fatalf("filter: %d %s", rec.Code, rec.Body)
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkSCIMBulk10k provisions 10,000 users through /scim/v2/Bulk, 1,000
// operations a request, on SQLite; run it with -benchtime 1x.
func BenchmarkSCIMBulk10k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		h := newServer(b, map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64"})
		token := scimToken(b, h)
		var bodies []string
		for batch := range 10 {
			ops := make([]map[string]any, 1000)
			for i := range ops {
				n := batch*1000 + i
				ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint(n), "data": map[string]any{
					"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": fmt.Sprintf("bulk%05d@example.com", n),
					"name": map[string]any{"givenName": "Bulk", "familyName": fmt.Sprint(n)}, "active": true,
					"emails": []any{map[string]any{"value": fmt.Sprintf("bulk%05d@example.com", n), "type": "work", "primary": true}},
				}}
			}
			body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops})
			bodies = append(bodies, string(body))
		}
		b.StartTimer()
		start := time.Now()
		for _, body := range bodies {
			rec := scimRequest(h, http.MethodPost, "/scim/v2/Bulk", token, body)
			if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `"status":"201"`) != 1000 {
				b.Fatalf("bulk: %d %.500s", rec.Code, rec.Body)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-per-10k")
	}
}
