// Package samltest is a SAML 2.0 identity provider for tests: it reads the
// AuthnRequests Gatehouse sends and answers with responses it signs (and
// encrypts) with a key of its own, as a real IdP does, or breaks them as
// an attacker would.
package samltest

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// The namespaces of what the IdP writes.
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// IdP is an identity provider with its signing key.
type IdP struct {
	EntityID string
	SSOURL   string
	key      *rsa.PrivateKey
	cert     []byte
}

// New returns an IdP named entityID whose sign-on service is ssoURL.
func New(entityID, ssoURL string) (*IdP, error) {
	key, cert, err := selfSigned(entityID)
	if err != nil {
		return nil, err
	}
	return &IdP{EntityID: entityID, SSOURL: ssoURL, key: key, cert: cert}, nil
}

func selfSigned(name string) (*rsa.PrivateKey, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return key, cert, err
}

// Rotate replaces the IdP's signing key, as an IdP rotating its
// certificate does: metadata read before no longer verifies its answers.
func (idp *IdP) Rotate() error {
	key, cert, err := selfSigned(idp.EntityID)
	if err != nil {
		return err
	}
	idp.key, idp.cert = key, cert
	return nil
}

// Metadata is the IdP's metadata: its entity id, sign-on service (the
// HTTP-Redirect binding) and signing certificate.
func (idp *IdP) Metadata() string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="%s" entityID="%s">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`, nsDSig, idp.EntityID, base64.StdEncoding.EncodeToString(idp.cert), idp.SSOURL)
}

// Request is an AuthnRequest as the IdP reads it from the redirect.
type Request struct {
	ID, ACSURL, Issuer, RelayState string
}

// ParseRedirect reads the AuthnRequest of a redirect to the IdP
// (HTTP-Redirect binding: deflated, base64, in SAMLRequest).
func ParseRedirect(location string) (Request, error) {
	u, err := url.Parse(location)
	if err != nil {
		return Request{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(u.Query().Get("SAMLRequest"))
	if err != nil {
		return Request{}, err
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return Request{}, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		return Request{}, err
	}
	root := doc.Root()
	if root == nil || root.Tag != "AuthnRequest" {
		return Request{}, errors.New("samltest: not an AuthnRequest")
	}
	r := Request{ID: root.SelectAttrValue("ID", ""), ACSURL: root.SelectAttrValue("AssertionConsumerServiceURL", ""),
		RelayState: u.Query().Get("RelayState")}
	if issuer := root.SelectElement("Issuer"); issuer != nil {
		r.Issuer = issuer.Text()
	}
	return r, nil
}

// Assertion is what the IdP asserts; Answer fills it for a request, and a
// test changes what it wants to break.
type Assertion struct {
	ID, Issuer, NameID, NameIDFormat      string
	Audience, Recipient, InResponseTo     string
	Destination, ResponseInResponseTo     string
	NotBefore, NotOnOrAfter, IssueInstant time.Time
	Attributes                            map[string][]string
	// NameIDXML, when set, is the NameID element's inner XML as written
	// (to inject comments).
	NameIDXML string
}

// Answer is a good assertion of nameID for the request at now.
func (idp *IdP) Answer(r Request, nameID string, attributes map[string][]string, now time.Time) *Assertion {
	return &Assertion{ID: "_" + rand.Text(), Issuer: idp.EntityID, NameID: nameID,
		NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", Audience: r.Issuer, Recipient: r.ACSURL,
		InResponseTo: r.ID, Destination: r.ACSURL, ResponseInResponseTo: r.ID, NotBefore: now.Add(-time.Minute),
		NotOnOrAfter: now.Add(5 * time.Minute), IssueInstant: now, Attributes: attributes}
}

// Options say how a response is protected, or broken.
type Options struct {
	// SignAssertion and SignResponse sign those elements (the assertion
	// first).
	SignAssertion, SignResponse bool
	// EncryptTo, an SP certificate (DER), encrypts the assertion to it
	// (AES-128-GCM, key wrapped with RSA-OAEP).
	EncryptTo []byte
	// WrapKeyWithRSA15 wraps the encryption key with RSA PKCS#1 v1.5
	// instead, which a service provider should refuse.
	WrapKeyWithRSA15 bool
	// SignWith signs with another IdP's key.
	SignWith *IdP
	// Tamper changes the document after signing and encryption.
	Tamper func(doc *etree.Document)
}

// Response is the base64 SAMLResponse carrying a, as the browser posts it.
func (idp *IdP) Response(a *Assertion, o Options) (string, error) {
	signer := idp
	if o.SignWith != nil {
		signer = o.SignWith
	}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{signer.cert}, PrivateKey: signer.key}))
	// Exclusive canonicalization, as IdPs sign: the signed assertion keeps
	// verifying inside the response that holds it.
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	assertion := a.element()
	if o.SignAssertion {
		signed, err := ctx.SignEnveloped(assertion)
		if err != nil {
			return "", err
		}
		assertion = signed
	}
	res := etree.NewElement("samlp:Response")
	res.CreateAttr("xmlns:samlp", nsProtocol)
	res.CreateAttr("xmlns:saml", nsAssertion)
	res.CreateAttr("ID", "_"+rand.Text())
	res.CreateAttr("Version", "2.0")
	res.CreateAttr("IssueInstant", a.IssueInstant.UTC().Format(time.RFC3339))
	res.CreateAttr("Destination", a.Destination)
	if a.ResponseInResponseTo != "" {
		res.CreateAttr("InResponseTo", a.ResponseInResponseTo)
	}
	res.CreateElement("saml:Issuer").SetText(a.Issuer)
	res.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	if o.EncryptTo != nil {
		encrypted, err := encrypt(assertion, o.EncryptTo, o.WrapKeyWithRSA15)
		if err != nil {
			return "", err
		}
		res.AddChild(encrypted)
	} else {
		res.AddChild(assertion)
	}
	if o.SignResponse {
		signed, err := ctx.SignEnveloped(res)
		if err != nil {
			return "", err
		}
		res = signed
	}
	doc := etree.NewDocument()
	doc.SetRoot(res)
	if o.Tamper != nil {
		o.Tamper(doc)
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

func (a *Assertion) element() *etree.Element {
	el := etree.NewElement("saml:Assertion")
	el.CreateAttr("xmlns:saml", nsAssertion)
	el.CreateAttr("ID", a.ID)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", a.IssueInstant.UTC().Format(time.RFC3339))
	el.CreateElement("saml:Issuer").SetText(a.Issuer)
	subject := el.CreateElement("saml:Subject")
	nameID := subject.CreateElement("saml:NameID")
	nameID.CreateAttr("Format", a.NameIDFormat)
	if a.NameIDXML != "" {
		doc := etree.NewDocument()
		doc.ReadSettings.PreserveCData = true
		if err := doc.ReadFromString("<x>" + a.NameIDXML + "</x>"); err == nil {
			for _, c := range doc.Root().Child {
				nameID.AddChild(c)
			}
		}
	} else {
		nameID.SetText(a.NameID)
	}
	confirmation := subject.CreateElement("saml:SubjectConfirmation")
	confirmation.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	data := confirmation.CreateElement("saml:SubjectConfirmationData")
	data.CreateAttr("NotOnOrAfter", a.NotOnOrAfter.UTC().Format(time.RFC3339))
	data.CreateAttr("Recipient", a.Recipient)
	if a.InResponseTo != "" {
		data.CreateAttr("InResponseTo", a.InResponseTo)
	}
	conditions := el.CreateElement("saml:Conditions")
	conditions.CreateAttr("NotBefore", a.NotBefore.UTC().Format(time.RFC3339))
	conditions.CreateAttr("NotOnOrAfter", a.NotOnOrAfter.UTC().Format(time.RFC3339))
	if a.Audience != "" {
		conditions.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(a.Audience)
	}
	authn := el.CreateElement("saml:AuthnStatement")
	authn.CreateAttr("AuthnInstant", a.IssueInstant.UTC().Format(time.RFC3339))
	authn.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").
		SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	if len(a.Attributes) > 0 {
		statement := el.CreateElement("saml:AttributeStatement")
		for name, values := range a.Attributes {
			attr := statement.CreateElement("saml:Attribute")
			attr.CreateAttr("Name", name)
			for _, v := range values {
				attr.CreateElement("saml:AttributeValue").SetText(v)
			}
		}
	}
	return el
}

// encrypt is XML encryption of the assertion to the certificate's key.
func encrypt(assertion *etree.Element, certDER []byte, rsa15 bool) (*etree.Element, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("samltest: the SP certificate's key is not RSA")
	}
	doc := etree.NewDocument()
	doc.SetRoot(assertion.Copy())
	plain, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	sealed := gcm.Seal(nonce, nonce, plain, nil)
	keyTransport := "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	var wrapped []byte
	if rsa15 {
		keyTransport = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
		//lint:ignore SA1019 a test IdP makes the responses an SP must refuse.
		wrapped, err = rsa.EncryptPKCS1v15(rand.Reader, pub, key)
	} else {
		wrapped, err = rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, key, nil)
	}
	if err != nil {
		return nil, err
	}
	ea := etree.NewElement("saml:EncryptedAssertion")
	ea.CreateAttr("xmlns:saml", nsAssertion)
	data := ea.CreateElement("xenc:EncryptedData")
	data.CreateAttr("xmlns:xenc", nsXMLEnc)
	data.CreateAttr("Type", nsXMLEnc+"Element")
	data.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", "http://www.w3.org/2009/xmlenc11#aes128-gcm")
	keyInfo := data.CreateElement("ds:KeyInfo")
	keyInfo.CreateAttr("xmlns:ds", nsDSig)
	ek := keyInfo.CreateElement("xenc:EncryptedKey")
	ek.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", keyTransport)
	ek.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(wrapped))
	data.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(sealed))
	return ea, nil
}

// postPage is the IdP's page after a sign-in: a form that carries the
// response to the service provider's ACS (the HTTP-POST binding).
var postPage = template.Must(template.New("post").Parse(`<!doctype html><html lang="en"><title>Test IdP</title>
<form method="post" action="{{.ACS}}"><input type="hidden" name="SAMLResponse" value="{{.Response}}">
<input type="hidden" name="RelayState" value="{{.RelayState}}"><button type="submit">Continue</button></form></html>`))

// Handler serves the IdP's sign-on service: each AuthnRequest redirected
// to it is answered, as answer makes the assertion and protects it, with
// a page whose button posts the response to the service provider.
func (idp *IdP) Handler(answer func(Request) (*Assertion, Options)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := ParseRedirect(r.URL.String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a, o := answer(req)
		res, err := idp.Response(a, o)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = postPage.Execute(w, map[string]string{"ACS": req.ACSURL, "Response": res, "RelayState": req.RelayState})
	})
}
