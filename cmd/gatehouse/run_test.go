package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/syncbuf"
)

// env is a set of GATEHOUSE_* variables handed to run as getenv.
type env map[string]string

// newEnv points the data dir at a fresh temp dir and makes password hashing
// cheap; pairs add or override variables.
func newEnv(t *testing.T, pairs ...string) env {
	t.Helper()
	e := env{
		"GATEHOUSE_DATA_DIR":            t.TempDir(),
		"GATEHOUSE_PASSWORD_TIME":       "1",
		"GATEHOUSE_PASSWORD_MEMORY_KIB": "64",
	}
	return e.with(pairs...)
}

// with returns a copy of e with pairs (key, value, key, value…) set.
func (e env) with(pairs ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

func (e env) get(key string) string { return e[key] }

func (e env) dataDir() string { return e["GATEHOUSE_DATA_DIR"] }

// runCommand runs the program to completion and returns its stdout.
func runCommand(t *testing.T, e env, stdin string, args ...string) (string, error) {
	t.Helper()
	// run makes its logger slog's default, which zitadel/oidc logs
	// through: a command of a test running in parallel may still write to
	// this output after run returns.
	var out syncbuf.Buffer
	err := run(context.Background(), args, e.get, strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out, err := runCommand(t, newEnv(t), "", "version")
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	if !strings.HasPrefix(out, "gatehouse dev ") || strings.Count(out, "\n") != 1 {
		t.Errorf("version printed %q, want one line starting with %q", out, "gatehouse dev ")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      []string
		stdin    string
		wantCode int      // 0: not checked
		wantText []string // matched case-insensitively
	}{
		{"invalid env setting", []string{"serve"}, []string{"GATEHOUSE_LISTEN", "nope"}, "", 2, []string{"listen", "nope"}},
		{"invalid flag setting", []string{"serve", "--log-level=loud"}, nil, "", 2, []string{"log_level", "loud"}},
		{"invalid flag before the command", []string{"--log-level=loud", "migrate"}, nil, "", 2, []string{"log_level"}},
		{"every invalid setting at once", []string{"migrate", "--log-level=loud"}, []string{"GATEHOUSE_LISTEN", "nope"}, "", 2, []string{"listen", "log_level"}},
		{"invalid setting for admin create", []string{"admin", "create", "--email", "a@example.com", "--password-stdin"},
			[]string{"GATEHOUSE_ACCESS_TOKEN_TTL", "5"}, "pw-long-enough\n", 2, []string{"access_token_ttl"}},
		{"missing config file", []string{"migrate", "--config", "/nonexistent/gatehouse.yaml"}, nil, "", 2, []string{"config"}},
		{"unknown flag", []string{"serve", "--bogus"}, nil, "", 2, []string{"--bogus"}},
		{"unknown root flag", []string{"--bogus", "version"}, nil, "", 2, []string{"--bogus"}},
		{"admin create without email", []string{"admin", "create", "--password-stdin"}, nil, "pw-long-enough\n", 2, []string{"email"}},
		{"admin create without --password-stdin", []string{"admin", "create", "--email", "a@example.com"}, nil, "", 2, []string{"--password-stdin"}},
		{"bad master key", []string{"admin", "create", "--email", "a@example.com", "--password-stdin"},
			[]string{"GATEHOUSE_MASTER_KEY", "not-a-key"}, "pw-long-enough\n", 0, []string{"master_key", "32 bytes"}}, // exit code: see TestBadMasterKeyIsConfigError
		{"short master key", []string{"serve"},
			[]string{"GATEHOUSE_MASTER_KEY", "AAAAAAAAAAAAAAAAAAAAAA==", "GATEHOUSE_LISTEN", "127.0.0.1:0"}, "", 0, []string{"master_key", "32 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCommand(t, newEnv(t, tt.env...), tt.stdin, tt.args...)
			if err == nil {
				t.Fatal("run succeeded, want an error")
			}
			if got := exitCode(err); tt.wantCode != 0 && got != tt.wantCode {
				t.Errorf("exitCode(%q) = %d, want %d", err, got, tt.wantCode)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(s)) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
		})
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"frobnicate"}, {"serve", "extra"}} {
		_, err := runCommand(t, newEnv(t), "", args...)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("%q: err %v, exit code %d, want 2", args, err, exitCode(err))
		}
	}
}

func TestBadMasterKeyIsConfigError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "GATEHOUSE_MASTER_KEY", "not-a-key", "GATEHOUSE_LISTEN", "nope")
	_, err := runCommand(t, e, "", "migrate")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "master_key") || !strings.Contains(err.Error(), "listen") {
		t.Errorf("err %v (exit %d), want exit 2 naming master_key and listen", err, exitCode(err))
	}
}

func TestAdminCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	create := func(email, stdin string) (string, error) {
		return runCommand(t, e, stdin, "admin", "create", "--email", email, "--password-stdin")
	}

	out, err := create("a@example.com", "pw-long-enough\n")
	if err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^created superadmin a@example\.com \([0-9a-f-]{36}\)$`).MatchString(out) {
		t.Errorf("output does not show the created admin:\n%s", out)
	}

	_, err = create("a@example.com", "pw-long-enough\n")
	if err == nil {
		t.Fatal("second admin create with the same email succeeded")
	}
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "taken") {
		t.Errorf("second create: err %q, exit %d; want exit 1 and an email-taken error", err, exitCode(err))
	}

	for _, stdin := range []string{"1234567\n", "1234567", ""} {
		_, err = create("b@example.com", stdin)
		if err == nil {
			t.Errorf("admin create with password %q succeeded", stdin)
		} else if exitCode(err) != 1 {
			t.Errorf("password %q: exit %d, want 1", stdin, exitCode(err))
		}
	}

	// An 8-character password without a newline and a CRLF line both work.
	if out, err := create("c@example.com", "Kq83fern"); err != nil {
		t.Errorf("8-character password: %v\n%s", err, out)
	}
	if out, err := create("d@example.com", "pw-long-enough\r\n"); err != nil {
		t.Errorf("CRLF password: %v\n%s", err, out)
	}
}

func TestAdminCreateShortPasswordSaysWhy(t *testing.T) {
	t.Parallel()
	_, err := runCommand(t, newEnv(t), "1234567\n", "admin", "create", "--email", "a@example.com", "--password-stdin")
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("err %v does not say the password is the problem", err)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 2 {
		out, err := runCommand(t, e, "", "migrate")
		if err != nil {
			t.Fatalf("migrate #%d: %v\n%s", i+1, err, out)
		}
		if !strings.Contains(out, "migrations are up to date") {
			t.Errorf("migrate #%d printed:\n%s", i+1, out)
		}
		applied := strings.Contains(out, `"msg":"migrations applied"`)
		if applied != (i == 0) {
			t.Errorf("migrate #%d: migrations applied logged = %v\n%s", i+1, applied, out)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dataDir(), "gatehouse.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestMigrateCreatesDataDir(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e = e.with("GATEHOUSE_DATA_DIR", filepath.Join(e.dataDir(), "new", "dir"))
	if out, err := runCommand(t, e, "", "migrate"); err != nil {
		t.Errorf("migrate: %v\n%s", err, out)
	}
}

func TestMasterKeyFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := filepath.Join(e.dataDir(), "gatehouse.key")
	if _, err := runCommand(t, e, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("migrate touched the master key: stat: %v", err)
	}

	if out, err := runCommand(t, e, "pw-long-enough\n", "admin", "create", "--email", "a@example.com", "--password-stdin"); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("master key file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("master key file mode = %v, want 0600", fi.Mode().Perm())
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	if out, err := runCommand(t, e, "pw-long-enough\n", "admin", "create", "--email", "b@example.com", "--password-stdin"); err != nil {
		t.Fatalf("second admin create: %v\n%s", err, out)
	}
	second, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("the master key file changed on the second start")
	}

	// A different master key cannot decrypt the signing keys made with the first.
	other := e.with("GATEHOUSE_MASTER_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	_, err = runCommand(t, other, "pw-long-enough\n", "admin", "create", "--email", "c@example.com", "--password-stdin")
	if err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("a different master key: err %v, want a master key error", err)
	}

	// A corrupt key file is reported with its path.
	if err := os.WriteFile(path, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = runCommand(t, e, "", "admin", "create", "--email", "c@example.com", "--password-stdin")
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt key file: err %v, want an error naming %s", err, path)
	}
}

func TestMasterKeyFromEnv(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "GATEHOUSE_MASTER_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	for _, email := range []string{"a@example.com", "b@example.com"} {
		if out, err := runCommand(t, e, "pw-long-enough\n", "admin", "create", "--email", email, "--password-stdin"); err != nil {
			t.Fatalf("admin create %s: %v\n%s", email, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dataDir(), "gatehouse.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was written although GATEHOUSE_MASTER_KEY is set: stat: %v", err)
	}
}

// serving is a `gatehouse serve` running in the background.
type serving struct {
	t      *testing.T
	addr   string
	out    *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan error
	client *http.Client
}

var bannerRE = regexp.MustCompile(`(?m)^Gatehouse dev listening on (\S+)$`)

// startServe runs serve on 127.0.0.1:0 and waits for the banner.
func startServe(t *testing.T, e env) *serving {
	t.Helper()
	e = e.with("GATEHOUSE_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{
		t:      t,
		out:    &syncbuf.Buffer{},
		cancel: cancel,
		done:   make(chan error, 1),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}},
	}
	go func() { s.done <- run(ctx, []string{"serve"}, e.get, strings.NewReader(""), s.out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
		s.client.CloseIdleConnections()
	})
	deadline := time.After(15 * time.Second)
	for {
		if m := bannerRE.FindStringSubmatch(s.out.String()); m != nil {
			s.addr = m[1]
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("serve returned before the banner: %v\n%s", err, s.out.String())
		case <-deadline:
			t.Fatalf("no banner after 15s:\n%s", s.out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop cancels the context and expects serve to return nil promptly.
func (s *serving) stop() {
	s.t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if err != nil {
			s.t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		s.t.Fatal("serve did not return within 5s of cancel")
	}
}

// do sends a request and returns the status and body.
func (s *serving) do(method, path, token string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// login signs in and returns the access token.
func (s *serving) login(email, password string) string {
	s.t.Helper()
	status, body := s.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if status != http.StatusOK {
		s.t.Fatalf("login: status %d: %s", status, body)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" {
		s.t.Fatalf("login: no access_token in %s (%v)", body, err)
	}
	return out.AccessToken
}

func TestServe(t *testing.T) {
	t.Parallel()
	s := startServe(t, newEnv(t))

	status, body := s.do(http.MethodGet, "/healthz", "", nil)
	if status != http.StatusOK {
		t.Errorf("GET /healthz: status %d: %s", status, body)
	}
	var health map[string]string
	if err := json.Unmarshal(body, &health); err != nil || len(health) != 1 || health["status"] != "ok" {
		t.Errorf(`GET /healthz: body %s, want {"status":"ok"}`, body)
	}
	if status, body := s.do(http.MethodGet, "/readyz", "", nil); status != http.StatusOK {
		t.Errorf("GET /readyz: status %d: %s", status, body)
	}

	// An idle keep-alive connection must not hold up the shutdown.
	idle, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", s.addr)
	idleReader := bufio.NewReader(idle)
	resp, err := http.ReadResponse(idleReader, nil)
	if err != nil {
		t.Fatalf("keep-alive request: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("keep-alive request: status %d, close %v", resp.StatusCode, resp.Close)
	}

	s.stop()

	// The server closed the idle connection…
	idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := idleReader.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("idle connection still open after shutdown: read %d bytes, err %v", n, err)
	}
	// …and no longer accepts new ones.
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after shutdown", s.addr)
	}

	// Stdout is JSON log lines around the banner.
	out := s.out.String()
	banner := false
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		switch {
		case bannerRE.MatchString(line):
			banner = true
		case banner && strings.HasPrefix(line, "  "): // the banner's detail lines
		case !json.Valid([]byte(line)):
			t.Errorf("stdout line is neither banner nor JSON: %q", line)
		}
	}
	if !strings.Contains(out, `"msg":"shutting down"`) {
		t.Errorf("no shutdown log:\n%s", out)
	}
}

func TestServeBannerShowsTheBoundAddress(t *testing.T) {
	t.Parallel()
	s := startServe(t, newEnv(t))
	if want := "health:   http://" + s.addr + "/healthz"; !strings.Contains(s.out.String(), want) {
		t.Errorf("banner lacks %q:\n%s", want, s.out.String())
	}
}

func TestServeDrainsInFlightRequest(t *testing.T) {
	t.Parallel()
	s := startServe(t, newEnv(t))

	// A login whose body is half sent when the shutdown starts: its handler
	// is running, blocked reading the body.
	body := `{"email":"nobody@example.com","password":"wrong-password"}`
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		s.addr, len(body), body[:10])
	time.Sleep(200 * time.Millisecond)

	s.cancel()
	select {
	case err := <-s.done:
		t.Fatalf("serve returned (%v) with a request in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s accepts new connections while draining", s.addr)
	}

	fmt.Fprint(conn, body[10:])
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v\n%s", err, s.out.String())
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("in-flight login with a wrong password: status %d: %s", resp.StatusCode, respBody)
	}
	if !resp.Close {
		t.Error("the response during shutdown does not close the connection")
	}

	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Errorf("serve returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the in-flight request finished")
	}
}

func TestServeBootstrapAdminSurvivesRestart(t *testing.T) {
	t.Parallel()
	const email, password = "boot@example.com", "Kq-start-3391-pine"
	e := newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", email, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", password)

	type tenantList struct {
		Data []struct {
			ID     string `json:"id"`
			System bool   `json:"system"`
		} `json:"data"`
		Total int `json:"total"`
	}
	check := func(s *serving) (tenantID, token string) {
		t.Helper()
		token = s.login(email, password)
		status, body := s.do(http.MethodGet, "/api/v1/tenants", token, nil)
		if status != http.StatusOK {
			t.Fatalf("GET /api/v1/tenants: status %d: %s", status, body)
		}
		var list tenantList
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("tenants: %v: %s", err, body)
		}
		if list.Total != 1 || len(list.Data) != 1 || !list.Data[0].System {
			t.Fatalf("want exactly one, system, tenant: %s", body)
		}
		return list.Data[0].ID, token
	}

	first := startServe(t, e)
	tenant1, token1 := check(first)
	out1 := first.out.String()
	first.stop()
	for _, msg := range []string{"created the system tenant", "created the bootstrap admin"} {
		if !strings.Contains(out1, msg) {
			t.Errorf("first start did not log %q", msg)
		}
	}

	second := startServe(t, e)
	tenant2, _ := check(second)
	if tenant1 != tenant2 {
		t.Errorf("system tenant changed across restart: %s then %s", tenant1, tenant2)
	}
	// Signing keys survive too: the first run's token still works.
	if status, body := second.do(http.MethodGet, "/api/v1/me", token1, nil); status != http.StatusOK {
		t.Errorf("GET /api/v1/me with the first run's token: status %d: %s", status, body)
	}
	out2 := second.out.String()
	second.stop()
	for _, msg := range []string{"created the system tenant", "created the bootstrap admin", "migrations applied", "created a new master key"} {
		if strings.Contains(out2, msg) {
			t.Errorf("second start logged %q again", msg)
		}
	}

	// admin create on the same data dir sees the bootstrap admin's email as taken.
	_, err := runCommand(t, e, password+"\n", "admin", "create", "--email", email, "--password-stdin")
	if err == nil || exitCode(err) != 1 {
		t.Errorf("admin create for the bootstrap email: err %v, want exit 1", err)
	}
}

// Once the tenant has a superadmin, a restart with the bootstrap variables
// still set neither checks nor hashes their password: it creates nobody, so
// even a password the policy would now refuse does not stop the start.
func TestServeBootstrapAdminIsNotRehashedOnRestart(t *testing.T) {
	t.Parallel()
	const email, password = "boot@example.com", "Kq-start-3391-pine"
	e := newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", email, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", password)
	first := startServe(t, e)
	if n := passwordHashes(t, first); n != 1 {
		t.Errorf("first start computed %d password hashes, want 1 (the bootstrap admin's)", n)
	}
	first.stop()

	second := startServe(t, e.with("GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", "short"))
	if n := passwordHashes(t, second); n != 0 {
		t.Errorf("restart computed %d password hashes, want 0", n)
	}
	second.login(email, password)
	second.stop()
}

func passwordHashes(t *testing.T, s *serving) int {
	t.Helper()
	status, body := s.do(http.MethodGet, "/metrics", "", nil)
	m := regexp.MustCompile(`(?m)^gatehouse_password_hashes_total (\d+)`).FindSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("GET /metrics: status %d, no gatehouse_password_hashes_total", status)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
