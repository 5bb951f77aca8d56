package federation

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Store is what the service reads outside transactions, and anything inside
// them.
type Store interface {
	iam.Transactor
	iam.FederatedProviderStore
	iam.FederatedIdentityStore
	iam.SSOSetupLinkStore
	iam.AuditStore
	iam.UserStore
	GetOrganization(ctx context.Context, tenantID, id string) (*iam.Organization, error)
	// UseAssertion records a SAML assertion's id until it expires: the
	// replay cache.
	UseAssertion(ctx context.Context, tenantID, clientID, jti string, expires time.Time) (bool, error)
}

// Service manages a tenant's external identity providers and signs people
// in through them.
type Service struct {
	store      Store
	sealer     token.Sealer
	client     *http.Client
	resolver   Resolver
	baseURL    func(*iam.Tenant) string
	now        func() time.Time
	discovered discoveries
	// metadataCache holds SAML providers' metadata read from their URLs.
	metadataCache metadataCache
}

// Deps are what the service works with.
type Deps struct {
	Store Store
	// Sealer (the master key) seals client secrets and SAML keys.
	Sealer token.Sealer
	// Client reaches the providers; Resolver looks up the DNS records
	// that prove domains.
	Client   *http.Client
	Resolver Resolver
	// BaseURL is a tenant's public base URL, under which providers send
	// browsers back.
	BaseURL func(*iam.Tenant) string
	Now     func() time.Time
}

// maxFetched bounds every answer read from a provider: discovery
// documents, keys, tokens, user endpoints.
const maxFetched = 1 << 20

// New returns a Service.
func New(d Deps) *Service {
	client := *d.Client
	client.Transport = boundedBodies{next: client.Transport}
	return &Service{store: d.Store, sealer: d.Sealer, client: &client, resolver: d.Resolver, baseURL: d.BaseURL,
		now: func() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }}
}

// boundedBodies fails the reading of an answer past maxFetched bytes:
// libraries that read whole bodies (go-oidc's discovery and keys) do not
// bound them.
type boundedBodies struct{ next http.RoundTripper }

func (b boundedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	next := b.next
	if next == nil {
		next = http.DefaultTransport
	}
	res, err := next.RoundTrip(r)
	if err == nil {
		res.Body = http.MaxBytesReader(nil, res.Body, maxFetched)
	}
	return res, err
}

// Settings are what a provider's kind needs, kept as its settings object.
type Settings struct {
	Preset           string            `json:"preset,omitempty"`
	Issuer           string            `json:"issuer,omitempty"`
	ClientID         string            `json:"client_id,omitempty"`
	Scopes           []string          `json:"scopes,omitempty"`
	MicrosoftTenant  string            `json:"microsoft_tenant,omitempty"`
	AuthorizationURL string            `json:"authorization_url,omitempty"`
	TokenURL         string            `json:"token_url,omitempty"`
	UserInfoURL      string            `json:"userinfo_url,omitempty"`
	MetadataURL      string            `json:"metadata_url,omitempty"`
	MetadataXML      string            `json:"metadata_xml,omitempty"`
	NameIDFormat     string            `json:"name_id_format,omitempty"`
	ClaimMapping     map[string]string `json:"claim_mapping,omitempty"`
	// SPCertificate is a SAML provider's own certificate (base64 DER),
	// whose key is sealed as the client secret.
	SPCertificate string `json:"sp_certificate,omitempty"`
}

// Provider is a provider with its settings read.
type Provider struct {
	*iam.FederatedProvider
	Settings Settings
}

// Input is a provider as an admin describes it. ClientSecret empty on an
// update keeps the one held.
type Input struct {
	Name            string
	Kind            iam.ProviderKind
	OrganizationID  string
	Domains         []string
	Enabled         bool
	JITProvisioning bool
	LinkPolicy      string
	ClientSecret    string
	Settings        Settings
}

// The link policies: link an external identity to an existing account when
// both sides' emails are verified, or only after the person proves the
// account by signing in to it. Never by an unverified email.
const (
	LinkVerifiedEmail = "verified_email"
	LinkSignIn        = "sign_in"
)

// The presets: providers whose endpoints are known.
const (
	PresetGoogle    = "google"
	PresetMicrosoft = "microsoft"
	PresetGitHub    = "github"
)

// claimTargets are what a claim mapping may fill.
var claimTargets = []string{"email", "email_verified", "name", "given_name", "family_name", "groups", "roles"}

// nameIDFormats are the SAML name id formats a provider may ask for.
var nameIDFormats = []string{
	"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
	"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
	"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
}

const (
	maxDomains     = 50
	maxMetadataXML = 256 << 10
	maxSecret      = 1024
)

func providerRef(id string) iam.Ref { return iam.Ref{Type: "federated_provider", ID: id} }

func notFound() error { return iam.Errorf(iam.CodeNotFound, "federated provider not found") }

// secretContext binds a sealed secret to its provider: a secret copied to
// another row does not open.
func secretContext(tenantID, id string) []byte {
	return []byte("federated-provider-secret:" + tenantID + ":" + id)
}

// Create adds a provider. Needs federated.manage. Errors: CodeInvalid,
// CodeNameTaken.
func (s *Service) Create(ctx context.Context, in Input) (*Provider, error) {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return nil, err
	}
	now := s.now()
	fp := &iam.FederatedProvider{ID: uuid.Must(uuid.NewV7()).String(), TenantID: p.TenantID, CreatedAt: now, UpdatedAt: now}
	var out *Provider
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		// The tenant's lock orders changes of providers, whose domains must
		// stay unique among them.
		if err := tx.LockTenant(ctx, p.TenantID); err != nil {
			return err
		}
		if out, err = s.apply(ctx, tx, fp, in); err != nil {
			return err
		}
		if err := tx.CreateFederatedProvider(ctx, fp); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "federated_provider.created", providerRef(fp.ID), iam.ResultSuccess,
			map[string]any{"name": fp.Name, "kind": string(fp.Kind)}))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns a provider. Needs federated.manage.
func (s *Service) Get(ctx context.Context, id string) (*Provider, error) {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, notFound()
	}
	fp, err := s.store.GetFederatedProvider(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	return read(fp)
}

// List lists the tenant's providers by name. Needs federated.manage.
func (s *Service) List(ctx context.Context) ([]Provider, error) {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListFederatedProviders(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make([]Provider, 0, len(list))
	for i := range list {
		pr, err := read(&list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *pr)
	}
	return out, nil
}

// Update replaces a provider's description with what change makes of the
// current one, if it meets pre. Needs federated.manage. Errors:
// CodeInvalid, CodeNotFound, CodeNameTaken, CodePreconditionFailed.
func (s *Service) Update(ctx context.Context, id string, pre iam.Precondition, change func(current Input) Input) (*Provider, error) {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, notFound()
	}
	var out *Provider
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.LockTenant(ctx, p.TenantID); err != nil {
			return err
		}
		fp, err := tx.GetFederatedProviderForUpdate(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := pre.Check(fp.Version); err != nil {
			return err
		}
		current, err := read(fp)
		if err != nil {
			return err
		}
		fp.UpdatedAt = s.now()
		before := identitySource(current)
		if out, err = s.apply(ctx, tx, fp, change(current.Input())); err != nil {
			return err
		}
		if err := tx.UpdateFederatedProvider(ctx, fp); err != nil {
			return err
		}
		details := map[string]any{"name": fp.Name, "kind": string(fp.Kind)}
		// An admin's change ends the set-up links of the provider: what the
		// admin decided is not for a link holder to undo.
		if err := tx.EndSSOSetupLinks(ctx, p.TenantID, id, fp.UpdatedAt); err != nil {
			return err
		}
		if identitySource(out) != before {
			// Subjects are a provider's own names: another IdP's
			// "12345" is someone else. Its people link again.
			n, err := tx.DeleteProviderIdentities(ctx, p.TenantID, id)
			if err != nil {
				return err
			}
			details["identities_unlinked"] = n
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, fp.UpdatedAt, p.TenantID, "federated_provider.updated", providerRef(id), iam.ResultSuccess,
			details))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a provider if it meets pre. Needs federated.manage.
func (s *Service) Delete(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return err
	}
	if _, err := uuid.Parse(id); err != nil {
		return notFound()
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		fp, err := tx.GetFederatedProviderForUpdate(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := pre.Check(fp.Version); err != nil {
			return err
		}
		if err := tx.DeleteFederatedProvider(ctx, p.TenantID, id); err != nil {
			return err
		}
		// Nor may a link holder make it again.
		if err := tx.EndSSOSetupLinks(ctx, p.TenantID, id, s.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "federated_provider.deleted", providerRef(id), iam.ResultSuccess,
			map[string]any{"name": fp.Name}))
	})
}

// Input is the provider as an admin would describe it, without its secret.
func (p *Provider) Input() Input {
	return Input{Name: p.Name, Kind: p.Kind, OrganizationID: p.OrganizationID, Domains: slices.Clone(p.Domains), Enabled: p.Enabled,
		JITProvisioning: p.JITProvisioning, LinkPolicy: p.LinkPolicy, Settings: p.Settings}
}

// read decodes a stored provider's settings.
func read(fp *iam.FederatedProvider) (*Provider, error) {
	out := &Provider{FederatedProvider: fp}
	if err := json.Unmarshal(fp.Settings, &out.Settings); err != nil {
		return nil, iam.Internal(err)
	}
	return out, nil
}

// apply checks in and writes it over fp, sealing a new client secret.
func (s *Service) apply(ctx context.Context, tx iam.Tx, fp *iam.FederatedProvider, in Input) (*Provider, error) {
	f := fields{}
	in.Settings = preset(f, in)
	if in.Settings.Preset != "" {
		in.Kind = presetKinds[in.Settings.Preset]
	}
	name, err := directory.NormalizeName("name", in.Name)
	if e, ok := errors.AsType[*iam.Error](err); ok {
		why, _ := e.Details["fields"].(map[string]string)
		f["name"] = why["name"]
	} else if name == "" {
		f["name"] = "is required"
	}
	switch in.Kind {
	case iam.ProviderOIDC:
		f.url("issuer", in.Settings.Issuer, true)
		f.required("client_id", in.Settings.ClientID)
		if len(in.Settings.Scopes) == 0 {
			in.Settings.Scopes = []string{"openid", "email", "profile"}
		}
		if !slices.Contains(in.Settings.Scopes, "openid") {
			f["scopes"] = "must hold openid"
		}
	case iam.ProviderOAuth2:
		for field, v := range map[string]string{"authorization_url": in.Settings.AuthorizationURL, "token_url": in.Settings.TokenURL,
			"userinfo_url": in.Settings.UserInfoURL} {
			f.url(field, v, true)
		}
		f.required("client_id", in.Settings.ClientID)
	case iam.ProviderSAML:
		checkSAML(f, in)
	default:
		f["kind"] = "must be oidc, oauth2 or saml"
	}
	for _, sc := range in.Settings.Scopes {
		if sc == "" || strings.ContainsFunc(sc, unicode.IsSpace) || len(sc) > 200 {
			f["scopes"] = "must be scope names without spaces"
		}
	}
	// A provider that was SAML holds its SP key where a client secret goes:
	// becoming OIDC or OAuth 2.0 needs a secret of its own.
	if in.Kind != iam.ProviderSAML && in.ClientSecret == "" && (fp.ClientSecret == nil || fp.Kind == iam.ProviderSAML) {
		f["client_secret"] = "is required"
	}
	if len(in.ClientSecret) > maxSecret {
		f["client_secret"] = "is too long"
	}
	if in.LinkPolicy == "" {
		in.LinkPolicy = LinkVerifiedEmail
	}
	if in.LinkPolicy != LinkVerifiedEmail && in.LinkPolicy != LinkSignIn {
		f["link_policy"] = "must be verified_email or sign_in"
	}
	for target, claim := range in.Settings.ClaimMapping {
		if !slices.Contains(claimTargets, target) {
			f["claim_mapping"] = "maps only " + strings.Join(claimTargets, ", ")
		} else if claim == "" || len(claim) > 200 {
			f["claim_mapping"] = "names a claim for each target"
		}
	}
	domains := f.domains(in.Domains)
	if in.OrganizationID != "" {
		if _, err := uuid.Parse(in.OrganizationID); err != nil {
			f["organization_id"] = "is not an organization of this tenant"
		} else if _, err := tx.GetOrganization(ctx, fp.TenantID, in.OrganizationID); iam.IsCode(err, iam.CodeNotFound) {
			f["organization_id"] = "is not an organization of this tenant"
		} else if err != nil {
			return nil, err
		}
	}
	if len(f) == 0 && len(domains) > 0 {
		others, err := tx.ListFederatedProviders(ctx, fp.TenantID)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			for _, d := range o.Domains {
				if o.ID != fp.ID && slices.Contains(domains, d) {
					f["domains"] = d + " already leads to provider " + o.Name
				}
			}
		}
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if in.Kind != iam.ProviderSAML {
		in.Settings.SPCertificate = ""
	}
	switch {
	case in.Kind == iam.ProviderSAML && in.Settings.SPCertificate == "":
		key, cert, err := newSPKey(fp.UpdatedAt, fp.ID)
		if err != nil {
			return nil, iam.Internal(err)
		}
		in.Settings.SPCertificate = base64.StdEncoding.EncodeToString(cert)
		if fp.ClientSecret, err = s.sealer.Seal(key, secretContext(fp.TenantID, fp.ID)); err != nil {
			return nil, iam.Internal(err)
		}
	case in.Kind == iam.ProviderSAML:
	case in.ClientSecret != "":
		if fp.ClientSecret, err = s.sealer.Seal([]byte(in.ClientSecret), secretContext(fp.TenantID, fp.ID)); err != nil {
			return nil, iam.Internal(err)
		}
	}
	settings, err := json.Marshal(in.Settings)
	if err != nil {
		return nil, iam.Internal(err)
	}
	fp.Name, fp.Kind, fp.OrganizationID, fp.Domains, fp.Enabled = name, in.Kind, in.OrganizationID, domains, in.Enabled
	fp.JITProvisioning, fp.LinkPolicy, fp.Settings = in.JITProvisioning, in.LinkPolicy, settings
	return &Provider{FederatedProvider: fp, Settings: in.Settings}, nil
}

// presetKinds are the kinds of the presets.
var presetKinds = map[string]iam.ProviderKind{PresetGoogle: iam.ProviderOIDC, PresetMicrosoft: iam.ProviderOIDC, PresetGitHub: iam.ProviderOAuth2}

// preset fills in the endpoints of a preset provider.
func preset(f fields, in Input) Settings {
	st := in.Settings
	switch st.Preset {
	case "":
	case PresetGoogle:
		st.Issuer = "https://accounts.google.com"
	case PresetMicrosoft:
		// Entra ID: one directory by its id, or the multi-tenant
		// endpoints, whose tokens name the user's directory as issuer.
		if st.MicrosoftTenant == "" {
			st.MicrosoftTenant = "organizations"
		}
		if _, err := uuid.Parse(st.MicrosoftTenant); err != nil && !slices.Contains([]string{"common", "organizations", "consumers"}, st.MicrosoftTenant) {
			f["microsoft_tenant"] = "must be a directory (tenant) id, common, organizations or consumers"
		}
		st.Issuer = "https://login.microsoftonline.com/" + st.MicrosoftTenant + "/v2.0"
	case PresetGitHub:
		st.AuthorizationURL = "https://github.com/login/oauth/authorize"
		st.TokenURL = "https://github.com/login/oauth/access_token"
		st.UserInfoURL = "https://api.github.com/user"
		if len(st.Scopes) == 0 {
			st.Scopes = []string{"read:user", "user:email"}
		}
	default:
		f["preset"] = "must be google, microsoft or github"
	}
	return st
}

// checkSAML checks a SAML provider: its IdP metadata by URL or as XML (an
// EntityDescriptor), and no OAuth settings.
func checkSAML(f fields, in Input) {
	st := in.Settings
	switch {
	case st.MetadataURL != "" && st.MetadataXML != "":
		f["metadata_url"] = "give metadata_url or metadata_xml, not both"
	case st.MetadataURL != "":
		f.url("metadata_url", st.MetadataURL, true)
	case st.MetadataXML != "":
		if len(st.MetadataXML) > maxMetadataXML {
			f["metadata_xml"] = "is larger than 256 KiB"
		} else if !entityDescriptor(st.MetadataXML) {
			f["metadata_xml"] = "must be SAML metadata: an md:EntityDescriptor"
		}
	default:
		f["metadata_url"] = "give metadata_url or metadata_xml"
	}
	if st.NameIDFormat != "" && !slices.Contains(nameIDFormats, st.NameIDFormat) {
		f["name_id_format"] = "must be one of " + strings.Join(nameIDFormats, ", ")
	}
	if st.ClientID != "" || in.ClientSecret != "" || st.Issuer != "" || len(st.Scopes) > 0 {
		f["kind"] = "a saml provider takes no issuer, client id, secret or scopes"
	}
}

// entityDescriptor reports whether doc is XML whose root is SAML metadata's
// EntityDescriptor. The metadata is read for its keys and endpoints when
// the provider is used; here only its shape is checked.
func entityDescriptor(doc string) bool {
	dec := xml.NewDecoder(bytes.NewReader([]byte(doc)))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if start, ok := tok.(xml.StartElement); ok {
			return start.Name.Local == "EntityDescriptor" && start.Name.Space == "urn:oasis:names:tc:SAML:2.0:metadata"
		}
	}
}

// fields collects every problem with an input before answering.
type fields map[string]string

func (f fields) err() error {
	if len(f) == 0 {
		return nil
	}
	return iam.Invalid("the request has invalid fields", f)
}

func (f fields) required(field, s string) {
	if strings.TrimSpace(s) == "" {
		f[field] = "is required"
	}
}

// url checks an endpoint: https, or http to a loopback address (a provider
// run beside Gatehouse in development and tests), without credentials or a
// fragment.
func (f fields) url(field, s string, required bool) {
	if s == "" {
		if required {
			f[field] = "is required"
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(s) > 2000 {
		f[field] = "must be an https URL"
		return
	}
	if u.Scheme == "https" {
		return
	}
	if ip := net.ParseIP(u.Hostname()); u.Scheme == "http" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
		return
	}
	f[field] = "must be an https URL"
}

// domains checks email domains: lower-cased hostnames, each once.
func (f fields) domains(in []string) []string {
	if len(in) > maxDomains {
		f["domains"] = "at most 50"
		return nil
	}
	out := []string{}
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		if !hostname(d) {
			f["domains"] = "must be email domains such as example.com"
			return nil
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// hostname reports whether h is a DNS name of at least two labels.
func hostname(h string) bool {
	labels := strings.Split(h, ".")
	if len(h) > 253 || len(labels) < 2 {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// identitySource is what names a provider's subjects: its kind with its
// issuer, user endpoint, or IdP metadata. Identities linked under one
// source mean nothing under another.
func identitySource(p *Provider) string {
	st := p.Settings
	switch p.Kind {
	case iam.ProviderOAuth2:
		return "oauth2 " + st.UserInfoURL
	case iam.ProviderSAML:
		if st.MetadataURL != "" {
			return "saml " + st.MetadataURL
		}
		if md, err := parseIdPMetadata([]byte(st.MetadataXML)); err == nil {
			return "saml " + md.entityID
		}
		return "saml"
	}
	return "oidc " + st.Issuer
}
