package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// discoveryTTL is how long a provider's discovery document is used before
// it is read again (its keys are read again whenever a token names one
// not seen).
const discoveryTTL = time.Hour

// maxUserInfo bounds what an OAuth 2.0 provider's user endpoints may
// answer.
const maxUserInfo = 1 << 20

// discoveries caches OpenID providers by issuer.
type discoveries struct {
	mu   sync.Mutex
	byIs map[string]discovery
}

// discovery is a discovery document read, or the failure to read one,
// which is kept for discoveryRetry so that a provider that is down does
// not hold every sign-in page for its timeout.
type discovery struct {
	provider *oidc.Provider
	err      error
	at       time.Time
}

const discoveryRetry = 30 * time.Second

// identity is what a provider says of the person signing in. Email is
// normalised as Gatehouse keeps addresses, "" when there is none it keeps.
type identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
	// Roles name the roles an organization's provider gives its people in
	// the organization.
	Roles []string
}

// clientSecret opens the provider's sealed client secret.
func (s *Service) clientSecret(pr *Provider) (string, error) {
	if pr.ClientSecret == nil {
		return "", nil
	}
	b, err := s.sealer.Open(pr.ClientSecret, secretContext(pr.TenantID, pr.ID))
	if err != nil {
		return "", iam.Internal(fmt.Errorf("federated provider %s: client secret: %w", pr.ID, err))
	}
	return string(b), nil
}

// endpoints are the provider's OAuth 2.0 client configuration and, for
// OpenID Connect, its discovered description.
func (s *Service) endpoints(ctx context.Context, t *iam.Tenant, pr *Provider) (*oauth2.Config, *oidc.Provider, error) {
	secret, err := s.clientSecret(pr)
	if err != nil {
		return nil, nil, err
	}
	st := pr.Settings
	conf := &oauth2.Config{ClientID: st.ClientID, ClientSecret: secret, RedirectURL: CallbackURL(s.baseURL(t), pr.ID), Scopes: st.Scopes}
	if pr.Kind == iam.ProviderOAuth2 {
		conf.Endpoint = oauth2.Endpoint{AuthURL: st.AuthorizationURL, TokenURL: st.TokenURL}
		return conf, nil, nil
	}
	op, err := s.discover(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	conf.Endpoint = op.Endpoint()
	return conf, op, nil
}

// multiTenantMicrosoft reports an Entra ID provider of the multi-tenant
// endpoints, whose discovery names the issuer as a template and whose
// tokens name the user's own directory.
func multiTenantMicrosoft(st Settings) bool {
	return st.Preset == PresetMicrosoft && (st.MicrosoftTenant == "common" || st.MicrosoftTenant == "organizations" ||
		st.MicrosoftTenant == "consumers")
}

// discover reads the provider's discovery document, or answers the one
// read within discoveryTTL.
func (s *Service) discover(ctx context.Context, st Settings) (*oidc.Provider, error) {
	// Microsoft's multi-tenant discovery is read another way: its answer,
	// or its failure, is not another provider's.
	key := st.Issuer
	if multiTenantMicrosoft(st) {
		key = "microsoft-multi-tenant " + st.Issuer
	}
	s.discovered.mu.Lock()
	d, ok := s.discovered.byIs[key]
	s.discovered.mu.Unlock()
	switch {
	case ok && d.err == nil && s.now().Sub(d.at) < discoveryTTL:
		return d.provider, nil
	case ok && d.err != nil && s.now().Sub(d.at) < discoveryRetry:
		return nil, d.err
	}
	// The provider keeps the context for fetching its keys later: it must
	// outlive this request.
	dctx := oidc.ClientContext(context.Background(), s.client)
	if multiTenantMicrosoft(st) {
		dctx = oidc.InsecureIssuerURLContext(dctx, "https://login.microsoftonline.com/{tenantid}/v2.0")
	}
	dctx, cancel := context.WithTimeout(dctx, 10*time.Second)
	defer cancel()
	op, err := oidc.NewProvider(dctx, st.Issuer)
	if err != nil {
		err = &iam.Error{Code: iam.CodeUnavailable, Message: "the identity provider cannot be reached", Err: err}
	}
	s.discovered.mu.Lock()
	if s.discovered.byIs == nil {
		s.discovered.byIs = map[string]discovery{}
	}
	s.discovered.byIs[key] = discovery{provider: op, err: err, at: s.now()}
	s.discovered.mu.Unlock()
	return op, err
}

// identify redeems the code and reads who signed in: from the ID token of
// an OpenID provider, or from the user endpoint of an OAuth 2.0 one.
func (s *Service) identify(ctx context.Context, t *iam.Tenant, pr *Provider, code string, l *iam.FederatedLogin) (*identity, error) {
	conf, op, err := s.endpoints(ctx, t, pr)
	if err != nil {
		return nil, err
	}
	octx := oidc.ClientContext(ctx, s.client)
	tok, err := conf.Exchange(octx, code, oauth2.VerifierOption(l.Verifier))
	if err != nil {
		return nil, &refusal{reason: ReasonToken, detail: clip("code exchange: " + err.Error())}
	}
	var claims map[string]any
	if op == nil {
		if claims, err = s.userInfo(octx, pr, tok); err != nil {
			return nil, &refusal{reason: ReasonToken, detail: clip("user endpoint: " + err.Error())}
		}
	} else if claims, err = s.verifyIDToken(octx, pr, op, tok, l.Nonce); err != nil {
		return nil, err
	}
	idn := readClaims(pr, claims)
	if idn.Subject == "" {
		return nil, &refusal{reason: ReasonToken, detail: "no subject"}
	}
	return idn, nil
}

// verifyIDToken checks the ID token of the response: signature by a key of
// the provider's JWKS, issuer, audience, expiry and the sign-in's nonce.
func (s *Service) verifyIDToken(ctx context.Context, pr *Provider, op *oidc.Provider, tok *oauth2.Token, nonce string) (map[string]any, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, &refusal{reason: ReasonToken, detail: "no id_token"}
	}
	multi := multiTenantMicrosoft(pr.Settings)
	v := op.Verifier(&oidc.Config{ClientID: pr.Settings.ClientID, Now: s.now, SkipIssuerCheck: multi})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, &refusal{reason: ReasonToken, detail: clip("id_token: " + err.Error())}
	}
	if idt.Nonce != nonce {
		return nil, &refusal{reason: ReasonToken, detail: "id_token: nonce does not match"}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, &refusal{reason: ReasonToken, detail: clip("id_token: " + err.Error())}
	}
	if azp, ok := claims["azp"].(string); ok && azp != pr.Settings.ClientID {
		return nil, &refusal{reason: ReasonToken, detail: clip("id_token: issued to " + azp)}
	}
	if hd, _ := claims["hd"].(string); pr.Settings.Preset == PresetGoogle && len(pr.Domains) > 0 && !slices.Contains(pr.Domains, hd) {
		// A Google provider for a company's domains admits that company's
		// Workspace accounts only (hd), not a consumer account that merely
		// shows an address of the domain.
		return nil, &refusal{reason: ReasonEmailDomain, detail: clip("id_token: hosted domain " + hd)}
	}
	if multi {
		// The issuer must be the directory the token names, of the kind
		// of account the provider admits.
		tid, _ := claims["tid"].(string)
		if tid == "" || idt.Issuer != "https://login.microsoftonline.com/"+tid+"/v2.0" || !microsoftTenantAdmitted(pr.Settings.MicrosoftTenant, tid) {
			return nil, &refusal{reason: ReasonToken, detail: clip("id_token: issuer " + idt.Issuer + " for directory " + tid)}
		}
	}
	return claims, nil
}

// consumerDirectory is Entra ID's directory of personal Microsoft accounts.
const consumerDirectory = "9188040d-6c67-4c5b-b112-36a304b66dad"

func microsoftTenantAdmitted(setting, tid string) bool {
	switch setting {
	case "organizations":
		return tid != consumerDirectory
	case "consumers":
		return tid == consumerDirectory
	}
	return true
}

// userInfo reads an OAuth 2.0 provider's user endpoint; of GitHub also the
// addresses, for the primary one and whether GitHub verified it.
func (s *Service) userInfo(ctx context.Context, pr *Provider, tok *oauth2.Token) (map[string]any, error) {
	var claims map[string]any
	if err := s.getJSON(ctx, pr.Settings.UserInfoURL, tok, &claims); err != nil {
		return nil, err
	}
	if pr.Settings.Preset != PresetGitHub {
		return claims, nil
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	u, err := url.Parse(pr.Settings.UserInfoURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/user/emails"
	if err := s.getJSON(ctx, u.String(), tok, &emails); err != nil {
		return nil, err
	}
	delete(claims, "email")
	for _, e := range emails {
		if e.Primary {
			claims["email"], claims["email_verified"] = e.Email, e.Verified
		}
	}
	return claims, nil
}

func (s *Service) getJSON(ctx context.Context, endpoint string, tok *oauth2.Token, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", endpoint, res.Status)
	}
	dec := json.NewDecoder(io.LimitReader(res.Body, maxUserInfo))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return errors.New("the answer is not JSON")
	}
	return nil
}

// readClaims reads the identity from claims through the provider's claim
// mapping.
func readClaims(pr *Provider, claims map[string]any) *identity {
	claim := func(target string) any {
		name := target
		if m, ok := pr.Settings.ClaimMapping[target]; ok {
			name = m
		}
		return claims[name]
	}
	idn := &identity{Subject: text(claims["sub"]), Name: text(claim("name"))}
	if idn.Subject == "" {
		// OAuth 2.0 providers name users by id (GitHub: a number).
		idn.Subject = text(claims["id"])
	}
	if idn.Name == "" {
		idn.Name = strings.TrimSpace(text(claim("given_name")) + " " + text(claim("family_name")))
	}
	if email, err := directory.NormalizeEmail(text(claim("email"))); err == nil {
		idn.Email = email
	}
	idn.EmailVerified = truth(claim("email_verified"))
	if pr.Settings.Preset == PresetMicrosoft {
		// Entra ID's email claim is whatever an admin of the user's
		// directory typed; only xms_edov says the domain's owner vouches.
		idn.EmailVerified = truth(claims["xms_edov"])
	}
	// Groups and roles carry permissions: they are read only from claims
	// an admin named in the mapping, never from whatever an IdP sends.
	if name, ok := pr.Settings.ClaimMapping["groups"]; ok {
		idn.Groups = names(claims[name])
	}
	if name, ok := pr.Settings.ClaimMapping["roles"]; ok {
		idn.Roles = names(claims[name])
	}
	return idn
}

// names reads a claim listing names: a list, or one name; at most 100.
func names(v any) []string {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []string
	for _, item := range list {
		if name := text(item); name != "" && len(out) < 100 {
			out = append(out, name)
		}
	}
	return out
}

// text is a claim as text: strings as they are, numbers in decimal.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// truth reads a boolean claim, which some providers send as a string.
func truth(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

func inDomains(email string, domains []string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	for _, d := range domains {
		if email[at+1:] == d {
			return true
		}
	}
	return false
}
