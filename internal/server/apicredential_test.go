package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiCred is a credential as the API answers it.
type apiCred struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	OwnerID        string     `json:"owner_id"`
	OrganizationID string     `json:"organization_id"`
	State          string     `json:"state"`
	Active         bool       `json:"active"`
	Display        string     `json:"display"`
	ExpiresAt      time.Time  `json:"expires_at"`
	RevokedAt      *time.Time `json:"revoked_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	Secret         string     `json:"secret"`
}

// createCred creates a credential under base and fails unless it works.
func (h *harness) createCred(base, token string, body map[string]any) apiCred {
	h.t.Helper()
	if _, ok := body["expires_at"]; !ok {
		body["expires_at"] = h.clock.Now().Add(30 * 24 * time.Hour)
	}
	var c apiCred
	h.post(base, token, body).want(http.StatusCreated).Decode(&c)
	return c
}

func (h *harness) getCred(base, token, id string) apiCred {
	h.t.Helper()
	var c apiCred
	h.get(base+"/"+id, token).want(http.StatusOK).Decode(&c)
	return c
}

const (
	apiCreds = "/api/v1/api-credentials"
	svcCreds = "/api/v1/service-credentials"
)

func TestAPICredentialLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	alice := h.createUser(admin, "alice@example.com", "Kq-6ae44-507a8")
	session := h.login("alice@example.com", "Kq-6ae44-507a8").AccessToken

	c := h.createCred(apiCreds, session, map[string]any{"name": "deploy"})
	if !strings.HasPrefix(c.Secret, "gtapi_") || c.OwnerID != alice || c.State != "active" || !c.Active || !strings.HasPrefix(c.Secret, c.Display) {
		t.Fatalf("created %+v", c)
	}
	// The secret works as a bearer token, as its owner.
	me := h.get("/api/v1/me", c.Secret).want(http.StatusOK).JSON()
	if me["id"] != alice {
		t.Fatalf("/me as the credential = %v, want alice", me["id"])
	}
	if got := h.getCred(apiCreds, session, c.ID); got.Secret != "" || got.LastUsedAt == nil || got.Name != "deploy" {
		t.Fatalf("GET answers %+v; want no secret and a last use", got)
	}
	// Names are unique among live ones; a damaged secret is refused before any lookup.
	h.post(apiCreds, session, map[string]any{"name": "deploy", "expires_at": h.clock.Now().Add(time.Hour)}).wantError(http.StatusConflict, "name_taken")
	h.get("/api/v1/me", damaged(c.Secret)).wantError(http.StatusUnauthorized, "invalid_token")

	var replaced apiCred
	h.send(request{method: http.MethodPut, path: apiCreds + "/" + c.ID, token: session,
		body: map[string]any{"name": "deploy-2", "expires_at": h.clock.Now().Add(48 * time.Hour)}}).want(http.StatusOK).Decode(&replaced)
	if replaced.Name != "deploy-2" || !replaced.ExpiresAt.Equal(h.clock.Now().Add(48*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("replaced %+v", replaced)
	}

	h.post(apiCreds+"/"+c.ID+"/deactivate", session, nil).want(http.StatusOK)
	h.get("/api/v1/me", c.Secret).wantError(http.StatusUnauthorized, "invalid_token")
	if got := h.getCred(apiCreds, session, c.ID); got.State != "inactive" {
		t.Fatalf("state %s, want inactive", got.State)
	}
	h.post(apiCreds+"/"+c.ID+"/activate", session, nil).want(http.StatusOK)
	h.get("/api/v1/me", c.Secret).want(http.StatusOK)

	// Expiry ends it; renewal brings it back.
	h.clock.Advance(49 * time.Hour)
	h.get("/api/v1/me", c.Secret).wantError(http.StatusUnauthorized, "invalid_token")
	session = h.login("alice@example.com", "Kq-6ae44-507a8").AccessToken
	if got := h.getCred(apiCreds, session, c.ID); got.State != "expired" {
		t.Fatalf("state %s, want expired", got.State)
	}
	h.post(apiCreds+"/"+c.ID+"/renew", session, map[string]any{"expires_at": h.clock.Now().Add(-time.Minute)}).wantError(http.StatusBadRequest, "invalid_request")
	h.post(apiCreds+"/"+c.ID+"/renew", session, map[string]any{"expires_at": h.clock.Now().Add(time.Hour)}).want(http.StatusOK)
	h.get("/api/v1/me", c.Secret).want(http.StatusOK)

	// Revocation is final.
	h.post(apiCreds+"/"+c.ID+"/revoke", session, nil).want(http.StatusOK)
	h.get("/api/v1/me", c.Secret).wantError(http.StatusUnauthorized, "invalid_token")
	for _, step := range []string{"renew", "activate", "revoke"} {
		h.post(apiCreds+"/"+c.ID+"/"+step, session, map[string]any{"expires_at": h.clock.Now().Add(time.Hour)}).
			wantError(http.StatusUnprocessableEntity, "state_conflict")
	}
	var page struct {
		Data  []apiCred `json:"data"`
		Total int       `json:"total"`
	}
	h.get(apiCreds+"?state=revoked", session).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0].ID != c.ID {
		t.Fatalf("revoked list %+v", page)
	}
	h.get(apiCreds+"?state=active", session).want(http.StatusOK).Decode(&page)
	if page.Total != 0 {
		t.Fatalf("active list %+v", page)
	}
	// The name is free again.
	h.createCred(apiCreds, session, map[string]any{"name": "deploy-2"})

	// Every step is audited with the principal's kind; so is each use of an
	// unusable credential, naming why.
	admin = h.admin()
	for action, reason := range map[string]string{"api_credential.created": "", "api_credential.renewed": "", "api_credential.revoked": "",
		"api_credential.deactivated": "", "api_credential.refused": "revoked"} {
		events := h.auditEvents(admin, "action="+action)
		if len(events) == 0 {
			t.Errorf("no %s event", action)
			continue
		}
		e := events[0]
		if reason != "" {
			if d, _ := e["details"].(map[string]any); d["reason"] != reason {
				t.Errorf("%s: details %v, want reason %s", action, e["details"], reason)
			}
			continue
		}
		if actor, _ := e["actor"].(map[string]any); actor["type"] != "user" || actor["id"] != alice {
			t.Errorf("%s: actor %v, want the user alice", action, e["actor"])
		}
	}
	reasons := map[string]bool{}
	for _, e := range h.auditEvents(admin, "action=api_credential.refused") {
		reasons[e["details"].(map[string]any)["reason"].(string)] = true
	}
	for _, r := range []string{"inactive", "expired", "revoked"} {
		if !reasons[r] {
			t.Errorf("no api_credential.refused event with reason %s (%v)", r, reasons)
		}
	}
}

func TestAPICredentialAccess(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	alice := h.createUser(admin, "alice@example.com", "Kq-6ae44-507a8")
	bobID := h.createUser(admin, "bob@example.com", "Kq-5b775-e62f9")
	aliceTok := h.login("alice@example.com", "Kq-6ae44-507a8").AccessToken
	bob := h.login("bob@example.com", "Kq-5b775-e62f9").AccessToken
	mine := h.createCred(apiCreds, aliceTok, map[string]any{"name": "mine"})

	// Another user neither sees nor ends it, nor lists or creates others'.
	h.get(apiCreds+"/"+mine.ID, bob).wantError(http.StatusNotFound, "not_found")
	h.post(apiCreds+"/"+mine.ID+"/revoke", bob, nil).wantError(http.StatusNotFound, "not_found")
	h.get(apiCreds+"?owner_id="+alice, bob).wantError(http.StatusForbidden, "forbidden")
	h.post(apiCreds, bob, map[string]any{"name": "x", "owner_id": alice, "expires_at": h.clock.Now().Add(time.Hour)}).
		wantError(http.StatusForbidden, "forbidden")
	var page struct {
		Total int `json:"total"`
	}
	h.get(apiCreds, bob).want(http.StatusOK).Decode(&page)
	if page.Total != 0 {
		t.Fatalf("bob lists %d credentials, want his own: none", page.Total)
	}
	// A credential acts with its owner's permissions, no more.
	bobCred := h.createCred(apiCreds, bob, map[string]any{"name": "bobs"})
	h.get("/api/v1/users", bobCred.Secret).wantError(http.StatusForbidden, "forbidden")
	adminCred := h.createCred(apiCreds, admin, map[string]any{"name": "admins"})
	h.get("/api/v1/users", adminCred.Secret).want(http.StatusOK)

	// An admin creates one for a user, sees and ends anyone's.
	forBob := h.createCred(apiCreds, admin, map[string]any{"name": "for-bob", "owner_id": bobID})
	if forBob.OwnerID != bobID {
		t.Fatalf("owner %s, want bob", forBob.OwnerID)
	}
	h.get(apiCreds+"?owner_id="+alice, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 {
		t.Fatalf("admin lists %d of alice's, want 1", page.Total)
	}
	h.post(apiCreds+"/"+mine.ID+"/revoke", admin, nil).want(http.StatusOK)
	h.post(apiCreds, admin, map[string]any{"name": "x", "owner_id": "01900000-0000-7000-8000-000000000000",
		"expires_at": h.clock.Now().Add(time.Hour)}).wantError(http.StatusNotFound, "not_found")

	// An admin without admins.manage cannot touch an admin's credentials.
	role := h.post("/api/v1/admin-roles", admin, map[string]any{"name": "cred admins", "permissions": []string{"credentials.read", "credentials.write"}}).
		want(http.StatusCreated).JSON()["id"].(string)
	h.post("/api/v1/admins", admin, map[string]any{"email": "carl@example.com", "name": "Carl", "password": "Kq-c5330-b1344",
		"admin_roles": []string{role}}).want(http.StatusCreated)
	carl := h.login("carl@example.com", "Kq-c5330-b1344").AccessToken
	h.post(apiCreds+"/"+adminCred.ID+"/revoke", carl, nil).wantError(http.StatusForbidden, "forbidden")
	h.post(apiCreds+"/bulk-revoke", carl, map[string]any{"ids": []string{adminCred.ID, bobCred.ID}}).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/users", adminCred.Secret).want(http.StatusOK)
	h.get("/api/v1/users", bobCred.Secret).wantError(http.StatusForbidden, "forbidden") // the refusal revoked nothing
	h.post(apiCreds+"/"+bobCred.ID+"/revoke", carl, nil).want(http.StatusOK)
}

func TestAPICredentialBulkRevoke(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	alice := h.createUser(admin, "alice@example.com", "Kq-6ae44-507a8")
	h.createUser(admin, "bob@example.com", "Kq-5b775-e62f9")
	aliceTok := h.login("alice@example.com", "Kq-6ae44-507a8").AccessToken
	bob := h.login("bob@example.com", "Kq-5b775-e62f9").AccessToken
	a1 := h.createCred(apiCreds, aliceTok, map[string]any{"name": "a1"})
	a2 := h.createCred(apiCreds, aliceTok, map[string]any{"name": "a2", "expires_at": h.clock.Now().Add(time.Hour)})
	b1 := h.createCred(apiCreds, bob, map[string]any{"name": "b1"})

	// An empty selector revokes nothing.
	for _, body := range []map[string]any{{}, {"ids": []string{}}} {
		h.post(apiCreds+"/bulk-revoke", admin, body).wantError(http.StatusBadRequest, "invalid_request")
	}
	for _, c := range []apiCred{a1, a2, b1} {
		h.get("/api/v1/me", c.Secret).want(http.StatusOK)
	}
	// A user revokes only their own, whatever they select.
	h.post(apiCreds+"/bulk-revoke", bob, map[string]any{"owner_id": alice}).wantError(http.StatusForbidden, "forbidden")
	revoked := func(token string, body map[string]any) int {
		var r struct {
			Revoked int `json:"revoked"`
		}
		h.post(apiCreds+"/bulk-revoke", token, body).want(http.StatusOK).Decode(&r)
		return r.Revoked
	}
	if n := revoked(bob, map[string]any{"ids": []string{a1.ID, b1.ID}}); n != 1 {
		t.Fatalf("bob revoked %d, want 1 (his own)", n)
	}
	h.get("/api/v1/me", a1.Secret).want(http.StatusOK)
	h.get("/api/v1/me", b1.Secret).wantError(http.StatusUnauthorized, "invalid_token")
	if n := revoked(admin, map[string]any{"owner_id": alice, "expires_before": h.clock.Now().Add(2 * time.Hour)}); n != 1 {
		t.Fatalf("revoked %d by expiry, want 1", n)
	}
	h.get("/api/v1/me", a2.Secret).wantError(http.StatusUnauthorized, "invalid_token")
	h.get("/api/v1/me", a1.Secret).want(http.StatusOK)
	if n := revoked(admin, map[string]any{"owner_id": alice}); n != 1 {
		t.Fatalf("revoked %d, want 1", n)
	}
	events := h.auditEvents(admin, "action=api_credential.bulk_revoked")
	if len(events) != 3 {
		t.Fatalf("%d bulk_revoked events, want 3", len(events))
	}
}

func TestAPICredentialNeedsStepUp(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	mfaUser(t, h, admin)
	session := h.login("ada@example.com", adaPassword)
	secret := enrolTOTP(t, h, session.AccessToken)
	h.clock.Advance(10*time.Minute + time.Second)
	var later tokens
	h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": session.RefreshToken}).want(http.StatusOK).Decode(&later)
	ada := later.AccessToken
	h.post(apiCreds, ada, map[string]any{"name": "x", "expires_at": h.clock.Now().Add(time.Hour)}).wantError(http.StatusForbidden, "mfa_reauth_required")
	h.post("/api/v1/auth/reauth", ada, map[string]any{"method": "totp", "code": totpAt(t, secret, h.clock.Now())}).want(http.StatusNoContent)
	c := h.createCred(apiCreds, ada, map[string]any{"name": "x"})
	// A credential mints no other: it would escape its own life cycle.
	h.post(apiCreds, c.Secret, map[string]any{"name": "y", "expires_at": h.clock.Now().Add(time.Hour)}).wantError(http.StatusForbidden, "forbidden")
	// An admin creating one for the user needs no step-up of the user's.
	h.createCred(apiCreds, h.admin(), map[string]any{"name": "y", "owner_id": c.OwnerID})
}

func TestServiceCredentials(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	robot := h.createServiceAccount(admin, "robot")
	h.createUser(admin, "bob@example.com", "Kq-5b775-e62f9")
	bob := h.login("bob@example.com", "Kq-5b775-e62f9").AccessToken

	h.post(svcCreds, admin, map[string]any{"name": "ci", "expires_at": h.clock.Now().Add(time.Hour)}).wantError(http.StatusBadRequest, "invalid_request")
	h.post(svcCreds, bob, map[string]any{"name": "ci", "owner_id": robot, "expires_at": h.clock.Now().Add(time.Hour)}).wantError(http.StatusForbidden, "forbidden")
	c := h.createCred(svcCreds, admin, map[string]any{"name": "ci", "owner_id": robot})
	if !strings.HasPrefix(c.Secret, "gtsvc_") || c.OwnerID != robot {
		t.Fatalf("created %+v", c)
	}
	// It authenticates as the service account: not a user, but the owner of its own credentials.
	h.get("/api/v1/me", c.Secret).wantError(http.StatusForbidden, "forbidden")
	var page struct {
		Data  []apiCred `json:"data"`
		Total int       `json:"total"`
	}
	h.get(svcCreds, c.Secret).want(http.StatusOK).Decode(&page)
	if page.Total != 1 || page.Data[0].ID != c.ID {
		t.Fatalf("the account lists %+v, want its one credential", page)
	}
	own := h.createCred(svcCreds, c.Secret, map[string]any{"name": "rotated"})
	if own.OwnerID != robot {
		t.Fatalf("owner %s, want the account", own.OwnerID)
	}
	// An API credential's secret is no service credential's, and the other way round.
	h.get(apiCreds+"/"+c.ID, admin).wantError(http.StatusNotFound, "not_found")
	h.post(svcCreds+"/"+c.ID+"/revoke", c.Secret, nil).want(http.StatusOK)
	h.get(svcCreds, c.Secret).wantError(http.StatusUnauthorized, "invalid_token")
	h.get(svcCreds, own.Secret).want(http.StatusOK)
	var r struct {
		Revoked int `json:"revoked"`
	}
	h.post(svcCreds+"/bulk-revoke", admin, map[string]any{"owner_id": robot}).want(http.StatusOK).Decode(&r)
	if r.Revoked != 1 {
		t.Fatalf("revoked %d, want 1", r.Revoked)
	}
	events := h.auditEvents(admin, "action=service_credential.created")
	if len(events) != 2 {
		t.Fatalf("%d service_credential.created events, want 2", len(events))
	}
	if actor, _ := events[0]["actor"].(map[string]any); actor["type"] != "service_account" || actor["id"] != robot {
		t.Errorf("actor %v, want the service account", events[0]["actor"])
	}
}

// TestServiceCredentialHoldsItsAccountsPermissions: a service credential
// acts with its service account's admin roles, and loses them with them;
// roles that widen an account's reach wait until its live secrets are gone,
// since whoever made them holds them.
func TestServiceCredentialHoldsItsAccountsPermissions(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	robot := h.createServiceAccount(admin, "robot")
	early := h.createCred(svcCreds, admin, map[string]any{"name": "early", "owner_id": robot})
	h.get("/api/v1/users", early.Secret).wantError(http.StatusForbidden, "forbidden")
	keyID, _ := h.accountSecret(admin, robot, nil)
	h.post("/api/v1/admin-roles", admin, map[string]any{"name": "readers", "permissions": []string{"users.read"}}).want(http.StatusCreated)
	grant := map[string]any{"admin_roles": []string{"readers"}}
	res := h.put("/api/v1/service-accounts/"+robot+"/admin-roles", admin, grant)
	if d := res.wantError(http.StatusUnprocessableEntity, "state_conflict")["details"].(map[string]any); d["live_secrets"] != float64(2) {
		t.Fatalf("details %v, want 2 live secrets", d)
	}
	h.post(svcCreds+"/"+early.ID+"/revoke", admin, nil).want(http.StatusOK)
	h.delete("/api/v1/service-accounts/"+robot+"/keys/"+keyID, admin).want(http.StatusNoContent)
	h.put("/api/v1/service-accounts/"+robot+"/admin-roles", admin, grant).want(http.StatusOK)

	c := h.createCred(svcCreds, admin, map[string]any{"name": "ci", "owner_id": robot})
	h.get("/api/v1/users", c.Secret).want(http.StatusOK)
	h.get("/api/v1/admin-roles", c.Secret).wantError(http.StatusForbidden, "forbidden")
	// Narrowing needs nothing revoked.
	h.put("/api/v1/service-accounts/"+robot+"/admin-roles", admin, map[string]any{"admin_roles": []string{}}).want(http.StatusOK)
	h.get("/api/v1/users", c.Secret).wantError(http.StatusForbidden, "forbidden")
}

// TestServiceCredentialsOfAnAdminAccountAreGuarded: an admin who may write
// credentials but not manage admins reaches no service account holding
// admin roles, whose credentials would act with them.
func TestServiceCredentialsOfAnAdminAccountAreGuarded(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/admin-roles", admin, map[string]any{"name": "cred-writers", "permissions": []string{"credentials.read", "credentials.write"}}).
		want(http.StatusCreated)
	h.post("/api/v1/admins", admin, map[string]any{"email": "clerk@example.com", "name": "Clerk", "password": "Kq-fern-4471-drum",
		"admin_roles": []string{"cred-writers"}}).want(http.StatusCreated)
	clerk := h.login("clerk@example.com", "Kq-fern-4471-drum").AccessToken
	robot := h.createServiceAccount(admin, "robot")
	plain := h.createServiceAccount(admin, "plain")
	h.put("/api/v1/service-accounts/"+robot+"/admin-roles", admin, map[string]any{"admin_roles": []string{"superadmin"}}).want(http.StatusOK)
	body := func(owner string) map[string]any {
		return map[string]any{"name": "ci-" + owner, "owner_id": owner, "expires_at": h.clock.Now().Add(24 * time.Hour)}
	}
	h.post(svcCreds, clerk, body(robot)).wantError(http.StatusForbidden, "forbidden")
	h.post(svcCreds, clerk, body(plain)).want(http.StatusCreated)
	c := h.createCred(svcCreds, admin, body(robot))
	h.post(svcCreds+"/"+c.ID+"/revoke", clerk, nil).wantError(http.StatusForbidden, "forbidden")
	h.post(svcCreds+"/bulk-revoke", clerk, map[string]any{"owner_id": robot}).wantError(http.StatusForbidden, "forbidden")
	h.post(svcCreds+"/"+c.ID+"/revoke", admin, nil).want(http.StatusOK)
}

// TestTokensCannotOutgrowThemselves: neither a personal access token nor a
// credential creates a credential for its owner, and a credential cannot
// renew, reactivate or change itself, only revoke itself.
func TestTokensCannotOutgrowThemselves(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	var pat, sibling struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	h.post("/api/v1/me/tokens", admin, map[string]any{"name": "none", "scopes": []string{}}).want(http.StatusCreated).Decode(&pat)
	h.post("/api/v1/me/tokens", admin, map[string]any{"name": "sibling"}).want(http.StatusCreated).Decode(&sibling)
	h.delete("/api/v1/me/tokens/"+sibling.ID, pat.Token).wantError(http.StatusForbidden, "forbidden")
	h.get("/api/v1/users", pat.Token).wantError(http.StatusForbidden, "forbidden")
	h.post(apiCreds, pat.Token, map[string]any{"name": "x", "expires_at": h.clock.Now().Add(time.Hour)}).wantError(http.StatusForbidden, "forbidden")
	h.send(request{method: http.MethodPost, path: "/api/web/namespaces/system/api_credentials",
		header: map[string]string{"Authorization": "APIToken " + pat.Token},
		body:   map[string]any{"name": "x", "spec": map[string]any{"type": "API_TOKEN"}, "expiration_days": 30}}).want(http.StatusForbidden)

	c := h.createCred(apiCreds, admin, map[string]any{"name": "own"})
	h.post(apiCreds+"/"+c.ID+"/renew", c.Secret, map[string]any{"expires_at": h.clock.Now().Add(4 * 365 * 24 * time.Hour)}).
		wantError(http.StatusForbidden, "forbidden")
	h.post(apiCreds+"/"+c.ID+"/deactivate", admin, nil).want(http.StatusOK)
	h.post(apiCreds+"/"+c.ID+"/activate", pat.Token, nil).wantError(http.StatusForbidden, "forbidden")
	other := h.createCred(apiCreds, admin, map[string]any{"name": "other"})
	h.post(apiCreds+"/"+other.ID+"/revoke", other.Secret, nil).want(http.StatusOK)
	// A token ends itself.
	h.delete("/api/v1/me/tokens/"+pat.ID, pat.Token).want(http.StatusNoContent)
	h.get("/api/v1/me", pat.Token).wantError(http.StatusUnauthorized, "invalid_token")
}

// damaged is secret with its last character changed: never the same secret,
// whatever that character was.
func damaged(secret string) string {
	last := "x"
	if strings.HasSuffix(secret, last) {
		last = "y"
	}
	return secret[:len(secret)-1] + last
}
