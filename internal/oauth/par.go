package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// Pushed authorization requests (RFC 9126): a client posts its request to
// parPath and sends the browser to /oauth2/authorize with the request_uri
// it gets, so that the request's parameters never travel through the
// browser. The request_uri carries them sealed with the master key, bound
// to the tenant and the client, for parTTL, and is used once.
const (
	parPath      = "/oauth2/par"
	parURIPrefix = "urn:ietf:params:oauth:request_uri:"
	parTTL       = time.Minute
)

var parPurpose = []byte("oauth:pushed-authorization-request")

type pushed struct {
	Tenant  string `json:"t"`
	Client  string `json:"c"`
	Query   string `json:"q"`
	Expires int64  `json:"e"`
}

// maxPushedForm bounds a pushed request's body.
const maxPushedForm = 16 << 10

// PushAuthorization answers parPath: the client authenticates as at the
// token endpoint, and its request is checked for what the authorization
// endpoint cannot ask the browser about (a registered redirect URI).
func (p *Provider) PushAuthorization(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxPushedForm)
	if err := r.ParseForm(); err != nil {
		op.WriteError(w, r, oidc.ErrInvalidRequest().WithDescription("the request body is not a form"), nil)
		return
	}
	r = r.WithContext(p.contextFor(r))
	ctx := r.Context()
	t, err := tenantOf(ctx)
	if err != nil {
		op.WriteError(w, r, err, nil)
		return
	}
	app, err := p.authenticateClient(ctx, r)
	if err != nil {
		op.WriteError(w, r, err, nil)
		return
	}
	form := url.Values{}
	for k, v := range r.PostForm {
		switch k {
		case "client_secret", "client_assertion", "client_assertion_type":
		case "request_uri", "request":
			op.WriteError(w, r, oidc.ErrInvalidRequest().WithDescription("%s may not be pushed", k), nil)
			return
		default:
			form[k] = v
		}
	}
	form.Set("client_id", app.ClientID)
	if !slices.Contains(app.RedirectURIs, form.Get("redirect_uri")) {
		op.WriteError(w, r, oidc.ErrInvalidRequest().WithDescription("redirect_uri is not registered for this client"), nil)
		return
	}
	plain, err := json.Marshal(pushed{Tenant: t.ID, Client: app.ClientID, Query: form.Encode(), Expires: p.now().Add(parTTL).Unix()})
	if err == nil {
		var sealed []byte
		if sealed, err = p.sealer.Seal(plain, parPurpose); err == nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"request_uri": parURIPrefix + base64.RawURLEncoding.EncodeToString(sealed),
				"expires_in": int(parTTL.Seconds())})
			return
		}
	}
	op.WriteError(w, r, oauthError(err), nil)
}

// authenticateClient authenticates the client of a request as the token
// endpoint does: HTTP Basic, a form secret, a client assertion, or for a
// public client its client_id alone.
func (p *Provider) authenticateClient(ctx context.Context, r *http.Request) (*iam.Application, error) {
	st := storage{p}
	var clientID string
	id, secret, basic := r.BasicAuth()
	switch {
	case basic:
		var err error
		if id, err = url.QueryUnescape(id); err != nil {
			return nil, oidc.ErrInvalidClient()
		}
		if secret, err = url.QueryUnescape(secret); err != nil {
			return nil, oidc.ErrInvalidClient()
		}
		if err := st.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
			return nil, err
		}
		clientID = id
	case r.PostForm.Get("client_assertion") != "":
		if r.PostForm.Get("client_assertion_type") != oidc.ClientAssertionTypeJWTAssertion {
			return nil, oidc.ErrInvalidClient().WithDescription("unsupported client_assertion_type")
		}
		var err error
		if clientID, err = st.verifyAssertion(ctx, r.PostForm.Get("client_assertion")); err != nil {
			return nil, err
		}
	case r.PostForm.Get("client_secret") != "":
		clientID = r.PostForm.Get("client_id")
		if err := st.AuthorizeClientIDSecret(ctx, clientID, r.PostForm.Get("client_secret")); err != nil {
			return nil, err
		}
	default:
		clientID = r.PostForm.Get("client_id")
		app, err := st.application(ctx, clientID)
		if err != nil {
			return nil, err
		}
		if app.TokenEndpointAuthMethod != iam.AuthNone {
			return nil, oidc.ErrInvalidClient().WithDescription("client authentication is required")
		}
	}
	if f := r.PostForm.Get("client_id"); f != "" && f != clientID {
		return nil, oidc.ErrInvalidClient().WithDescription("client_id does not match the authenticated client")
	}
	return st.application(ctx, clientID)
}

// unpush puts the parameters of a pushed request back into an
// authorization request that names it by request_uri; others pass as they
// are.
func (p *Provider) unpush(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ref, ok := strings.CutPrefix(q.Get("request_uri"), parURIPrefix)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		var req pushed
		sealed, err := base64.RawURLEncoding.DecodeString(ref)
		if err == nil {
			var plain []byte
			if plain, err = p.sealer.Open(sealed, parPurpose); err == nil {
				err = json.Unmarshal(plain, &req)
			}
		}
		t := iam.TenantFrom(r.Context())
		errGone := iam.Errorf(iam.CodeInvalid, "request_uri is invalid, expired or used: start again from the application")
		if err != nil || t == nil || req.Tenant != t.ID || req.Client != q.Get("client_id") || p.now().Unix() > req.Expires {
			WriteError(w, r, errGone)
			return
		}
		// Each request_uri is used once (RFC 9126 §4), remembered as an
		// assertion id of its client until it expires.
		// Keyed by the sealed bytes, not their spelling: base64 decoders
		// skip line breaks and ignore the last character's spare bits, so
		// one pushed request has many spellings.
		fresh, err := p.store.UseAssertion(r.Context(), t.ID, req.Client, "par:"+secret.Hash(string(sealed)), time.Unix(req.Expires, 0))
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if !fresh {
			WriteError(w, r, errGone)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = req.Query
		next.ServeHTTP(w, r2)
	})
}
