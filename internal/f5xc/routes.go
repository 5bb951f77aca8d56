package f5xc

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Prefix is the path every route of the surface starts with.
const Prefix = "/api/web/namespaces/"

// Routes registers every route of the surface on mux.
func Routes(mux *http.ServeMux, creds *apicredential.Service) {
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
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, iam.Errorf(iam.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}
