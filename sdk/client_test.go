package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/sdk"
)

// echo records the requests it gets and answers each with a fixed response.
type echo struct {
	*httptest.Server
	status      int
	contentType string
	body        string

	mu       sync.Mutex
	requests []echoed
}

type echoed struct {
	Method, Path, Query, Authorization, ContentType string
	Body                                            any // decoded JSON; nil when empty
}

func startEcho(t *testing.T, status int, contentType, body string) *echo {
	t.Helper()
	e := &echo{status: status, contentType: contentType, body: body}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil {
				body = "not JSON: " + string(raw)
			}
		}
		e.mu.Lock()
		e.requests = append(e.requests, echoed{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
		e.mu.Unlock()
		if e.contentType != "" {
			w.Header().Set("Content-Type", e.contentType)
		}
		w.WriteHeader(e.status)
		io.WriteString(w, e.body)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *echo) got() []echoed {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

// decoded is v as encoding/json decodes it into an any.
func decoded(v string) any {
	var out any
	must(json.Unmarshal([]byte(v), &out))
	return out
}

func TestClientRequests(t *testing.T) {
	ctx := context.Background()
	check := sdk.CheckRequest{Subject: sdk.UserSubject("u1"), Permission: "invoices.read", Organization: "acme"}
	tests := []struct {
		name      string
		call      func(c *sdk.Client) error
		method    string
		path      string
		query     string
		body      string // JSON; "" for none
		reply     string
		replyCode int
	}{
		{
			name: "Check", call: func(c *sdk.Client) error { _, err := c.Check(ctx, check); return err },
			method: "POST", path: "/api/v1/authz/check",
			body:  `{"subject":{"type":"user","id":"u1"},"permission":"invoices.read","organization":"acme"}`,
			reply: `{"allowed":true,"reason":"role accountant"}`,
		},
		{
			name: "Check by token, no organization",
			call: func(c *sdk.Client) error {
				_, err := c.Check(ctx, sdk.CheckRequest{Subject: sdk.TokenSubject("tok"), Permission: "invoices.read"})
				return err
			},
			method: "POST", path: "/api/v1/authz/check",
			body:  `{"subject":{"token":"tok"},"permission":"invoices.read"}`,
			reply: `{"allowed":false,"reason":"none"}`,
		},
		{
			name: "CheckBatch",
			call: func(c *sdk.Client) error {
				_, err := c.CheckBatch(ctx, []sdk.CheckRequest{check, {Subject: sdk.ServiceAccountSubject("s1"), Permission: "invoices.write"}})
				return err
			},
			method: "POST", path: "/api/v1/authz/check-batch",
			body: `{"checks":[{"subject":{"type":"user","id":"u1"},"permission":"invoices.read","organization":"acme"},` +
				`{"subject":{"type":"service_account","id":"s1"},"permission":"invoices.write"}]}`,
			reply: `{"results":[{"allowed":true,"reason":"a"},{"allowed":false,"reason":"b"}]}`,
		},
		{
			name: "MyPermissions", call: func(c *sdk.Client) error { _, err := c.MyPermissions(ctx, "acme & co"); return err },
			method: "GET", path: "/api/v1/me/permissions", query: "organization=acme+%26+co",
			reply: `{"permissions":["invoices.read"]}`,
		},
		{
			name: "MyPermissions tenant-wide", call: func(c *sdk.Client) error { _, err := c.MyPermissions(ctx, ""); return err },
			method: "GET", path: "/api/v1/me/permissions", reply: `{"permissions":[]}`,
		},
		{
			name: "CreateUser without a password",
			call: func(c *sdk.Client) error {
				_, err := c.CreateUser(ctx, sdk.CreateUserRequest{Email: "ada@example.com", Name: "Ada"})
				return err
			},
			method: "POST", path: "/api/v1/users", body: `{"email":"ada@example.com","name":"Ada"}`,
			reply: `{"id":"u1"}`, replyCode: 201,
		},
		{
			name: "ListUsers",
			call: func(c *sdk.Client) error {
				_, err := c.ListUsers(ctx, sdk.ListUsersOptions{Page: 2, Limit: 20, Search: "ada", OrderBy: "-created_at"})
				return err
			},
			method: "GET", path: "/api/v1/users", query: "limit=20&order_by=-created_at&page=2&search=ada",
			reply: `{"data":[],"total":0,"page":2,"limit":20}`,
		},
		{
			name: "ListUsers with defaults", call: func(c *sdk.Client) error { _, err := c.ListUsers(ctx, sdk.ListUsersOptions{}); return err },
			method: "GET", path: "/api/v1/users", reply: `{"data":[],"total":0,"page":1,"limit":20}`,
		},
		{
			name: "CreateOrganization",
			call: func(c *sdk.Client) error {
				_, err := c.CreateOrganization(ctx, sdk.CreateOrganizationRequest{Name: "Acme", Alias: "acme", Metadata: map[string]any{"plan": "pro"}})
				return err
			},
			method: "POST", path: "/api/v1/organizations", body: `{"name":"Acme","alias":"acme","metadata":{"plan":"pro"}}`,
			reply: `{"id":"o1"}`, replyCode: 201,
		},
		{
			name: "CreatePermission",
			call: func(c *sdk.Client) error {
				_, err := c.CreatePermission(ctx, sdk.CreatePermissionRequest{Name: "invoices.read", Description: "Read invoices"})
				return err
			},
			method: "POST", path: "/api/v1/permissions", body: `{"name":"invoices.read","description":"Read invoices"}`,
			reply: `{"id":"p1","name":"invoices.read"}`, replyCode: 201,
		},
		{
			name: "CreateRole without permissions",
			call: func(c *sdk.Client) error {
				_, err := c.CreateRole(ctx, sdk.CreateRoleRequest{Name: "viewer", Description: "Sees"})
				return err
			},
			method: "POST", path: "/api/v1/roles", body: `{"name":"viewer","description":"Sees","permissions":[]}`,
			reply: `{"id":"r1"}`, replyCode: 201,
		},
		{
			name: "CreateRole of an organization",
			call: func(c *sdk.Client) error {
				_, err := c.CreateRole(ctx, sdk.CreateRoleRequest{Name: "acct", Permissions: []string{"invoices.*"}, OrganizationID: "o1"})
				return err
			},
			method: "POST", path: "/api/v1/roles", body: `{"name":"acct","description":"","permissions":["invoices.*"],"organization_id":"o1"}`,
			reply: `{"id":"r1"}`, replyCode: 201,
		},
		{
			name: "AssignRole", call: func(c *sdk.Client) error { return c.AssignRole(ctx, "u/1", "r 1") },
			method: "PUT", path: "/api/v1/users/u%2F1/roles/r%201", replyCode: 204,
		},
		{
			name: "SetMemberRoles", call: func(c *sdk.Client) error { return c.SetMemberRoles(ctx, "acme", "u1", []string{"r1", "r2"}) },
			method: "PUT", path: "/api/v1/organizations/acme/members/u1", body: `{"roles":["r1","r2"]}`, reply: `{"user_id":"u1"}`,
		},
		{
			name: "SetMemberRoles to none", call: func(c *sdk.Client) error { return c.SetMemberRoles(ctx, "acme", "u1", nil) },
			method: "PUT", path: "/api/v1/organizations/acme/members/u1", body: `{"roles":[]}`, replyCode: 204,
		},
		{
			name: "Do", call: func(c *sdk.Client) error { return c.Do(ctx, "DELETE", "/api/v1/groups/g1", nil, nil) },
			method: "DELETE", path: "/api/v1/groups/g1", replyCode: 204,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := tt.replyCode
			if code == 0 {
				code = http.StatusOK
			}
			e := startEcho(t, code, "application/json", tt.reply)
			c := sdk.NewClient(e.URL+"/", sdk.WithToken("admin-token"))
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			want := echoed{Method: tt.method, Path: tt.path, Query: tt.query, Authorization: "Bearer admin-token"}
			if tt.body != "" {
				want.Body, want.ContentType = decoded(tt.body), "application/json"
			}
			if got := e.got(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Errorf("requests\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestClientDecodes(t *testing.T) {
	ctx := context.Background()
	e := startEcho(t, 200, "application/json", `{"data":[{"id":"u1","email":"ada@example.com","name":"Ada","email_verified":true,`+
		`"status":"active","external_id":"x-1","created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-02T12:00:00Z","unknown":1}],`+
		`"total":41,"page":3,"limit":20}`)
	list, err := sdk.NewClient(e.URL).ListUsers(ctx, sdk.ListUsersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &sdk.List[sdk.User]{
		Data: []sdk.User{{ID: "u1", Email: "ada@example.com", Name: "Ada", EmailVerified: true, Status: "active", ExternalID: "x-1",
			CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}},
		Total: 41, Page: 3, Limit: 20,
	}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("list\n got %+v\nwant %+v", list, want)
	}
	if got := e.got()[0].Authorization; got != "" {
		t.Errorf("a client without a token sent Authorization %q", got)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        sdk.Error
	}{
		{
			name: "invalid request with details", status: 400, contentType: "application/json",
			body: `{"code":"invalid_request","message":"invalid input","details":{"fields":{"email":"required"}}}`,
			want: sdk.Error{Status: 400, Code: "invalid_request", Message: "invalid input", Details: map[string]any{"fields": map[string]any{"email": "required"}}},
		},
		{
			name: "invalid token", status: 401, contentType: "application/json",
			body: `{"code":"invalid_token","message":"the access token is invalid or expired"}`,
			want: sdk.Error{Status: 401, Code: "invalid_token", Message: "the access token is invalid or expired"},
		},
		{name: "forbidden", status: 403, contentType: "application/json", body: `{"code":"forbidden","message":"no"}`, want: sdk.Error{Status: 403, Code: "forbidden", Message: "no"}},
		{name: "not found", status: 404, contentType: "application/json", body: `{"code":"not_found","message":"user not found"}`, want: sdk.Error{Status: 404, Code: "not_found", Message: "user not found"}},
		{name: "conflict", status: 409, contentType: "application/json", body: `{"code":"conflict","message":"taken"}`, want: sdk.Error{Status: 409, Code: "conflict", Message: "taken"}},
		{name: "rate limited", status: 429, contentType: "application/json", body: `{"code":"rate_limited","message":"slow down"}`, want: sdk.Error{Status: 429, Code: "rate_limited", Message: "slow down"}},
		{
			name: "internal", status: 500, contentType: "application/json",
			body: `{"code":"internal","message":"internal error","details":{"request_id":"r-1"}}`,
			want: sdk.Error{Status: 500, Code: "internal", Message: "internal error", Details: map[string]any{"request_id": "r-1"}},
		},
		{
			name: "a proxy's HTML", status: 502, contentType: "text/html",
			body: "<html>\n  <body><h1>502 Bad Gateway</h1></body>\n</html>\n",
			want: sdk.Error{Status: 502, Code: "unavailable", Message: "<html> <body><h1>502 Bad Gateway</h1></body> </html>"},
		},
		{name: "empty body", status: 503, want: sdk.Error{Status: 503, Code: "unavailable", Message: "Service Unavailable"}},
		{name: "plain text", status: 418, contentType: "text/plain", body: "short and stout", want: sdk.Error{Status: 418, Code: "http_418", Message: "short and stout"}},
		{name: "JSON of another shape", status: 404, contentType: "application/json", body: `{"error":"nope"}`, want: sdk.Error{Status: 404, Code: "not_found", Message: `{"error":"nope"}`}},
		{name: "binary", status: 500, body: "\xff\xfe\x00", want: sdk.Error{Status: 500, Code: "internal", Message: "Internal Server Error"}},
		{
			name: "long text", status: 500, contentType: "text/plain", body: strings.Repeat("é", 300),
			want: sdk.Error{Status: 500, Code: "internal", Message: strings.Repeat("é", 100) + "…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEcho(t, tt.status, tt.contentType, tt.body)
			c := sdk.NewClient(e.URL)
			_, err := c.CreateUser(context.Background(), sdk.CreateUserRequest{Email: "a@example.com"})
			var got *sdk.Error
			if !errors.As(fmt.Errorf("wrapped: %w", err), &got) {
				t.Fatalf("error %v (%T) is not an *sdk.Error", err, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("error\n got %#v\nwant %#v", *got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want.Code) {
				t.Errorf("Error() %q does not name the code", err)
			}
		})
	}
}

func TestClientTransportErrorIsNotAnError(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	err := sdk.NewClient(down.URL).Do(context.Background(), "GET", "/healthz", nil, nil)
	var e *sdk.Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("error %v; want a transport error, not *sdk.Error", err)
	}
}

func TestClientTokenFunc(t *testing.T) {
	e := startEcho(t, 200, "application/json", `{"permissions":[]}`)
	n := 0
	c := sdk.NewClient(e.URL, sdk.WithTokenFunc(func(context.Context) (string, error) {
		n++
		return fmt.Sprintf("token-%d", n), nil
	}))
	for range 2 {
		if _, err := c.MyPermissions(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.got(); got[0].Authorization != "Bearer token-1" || got[1].Authorization != "Bearer token-2" {
		t.Errorf("Authorization %q, %q", got[0].Authorization, got[1].Authorization)
	}

	boom := errors.New("token service down")
	c = sdk.NewClient(e.URL, sdk.WithTokenFunc(func(context.Context) (string, error) { return "", boom }))
	if _, err := c.Check(context.Background(), sdk.CheckRequest{}); !errors.Is(err, boom) {
		t.Errorf("error %v, want the token function's", err)
	}
	if len(e.got()) != 2 {
		t.Errorf("a request was sent without a token")
	}
}

func TestClientDoRejectsRelativePath(t *testing.T) {
	e := startEcho(t, 200, "", "")
	if err := sdk.NewClient(e.URL).Do(context.Background(), "GET", "api/v1/users", nil, nil); err == nil {
		t.Error("accepted a path without a leading /")
	}
	if len(e.got()) != 0 {
		t.Error("sent it")
	}
}

func TestCheckBatchSplits(t *testing.T) {
	g := startGatehouse(t)
	g.grant("u-7", "invoices.read", "")
	g.grant("u-140", "invoices.read", "")
	c := client(g, sdk.WithToken(g.serviceToken()))
	checks := make([]sdk.CheckRequest, 150)
	for i := range checks {
		checks[i] = sdk.CheckRequest{Subject: sdk.UserSubject(fmt.Sprintf("u-%d", i)), Permission: "invoices.read"}
	}
	got, err := c.CheckBatch(context.Background(), checks)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 150 {
		t.Fatalf("%d decisions", len(got))
	}
	for i, d := range got {
		if d.Allowed != (i == 7 || i == 140) {
			t.Errorf("decision %d: %+v", i, d)
		}
	}
	sent := g.recordedChecks()
	if len(sent) != 2 || len(sent[0].Body["checks"].([]any)) != 100 || len(sent[1].Body["checks"].([]any)) != 50 {
		t.Errorf("sent %d requests", len(sent))
	}
}

func TestCheckBatchCountMismatch(t *testing.T) {
	e := startEcho(t, 200, "application/json", `{"results":[{"allowed":true}]}`)
	_, err := sdk.NewClient(e.URL).CheckBatch(context.Background(), make([]sdk.CheckRequest, 2))
	if err == nil {
		t.Error("accepted 1 result for 2 checks")
	}
}
