// Command resourceserver is an example service protected by Gatehouse: an
// invoices API whose endpoints need the permissions invoices.read and
// invoices.write, in the organization the request names, checked with the
// Gatehouse Go SDK.
//
//	go run ./examples/resourceserver -gatehouse http://localhost:8080 -listen :9090
//	curl -H "Authorization: Bearer $TOKEN" 'http://localhost:9090/orgs/acme/invoices'
//
// For one tenant of a multi-tenant Gatehouse, -gatehouse is that tenant's
// base URL (the "base_url" the tenants API answers, which is the issuer of
// its tokens) and -tenant its id.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/gatehouse-iam/gatehouse/sdk"
)

func main() {
	gatehouse := flag.String("gatehouse", "http://localhost:8080", "Gatehouse's issuer URL, or the base URL of the tenant whose tokens to accept")
	tenant := flag.String("tenant", "", "accept only tokens of this tenant id")
	listen := flag.String("listen", ":9090", "address to listen on")
	cacheTTL := flag.Duration("cache-ttl", sdk.DefaultCacheTTL, "how long permission checks are remembered")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: *listen, Handler: newHandler(*gatehouse, *tenant, *cacheTTL), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	log.Printf("invoices API on %s, protected by %s", *listen, *gatehouse)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newHandler wires the routes: every one needs a Gatehouse access token of
// issuer (and of tenant, when set), and each needs its permission in the
// organization of the path.
func newHandler(issuer, tenant string, cacheTTL time.Duration) http.Handler {
	var opts []sdk.VerifierOption
	if tenant != "" {
		opts = append(opts, sdk.WithTenant(tenant))
	}
	verifier := sdk.NewVerifier(issuer, opts...)
	client := sdk.NewClient(issuer)
	org := sdk.WithOrganization(func(r *http.Request) string { return r.PathValue("org") })
	ttl := sdk.WithCacheTTL(cacheTTL)
	read := sdk.RequirePermission(client, "invoices.read", org, ttl)
	write := sdk.RequirePermission(client, "invoices.write", org, ttl)
	authn := sdk.Authenticate(verifier)

	mux := http.NewServeMux()
	mux.Handle("GET /orgs/{org}/invoices", authn(read(http.HandlerFunc(listInvoices))))
	mux.Handle("POST /orgs/{org}/invoices", authn(write(http.HandlerFunc(createInvoice))))
	return mux
}

func listInvoices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"organization": r.PathValue("org"),
		"invoices":     []map[string]any{{"id": "inv-1", "total": 4200}},
		"viewer":       sdk.ClaimsFrom(r.Context()).Subject,
	})
}

func createInvoice(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusCreated, map[string]any{"id": fmt.Sprintf("inv-%d", time.Now().UnixNano()), "organization": r.PathValue("org")})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
