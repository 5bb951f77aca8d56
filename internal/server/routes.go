package server

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"time"

	swaggerfiles "github.com/swaggo/files/v2"

	"github.com/gatehouse-iam/gatehouse/internal/f5xc"
	"github.com/gatehouse-iam/gatehouse/internal/httpapi"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/nevisidm"
	"github.com/gatehouse-iam/gatehouse/internal/oauth"
	"github.com/gatehouse-iam/gatehouse/internal/pages"
	"github.com/gatehouse-iam/gatehouse/internal/scim"
)

// muxes hold the routes of each surface of the HTTP interface.
type muxes struct {
	rest, oauth, nevis, f5, scim, pages, ops *http.ServeMux
}

func newMuxes() muxes {
	return muxes{rest: http.NewServeMux(), oauth: http.NewServeMux(), nevis: http.NewServeMux(), f5: http.NewServeMux(),
		scim: http.NewServeMux(), pages: http.NewServeMux(), ops: http.NewServeMux()}
}

// surface is one part of the HTTP interface: its routes, the middleware they
// run behind (outermost first) and the one writer of its error shape.
type surface struct {
	mux        *http.ServeMux
	write      errorWriter
	middleware []middleware
}

// handler runs the surface's routes behind panic recovery and request checks,
// which every surface shares but answers in its own shape, then behind its
// own middleware.
func (sf surface) handler(m *metrics) http.Handler {
	h := m.instrument(sf.mux)
	for i := len(sf.middleware) - 1; i >= 0; i-- {
		h = sf.middleware[i](h, sf.write)
	}
	h = checkRequest(h, sf.write)
	return recoverPanics(h, sf.write)
}

// surfaces is the whole HTTP interface. Behind the shared request log, the
// path picks the surface:
//   - REST (/api/, /access/ and the AuthZEN metadata): the REST error shape;
//     tenant, rate limit and bearer authentication.
//   - OAuth (/oauth2/, /.well-known/): the RFC 6749 §5.2 error shape; tenant.
//   - nevisIDM (/nevisidm/api/auth/v1/): nevisIDM's error shape; the tenant
//     named by the path's client and bearer authentication in it.
//   - F5 XC (/api/web/namespaces/): F5 Distributed Cloud's error shape;
//     tenant, rate limit and bearer (or APIToken) authentication, required.
//   - SCIM (/scim/v2/): RFC 7644 §3.12's error shape; tenant, rate limit
//     and the tenant's SCIM token, required.
//   - HTML pages (/login, /signup, /account and the pages mails link to):
//     an HTML error page; security headers on every answer; tenant, rate
//     limit on every POST, cross-origin refusal and the browser session.
//   - operations (/healthz, /readyz, /version, /metrics, the API docs) and
//     unknown paths: the REST error shape, whatever the host.
//
// Other seed-compatible paths join here as surfaces of their own when they
// are served, each with its own mux, writer and middleware list.
func (s *Server) surfaces(m *metrics, tenants *tenantResolver, limiter *ipLimiter) http.Handler {
	rest := surface{mux: s.mux.rest, write: httpapi.WriteError,
		middleware: []middleware{tenants.middleware, limiter.middleware, s.authenticate}}.handler(m)
	// Registering a client needs no credentials: it is limited like a sign-in.
	registrations := func(next http.Handler, write errorWriter) http.Handler {
		return limiter.limitPosts(next, write, func(path string) bool { return path == "/oauth2/register" })
	}
	oauth2 := surface{mux: s.mux.oauth, write: oauth.WriteError, middleware: []middleware{tenants.middleware, registrations}}.handler(m)
	nevis := surface{mux: s.mux.nevis, write: nevisidm.WriteError, middleware: []middleware{s.nevisClient}}.handler(m)
	f5 := surface{mux: s.mux.f5, write: f5xc.WriteError,
		middleware: []middleware{tenants.middleware, limiter.middleware, s.requireToken}}.handler(m)
	provisioning := surface{mux: s.mux.scim, write: scim.WriteError,
		middleware: []middleware{tenants.middleware, limiter.middleware, s.scimToken}}.handler(m)
	html := pages.Headers(surface{mux: s.mux.pages, write: s.pages.WriteError,
		middleware: []middleware{tenants.middleware, limiter.everyPost, s.crossOrigin, s.browserSession}}.handler(m))
	ops := surface{mux: s.mux.ops, write: httpapi.WriteError}.handler(m)
	top := http.NewServeMux()
	top.Handle("/api/", rest)
	top.Handle("/access/", rest)
	top.Handle("/.well-known/authzen-configuration", rest)
	top.Handle("/oauth2/", oauth2)
	top.Handle("/.well-known/", oauth2)
	top.Handle(nevisidm.Prefix, nevis)
	top.Handle(f5xc.Prefix, f5)
	top.Handle(scim.Prefix, provisioning)
	for _, prefix := range pages.Prefixes {
		top.Handle(prefix, html)
	}
	top.Handle("GET /{$}", html)
	top.Handle("/", ops)
	return s.logRequests(top)
}

// routes registers every route that is not a REST operation: the OAuth,
// nevisIDM and F5 XC surfaces', and the operational endpoints with the API docs.
func (s *Server) routes(m *metrics, now func() time.Time) {
	oauth.Routes(s.mux.oauth, s.keys, s.oauth, s.pages.Session)
	nevisidm.Routes(s.mux.nevis, s.credentials)
	f5xc.Routes(s.mux.f5, s.apiCredentials, s.scimTokens, now)
	scim.Routes(s.mux.scim, s.directory, s.baseURL)
	s.pages.Routes(s.mux.pages)
	s.mux.rest.HandleFunc("/", notFound(httpapi.WriteError))

	ops := s.mux.ops
	ops.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	ops.HandleFunc("GET /readyz", s.ready)
	ops.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": s.build.Version, "commit": s.build.Commit})
	})
	ops.Handle("GET /metrics", m.handler())
	// huma serves the OpenAPI document it generates on the REST mux; it is
	// read like the docs, whatever the host and without a token.
	for _, path := range []string{"/openapi.json", "/openapi.yaml", "/openapi-3.0.json", "/openapi-3.0.yaml"} {
		ops.Handle("GET "+path, s.mux.rest)
	}
	ops.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs/", http.StatusMovedPermanently)
	})
	ops.HandleFunc("GET /docs/swagger-initializer.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte(swaggerInitializer))
	})
	ops.Handle("GET /docs/", http.StripPrefix("/docs/", http.FileServerFS(docsFS())))
	ops.HandleFunc("/", notFound(httpapi.WriteError))
}

// crossOrigin refuses forms posted from other origins, answering with the
// pages' own error page.
func (s *Server) crossOrigin(next http.Handler, _ errorWriter) http.Handler {
	return s.pages.CrossOrigin(next)
}

// browserSession attaches the user of the browser's session cookie.
func (s *Server) browserSession(next http.Handler, _ errorWriter) http.Handler {
	return s.pages.Session(next)
}

func notFound(write errorWriter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		write(w, r, iam.Errorf(iam.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	}
}

const swaggerInitializer = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
`

func docsFS() fs.FS { return swaggerfiles.FS }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		httpapi.WriteError(w, r, &iam.Error{Code: iam.CodeUnavailable, Message: "the database is unreachable", Err: err})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
