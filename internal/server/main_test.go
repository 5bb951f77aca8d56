package server_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/storetest"
)

// postgresPool hands the HTTP tests their PostgreSQL schemas when they run on
// PostgreSQL (httpStoreEnv): migrating a new schema for every test costs far
// more than emptying a used one.
var postgresPool *storetest.PostgresPool

func TestMain(m *testing.M) {
	dsn := os.Getenv(storetest.PostgresEnv)
	if os.Getenv(httpStoreEnv) != "postgres" || dsn == "" {
		os.Exit(m.Run())
	}
	pool, err := storetest.OpenPostgresPool(dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	postgresPool = pool
	code := m.Run()
	if err := pool.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	os.Exit(code)
}
