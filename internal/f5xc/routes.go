package f5xc

import (
	"net/http"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scimtoken"
)

// Prefix is the path every route of the surface starts with.
const Prefix = "/api/web/namespaces/"

// Routes registers every route of the surface on mux. now is the server's
// clock, which a SCIM token's expiration_days count from.
func Routes(mux *http.ServeMux, creds *apicredential.Service, tokens *scimtoken.Service, now func() time.Time) {
	h := handlers{creds: creds}
	for _, k := range []kind{apiCredentials, serviceCredentials} {
		mux.HandleFunc("GET "+Prefix+"{namespace}/"+k.path, h.list(k))
		mux.HandleFunc("POST "+Prefix+"{namespace}/"+k.path, h.create(k))
		mux.HandleFunc("GET "+Prefix+"{namespace}/"+k.path+"/{name}", h.get(k))
		mux.HandleFunc("POST "+Prefix+"{namespace}/activate/"+k.path, h.step(k, creds.Activate))
		mux.HandleFunc("POST "+Prefix+"{namespace}/renew/"+k.path, h.renew(k))
		mux.HandleFunc("POST "+Prefix+"{namespace}/revoke/"+k.path, h.step(k, creds.Revoke))
		mux.HandleFunc("POST "+Prefix+"system/bulk_revoke/"+k.path, h.bulkRevoke(k))
	}
	mux.HandleFunc("PUT "+Prefix+"{namespace}/"+serviceCredentials.path+"/{name}", h.replace(serviceCredentials))
	scim := scimHandlers{tokens: tokens, now: now}
	mux.HandleFunc("GET "+Prefix+"{namespace}/scim_token", scim.get)
	mux.HandleFunc("POST "+Prefix+"{namespace}/scim_token", scim.recreate)
	mux.HandleFunc("POST "+Prefix+"{namespace}/revoke/scim_token", scim.revoke)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, iam.Errorf(iam.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}
