package server_test

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/browsertest"
	"github.com/gatehouse-iam/gatehouse/internal/federation/samltest"
	"github.com/gatehouse-iam/gatehouse/internal/server"
)

// TestFederatedSAMLSignIn: a company's SAML IdP, with metadata at a URL:
// Gatehouse publishes its SP metadata, an email of the company's domain
// leads to the IdP, an encrypted, signed assertion signs the person in
// (JIT), a replayed one is refused with a page, and a rotated IdP key is
// trusted once the metadata is read again.
func TestFederatedSAMLSignIn(t *testing.T) {
	idp, err := samltest.New("https://idp.acme.example/saml", "https://idp.acme.example/sso")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	metadata := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write([]byte(idp.Metadata()))
	}))
	defer metadata.Close()
	h := newHarnessWith(t, map[string]string{"GATEHOUSE_ISSUER": "https://127.0.0.1:" + portPlaceholder},
		func(o *server.Options) { o.Outbound = &http.Client{Timeout: 10 * time.Second} })
	admin := h.admin()
	p := h.post("/api/v1/federated/providers", admin, map[string]any{"name": "Acme SAML", "kind": "saml",
		"metadata_url": metadata.URL + "/metadata", "domains": []string{"acme.example"}, "jit_provisioning": true}).want(http.StatusCreated).JSON()
	id := p["id"].(string)
	f := &federation{t: t, down: h, downAdmin: admin, providerID: id}

	// The SP metadata an IdP admin is given.
	b := f.browser()
	md := b.get(p["sp_metadata_url"].(string))
	var sp struct {
		EntityID string `xml:"entityID,attr"`
		SP       struct {
			Keys []struct {
				Use  string `xml:"use,attr"`
				Cert string `xml:"KeyInfo>X509Data>X509Certificate"`
			} `xml:"KeyDescriptor"`
			ACS []struct {
				Location string `xml:"Location,attr"`
			} `xml:"AssertionConsumerService"`
		} `xml:"SPSSODescriptor"`
	}
	if md.Status != http.StatusOK || xml.Unmarshal([]byte(md.Body), &sp) != nil || sp.EntityID != p["sp_metadata_url"] ||
		len(sp.SP.ACS) != 1 || sp.SP.ACS[0].Location != p["acs_url"] {
		t.Fatalf("SP metadata %d: %s", md.Status, md.Body)
	}
	var encryptTo []byte
	for _, k := range sp.SP.Keys {
		if k.Use == "encryption" {
			encryptTo, _ = base64.StdEncoding.DecodeString(k.Cert)
		}
	}
	if encryptTo == nil {
		t.Fatalf("no encryption key in %s", md.Body)
	}

	// signIn goes from the sign-in page to the IdP by the email's domain,
	// and answers the AuthnRequest with the response o makes.
	signIn := func(b *webBrowser, o samltest.Options) (*page, string) {
		t.Helper()
		// prompt=login: the form shows to a browser signed in already too.
		b.get(f.downURL("/login?prompt=login")).want(t, http.StatusOK)
		toIdP := b.get(b.submit("/login", url.Values{"email": {"ada@acme.example"}, "password": {""}}).Header.Get("Location"))
		loc := toIdP.Header.Get("Location")
		if !strings.HasPrefix(loc, idp.SSOURL+"?") {
			t.Fatalf("home-realm discovery led to %d %q", toIdP.Status, loc)
		}
		req, err := samltest.ParseRedirect(loc)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		res, err := idp.Response(idp.Answer(req, "ada-at-acme", map[string][]string{"email": {"ada@acme.example"},
			"name": {"Ada Lovelace"}}, h.clock.Now()), o)
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"SAMLResponse": {res}, "RelayState": {req.RelayState}}
		// The IdP's page posts the form: a cross-site POST, which brings
		// the SameSite=None federation cookie but not the Lax session one.
		acs := mustParse(t, p["acs_url"].(string))
		if jar := b.client.Jar; jar != nil {
			var kept []*http.Cookie
			for _, c := range jar.Cookies(acs) {
				if c.Name == "__Host-gatehouse" {
					c.Path, c.MaxAge = "/", -1
				}
				kept = append(kept, c)
			}
			jar.SetCookies(acs, kept)
		}
		return b.do(http.MethodPost, acs.String(), form), res
	}
	b = f.browser()
	landed, res := signIn(b, samltest.Options{SignAssertion: true, EncryptTo: encryptTo})
	if landed.Status != http.StatusSeeOther || landed.Header.Get("Location") != "/account" {
		t.Fatalf("after the ACS: %d %s", landed.Status, landed.text())
	}
	if account := b.get(f.downURL("/account")).want(t, http.StatusOK); !strings.Contains(account.text(), "ada@acme.example") {
		t.Fatalf("the account page: %s", account.text())
	}
	ada := f.userByEmail("ada@acme.example")
	if ada == nil || ada["email_verified"] != true || len(f.identities(ada["id"].(string))) != 1 {
		t.Fatalf("the provisioned user: %v", ada)
	}
	// Signing in again in the same browser ends the earlier session,
	// although the IdP's POST came without its cookie.
	earlier := sessionCookie(t, b, f.downURL("/account"))
	if again, _ := signIn(b, samltest.Options{SignAssertion: true, EncryptTo: encryptTo}); again.Status != http.StatusSeeOther {
		t.Fatalf("signing in again: %d %s", again.Status, again.text())
	}
	if later := sessionCookie(t, b, f.downURL("/account")); later == nil || later.Value == earlier.Value {
		t.Fatal("the second sign-in set no new session cookie")
	}
	old := f.browser()
	old.client.Jar.SetCookies(mustParse(t, f.downURL("/account")), []*http.Cookie{earlier})
	if p := old.get(f.downURL("/account")); p.Status != http.StatusSeeOther {
		t.Errorf("the session the browser held before signing in again still opens /account: %d", p.Status)
	}

	// The same response again is refused, with a page.
	wantRefusal(t, b.do(http.MethodPost, p["acs_url"].(string), url.Values{"SAMLResponse": {res}, "RelayState": {"x"}}),
		http.StatusUnauthorized, "start again")

	// The IdP rotates its key: refused until its metadata is read again.
	mu.Lock()
	if err := idp.Rotate(); err != nil {
		t.Fatal(err)
	}
	mu.Unlock()
	refused, _ := signIn(f.browser(), samltest.Options{SignAssertion: true})
	wantRefusal(t, refused, http.StatusUnauthorized, "could not be verified")
	h.clock.Advance(61 * time.Minute)
	f.downAdmin = h.admin()
	if again, _ := signIn(f.browser(), samltest.Options{SignResponse: true}); again.Status != http.StatusSeeOther {
		t.Fatalf("after the metadata was read again: %d %s", again.Status, again.text())
	}
	if refusals := f.refusals(); refusals["state"] != 1 || refusals["token"] != 1 {
		t.Errorf("audited refusals: %v", refusals)
	}
}

// sessionCookie is the session cookie b holds for raw.
func sessionCookie(t *testing.T, b *webBrowser, raw string) *http.Cookie {
	t.Helper()
	for _, c := range b.client.Jar.Cookies(mustParse(t, raw)) {
		if c.Name == "__Host-gatehouse" {
			return c
		}
	}
	return nil
}

// TestFederatedSAMLInChromium: in a real browser, an email of the
// company's domain leads to its SAML IdP, whose page posts an encrypted,
// signed assertion back across sites, and the person is signed in.
func TestFederatedSAMLInChromium(t *testing.T) {
	chromium := browsertest.New(t)
	idpServer := httptest.NewServer(nil)
	defer idpServer.Close()
	idp, err := samltest.New("https://idp.acme.example/saml", idpServer.URL+"/sso")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, map[string]string{"GATEHOUSE_ISSUER": "https://127.0.0.1:" + portPlaceholder},
		func(o *server.Options) { o.Outbound = &http.Client{Timeout: 10 * time.Second} })
	admin := h.admin()
	p := h.post("/api/v1/federated/providers", admin, map[string]any{"name": "Acme SAML", "kind": "saml",
		"metadata_xml": idp.Metadata(), "domains": []string{"acme.example"}, "jit_provisioning": true}).want(http.StatusCreated).JSON()
	var sp struct {
		Keys []struct {
			Use  string `xml:"use,attr"`
			Cert string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"SPSSODescriptor>KeyDescriptor"`
	}
	if err := xml.Unmarshal(h.get(strings.TrimPrefix(p["sp_metadata_url"].(string), h.ts.URL), "").want(http.StatusOK).Body, &sp); err != nil {
		t.Fatal(err)
	}
	var encryptTo []byte
	for _, k := range sp.Keys {
		if k.Use == "encryption" {
			encryptTo, _ = base64.StdEncoding.DecodeString(k.Cert)
		}
	}
	idpServer.Config.Handler = idp.Handler(func(req samltest.Request) (*samltest.Assertion, samltest.Options) {
		return idp.Answer(req, "ada-at-acme", map[string][]string{"email": {"ada@acme.example"}}, h.clock.Now()),
			samltest.Options{SignAssertion: true, EncryptTo: encryptTo}
	})

	tab := chromium.Tab(t)
	tab.Open(h.ts.URL + "/login")
	tab.Fill("Email address", "ada@acme.example")
	tab.Press("Sign in")
	if !strings.HasPrefix(tab.URL(), idpServer.URL+"/sso") {
		t.Fatalf("home-realm discovery led to %s: %s", tab.URL(), tab.Text())
	}
	tab.Press("Continue")
	if tab.URL() != h.ts.URL+"/account" || !strings.Contains(tab.Text(), "ada@acme.example") {
		t.Fatalf("after the IdP the browser is at %s: %s", tab.URL(), tab.Text())
	}
}
