package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// nevisPath is the nevisIDM Authentication REST API path of a login.
func nevisPath(client, user, login string) string {
	return "/nevisidm/api/auth/v1/" + client + "/users/" + user + "/" + login + "/"
}

// wantNevisError fails unless the answer is nevisIDM's error shape with
// status, code and message.
func wantNevisError(t *testing.T, r *response, status int, code, message string) {
	t.Helper()
	r.want(status)
	var body struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	r.Decode(&body)
	if len(body.Errors) != 1 || body.Errors[0].Code != code || (message != "" && body.Errors[0].Message != message) {
		t.Fatalf("errors %+v, want one %s %q: %s", body.Errors, code, message, r.Body)
	}
}

func TestNevisIDMPaths(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test" // the system tenant
	admin := h.admin()
	var tenants struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/tenants", admin).want(http.StatusOK).Decode(&tenants)
	system := tenants.Data[0]["id"].(string)
	got := h.patch("/api/v1/tenants/"+system, admin, map[string]any{"external_id": "1000"}).want(http.StatusOK).JSON()
	if got["external_id"] != "1000" {
		t.Fatalf("tenant %v", got)
	}
	h.post("/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"}, "external_id": "1000"}).
		wantError(http.StatusConflict, "external_id_taken")
	h.post("/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"}, "external_id": "2000",
		"admin": map[string]any{"email": "b@example.com", "password": "Bq-71kdm-zzp02"}}).want(http.StatusCreated)
	var bAdmin tokens
	h.send(request{method: http.MethodPost, path: "/api/v1/auth/login", host: "b.example.com",
		body: map[string]any{"email": "b@example.com", "password": "Bq-71kdm-zzp02"}}).want(http.StatusOK).Decode(&bAdmin)
	h.send(request{method: http.MethodPost, path: "/api/v1/users", host: "b.example.com", token: bAdmin.AccessToken,
		body: map[string]any{"email": "bu@example.com", "name": "B", "password": "Bq-71kdm-zzp03", "external_id": "b-user"}}).
		want(http.StatusCreated)

	credentialUser(h, admin, "ada@example.com", "1234")
	h.post("/api/v1/users", admin, map[string]any{"email": "nopw@example.com", "name": "N", "external_id": "5678"}).want(http.StatusCreated)
	h.post("/api/v1/users/ext:1234/credentials", admin, map[string]any{"type": "device_password", "credential_ext_id": "laptop",
		"password": devicePassword}).want(http.StatusCreated)
	h.post("/api/v1/users/ext:1234/credentials", admin, map[string]any{"type": "context_password", "context": "shop",
		"password": devicePassword}).want(http.StatusCreated)

	ok := h.post(nevisPath("1000", "1234", "password/login"), admin, map[string]any{"password": "Rw-55pqm-zzt81"}).want(http.StatusOK)
	if body := strings.TrimSpace(string(ok.Body)); body != `{"statusCode":5,"description":"Login Ok"}` {
		t.Errorf("body %s", body)
	}
	wrong := h.post(nevisPath("1000", "1234", "password/login"), admin, map[string]any{"password": "nope"}).want(http.StatusOK).JSON()
	if wrong["statusCode"] != float64(2) || wrong["description"] != "Failed" {
		t.Errorf("wrong password answered %v", wrong)
	}
	for path, body := range map[string]map[string]any{
		nevisPath("1000", "1234", "device-password/login"):                           {"password": devicePassword, "credentialExtId": "laptop"},
		nevisPath("1000", "1234", "context-password/login"):                          {"password": devicePassword, "context": "shop"},
		strings.TrimSuffix(nevisPath("1000", "1234", "context-password/login"), "/"): {"password": devicePassword, "context": "shop"},
		strings.TrimSuffix(nevisPath("1000", "1234", "password/login"), "/"):         {"password": "Rw-55pqm-zzt81"},
		strings.TrimSuffix(nevisPath("1000", "1234", "device-password/login"), "/"):  {"password": devicePassword, "credentialExtId": "laptop"},
	} {
		if m := h.post(path, admin, body).want(http.StatusOK).JSON(); m["statusCode"] != float64(5) {
			t.Errorf("%s answered %v", path, m)
		}
	}

	wantNevisError(t, h.post(nevisPath("1000", "nope", "password/login"), admin, map[string]any{"password": "x"}),
		http.StatusNotFound, "errors.noRecord", "There is no user with external identifier 'nope' in client '1000'")
	wantNevisError(t, h.post(nevisPath("1000", "5678", "password/login"), admin, map[string]any{"password": "x"}),
		http.StatusNotFound, "errors.noRecord", "No password credential defined for user '5678'")
	wantNevisError(t, h.post(nevisPath("1000", "b-user", "password/login"), admin, map[string]any{"password": "x"}),
		http.StatusNotFound, "errors.noRecord", "There is no user with external identifier 'b-user' in client '1000'")
	wantNevisError(t, h.post(nevisPath("1000", "1234", "recovery-codes/login"), admin, map[string]any{"code": "abcd-efgh-1234-5678"}),
		http.StatusNotFound, "errors.noRecord", "No recovery code credential defined for user '1234'")

	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/users/ext:1234/credentials?type=password", admin).want(http.StatusOK).Decode(&page)
	h.patch("/api/v1/users/ext:1234/credentials/"+page.Data[0]["id"].(string), admin, map[string]any{"state": "disabled"}).want(http.StatusOK)
	wantNevisError(t, h.post(nevisPath("1000", "1234", "password/login"), admin, map[string]any{"password": "Rw-55pqm-zzt81"}),
		http.StatusUnprocessableEntity, "errors.credentialNotActive", "The password credential is not active (current state 'disabled') of user '1234'")

	// A client the token does not belong to answers as an unknown one.
	unknown := "There is no client with external identifier '9999'"
	wantNevisError(t, h.post(nevisPath("9999", "1234", "password/login"), admin, map[string]any{"password": "x"}),
		http.StatusNotFound, "errors.noRecord", unknown)
	wantNevisError(t, h.post(nevisPath("2000", "b-user", "password/login"), admin, map[string]any{"password": "Bq-71kdm-zzp03"}),
		http.StatusNotFound, "errors.noRecord", "There is no client with external identifier '2000'")
	wantNevisError(t, h.post(nevisPath("1000", "1234", "password/login"), bAdmin.AccessToken, map[string]any{"password": "x"}),
		http.StatusNotFound, "errors.noRecord", "There is no client with external identifier '1000'")
	wantNevisError(t, h.post(nevisPath("1000", "1234", "password/login"), "not-a-token", map[string]any{"password": "x"}),
		http.StatusNotFound, "errors.noRecord", "There is no client with external identifier '1000'")
	// Its own client answers B's admin.
	m := h.post(nevisPath("2000", "b-user", "password/login"), bAdmin.AccessToken, map[string]any{"password": "Bq-71kdm-zzp03"}).
		want(http.StatusOK).JSON()
	if m["statusCode"] != float64(5) {
		t.Errorf("B's own client answered %v", m)
	}

	wantNevisError(t, h.post(nevisPath("1000", "1234", "password/login"), "", map[string]any{"password": "x"}),
		http.StatusUnauthorized, "errors.unauthorized", "")
	h.createUser(admin, "plain@example.com", "Pl-19kdm-qq7x1")
	plain := h.login("plain@example.com", "Pl-19kdm-qq7x1").AccessToken
	wantNevisError(t, h.post(nevisPath("1000", "1234", "password/login"), plain, map[string]any{"password": "x"}),
		http.StatusForbidden, "errors.forbidden", "")

	for name, body := range map[string]any{
		"not JSON":                     "password=x",
		"an unknown field":             map[string]any{"password": "x", "user": "y"},
		"two objects":                  `{"password":"x"}{"password":"y"}`,
		"a number for the password":    map[string]any{"password": 5},
		"an empty password":            map[string]any{"password": ""},
		"a device password without id": map[string]any{"password": "x"},
	} {
		path := nevisPath("1000", "1234", "password/login")
		if name == "a device password without id" {
			path = nevisPath("1000", "1234", "device-password/login")
		}
		wantNevisError(t, h.send(request{method: http.MethodPost, path: path, token: admin, body: body}),
			http.StatusBadRequest, "errors.invalidRequest", "")
	}
	for _, code := range []string{"abcd efgh 1234 5678", "abcd-efgh-1234", "ABCD-EFGH-1234-567!", ""} {
		wantNevisError(t, h.post(nevisPath("1000", "1234", "recovery-codes/login"), admin, map[string]any{"code": code}),
			http.StatusBadRequest, "errors.invalidRequest", "")
	}
	wantNevisError(t, h.post("/nevisidm/api/auth/v1/1000/users/1234/otp/login/", admin, map[string]any{}),
		http.StatusNotFound, "errors.noRecord", "")

	refused := 0
	for _, e := range h.auditEvents(admin, "action=credential.verify") {
		if d, _ := e["details"].(map[string]any); d["reason"] == "caller_not_in_client" {
			refused++
		}
	}
	if refused < 2 {
		t.Errorf("%d refused callers audited in the system tenant, want 2", refused)
	}
}

// The nevisIDM surface takes what REST takes, no more: an over-long user
// or field is refused by the service, and no audit event carries it whole
// (found by a review; REST's limits lived only in its schema).
func TestNevisIDMBoundsItsInput(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test"
	admin := h.admin()
	var tenants struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/tenants", admin).want(http.StatusOK).Decode(&tenants)
	h.patch("/api/v1/tenants/"+tenants.Data[0]["id"].(string), admin, map[string]any{"external_id": "1000"}).want(http.StatusOK)
	credentialUser(h, admin, "ada@example.com", "1234")
	for _, c := range []struct {
		user string
		body map[string]any
	}{
		{strings.Repeat("u", 50_000), map[string]any{"password": "x"}},
		{"1234", map[string]any{"password": strings.Repeat("p", 20_000)}},
	} {
		if res := h.post(nevisPath("1000", c.user, "password/login"), admin, c.body); res.Status != http.StatusBadRequest {
			t.Errorf("an over-long user or password: %d %.200s", res.Status, res.Body)
		}
	}
	for _, e := range h.auditEvents(admin, "action=credential.verify") {
		if d, _ := e["details"].(map[string]any); len(fmt.Sprint(d["user"])) > 300 {
			t.Errorf("an audited attempt names a user of %d bytes", len(fmt.Sprint(d["user"])))
		}
	}
}
