package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/gatehouse-iam/gatehouse/internal/config"
	"github.com/gatehouse-iam/gatehouse/internal/server"
	"github.com/gatehouse-iam/gatehouse/sdk"
)

// startGatehouse runs a real Gatehouse on a fresh SQLite file, with env
// adding GATEHOUSE_* settings, and returns its issuer URL.
func startGatehouse(t *testing.T, env map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	vars := map[string]string{
		"GATEHOUSE_DATA_DIR": t.TempDir(), "GATEHOUSE_ISSUER": issuer,
		"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64",
		"GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL": "admin@example.com", "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD": "Kq-13cdf-eef53",
	}
	for k, v := range env {
		vars[k] = v
	}
	fs := pflag.NewFlagSet("gatehouse", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	cfg, err := config.Load(fs, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Open(context.Background(), server.Options{Config: cfg, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return issuer
}

func login(t *testing.T, issuer, email, password string) string {
	t.Helper()
	body := `{"email":"` + email + `","password":"` + password + `"}`
	res, err := http.Post(issuer+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tk); err != nil || tk.AccessToken == "" {
		t.Fatalf("login %s: %d %v", email, res.StatusCode, err)
	}
	return tk.AccessToken
}

func TestInvoicesAPI(t *testing.T) {
	issuer := startGatehouse(t, nil)
	ctx := context.Background()
	admin := sdk.NewClient(issuer, sdk.WithToken(login(t, issuer, "admin@example.com", "Kq-13cdf-eef53")))
	for _, p := range []string{"invoices.read", "invoices.write"} {
		if _, err := admin.CreatePermission(ctx, sdk.CreatePermissionRequest{Name: p}); err != nil {
			t.Fatal(err)
		}
	}
	reader, err := admin.CreateRole(ctx, sdk.CreateRoleRequest{Name: "invoice reader", Permissions: []string{"invoices.read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateOrganization(ctx, sdk.CreateOrganizationRequest{Name: "Acme", Alias: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateOrganization(ctx, sdk.CreateOrganizationRequest{Name: "Globex", Alias: "globex"}); err != nil {
		t.Fatal(err)
	}
	alice, err := admin.CreateUser(ctx, sdk.CreateUserRequest{Email: "alice@example.com", Name: "Alice", Password: "Kq-6ae44-507a8"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, sdk.CreateUserRequest{Email: "bob@example.com", Name: "Bob", Password: "Kq-5b775-e62f9"}); err != nil {
		t.Fatal(err)
	}
	if err := admin.SetMemberRoles(ctx, "acme", alice.ID, []string{reader.ID}); err != nil {
		t.Fatal(err)
	}

	const ttl = 300 * time.Millisecond
	api := httptest.NewServer(newHandler(issuer, "", ttl))
	t.Cleanup(api.Close)
	aliceToken, bobToken := login(t, issuer, "alice@example.com", "Kq-6ae44-507a8"), login(t, issuer, "bob@example.com", "Kq-5b775-e62f9")
	call := func(method, path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, api.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
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
	tests := []struct {
		name, method, path, token string
		status                    int
		code                      string
	}{
		{"member with the role reads", "GET", "/orgs/acme/invoices", aliceToken, 200, ""},
		{"the role does not reach another organization", "GET", "/orgs/globex/invoices", aliceToken, 403, "forbidden"},
		{"reading is not writing", "POST", "/orgs/acme/invoices", aliceToken, 403, "forbidden"},
		{"a user without the role", "GET", "/orgs/acme/invoices", bobToken, 403, "forbidden"},
		{"no token", "GET", "/orgs/acme/invoices", "", 401, "unauthenticated"},
		{"a forged token", "GET", "/orgs/acme/invoices", aliceToken[:len(aliceToken)-4] + "AAAA", 401, "invalid_token"},
	}
	for _, tt := range tests {
		if status, code := call(tt.method, tt.path, tt.token); status != tt.status || code != tt.code {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, code, tt.status, tt.code)
		}
	}

	// Taking the role away refuses alice within the documented bound: the
	// middleware's cache TTL (Gatehouse itself applies the change at once).
	if err := admin.SetMemberRoles(ctx, "acme", alice.ID, []string{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(ttl + 200*time.Millisecond)
	for {
		status, _ := call("GET", "/orgs/acme/invoices", aliceToken)
		if status == http.StatusForbidden {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice still reads invoices %s after losing the role (status %d)", ttl+200*time.Millisecond, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
