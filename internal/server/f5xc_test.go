package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const f5 = "/api/web/namespaces/"

// wantF5Error fails unless r is F5 XC's error shape with status and gRPC code.
func wantF5Error(r *response, status int, code float64) map[string]any {
	r.t.Helper()
	r.want(status)
	m := r.JSON()
	if m["code"] != code {
		r.t.Fatalf("code %v, want %v: %s", m["code"], code, r.Body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		r.t.Fatalf("no message: %s", r.Body)
	}
	if _, ok := m["details"].([]any); !ok {
		r.t.Fatalf("details not a list: %s", r.Body)
	}
	return m
}

func TestF5APICredentials(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/organizations", admin, map[string]any{"name": "Acme", "alias": "acme"}).want(http.StatusCreated)
	apiToken := func(tok string) map[string]string { return map[string]string{"Authorization": "APIToken " + tok} }

	wantF5Error(h.get(f5+"system/api_credentials", ""), http.StatusUnauthorized, 16)
	wantF5Error(h.get(f5+"system/api_credentials", "gtapi_nonsense"), http.StatusUnauthorized, 16)
	wantF5Error(h.get(f5+"nowhere/api_credentials", admin), http.StatusNotFound, 5)
	wantF5Error(h.get(f5+"system/nope", admin), http.StatusNotFound, 5)
	wantF5Error(h.post(f5+"system/api_credentials", admin, map[string]any{"name": "k", "spec": map[string]any{"type": "KUBE_CONFIG"}}),
		http.StatusBadRequest, 3)
	wantF5Error(h.post(f5+"system/api_credentials", admin, map[string]any{"name": "k", "bogus": 1}), http.StatusBadRequest, 3)

	var created struct {
		Name                string `json:"name"`
		Data                string `json:"data"`
		Active              bool   `json:"active"`
		ExpirationTimestamp string `json:"expiration_timestamp"`
	}
	h.post(f5+"system/api_credentials", admin, map[string]any{"name": "ci", "spec": map[string]any{"type": "API_TOKEN"}, "expiration_days": 10}).
		want(http.StatusOK).Decode(&created)
	exp, err := time.Parse(time.RFC3339Nano, created.ExpirationTimestamp)
	if err != nil || created.Name != "ci" || !created.Active || !strings.HasPrefix(created.Data, "gtapi_") ||
		!exp.Equal(h.clock.Now().Add(240*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("created %+v (%v)", created, err)
	}
	wantF5Error(h.post(f5+"system/api_credentials", admin, map[string]any{"name": "ci"}), http.StatusConflict, 6)
	// The same name in another namespace is another object.
	h.post(f5+"acme/api_credentials", admin, map[string]any{"name": "ci", "namespace": "acme"}).want(http.StatusOK)
	wantF5Error(h.post(f5+"acme/api_credentials", admin, map[string]any{"name": "x", "namespace": "system"}), http.StatusBadRequest, 3)

	// The secret authenticates with F5's scheme and as a bearer token.
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.send(request{method: "GET", path: f5 + "system/api_credentials", header: apiToken(created.Data)}).want(http.StatusOK).Decode(&list)
	if len(list.Items) != 1 || list.Items[0]["name"] != "ci" || list.Items[0]["namespace"] != "system" || list.Items[0]["type"] != "API_TOKEN" {
		t.Fatalf("system list %v", list.Items)
	}
	h.get("/api/v1/users", created.Data).want(http.StatusOK)
	var got struct {
		Object struct {
			Metadata map[string]any `json:"metadata"`
			Spec     struct {
				GCSpec map[string]any `json:"gc_spec"`
			} `json:"spec"`
		} `json:"object"`
	}
	h.get(f5+"system/api_credentials/ci", admin).want(http.StatusOK).Decode(&got)
	if got.Object.Metadata["name"] != "ci" || got.Object.Spec.GCSpec["active"] != true || got.Object.Spec.GCSpec["type"] != "API_TOKEN" {
		t.Fatalf("get %+v", got)
	}
	wantF5Error(h.get(f5+"system/api_credentials/nope", admin), http.StatusNotFound, 5)

	status := func(path string, body map[string]any) {
		t.Helper()
		if h.post(path, admin, body).want(http.StatusOK).JSON()["status"] != true {
			t.Fatalf("%s: status not true", path)
		}
	}
	status(f5+"system/renew/api_credentials", map[string]any{"name": "ci", "namespace": "system", "expiration_days": 30})
	status(f5+"system/revoke/api_credentials", map[string]any{"name": "ci", "namespace": "system"})
	wantF5Error(h.send(request{method: "GET", path: f5 + "system/api_credentials", header: apiToken(created.Data)}), http.StatusUnauthorized, 16)
	wantF5Error(h.post(f5+"system/renew/api_credentials", admin, map[string]any{"name": "ci"}), http.StatusConflict, 9)
	wantF5Error(h.post(f5+"system/activate/api_credentials", admin, map[string]any{"name": "nope"}), http.StatusNotFound, 5)

	h.post(f5+"system/api_credentials", admin, map[string]any{"name": "a"}).want(http.StatusOK)
	h.post(f5+"system/api_credentials", admin, map[string]any{"name": "b"}).want(http.StatusOK)
	var bulk struct {
		Marked []string `json:"credentials_marked_for_deletion"`
		Failed []string `json:"credentials_failed"`
		Error  string   `json:"error_message"`
	}
	h.post(f5+"system/bulk_revoke/api_credentials", admin, map[string]any{"names": []string{"a", "b", "ghost"}}).want(http.StatusOK).Decode(&bulk)
	slices.Sort(bulk.Marked)
	if !slices.Equal(bulk.Marked, []string{"a", "b"}) || !slices.Equal(bulk.Failed, []string{"ghost"}) || bulk.Error == "" {
		t.Fatalf("bulk revoke %+v", bulk)
	}
	wantF5Error(h.post(f5+"system/bulk_revoke/api_credentials", admin, map[string]any{"names": []string{}}), http.StatusBadRequest, 3)
	if events := h.auditEvents(admin, "action=api_credential.bulk_revoked"); len(events) != 1 {
		t.Fatalf("%d bulk_revoked events, want 1", len(events))
	}
}

func TestF5ServiceCredentials(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	robot := h.createServiceAccount(admin, "robot")
	var created struct {
		Name string `json:"name"`
		Data string `json:"data"`
	}
	h.post(f5+"system/service_credentials", admin, map[string]any{"name": "svc", "namespace": "system", "type": "SERVICE_API_TOKEN",
		"service_account_id": robot, "expiration_days": 5}).want(http.StatusOK).Decode(&created)
	if !strings.HasPrefix(created.Data, "gtsvc_") {
		t.Fatalf("created %+v", created)
	}
	wantF5Error(h.post(f5+"system/service_credentials", admin, map[string]any{"name": "svc2", "type": "API_TOKEN", "service_account_id": robot}),
		http.StatusBadRequest, 3)
	got := h.get(f5+"system/service_credentials/svc", created.Data).want(http.StatusOK).JSON()
	if got["name"] != "svc" || got["type"] != "SERVICE_API_TOKEN" || got["active"] != true {
		t.Fatalf("get %v", got)
	}
	var replaced struct {
		Name                string `json:"name"`
		Active              bool   `json:"active"`
		ExpirationTimestamp string `json:"expiration_timestamp"`
	}
	h.send(request{method: http.MethodPut, path: f5 + "system/service_credentials/svc", token: admin,
		body: map[string]any{"name": "svc", "namespace": "system", "expiration_days": 20}}).want(http.StatusOK).Decode(&replaced)
	if exp, _ := time.Parse(time.RFC3339Nano, replaced.ExpirationTimestamp); !replaced.Active || !exp.Equal(h.clock.Now().Add(480*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("replaced %+v", replaced)
	}
	if h.post(f5+"system/revoke/service_credentials", admin, map[string]any{"name": "svc"}).want(http.StatusOK).JSON()["status"] != true {
		t.Fatal("revoke status not true")
	}
	wantF5Error(h.get(f5+"system/service_credentials", created.Data), http.StatusUnauthorized, 16)
}

func TestF5SCIMToken(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/organizations", admin, map[string]any{"name": "Acme", "alias": "acme"}).want(http.StatusCreated)
	h.createUser(admin, "bob@example.com", "Kq-5b775-e62f9")
	bob := h.login("bob@example.com", "Kq-5b775-e62f9").AccessToken

	wantF5Error(h.get(f5+"system/scim_token", admin), http.StatusNotFound, 5)
	wantF5Error(h.post(f5+"system/scim_token", bob, map[string]any{}), http.StatusForbidden, 7)
	wantF5Error(h.post(f5+"acme/scim_token", admin, map[string]any{}), http.StatusNotFound, 5)
	for _, days := range []int{-1, 1831, 106752, 1 << 40} {
		h.post(f5+"system/scim_token", admin, map[string]any{"namespace": "system", "expiration_days": days}).want(http.StatusBadRequest)
	}
	var created struct {
		Name                string `json:"name"`
		Data                string `json:"data"`
		Active              bool   `json:"active"`
		ExpirationTimestamp string `json:"expiration_timestamp"`
	}
	h.post(f5+"system/scim_token", admin, map[string]any{"namespace": "system", "expiration_days": 30}).want(http.StatusOK).Decode(&created)
	exp, err := time.Parse(time.RFC3339Nano, created.ExpirationTimestamp)
	if err != nil || !strings.HasPrefix(created.Data, "gtscim_") || !created.Active || !exp.Equal(h.clock.Now().Add(720*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("created %+v (%v)", created, err)
	}
	var got struct {
		Object struct {
			Spec struct {
				GCSpec map[string]any `json:"gc_spec"`
			} `json:"spec"`
		} `json:"object"`
	}
	h.get(f5+"system/scim_token", admin).want(http.StatusOK).Decode(&got)
	if got.Object.Spec.GCSpec["type"] != "SCIM_API_TOKEN" || got.Object.Spec.GCSpec["expiration_timestamp"] != created.ExpirationTimestamp {
		t.Fatalf("get %+v", got)
	}
	if h.post(f5+"system/revoke/scim_token", admin, map[string]any{"namespace": "system"}).want(http.StatusOK).JSON()["status"] != true {
		t.Fatal("revoke status not true")
	}
	wantF5Error(h.post(f5+"system/revoke/scim_token", admin, map[string]any{}), http.StatusNotFound, 5)
}

// F5 XC revokes by names: a bulk revocation naming none revokes nothing,
// not every credential of the namespace; and service_account_id names a
// service credential's owner only, never another user's API credential
// (both found by a review).
func TestF5NamesWhatItRevokesAndOwns(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/organizations", admin, map[string]any{"name": "Acme", "alias": "acme"}).want(http.StatusCreated)
	for _, n := range []string{"a", "b", "c"} {
		h.post(f5+"acme/api_credentials", admin, map[string]any{"name": n}).want(http.StatusOK)
	}
	for _, body := range []map[string]any{{"names": []string{}, "namespace": "acme"}, {"namespace": "acme"}} {
		if r := h.post(f5+"system/bulk_revoke/api_credentials", admin, body); r.Status != http.StatusBadRequest {
			t.Errorf("bulk revoke %v: %d %s", body, r.Status, r.Body)
		}
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.get(f5+"acme/api_credentials", admin).want(http.StatusOK).Decode(&list)
	if len(list.Items) != 3 {
		t.Fatalf("acme's credentials: %v", list.Items)
	}
	for _, it := range list.Items {
		if it["active"] != true {
			t.Errorf("credential %v revoked by a bulk revocation naming none", it["name"])
		}
	}
	bob := h.createUser(admin, "bob@example.com", "Kq-5b775-e62f9")
	if r := h.post(f5+"system/api_credentials", admin, map[string]any{"name": "for-bob", "service_account_id": bob}); r.Status != http.StatusBadRequest {
		t.Errorf("an API credential for user bob through service_account_id: %d %s", r.Status, r.Body)
	}
}

// The seed surfaces take keys as REST does, spelled exactly: encoding/json
// alone took {"NAME": …} for {"name": …} (found by a review).
func TestSeedSurfacesRefuseKeysInAnotherCase(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = "gatehouse.test"
	admin := h.admin()
	for _, body := range []map[string]any{
		{"NAME": "ci", "Expiration_Days": 3},
		{"name": "ci", "spec": map[string]any{"Type": "API_TOKEN"}},
		{"ſpec": map[string]any{"type": "API_TOKEN"}, "name": "ci"},
	} {
		if r := h.post(f5+"system/api_credentials", admin, body); r.Status != http.StatusBadRequest {
			t.Errorf("F5 create with %v: %d %s", body, r.Status, r.Body)
		}
	}
	var tenants struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/tenants", admin).want(http.StatusOK).Decode(&tenants)
	h.patch("/api/v1/tenants/"+tenants.Data[0]["id"].(string), admin, map[string]any{"external_id": "1000"}).want(http.StatusOK)
	credentialUser(h, admin, "ada@example.com", "1234")
	if r := h.post(nevisPath("1000", "1234", "password/login"), admin, map[string]any{"Password": "Rw-55pqm-zzt81"}); r.Status != http.StatusBadRequest {
		t.Errorf("nevisIDM login with {\"Password\"}: %d %s", r.Status, r.Body)
	}
	h.post(nevisPath("1000", "1234", "password/login"), admin, map[string]any{"password": "Rw-55pqm-zzt81"}).want(http.StatusOK)
	h.post(f5+"system/api_credentials", admin, map[string]any{"name": "ci", "spec": map[string]any{"type": "API_TOKEN"}}).want(http.StatusOK)
}
