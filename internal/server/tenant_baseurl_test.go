package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// The issuer of these tests has a scheme and port of its own, which every
// tenant's base URL keeps.
const buIssuer = "https://gatehouse.test:8443"

// buLink is the link in the newest mail of kind to an address, as the
// tenant of c (whose admin holds token) queued it.
func buLink(c tnHost, token, to, kind string) *url.URL {
	c.h.t.Helper()
	var page struct {
		Data []struct {
			Kind string `json:"kind"`
			Text string `json:"text"`
		} `json:"data"`
	}
	c.get("/api/v1/outbox?limit=100&to="+url.QueryEscape(to), token).want(http.StatusOK).Decode(&page)
	for _, m := range page.Data {
		if m.Kind != kind {
			continue
		}
		raw := buLinkPattern.FindString(m.Text)
		u, err := url.Parse(raw)
		if raw == "" || err != nil {
			c.h.t.Fatalf("no link in the %s mail to %s: %q", kind, to, m.Text)
		}
		return u
	}
	c.h.t.Fatalf("no %s mail to %s", kind, to)
	return nil
}

var buLinkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// buFollow is a client of the host a link points to, and the link's token.
func buFollow(h *harness, link *url.URL, param string) (tnHost, string) {
	h.t.Helper()
	tok := link.Query().Get(param)
	if tok == "" {
		h.t.Fatalf("link %s carries no %s", link, param)
	}
	return tnHost{h: h, host: link.Host}, tok
}

// buWantLink fails unless link is base+path, carrying a token in param
// unless param is "".
func buWantLink(t *testing.T, kind string, link *url.URL, base, path, param string) {
	t.Helper()
	if got := link.Scheme + "://" + link.Host + link.Path; got != base+path || (param != "" && link.Query().Get(param) == "") {
		t.Errorf("%s link %s, want %s%s with a %q parameter", kind, link, base, path, param)
	}
}

// buClaims reads an access token's issuer and audience (jwtClaims).
func buClaims(t *testing.T, raw string) (iss string, aud []string) {
	t.Helper()
	var c struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	jwtClaims(t, raw, &c)
	if err := json.Unmarshal(c.Aud, &aud); err != nil {
		var one string
		if err := json.Unmarshal(c.Aud, &one); err != nil {
			t.Fatalf("aud %s", c.Aud)
		}
		aud = []string{one}
	}
	return c.Iss, aud
}

func buWantIssuer(t *testing.T, what, raw, base string) {
	t.Helper()
	iss, aud := buClaims(t, raw)
	if iss != base || len(aud) != 1 || aud[0] != base {
		t.Errorf("%s: iss %q aud %q, want both %q", what, iss, aud, base)
	}
}

// buBaseURLs maps tenant ids to the base_url the tenants API answers.
func buBaseURLs(sys tnHost, token string) map[string]string {
	sys.h.t.Helper()
	var page struct {
		Data []struct {
			ID      string `json:"id"`
			BaseURL string `json:"base_url"`
		} `json:"data"`
	}
	sys.get("/api/v1/tenants?limit=100", token).want(http.StatusOK).Decode(&page)
	m := map[string]string{}
	for _, tn := range page.Data {
		m[tn.ID] = tn.BaseURL
	}
	return m
}

// TestTenantBaseURL: in multi-tenant mode, everything a tenant's users get
// names the tenant's own base URL — its primary (first) hostname with the
// issuer's scheme and port: the links in its mails, which work where they
// point, and the issuer and audience of its tokens. Before, links pointed at
// the issuer's host, the system tenant, which refused their tokens.
func TestTenantBaseURL(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true", "GATEHOUSE_ISSUER": buIssuer})
	sys := tnHost{h: h, host: tnSystemHost}
	sysTok := sys.login(adminEmail, adminPassword).AccessToken
	buWantIssuer(t, "the system tenant's token", sysTok, buIssuer)

	var tenantB tnTenant
	sys.do(http.MethodPost, "/api/v1/tenants", sysTok, map[string]any{
		"name": "Tenant B", "hostnames": []string{"login.b.example.com", "b.example.com"},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1", "name": "Boss"},
	}).want(http.StatusCreated).Decode(&tenantB)
	const baseB = "https://login.b.example.com:8443"

	// Requests come through B's second hostname; links name its first.
	b := tnHost{h: h, host: "b.example.com"}
	boss := b.login("boss@b.example.com", "Kq-d040e-001e1").AccessToken
	buWantIssuer(t, "B's token", boss, baseB)
	b.do(http.MethodPatch, "/api/v1/settings", boss, map[string]any{"signup": map[string]any{"policy": "open"}}).want(http.StatusOK)

	t.Run("verification link", func(t *testing.T) {
		b := b.with(t)
		b.do(http.MethodPost, "/api/v1/auth/register", "", map[string]any{"email": "una@b.example.com", "password": goodPassword, "name": "Una"}).
			want(http.StatusCreated)
		link := buLink(b, boss, "una@b.example.com", "verify_email")
		buWantLink(t, "verify_email", link, baseB, "/verify-email", "token")
		at, tok := buFollow(b.h, link, "token")
		// The system tenant does not know the token; B's host does.
		sys.with(t).do(http.MethodPost, "/api/v1/auth/email/verify", "", map[string]any{"token": tok}).wantError(http.StatusUnauthorized, "invalid_token")
		at.do(http.MethodPost, "/api/v1/auth/email/verify", "", map[string]any{"token": tok}).want(http.StatusNoContent)
	})

	t.Run("reset link", func(t *testing.T) {
		b := b.with(t)
		b.do(http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]any{"email": "una@b.example.com"}).want(http.StatusAccepted)
		link := buLink(b, boss, "una@b.example.com", "password_reset")
		buWantLink(t, "password_reset", link, baseB, "/reset-password", "token")
		at, tok := buFollow(b.h, link, "token")
		at.do(http.MethodPost, "/api/v1/auth/password/reset", "", map[string]any{"token": tok, "new_password": "marigold-ferry-42-quartz"}).
			want(http.StatusNoContent)
		una := at.login("una@b.example.com", "marigold-ferry-42-quartz").AccessToken
		buWantIssuer(t, "a token of B signed in at its primary host", una, baseB)
		// The notice of the change points at B's own forgot page.
		buWantLink(t, "password_changed", buLink(b, boss, "una@b.example.com", "password_changed"), baseB, "/forgot", "")
	})

	t.Run("email change link", func(t *testing.T) {
		b := b.with(t)
		una := b.login("una@b.example.com", "marigold-ferry-42-quartz").AccessToken
		b.do(http.MethodPost, "/api/v1/me/email", una, map[string]any{"new_email": "una.new@b.example.com", "password": "marigold-ferry-42-quartz"}).
			want(http.StatusAccepted)
		link := buLink(b, boss, "una.new@b.example.com", "email_change_confirm")
		buWantLink(t, "email_change_confirm", link, baseB, "/confirm-email", "token")
		at, tok := buFollow(b.h, link, "token")
		at.do(http.MethodPost, "/api/v1/auth/email/confirm", "", map[string]any{"token": tok}).want(http.StatusNoContent)
		b.login("una.new@b.example.com", "marigold-ferry-42-quartz")
	})

	t.Run("invitation link", func(t *testing.T) {
		b := b.with(t)
		b.do(http.MethodPost, "/api/v1/invitations", boss, map[string]any{"email": "vic@b.example.com"}).want(http.StatusCreated)
		link := buLink(b, boss, "vic@b.example.com", "invitation")
		buWantLink(t, "invitation", link, baseB, "/signup", "invitation")
		at, tok := buFollow(b.h, link, "invitation")
		at.do(http.MethodPost, "/api/v1/auth/register", "", map[string]any{"email": "vic@b.example.com", "password": goodPassword,
			"name": "Vic", "invitation_token": tok}).want(http.StatusCreated)
		at.login("vic@b.example.com", goodPassword)
	})

	t.Run("tokens of one tenant are refused at another", func(t *testing.T) {
		sys, b := sys.with(t), b.with(t)
		tnWantInvalidToken(b.get("/api/v1/me", sysTok))
		tnWantInvalidToken(sys.get("/api/v1/me", boss))
		sys.me(sysTok)
		b.me(boss)
	})

	t.Run("base URL in answers", func(t *testing.T) {
		sys, b := sys.with(t), b.with(t)
		urls := buBaseURLs(sys, sysTok)
		if urls[tenantB.ID] != baseB || len(urls) != 2 {
			t.Errorf("tenants API base URLs %v, want B's %s", urls, baseB)
		}
		for id, u := range urls {
			if id != tenantB.ID && u != buIssuer {
				t.Errorf("the system tenant's base URL %q, want the issuer %s", u, buIssuer)
			}
		}
		for _, c := range []struct {
			host tnHost
			base string
		}{{sys, buIssuer}, {b, baseB}} {
			cfg := c.host.get("/.well-known/authzen-configuration", "").want(http.StatusOK).JSON()
			if cfg["policy_decision_point"] != c.base || cfg["access_evaluation_endpoint"] != c.base+"/access/v1/evaluation" {
				t.Errorf("AuthZEN metadata at %s: %v, want %s", c.host.host, cfg, c.base)
			}
		}
		tnHost{h: sys.h, host: "nobody.example.com"}.get("/.well-known/authzen-configuration", "").wantError(http.StatusNotFound, "tenant_not_found")
	})

	// Last: a new primary hostname is a new issuer. The tenant id of B's
	// token still matches at the new host; its issuer does not.
	t.Run("a new primary hostname is a new issuer", func(t *testing.T) {
		sys := sys.with(t)
		sys.do(http.MethodPatch, "/api/v1/tenants/"+tenantB.ID, sysTok, map[string]any{
			"hostnames": []string{"new.b.example.com", "login.b.example.com", "b.example.com"}}).want(http.StatusOK)
		const newBase = "https://new.b.example.com:8443"
		if got := buBaseURLs(sys, sysTok)[tenantB.ID]; got != newBase {
			t.Errorf("B's base URL %q after the change, want %s", got, newBase)
		}
		nb := tnHost{h: sys.h, host: "new.b.example.com"}
		tnWantInvalidToken(nb.get("/api/v1/me", boss))
		fresh := nb.login("boss@b.example.com", "Kq-d040e-001e1").AccessToken
		buWantIssuer(t, "B's token after the change", fresh, newBase)
		nb.me(fresh)
	})
}

// TestTenantBaseURLSingleMode: in single-tenant mode every request reaches
// the system tenant, whose base URL is the issuer, whatever the host and
// whatever other tenants exist.
func TestTenantBaseURLSingleMode(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_ISSUER": buIssuer})
	host := tnHost{h: h, host: "b.example.com"}
	admin := host.login(adminEmail, adminPassword).AccessToken
	buWantIssuer(t, "token", admin, buIssuer)
	host.do(http.MethodPost, "/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{"b.example.com"}}).
		want(http.StatusCreated)
	for id, u := range buBaseURLs(host, admin) {
		if u != buIssuer {
			t.Errorf("tenant %s: base URL %q, want the issuer %s", id, u, buIssuer)
		}
	}
	userID := host.createUser(admin, "rita@example.com", goodPassword)
	host.do(http.MethodPost, "/api/v1/users/"+userID+"/password", admin, map[string]any{"send_reset_email": true}).want(http.StatusNoContent)
	link := buLink(host, admin, "rita@example.com", "password_reset")
	buWantLink(t, "password_reset", link, buIssuer, "/reset-password", "token")
	at, tok := buFollow(h, link, "token")
	at.do(http.MethodPost, "/api/v1/auth/password/reset", "", map[string]any{"token": tok, "new_password": "marigold-ferry-42-quartz"}).
		want(http.StatusNoContent)
	rita := tnHost{h: h, host: "other.example.net"}.login("rita@example.com", "marigold-ferry-42-quartz").AccessToken
	buWantIssuer(t, "token at another host", rita, buIssuer)
	host.me(rita)
	if cfg := host.get("/.well-known/authzen-configuration", "").want(http.StatusOK).JSON(); cfg["policy_decision_point"] != buIssuer {
		t.Errorf("AuthZEN metadata %v, want %s", cfg, buIssuer)
	}
}

// The issuer's hostname reaches the system tenant. A tenant that claimed it
// would take the system tenant's host, and the system tenant's links and
// tokens would lead to it: it is refused to every other tenant.
func TestIssuerHostnameBelongsToTheSystemTenant(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true", "GATEHOUSE_ISSUER": buIssuer})
	sys := tnHost{h: h, host: tnSystemHost}
	tok := sys.login(adminEmail, adminPassword).AccessToken

	for _, hosts := range [][]string{{"gatehouse.test"}, {"c.example.com", "GateHouse.Test"}} {
		m := sys.do(http.MethodPost, "/api/v1/tenants", tok, map[string]any{"name": "Tenant C", "hostnames": hosts}).
			wantError(http.StatusConflict, "hostname_taken")
		if d, _ := m["details"].(map[string]any); d["hostname"] != "gatehouse.test" {
			t.Errorf("details %v, want the issuer's hostname", m["details"])
		}
	}
	var c tnTenant
	sys.do(http.MethodPost, "/api/v1/tenants", tok, map[string]any{"name": "Tenant C", "hostnames": []string{"c.example.com"}}).
		want(http.StatusCreated).Decode(&c)
	sys.do(http.MethodPatch, "/api/v1/tenants/"+c.ID, tok, map[string]any{"hostnames": []string{"gatehouse.test"}}).
		wantError(http.StatusConflict, "hostname_taken")
	// The issuer's host still reaches the system tenant.
	buWantIssuer(t, "a token signed in at the issuer's host", tnHost{h: h, host: "gatehouse.test"}.login(adminEmail, adminPassword).AccessToken, buIssuer)
}
