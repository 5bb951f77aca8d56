package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// adminEmails are the emails `admin list` prints, in order; log lines (JSON)
// share its stdout.
func adminEmails(t *testing.T, out string) []string {
	t.Helper()
	var emails []string
	header := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "{"):
		case strings.HasPrefix(l, "tenant "):
			header = true
		case header && l != "" && !strings.HasPrefix(l, "EMAIL"):
			emails = append(emails, strings.Fields(l)[0])
		}
	}
	if !header {
		t.Fatalf("admin list printed no tenant line:\n%s", out)
	}
	return emails
}

// TestAdminForAnotherTenant: break-glass for a tenant whose admins are gone.
// `admin create --tenant` makes a superadmin there, by hostname or id, who
// signs in on that tenant's host; `admin list` shows each tenant's admins.
func TestAdminForAnotherTenant(t *testing.T) {
	const password = "Kq-glass-7731-fern"
	e := newEnv(t, "GATEHOUSE_MULTI_TENANT", "true", "GATEHOUSE_ISSUER", "http://gatehouse.test")
	if out, err := runCommand(t, e, password+"\n", "admin", "create", "--email", "root@example.com", "--password-stdin"); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}

	// The system admin creates tenant B, which has no admin.
	s := startServe(t, e)
	onHost := func(host, method, path, token string, body any) (int, []byte) {
		t.Helper()
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(method, "http://"+s.addr+path, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, out
	}
	login := func(host, email string) (int, string) {
		status, body := onHost(host, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.Unmarshal(body, &tk)
		return status, tk.AccessToken
	}
	status, root := login("gatehouse.test", "root@example.com")
	if status != http.StatusOK {
		t.Fatalf("system admin login: %d", status)
	}
	status, body := onHost("gatehouse.test", http.MethodPost, "/api/v1/tenants", root, map[string]any{"name": "Beta", "hostnames": []string{"beta.example.com"}})
	if status != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", status, body)
	}
	var beta struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &beta); err != nil || beta.ID == "" {
		t.Fatalf("tenant %s: %v", body, err)
	}
	s.stop()

	list := func(args ...string) []string {
		t.Helper()
		out, err := runCommand(t, e, "", append([]string{"admin", "list"}, args...)...)
		if err != nil {
			t.Fatalf("admin list %v: %v\n%s", args, err, out)
		}
		return adminEmails(t, out)
	}
	if got := list("--tenant", "beta.example.com"); len(got) != 0 {
		t.Fatalf("tenant Beta starts with admins %v", got)
	}

	out, err := runCommand(t, e, password+"\n", "admin", "create", "--tenant", "Beta.Example.com", "--email", "boss@beta.example.com", "--password-stdin")
	if err != nil {
		t.Fatalf("admin create --tenant: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^created superadmin boss@beta\.example\.com \([0-9a-f-]{36}\)\nin tenant Beta \(` + beta.ID + `\)$`).MatchString(out) {
		t.Errorf("admin create --tenant printed:\n%s", out)
	}
	if _, err := runCommand(t, e, password+"\n", "admin", "create", "--tenant", beta.ID, "--email", "deputy@beta.example.com", "--password-stdin"); err != nil {
		t.Fatalf("admin create --tenant ID: %v", err)
	}

	for _, ref := range []string{"beta.example.com", beta.ID, strings.ToUpper(beta.ID)} {
		if got := list("--tenant", ref); strings.Join(got, " ") != "boss@beta.example.com deputy@beta.example.com" {
			t.Errorf("admin list --tenant %s = %v, want Beta's two admins", ref, got)
		}
	}
	if got := list(); strings.Join(got, " ") != "root@example.com" {
		t.Errorf("admin list = %v, want the system tenant's admin only", got)
	}
	out, err = runCommand(t, e, "", "admin", "list", "--tenant", "beta.example.com")
	if err != nil || !regexp.MustCompile(`(?m)^boss@beta\.example\.com +active +superadmin +[0-9a-f-]{36}$`).MatchString(out) {
		t.Errorf("admin list line for boss: %v\n%s", err, out)
	}

	// The new admin signs in on Beta's host, and only there.
	s = startServe(t, e)
	if status, _ := login("beta.example.com", "boss@beta.example.com"); status != http.StatusOK {
		t.Errorf("Beta's new admin cannot sign in on Beta: %d", status)
	}
	if status, _ := login("gatehouse.test", "boss@beta.example.com"); status != http.StatusUnauthorized {
		t.Errorf("Beta's admin signing in on the system tenant: %d, want 401", status)
	}
	s.stop()

	for _, ref := range []string{"nowhere.example.com", "01890000-0000-7000-8000-000000000000"} {
		for _, args := range [][]string{
			{"admin", "list", "--tenant", ref},
			{"admin", "create", "--tenant", ref, "--email", "x@example.com", "--password-stdin"},
		} {
			_, err := runCommand(t, e, password+"\n", args...)
			if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "tenant") {
				t.Errorf("%v: err %v, want exit 1 naming the tenant", args, err)
			}
		}
	}
}
