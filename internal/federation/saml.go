package federation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// samlSkew is the clock difference between Gatehouse and an identity
// provider that assertions' time windows tolerate.
const samlSkew = 2 * time.Minute

// metadataTTL is how long an identity provider's metadata read from its
// URL is used before it is read again (its signing keys rotate so).
const metadataTTL = time.Hour

// samlEmailAttributes are the attributes read for the email when the
// claim mapping names none: the common names of Okta, Entra ID, Google
// Workspace and ADFS.
var samlEmailAttributes = []string{"email", "mail", "emailaddress", "urn:oid:0.9.2342.19200300.100.1.3",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"}

// SPMetadataURL is a SAML provider's service-provider metadata, whose URL
// is also Gatehouse's entity id there; ACSURL where assertions are posted.
func SPMetadataURL(base, providerID string) string {
	return strings.TrimSuffix(base, "/") + "/saml/" + providerID + "/metadata"
}

// ACSURL is the assertion consumer service of a SAML provider.
func ACSURL(base, providerID string) string {
	return strings.TrimSuffix(base, "/") + "/saml/" + providerID + "/acs"
}

// newSPKey makes a SAML provider's own key pair, which the identity
// provider encrypts assertions to: an RSA key (what XML encryption and
// gosaml2 use) and a self-signed certificate for the metadata.
func newSPKey(now time.Time, providerID string) (key []byte, cert []byte, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Gatehouse SAML " + providerID},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	cert, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, nil, err
	}
	key, err = x509.MarshalPKCS8PrivateKey(k)
	return key, cert, err
}

// idpMetadata is what Gatehouse uses of an identity provider's metadata.
type idpMetadata struct {
	entityID string
	ssoURL   string
	certs    []*x509.Certificate
}

// metadataCache holds identity providers' metadata read from their URLs.
type metadataCache struct {
	mu   sync.Mutex
	byID map[string]cachedMetadata
}

type cachedMetadata struct {
	md  *idpMetadata
	url string
	at  time.Time
}

// metadata reads the provider's identity-provider metadata: its XML, or
// its URL, read again after metadataTTL.
func (s *Service) metadata(ctx context.Context, pr *Provider) (*idpMetadata, error) {
	st := pr.Settings
	if st.MetadataURL == "" {
		return parseIdPMetadata([]byte(st.MetadataXML))
	}
	s.metadataCache.mu.Lock()
	c, ok := s.metadataCache.byID[pr.ID]
	s.metadataCache.mu.Unlock()
	if ok && c.url == st.MetadataURL && s.now().Sub(c.at) < metadataTTL {
		return c.md, nil
	}
	md, err := s.fetchMetadata(ctx, st.MetadataURL)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeUnavailable, Message: "the identity provider's metadata cannot be read", Err: err}
	}
	s.metadataCache.mu.Lock()
	if s.metadataCache.byID == nil {
		s.metadataCache.byID = map[string]cachedMetadata{}
	}
	s.metadataCache.byID[pr.ID] = cachedMetadata{md: md, url: st.MetadataURL, at: s.now()}
	s.metadataCache.mu.Unlock()
	return md, nil
}

func (s *Service) fetchMetadata(ctx context.Context, u string) (*idpMetadata, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", u, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxMetadataXML+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxMetadataXML {
		return nil, errors.New("the metadata is larger than 256 KiB")
	}
	return parseIdPMetadata(body)
}

// parseIdPMetadata reads an EntityDescriptor: the entity id, the
// HTTP-Redirect single sign-on URL and the signing certificates.
func parseIdPMetadata(doc []byte) (*idpMetadata, error) {
	var ed types.EntityDescriptor
	if err := xml.Unmarshal(doc, &ed); err != nil {
		return nil, iam.Errorf(iam.CodeInvalid, "the identity provider's metadata is not SAML metadata")
	}
	md := &idpMetadata{entityID: ed.EntityID}
	if ed.IDPSSODescriptor == nil || ed.EntityID == "" {
		return nil, iam.Errorf(iam.CodeInvalid, "the identity provider's metadata has no entity id or IDPSSODescriptor")
	}
	for _, sso := range ed.IDPSSODescriptor.SingleSignOnServices {
		if sso.Binding == saml2.BindingHttpRedirect && md.ssoURL == "" {
			md.ssoURL = sso.Location
		}
	}
	for _, kd := range ed.IDPSSODescriptor.KeyDescriptors {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
			if err != nil {
				continue
			}
			if cert, err := x509.ParseCertificate(der); err == nil {
				md.certs = append(md.certs, cert)
			}
		}
	}
	if md.ssoURL == "" || len(md.certs) == 0 {
		return nil, iam.Errorf(iam.CodeInvalid, "the identity provider's metadata has no HTTP-Redirect sign-on service or no signing certificate")
	}
	return md, nil
}

// serviceProvider is Gatehouse as the provider's SAML service provider at
// now: its entity id, ACS and key, and the identity provider's issuer and
// certificates. Checks of time run skew behind now, so that an assertion
// expiring within the skew still passes; NotBefore is checked with the
// skew ahead by validAssertion.
func (s *Service) serviceProvider(t *iam.Tenant, pr *Provider, md *idpMetadata) (*saml2.SAMLServiceProvider, error) {
	sealed, err := s.clientSecret(pr)
	if err != nil {
		return nil, err
	}
	certDER, err := base64.StdEncoding.DecodeString(pr.Settings.SPCertificate)
	if err != nil || sealed == "" {
		return nil, iam.Internal(fmt.Errorf("federated provider %s: no SP key", pr.ID))
	}
	key, err := x509.ParsePKCS8PrivateKey([]byte(sealed))
	if err != nil {
		return nil, iam.Internal(fmt.Errorf("federated provider %s: SP key: %w", pr.ID, err))
	}
	base := s.baseURL(t)
	sp := &saml2.SAMLServiceProvider{
		IdentityProviderSSOURL:      md.ssoURL,
		IdentityProviderSSOBinding:  saml2.BindingHttpRedirect,
		IdentityProviderIssuer:      md.entityID,
		AssertionConsumerServiceURL: ACSURL(base, pr.ID),
		ServiceProviderIssuer:       SPMetadataURL(base, pr.ID),
		AudienceURI:                 SPMetadataURL(base, pr.ID),
		IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: md.certs},
		NameIdFormat:                pr.Settings.NameIDFormat,
		Clock:                       dsig.NewFakeClockAt(s.now().Add(-samlSkew)),
		MaximumDecompressedBodySize: 1 << 20,
		MaximumXMLTokens:            samlMaxXMLTokens,
	}
	// gosaml2 v0.12.0 decrypts assertions with this field only
	// (getDecryptCert), not with SetSPKeyStore's.
	sp.SPKeyStore = dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: key})
	return sp, nil
}

// SPMetadata is the service-provider metadata of the tenant's SAML
// provider id, to give its identity provider: Gatehouse's entity id, ACS
// and encryption certificate. It is public, as the identity provider's
// admin reads it before the provider is enabled.
func (s *Service) SPMetadata(ctx context.Context, id string) ([]byte, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Errorf(iam.CodeTenantNotFound, "no tenant")
	}
	pr, err := s.provider(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	if pr.Kind != iam.ProviderSAML {
		return nil, notFound()
	}
	sp, err := s.serviceProvider(t, pr, &idpMetadata{})
	if err != nil {
		return nil, err
	}
	ed, err := sp.Metadata()
	if err != nil {
		return nil, iam.Internal(err)
	}
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, iam.Internal(err)
	}
	return append([]byte(xml.Header), out...), nil
}

// beginSAML is Begin for a SAML provider: an AuthnRequest by the
// HTTP-Redirect binding, whose id the assertion must answer.
func (s *Service) beginSAML(ctx context.Context, t *iam.Tenant, pr *Provider, state string) (url, requestID string, err error) {
	md, err := s.metadata(ctx, pr)
	if err != nil {
		return "", "", err
	}
	sp, err := s.serviceProvider(t, pr, md)
	if err != nil {
		return "", "", err
	}
	doc, err := sp.BuildAuthRequestDocumentNoSig()
	if err != nil {
		return "", "", iam.Internal(err)
	}
	requestID = doc.Root().SelectAttrValue("ID", "")
	url, err = sp.BuildAuthURLRedirect(state, doc)
	if err != nil {
		return "", "", iam.Internal(err)
	}
	return url, requestID, nil
}

// samlMaxXMLTokens bounds a response's XML tokens, as gosaml2 counts them
// (three per "<"): refusedEncryption refuses what gosaml2 would not parse
// as it is.
const samlMaxXMLTokens = 50000

// refusedEncryption says why the base64 SAMLResponse is refused before
// gosaml2 reads it, or "". gosaml2 parses the document as it is and, when
// that fails, inflates it and parses that: a document that is also a
// deflate stream could show this check one response and gosaml2 another.
// So whatever gosaml2 would not parse as it is, deflate being one (the
// HTTP-POST binding does not use it), is refused here, by the same parser
// (etree) and the same token bound.
func refusedEncryption(encoded string) string {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "the response is not base64"
	}
	if 3*int64(bytes.Count(raw, []byte("<")))+1 > samlMaxXMLTokens {
		return "the response has too many XML tokens"
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return "the response is not an XML document"
	}
	// encoding/xml, which gosaml2 reads the encrypted key with, matches
	// elements and attributes by local name whatever their namespace.
	for _, el := range doc.FindElements("//EncryptionMethod") {
		for _, a := range el.Attr {
			// RSA PKCS#1 v1.5 key transport: gosaml2 decrypts with it, but
			// its padding check lets whoever can post responses use the ACS
			// as a decryption oracle for the SP's key (Bleichenbacher;
			// Jager, Schinzel and Somorovsky against XML Encryption, 2012).
			if a.Key == "Algorithm" && a.Value == types.MethodRSAv1_5 {
				return "a key wrapped with RSA PKCS#1 v1.5"
			}
		}
	}
	return ""
}

// identifySAML checks a SAML response to the sign-in l and reads who
// signed in. gosaml2 checks the signatures (of the response or of every
// assertion, by the metadata's certificates), decrypts encrypted
// assertions, and checks issuer, destination, recipient, bearer
// confirmation and its expiry; here are checked the rest: one assertion,
// its audience and time window, InResponseTo, and its id used once.
func (s *Service) identifySAML(ctx context.Context, t *iam.Tenant, pr *Provider, encoded string, l *iam.FederatedLogin) (*identity, error) {
	if encoded == "" {
		return nil, &refusal{reason: ReasonProvider, detail: "no SAMLResponse"}
	}
	md, err := s.metadata(ctx, pr)
	if err != nil {
		return nil, err
	}
	sp, err := s.serviceProvider(t, pr, md)
	if err != nil {
		return nil, err
	}
	if why := refusedEncryption(encoded); why != "" {
		return nil, &refusal{reason: ReasonToken, detail: "saml: " + why}
	}
	res, err := sp.ValidateEncodedResponse(encoded)
	if err != nil {
		return nil, &refusal{reason: ReasonToken, detail: clip("saml: " + err.Error())}
	}
	if len(res.Assertions) != 1 || len(res.EncryptedAssertions) != 0 {
		return nil, &refusal{reason: ReasonToken, detail: fmt.Sprintf("saml: %d assertions", len(res.Assertions))}
	}
	a := &res.Assertions[0]
	if why := s.validAssertion(sp, a); why != "" {
		return nil, &refusal{reason: ReasonToken, detail: "saml: " + why}
	}
	scd := a.Subject.SubjectConfirmation.SubjectConfirmationData
	if scd.InResponseTo == "" || scd.InResponseTo != l.Nonce || res.InResponseTo != "" && res.InResponseTo != l.Nonce {
		return nil, &refusal{reason: ReasonToken, detail: "saml: not in response to this sign-in"}
	}
	expires, _ := time.Parse(time.RFC3339, a.Conditions.NotOnOrAfter)
	first, err := s.store.UseAssertion(ctx, t.ID, "saml:"+pr.ID, a.ID, expires.Add(samlSkew))
	if err != nil {
		return nil, err
	}
	if !first {
		return nil, &refusal{reason: ReasonToken, detail: "saml: assertion " + clip(a.ID) + " replayed"}
	}
	claims := map[string]any{}
	if a.AttributeStatement != nil {
		for _, attr := range a.AttributeStatement.Attributes {
			var values []any
			for _, v := range attr.Values {
				values = append(values, v.Value)
			}
			switch len(values) {
			case 0:
			case 1:
				claims[attr.Name] = values[0]
			default:
				claims[attr.Name] = values
			}
		}
	}
	if _, mapped := pr.Settings.ClaimMapping["email"]; !mapped {
		for _, name := range samlEmailAttributes {
			if v, ok := claims[name]; ok {
				claims["email"] = v
				break
			}
		}
		if _, ok := claims["email"]; !ok && a.Subject.NameID.Format == saml2.NameIdFormatEmailAddress {
			claims["email"] = a.Subject.NameID.Value
		}
	}
	// The name id is the subject, whatever the attributes say.
	claims["sub"] = a.Subject.NameID.Value
	// An identity provider with domains speaks for its own directory:
	// its addresses count as verified. Without domains nothing vouches.
	claims["email_verified"] = len(pr.Domains) > 0
	idn := readClaims(pr, claims)
	idn.EmailVerified = len(pr.Domains) > 0
	return idn, nil
}

// validAssertion checks what gosaml2 leaves to its caller: an id, a
// subject with a name id, and conditions whose time window (with the skew)
// holds now and whose audience is Gatehouse's. It answers why not, or "".
func (s *Service) validAssertion(sp *saml2.SAMLServiceProvider, a *types.Assertion) string {
	if a.ID == "" || a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" ||
		a.Subject.SubjectConfirmation == nil || a.Subject.SubjectConfirmation.SubjectConfirmationData == nil {
		return "an assertion without id, name id or subject confirmation"
	}
	c := a.Conditions
	if c == nil {
		return "no conditions"
	}
	notBefore, err1 := time.Parse(time.RFC3339, c.NotBefore)
	notOnOrAfter, err2 := time.Parse(time.RFC3339, c.NotOnOrAfter)
	now := s.now()
	if err1 != nil || err2 != nil || now.Add(samlSkew).Before(notBefore) || !now.Add(-samlSkew).Before(notOnOrAfter) {
		return "outside its time window"
	}
	if len(c.AudienceRestrictions) == 0 {
		return "no audience"
	}
	for _, r := range c.AudienceRestrictions {
		if !slices.ContainsFunc(r.Audiences, func(a types.Audience) bool { return a.Value == sp.AudienceURI }) {
			return "for another audience"
		}
	}
	return ""
}
