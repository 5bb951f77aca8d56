// Command bare is the baseline for the /api/v1/me benchmark: a bare net/http
// server answering GET /api/v1/me with a fixed user body of the same shape
// Gatehouse returns, and nothing else (no auth, no store, no middleware).
package main

import (
	"flag"
	"log"
	"net/http"
)

const body = `{"id":"01a22861-8290-7eb1-a9ad-375d5726aa64","email":"admin@example.com","name":"","email_verified":true,` +
	`"status":"active","external_id":null,"created_at":"2026-11-29T17:36:48.784962Z","updated_at":"2026-11-29T17:36:48.784962Z","permissions":["*"]}` + "\n"

func main() {
	listen := flag.String("listen", "127.0.0.1:18181", "address to listen on")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	log.Fatal(http.ListenAndServe(*listen, mux))
}
