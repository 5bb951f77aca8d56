package nevisidm

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/credential"
)

// Prefix is the path every route of the surface starts with.
const Prefix = "/nevisidm/api/auth/v1/"

// Routes registers every route of the surface on mux. nevisIDM documents
// its paths with a trailing slash; both spellings are served.
func Routes(mux *http.ServeMux, creds *credential.Service) {
	h := handlers{credentials: creds}
	for path, handler := range map[string]http.HandlerFunc{
		"password/login":         h.passwordLogin,
		"device-password/login":  h.devicePasswordLogin,
		"context-password/login": h.contextPasswordLogin,
		"recovery-codes/login":   h.recoveryCodeLogin,
	} {
		pattern := "POST " + Prefix + "{client}/users/{user}/" + path
		mux.Handle(pattern, handler)
		mux.Handle(pattern+"/{$}", handler)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, errNoEndpoint(r))
	})
}
