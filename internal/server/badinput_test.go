package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// biFor returns a copy of h that reports to t, so that subtests fail themselves.
func biFor(h *harness, t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

// biState is everything a refused request must leave untouched: users, admin
// roles, admins, tenants and the newest audit event.
func biState(h *harness, token string) string {
	h.t.Helper()
	var b strings.Builder
	for _, path := range []string{
		"/api/v1/users?limit=100", "/api/v1/admin-roles?limit=100", "/api/v1/admins?limit=100",
		"/api/v1/tenants?limit=100", "/api/v1/audit-logs?limit=1",
	} {
		var page struct {
			Data  json.RawMessage `json:"data"`
			Total int             `json:"total"`
		}
		h.get(path, token).want(http.StatusOK).Decode(&page)
		fmt.Fprintf(&b, "%s total=%d %s\n", path, page.Total, page.Data)
	}
	return b.String()
}

// biWantError checks the error shape, and that details.fields names field
// when field is set.
func biWantError(r *response, status int, code, field string) map[string]any {
	r.t.Helper()
	m := r.wantError(status, code)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.t.Errorf("Content-Type %q, want application/json", ct)
	}
	if field != "" && !biNames(m, field) {
		r.t.Errorf("details.fields does not name %q: %s", field, r.Body)
	}
	return m
}

// biNames reports whether an error body's details.fields names field.
func biNames(m map[string]any, field string) bool {
	details, _ := m["details"].(map[string]any)
	if m["code"] == "password_policy" {
		return details["field"] == field
	}
	fields, _ := details["fields"].(map[string]any)
	_, ok := fields[field]
	return ok
}

// biWantHealthy checks that the server still answers.
func biWantHealthy(h *harness) {
	h.t.Helper()
	h.get("/healthz", "").want(http.StatusOK)
}

type biCase struct {
	name   string
	req    request
	status int
	code   string
	field  string // a field details.fields must name, if any
}

// biRun sends every case, checks its error and that nothing changed.
func biRun(t *testing.T, h *harness, token string, cases []biCase) {
	t.Helper()
	before := biState(h, token)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := biFor(h, t)
			r := h.send(tc.req)
			m := biWantError(r, tc.status, tc.code, "")
			if after := biState(h, token); after != before {
				t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
			}
			if tc.field != "" && !biNames(m, tc.field) {
				t.Errorf("details.fields does not name %q: %s", tc.field, r.Body)
			}
		})
	}
	biWantHealthy(biFor(h, t))
}

func TestBadInputBodies(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	userID := h.createUser(tok, "keep@example.com", "Kq-028e0-54eeb")
	var role struct {
		ID string `json:"id"`
	}
	h.post("/api/v1/admin-roles", tok, map[string]any{"name": "readers", "permissions": []string{"users.read"}}).
		want(http.StatusCreated).Decode(&role)

	post := func(path string, body any) request {
		return request{method: http.MethodPost, path: path, body: body, token: tok}
	}
	patch := func(path string, body any) request {
		return request{method: http.MethodPatch, path: path, body: body, token: tok}
	}
	users, user := "/api/v1/users", "/api/v1/users/"+userID
	roles, roleP := "/api/v1/admin-roles", "/api/v1/admin-roles/"+role.ID
	login := "/api/v1/auth/login"
	const bad, code = http.StatusBadRequest, "invalid_request"
	valid := func(extra map[string]any) map[string]any {
		m := map[string]any{"email": "new@example.com", "name": "New", "password": "Kq-4caba-b7726"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}

	cases := []biCase{
		// Syntax.
		{"malformed JSON", post(users, `{"email": "new@example.com", "name": }`), bad, code, ""},
		{"truncated JSON", post(users, `{"email":"new@example.com","name":"New"`), bad, code, ""},
		{"truncated in a string", post(users, `{"email":"new@exa`), bad, code, ""},
		{"array instead of object", post(users, `[{"email":"new@example.com","name":"New"}]`), bad, code, ""},
		{"string instead of object", post(users, `"new@example.com"`), bad, code, ""},
		{"trailing garbage", post(users, `{"email":"new@example.com","name":"New"} x`), bad, code, ""},
		{"two objects", post(users, `{"email":"new@example.com","name":"New"}{"email":"two@example.com","name":"Two"}`), bad, code, ""},
		{"empty body", post(users, ``), bad, code, ""},
		{"login malformed", post(login, `{"email":`), bad, code, ""},
		{"patch malformed", patch(user, `{"name":"x"`), bad, code, ""},
		{"patch array", patch(user, `[]`), bad, code, ""},

		// Types.
		{"email is a number", post(users, valid(map[string]any{"email": 5})), bad, code, "email"},
		{"name is a bool", post(users, valid(map[string]any{"name": true})), bad, code, "name"},
		{"password is a number", post(users, valid(map[string]any{"password": 12345678})), bad, code, "password"},
		{"email_verified is a string", post(users, valid(map[string]any{"email_verified": "yes"})), bad, code, "email_verified"},
		{"login email is a number", post(login, map[string]any{"email": 5, "password": adminPassword}), bad, code, "email"},
		{"login keep_logged_in is a string", post(login, map[string]any{"email": adminEmail, "password": adminPassword, "keep_logged_in": "yes"}), bad, code, "keep_logged_in"},
		{"login password is null", post(login, map[string]any{"email": adminEmail, "password": nil}), bad, code, "password"},
		{"patch name is a number", patch(user, map[string]any{"name": 5}), bad, code, "name"},
		{"patch email_verified is a string", patch(user, map[string]any{"email_verified": "yes"}), bad, code, "email_verified"},
		{"role permissions is a string", post(roles, map[string]any{"name": "r", "permissions": "users.read"}), bad, code, "permissions"},
		{"role permissions hold a number", post(roles, map[string]any{"name": "r", "permissions": []any{1}}), bad, code, "permissions[0]"},

		// Missing fields.
		{"empty object", post(users, `{}`), bad, code, "email"},
		{"no email", post(users, valid(map[string]any{"email": nil})), bad, code, "email"},
		{"login without password", post(login, map[string]any{"email": adminEmail}), bad, code, "password"},
		{"login without email", post(login, map[string]any{"password": adminPassword}), bad, code, "email"},
		{"role without permissions", post(roles, map[string]any{"name": "r"}), bad, code, "permissions"},
		{"role with blank name", post(roles, map[string]any{"name": "  ", "permissions": []string{"users.read"}}), bad, code, "name"},
		{"role with no permissions", post(roles, map[string]any{"name": "r", "permissions": []string{}}), bad, code, "permissions"},

		// Unknown fields.
		{"unknown field", post(users, valid(map[string]any{"is_admin": true})), bad, code, "is_admin"},
		{"login unknown field", post(login, map[string]any{"email": adminEmail, "password": adminPassword, "mfa": "000000"}), bad, code, "mfa"},
		{"patch unknown field status", patch(user, map[string]any{"status": "disabled"}), bad, code, "status"},
		{"patch unknown field password", patch(user, map[string]any{"password": "Kq-7adde-1fcac"}), bad, code, "password"},
		{"role unknown field", post(roles, map[string]any{"name": "r", "permissions": []string{"users.read"}, "builtin": true}), bad, code, "builtin"},

		// Values.
		{"password of 7", post(users, valid(map[string]any{"password": "1234567"})), bad, "password_policy", "password"},
		{"password of 129", post(users, valid(map[string]any{"password": strings.Repeat("p", 129)})), bad, "password_policy", "password"},
		{"password of 7 runes in 14 bytes", post(users, valid(map[string]any{"password": "ééééééé"})), bad, "password_policy", "password"},
		{"name of 201", post(users, valid(map[string]any{"name": strings.Repeat("n", 201)})), bad, code, "name"},
		{"name with NUL", post(users, valid(map[string]any{"name": "a\x00b"})), bad, code, "name"},
		{"name with newline", post(users, valid(map[string]any{"name": "a\nb"})), bad, code, "name"},
		{"external_id with control", post(users, valid(map[string]any{"external_id": "x\x1by"})), bad, code, "external_id"},
		{"patch name of 201", patch(user, map[string]any{"name": strings.Repeat("n", 201)}), bad, code, "name"},
		{"role unknown permission", post(roles, map[string]any{"name": "r", "permissions": []string{"bogus.read"}}), bad, code, "permissions"},
		{"patch role no permissions", patch(roleP, map[string]any{"permissions": []string{}}), bad, code, "permissions"},
		{"patch role blank name", patch(roleP, map[string]any{"name": ""}), bad, code, "name"},
	}
	for _, email := range []string{
		"", " ", "plainaddress", "@example.com", "new@", "new@@example.com", "new@exa mple.com", "new example@example.com",
		"Name <new@example.com>", "<new@example.com>", `"new"@example.com`, "new@example.com\r\nBcc: x@y.z",
		"new@example.com\nBcc: x@y.z", "new@example.com, other@example.com", "new@example.com\x00",
		strings.Repeat("a", 250) + "@example.com", "Name <a@b.c>", "a@b.c\r\nBcc: x@y.z", "a@b.c\nBcc: x@y.z",
	} {
		cases = append(cases,
			biCase{fmt.Sprintf("create email %q", email), post(users, valid(map[string]any{"email": email})), bad, code, "email"},
			biCase{fmt.Sprintf("patch email %q", email), patch(user, map[string]any{"email": email}), bad, code, "email"},
			biCase{fmt.Sprintf("login email %q", email), post(login, map[string]any{"email": email, "password": adminPassword}), bad, code, "email"},
		)
	}
	biRun(t, h, tok, cases)
}

func TestBadInputTenantBodies(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	tenants := "/api/v1/tenants"
	post := func(body any) request {
		return request{method: http.MethodPost, path: tenants, body: body, token: tok}
	}
	admin := map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1", "name": "Boss"}
	const bad, code = http.StatusBadRequest, "invalid_request"
	biRun(t, h, tok, []biCase{
		{"no name", post(map[string]any{"hostnames": []string{"b.example.com"}}), bad, code, "name"},
		{"blank name", post(map[string]any{"name": " ", "hostnames": []string{"b.example.com"}}), bad, code, "name"},
		{"hostnames is a string", post(map[string]any{"name": "B", "hostnames": "b.example.com"}), bad, code, "hostnames"},
		{"hostname with port", post(map[string]any{"name": "B", "hostnames": []string{"b.example.com:8443"}}), bad, code, "hostnames[0]"},
		{"hostname with space", post(map[string]any{"name": "B", "hostnames": []string{"ok.example.com", "b example.com"}}), bad, code, "hostnames[1]"},
		{"hostname with SQL", post(map[string]any{"name": "B", "hostnames": []string{"x'); DROP TABLE tenants; --"}}), bad, code, "hostnames[0]"},
		{"empty hostname", post(map[string]any{"name": "B", "hostnames": []string{""}}), bad, code, "hostnames[0]"},
		{"admin password of 7", post(map[string]any{"name": "B", "hostnames": []string{"b.example.com"},
			"admin": map[string]any{"email": "boss@b.example.com", "password": "1234567"}}), bad, "password_policy", "admin.password"},
		{"admin without password", post(map[string]any{"name": "B", "hostnames": []string{"b.example.com"},
			"admin": map[string]any{"email": "boss@b.example.com"}}), bad, code, "admin.password"},
		{"admin unknown field", post(map[string]any{"name": "B", "hostnames": []string{"b.example.com"},
			"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1", "roles": []string{"superadmin"}}}), bad, code, "admin.roles"},
		{"unknown field", post(map[string]any{"name": "B", "hostnames": []string{"b.example.com"}, "system": true, "admin": admin}), bad, code, "system"},
	})
}

// TestBadInputTenantAdminEmailField: a bad admin email in a new tenant must
// name admin.email, as a bad admin password names admin.password.
func TestBadInputTenantAdminEmailField(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	before := biState(h, tok)
	r := h.post("/api/v1/tenants", tok, map[string]any{"name": "B", "hostnames": []string{"b.example.com"},
		"admin": map[string]any{"email": "Boss <boss@b.example.com>", "password": "Kq-d040e-001e1"}})
	m := biWantError(r, http.StatusBadRequest, "invalid_request", "")
	if after := biState(h, tok); after != before {
		t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
	}
	fields, _ := m["details"].(map[string]any)["fields"].(map[string]any)
	if _, ok := fields["admin.email"]; !ok {
		t.Errorf("POST /api/v1/tenants with an invalid admin.email names the field %v instead of admin.email", fields)
	}
}

func TestBadInputPathsAndQueries(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	userID := h.createUser(tok, "keep@example.com", "Kq-028e0-54eeb")
	var tenants struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	h.get("/api/v1/tenants", tok).want(http.StatusOK).Decode(&tenants)
	systemID := tenants.Data[0].ID

	const nf = http.StatusNotFound
	var cases []biCase
	for _, id := range []string{
		"not-a-uuid", "123", "0", url.PathEscape("' OR 1=1 --"), url.PathEscape("x'); DROP TABLE users; --"),
		userID + "0", userID[:35], strings.ReplaceAll(userID, "-", ""), "{" + userID + "}", "urn:uuid:" + userID,
		"%00", url.PathEscape("<script>"), strings.Repeat("a", 2000),
		strings.ToUpper(userID), "00000000-0000-0000-0000-000000000000", "0190d1e6-7d3a-7c4b-9e2f-3a4b5c6d7e8f",
	} {
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/users/" + id},
			{http.MethodPatch, "/api/v1/users/" + id},
			{http.MethodDelete, "/api/v1/users/" + id},
			{http.MethodPost, "/api/v1/users/" + id + "/disable"},
			{http.MethodGet, "/api/v1/admin-roles/" + id},
			{http.MethodPatch, "/api/v1/admin-roles/" + id},
			{http.MethodDelete, "/api/v1/admin-roles/" + id},
			{http.MethodPatch, "/api/v1/admins/" + id},
			{http.MethodDelete, "/api/v1/admins/" + id},
			{http.MethodGet, "/api/v1/tenants/" + id},
			{http.MethodPatch, "/api/v1/tenants/" + id},
			{http.MethodDelete, "/api/v1/tenants/" + id},
		} {
			var body any
			switch {
			case r.method != http.MethodPatch:
			case strings.Contains(r.path, "/admins/"):
				body = map[string]any{"admin_roles": []string{"superadmin"}}
			default:
				body = map[string]any{"name": "Renamed"}
			}
			name := r.method + " " + r.path
			if len(name) > 80 {
				name = name[:80]
			}
			status, code := nf, "not_found"
			if id == "%00" {
				// NUL never reaches a handler: the path itself is malformed.
				status, code = http.StatusBadRequest, "invalid_request"
			}
			cases = append(cases, biCase{name, request{method: r.method, path: r.path, body: body, token: tok}, status, code, ""})
		}
	}

	const bad, code = http.StatusBadRequest, "invalid_request"
	get := func(path string) request { return request{method: http.MethodGet, path: path, token: tok} }
	for _, list := range []string{"/api/v1/users", "/api/v1/admin-roles", "/api/v1/admins", "/api/v1/tenants"} {
		cases = append(cases,
			biCase{list + " limit=0", get(list + "?limit=0"), bad, code, "limit"},
			biCase{list + " limit=101", get(list + "?limit=101"), bad, code, "limit"},
			biCase{list + " limit=-1", get(list + "?limit=-1"), bad, code, "limit"},
			biCase{list + " limit=abc", get(list + "?limit=abc"), bad, code, "limit"},
			biCase{list + " page=0", get(list + "?page=0"), bad, code, "page"},
			biCase{list + " page=x", get(list + "?page=x"), bad, code, "page"},
			biCase{list + " order_by=bogus", get(list + "?order_by=bogus"), bad, code, "order_by"},
			biCase{list + " order_by=SQL", get(list + "?order_by=" + url.QueryEscape("name; DROP TABLE users")), bad, code, "order_by"},
			biCase{list + " order_by=password_hash", get(list + "?order_by=password_hash"), bad, code, "order_by"},
			biCase{list + " search too long", get(list + "?search=" + strings.Repeat("s", 201)), bad, code, "search"},
		)
	}
	cases = append(cases,
		biCase{"users status=bogus", get("/api/v1/users?status=bogus"), bad, code, "status"},
		biCase{"audit limit=0", get("/api/v1/audit-logs?limit=0"), bad, code, "limit"},
		biCase{"audit limit=101", get("/api/v1/audit-logs?limit=101"), bad, code, "limit"},
		biCase{"audit from=yesterday", get("/api/v1/audit-logs?from=yesterday"), bad, code, "from"},
	)
	biRun(t, h, tok, cases)

	// The system tenant itself is there, and the ids above did not touch it.
	h.get("/api/v1/tenants/"+systemID, tok).want(http.StatusOK)
	h.get("/api/v1/users/"+userID, tok).want(http.StatusOK)
}

func TestBadInputSizeAndMediaType(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	big := `{"email":"big@example.com","name":"` + strings.Repeat("x", 1<<20) + `"}`
	form := url.Values{"email": {"form@example.com"}, "name": {"Form"}, "password": {"Kq-a9462-c85a7"}}.Encode()
	biRun(t, h, tok, []biCase{
		{"body over 1 MiB", request{method: http.MethodPost, path: "/api/v1/users", body: big, token: tok}, http.StatusRequestEntityTooLarge, "request_too_large", ""},
		{"login body over 1 MiB", request{method: http.MethodPost, path: "/api/v1/auth/login", body: big}, http.StatusRequestEntityTooLarge, "request_too_large", ""},
		{"form-encoded body", request{method: http.MethodPost, path: "/api/v1/users", body: form, token: tok,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"form-encoded login", request{method: http.MethodPost, path: "/api/v1/auth/login", body: "email=admin%40example.com&password=admin-password-1",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"multipart body", request{method: http.MethodPost, path: "/api/v1/users", body: "--x\r\n\r\n--x--\r\n", token: tok,
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=x"}}, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
	})

	// A body over 1 MiB without a Content-Length (chunked) is refused too.
	t.Run("chunked body over 1 MiB", func(t *testing.T) {
		before := biState(biFor(h, t), tok)
		req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/api/v1/users", struct{ io.Reader }{strings.NewReader(big)})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := h.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		biWantError(&response{t: t, Status: res.StatusCode, Header: res.Header, Body: body}, http.StatusRequestEntityTooLarge, "request_too_large", "")
		if after := biState(biFor(h, t), tok); after != before {
			t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
		}
	})
	biWantHealthy(h)
}

// biSplit splits a JWT into its three parts.
func biSplit(t *testing.T, tok string) [3]string {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("not a compact JWT: %q", tok)
	}
	return [3]string{p[0], p[1], p[2]}
}

// biWantInvalidToken checks a 401 invalid_token with a Bearer challenge.
func biWantInvalidToken(r *response) {
	r.t.Helper()
	biWantError(r, http.StatusUnauthorized, "invalid_token", "")
	if ch := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
		r.t.Errorf("WWW-Authenticate %q, want a Bearer challenge", ch)
	}
}

func TestBadInputTokens(t *testing.T) {
	h := newHarness(t, nil)
	other := newHarness(t, nil)
	tok := h.admin()
	parts := biSplit(t, tok)

	payload := []byte(parts[1])
	i := len(payload) / 2
	if payload[i] == 'A' {
		payload[i] = 'B'
	} else {
		payload[i] = 'A'
	}
	tampered := parts[0] + "." + string(payload) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	// The real header with alg switched to HS256 (algorithm confusion).
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr map[string]any
	if err := json.Unmarshal(header, &hdr); err != nil {
		t.Fatal(err)
	}
	hdr["alg"] = "HS256"
	hs, _ := json.Marshal(hdr)
	hs256 := base64.RawURLEncoding.EncodeToString(hs) + "." + parts[1] + "." + parts[2]
	foreign := other.admin()
	// Claims decoded, changed and re-encoded under the original signature.
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var cm map[string]any
	if err := json.Unmarshal(claims, &cm); err != nil {
		t.Fatal(err)
	}
	cm["exp"] = float64(time.Now().Add(24 * time.Hour).Unix())
	cb, _ := json.Marshal(cm)
	extended := parts[0] + "." + base64.RawURLEncoding.EncodeToString(cb) + "." + parts[2]

	before := biState(h, tok)
	for _, tc := range []struct {
		name   string
		header string
	}{
		{"Basic", "Basic x"},
		{"Basic with real credentials", "Basic " + base64.StdEncoding.EncodeToString([]byte(adminEmail+":"+adminPassword))},
		{"Bearer with nothing", "Bearer"},
		{"Bearer with blanks", "Bearer    "},
		{"no scheme", tok},
		{"other scheme", "Token " + tok},
		{"garbage", "Bearer not-a-token"},
		{"two dots", "Bearer .."},
		{"tampered payload", "Bearer " + tampered},
		{"tampered signature", "Bearer " + parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))},
		{"no signature", "Bearer " + parts[0] + "." + parts[1] + "."},
		{"alg none", "Bearer " + none},
		{"alg HS256", "Bearer " + hs256},
		{"extended expiry", "Bearer " + extended},
		{"another instance", "Bearer " + foreign},
		{"two tokens", "Bearer " + tok + " " + tok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := biFor(h, t)
			for _, path := range []string{"/api/v1/users", "/api/v1/me"} {
				biWantInvalidToken(h.send(request{method: http.MethodGet, path: path, header: map[string]string{"Authorization": tc.header}}))
			}
			// A write with the bad token does not happen either.
			biWantInvalidToken(h.send(request{method: http.MethodPost, path: "/api/v1/users", header: map[string]string{"Authorization": tc.header},
				body: map[string]any{"email": "sneaky@example.com", "name": "Sneaky", "password": "Kq-08958-7efb3"}}))
			if after := biState(h, tok); after != before {
				t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	t.Run("no token", func(t *testing.T) {
		h := biFor(h, t)
		r := h.get("/api/v1/users", "")
		biWantError(r, http.StatusUnauthorized, "unauthenticated", "")
		if ch := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
			t.Errorf("WWW-Authenticate %q, want a Bearer challenge", ch)
		}
	})

	// The real token still works, and so does the other instance with its own.
	h.get("/api/v1/me", tok).want(http.StatusOK)
	other.get("/api/v1/me", foreign).want(http.StatusOK)
	biWantHealthy(h)
}

func TestBadInputExpiredToken(t *testing.T) {
	h := newHarness(t, nil)
	used := h.admin()
	h.get("/api/v1/me", used).want(http.StatusOK) // remembered as verified
	fresh := h.admin()                            // never presented before expiry
	h.clock.Advance(11 * time.Minute)
	for name, tok := range map[string]string{"used": used, "fresh": fresh} {
		t.Run(name, func(t *testing.T) {
			h := biFor(h, t)
			biWantInvalidToken(h.get("/api/v1/me", tok))
			biWantInvalidToken(h.get("/api/v1/users", tok))
		})
	}
	// A new login works: the server is fine and only the tokens expired.
	h.get("/api/v1/me", h.admin()).want(http.StatusOK)
	biWantHealthy(h)
}

func TestBadInputStoredLiterally(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	keep := h.createUser(tok, "keep@example.com", "Kq-028e0-54eeb")
	const sqlName = `x'); DROP TABLE users; --`
	const script = `<script>alert(1)</script>`

	type page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	list := func(t *testing.T, query string) page {
		t.Helper()
		var p page
		r := biFor(h, t).get("/api/v1/users?"+query, tok).want(http.StatusOK)
		r.Decode(&p)
		return p
	}

	t.Run("SQL in search", func(t *testing.T) {
		before := biState(biFor(h, t), tok)
		for _, s := range []string{sqlName, `' OR '1'='1`, `' OR 1=1 --`, `%`, `_`, `\`, `%' OR email LIKE '%`, `"; SELECT * FROM users; --`} {
			p := list(t, "search="+url.QueryEscape(s))
			if len(p.Data) != 0 || p.Total != 0 {
				t.Errorf("search %q found %d (total %d), want none", s, len(p.Data), p.Total)
			}
		}
		if after := biState(biFor(h, t), tok); after != before {
			t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
		}
		if p := list(t, ""); p.Total != 2 {
			t.Fatalf("users total %d after SQL searches, want 2", p.Total)
		}
	})

	for _, tc := range []struct {
		name, email, value string
	}{
		{"SQL fragment", "sql@example.com", sqlName},
		{"script fragment", "script@example.com", script},
		{"quotes and backslashes", "quotes@example.com", `a"b\c'd%e_f`},
		{"unicode", "unicode@example.com", "Zoë 山田 🙂 \u202e"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := biFor(h, t)
			r := h.post("/api/v1/users", tok, map[string]any{"email": tc.email, "name": tc.value, "password": "Kq-85b72-3215c"}).want(http.StatusCreated)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			created := r.JSON()
			if created["name"] != tc.value {
				t.Errorf("created name %q, want %q", created["name"], tc.value)
			}
			id := created["id"].(string)
			r = h.get("/api/v1/users/"+id, tok).want(http.StatusOK)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if got := r.JSON()["name"]; got != tc.value {
				t.Errorf("stored name %q, want %q", got, tc.value)
			}
			// The name travels as a JSON string, never spliced into the body.
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.value); err != nil {
				t.Fatal(err)
			}
			escaped, _ := json.Marshal(tc.value)
			if !bytes.Contains(r.Body, bytes.TrimSpace(buf.Bytes())) && !bytes.Contains(r.Body, escaped) {
				t.Errorf("body does not carry the JSON-encoded name: %s", r.Body)
			}
			p := list(t, "search="+url.QueryEscape(tc.value))
			if p.Total != 1 || len(p.Data) != 1 || p.Data[0]["id"] != id || p.Data[0]["name"] != tc.value {
				t.Errorf("search for the literal name: %+v", p)
			}
			// Renaming to the same literal is fine, too.
			if got := h.patch("/api/v1/users/"+keep, tok, map[string]any{"name": tc.value}).want(http.StatusOK).JSON()["name"]; got != tc.value {
				t.Errorf("patched name %q, want %q", got, tc.value)
			}
		})
	}

	t.Run("script in an error", func(t *testing.T) {
		h := biFor(h, t)
		r := h.post("/api/v1/users", tok, map[string]any{"email": script, "name": "x"})
		biWantError(r, http.StatusBadRequest, "invalid_request", "email")
	})

	// The users table is still there with everyone in it.
	if p := list(t, ""); p.Total != 6 {
		t.Fatalf("users total %d, want 6", p.Total)
	}
	h.login("sql@example.com", "Kq-85b72-3215c")
	biWantHealthy(h)
}

// TestBadInputHugePage: a page far past the end is empty (or refused), never
// another page's data. (page-1)*limit overflows int in iam.ListParams.Offset,
// the negative OFFSET is read by SQLite as 0 (and refused by PostgreSQL).
func TestBadInputHugePage(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	h.createUser(tok, "keep@example.com", "Kq-028e0-54eeb")
	for _, path := range []string{
		"/api/v1/users?page=1000000&limit=100",
		"/api/v1/users?page=922337203685477580&limit=20",
		"/api/v1/users?page=9223372036854775807&limit=100",
		"/api/v1/admin-roles?page=922337203685477580&limit=20",
		"/api/v1/tenants?page=922337203685477580&limit=20",
		"/api/v1/audit-logs?page=922337203685477580&limit=20",
	} {
		t.Run(path, func(t *testing.T) {
			h := biFor(h, t)
			r := h.get(path, tok)
			if r.Status == http.StatusBadRequest {
				biWantError(r, http.StatusBadRequest, "invalid_request", "page")
				return
			}
			var p struct {
				Data []map[string]any `json:"data"`
			}
			r.want(http.StatusOK).Decode(&p)
			if len(p.Data) != 0 {
				t.Errorf("GET %s answers %d items of the first page instead of an empty page or 400: iam.ListParams.Offset overflows", path, len(p.Data))
			}
		})
	}
	biWantHealthy(h)
}

// TestBadInputSearchNUL: no user can hold a NUL (names and emails refuse
// control characters), so a search containing one finds nobody.
func TestBadInputSearchNUL(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.admin()
	h.createUser(tok, "keep@example.com", "Kq-028e0-54eeb")
	for _, path := range []string{"/api/v1/users?search=%00no-such-user", "/api/v1/admins?search=%00no-such-admin"} {
		t.Run(path, func(t *testing.T) {
			h := biFor(h, t)
			r := h.get(path, tok)
			if r.Status == http.StatusBadRequest {
				biWantError(r, http.StatusBadRequest, "invalid_request", "search")
				return
			}
			var p struct {
				Data  []map[string]any `json:"data"`
				Total int              `json:"total"`
			}
			r.want(http.StatusOK).Decode(&p)
			if len(p.Data) != 0 || p.Total != 0 {
				t.Errorf("GET %s finds %d of %d users: the search pattern is cut at the NUL byte and matches everyone", path, len(p.Data), p.Total)
			}
		})
	}
	biWantHealthy(h)
}

func TestBadLinksAndMailInjection(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test"
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	register(h, "eve@example.com", goodPassword, "Eve\r\nBcc: everyone@example.com", nil).wantError(http.StatusBadRequest, "invalid_request")
	register(h, "eve@example.com\r\nBcc: x@example.com", goodPassword, "Eve", nil).wantError(http.StatusBadRequest, "invalid_request")
	register(h, "eve@example.com", goodPassword, "Eve", nil).want(http.StatusCreated)
	verify := h.linkToken(admin, "eve@example.com", "verify_email")
	h.post("/api/v1/auth/password/forgot", "", map[string]any{"email": "eve@example.com"}).want(http.StatusAccepted)
	reset := h.linkToken(admin, "eve@example.com", "password_reset")

	tampered := reset[:len(reset)-3] + "AAA"
	for name, req := range map[string]request{
		"a tampered reset token":   {method: "POST", path: "/api/v1/auth/password/reset", body: map[string]any{"token": tampered, "new_password": "harbor-violin-55-cedar"}},
		"a verify token as reset":  {method: "POST", path: "/api/v1/auth/password/reset", body: map[string]any{"token": verify, "new_password": "harbor-violin-55-cedar"}},
		"a reset token as verify":  {method: "POST", path: "/api/v1/auth/email/verify", body: map[string]any{"token": reset}},
		"a reset token as confirm": {method: "POST", path: "/api/v1/auth/email/confirm", body: map[string]any{"token": reset}},
		"an empty token":           {method: "POST", path: "/api/v1/auth/email/verify", body: map[string]any{"token": ""}},
	} {
		if r := h.send(req); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// Another tenant's link does nothing there.
	h.post("/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"}}).want(http.StatusCreated)
	h.send(request{method: "POST", path: "/api/v1/auth/password/reset", host: "b.example.com",
		body: map[string]any{"token": reset, "new_password": "harbor-violin-55-cedar"}}).wantError(http.StatusUnauthorized, "invalid_token")
	// The untouched link still works at home, once.
	h.post("/api/v1/auth/password/reset", "", map[string]any{"token": reset, "new_password": "harbor-violin-55-cedar"}).want(http.StatusNoContent)
}
