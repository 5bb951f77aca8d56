package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/sdk"
)

// TestInvoicesAPIOfOneTenant: the API serves one tenant of a multi-tenant
// Gatehouse, configured with that tenant's base URL and id. Its users get
// in; the default tenant's admin, whose tokens Gatehouse signs with the same
// keys, does not.
func TestInvoicesAPIOfOneTenant(t *testing.T) {
	issuer := startGatehouse(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	u, err := url.Parse(issuer)
	if err != nil {
		t.Fatal(err)
	}
	// Tenant B is reached at localhost, the default tenant at 127.0.0.1.
	baseB := "http://" + net.JoinHostPort("localhost", u.Port())
	ctx := t.Context()
	systemToken := login(t, issuer, "admin@example.com", "Kq-13cdf-eef53")
	var tenant struct {
		ID      string `json:"id"`
		BaseURL string `json:"base_url"`
	}
	err = sdk.NewClient(issuer, sdk.WithToken(systemToken)).Do(ctx, http.MethodPost, "/api/v1/tenants", map[string]any{
		"name": "B", "hostnames": []string{"localhost"},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"},
	}, &tenant)
	if err != nil {
		t.Fatal(err)
	}
	if tenant.BaseURL != baseB {
		t.Fatalf("tenant B's base URL %q, want %s", tenant.BaseURL, baseB)
	}

	boss := sdk.NewClient(baseB, sdk.WithToken(login(t, baseB, "boss@b.example.com", "Kq-d040e-001e1")))
	if _, err := boss.CreatePermission(ctx, sdk.CreatePermissionRequest{Name: "invoices.read"}); err != nil {
		t.Fatal(err)
	}
	reader, err := boss.CreateRole(ctx, sdk.CreateRoleRequest{Name: "invoice reader", Permissions: []string{"invoices.read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boss.CreateOrganization(ctx, sdk.CreateOrganizationRequest{Name: "Acme", Alias: "acme"}); err != nil {
		t.Fatal(err)
	}
	alice, err := boss.CreateUser(ctx, sdk.CreateUserRequest{Email: "alice@example.com", Name: "Alice", Password: "Kq-6ae44-507a8"})
	if err != nil {
		t.Fatal(err)
	}
	if err := boss.SetMemberRoles(ctx, "acme", alice.ID, []string{reader.ID}); err != nil {
		t.Fatal(err)
	}

	api := httptest.NewServer(newHandler(baseB, tenant.ID, time.Minute))
	t.Cleanup(api.Close)
	call := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/orgs/acme/invoices", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Code string `json:"code"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Code
	}
	if status, code := call(login(t, baseB, "alice@example.com", "Kq-6ae44-507a8")); status != http.StatusOK {
		t.Errorf("B's member: %d %q, want 200", status, code)
	}
	if status, code := call(systemToken); status != http.StatusUnauthorized || code != "invalid_token" {
		t.Errorf("the default tenant's admin: %d %q, want 401 invalid_token", status, code)
	}
}
