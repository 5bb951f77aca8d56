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
// surface in one place.
func Routes(mux *http.ServeMux, keys KeySet) {
	mux.HandleFunc("GET /oauth2/keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		writeJSON(w, http.StatusOK, keys.JWKS())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, iam.Errorf(iam.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}
