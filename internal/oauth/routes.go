package oauth

import (
	"net/http"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// KeySet publishes the public keys that verify Gatehouse's tokens.
type KeySet interface {
	JWKS() jose.JSONWebKeySet
}

// Routes registers every OAuth and discovery endpoint on mux: the whole
// surface in one place. session puts the browser's sign-in on a request,
// for the end of an authorization request's sign-in.
func Routes(mux *http.ServeMux, keys KeySet, p *Provider, session func(http.Handler) http.Handler) {
	// The key set is served here, not by the library, so that it holds the
	// next keys before they sign (see token.Keys).
	mux.HandleFunc("GET /oauth2/keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		writeJSON(w, http.StatusOK, keys.JWKS())
	})
	mux.Handle("GET /oauth2/login", session(http.HandlerFunc(p.Login)))
	mux.HandleFunc("GET /oauth2/logout/continue", p.ContinueLogout)
	// Ending a session needs to know the browser's.
	mux.Handle("/oauth2/end_session", session(p))
	mux.Handle("POST "+parPath, basicChallenge(http.HandlerFunc(p.PushAuthorization)))
	mux.HandleFunc("POST "+registerPath, p.Register)
	mux.Handle("/oauth2/authorize", p.unpush(p))
	mux.Handle("/oauth2/token", basicChallenge(p.auditRefusals(p)))
	for _, path := range []string{"/oauth2/introspect", "/oauth2/revoke", "/oauth2/device_authorization"} {
		mux.Handle(path, basicChallenge(p))
	}
	for _, path := range []string{"/oauth2/userinfo", "/.well-known/openid-configuration"} {
		mux.Handle(path, p)
	}
	// RFC 8414's metadata is the OpenID document: every field it names
	// means the same there.
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/.well-known/openid-configuration"
		p.ServeHTTP(w, r2)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, iam.Errorf(iam.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}
