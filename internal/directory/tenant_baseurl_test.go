package directory_test

import (
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func TestBaseURLs(t *testing.T) {
	system := &iam.Tenant{System: true, Hostnames: []string{"admin.example.com"}}
	b := &iam.Tenant{Hostnames: []string{"login.b.example.com", "a.b.example.com"}}
	bare := &iam.Tenant{}
	for _, tc := range []struct {
		issuer string
		multi  bool
		tenant *iam.Tenant
		want   string
	}{
		{"https://iam.example.com", true, system, "https://iam.example.com"},
		{"https://iam.example.com", true, b, "https://login.b.example.com"},
		{"https://iam.example.com:8443", true, b, "https://login.b.example.com:8443"},
		{"http://iam.example.com:8080/gatehouse", true, b, "http://login.b.example.com:8080/gatehouse"},
		{"http://127.0.0.1:8080", true, b, "http://login.b.example.com:8080"},
		{"http://[::1]:8080", true, b, "http://login.b.example.com:8080"},
		{"https://iam.example.com", true, bare, ""},
		// Single-tenant mode: every request reaches the system tenant.
		{"https://iam.example.com:8443", false, b, "https://iam.example.com:8443"},
		{"https://iam.example.com:8443", false, system, "https://iam.example.com:8443"},
	} {
		urls, err := directory.NewBaseURLs(tc.issuer, tc.multi)
		if err != nil {
			t.Fatal(err)
		}
		if got := urls.Of(tc.tenant); got != tc.want {
			t.Errorf("issuer %s, multi %v, tenant %v: base URL %q, want %q", tc.issuer, tc.multi, tc.tenant.Hostnames, got, tc.want)
		}
	}
	for _, bad := range []string{"", "iam.example.com", "://x"} {
		if _, err := directory.NewBaseURLs(bad, true); err == nil {
			t.Errorf("NewBaseURLs(%q) accepted", bad)
		}
	}
}
