package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// The hosts of the tenants in these tests. systemHost is the issuer's host.
const (
	tnSystemHost = "gatehouse.test"
	tnHostB      = "b.example.com"
)

// tnHost is a client of one Host on a harness.
type tnHost struct {
	h    *harness
	host string
}

func (c tnHost) with(t *testing.T) tnHost { return tnHost{h: biFor(c.h, t), host: c.host} }

func (c tnHost) do(method, path, token string, body any) *response {
	c.h.t.Helper()
	return c.h.send(request{method: method, path: path, token: token, body: body, host: c.host})
}

func (c tnHost) get(path, token string) *response {
	c.h.t.Helper()
	return c.do(http.MethodGet, path, token, nil)
}

// login signs in at this host and fails unless it works.
func (c tnHost) login(email, password string) tokens {
	c.h.t.Helper()
	var tk tokens
	c.do(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password}).want(http.StatusOK).Decode(&tk)
	return tk
}

func (c tnHost) loginFails(email, password string) {
	c.h.t.Helper()
	c.do(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
}

// createUser creates a user at this host and returns its id.
func (c tnHost) createUser(token, email, password string) string {
	c.h.t.Helper()
	m := c.do(http.MethodPost, "/api/v1/users", token, map[string]any{"email": email, "name": "User " + email, "password": password}).
		want(http.StatusCreated).JSON()
	return m["id"].(string)
}

// users lists the ids and emails of this host's tenant's users.
func (c tnHost) users(token, query string) (ids, emails []string) {
	c.h.t.Helper()
	var page struct {
		Data []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"data"`
	}
	c.get("/api/v1/users?limit=100&"+query, token).want(http.StatusOK).Decode(&page)
	for _, u := range page.Data {
		ids, emails = append(ids, u.ID), append(emails, u.Email)
	}
	return ids, emails
}

// me returns the caller's user id, and fails unless the token works here.
func (c tnHost) me(token string) string {
	c.h.t.Helper()
	return c.get("/api/v1/me", token).want(http.StatusOK).JSON()["id"].(string)
}

func tnWantInvalidToken(r *response) {
	r.t.Helper()
	r.wantError(http.StatusUnauthorized, "invalid_token")
	if r.Header.Get("WWW-Authenticate") == "" {
		r.t.Errorf("401 without WWW-Authenticate")
	}
}

type tnTenant struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Hostnames []string `json:"hostnames"`
	System    bool     `json:"system"`
}

// tnTenants lists every tenant, through the system tenant.
func tnTenants(sys tnHost, token string) []tnTenant {
	sys.h.t.Helper()
	var page struct {
		Data  []tnTenant `json:"data"`
		Total int        `json:"total"`
	}
	sys.get("/api/v1/tenants?limit=100", token).want(http.StatusOK).Decode(&page)
	if page.Total != len(page.Data) {
		sys.h.t.Fatalf("tenants total %d, listed %d", page.Total, len(page.Data))
	}
	return page.Data
}

// tnWaitCache lets the 1-second hostname cache of the tenant resolver expire.
// It measures real time, so nothing but sleeping moves it.
func tnWaitCache() { time.Sleep(1100 * time.Millisecond) }

func TestTenantIsolation(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	sys := tnHost{h: h, host: tnSystemHost}
	b := tnHost{h: h, host: tnHostB}
	sysTok := sys.login(adminEmail, adminPassword)

	// Tenant A is the system tenant, with two users of its own.
	aliceID := sys.createUser(sysTok.AccessToken, "alice@example.com", "Kq-0e731-68a64")
	sharedA := sys.createUser(sysTok.AccessToken, "shared@example.com", "Kq-7731-share-A")
	var system tnTenant
	for _, tn := range tnTenants(sys, sysTok.AccessToken) {
		if tn.System {
			system = tn
		}
	}
	if system.ID == "" {
		t.Fatal("no system tenant listed")
	}

	// Tenant B, with its own superadmin.
	var tenantB tnTenant
	sys.do(http.MethodPost, "/api/v1/tenants", sysTok.AccessToken, map[string]any{
		"name": "Tenant B", "hostnames": []string{tnHostB},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1", "name": "Boss"},
	}).want(http.StatusCreated).Decode(&tenantB)
	if tenantB.System || !slices.Equal(tenantB.Hostnames, []string{tnHostB}) || tenantB.Name != "Tenant B" {
		t.Fatalf("created tenant %+v", tenantB)
	}
	bTok := b.login("boss@b.example.com", "Kq-d040e-001e1")
	bossID := b.me(bTok.AccessToken)
	// The boss of B is not a user of A.
	if ids, _ := sys.users(sysTok.AccessToken, ""); slices.Contains(ids, bossID) {
		t.Fatal("B's admin is listed in A")
	}

	t.Run("tokens do not cross tenants", func(t *testing.T) {
		sys, b := sys.with(t), b.with(t)
		for _, path := range []string{"/api/v1/me", "/api/v1/users", "/api/v1/users/" + aliceID, "/api/v1/tenants", "/api/v1/audit-logs"} {
			tnWantInvalidToken(b.get(path, sysTok.AccessToken))
			tnWantInvalidToken(sys.get(path, bTok.AccessToken))
		}
		// A write with A's token at B's host does not land in either tenant.
		tnWantInvalidToken(b.do(http.MethodPost, "/api/v1/users", sysTok.AccessToken,
			map[string]any{"email": "sneaky@example.com", "name": "Sneaky", "password": "Kq-08958-7efb3"}))
		for _, c := range []struct {
			host  tnHost
			token string
		}{{sys, sysTok.AccessToken}, {b, bTok.AccessToken}} {
			if _, emails := c.host.users(c.token, ""); slices.Contains(emails, "sneaky@example.com") {
				t.Errorf("the refused write created a user at %s", c.host.host)
			}
		}
		// Refresh tokens neither.
		for _, c := range []struct {
			host    tnHost
			refresh string
		}{{b, sysTok.RefreshToken}, {sys, bTok.RefreshToken}} {
			c.host.do(http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": c.refresh}).
				wantError(http.StatusUnauthorized, "invalid_token")
		}
		// Both tokens still work at home: the refused attempts changed nothing.
		if sys.me(sysTok.AccessToken) == "" || b.me(bTok.AccessToken) != bossID {
			t.Fatal("home tokens stopped working")
		}
	})

	t.Run("ids do not cross tenants", func(t *testing.T) {
		sys, b := sys.with(t), b.with(t)
		tok := bTok.AccessToken
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/v1/users/" + aliceID, nil},
			{http.MethodPatch, "/api/v1/users/" + aliceID, map[string]any{"name": "Hijacked"}},
			{http.MethodPost, "/api/v1/users/" + aliceID + "/disable", nil},
			{http.MethodPatch, "/api/v1/admins/" + aliceID, map[string]any{"admin_roles": []string{"superadmin"}}},
			{http.MethodDelete, "/api/v1/admins/" + aliceID, nil},
			{http.MethodDelete, "/api/v1/users/" + aliceID, nil},
		} {
			b.do(r.method, r.path, tok, r.body).wantError(http.StatusNotFound, "not_found")
		}
		// And the other way: A's admin cannot reach B's boss by id.
		sys.get("/api/v1/users/"+bossID, sysTok.AccessToken).wantError(http.StatusNotFound, "not_found")
		sys.do(http.MethodDelete, "/api/v1/users/"+bossID, sysTok.AccessToken, nil).wantError(http.StatusNotFound, "not_found")

		// Alice is untouched and still signs in at A.
		alice := sys.get("/api/v1/users/"+aliceID, sysTok.AccessToken).want(http.StatusOK).JSON()
		if alice["name"] != "User alice@example.com" || alice["status"] != "active" {
			t.Errorf("alice changed: %v", alice)
		}
		sys.login("alice@example.com", "Kq-0e731-68a64")
		b.me(bTok.AccessToken)

		// B's lists show none of A's users, even when searched for.
		ids, emails := b.users(tok, "")
		if !slices.Equal(ids, []string{bossID}) {
			t.Errorf("B lists users %v %v, want only its boss", ids, emails)
		}
		for _, q := range []string{"search=alice", "search=@example.com", "search=shared"} {
			if ids, _ := b.users(tok, q); len(ids) != 0 {
				t.Errorf("B's %s finds %v", q, ids)
			}
		}
		var admins struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		b.get("/api/v1/admins?limit=100", tok).want(http.StatusOK).Decode(&admins)
		if len(admins.Data) != 1 || admins.Data[0].ID != bossID {
			t.Errorf("B lists admins %+v, want only its boss", admins.Data)
		}

		// A's admin roles are not B's: B cannot see A's superadmin role by id.
		var roles struct {
			Data []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"data"`
		}
		sys.get("/api/v1/admin-roles?limit=100", sysTok.AccessToken).want(http.StatusOK).Decode(&roles)
		carol := b.createUser(tok, "carol@b.example.com", "Kq-8faf2-7c55c")
		for _, r := range roles.Data {
			b.get("/api/v1/admin-roles/"+r.ID, tok).wantError(http.StatusNotFound, "not_found")
			b.do(http.MethodPatch, "/api/v1/admin-roles/"+r.ID, tok, map[string]any{"description": "x"}).wantError(http.StatusNotFound, "not_found")
			b.do(http.MethodDelete, "/api/v1/admin-roles/"+r.ID, tok, nil).wantError(http.StatusNotFound, "not_found")
			// Nor grant it to one of B's users.
			m := b.do(http.MethodPatch, "/api/v1/admins/"+carol, tok, map[string]any{"admin_roles": []string{r.ID}}).
				wantError(http.StatusBadRequest, "invalid_request")
			if !biNames(m, "admin_roles") {
				t.Errorf("granting A's role %s: %v", r.Name, m)
			}
			b.do(http.MethodPost, "/api/v1/admins", tok, map[string]any{"email": "dave@b.example.com", "name": "Dave",
				"password": "Kq-0bc0e-c8627", "admin_roles": []string{r.ID}}).wantError(http.StatusBadRequest, "invalid_request")
		}
		b.do(http.MethodDelete, "/api/v1/users/"+carol, tok, nil).want(http.StatusNoContent)
		if ids, emails := b.users(tok, ""); !slices.Equal(ids, []string{bossID}) {
			t.Errorf("B lists users %v after refused grants", emails)
		}
		// A's roles are unchanged, too.
		sys.get("/api/v1/admin-roles/"+roles.Data[0].ID, sysTok.AccessToken).want(http.StatusOK)

		// B's audit log holds only B's events.
		var audit struct {
			Data []struct {
				TenantID string `json:"tenant_id"`
				Action   string `json:"action"`
			} `json:"data"`
		}
		b.get("/api/v1/audit-logs?limit=100", tok).want(http.StatusOK).Decode(&audit)
		if len(audit.Data) == 0 {
			t.Error("B's audit log is empty; want at least its admin's creation and login")
		}
		for _, e := range audit.Data {
			if e.TenantID != tenantB.ID {
				t.Errorf("B's audit log shows %s of tenant %s", e.Action, e.TenantID)
			}
		}
	})

	t.Run("credentials do not cross tenants", func(t *testing.T) {
		sys, b := sys.with(t), b.with(t)
		b.loginFails("alice@example.com", "Kq-0e731-68a64")
		b.loginFails(adminEmail, adminPassword)
		sys.loginFails("boss@b.example.com", "Kq-d040e-001e1")
	})

	t.Run("one email in two tenants", func(t *testing.T) {
		sys, b := sys.with(t), b.with(t)
		sharedB := b.createUser(bTok.AccessToken, "shared@example.com", "Kq-7731-share-B")
		if sharedB == sharedA {
			t.Fatal("the same user id in two tenants")
		}
		// Each signs in at home with its own password only.
		inA := sys.login("shared@example.com", "Kq-7731-share-A").AccessToken
		inB := b.login("shared@example.com", "Kq-7731-share-B").AccessToken
		sys.loginFails("shared@example.com", "Kq-7731-share-B")
		b.loginFails("shared@example.com", "Kq-7731-share-A")
		if sys.me(inA) != sharedA || b.me(inB) != sharedB {
			t.Fatal("a login reached the other tenant's user")
		}
		tnWantInvalidToken(b.get("/api/v1/me", inA))
		tnWantInvalidToken(sys.get("/api/v1/me", inB))
		// The email is still taken within a tenant, case-insensitively.
		b.do(http.MethodPost, "/api/v1/users", bTok.AccessToken, map[string]any{"email": "SHARED@example.com", "name": "Again"}).
			wantError(http.StatusConflict, "email_taken")
		// Changing or removing one leaves the other alone.
		b.do(http.MethodPatch, "/api/v1/users/"+sharedB, bTok.AccessToken, map[string]any{"name": "B's shared"}).want(http.StatusOK)
		b.do(http.MethodDelete, "/api/v1/users/"+sharedB, bTok.AccessToken, nil).want(http.StatusNoContent)
		a := sys.get("/api/v1/users/"+sharedA, sysTok.AccessToken).want(http.StatusOK).JSON()
		if a["name"] != "User shared@example.com" || a["email"] != "shared@example.com" {
			t.Errorf("A's shared user changed: %v", a)
		}
		sys.me(inA)
		sys.login("shared@example.com", "Kq-7731-share-A")
	})

	t.Run("host matching ignores port and case", func(t *testing.T) {
		for _, host := range []string{"B.Example.COM:8443", "b.example.com:80", "B.EXAMPLE.COM", "b.example.com."} {
			c := tnHost{h: biFor(h, t), host: host}
			tk := c.login("boss@b.example.com", "Kq-d040e-001e1")
			if c.me(tk.AccessToken) != bossID || c.me(bTok.AccessToken) != bossID {
				t.Errorf("host %s did not reach tenant B", host)
			}
			c.loginFails("alice@example.com", "Kq-0e731-68a64")
		}
		for _, host := range []string{"GATEHOUSE.TEST", "gatehouse.test:443"} {
			c := tnHost{h: biFor(h, t), host: host}
			c.me(sysTok.AccessToken)
			tnWantInvalidToken(c.get("/api/v1/me", bTok.AccessToken))
		}
	})

	t.Run("unknown host", func(t *testing.T) {
		for _, host := range []string{"nobody.example.com", "example.com", "c.b.example.com", "b.example.com.evil.test", "127.0.0.1", ""} {
			c := tnHost{h: biFor(h, t), host: host}
			c.do(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}).
				wantError(http.StatusNotFound, "tenant_not_found")
			c.get("/api/v1/users", sysTok.AccessToken).wantError(http.StatusNotFound, "tenant_not_found")
			// Operational endpoints answer whatever the host.
			c.get("/healthz", "").want(http.StatusOK)
		}
	})

	t.Run("only the system tenant manages tenants", func(t *testing.T) {
		b := b.with(t)
		tok := bTok.AccessToken
		b.get("/api/v1/tenants", tok).wantError(http.StatusForbidden, "forbidden")
		b.get("/api/v1/tenants/"+tenantB.ID, tok).wantError(http.StatusForbidden, "forbidden")
		b.get("/api/v1/tenants/"+system.ID, tok).wantError(http.StatusForbidden, "forbidden")
		b.do(http.MethodPost, "/api/v1/tenants", tok, map[string]any{"name": "C", "hostnames": []string{"c.example.com"}}).
			wantError(http.StatusForbidden, "forbidden")
		b.do(http.MethodPatch, "/api/v1/tenants/"+tenantB.ID, tok, map[string]any{"hostnames": []string{tnHostB, "gatehouse.test"}}).
			wantError(http.StatusForbidden, "forbidden")
		b.do(http.MethodDelete, "/api/v1/tenants/"+system.ID, tok, nil).wantError(http.StatusForbidden, "forbidden")
		if got := len(tnTenants(sys.with(t), sysTok.AccessToken)); got != 2 {
			t.Errorf("%d tenants, want 2", got)
		}
	})

	t.Run("a user without admin roles", func(t *testing.T) {
		b := b.with(t)
		b.createUser(bTok.AccessToken, "plain@b.example.com", "Kq-f8c15-f3e16")
		tok := b.login("plain@b.example.com", "Kq-f8c15-f3e16").AccessToken
		b.me(tok)
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/v1/users", nil},
			{http.MethodGet, "/api/v1/users/" + bossID, nil},
			{http.MethodPost, "/api/v1/users", map[string]any{"email": "x@b.example.com", "name": "X"}},
			{http.MethodDelete, "/api/v1/users/" + bossID, nil},
			{http.MethodGet, "/api/v1/admin-roles", nil},
			{http.MethodGet, "/api/v1/admins", nil},
			{http.MethodPost, "/api/v1/admins", map[string]any{"email": "y@b.example.com", "name": "Y", "password": "Kq-928d0-3cf6b", "admin_roles": []string{"superadmin"}}},
			{http.MethodGet, "/api/v1/tenants", nil},
			{http.MethodGet, "/api/v1/audit-logs", nil},
		} {
			b.do(r.method, r.path, tok, r.body).wantError(http.StatusForbidden, "forbidden")
		}
		if ids, _ := b.users(bTok.AccessToken, ""); !slices.Contains(ids, bossID) || len(ids) != 2 {
			t.Errorf("B's users after refused writes: %v", ids)
		}
	})

	t.Run("hostname already taken", func(t *testing.T) {
		sys := sys.with(t)
		tok := sysTok.AccessToken
		before := tnTenants(sys, tok)
		for _, hosts := range [][]string{{tnHostB}, {"B.Example.COM"}, {"c.example.com", tnHostB}} {
			sys.do(http.MethodPost, "/api/v1/tenants", tok, map[string]any{"name": "C", "hostnames": hosts,
				"admin": map[string]any{"email": "boss@c.example.com", "password": "Kq-d040e-001e1"}}).
				wantError(http.StatusConflict, "hostname_taken")
		}
		sys.do(http.MethodPatch, "/api/v1/tenants/"+system.ID, tok, map[string]any{"hostnames": []string{"a.example.com", tnHostB}}).
			wantError(http.StatusConflict, "hostname_taken")
		// Nothing half-written: no tenant C, no hostname moved, B unchanged.
		after := tnTenants(sys, tok)
		if len(after) != len(before) {
			t.Fatalf("tenants %+v after refused creations, want %+v", after, before)
		}
		for i := range after {
			if after[i].ID != before[i].ID || !slices.Equal(after[i].Hostnames, before[i].Hostnames) {
				t.Errorf("tenant changed: %+v, was %+v", after[i], before[i])
			}
		}
		for _, host := range []string{"c.example.com", "a.example.com"} {
			c := tnHost{h: sys.h, host: host}
			c.do(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": "boss@c.example.com", "password": "Kq-d040e-001e1"}).
				wantError(http.StatusNotFound, "tenant_not_found")
		}
		b.with(t).me(bTok.AccessToken)
	})

	t.Run("the system tenant cannot be deleted", func(t *testing.T) {
		sys := sys.with(t)
		sys.do(http.MethodDelete, "/api/v1/tenants/"+system.ID, sysTok.AccessToken, nil).wantError(http.StatusUnprocessableEntity, "state_conflict")
		sys.me(sysTok.AccessToken)
		sys.get("/api/v1/tenants/"+system.ID, sysTok.AccessToken).want(http.StatusOK)
	})

	// Moving B's host and deleting tenant D share one wait for the cache.
	t.Run("hostname changes and deletion apply after the cache", func(t *testing.T) {
		sys, b := sys.with(t), b.with(t)
		tok := sysTok.AccessToken
		var tenantD tnTenant
		sys.do(http.MethodPost, "/api/v1/tenants", tok, map[string]any{
			"name": "Tenant D", "hostnames": []string{"d.example.com"},
			"admin": map[string]any{"email": "boss@d.example.com", "password": "Kq-d040e-001e1"},
		}).want(http.StatusCreated).Decode(&tenantD)
		d := tnHost{h: sys.h, host: "d.example.com"}
		dTok := d.login("boss@d.example.com", "Kq-d040e-001e1")
		d.me(dTok.AccessToken)
		b.me(bTok.AccessToken) // both hosts are now in the resolver's cache

		moved := sys.do(http.MethodPatch, "/api/v1/tenants/"+tenantB.ID, tok, map[string]any{"hostnames": []string{"B2.example.com"}}).
			want(http.StatusOK).JSON()
		if hosts, _ := moved["hostnames"].([]any); len(hosts) != 1 || hosts[0] != "b2.example.com" {
			t.Errorf("hostnames after the move: %v", moved["hostnames"])
		}
		sys.do(http.MethodDelete, "/api/v1/tenants/"+tenantD.ID, tok, nil).want(http.StatusNoContent)
		sys.get("/api/v1/tenants/"+tenantD.ID, tok).wantError(http.StatusNotFound, "not_found")
		sys.do(http.MethodDelete, "/api/v1/tenants/"+tenantD.ID, tok, nil).wantError(http.StatusNotFound, "not_found")
		b2 := tnHost{h: sys.h, host: "b2.example.com"}
		// A new host is found at once. It is B's primary hostname now, so B's
		// issuer moved with it: tokens issued before are refused there, and
		// the refresh token gets new ones.
		tnWantInvalidToken(b2.get("/api/v1/me", bTok.AccessToken))
		var moved2 tokens
		b2.do(http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": bTok.RefreshToken}).
			want(http.StatusOK).Decode(&moved2)
		if b2.me(moved2.AccessToken) != bossID {
			t.Fatal("b2.example.com does not reach B")
		}

		tnWaitCache()
		b.do(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}).
			wantError(http.StatusNotFound, "tenant_not_found")
		b.get("/api/v1/me", bTok.AccessToken).wantError(http.StatusNotFound, "tenant_not_found")
		b2.login("boss@b.example.com", "Kq-d040e-001e1")
		b2.me(moved2.AccessToken)
		d.do(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": "boss@d.example.com", "password": "Kq-d040e-001e1"}).
			wantError(http.StatusNotFound, "tenant_not_found")
		d.get("/api/v1/me", dTok.AccessToken).wantError(http.StatusNotFound, "tenant_not_found")

		// The freed hostname can be claimed again, by a new tenant.
		sys.do(http.MethodPost, "/api/v1/tenants", tok, map[string]any{"name": "Tenant E", "hostnames": []string{"d.example.com", tnHostB}}).
			want(http.StatusCreated)
		ids := []string{}
		for _, tn := range tnTenants(sys, tok) {
			ids = append(ids, tn.ID)
		}
		if slices.Contains(ids, tenantD.ID) || !slices.Contains(ids, tenantB.ID) || len(ids) != 3 {
			t.Errorf("tenants after the deletion: %v", ids)
		}
	})
	h.get("/healthz", "").want(http.StatusOK)
}

func TestTenantSingleModeAnyHost(t *testing.T) {
	h := newHarness(t, nil)
	var first string
	for _, host := range []string{"", "gatehouse.test", "b.example.com", "anything.example.org:8443", "127.0.0.1", "UNKNOWN"} {
		c := tnHost{h: h, host: host}
		tk := c.login(adminEmail, adminPassword)
		id := c.me(tk.AccessToken)
		if first == "" {
			first = id
		}
		if id != first {
			t.Errorf("host %q reached user %s, want %s", host, id, first)
		}
		// A token from one host works at every other: there is one tenant.
		tnHost{h: h, host: "other.example.net"}.me(tk.AccessToken)
	}
	// Tenants created in single-tenant mode do not take over their hostnames.
	tok := h.admin()
	h.post("/api/v1/tenants", tok, map[string]any{"name": "B", "hostnames": []string{tnHostB},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusCreated)
	b := tnHost{h: h, host: tnHostB}
	if b.me(b.login(adminEmail, adminPassword).AccessToken) != first {
		t.Error("b.example.com left the default tenant in single-tenant mode")
	}
	b.loginFails("boss@b.example.com", "Kq-d040e-001e1")
}

// TestTenantDeletedWithinCache: for the second the resolver still maps a
// deleted tenant's host to it, requests must fail cleanly (4xx), not 500.
// Today a login there writes its audit event for the deleted tenant, the
// foreign key refuses it, and the client gets 500 internal.
func TestTenantDeletedWithinCache(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	sys := tnHost{h: h, host: tnSystemHost}
	tok := sys.login(adminEmail, adminPassword).AccessToken
	var d tnTenant
	sys.do(http.MethodPost, "/api/v1/tenants", tok, map[string]any{"name": "D", "hostnames": []string{"d.example.com"},
		"admin": map[string]any{"email": "boss@d.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusCreated).Decode(&d)
	dh := tnHost{h: h, host: "d.example.com"}
	dTok := dh.login("boss@d.example.com", "Kq-d040e-001e1") // d.example.com is now cached
	sys.do(http.MethodDelete, "/api/v1/tenants/"+d.ID, tok, nil).want(http.StatusNoContent)

	// Tokens and refresh tokens of the deleted tenant already fail cleanly.
	if r := dh.get("/api/v1/me", dTok.AccessToken); r.Status != http.StatusUnauthorized && r.Status != http.StatusNotFound {
		t.Errorf("GET /me with a deleted tenant's token: %d %s", r.Status, r.Body)
	}
	if r := dh.do(http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": dTok.RefreshToken}); r.Status != http.StatusUnauthorized && r.Status != http.StatusNotFound {
		t.Errorf("refresh with a deleted tenant's token: %d %s", r.Status, r.Body)
	}
	for _, email := range []string{"boss@d.example.com", "nobody@d.example.com"} {
		r := dh.do(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": "Kq-d040e-001e1"})
		switch {
		case r.Status == http.StatusNotFound:
			r.wantError(http.StatusNotFound, "tenant_not_found")
		default:
			r.wantError(http.StatusUnauthorized, "invalid_credentials")
		}
	}
	h.get("/healthz", "").want(http.StatusOK)
}
