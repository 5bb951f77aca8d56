package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating schemas
)

// PostgresEnv names the variable holding a PostgreSQL DSN for tests, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const PostgresEnv = "GATEHOUSE_TEST_POSTGRES"

// PostgresDSN returns the DSN in PostgresEnv, skipping the test when it is
// unset; a set but unreachable server fails the test later, never skips it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skipf("set %s to a PostgreSQL DSN (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run the PostgreSQL tests", PostgresEnv)
	}
	return dsn
}

// FreshPostgres creates a schema of its own for the test, dropped when it
// ends, and returns dsn pointing at it.
func FreshPostgres(t testing.TB, dsn string) string {
	t.Helper()
	db := openPostgres(t, dsn)
	name := createSchema(t, db)
	t.Cleanup(func() { dropSchema(t, db, name) })
	return withSearchPath(t, dsn, name)
}

// PostgresPool hands out schemas of one database to tests, reusing each
// schema once a test is done with it instead of creating one for every test.
//
// Migrating a new schema builds each of its 60 or so indexes, and PostgreSQL
// syncs every newly built index file to disk on its own (wait event
// DataFileImmediateSync), which the disk serialises however many tests run
// in parallel: that, not CPU, bounded the conformance suite. Cloning a
// migrated template database would avoid the builds, but dropping a database
// forces a checkpoint. Deleting a used schema's rows costs one commit, and
// leaves a schema that no store can tell from a fresh migrated one, since it
// holds no sequence but goose's (deletionOrder checks).
type PostgresPool struct {
	dsn string
	db  *sql.DB

	mu      sync.Mutex
	idle    []string // schemas whose rows were deleted, ready for a test
	created []string // every schema of the pool, dropped at the end
	// order is the order in which to empty the tables, the same in every
	// schema since all are migrated alike; read from the first schema
	// emptied, once, since the catalogs of a server where many schemas were
	// created and dropped can be slow to scan.
	order []string
}

// NewPostgresPool returns a pool of schemas in dsn's database; the schemas
// are dropped when t ends, after its subtests.
func NewPostgresPool(t *testing.T, dsn string) *PostgresPool {
	t.Helper()
	p, err := OpenPostgresPool(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// OpenPostgresPool returns a pool of schemas in dsn's database for a whole
// test binary (TestMain); Close drops them.
func OpenPostgresPool(dsn string) (*PostgresPool, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &PostgresPool{dsn: dsn, db: db}, nil
}

// Close drops the pool's schemas, once no test uses them.
func (p *PostgresPool) Close() error {
	var errs []error
	for _, name := range p.created {
		if _, err := p.db.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			errs = append(errs, fmt.Errorf("drop schema %s: %w", name, err))
		}
	}
	return errors.Join(append(errs, p.db.Close())...)
}

// Schema returns dsn pointing at a schema of the test's own until it ends:
// either new and empty or migrated and without rows, so that the caller
// migrates it in both cases. Whatever the test opens on it must be closed by
// a cleanup registered after this call.
func (p *PostgresPool) Schema(t *testing.T) string {
	t.Helper()
	p.mu.Lock()
	var name string
	if n := len(p.idle); n > 0 {
		name, p.idle = p.idle[n-1], p.idle[:n-1]
	}
	p.mu.Unlock()
	if name == "" {
		name = createSchema(t, p.db)
		p.mu.Lock()
		p.created = append(p.created, name)
		p.mu.Unlock()
	}
	t.Cleanup(func() {
		if err := p.empty(context.Background(), name); err != nil {
			// A test that failed may not have migrated its schema; the
			// schema is then left out of the pool, to be dropped.
			if !t.Failed() {
				t.Errorf("empty schema %s for the next test: %v", name, err)
			}
			return
		}
		p.mu.Lock()
		p.idle = append(p.idle, name)
		p.mu.Unlock()
	})
	return withSearchPath(t, p.dsn, name)
}

// empty deletes every row of the schema but goose's record of the applied
// migrations, in one transaction.
func (p *PostgresPool) empty(ctx context.Context, schema string) error {
	p.mu.Lock()
	order := p.order
	p.mu.Unlock()
	if order == nil {
		var err error
		if order, err = deletionOrder(ctx, p.db, schema); err != nil {
			return err
		}
		p.mu.Lock()
		p.order = order
		p.mu.Unlock()
	}
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, table := range order {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+schema+`.`+table); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// deletionOrder returns the tables of a migrated schema but goose's,
// referencing tables before the tables they reference. It refuses a schema
// holding a sequence besides goose's, whose position deleting rows would not
// reset.
func deletionOrder(ctx context.Context, db *sql.DB, schema string) ([]string, error) {
	var sequences int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'S' AND c.relname <> 'goose_db_version_id_seq'`, schema).Scan(&sequences)
	if err != nil {
		return nil, err
	}
	if sequences > 0 {
		return nil, fmt.Errorf("%d sequences besides goose's: reset them too", sequences)
	}
	tables, err := queryStrings(ctx, db, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> 'goose_db_version'`, schema)
	if err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		return nil, errors.New("no tables: the schema was not migrated")
	}
	refs, err := queryStrings(ctx, db, `SELECT r.relname || ' ' || f.relname FROM pg_constraint k
		JOIN pg_class r ON r.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = k.connamespace
		WHERE n.nspname = $1 AND k.contype = 'f' AND k.conrelid <> k.confrelid`, schema)
	if err != nil {
		return nil, err
	}
	return referencingFirst(tables, refs)
}

// referencingFirst orders tables so that each comes before every table it
// references; refs holds "referencing referenced" pairs.
func referencingFirst(tables, refs []string) ([]string, error) {
	referencedBy := map[string]int{} // how many tables not yet ordered reference each
	references := map[string][]string{}
	for _, r := range refs {
		from, to, _ := strings.Cut(r, " ")
		references[from] = append(references[from], to)
		referencedBy[to]++
	}
	var order []string
	done := map[string]bool{}
	for len(order) < len(tables) {
		progress := false
		for _, table := range tables {
			if done[table] || referencedBy[table] > 0 {
				continue
			}
			done[table], progress = true, true
			order = append(order, table)
			for _, to := range references[table] {
				referencedBy[to]--
			}
		}
		if !progress {
			return nil, errors.New("tables reference each other in a cycle")
		}
	}
	return order, nil
}

func queryStrings(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func openPostgres(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func createSchema(t testing.TB, db *sql.DB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gh_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(context.Background(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	return name
}

func dropSchema(t testing.TB, db *sql.DB, name string) {
	if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
		t.Errorf("drop schema %s: %v", name, err)
	}
}

// withSearchPath returns dsn with its search_path set to schema.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
