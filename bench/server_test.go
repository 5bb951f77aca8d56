// Package bench holds Gatehouse's Go benchmarks; cmd/load and run hold the
// load measurements of a built binary. See README.md.
package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/gatehouse-iam/gatehouse/internal/config"
	"github.com/gatehouse-iam/gatehouse/internal/server"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "bench-password-1"
)

// newServer opens a server on a fresh SQLite file with production password
// parameters unless env overrides them.
func newServer(b *testing.B, env map[string]string) http.Handler {
	b.Helper()
	return newServerAt(b, env, nil)
}

// newServerAt is newServer on the clock now (the wall clock when nil).
func newServerAt(b *testing.B, env map[string]string, now func() time.Time) http.Handler {
	b.Helper()
	return openServer(b, env, now).Handler()
}

// openServer opens the server newServerAt serves.
func openServer(b *testing.B, env map[string]string, now func() time.Time) *server.Server {
	b.Helper()
	vars := map[string]string{
		"GATEHOUSE_DATA_DIR":                 b.TempDir(),
		"GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL":    adminEmail,
		"GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD": adminPassword,
	}
	for k, v := range env {
		vars[k] = v
	}
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	cfg, err := config.Load(fs, func(k string) string { return vars[k] })
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.Open(context.Background(), server.Options{Config: cfg, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}
