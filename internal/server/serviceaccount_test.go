package server_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// createServiceAccount creates a service account and returns its id.
func (h *harness) createServiceAccount(token, name string) string {
	h.t.Helper()
	return h.post("/api/v1/service-accounts", token, map[string]any{"name": name}).want(http.StatusCreated).JSON()["id"].(string)
}

// accountSecret creates a client secret for the account and returns it.
func (h *harness) accountSecret(token, accountID string, body map[string]any) (keyID, secret string) {
	h.t.Helper()
	if body == nil {
		body = map[string]any{"type": "secret"}
	}
	m := h.post("/api/v1/service-accounts/"+accountID+"/keys", token, body).want(http.StatusCreated).JSON()
	return m["key_id"].(string), m["client_secret"].(string)
}

func (h *harness) put(path, token string, body any) *response {
	h.t.Helper()
	return h.send(request{method: http.MethodPut, path: path, token: token, body: body})
}

func TestServiceAccountLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/organizations", admin, map[string]any{"name": "Acme", "alias": "acme"}).want(http.StatusCreated)

	res := h.post("/api/v1/service-accounts", admin, map[string]any{"name": " billing-sync ", "description": "Pushes invoices", "organization_id": "acme"}).
		want(http.StatusCreated)
	a := res.JSON()
	id := a["id"].(string)
	if res.Header.Get("ETag") != `"1"` || a["name"] != "billing-sync" || a["organization_id"] == nil ||
		a["client_id"] != "sa_"+strings.ReplaceAll(id, "-", "") {
		t.Fatalf("created %v, ETag %s", a, res.Header.Get("ETag"))
	}
	h.createServiceAccount(admin, "deploy")
	h.post("/api/v1/service-accounts", admin, map[string]any{"name": "deploy"}).wantError(http.StatusConflict, "name_taken")
	for _, body := range []map[string]any{{"name": ""}, {"name": "x\u0007"}, {"name": "x", "organization_id": "nowhere"}} {
		h.post("/api/v1/service-accounts", admin, body).wantError(http.StatusBadRequest, "invalid_request")
	}

	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	h.get("/api/v1/service-accounts?order_by=-name", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 2 || page.Data[0]["name"] != "deploy" {
		t.Errorf("list by -name = %v", page.Data)
	}
	h.get("/api/v1/service-accounts?organization_id=acme", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0]["id"] != id {
		t.Errorf("acme's accounts = %v", page.Data)
	}
	h.get("/api/v1/service-accounts?search=BILL", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 {
		t.Errorf("search = %v", page.Data)
	}

	h.send(request{method: http.MethodPatch, path: "/api/v1/service-accounts/" + id, token: admin, body: map[string]any{"description": "x"},
		header: map[string]string{"If-Match": `"7"`}}).wantError(http.StatusPreconditionFailed, "precondition_failed")
	up := h.send(request{method: http.MethodPatch, path: "/api/v1/service-accounts/" + id, token: admin, body: map[string]any{"description": "Renamed"},
		header: map[string]string{"If-Match": `"1"`}}).want(http.StatusOK)
	if up.Header.Get("ETag") != `"2"` || up.JSON()["description"] != "Renamed" {
		t.Errorf("update: ETag %s, %s", up.Header.Get("ETag"), up.Body)
	}
	h.get("/api/v1/service-accounts/"+someID, admin).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/service-accounts/not-a-uuid", admin).wantError(http.StatusNotFound, "not_found")

	_, secret := h.accountSecret(admin, id, nil)
	h.delete("/api/v1/service-accounts/"+id, admin).want(http.StatusNoContent)
	h.get("/api/v1/service-accounts/"+id, admin).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/me", secret).wantError(http.StatusUnauthorized, "invalid_token")
	events := h.auditEvents(admin, "target_id="+id)
	var actions []string
	for _, e := range events {
		actions = append(actions, e["action"].(string))
	}
	for _, want := range []string{"service_account.created", "service_account.updated", "service_account.deleted"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit of the account = %v, want %s", actions, want)
		}
	}
}

func TestServiceAccountSecretsSignIn(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	id := h.createServiceAccount(admin, "robot")
	role := h.post("/api/v1/admin-roles", admin, map[string]any{"name": "readers", "permissions": []string{"users.read"}}).want(http.StatusCreated).JSON()
	h.put("/api/v1/service-accounts/"+id+"/admin-roles", admin, map[string]any{"admin_roles": []string{"readers"}}).want(http.StatusOK)

	created := h.post("/api/v1/service-accounts/"+id+"/keys", admin, map[string]any{"type": "secret"}).want(http.StatusCreated).JSON()
	secret, keyID := created["client_secret"].(string), created["key_id"].(string)
	if !strings.HasPrefix(secret, "gtcli_") || created["client_id"] != "sa_"+strings.ReplaceAll(id, "-", "") ||
		!strings.HasPrefix(secret, created["display"].(string)) {
		t.Fatalf("created key %v", created)
	}
	keys := h.get("/api/v1/service-accounts/"+id+"/keys", admin).want(http.StatusOK)
	if strings.Contains(string(keys.Body), secret) || strings.Contains(string(keys.Body), "client_secret") {
		t.Errorf("the key list shows the secret: %s", keys.Body)
	}

	// The secret is a bearer token holding the account's admin roles.
	h.get("/api/v1/users", secret).want(http.StatusOK)
	h.post("/api/v1/users", secret, bodyFor("POST", "/api/v1/users")).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/admin-roles/"+role["id"].(string), admin, map[string]any{"permissions": []string{"users.*"}}).want(http.StatusOK)
	h.post("/api/v1/users", secret, bodyFor("POST", "/api/v1/users")).want(http.StatusCreated)
	events := h.auditEvents(admin, "action=user.created")
	if len(events) == 0 || jsonString(events[0]["actor"]) != jsonString(map[string]any{"type": "service_account", "id": id}) {
		t.Errorf("user.created actor = %v, want the service account", events[0]["actor"])
	}
	listed := h.get("/api/v1/service-accounts/"+id+"/keys", admin).want(http.StatusOK).JSON()["data"].([]any)
	if listed[0].(map[string]any)["last_used_at"] == nil {
		t.Error("last_used_at not set after a use")
	}

	// Malformed, mistyped and unknown secrets are refused alike.
	swap := "A"
	if strings.HasSuffix(secret, swap) {
		swap = "B"
	}
	typo := secret[:len(secret)-1] + swap
	for _, bad := range []string{typo, "gtcli_" + strings.Repeat("A", 49), secret + "x"} {
		h.get("/api/v1/me", bad).wantError(http.StatusUnauthorized, "invalid_token")
	}

	h.delete("/api/v1/service-accounts/"+id+"/keys/"+keyID, admin).want(http.StatusNoContent)
	h.delete("/api/v1/service-accounts/"+id+"/keys/"+keyID, admin).wantError(http.StatusUnprocessableEntity, "state_conflict")
	h.get("/api/v1/users", secret).wantError(http.StatusUnauthorized, "invalid_token")
	rejected := h.auditEvents(admin, "action=service_account.key_rejected")
	if len(rejected) != 1 || jsonString(rejected[0]["actor"]) != jsonString(map[string]any{"type": "service_account", "id": id}) ||
		rejected[0]["result"] != "failure" {
		t.Errorf("key_rejected events = %v", rejected)
	}

	// An expired key stops working when it expires.
	_, short := h.accountSecret(admin, id, map[string]any{"type": "secret", "expires_at": h.clock.Now().Add(time.Hour)})
	h.get("/api/v1/users", short).want(http.StatusOK)
	h.clock.Advance(time.Hour)
	h.get("/api/v1/users", short).wantError(http.StatusUnauthorized, "invalid_token")
	admin = h.admin() // the earlier access token has expired too
	h.post("/api/v1/service-accounts/"+id+"/keys", admin, map[string]any{"type": "secret", "expires_at": h.clock.Now().Add(-time.Minute)}).
		wantError(http.StatusBadRequest, "invalid_request")
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// der returns what a marshalling answers, failing the test on its error.
func der(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func TestServiceAccountPublicKeys(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	id := h.createServiceAccount(admin, "robot")
	keys := "/api/v1/service-accounts/" + id + "/keys"

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPEM := pemOf("PUBLIC KEY", der(t)(x509.MarshalPKIXPublicKey(ec.Public())))
	m := h.post(keys, admin, map[string]any{"type": "public_key", "public_key_pem": ecPEM}).want(http.StatusCreated).JSON()
	if m["algorithm"] != "ES256" || m["type"] != "public_key" || m["client_secret"] != nil || !strings.HasPrefix(m["display"].(string), "SHA256:") {
		t.Errorf("registered key %v", m)
	}

	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	for name, text := range map[string]string{
		"RSA of 1024 bits":  pemOf("PUBLIC KEY", der(t)(x509.MarshalPKIXPublicKey(weak.Public()))),
		"EC on P-521":       pemOf("PUBLIC KEY", der(t)(x509.MarshalPKIXPublicKey(p521.Public()))),
		"a private key":     pemOf("PRIVATE KEY", der(t)(x509.MarshalPKCS8PrivateKey(ec))),
		"an EC private key": pemOf("EC PRIVATE KEY", der(t)(x509.MarshalECPrivateKey(ec))),
		"not PEM":           "hello",
		"two blocks":        ecPEM + ecPEM,
		"a certificate":     strings.ReplaceAll(ecPEM, "PUBLIC KEY", "CERTIFICATE"),
		"broken DER":        pemOf("PUBLIC KEY", []byte{0x30, 0x01}),
	} {
		e := h.post(keys, admin, map[string]any{"type": "public_key", "public_key_pem": text}).wantError(http.StatusBadRequest, "invalid_request")
		if !strings.Contains(jsonString(e["details"]), "public_key_pem") {
			t.Errorf("%s: details %v do not name public_key_pem", name, e["details"])
		}
	}
	h.post(keys, admin, map[string]any{"type": "generated", "algorithm": "HS256"}).wantError(http.StatusBadRequest, "invalid_request")

	for _, alg := range []string{"ES256", "RS256"} {
		g := h.post(keys, admin, map[string]any{"type": "generated", "algorithm": alg}).want(http.StatusCreated).JSON()
		block, _ := pem.Decode([]byte(g["private_key_pem"].(string)))
		if block == nil || block.Type != "PRIVATE KEY" {
			t.Fatalf("%s: private_key_pem %v", alg, g["private_key_pem"])
		}
		priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKIXPublicKey(priv.(crypto.Signer).Public())
		if g["public_key_pem"] != string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})) || g["algorithm"] != alg {
			t.Errorf("%s: the stored public key is not the generated one's", alg)
		}
	}
	listed := h.get(keys, admin).want(http.StatusOK)
	if strings.Contains(string(listed.Body), "PRIVATE KEY") {
		t.Error("the key list shows a private key")
	}

	// What the OAuth provider will call, at the account's tenant.
	tn, err := h.srv.SystemTenant(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx := iam.WithTenant(t.Context(), tn)
	clientID := m["client_id"].(string)
	acc, pubs, err := h.srv.ServiceAccounts().PublicKeys(ctx, clientID)
	if err != nil || acc.ID != id || len(pubs) != 3 {
		t.Fatalf("PublicKeys = %v, %d keys, %v; want 3 keys of %s", acc, len(pubs), err, id)
	}
	h.delete(keys+"/"+m["key_id"].(string), admin).want(http.StatusNoContent)
	if _, pubs, err = h.srv.ServiceAccounts().PublicKeys(ctx, clientID); err != nil || len(pubs) != 2 {
		t.Errorf("PublicKeys after a revocation = %d keys, %v; want 2", len(pubs), err)
	}
	_, secret := h.accountSecret(admin, id, nil)
	if a, err := h.srv.ServiceAccounts().VerifyClientSecret(ctx, clientID, secret); err != nil || a.ID != id {
		t.Errorf("VerifyClientSecret = %v, %v", a, err)
	}
	other := h.createServiceAccount(admin, "other")
	otherClient := h.get("/api/v1/service-accounts/"+other, admin).JSON()["client_id"].(string)
	for name, call := range map[string][2]string{
		"another client's id": {otherClient, secret},
		"a wrong secret":      {clientID, secret[:len(secret)-2] + "00"},
		"no secret":           {clientID, ""},
	} {
		if _, err := h.srv.ServiceAccounts().VerifyClientSecret(ctx, call[0], call[1]); !iam.IsCode(err, iam.CodeInvalidCredentials) {
			t.Errorf("VerifyClientSecret with %s = %v, want invalid_credentials", name, err)
		}
	}
}

func TestServiceAccountsCannotRaiseAnyone(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	limited, _ := limitedAdmin(t, h, super, "sa-admin@example.com", "service_accounts.read", "service_accounts.write", "admins.manage", "users.read")
	mine := h.createServiceAccount(limited, "mine")
	h.put("/api/v1/service-accounts/"+mine+"/admin-roles", limited, map[string]any{"admin_roles": []string{"superadmin"}}).
		wantError(http.StatusForbidden, "forbidden")
	// An account holding more than the caller is out of the caller's reach:
	// a key of it would act with its roles.
	strong := h.createServiceAccount(super, "strong")
	h.put("/api/v1/service-accounts/"+strong+"/admin-roles", super, map[string]any{"admin_roles": []string{"superadmin"}}).want(http.StatusOK)
	h.post("/api/v1/service-accounts/"+strong+"/keys", limited, map[string]any{"type": "secret"}).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/service-accounts/"+strong, limited, map[string]any{"name": "mine now"}).wantError(http.StatusForbidden, "forbidden")
	h.delete("/api/v1/service-accounts/"+strong, limited).wantError(http.StatusForbidden, "forbidden")
	h.put("/api/v1/service-accounts/"+strong+"/admin-roles", limited, map[string]any{"admin_roles": []string{}}).wantError(http.StatusForbidden, "forbidden")
	// Its own account with what it holds itself is fine.
	h.post("/api/v1/admin-roles", super, map[string]any{"name": "readers", "permissions": []string{"users.read"}}).want(http.StatusCreated)
	h.put("/api/v1/service-accounts/"+mine+"/admin-roles", limited, map[string]any{"admin_roles": []string{"readers"}}).want(http.StatusOK)
	_, secret := h.accountSecret(limited, mine, nil)
	h.get("/api/v1/users", secret).want(http.StatusOK)
	// A service account cannot give itself more either.
	h.put("/api/v1/service-accounts/"+mine+"/admin-roles", secret, map[string]any{"admin_roles": []string{"superadmin"}}).
		wantError(http.StatusForbidden, "forbidden")
}

func TestServiceAccountsAreSubjectsOfChecks(t *testing.T) {
	h := newHarness(t, nil)
	r := newRBAC(t, h)
	id := h.createServiceAccount(r.admin, "robot")
	h.put("/api/v1/service-accounts/"+id+"/roles/"+r.billing, r.admin, nil).want(http.StatusNoContent)
	h.put("/api/v1/organizations/acme/service-accounts/"+id, r.admin, map[string]any{"roles": []string{r.auditor}}).want(http.StatusOK)
	h.put("/api/v1/organizations/globex/service-accounts/"+id, r.admin, map[string]any{"roles": []string{r.auditor}}).
		wantError(http.StatusBadRequest, "invalid_request")
	subject := map[string]any{"type": "service_account", "id": id}
	check := func(perm, org string) bool {
		body := map[string]any{"subject": subject, "permission": perm}
		if org != "" {
			body["organization"] = org
		}
		return h.post("/api/v1/authz/check", r.admin, body).want(http.StatusOK).JSON()["allowed"].(bool)
	}
	if !check("invoices.read", "") || check("reports.view", "") || !check("reports.view", "acme") || check("reports.view", "globex") {
		t.Error("the service account's checks do not follow its roles and membership")
	}
	ev := h.post("/access/v1/evaluation", r.admin, map[string]any{"subject": subject, "action": map[string]any{"name": "invoices.read"},
		"resource": map[string]any{"type": "organization", "id": "acme"}}).want(http.StatusOK).JSON()
	if ev["decision"] != true {
		t.Errorf("AuthZEN evaluation = %v", ev)
	}
	var orgs struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/service-accounts/"+id+"/organizations", r.admin).want(http.StatusOK).Decode(&orgs)
	if len(orgs.Data) != 1 {
		t.Errorf("memberships = %v", orgs.Data)
	}
	// A user with the account's id is not the account, and the other way round.
	if h.post("/api/v1/authz/check", r.admin, map[string]any{"subject": map[string]any{"type": "user", "id": id}, "permission": "invoices.read"}).Status != http.StatusNotFound {
		t.Error("the account's id answers as a user")
	}
	// The account asks about itself without authz.check, and not about others.
	_, secret := h.accountSecret(r.admin, id, nil)
	self := h.post("/api/v1/authz/check", secret, map[string]any{"subject": subject, "permission": "invoices.read"}).want(http.StatusOK).JSON()
	if self["allowed"] != true {
		t.Errorf("self check = %v", self)
	}
	h.post("/api/v1/authz/check", secret, map[string]any{"subject": map[string]any{"type": "user", "id": r.alice}, "permission": "invoices.read"}).
		wantError(http.StatusForbidden, "forbidden")
	// Removing the role and the membership, and deleting the account, apply at once.
	h.delete("/api/v1/service-accounts/"+id+"/roles/"+r.billing, r.admin).want(http.StatusNoContent)
	h.delete("/api/v1/organizations/acme/service-accounts/"+id, r.admin).want(http.StatusNoContent)
	if check("invoices.read", "") || check("reports.view", "acme") {
		t.Error("checks still allow after the role and membership were taken")
	}
	h.delete("/api/v1/service-accounts/"+id, r.admin).want(http.StatusNoContent)
	h.post("/api/v1/authz/check", r.admin, map[string]any{"subject": subject, "permission": "invoices.read"}).wantError(http.StatusNotFound, "not_found")
}
