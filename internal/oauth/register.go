package oauth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-iam/gatehouse/internal/application"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// registerPath is dynamic client registration's endpoint (RFC 7591).
const registerPath = "/oauth2/register"

// maxRegistration bounds a registration request's body.
const maxRegistration = 64 << 10

// Registrar registers applications on their own behalf.
type Registrar interface {
	Register(ctx context.Context, typ iam.ApplicationType, p application.Patch) (*application.WithSecret, error)
}

// Policies are the tenants' settings.
type Policies interface {
	For(ctx context.Context, tenantID string) (*settings.Settings, error)
}

// clientMetadata is what a client registers (RFC 7591 §2); other fields
// are ignored, as §2 asks.
type clientMetadata struct {
	RedirectURIs            []string        `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string        `json:"post_logout_redirect_uris,omitempty"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	GrantTypes              []string        `json:"grant_types"`
	ResponseTypes           []string        `json:"response_types"`
	ClientName              string          `json:"client_name"`
	Scope                   string          `json:"scope"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                 string          `json:"jwks_uri,omitempty"`
}

// registered is the answer (RFC 7591 §3.2.1): the metadata as registered.
type registered struct {
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
	clientMetadata
}

// registrationError is RFC 7591 §3.2.2's.
func registrationError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// Register answers registerPath where the tenant's policy is open: a
// client that sends its metadata gets a client id (and a secret, unless it
// is public). Anyone may register, so a registered client is a client of
// users' sign-ins only, and its users must consent to it.
func (p *Provider) Register(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := tenantOf(ctx)
	if err != nil {
		WriteError(w, r, iam.Internal(err))
		return
	}
	st, err := p.policies.For(ctx, t.ID)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if st.OAuth.DynamicRegistration != settings.RegistrationOpen {
		registrationError(w, http.StatusForbidden, "access_denied", "dynamic client registration is off for this tenant")
		return
	}
	var md clientMetadata
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRegistration))
	if err := dec.Decode(&md); err != nil {
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "the body is not client metadata in JSON")
		return
	}
	typ, patch, problem := md.application()
	if problem != "" {
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", problem)
		return
	}
	app, err := p.registrar.Register(ctx, typ, patch)
	if iam.IsCode(err, iam.CodeNameTaken) {
		named := *patch.Name + " (" + strings.ToLower(rand.Text()[:6]) + ")"
		patch.Name = &named
		app, err = p.registrar.Register(ctx, typ, patch)
	}
	var e *iam.Error
	if errors.As(err, &e) && e.Code == iam.CodeInvalid {
		code := "invalid_client_metadata"
		if strings.Contains(jsonText(e.Details), "redirect_uris") {
			code = "invalid_redirect_uri"
		}
		registrationError(w, http.StatusBadRequest, code, e.Message+": "+jsonText(e.Details))
		return
	}
	if err != nil {
		WriteError(w, r, err)
		return
	}
	a := app.Application
	out := registered{ClientID: a.ClientID, ClientSecret: app.ClientSecret, ClientIDIssuedAt: a.CreatedAt.Unix(), clientMetadata: clientMetadata{
		RedirectURIs: a.RedirectURIs, PostLogoutRedirectURIs: a.PostLogoutRedirectURIs, TokenEndpointAuthMethod: a.TokenEndpointAuthMethod,
		GrantTypes: a.GrantTypes, ResponseTypes: []string{string(oidc.ResponseTypeCode)}, ClientName: a.Name,
		Scope: strings.Join(a.AllowedScopes, " "), JWKSURI: a.JWKSURI}}
	if a.JWKS != "" {
		out.JWKS = json.RawMessage(a.JWKS)
	}
	if app.ClientSecret != "" {
		never := int64(0)
		out.ClientSecretExpiresAt = &never
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// registeredScopes are the scopes a registered client may ask for.
var registeredScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

// application turns metadata into an application's type and settings, or
// names what is wrong.
func (md *clientMetadata) application() (iam.ApplicationType, application.Patch, string) {
	var p application.Patch
	if len(md.RedirectURIs) == 0 {
		return "", p, "redirect_uris are required"
	}
	for _, rt := range md.ResponseTypes {
		if rt != string(oidc.ResponseTypeCode) {
			return "", p, "only the code response type is served"
		}
	}
	name := strings.TrimSpace(md.ClientName)
	if name == "" {
		name = "Registered client"
		if u, err := url.Parse(md.RedirectURIs[0]); err == nil && u.Host != "" {
			name = u.Host
		}
	}
	p.Name, p.RedirectURIs, p.PostLogoutRedirectURIs = &name, md.RedirectURIs, md.PostLogoutRedirectURIs
	if len(md.GrantTypes) > 0 {
		p.GrantTypes = md.GrantTypes
	}
	scopes := registeredScopes
	if md.Scope != "" {
		scopes = strings.Fields(md.Scope)
		for _, sc := range scopes {
			if !slices.Contains(registeredScopes, sc) {
				return "", p, "scope " + sc + " may not be registered"
			}
		}
	}
	p.AllowedScopes = scopes
	method := md.TokenEndpointAuthMethod
	if method == "" {
		method = iam.AuthClientSecretBasic
	}
	p.TokenEndpointAuthMethod = &method
	if len(md.JWKS) > 0 {
		jwks := string(md.JWKS)
		p.JWKS = &jwks
	}
	if md.JWKSURI != "" {
		p.JWKSURI = &md.JWKSURI
	}
	if method != iam.AuthNone {
		return iam.AppWeb, p, ""
	}
	// A public client is native when its redirects stay on the device
	// (loopback or its own scheme), a browser application otherwise.
	for _, uri := range md.RedirectURIs {
		u, err := url.Parse(uri)
		if err != nil {
			return "", p, "redirect_uris must be URIs"
		}
		if u.Scheme == "https" && !slices.Contains([]string{"localhost", "127.0.0.1", "[::1]"}, u.Hostname()) {
			return iam.AppSPA, p, ""
		}
	}
	return iam.AppNative, p, ""
}
