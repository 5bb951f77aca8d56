package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/gatehouse-iam/gatehouse/internal/config"
	"github.com/gatehouse-iam/gatehouse/internal/server"
	"github.com/gatehouse-iam/gatehouse/internal/storetest"
	"github.com/gatehouse-iam/gatehouse/internal/syncbuf"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Kq-13cdf-eef53"
)

// harness is a real server on a fresh SQLite file behind httptest.
type harness struct {
	t     *testing.T
	srv   *server.Server
	ts    *httptest.Server
	clock *testclock.Clock
	logs  *syncbuf.Buffer
	// host is the Host of requests that do not name one.
	host string
}

// httpStoreEnv, set to "postgres", runs this package's HTTP tests on
// PostgreSQL (each in a schema of its own, new or emptied) instead of
// SQLite; CI runs both.
const httpStoreEnv = "GATEHOUSE_TEST_HTTP_STORE"

// portPlaceholder in a value of newHarness's env is the server's port, as in
// GATEHOUSE_ISSUER=http://localhost:{port}, for browsers that need the real
// origin (passkeys).
const portPlaceholder = "{port}"

// newHarness starts a server; env adds or overrides GATEHOUSE_* settings.
func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	return newHarnessWith(t, env, nil)
}

// newHarnessWith is newHarness with options the configuration does not
// hold set by opts, when not nil.
func newHarnessWith(t *testing.T, env map[string]string, opts func(*server.Options)) *harness {
	t.Helper()
	vars := map[string]string{
		"GATEHOUSE_DATA_DIR":                 t.TempDir(),
		"GATEHOUSE_PASSWORD_TIME":            "1",
		"GATEHOUSE_PASSWORD_MEMORY_KIB":      "64",
		"GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL":    adminEmail,
		"GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD": adminPassword,
		"GATEHOUSE_ISSUER":                   "http://gatehouse.test",
		// The server's clock stands still in tests, so rate-limit buckets
		// would never refill; the rate-limit test turns them on itself.
		"GATEHOUSE_AUTH_RATE_PER_SECOND": "0",
	}
	// A test that brings its own database takes no schema from the pool,
	// which expects every schema it hands out to come back migrated.
	if _, own := env["GATEHOUSE_DATABASE"]; !own && os.Getenv(httpStoreEnv) == "postgres" {
		if postgresPool == nil {
			storetest.PostgresDSN(t) // skips the test: no DSN
		}
		vars["GATEHOUSE_DATABASE"] = postgresPool.Schema(t)
	}
	// The listener comes first, so that an issuer may name its port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range env {
		vars[k] = strings.ReplaceAll(v, portPlaceholder, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	cfg, err := config.Load(fs, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	clk := testclock.New(time.Now().UTC())
	o := server.Options{
		Config: cfg, Build: server.Build{Version: "test", Commit: "abc"},
		Log: slog.New(slog.NewJSONHandler(logs, nil)), Now: clk.Now,
	}
	if opts != nil {
		opts(&o)
	}
	srv, err := server.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	// An https issuer at the real port is served over TLS, with the test
	// server's certificate (ts.Client trusts it).
	if issuer := env["GATEHOUSE_ISSUER"]; strings.HasPrefix(issuer, "https://") && strings.Contains(issuer, portPlaceholder) {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return &harness{t: t, srv: srv, ts: ts, clock: clk, logs: logs}
}

// response is a finished HTTP exchange.
type response struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r *response) JSON() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Decode decodes the body into v.
func (r *response) Decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode %T: %v: %s", v, err, r.Body)
	}
}

// want fails the test unless the status is status.
func (r *response) want(status int) *response {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// wantError fails unless the answer is the error shape with status and code.
func (r *response) wantError(status int, code string) map[string]any {
	r.t.Helper()
	r.want(status)
	m := r.JSON()
	if m["code"] != code {
		r.t.Fatalf("code %v, want %s: %s", m["code"], code, r.Body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		r.t.Fatalf("error without message: %s", r.Body)
	}
	return m
}

// request describes one call: body is JSON-encoded unless it is a string or []byte.
type request struct {
	method, path string
	body         any
	token        string
	host         string
	header       map[string]string
}

func (h *harness) send(req request) *response {
	h.t.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		body = bytes.NewReader(enc)
	}
	r, err := http.NewRequest(req.method, h.ts.URL+req.path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	if req.host == "" {
		req.host = h.host
	}
	if req.host != "" {
		r.Host = req.host
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	res, err := h.ts.Client().Do(r)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return &response{t: h.t, Status: res.StatusCode, Header: res.Header, Body: b}
}

func (h *harness) get(path, token string) *response {
	h.t.Helper()
	return h.send(request{method: http.MethodGet, path: path, token: token})
}

func (h *harness) post(path, token string, body any) *response {
	h.t.Helper()
	return h.send(request{method: http.MethodPost, path: path, token: token, body: body})
}

func (h *harness) patch(path, token string, body any) *response {
	h.t.Helper()
	return h.send(request{method: http.MethodPatch, path: path, token: token, body: body})
}

func (h *harness) delete(path, token string) *response {
	h.t.Helper()
	return h.send(request{method: http.MethodDelete, path: path, token: token})
}

// tokens is a login answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// login signs in and fails the test unless it succeeds.
func (h *harness) login(email, password string) tokens {
	h.t.Helper()
	var tk tokens
	h.post("/api/v1/auth/login", "", map[string]any{"email": email, "password": password}).want(http.StatusOK).Decode(&tk)
	return tk
}

// admin returns an access token of the bootstrap superadmin.
func (h *harness) admin() string {
	h.t.Helper()
	return h.login(adminEmail, adminPassword).AccessToken
}

// createUser creates a user with a password and returns its id.
func (h *harness) createUser(token, email, password string) string {
	h.t.Helper()
	m := h.post("/api/v1/users", token, map[string]any{"email": email, "name": "User " + email, "password": password}).want(http.StatusCreated).JSON()
	return m["id"].(string)
}

// auditActions lists the actions of the newest audit events matching query.
func (h *harness) auditEvents(token, query string) []map[string]any {
	h.t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/audit-logs?limit=100&"+query, token).want(http.StatusOK).Decode(&page)
	return page.Data
}

// mailsTo lists the outbox's mails to an address, newest first.
func (h *harness) mailsTo(admin, to string) []map[string]any {
	h.t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/outbox?limit=100&to="+url.QueryEscape(to), admin).want(http.StatusOK).Decode(&page)
	return page.Data
}

// linkToken is the token in the link of the newest mail of kind to an address.
func (h *harness) linkToken(admin, to, kind string) string {
	h.t.Helper()
	for _, m := range h.mailsTo(admin, to) {
		if m["kind"] != kind {
			continue
		}
		match := linkPattern.FindStringSubmatch(m["text"].(string))
		if match == nil {
			h.t.Fatalf("no link in the %s mail: %s", kind, m["text"])
		}
		tok, err := url.QueryUnescape(match[1])
		if err != nil {
			h.t.Fatal(err)
		}
		return tok
	}
	h.t.Fatalf("no %s mail to %s", kind, to)
	return ""
}

var linkPattern = regexp.MustCompile(`[?&](?:token|invitation)=([A-Za-z0-9_%-]+)`)

// patchSettings changes the tenant's settings and fails unless it works.
func (h *harness) patchSettings(admin string, patch map[string]any) {
	h.t.Helper()
	h.patch("/api/v1/settings", admin, patch).want(http.StatusOK)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
