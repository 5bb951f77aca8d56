// Command bare is the baseline for the load measurements: a bare net/http
// server answering GET /api/v1/me and POST /api/v1/authz/check with fixed
// bodies of the shapes Gatehouse returns, and nothing else (no auth, no
// store, no middleware).
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

const body = `{"id":"01a22861-8290-7eb1-a9ad-375d5726aa64","email":"admin@example.com","name":"","email_verified":true,` +
	`"status":"active","external_id":null,"created_at":"2026-11-29T17:36:48.784962Z","updated_at":"2026-11-29T17:36:48.784962Z","permissions":["*"]}` + "\n"

const checkBody = `{"allowed":true,"reason":"granted by role \"role-17\" (app3.p7) held as a member of organization \"Org 42\"",` +
	`"granted_by":{"permission":"app3.p7","role_id":"01a22861-8290-7eb1-a9ad-375d5726aa64","role":"role-17","via":"organization",` +
	`"via_id":"01a22861-8290-7eb1-a9ad-375d5726aa65"}}` + "\n"

func main() {
	listen := flag.String("listen", "127.0.0.1:18181", "address to listen on")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
	mux.HandleFunc("POST /api/v1/authz/check", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(checkBody))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	log.Fatal(http.ListenAndServe(*listen, mux))
}
