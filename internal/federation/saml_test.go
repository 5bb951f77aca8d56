package federation_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/federation/samltest"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// samlFixture is a tenant with a SAML provider of the test IdP.
type samlFixture struct {
	*fixture
	idp    *samltest.IdP
	spCert []byte
}

func newSAMLFixture(t *testing.T) *samlFixture {
	idp, err := samltest.New("https://idp.acme.example/saml", "https://idp.acme.example/sso")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(in *federation.Input) {
		in.Kind, in.ClientSecret, in.Domains = iam.ProviderSAML, "", []string{"acme.example"}
		in.Settings = federation.Settings{MetadataXML: idp.Metadata()}
	})
	admin := iam.WithPrincipal(f.ctx, &iam.Principal{Kind: iam.PrincipalUser, ID: "admin", TenantID: iam.TenantFrom(f.ctx).ID, Permissions: []string{"*"}})
	p, err := f.svc.Get(admin, f.provider)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := base64.StdEncoding.DecodeString(p.Settings.SPCertificate)
	if err != nil || len(cert) == 0 {
		t.Fatalf("the provider has no SP certificate: %v", err)
	}
	return &samlFixture{fixture: f, idp: idp, spCert: cert}
}

// begin starts a sign-in and reads the AuthnRequest the IdP gets.
func (f *samlFixture) begin() (samltest.Request, string) {
	f.t.Helper()
	started, err := f.svc.Begin(f.ctx, f.provider, "/account", "", "")
	if err != nil {
		f.t.Fatal(err)
	}
	req, err := samltest.ParseRedirect(started.URL)
	if err != nil || req.ID == "" || req.RelayState == "" || !strings.HasPrefix(started.URL, f.idp.SSOURL+"?") ||
		req.ACSURL != "https://gatehouse.example/saml/"+f.provider+"/acs" || req.Issuer != "https://gatehouse.example/saml/"+f.provider+"/metadata" {
		f.t.Fatalf("the AuthnRequest %+v from %s: %v", req, started.URL, err)
	}
	return req, started.BrowserSecret
}

// answer posts the IdP's answer to a new sign-in, as change makes the
// assertion and o protects it.
func (f *samlFixture) answer(change func(a *samltest.Assertion), o samltest.Options) (*federation.Outcome, error) {
	f.t.Helper()
	req, browser := f.begin()
	a := f.idp.Answer(req, "ada-persistent-id", map[string][]string{"email": {"ada@acme.example"}, "name": {"Ada Lovelace"}}, f.clock.Now())
	if change != nil {
		change(a)
	}
	res, err := f.idp.Response(a, o)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.svc.Complete(f.ctx, f.provider, url.Values{"state": {req.RelayState}, "SAMLResponse": {res}}, browser)
}

var signedAssertion = samltest.Options{SignAssertion: true}

// TestSAMLSignIn: signed assertions, signed responses and encrypted
// assertions sign in; a second sign-in finds the same user.
func TestSAMLSignIn(t *testing.T) {
	f := newSAMLFixture(t)
	first, err := f.answer(nil, samltest.Options{SignAssertion: true, EncryptTo: f.spCert})
	if err != nil {
		t.Fatalf("an encrypted, signed assertion: %v", err)
	}
	u, err := f.store.GetUser(f.ctx, iam.TenantFrom(f.ctx).ID, first.UserID)
	if err != nil || u.Email != "ada@acme.example" || !u.EmailVerified || u.Name != "Ada Lovelace" {
		t.Fatalf("the provisioned user %+v: %v", u, err)
	}
	for name, o := range map[string]samltest.Options{"a signed response": {SignResponse: true}, "both signed": {SignAssertion: true, SignResponse: true},
		"a signed response with an encrypted assertion": {SignResponse: true, EncryptTo: f.spCert}} {
		out, err := f.answer(nil, o)
		if err != nil || out.UserID != first.UserID {
			t.Errorf("%s: %v, %v", name, out, err)
		}
	}
	// Within the allowed skew of clocks.
	if _, err := f.answer(func(a *samltest.Assertion) { a.NotBefore = f.clock.Now().Add(time.Minute) }, signedAssertion); err != nil {
		t.Errorf("NotBefore a minute ahead: %v", err)
	}
}

// TestSAMLRefusesDeflatedResponses: the HTTP-POST binding does not
// deflate, and gosaml2 would inflate what the key transport check could not
// read.
func TestSAMLRefusesDeflatedResponses(t *testing.T) {
	f := newSAMLFixture(t)
	for name, o := range map[string]samltest.Options{
		"signed":                     signedAssertion,
		"its key wrapped with RSA15": {SignAssertion: true, EncryptTo: f.spCert, WrapKeyWithRSA15: true},
	} {
		req, browser := f.begin()
		res, err := f.idp.Response(f.idp.Answer(req, "ada-persistent-id", map[string][]string{"email": {"ada@acme.example"}}, f.clock.Now()), o)
		if err != nil {
			t.Fatal(err)
		}
		xml, err := base64.StdEncoding.DecodeString(res)
		if err != nil {
			t.Fatal(err)
		}
		var deflated bytes.Buffer
		w, _ := flate.NewWriter(&deflated, flate.BestCompression)
		if _, err := w.Write(xml); err != nil || w.Close() != nil {
			t.Fatal(err)
		}
		out, err := f.svc.Complete(f.ctx, f.provider, url.Values{"state": {req.RelayState},
			"SAMLResponse": {base64.StdEncoding.EncodeToString(deflated.Bytes())}}, browser)
		if reasonOf(err) != federation.ReasonToken {
			t.Errorf("%s and deflated: %v, %v; want refused as %s", name, out, err, federation.ReasonToken)
		}
	}
}

// TestSAMLRefusesADeflatePolyglot: raw bytes that are an XML document to
// one parser and, inflated, a response whose key is wrapped with RSA15 to
// gosaml2, which inflates what it cannot parse as it is. The deflate
// stream's stored-block headers open a comment around the hidden
// response; more "<" than gosaml2 parses follow it.
func TestSAMLRefusesADeflatePolyglot(t *testing.T) {
	f := newSAMLFixture(t)
	cipherKey := make([]byte, 256)
	cipherKey[1] = 1
	hidden := `samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="x" Version="2.0"><saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"/><xenc:CipherData><xenc:CipherValue>` +
		base64.StdEncoding.EncodeToString(cipherKey) + `</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion></samlp:Response>`
	var raw bytes.Buffer
	// A stored block, not final: header " ", LEN 0x4020 (" @"), NLEN.
	raw.WriteString(" \x20\x40\xdf\xbf")
	raw.WriteString("<!--" + strings.Repeat("x", 0x4020-len("<!---->")-1) + "-->" + "<")
	// The final stored block: header "!", LEN 0x2d2d ("--"), NLEN.
	raw.WriteString("!--\xd2\xd2")
	raw.WriteString(hidden + strings.Repeat(" ", 0x2d2d-len(hidden)))
	raw.WriteString("-->")
	raw.WriteString("<r>" + strings.Repeat("<a/>", 17000) + "</r>")
	inflated, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw.Bytes())))
	if err != nil || !bytes.Contains(inflated, []byte("xmlenc#rsa-1_5")) {
		t.Fatalf("the polyglot does not inflate to the hidden response: %v", err)
	}
	if err := etree.NewDocument().ReadFromBytes(raw.Bytes()); err != nil {
		t.Fatalf("the polyglot is not an XML document: %v", err)
	}
	req, browser := f.begin()
	out, err := f.svc.Complete(f.ctx, f.provider, url.Values{"state": {req.RelayState},
		"SAMLResponse": {base64.StdEncoding.EncodeToString(raw.Bytes())}}, browser)
	if reasonOf(err) != federation.ReasonToken {
		t.Fatalf("the polyglot: %v, %v; want refused as %s", out, err, federation.ReasonToken)
	}
	events, _, err := f.store.ListAudit(f.ctx, iam.TenantFrom(f.ctx).ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 1},
		Action: "federated.login.refused"})
	if err != nil || len(events) != 1 || events[0].Details["detail"] != "saml: the response has too many XML tokens" {
		t.Fatalf("the refusal audited: %v, %v; want refused before gosaml2 read it", events, err)
	}
}

// TestSAMLRefusals: what an attacker or a misconfigured IdP sends is
// refused and audited: unsigned, signed by another key, for another
// audience or recipient, outside its time window, not in response to this
// sign-in, replayed, wrapped, or with a second assertion.
func TestSAMLRefusals(t *testing.T) {
	f := newSAMLFixture(t)
	other, err := samltest.New(f.idp.EntityID, f.idp.SSOURL)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	cases := []struct {
		name   string
		change func(a *samltest.Assertion)
		o      samltest.Options
	}{
		{"unsigned", nil, samltest.Options{}},
		{"unsigned and encrypted", nil, samltest.Options{EncryptTo: f.spCert}},
		{"signed, its key wrapped with RSA PKCS#1 v1.5", nil, samltest.Options{SignAssertion: true, EncryptTo: f.spCert, WrapKeyWithRSA15: true}},
		{"signed by another key", nil, samltest.Options{SignAssertion: true, SignWith: other}},
		{"a response signed by another key", nil, samltest.Options{SignResponse: true, SignWith: other}},
		{"another audience", func(a *samltest.Assertion) { a.Audience = "https://other-sp.example" }, signedAssertion},
		{"no audience", func(a *samltest.Assertion) { a.Audience = "" }, signedAssertion},
		{"another recipient", func(a *samltest.Assertion) { a.Recipient = "https://other-sp.example/acs" }, signedAssertion},
		{"another destination", func(a *samltest.Assertion) { a.Destination = "https://other-sp.example/acs" }, samltest.Options{SignResponse: true}},
		{"another issuer", func(a *samltest.Assertion) { a.Issuer = "https://evil.example" }, signedAssertion},
		{"expired", func(a *samltest.Assertion) { a.NotOnOrAfter = now.Add(-3 * time.Minute) }, signedAssertion},
		{"not yet valid", func(a *samltest.Assertion) { a.NotBefore = now.Add(5 * time.Minute) }, signedAssertion},
		{"in response to another request", func(a *samltest.Assertion) { a.InResponseTo = "_other" }, signedAssertion},
		{"unsolicited (IdP-initiated)", func(a *samltest.Assertion) { a.InResponseTo, a.ResponseInResponseTo = "", "" }, signedAssertion},
		{"no name id", func(a *samltest.Assertion) { a.NameID = " " }, signedAssertion},
		{"tampered after signing", nil, samltest.Options{SignResponse: true, Tamper: func(doc *etree.Document) {
			doc.FindElement("//NameID").SetText("admin-persistent-id")
		}}},
		{"a second, unsigned assertion", nil, samltest.Options{SignAssertion: true, Tamper: func(doc *etree.Document) {
			evil := doc.FindElement("//Assertion").Copy()
			evil.RemoveChild(evil.SelectElement("Signature"))
			evil.FindElement("//NameID").SetText("admin-persistent-id")
			doc.Root().AddChild(evil)
		}}},
		{"the signed assertion wrapped, an evil one in its place", nil, samltest.Options{SignAssertion: true, Tamper: func(doc *etree.Document) {
			signed := doc.FindElement("//Assertion")
			evil := signed.Copy()
			evil.RemoveChild(evil.SelectElement("Signature"))
			evil.FindElement("//NameID").SetText("admin-persistent-id")
			doc.Root().RemoveChild(signed)
			doc.Root().CreateElement("samlp:Extensions").AddChild(signed)
			doc.Root().AddChild(evil)
		}}},
	}
	for _, tc := range cases {
		out, err := f.answer(tc.change, tc.o)
		if reasonOf(err) != federation.ReasonToken {
			t.Errorf("%s: %v, %v; want refused as %s", tc.name, out, err, federation.ReasonToken)
		}
	}
	events, _, err := f.store.ListAudit(f.ctx, iam.TenantFrom(f.ctx).ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 100},
		Action: "federated.login.refused"})
	if err != nil || len(events) != len(cases) {
		t.Fatalf("%d refusals audited for %d cases: %v", len(events), len(cases), err)
	}

	// An assertion id is accepted once, even signed anew for a new request.
	req, browser := f.begin()
	a := f.idp.Answer(req, "ada-persistent-id", map[string][]string{"email": {"ada@acme.example"}}, f.clock.Now())
	res, _ := f.idp.Response(a, signedAssertion)
	if _, err := f.svc.Complete(f.ctx, f.provider, url.Values{"state": {req.RelayState}, "SAMLResponse": {res}}, browser); err != nil {
		t.Fatalf("a good answer: %v", err)
	}
	req2, browser2 := f.begin()
	a.InResponseTo, a.ResponseInResponseTo = req2.ID, req2.ID
	res, _ = f.idp.Response(a, signedAssertion)
	if _, err := f.svc.Complete(f.ctx, f.provider, url.Values{"state": {req2.RelayState}, "SAMLResponse": {res}}, browser2); reasonOf(err) != federation.ReasonToken {
		t.Errorf("a replayed assertion id: %v", err)
	}
	// An address outside the provider's domains.
	if _, err := f.answer(func(a *samltest.Assertion) { a.Attributes = map[string][]string{"email": {"ada@other.example"}} }, signedAssertion); reasonOf(err) != federation.ReasonEmailDomain {
		t.Errorf("an address of another domain: %v", err)
	}
	// Garbage.
	req, browser = f.begin()
	for _, junk := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("<notxml")), base64.StdEncoding.EncodeToString([]byte(strings.Repeat("<a>", 100000)))} {
		if _, err := f.svc.Complete(f.ctx, f.provider, url.Values{"state": {req.RelayState}, "SAMLResponse": {junk}}, browser); err == nil {
			t.Errorf("junk %.20q was accepted", junk)
		}
		req, browser = f.begin()
	}
}

// TestSAMLCommentInNameID: a comment inside the name id (CVE-2017-11427's
// trick) does not shorten it to another user's id.
func TestSAMLCommentInNameID(t *testing.T) {
	f := newSAMLFixture(t)
	victim, err := f.answer(func(a *samltest.Assertion) { a.NameID = "admin@acme.example" }, signedAssertion)
	if err != nil {
		t.Fatal(err)
	}
	attacker, err := f.answer(func(a *samltest.Assertion) {
		a.NameIDXML = "admin@acme.example<!---->.evil.example"
		a.Attributes = map[string][]string{"email": {"mallory@acme.example"}}
	}, signedAssertion)
	if err == nil && attacker.UserID == victim.UserID {
		t.Fatal("a name id with a comment signed in as another user")
	}
}
