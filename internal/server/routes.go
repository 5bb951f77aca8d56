package server

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"time"

	swaggerfiles "github.com/swaggo/files/v2"

	"github.com/gatehouse-iam/gatehouse/internal/httpapi"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// routes registers the endpoints outside /api/v1: operations, JWKS and docs.
func (s *Server) routes(mux *http.ServeMux, m *metrics) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": s.build.Version, "commit": s.build.Commit})
	})
	mux.Handle("GET /metrics", m.handler())
	mux.HandleFunc("GET /oauth2/keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		writeJSON(w, http.StatusOK, s.keys.JWKS())
	})
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /docs/swagger-initializer.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte(swaggerInitializer))
	})
	mux.Handle("GET /docs/", http.StripPrefix("/docs/", http.FileServerFS(docsFS())))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, r, iam.Errorf(iam.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
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
