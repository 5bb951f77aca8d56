package server_test

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

const devicePassword = "Vq-83kdm-wqp41"

// credentialUser creates a user with external id ext and a password, and
// returns its id.
func credentialUser(h *harness, admin, email, ext string) string {
	h.t.Helper()
	m := h.post("/api/v1/users", admin, map[string]any{"email": email, "name": "Ada", "password": "Rw-55pqm-zzt81",
		"external_id": ext}).want(http.StatusCreated).JSON()
	return m["id"].(string)
}

func TestCredentialAdminAPI(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	id := credentialUser(h, admin, "ada@example.com", "u-1")
	base := "/api/v1/users/ext:u-1/credentials"

	dev := h.post(base, admin, map[string]any{"type": "device_password", "credential_ext_id": "laptop", "password": devicePassword}).
		want(http.StatusCreated).JSON()
	if dev["credential_ext_id"] != "laptop" || dev["state"] != "active" || dev["type"] != "device_password" {
		t.Fatalf("created %v", dev)
	}
	h.post("/api/v1/users/"+id+"/credentials", admin, map[string]any{"type": "context_password", "context": "shop", "password": devicePassword}).
		want(http.StatusCreated)
	h.post(base, admin, map[string]any{"type": "device_password", "credential_ext_id": "laptop", "password": devicePassword}).
		wantError(http.StatusConflict, "conflict")
	h.post(base, admin, map[string]any{"type": "device_password", "credential_ext_id": "phone", "password": "password"}).
		wantError(http.StatusBadRequest, "password_policy")
	for name, body := range map[string]map[string]any{
		"a password":                  {"type": "password", "password": devicePassword},
		"a device without its id":     {"type": "device_password", "password": devicePassword},
		"a device with a context":     {"type": "device_password", "credential_ext_id": "x", "context": "y", "password": devicePassword},
		"a context with a control":    {"type": "context_password", "context": "a\u0007b", "password": devicePassword},
		"a device id of only spaces":  {"type": "device_password", "credential_ext_id": "   ", "password": devicePassword},
		"a recovery code":             {"type": "recovery_code", "password": devicePassword},
		"an unknown field":            {"type": "device_password", "credential_ext_id": "x", "password": devicePassword, "secret": "x"},
		"a context password, no pass": {"type": "context_password", "context": "x"},
	} {
		if r := h.post(base, admin, body); r.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, r.Status, r.Body)
		}
	}

	list := h.get(base, admin).want(http.StatusOK)
	if strings.Contains(string(list.Body), "argon2") || strings.Contains(string(list.Body), "secret") {
		t.Fatalf("the list shows a secret: %s", list.Body)
	}
	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
		Page  int              `json:"page"`
		Limit int              `json:"limit"`
	}
	list.Decode(&page)
	if page.Total != 3 || len(page.Data) != 3 || page.Page != 1 || page.Limit != 20 {
		t.Fatalf("list %+v, want the password, device and context passwords", page)
	}
	if page.Data[0]["context"] != "shop" {
		t.Errorf("newest credential %v, want the context password", page.Data[0])
	}
	h.get(base+"?type=device_password", admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 {
		t.Errorf("type filter listed %d", page.Total)
	}

	cid := dev["id"].(string)
	got := h.patch(base+"/"+cid, admin, map[string]any{"state": "disabled"}).want(http.StatusOK).JSON()
	if got["state"] != "disabled" {
		t.Errorf("patched %v", got)
	}
	h.patch(base+"/"+cid, admin, map[string]any{"state": "gone"}).wantError(http.StatusBadRequest, "invalid_request")
	h.patch(base+"/not-a-uuid", admin, map[string]any{"state": "active"}).wantError(http.StatusNotFound, "not_found")
	h.delete(base+"/"+cid, admin).want(http.StatusNoContent)
	h.delete(base+"/"+cid, admin).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/users/ext:nobody/credentials", admin).wantError(http.StatusNotFound, "not_found")
	h.get("/api/v1/users/"+uuid.NewString()+"/credentials", admin).wantError(http.StatusNotFound, "not_found")

	// A plain user holds none of the credentials permissions.
	h.createUser(admin, "plain@example.com", "Pl-19kdm-qq7x1")
	plain := h.login("plain@example.com", "Pl-19kdm-qq7x1").AccessToken
	h.get(base, plain).wantError(http.StatusForbidden, "forbidden")
	h.post(base+"/verify", plain, map[string]any{"type": "password", "password": "x"}).wantError(http.StatusForbidden, "forbidden")

	actions := map[string]bool{}
	for _, e := range h.auditEvents(admin, "target_id="+id) {
		actions[e["action"].(string)] = true
	}
	for _, a := range []string{"credential.created", "credential.state_changed", "credential.deleted"} {
		if !actions[a] {
			t.Errorf("no %s audit event: %v", a, actions)
		}
	}
}

// verify posts a verification for the user named ref and returns the answer.
func verify(h *harness, token, ref string, body map[string]any) *response {
	h.t.Helper()
	return h.post("/api/v1/users/"+ref+"/credentials/verify", token, body)
}

// wantStatus fails unless the answer is 200 with the status code.
func wantStatus(t *testing.T, r *response, code int) {
	t.Helper()
	m := r.want(http.StatusOK).JSON()
	if m["status_code"] != float64(code) {
		t.Fatalf("status_code %v, want %d: %s", m["status_code"], code, r.Body)
	}
}

func TestVerifyCredential(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"lockout": map[string]any{"max_attempts": 3, "backoff_after": 1}})
	id := credentialUser(h, admin, "ada@example.com", "u-1")
	base := "/api/v1/users/ext:u-1/credentials"
	dev := h.post(base, admin, map[string]any{"type": "device_password", "credential_ext_id": "laptop", "password": devicePassword}).
		want(http.StatusCreated).JSON()
	device := func(pw string) map[string]any {
		return map[string]any{"type": "device_password", "credential_ext_id": "laptop", "password": pw}
	}

	r := verify(h, admin, "ext:u-1", device(devicePassword))
	wantStatus(t, r, 5)
	if r.JSON()["description"] != "Login Ok" {
		t.Errorf("description %s", r.Body)
	}
	wantStatus(t, verify(h, admin, id, map[string]any{"type": "password", "password": "Rw-55pqm-zzt81"}), 5)
	wantStatus(t, verify(h, admin, "ext:u-1", device("wrong-1")), 2)
	wantStatus(t, verify(h, admin, "ext:u-1", device("wrong-2")), 3)
	wantStatus(t, verify(h, admin, "ext:u-1", device("wrong-3")), 4)
	m := verify(h, admin, "ext:u-1", device(devicePassword)).wantError(http.StatusUnprocessableEntity, "credential_not_active")
	if d := m["details"].(map[string]any); d["state"] != "locked" {
		t.Errorf("details %v, want state locked", d)
	}
	if msg := m["message"].(string); msg != "The device password credential is not active (current state 'locked') of user 'u-1'" {
		t.Errorf("message %q", msg)
	}
	// The password stays usable: lockout is per credential.
	wantStatus(t, verify(h, admin, "ext:u-1", map[string]any{"type": "password", "password": "Rw-55pqm-zzt81"}), 5)
	cred := h.get(base+"?type=device_password", admin).want(http.StatusOK)
	if !strings.Contains(string(cred.Body), `"failed_attempts":3`) {
		t.Errorf("locked credential %s, want 3 failures", cred.Body)
	}

	h.patch(base+"/"+dev["id"].(string), admin, map[string]any{"state": "active"}).want(http.StatusOK)
	wantStatus(t, verify(h, admin, "ext:u-1", device("wrong-1")), 2)
	wantStatus(t, verify(h, admin, "ext:u-1", device(devicePassword)), 5)
	wantStatus(t, verify(h, admin, "ext:u-1", device("wrong-1")), 2) // the success cleared the count
	list := h.get(base+"?type=device_password", admin).want(http.StatusOK)
	if strings.Contains(string(list.Body), `"last_used_at":null`) {
		t.Errorf("a success recorded no use: %s", list.Body)
	}

	h.patch(base+"/"+dev["id"].(string), admin, map[string]any{"state": "expired"}).want(http.StatusOK)
	wantStatus(t, verify(h, admin, "ext:u-1", device(devicePassword)), 6)
	h.patch(base+"/"+dev["id"].(string), admin, map[string]any{"state": "disabled"}).want(http.StatusOK)
	verify(h, admin, "ext:u-1", device(devicePassword)).wantError(http.StatusUnprocessableEntity, "credential_not_active")

	m = verify(h, admin, "ext:u-1", map[string]any{"type": "device_password", "credential_ext_id": "phone", "password": "x"}).
		wantError(http.StatusNotFound, "no_record")
	if msg := m["message"].(string); !strings.Contains(msg, "'phone'") || !strings.Contains(msg, "'u-1'") {
		t.Errorf("message %q does not name the device and the user", msg)
	}
	m = verify(h, admin, "ext:nobody", map[string]any{"type": "password", "password": "x"}).wantError(http.StatusNotFound, "no_record")
	if msg := m["message"].(string); msg != "There is no user with external identifier 'nobody'" {
		t.Errorf("message %q", msg)
	}
	verify(h, admin, "ext:u-1", map[string]any{"type": "context_password", "context": "shop", "password": "x"}).
		wantError(http.StatusNotFound, "no_record")

	h.post("/api/v1/users/"+id+"/disable", admin, nil).want(http.StatusOK)
	verify(h, admin, "ext:u-1", map[string]any{"type": "password", "password": "Rw-55pqm-zzt81"}).
		wantError(http.StatusUnprocessableEntity, "user_not_active")

	failures := 0
	for _, e := range h.auditEvents(admin, "action=credential.verify") {
		if e["result"] == "failure" {
			failures++
		}
	}
	if failures < 8 {
		t.Errorf("%d failed verifications audited, want every one", failures)
	}
}

func TestVerifyCredentialBadInput(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	credentialUser(h, admin, "ada@example.com", "u-1")
	for name, body := range map[string]map[string]any{
		"an unknown type":                   {"type": "totp", "password": "x"},
		"no type":                           {"password": "x"},
		"a password without password":       {"type": "password"},
		"a password with a device":          {"type": "password", "password": "x", "credential_ext_id": "d"},
		"a device password without device":  {"type": "device_password", "password": "x"},
		"a context password with a code":    {"type": "context_password", "password": "x", "context": "c", "code": "abcd-efgh-1234-5678"},
		"a recovery code with a password":   {"type": "recovery_code", "code": "abcd-efgh-1234-5678", "password": "x"},
		"a recovery code with spaces":       {"type": "recovery_code", "code": "abcd efgh 1234 5678"},
		"a recovery code too short":         {"type": "recovery_code", "code": "abcd-efgh-1234"},
		"a recovery code too long":          {"type": "recovery_code", "code": "abcd-efgh-1234-56789"},
		"a recovery code with other letter": {"type": "recovery_code", "code": "äbcd-efgh-1234-5678"},
		"a recovery code with a symbol":     {"type": "recovery_code", "code": "abcd_efgh_1234_5678"},
		"a recovery code far too long":      {"type": "recovery_code", "code": strings.Repeat("a", 100)},
		"a recovery code missing":           {"type": "recovery_code"},
	} {
		if r := verify(h, admin, "ext:u-1", body); r.Status != http.StatusBadRequest || r.JSON()["code"] != "invalid_request" {
			t.Errorf("%s: status %d, want 400 invalid_request: %s", name, r.Status, r.Body)
		}
	}
	events := h.auditEvents(admin, "action=credential.verify")
	if len(events) < 10 {
		t.Errorf("%d refused verifications audited, want each", len(events))
	}
}

// putRecoveryCodes stores codes as the user's active recovery codes.
func putRecoveryCodes(t *testing.T, db *sql.DB, tenantID, userID string, codes ...string) {
	t.Helper()
	now := time.Now().UTC()
	for _, code := range codes {
		sum := sha256.Sum256([]byte(strings.ReplaceAll(code, "-", "")))
		_, err := db.Exec(`INSERT INTO credentials (id, tenant_id, user_id, type, name, state, secret, created_at, updated_at)
			VALUES ($1, $2, $3, 'recovery_code', $4, 'active', $5, $6, $6)`,
			uuid.NewString(), tenantID, userID, uuid.NewString(), hex.EncodeToString(sum[:]), now)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyRecoveryCode(t *testing.T) {
	h, db := harnessWithDB(t)
	admin := h.admin()
	h.patchSettings(admin, map[string]any{"lockout": map[string]any{"max_attempts": 3, "backoff_after": 1}})
	id := credentialUser(h, admin, "ada@example.com", "u-1")
	var tenantID string
	if err := db.QueryRow(`SELECT tenant_id FROM users WHERE id = $1`, id).Scan(&tenantID); err != nil {
		t.Fatal(err)
	}
	code := func(c string) map[string]any { return map[string]any{"type": "recovery_code", "code": c} }

	verify(h, admin, "ext:u-1", code("abcd-efgh-1234-5678")).wantError(http.StatusNotFound, "no_record")
	putRecoveryCodes(t, db, tenantID, id, "abcd-efgh-1234-5678", "zzzz-yyyy-0000-1111")

	verify(h, admin, "ext:u-1", code("ABCD-EFGH-1234-5678")).want(http.StatusNoContent)
	verify(h, admin, "ext:u-1", code("abcdefgh12345678")).wantError(http.StatusNotFound, "no_record")
	verify(h, admin, "ext:u-1", code("aaaa-bbbb-cccc-dddd")).wantError(http.StatusNotFound, "no_record")
	m := verify(h, admin, "ext:u-1", code("aaaa-bbbb-cccc-dddd")).wantError(http.StatusNotFound, "no_record")
	if m["details"].(map[string]any)["locked"] != true {
		t.Errorf("the third wrong code did not lock the codes: %v", m)
	}
	m = verify(h, admin, "ext:u-1", code("zzzz-yyyy-0000-1111")).wantError(http.StatusUnprocessableEntity, "credential_not_active")
	if m["details"].(map[string]any)["state"] != "locked" {
		t.Errorf("details %v", m["details"])
	}
	var page struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/users/ext:u-1/credentials?type=recovery_code", admin).want(http.StatusOK).Decode(&page)
	if len(page.Data) != 1 || page.Data[0]["state"] != "locked" {
		t.Fatalf("recovery codes %v, want the unused one, locked", page.Data)
	}
	h.patch("/api/v1/users/ext:u-1/credentials/"+page.Data[0]["id"].(string), admin, map[string]any{"state": "active"}).want(http.StatusOK)
	verify(h, admin, "ext:u-1", code("zzzz-yyyy-0000-1111")).want(http.StatusNoContent)
}
