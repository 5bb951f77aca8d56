package httpapi

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// FederatedProviderBody is an external identity provider as the API shows
// it: never its client secret. It carries what its admin registers with
// the provider: redirect_uri for OIDC and OAuth 2.0, sp_metadata_url and
// acs_url for SAML.
type FederatedProviderBody struct {
	ID               string            `json:"id" format:"uuid"`
	Name             string            `json:"name"`
	Kind             string            `json:"kind" enum:"oidc,oauth2,saml"`
	Preset           string            `json:"preset,omitempty" enum:"google,microsoft,github"`
	OrganizationID   string            `json:"organization_id,omitempty" doc:"Set for an organization's provider"`
	Domains          []string          `json:"domains" doc:"Email domains that lead to it at sign-in"`
	Enabled          bool              `json:"enabled"`
	JITProvisioning  bool              `json:"jit_provisioning"`
	LinkPolicy       string            `json:"link_policy" enum:"verified_email,sign_in"`
	ClaimMapping     map[string]string `json:"claim_mapping,omitempty"`
	Issuer           string            `json:"issuer,omitempty"`
	ClientID         string            `json:"client_id,omitempty"`
	ClientSecretSet  bool              `json:"client_secret_set"`
	Scopes           []string          `json:"scopes,omitempty"`
	MicrosoftTenant  string            `json:"microsoft_tenant,omitempty"`
	AuthorizationURL string            `json:"authorization_url,omitempty"`
	TokenURL         string            `json:"token_url,omitempty"`
	UserInfoURL      string            `json:"userinfo_url,omitempty"`
	MetadataURL      string            `json:"metadata_url,omitempty"`
	MetadataXML      string            `json:"metadata_xml,omitempty"`
	NameIDFormat     string            `json:"name_id_format,omitempty"`
	RedirectURI      string            `json:"redirect_uri,omitempty" doc:"OIDC and OAuth 2.0: the callback to register with the provider"`
	SPMetadataURL    string            `json:"sp_metadata_url,omitempty" doc:"SAML: Gatehouse's service provider metadata, for the IdP"`
	ACSURL           string            `json:"acs_url,omitempty" doc:"SAML: the assertion consumer service URL"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
}

func (a *API) federatedProviderBody(ctx context.Context, p *federation.Provider) FederatedProviderBody {
	st := p.Settings
	b := FederatedProviderBody{ID: p.ID, Name: p.Name, Kind: string(p.Kind), Preset: st.Preset, OrganizationID: p.OrganizationID,
		Domains: p.Domains, Enabled: p.Enabled, JITProvisioning: p.JITProvisioning, LinkPolicy: p.LinkPolicy, ClaimMapping: st.ClaimMapping,
		Issuer: st.Issuer, ClientID: st.ClientID, ClientSecretSet: p.ClientSecret != nil && p.Kind != iam.ProviderSAML, Scopes: st.Scopes, MicrosoftTenant: st.MicrosoftTenant,
		AuthorizationURL: st.AuthorizationURL, TokenURL: st.TokenURL, UserInfoURL: st.UserInfoURL, MetadataURL: st.MetadataURL,
		MetadataXML: st.MetadataXML, NameIDFormat: st.NameIDFormat, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	base := strings.TrimSuffix(a.baseURL(iam.TenantFrom(ctx)), "/")
	if p.Kind == iam.ProviderSAML {
		b.SPMetadataURL, b.ACSURL = federation.SPMetadataURL(base, p.ID), federation.ACSURL(base, p.ID)
	} else {
		b.RedirectURI = federation.CallbackURL(base, p.ID)
	}
	return b
}

type federatedProviderOutput struct {
	ETagHeader
	Body FederatedProviderBody
}

func (a *API) federatedProviderOut(ctx context.Context, p *federation.Provider, err error) (*federatedProviderOutput, error) {
	if err != nil {
		return nil, err
	}
	return &federatedProviderOutput{ETagHeader: etag(p.Version), Body: a.federatedProviderBody(ctx, p)}, nil
}

// federatedProviderSettings are a provider's fields as a request sends
// them; nil leaves one as it is on an update.
type federatedProviderSettings struct {
	Name             *string           `json:"name,omitempty" maxLength:"200"`
	Kind             *string           `json:"kind,omitempty" enum:"oidc,oauth2,saml" doc:"Set by a preset"`
	Preset           *string           `json:"preset,omitempty" maxLength:"20" doc:"Google, Microsoft Entra ID (microsoft_tenant: a directory id, common, organizations or consumers) or GitHub (OAuth 2.0): the endpoints are known"`
	OrganizationID   *string           `json:"organization_id,omitempty" doc:"An organization of the tenant, for an organization's provider; empty for the tenant's"`
	Domains          []string          `json:"domains,omitempty" maxItems:"50" doc:"Email domains that lead to it at sign-in, unique among the tenant's providers"`
	Enabled          *bool             `json:"enabled,omitempty" doc:"Default true"`
	JITProvisioning  *bool             `json:"jit_provisioning,omitempty" doc:"Create an account at a first sign-in"`
	LinkPolicy       *string           `json:"link_policy,omitempty" enum:"verified_email,sign_in" doc:"Link to an existing account when both emails are verified (default), or only after the person signs in to it; never by an unverified email"`
	ClaimMapping     map[string]string `json:"claim_mapping,omitempty" doc:"email, email_verified, name, given_name, family_name, groups → the provider's claim or attribute"`
	Issuer           *string           `json:"issuer,omitempty" maxLength:"2000" doc:"OIDC: the issuer, whose discovery document is read"`
	ClientID         *string           `json:"client_id,omitempty" maxLength:"500"`
	ClientSecret     *string           `json:"client_secret,omitempty" maxLength:"1024" doc:"Kept encrypted and never shown; absent on an update keeps it"`
	Scopes           []string          `json:"scopes,omitempty" maxItems:"20" doc:"OIDC default: openid email profile"`
	MicrosoftTenant  *string           `json:"microsoft_tenant,omitempty" maxLength:"100"`
	AuthorizationURL *string           `json:"authorization_url,omitempty" maxLength:"2000" doc:"OAuth 2.0"`
	TokenURL         *string           `json:"token_url,omitempty" maxLength:"2000" doc:"OAuth 2.0"`
	UserInfoURL      *string           `json:"userinfo_url,omitempty" maxLength:"2000" doc:"OAuth 2.0: where the user's email and name are read"`
	MetadataURL      *string           `json:"metadata_url,omitempty" maxLength:"2000" doc:"SAML: the IdP's metadata, read again to follow key rotation (or metadata_xml)"`
	MetadataXML      *string           `json:"metadata_xml,omitempty" maxLength:"262144" doc:"SAML: the IdP's metadata document (or metadata_url)"`
	NameIDFormat     *string           `json:"name_id_format,omitempty" maxLength:"200"`
}

// over writes the fields s sets over in.
func (s *federatedProviderSettings) over(in federation.Input) federation.Input {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	kind := string(in.Kind)
	set(&in.Name, s.Name)
	set(&kind, s.Kind)
	in.Kind = iam.ProviderKind(kind)
	set(&in.Settings.Preset, s.Preset)
	set(&in.OrganizationID, s.OrganizationID)
	if s.Domains != nil {
		in.Domains = s.Domains
	}
	if s.Enabled != nil {
		in.Enabled = *s.Enabled
	}
	if s.JITProvisioning != nil {
		in.JITProvisioning = *s.JITProvisioning
	}
	set(&in.LinkPolicy, s.LinkPolicy)
	if s.ClaimMapping != nil {
		in.Settings.ClaimMapping = s.ClaimMapping
	}
	set(&in.Settings.Issuer, s.Issuer)
	set(&in.Settings.ClientID, s.ClientID)
	set(&in.ClientSecret, s.ClientSecret)
	if s.Scopes != nil {
		in.Settings.Scopes = s.Scopes
	}
	set(&in.Settings.MicrosoftTenant, s.MicrosoftTenant)
	set(&in.Settings.AuthorizationURL, s.AuthorizationURL)
	set(&in.Settings.TokenURL, s.TokenURL)
	set(&in.Settings.UserInfoURL, s.UserInfoURL)
	set(&in.Settings.MetadataURL, s.MetadataURL)
	set(&in.Settings.MetadataXML, s.MetadataXML)
	set(&in.Settings.NameIDFormat, s.NameIDFormat)
	return in
}

type createFederatedProviderInput struct {
	Body federatedProviderSettings
}

func (a *API) createFederatedProvider(ctx context.Context, in *createFederatedProviderInput) (*federatedProviderOutput, error) {
	p, err := a.federation.Create(ctx, in.Body.over(federation.Input{Enabled: true}))
	return a.federatedProviderOut(ctx, p, err)
}

func (a *API) listFederatedProviders(ctx context.Context, in *PageParams) (*pageOutput[FederatedProviderBody], error) {
	list, err := a.federation.List(ctx)
	if err != nil {
		return nil, err
	}
	return pageOfAll(list, *in, func(p *federation.Provider) FederatedProviderBody { return a.federatedProviderBody(ctx, p) }), nil
}

func (a *API) getFederatedProvider(ctx context.Context, in *IDPath) (*federatedProviderOutput, error) {
	p, err := a.federation.Get(ctx, in.ID)
	return a.federatedProviderOut(ctx, p, err)
}

type updateFederatedProviderInput struct {
	IDPath
	IfMatch
	Body federatedProviderSettings
}

func (a *API) updateFederatedProvider(ctx context.Context, in *updateFederatedProviderInput) (*federatedProviderOutput, error) {
	p, err := a.federation.Update(ctx, in.ID, in.precondition(), in.Body.over)
	return a.federatedProviderOut(ctx, p, err)
}

func (a *API) deleteFederatedProvider(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.federation.Delete(ctx, in.ID, in.precondition()))
}

// SignInProviderBody is a provider a sign-in page may offer.
type SignInProviderBody struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind" enum:"oidc,oauth2"`
	StartURL string `json:"start_url" doc:"Send the browser here, with return_to, to sign in through the provider"`
	// HomeRealm marks the provider the email's domain leads to.
	HomeRealm bool `json:"home_realm" doc:"The provider the given email's domain leads to: send that person straight there"`
}

type signInProvidersInput struct {
	PageParams
	Email string `query:"email" maxLength:"320" doc:"An email address: its domain's provider (home-realm discovery) comes first, also when it belongs to an organization"`
}

func (a *API) signInProviders(ctx context.Context, in *signInProvidersInput) (*pageOutput[SignInProviderBody], error) {
	choices, err := a.federation.SignInChoices(ctx, in.Email)
	if err != nil {
		return nil, err
	}
	list := choices.Options
	base := strings.TrimSuffix(a.baseURL(iam.TenantFrom(ctx)), "/")
	return pageOfAll(list, in.PageParams, func(o *federation.SignInOption) SignInProviderBody {
		return SignInProviderBody{ID: o.ID, Name: o.Name, Kind: string(o.Kind), HomeRealm: o.HomeRealm,
			StartURL: base + "/api/v1/auth/federated/" + o.ID + "/start"}
	}), nil
}

// IdentityBody is an external identity linked to a user.
type IdentityBody struct {
	ID           string     `json:"id"`
	ProviderID   string     `json:"provider_id"`
	ProviderName string     `json:"provider_name"`
	ProviderKind string     `json:"provider_kind" enum:"oidc,oauth2,saml"`
	Subject      string     `json:"subject" doc:"What the provider calls the person"`
	Email        string     `json:"email" doc:"The address the provider asserted last"`
	CreatedAt    time.Time  `json:"created_at"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
}

func identityBody(i *federation.Identity) IdentityBody {
	return IdentityBody{ID: i.ID, ProviderID: i.ProviderID, ProviderName: i.ProviderName, ProviderKind: string(i.ProviderKind),
		Subject: i.Subject, Email: i.Email, CreatedAt: i.CreatedAt, LastLoginAt: i.LastLoginAt}
}

func (a *API) myIdentities(ctx context.Context, in *PageParams) (*pageOutput[IdentityBody], error) {
	list, err := a.federation.MyIdentities(ctx)
	if err != nil {
		return nil, err
	}
	return pageOfAll(list, *in, identityBody), nil
}

func (a *API) unlinkMyIdentity(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.federation.UnlinkMine(ctx, in.ID))
}

type userIdentitiesInput struct {
	IDPath
	PageParams
}

func (a *API) userIdentities(ctx context.Context, in *userIdentitiesInput) (*pageOutput[IdentityBody], error) {
	list, err := a.federation.UserIdentities(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(list, in.PageParams, identityBody), nil
}

type userIdentityPath struct {
	IDPath
	IdentityID string `path:"identity_id" doc:"The identity's id (UUID)"`
}

func (a *API) unlinkUserIdentity(ctx context.Context, in *userIdentityPath) (*empty, error) {
	return noContent(a.federation.UnlinkUser(ctx, in.ID, in.IdentityID))
}

type createSetupLinkInput struct {
	IDPath
	Body *struct {
		ExpiresInHours int `json:"expires_in_hours,omitempty" minimum:"1" maximum:"336" doc:"The link's lifetime in hours; 72 when left out"`
	}
}

// SetupLinkBody is a new SSO set-up link: its URL holds the secret and is
// shown only now.
type SetupLinkBody struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	URL            string    `json:"url" doc:"Give this to the organization's IT admin; it is shown only now"`
	ProviderID     string    `json:"provider_id" doc:"The provider the link sets up"`
	ExpiresAt      time.Time `json:"expires_at"`
}

type setupLinkOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         SetupLinkBody
}

func (a *API) createSetupLink(ctx context.Context, in *createSetupLinkInput) (*setupLinkOutput, error) {
	var ttl time.Duration
	if in.Body != nil {
		ttl = time.Duration(in.Body.ExpiresInHours) * time.Hour
	}
	raw, l, err := a.federation.CreateSetupLink(ctx, in.ID, ttl)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(a.baseURL(iam.TenantFrom(ctx)), "/")
	return &setupLinkOutput{CacheControl: "no-store", Body: SetupLinkBody{ID: l.ID, OrganizationID: l.OrganizationID, URL: base + "/sso-setup/" + raw,
		ProviderID: l.ProviderID, ExpiresAt: l.ExpiresAt}}, nil
}

// SetupLinkInfoBody is a set-up link without its secret.
type SetupLinkInfoBody struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	ProviderID     string            `json:"provider_id"`
	Domains        []iam.SetupDomain `json:"domains" doc:"The email domains added, with when each was verified"`
	CreatedAt      time.Time         `json:"created_at"`
	ExpiresAt      time.Time         `json:"expires_at"`
	CompletedAt    *time.Time        `json:"completed_at,omitempty" doc:"When sign-in was turned on, or an admin changed the provider: the link no longer works"`
}

type setupLinksInput struct {
	IDPath
	PageParams
}

func (a *API) listSetupLinks(ctx context.Context, in *setupLinksInput) (*pageOutput[SetupLinkInfoBody], error) {
	list, err := a.federation.SetupLinks(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(list, in.PageParams, func(l *iam.SSOSetupLink) SetupLinkInfoBody {
		domains := l.Domains
		if domains == nil {
			domains = []iam.SetupDomain{}
		}
		return SetupLinkInfoBody{ID: l.ID, OrganizationID: l.OrganizationID, ProviderID: l.ProviderID, Domains: domains,
			CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, CompletedAt: l.CompletedAt}
	}), nil
}

type setupLinkPath struct {
	IDPath
	LinkID string `path:"link_id" doc:"The link's id (UUID)"`
}

func (a *API) revokeSetupLink(ctx context.Context, in *setupLinkPath) (*empty, error) {
	return noContent(a.federation.RevokeSetupLink(ctx, in.ID, in.LinkID))
}
