package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/application"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// ApplicationBody is an application as the API shows it: never its secret.
type ApplicationBody struct {
	ID                       string         `json:"id" format:"uuid"`
	Name                     string         `json:"name"`
	Type                     string         `json:"type" enum:"web,spa,native,machine"`
	ClientID                 string         `json:"client_id" doc:"Its OAuth client id: random, unique across tenants, fixed for its life"`
	ClientSecretSet          bool           `json:"client_secret_set" doc:"Whether it holds a client secret (POST …/secret issues one)"`
	RedirectURIs             []string       `json:"redirect_uris"`
	PostLogoutRedirectURIs   []string       `json:"post_logout_redirect_uris"`
	GrantTypes               []string       `json:"grant_types"`
	TokenEndpointAuthMethod  string         `json:"token_endpoint_auth_method" enum:"client_secret_basic,client_secret_post,private_key_jwt,none"`
	JWKS                     map[string]any `json:"jwks,omitempty" doc:"The JSON Web Key Set its private_key_jwt assertions are verified with"`
	JWKSURI                  string         `json:"jwks_uri,omitempty"`
	AllowedScopes            []string       `json:"allowed_scopes"`
	AccessTokenFormat        string         `json:"access_token_format" enum:"jwt,opaque"`
	AccessTokenTTL           int            `json:"access_token_ttl" doc:"Seconds"`
	RefreshTokenTTL          int            `json:"refresh_token_ttl" doc:"Seconds"`
	IDTokenSignedResponseAlg string         `json:"id_token_signed_response_alg" enum:"RS256,ES256"`
	RequireConsent           bool           `json:"require_consent"`
	RequirePKCE              bool           `json:"require_pkce" doc:"True for public clients (spa, native): their code grants need PKCE"`
	ResourceURI              string         `json:"resource_uri,omitempty" doc:"The URI naming it as a resource server (RFC 8707)"`
	APIAccess                bool           `json:"api_access" doc:"Its users' access tokens also call Gatehouse's own API as them (an admin console)"`
	CreatedAt                time.Time      `json:"created_at"`
	UpdatedAt                time.Time      `json:"updated_at"`
}

func applicationBody(a *iam.Application) ApplicationBody {
	b := ApplicationBody{ID: a.ID, Name: a.Name, Type: string(a.Type), ClientID: a.ClientID, ClientSecretSet: a.SecretHash != "",
		RedirectURIs: a.RedirectURIs, PostLogoutRedirectURIs: a.PostLogoutRedirectURIs, GrantTypes: a.GrantTypes,
		TokenEndpointAuthMethod: a.TokenEndpointAuthMethod, JWKSURI: a.JWKSURI, AllowedScopes: a.AllowedScopes,
		AccessTokenFormat: a.AccessTokenFormat, AccessTokenTTL: int(a.AccessTokenTTL / time.Second),
		RefreshTokenTTL: int(a.RefreshTokenTTL / time.Second), IDTokenSignedResponseAlg: a.IDTokenSignedResponseAlg,
		RequireConsent: a.RequireConsent, RequirePKCE: a.RequirePKCE, ResourceURI: a.ResourceURI, APIAccess: a.APIAccess, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if a.JWKS != "" {
		// Stored only after it parsed as a key set.
		_ = json.Unmarshal([]byte(a.JWKS), &b.JWKS)
	}
	return b
}

type applicationOutput struct {
	ETagHeader
	Body ApplicationBody
}

func applicationOut(a *iam.Application, err error) (*applicationOutput, error) {
	if err != nil {
		return nil, err
	}
	return &applicationOutput{ETagHeader: etag(a.Version), Body: applicationBody(a)}, nil
}

// NewApplicationSecretBody is an application with the client secret just
// issued to it.
type NewApplicationSecretBody struct {
	ApplicationBody
	ClientSecret string `json:"client_secret,omitempty" doc:"The client secret (client_secret_basic and client_secret_post); shown only now"`
}

type newApplicationSecretOutput struct {
	ETagHeader
	Body NewApplicationSecretBody
}

func newApplicationSecretOut(w *application.WithSecret, err error) (*newApplicationSecretOutput, error) {
	if err != nil {
		return nil, err
	}
	return &newApplicationSecretOutput{ETagHeader: etag(w.Application.Version),
		Body: NewApplicationSecretBody{ApplicationBody: applicationBody(w.Application), ClientSecret: w.ClientSecret}}, nil
}

// applicationSettings are the settings PATCH changes; an absent one stays
// as it is.
type applicationSettings struct {
	Name                     *string        `json:"name,omitempty" maxLength:"200"`
	RedirectURIs             []string       `json:"redirect_uris,omitempty" maxItems:"20" doc:"Matched as exact strings: a trailing slash makes another URI"`
	PostLogoutRedirectURIs   []string       `json:"post_logout_redirect_uris,omitempty" maxItems:"20"`
	GrantTypes               []string       `json:"grant_types,omitempty" maxItems:"6"`
	TokenEndpointAuthMethod  *string        `json:"token_endpoint_auth_method,omitempty" enum:"client_secret_basic,client_secret_post,private_key_jwt,none"`
	JWKS                     map[string]any `json:"jwks,omitempty" doc:"For private_key_jwt: a JSON Web Key Set of public keys (or jwks_uri)"`
	JWKSURI                  *string        `json:"jwks_uri,omitempty" maxLength:"2000" doc:"For private_key_jwt: where its key set is published (or jwks)"`
	AllowedScopes            []string       `json:"allowed_scopes,omitempty" maxItems:"50"`
	AccessTokenFormat        *string        `json:"access_token_format,omitempty" enum:"jwt,opaque"`
	AccessTokenTTL           *int           `json:"access_token_ttl,omitempty" doc:"Seconds, 60 to 86400 (default 900)"`
	RefreshTokenTTL          *int           `json:"refresh_token_ttl,omitempty" doc:"Seconds, 3600 to 31536000 (default 2592000)"`
	IDTokenSignedResponseAlg *string        `json:"id_token_signed_response_alg,omitempty" enum:"RS256,ES256"`
	RequireConsent           *bool          `json:"require_consent,omitempty"`
	ResourceURI              *string        `json:"resource_uri,omitempty" maxLength:"2000" doc:"Names it as a resource server (RFC 8707): clients ask for tokens meant for it with resource=<this URI>; https, no fragment; empty clears it"`
	APIAccess                *bool          `json:"api_access,omitempty" doc:"Its users' access tokens also call Gatehouse's own API as them, with all their permissions (an admin console); only a caller holding * may turn it on"`
}

func (s *applicationSettings) patch() application.Patch {
	p := application.Patch{Name: s.Name, RedirectURIs: s.RedirectURIs, PostLogoutRedirectURIs: s.PostLogoutRedirectURIs,
		GrantTypes: s.GrantTypes, TokenEndpointAuthMethod: s.TokenEndpointAuthMethod, JWKSURI: s.JWKSURI,
		AllowedScopes: s.AllowedScopes, AccessTokenFormat: s.AccessTokenFormat, IDTokenSignedResponseAlg: s.IDTokenSignedResponseAlg,
		RequireConsent: s.RequireConsent, ResourceURI: s.ResourceURI, APIAccess: s.APIAccess}
	if s.JWKS != nil {
		b, _ := json.Marshal(s.JWKS) // decoded from JSON, so it encodes
		jwks := string(b)
		p.JWKS = &jwks
	}
	seconds := func(n *int) *time.Duration {
		if n == nil {
			return nil
		}
		d := time.Duration(*n) * time.Second
		return &d
	}
	p.AccessTokenTTL, p.RefreshTokenTTL = seconds(s.AccessTokenTTL), seconds(s.RefreshTokenTTL)
	return p
}

// createApplicationBody is applicationSettings with the type and a name
// required. (huma's strict bodies do not flatten embedded structs, so the
// fields are spelled out again.)
type createApplicationBody struct {
	Name                     string         `json:"name" maxLength:"200"`
	Type                     string         `json:"type" enum:"web,spa,native,machine" doc:"web and machine keep a secret; spa and native are public and use PKCE"`
	RedirectURIs             []string       `json:"redirect_uris,omitempty" maxItems:"20" doc:"Matched as exact strings: a trailing slash makes another URI"`
	PostLogoutRedirectURIs   []string       `json:"post_logout_redirect_uris,omitempty" maxItems:"20"`
	GrantTypes               []string       `json:"grant_types,omitempty" maxItems:"6" doc:"Default: authorization_code and refresh_token; client_credentials for machine"`
	TokenEndpointAuthMethod  *string        `json:"token_endpoint_auth_method,omitempty" enum:"client_secret_basic,client_secret_post,private_key_jwt,none" doc:"Default: client_secret_basic; none for spa and native"`
	JWKS                     map[string]any `json:"jwks,omitempty" doc:"For private_key_jwt: a JSON Web Key Set of public keys (or jwks_uri)"`
	JWKSURI                  *string        `json:"jwks_uri,omitempty" maxLength:"2000" doc:"For private_key_jwt: where its key set is published (or jwks)"`
	AllowedScopes            []string       `json:"allowed_scopes,omitempty" maxItems:"50" doc:"Default: openid profile email offline_access; none for machine"`
	AccessTokenFormat        *string        `json:"access_token_format,omitempty" enum:"jwt,opaque"`
	AccessTokenTTL           *int           `json:"access_token_ttl,omitempty" doc:"Seconds, 60 to 86400 (default 900)"`
	RefreshTokenTTL          *int           `json:"refresh_token_ttl,omitempty" doc:"Seconds, 3600 to 31536000 (default 2592000)"`
	IDTokenSignedResponseAlg *string        `json:"id_token_signed_response_alg,omitempty" enum:"RS256,ES256"`
	RequireConsent           *bool          `json:"require_consent,omitempty"`
	ResourceURI              *string        `json:"resource_uri,omitempty" maxLength:"2000" doc:"Names it as a resource server (RFC 8707): clients ask for tokens meant for it with resource=<this URI>; https, no fragment; empty clears it"`
	APIAccess                *bool          `json:"api_access,omitempty" doc:"Its users' access tokens also call Gatehouse's own API as them, with all their permissions (an admin console); only a caller holding * may turn it on"`
}

type createApplicationInput struct {
	Body createApplicationBody
}

func (a *API) createApplication(ctx context.Context, in *createApplicationInput) (*newApplicationSecretOutput, error) {
	b := &in.Body
	settings := applicationSettings{Name: &b.Name, RedirectURIs: b.RedirectURIs, PostLogoutRedirectURIs: b.PostLogoutRedirectURIs,
		GrantTypes: b.GrantTypes, TokenEndpointAuthMethod: b.TokenEndpointAuthMethod, JWKS: b.JWKS, JWKSURI: b.JWKSURI,
		AllowedScopes: b.AllowedScopes, AccessTokenFormat: b.AccessTokenFormat, AccessTokenTTL: b.AccessTokenTTL,
		RefreshTokenTTL: b.RefreshTokenTTL, IDTokenSignedResponseAlg: b.IDTokenSignedResponseAlg, RequireConsent: b.RequireConsent,
		ResourceURI: b.ResourceURI, APIAccess: b.APIAccess}
	return newApplicationSecretOut(a.applications.Create(ctx, b.Type, settings.patch()))
}

type listApplicationsInput struct {
	ListParams
	OrderBy applicationOrder `query:"order_by"`
	Type    string           `query:"type" enum:"web,spa,native,machine" doc:"Only applications of this type"`
}

func (a *API) listApplications(ctx context.Context, in *listApplicationsInput) (*pageOutput[ApplicationBody], error) {
	apps, total, err := a.applications.List(ctx, iam.ApplicationQuery{ListParams: in.params(string(in.OrderBy)), Type: iam.ApplicationType(in.Type)})
	if err != nil {
		return nil, err
	}
	return pageOf(apps, total, in.ListParams, applicationBody), nil
}

func (a *API) getApplication(ctx context.Context, in *IDPath) (*applicationOutput, error) {
	return applicationOut(a.applications.Get(ctx, in.ID))
}

type updateApplicationInput struct {
	IDPath
	IfMatch
	Body applicationSettings
}

func (a *API) updateApplication(ctx context.Context, in *updateApplicationInput) (*applicationOutput, error) {
	return applicationOut(a.applications.Update(ctx, in.ID, in.Body.patch(), in.precondition()))
}

func (a *API) deleteApplication(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.applications.Delete(ctx, in.ID, in.precondition()))
}

func (a *API) rotateApplicationSecret(ctx context.Context, in *IDPath) (*newApplicationSecretOutput, error) {
	return newApplicationSecretOut(a.applications.RotateSecret(ctx, in.ID))
}

// ApplicationRoleBody is a role an application defines.
type ApplicationRoleBody struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

func applicationRoleBody(r *iam.ApplicationRole) ApplicationRoleBody {
	return ApplicationRoleBody{Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt}
}

type createApplicationRoleInput struct {
	IDPath
	Body struct {
		Name        string `json:"name" maxLength:"100" doc:"Letters, digits and . _ : -, as the roles claim will carry it"`
		Description string `json:"description,omitempty" maxLength:"1000"`
	}
}

type applicationRoleOutput struct {
	Body ApplicationRoleBody
}

func (a *API) createApplicationRole(ctx context.Context, in *createApplicationRoleInput) (*applicationRoleOutput, error) {
	r, err := a.applications.CreateRole(ctx, in.ID, in.Body.Name, in.Body.Description)
	if err != nil {
		return nil, err
	}
	return &applicationRoleOutput{Body: applicationRoleBody(r)}, nil
}

type listApplicationRolesInput struct {
	IDPath
	PageParams
}

func (a *API) listApplicationRoles(ctx context.Context, in *listApplicationRolesInput) (*pageOutput[ApplicationRoleBody], error) {
	roles, err := a.applications.Roles(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(roles, in.PageParams, applicationRoleBody), nil
}

type applicationRolePath struct {
	IDPath
	Role string `path:"role" maxLength:"100" doc:"The role's name"`
}

func (a *API) deleteApplicationRole(ctx context.Context, in *applicationRolePath) (*empty, error) {
	return noContent(a.applications.DeleteRole(ctx, in.ID, in.Role))
}

// AppMappingBody is a role mapping: one application role given to one
// subject.
type AppMappingBody struct {
	ID             string    `json:"id" format:"uuid"`
	ApplicationID  string    `json:"application_id" format:"uuid"`
	Role           string    `json:"role"`
	UserID         *string   `json:"user_id"`
	GroupID        *string   `json:"group_id"`
	OrganizationID *string   `json:"organization_id"`
	CreatedAt      time.Time `json:"created_at"`
}

func appMappingBody(m *iam.AppRoleMapping) AppMappingBody {
	return AppMappingBody{ID: m.ID, ApplicationID: m.ApplicationID, Role: m.Role, UserID: optional(m.UserID), GroupID: optional(m.GroupID),
		OrganizationID: optional(m.OrganizationID), CreatedAt: m.CreatedAt}
}

type createAppMappingInput struct {
	Body struct {
		ApplicationID  string `json:"application_id" maxLength:"36"`
		Role           string `json:"role" maxLength:"100"`
		UserID         string `json:"user_id,omitempty" maxLength:"36" doc:"Exactly one of user_id, group_id, organization_id"`
		GroupID        string `json:"group_id,omitempty" maxLength:"36" doc:"Every member of the group holds the role"`
		OrganizationID string `json:"organization_id,omitempty" maxLength:"36" doc:"Every member of the organization holds the role"`
	}
}

type appMappingOutput struct {
	Body AppMappingBody
}

func (a *API) createAppMapping(ctx context.Context, in *createAppMappingInput) (*appMappingOutput, error) {
	b := in.Body
	m, err := a.applications.CreateMapping(ctx, application.MappingInput{ApplicationID: b.ApplicationID, Role: b.Role,
		UserID: b.UserID, GroupID: b.GroupID, OrganizationID: b.OrganizationID})
	if err != nil {
		return nil, err
	}
	return &appMappingOutput{Body: appMappingBody(m)}, nil
}

type listAppMappingsInput struct {
	PageParams
	ApplicationID  string `query:"application_id" maxLength:"36"`
	Role           string `query:"role" maxLength:"100"`
	UserID         string `query:"user_id" maxLength:"36"`
	GroupID        string `query:"group_id" maxLength:"36"`
	OrganizationID string `query:"organization_id" maxLength:"36"`
}

func (a *API) listAppMappings(ctx context.Context, in *listAppMappingsInput) (*pageOutput[AppMappingBody], error) {
	p := in.params()
	ms, total, err := a.applications.Mappings(ctx, iam.AppRoleMappingQuery{ListParams: iam.ListParams{Page: p.Page, Limit: p.Limit},
		ApplicationID: in.ApplicationID, Role: in.Role, UserID: in.UserID, GroupID: in.GroupID, OrganizationID: in.OrganizationID})
	if err != nil {
		return nil, err
	}
	return pageOf(ms, total, p, appMappingBody), nil
}

func (a *API) deleteAppMapping(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.applications.DeleteMapping(ctx, in.ID))
}
