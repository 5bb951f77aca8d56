package oauth

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// authRequest is a stored authorization request as op.AuthRequest sees it:
// the request as the client sent it (validated) and who signed in for it.
type authRequest struct {
	stored *iam.AuthRequest
	storedRequest
}

// storedRequest is a request as the store keeps it: the library's fields,
// the resources (RFC 8707) it names and the user its hint names.
type storedRequest struct {
	oidc.AuthRequest
	Resources []string `json:"resources,omitempty"`
	// HintSubject is the user the id_token_hint names: a browser signed
	// in as someone else does not answer for them (OpenID Connect Core
	// §3.1.2.2).
	HintSubject string `json:"hint_subject,omitempty"`
}

var _ op.AuthRequest = (*authRequest)(nil)

func decodeAuthRequest(stored *iam.AuthRequest) (*authRequest, error) {
	r := &authRequest{stored: stored}
	if err := json.Unmarshal(stored.Request, &r.storedRequest); err != nil {
		return nil, iam.Internal(err)
	}
	return r, nil
}

func (r *authRequest) GetID() string                      { return r.stored.ID }
func (r *authRequest) GetACR() string                     { return acrOf(r.stored.AMR) }
func (r *authRequest) GetAMR() []string                   { return r.stored.AMR }
func (r *authRequest) GetAudience() []string              { return []string{r.ClientID} }
func (r *authRequest) GetClientID() string                { return r.ClientID }
func (r *authRequest) GetNonce() string                   { return r.Nonce }
func (r *authRequest) GetRedirectURI() string             { return r.RedirectURI }
func (r *authRequest) GetResponseType() oidc.ResponseType { return r.ResponseType }
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return r.ResponseMode }
func (r *authRequest) GetScopes() []string                { return r.Scopes }
func (r *authRequest) GetState() string                   { return r.State }
func (r *authRequest) GetSubject() string                 { return r.stored.UserID }
func (r *authRequest) Done() bool                         { return r.stored.UserID != "" }

func (r *authRequest) GetAuthTime() time.Time {
	if r.stored.AuthTime == nil {
		return time.Time{}
	}
	return *r.stored.AuthTime
}

func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
}

// The authentication context classes (acr) Gatehouse tells: a sign-in with
// a second factor, or without.
const (
	acrMFA    = "urn:gatehouse:acr:mfa"
	acrSingle = "urn:gatehouse:acr:pwd"
)

// acrValues are the classes, weakest first, for discovery.
var acrValues = []string{acrSingle, acrMFA}

// acrOf is the class of a sign-in with the methods amr.
func acrOf(amr []string) string {
	if slices.Contains(amr, "mfa") {
		return acrMFA
	}
	return acrSingle
}

// refreshRequest is a grant about to be refreshed: its session and the
// stored refresh token presented.
type refreshRequest struct {
	token    *iam.RefreshToken
	grant    *iam.Session
	clientID string
	scopes   []string
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return r.grant.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.clientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.grant.AuthenticatedAt() }
func (r *refreshRequest) GetClientID() string         { return r.clientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.grant.UserID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// clientRequest is a grant of a client for itself: client credentials, or
// a JWT-bearer assertion of its own.
type clientRequest struct {
	app       *iam.Application
	scopes    []string
	grantType oidc.GrantType
	resources []string
}

func (r *clientRequest) GetSubject() string    { return r.app.ClientID }
func (r *clientRequest) GetAudience() []string { return audienceOf(r.app, r.resources) }
func (r *clientRequest) GetScopes() []string   { return r.scopes }
