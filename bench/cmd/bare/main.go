// Command bare is the baseline for the load measurements: a bare net/http
// server answering GET /api/v1/me, POST /api/v1/authz/check, POST
// /oauth2/token and POST /oauth2/introspect with fixed bodies of the shapes
// Gatehouse returns, and nothing else (no auth, no store, no middleware).
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

const tokenBody = `{"access_token":"eyJhbGciOiJFUzI1NiIsImtpZCI6IjAxOWFmMzQ4LTk4ZjMtNzc2Mi1iZWQ5LWY1MjBiMWMzYmQ3ZiIsInR5cCI6ImF0K2p3dCJ9.` +
	`eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjgwODAiLCJzdWIiOiJhcHBfYWJjIiwiYXVkIjpbImFwcF9hYmMiXSwiZXhwIjoxNzY0ODUwNTQzLCJpYXQiOjE3NjQ4NDk2NDN9.` +
	`MEUCIQDxkJ2Zl0n3QmFmCkq3xVx2kYvK8l5S3Nf8m1Zb4sT0VwIgXn9z8b1aQ4m0p6mVxK2s3dY7cQ1fR8a9bE2gH5jK6L0",` +
	`"token_type":"Bearer","expires_in":899,"scope":"reports.read"}` + "\n"

const introspectBody = `{"active":true,"scope":"reports.read","client_id":"app_abc","token_type":"Bearer","exp":1764850543,` +
	`"iat":1764849643,"sub":"app_abc","aud":["app_abc"],"iss":"http://localhost:8080","jti":"019af348-98f3-7762-bed9-f520b1c3bd7f"}` + "\n"

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
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(tokenBody))
	})
	mux.HandleFunc("POST /oauth2/introspect", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(introspectBody))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	log.Fatal(http.ListenAndServe(*listen, mux))
}
