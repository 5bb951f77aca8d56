package server_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/gatehouse-iam/gatehouse/internal/browsertest"
	"github.com/gatehouse-iam/gatehouse/internal/federation/samltest"
	"github.com/gatehouse-iam/gatehouse/internal/server"
)

// testDNS is a DNS server of the test's own: it answers TXT questions
// from its records, and nothing else, as the world's DNS would for the
// domains a test pretends to own.
type testDNS struct {
	conn net.PacketConn
	mu   sync.Mutex
	txt  map[string][]string
}

func newTestDNS(t *testing.T) *testDNS {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &testDNS{conn: conn, txt: map[string][]string{}}
	t.Cleanup(func() { conn.Close() })
	go d.serve()
	return d
}

func (d *testDNS) publish(name, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txt[strings.ToLower(strings.TrimSuffix(name, "."))+"."] = append(d.txt[strings.ToLower(name)+"."], value)
}

func (d *testDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, addr, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
		b.EnableCompression()
		_ = b.StartQuestions()
		_ = b.Question(q)
		_ = b.StartAnswers()
		d.mu.Lock()
		values := d.txt[strings.ToLower(q.Name.String())]
		d.mu.Unlock()
		if q.Type == dnsmessage.TypeTXT {
			for _, v := range values {
				_ = b.TXTResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.TXTResource{TXT: []string{v}})
			}
		}
		out, err := b.Finish()
		if err == nil {
			_, _ = d.conn.WriteTo(out, addr)
		}
	}
}

// resolver is a resolver asking only this server.
func (d *testDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", d.conn.LocalAddr().String())
	}}
}

var verificationValue = regexp.MustCompile(`gatehouse-domain-verification=[a-z0-9]+`)

// TestSSOSetupLink: an admin gives an organization's IT admin a link; with
// it, and no account, they describe their SAML IdP, prove their domain by
// DNS and turn sign-in on; then the organization's people sign in through
// it. The link then no longer works.
func TestSSOSetupLink(t *testing.T) {
	dns := newTestDNS(t)
	h := newHarnessWith(t, map[string]string{"GATEHOUSE_ISSUER": "https://127.0.0.1:" + portPlaceholder}, func(o *server.Options) {
		o.Outbound = &http.Client{Timeout: 10 * time.Second}
		o.Resolver = dns.resolver()
	})
	admin := h.admin()
	acme := h.createOrg(admin, map[string]any{"name": "Acme", "alias": "acme"})["id"].(string)
	link := h.post("/api/v1/organizations/"+acme+"/sso-setup-links", admin, map[string]any{}).want(http.StatusCreated)
	if link.Header.Get("Cache-Control") != "no-store" {
		t.Error("the link's answer may be cached")
	}
	l := link.JSON()
	setupURL, providerID := l["url"].(string), l["provider_id"].(string)
	h.post("/api/v1/organizations/"+acme+"/sso-setup-links", admin, map[string]any{"expires_in_hours": 1000}).wantError(http.StatusBadRequest, "invalid_request")
	h.post("/api/v1/organizations/00000000-0000-7000-8000-000000000000/sso-setup-links", admin, nil).wantError(http.StatusNotFound, "not_found")
	f := &federation{t: t, down: h, downAdmin: admin, providerID: providerID}

	b := f.browser()
	setup := b.get(setupURL).want(t, http.StatusOK)
	if !strings.Contains(setup.text(), "Set up single sign-on for Acme") || !strings.Contains(setup.text(), "/saml/"+providerID+"/acs") {
		t.Fatalf("the set-up page: %s", setup.text())
	}
	wantRefusal := func(p *page, status int, text string) {
		t.Helper()
		if p.Status != status || !strings.Contains(p.text(), text) {
			t.Fatalf("status %d, want %d saying %q: %s", p.Status, status, text, p.text())
		}
	}
	wantRefusal(b.submit(setupURL+"/complete", url.Values{}), http.StatusUnprocessableEntity, "verify at least one domain first")
	wantRefusal(b.submit(setupURL+"/provider", url.Values{"kind": {"saml"}, "metadata_xml": {"<nope/>"}}), http.StatusBadRequest, "")

	idp, err := samltest.New("https://idp.acme.example/saml", "https://idp.acme.example/sso")
	if err != nil {
		t.Fatal(err)
	}
	b.get(setupURL)
	if p := b.submit(setupURL+"/provider", url.Values{"kind": {"saml"}, "metadata_xml": {idp.Metadata()}}); p.Status != http.StatusSeeOther {
		t.Fatalf("describing the IdP: %d %s", p.Status, p.text())
	}
	b.get(setupURL)
	b.submit(setupURL+"/domains", url.Values{"domain": {"Acme.Example"}}).want(t, http.StatusSeeOther)
	setup = b.get(setupURL).want(t, http.StatusOK)
	value := verificationValue.FindString(setup.text())
	if value == "" || !strings.Contains(setup.text(), "_gatehouse-challenge.acme.example") {
		t.Fatalf("no TXT record to publish: %s", setup.text())
	}
	wantRefusal(b.submit(setupURL+"/verify", url.Values{"domain": {"acme.example"}}), http.StatusUnprocessableEntity, "was not found yet")
	dns.publish("_gatehouse-challenge.acme.example", "some-other-record")
	dns.publish("_gatehouse-challenge.acme.example", value)
	b.get(setupURL)
	b.submit(setupURL+"/verify", url.Values{"domain": {"acme.example"}}).want(t, http.StatusSeeOther)
	b.get(setupURL)
	done := b.submit(setupURL+"/complete", url.Values{}).want(t, http.StatusOK)
	if !strings.Contains(done.text(), "Single sign-on is on") {
		t.Fatalf("after completing: %s", done.text())
	}
	if again := b.get(setupURL); again.Status == http.StatusOK || !strings.Contains(again.text(), "no longer works") {
		t.Fatalf("the used link: %d %s", again.Status, again.text())
	}
	p := h.get("/api/v1/federated/providers/"+providerID, admin).want(http.StatusOK).JSON()
	if p["enabled"] != true || p["organization_id"] != acme || p["kind"] != "saml" || jsonString(p["domains"]) != `["acme.example"]` {
		t.Fatalf("the provider set up: %v", p)
	}
	for _, action := range []string{"sso_setup_link.created", "sso_setup_link.provider_set", "sso_setup_link.domain_added",
		"sso_setup_link.domain_verified", "sso_setup_link.completed"} {
		if len(h.auditEvents(admin, "action="+action)) == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}

	// A person of Acme now signs in through it, and joins Acme.
	person := f.browser()
	person.get(f.downURL("/login"))
	start := person.submit("/login", url.Values{"email": {"ada@acme.example"}, "password": {""}}).Header.Get("Location")
	req, err := samltest.ParseRedirect(person.get(start).Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := idp.Response(idp.Answer(req, "ada", map[string][]string{"email": {"ada@acme.example"}}, h.clock.Now()),
		samltest.Options{SignAssertion: true})
	if err != nil {
		t.Fatal(err)
	}
	signedIn := person.do(http.MethodPost, f.downURL("/saml/"+providerID+"/acs"), url.Values{"SAMLResponse": {res}, "RelayState": {req.RelayState}})
	if signedIn.Status != http.StatusSeeOther {
		t.Fatalf("the first sign-in: %d %s", signedIn.Status, signedIn.text())
	}
	members := h.get("/api/v1/organizations/"+acme+"/members", admin).want(http.StatusOK).JSON()["data"].([]any)
	if len(members) != 1 {
		t.Errorf("acme's members: %v", members)
	}

	// Links expire; forged ones are refused alike.
	old := h.post("/api/v1/organizations/"+acme+"/sso-setup-links", admin, map[string]any{"expires_in_hours": 1}).want(http.StatusCreated).JSON()["url"].(string)
	h.clock.Advance(61 * time.Minute)
	for _, u := range []string{old, f.downURL("/sso-setup/gtsso_forged"), f.downURL("/sso-setup/x")} {
		if p := f.browser().get(u); p.Status == http.StatusOK || !strings.Contains(p.text(), "no longer works") {
			t.Errorf("%s: %d %s", u, p.Status, p.text())
		}
	}
}

// TestSSOSetupPageInChromium: the set-up page passes axe-core.
func TestSSOSetupPageInChromium(t *testing.T) {
	chromium := browsertest.New(t)
	h := newHarness(t, nil)
	admin := h.admin()
	acme := h.createOrg(admin, map[string]any{"name": "Acme", "alias": "acme"})["id"].(string)
	u := h.post("/api/v1/organizations/"+acme+"/sso-setup-links", admin, nil).want(http.StatusCreated).JSON()["url"].(string)
	tab := chromium.Tab(t)
	tab.Open(h.ts.URL + strings.TrimPrefix(u, "http://gatehouse.test"))
	if !strings.Contains(tab.Text(), "Set up single sign-on for Acme") {
		t.Fatalf("the set-up page: %s", tab.Text())
	}
	visit(tab, "sso-setup")
}

// TestSSOSetupLinkLimits: the link's secret stays out of logs and audit
// events; an admin's change to the provider, or a revocation, ends the
// link; a public OpenID issuer is refused; a second link for the same
// organization sets up a provider of its own.
func TestSSOSetupLinkLimits(t *testing.T) {
	h := newHarnessWith(t, map[string]string{"GATEHOUSE_ISSUER": "https://127.0.0.1:" + portPlaceholder},
		func(o *server.Options) { o.Outbound = &http.Client{Timeout: 10 * time.Second} })
	admin := h.admin()
	acme := h.createOrg(admin, map[string]any{"name": "Acme", "alias": "acme"})["id"].(string)
	newLink := func() (string, string, string) {
		l := h.post("/api/v1/organizations/"+acme+"/sso-setup-links", admin, nil).want(http.StatusCreated).JSON()
		return l["id"].(string), l["url"].(string), l["provider_id"].(string)
	}
	f := &federation{t: t, down: h, downAdmin: admin}
	idp, err := samltest.New("https://idp.acme.example/saml", "https://idp.acme.example/sso")
	if err != nil {
		t.Fatal(err)
	}
	describe := func(b *webBrowser, setupURL string, form url.Values) *page {
		t.Helper()
		b.get(setupURL)
		return b.submit(setupURL+"/provider", form)
	}

	linkID, setupURL, providerID := newLink()
	token := setupURL[strings.LastIndexByte(setupURL, '/')+1:]
	b := f.browser()
	// A forged form: refused and audited, without the secret.
	b.do(http.MethodPost, setupURL+"/domains", url.Values{"domain": {"acme.example"}}).want(t, http.StatusForbidden)
	if strings.Contains(h.logs.String(), token) || strings.Contains(jsonString(h.auditEvents(admin, "")), token) {
		t.Fatal("the set-up link's secret is in the log or the audit log")
	}
	if p := describe(b, setupURL, url.Values{"kind": {"oidc"}, "issuer": {"https://accounts.google.com"}, "client_id": {"c"},
		"client_secret": {"s"}}); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `aria-describedby="e-issuer"`) {
		t.Fatalf("a public issuer: %d %s", p.Status, p.text())
	}
	describe(b, setupURL, url.Values{"kind": {"saml"}, "metadata_xml": {idp.Metadata()}}).want(t, http.StatusSeeOther)
	// The admin changes the provider: the link no longer works.
	h.patch("/api/v1/federated/providers/"+providerID, admin, map[string]any{"link_policy": "sign_in"}).want(http.StatusOK)
	if p := b.get(setupURL); p.Status == http.StatusOK {
		t.Fatalf("the link works after an admin's change: %s", p.text())
	}
	var links struct {
		Data []map[string]any `json:"data"`
	}
	h.get("/api/v1/organizations/"+acme+"/sso-setup-links", admin).want(http.StatusOK).Decode(&links)
	if len(links.Data) != 1 || links.Data[0]["id"] != linkID || links.Data[0]["completed_at"] == nil ||
		strings.Contains(jsonString(links.Data), token) {
		t.Fatalf("the links: %v", links.Data)
	}

	// A second link sets up a provider of its own, and is revoked.
	secondID, secondURL, secondProvider := newLink()
	if secondProvider == providerID {
		t.Fatal("two links set up one provider")
	}
	other := f.browser()
	describe(other, secondURL, url.Values{"kind": {"saml"}, "metadata_xml": {idp.Metadata()}}).want(t, http.StatusSeeOther)
	h.delete("/api/v1/organizations/"+acme+"/sso-setup-links/"+secondID, admin).want(http.StatusNoContent)
	h.delete("/api/v1/organizations/"+acme+"/sso-setup-links/"+secondID, admin).wantError(http.StatusNotFound, "not_found")
	if p := other.get(secondURL); p.Status == http.StatusOK {
		t.Fatal("a revoked link works")
	}
	if len(h.auditEvents(admin, "action=sso_setup_link.revoked")) != 1 {
		t.Error("the revocation is not audited")
	}
}
