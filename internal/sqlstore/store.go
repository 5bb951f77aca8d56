package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

//go:embed migrations
var migrations embed.FS

// Dialect names a SQL backend.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries runs the store's SQL: reads on r, writes on w. Outside a transaction
// SQLite reads go to a reader pool while writes go to the single writer.
type queries struct {
	dialect Dialect
	r, w    querier
	// journal, on SQLite, takes audit events (see auditJournal).
	journal *auditJournal
}

// Store is a SQLite or PostgreSQL backend.
type Store struct {
	queries
	writer *sql.DB
	reader *sql.DB
	caches []*stmtCache
	// txStmts, on SQLite, prepares the statements of transactions.
	txStmts *stmtCache
}

var _ iam.Store = (*Store)(nil)

// LogTo sends what the store does in the background and fails at (moving
// SQLite's audit journal) to log.
func (s *Store) LogTo(log *slog.Logger) {
	if s.journal == nil {
		return
	}
	s.journal.mu.Lock()
	s.journal.log = log
	s.journal.mu.Unlock()
}

// Open connects to dsn ("sqlite://path", "sqlite::memory:" is not supported;
// "postgres://…" or "postgresql://…") without migrating. A relative SQLite path is
// resolved against dataDir.
func Open(ctx context.Context, dsn, dataDir string) (*Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite://"), strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("sqlite database path is empty")
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(dataDir, path)
		}
		return openSQLite(ctx, path)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	default:
		return nil, errors.New("database must start with sqlite:// or postgres://")
	}
}

// privateFile creates the database file, or tightens the one there with
// its WAL and shared-memory files, to be the owner's alone: it holds
// password hashes and, in the outbox, password-reset links. SQLite gives
// the files it creates beside it the database file's mode.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if err := privateFile(path); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_time_format=sqlite"
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	writer, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	// SQLite allows one writer at a time; one connection turns lock waits into
	// an orderly queue in database/sql.
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, err
	}
	reader.SetMaxOpenConns(max(4, runtime.NumCPU()))
	reader.SetMaxIdleConns(max(4, runtime.NumCPU()))
	rc, wc := newStmtCache(reader), newStmtCache(writer)
	s := &Store{queries: queries{dialect: SQLite, r: rc, w: wc}, writer: writer, reader: reader, caches: []*stmtCache{rc, wc}, txStmts: wc}
	s.journal = newAuditJournal(s)
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(max(10, 4*runtime.NumCPU()))
	db.SetMaxIdleConns(max(10, 4*runtime.NumCPU()))
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &Store{queries: queries{dialect: Postgres, r: db, w: db}, writer: db, reader: db}, nil
}

// Dialect reports the backend's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Migrate applies every embedded migration not yet recorded and returns how
// many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	p, err := s.migrations()
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate: %w", err)
	}
	return len(results), nil
}

// migrations is a goose provider of the dialect's embedded SQL migrations
// and the Go ones.
func (s *Store) migrations() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, err
	}
	gooseDialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		gooseDialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gooseDialect, s.writer, sub, goose.WithGoMigrations(normalizeAddresses()))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return iam.Internal(err)
	}
	return nil
}

// Close closes every connection.
func (s *Store) Close() error {
	var err error
	if s.journal != nil {
		err = s.journal.close()
	}
	for _, c := range s.caches {
		c.close()
	}
	err = errors.Join(err, s.writer.Close())
	if s.reader != s.writer {
		err = errors.Join(err, s.reader.Close())
	}
	return err
}

// Store methods that write several rows run in a transaction of their own, so
// that a failure leaves nothing half-written.

// CreateTenant inserts the tenant and its hostnames atomically.
func (s *Store) CreateTenant(ctx context.Context, t *iam.Tenant) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.CreateTenant(ctx, t) })
}

// UpdateTenant replaces the name and hostnames atomically.
func (s *Store) UpdateTenant(ctx context.Context, t *iam.Tenant) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.UpdateTenant(ctx, t) })
}

// CreateRole inserts the role and its permissions atomically.
func (s *Store) CreateRole(ctx context.Context, r *iam.Role) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.CreateRole(ctx, r) })
}

// UpdateRole replaces the role's fields and permissions atomically.
func (s *Store) UpdateRole(ctx context.Context, r *iam.Role) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.UpdateRole(ctx, r) })
}

// DeletePermission removes the permission from the tenant and its roles atomically.
func (s *Store) DeletePermission(ctx context.Context, tenantID, id string) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.DeletePermission(ctx, tenantID, id) })
}

// SetMember writes the membership and its roles atomically.
func (s *Store) SetMember(ctx context.Context, tenantID, orgID, userID string, roleIDs []string, at time.Time) (bool, error) {
	var created bool
	err := s.InTx(ctx, func(tx iam.Tx) error {
		var err error
		created, err = tx.SetMember(ctx, tenantID, orgID, userID, roleIDs, at)
		return err
	})
	return created, err
}

// SetUserAdminRoles replaces a user's admin roles atomically.
func (s *Store) SetUserAdminRoles(ctx context.Context, tenantID, userID string, roleIDs []string) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.SetUserAdminRoles(ctx, tenantID, userID, roleIDs) })
}

// UpdateAdminRole writes the role and moves its holders' versions atomically.
func (s *Store) UpdateAdminRole(ctx context.Context, r *iam.AdminRole) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.UpdateAdminRole(ctx, r) })
}

// DeleteAdminRole moves the holders' versions and removes the role atomically.
func (s *Store) DeleteAdminRole(ctx context.Context, tenantID, id string) error {
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.DeleteAdminRole(ctx, tenantID, id) })
}

// txAttempts bounds how often a transaction PostgreSQL aborted as a deadlock
// victim or serialization failure is tried again.
const txAttempts = 3

// InTx runs fn in one transaction on the writer. On PostgreSQL a transaction
// chosen as a deadlock victim runs again, so fn must only touch the database
// (and variables it sets afresh on every run).
func (s *Store) InTx(ctx context.Context, fn func(iam.Tx) error) error {
	var err error
	for range txAttempts {
		if err = s.inTx(ctx, fn); !retryable(err) {
			return err
		}
	}
	return err
}

// retryable reports whether PostgreSQL aborted the transaction only because
// of concurrent ones: a deadlock (40P01) or a serialization failure (40001).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

func (s *Store) inTx(ctx context.Context, fn func(iam.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return iam.Internal(fmt.Errorf("begin: %w", err))
	}
	q := &queries{dialect: s.dialect, r: tx, w: tx, journal: s.journal}
	if s.txStmts != nil {
		q.r = s.txStmts.inTx(tx)
		q.w = q.r
		defer s.txStmts.prepareWanted(ctx)
	}
	if err := fn(q); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return iam.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// lockRow holds the row of table matching where until the transaction ends,
// so that a read-modify-write taking it before its read loses no concurrent
// change. SQLite transactions hold the database's one write lock already. FOR
// NO KEY UPDATE, unlike FOR UPDATE, lets others meanwhile insert rows that
// refer to the locked one.
func (q *queries) lockRow(ctx context.Context, table, what, where string, args ...any) error {
	if q.dialect == SQLite {
		return nil
	}
	var n int
	err := q.w.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE `+where+` FOR NO KEY UPDATE`, args...).Scan(&n)
	return storeErr(err, what, nil)
}

// storeErr maps a driver error to an iam error: no rows to notFound, a unique
// violation to the code chosen by unique, anything else to internal. unique
// receives the violated constraint's description and may be nil.
func storeErr(err error, what string, unique func(constraint string) iam.Code) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return iam.Errorf(iam.CodeNotFound, "%s not found", what)
	}
	if badText(err) {
		return &iam.Error{Code: iam.CodeInvalid, Message: "the request holds text the database cannot store", Err: err}
	}
	if foreignKeyViolation(err) {
		// What the row refers to was deleted meanwhile, e.g. its tenant.
		return &iam.Error{Code: iam.CodeNotFound, Message: what + " refers to something that no longer exists", Err: err}
	}
	if constraint, ok := uniqueViolation(err); ok && unique != nil {
		code := unique(constraint)
		return &iam.Error{Code: code, Message: conflictMessage(code, what), Err: err}
	}
	return iam.Internal(fmt.Errorf("%s: %w", what, err))
}

func conflictMessage(code iam.Code, what string) string {
	switch code {
	case iam.CodeEmailTaken:
		return "email is already taken"
	case iam.CodeExternalIDTaken:
		return "external_id is already taken"
	case iam.CodeNameTaken:
		return "name is already taken"
	case iam.CodeHostnameTaken:
		return "hostname is already taken"
	case iam.CodeAliasTaken:
		return "alias is already taken"
	}
	return what + " already exists"
}

// uniqueViolation reports whether err is a unique violation, and describes the
// constraint: the index name on PostgreSQL, the table.column list on SQLite.
func uniqueViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return sqliteErr.Error(), true
		}
	}
	return "", false
}

// badText reports PostgreSQL refusing bytes that are not valid UTF-8 or NUL.
func badText(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "22021" || pgErr.Code == "22P05")
}

func foreignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqliteErr *sqlite.Error
	return errors.As(err, &sqliteErr) && sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// affected turns "no row changed" into notFound.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return storeErr(err, what, nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return iam.Internal(err)
	}
	if n == 0 {
		return iam.Errorf(iam.CodeNotFound, "%s not found", what)
	}
	return nil
}

// ts normalises a time for storage: UTC, at PostgreSQL's microsecond precision,
// so that both dialects store and compare the same instant.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: ts(*t), Valid: true}
}

func timePtr(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// likePattern builds a case-insensitive substring pattern for "lower(col) LIKE $n ESCAPE '\'".
func likePattern(search string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(search)) + "%"
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner = interface{ Scan(...any) error }

// listing is one paged list: SELECT columns FROM from, WHERE where with args,
// sorted by one of the names of order (the caller's, or order's default), ties
// broken by id. sortBy maps a name to its column where the two differ.
type listing struct {
	what    string
	columns string
	from    string
	where   string
	args    []any
	order   iam.Order
	sortBy  map[string]string
	id      string
}

// foldedName sorts names by the case-folded copy their table keeps.
var foldedName = map[string]string{"name": "name_folded"}

// newestFirst sorts the lists that offer no choice of order, whatever p asks.
func newestFirst(p iam.ListParams) iam.ListParams {
	p.OrderBy, p.Desc = "", true
	return p
}

// list counts the rows of l and returns the page p of them. A name to sort
// by that l does not offer is CodeInvalid.
func list[T any](ctx context.Context, q *queries, l listing, p iam.ListParams, scan func(scanner) (*T, error)) ([]T, int, error) {
	name, err := l.order.Resolve(p)
	if err != nil {
		return nil, 0, err
	}
	col := name
	if c, ok := l.sortBy[name]; ok {
		col = c
	}
	var total int
	if err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM `+l.from+l.where, l.args...).Scan(&total); err != nil {
		return nil, 0, storeErr(err, l.what, nil)
	}
	id := l.id
	if id == "" {
		id = "id"
	}
	query := `SELECT ` + l.columns + ` FROM ` + l.from + l.where + q.orderClause(col, p.Desc, id) + limitClause(len(l.args))
	rows, err := q.r.QueryContext(ctx, query, append(l.args, p.Limit, p.Offset())...)
	if err != nil {
		return nil, 0, storeErr(err, l.what, nil)
	}
	items := []T{}
	err = eachRow(rows, func(r *sql.Rows) error {
		item, err := scan(r)
		if err == nil {
			items = append(items, *item)
		}
		return err
	})
	return items, total, storeErr(err, l.what, nil)
}

// orderClause sorts by col with a stable tie-breaker, id. Text columns sort
// by their lower-cased bytes, so that both dialects agree whatever
// PostgreSQL's collation.
func (q *queries) orderClause(col string, desc bool, id string) string {
	if textColumns[col[strings.LastIndex(col, ".")+1:]] {
		col = "lower(" + col + ")" + q.bytewise()
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	return fmt.Sprintf(" ORDER BY %s %s, %s %s", col, dir, id, dir)
}

// placeholders returns "$n, $n+1, …" for values numbered after the first n
// arguments, and the arguments with values appended.
func placeholders(args []any, values []string) (string, []any) {
	marks := make([]string, len(values))
	for i, v := range values {
		args = append(args, v)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	return strings.Join(marks, ", "), args
}

// bytewise is the collation clause that makes PostgreSQL order text by bytes,
// as SQLite does, whatever the database's locale.
func (q *queries) bytewise() string {
	if q.dialect == Postgres {
		return ` COLLATE "C"`
	}
	return ""
}

// textColumns are the sortable columns holding text.
var textColumns = map[string]bool{"name": true, "email": true, "name_folded": true, "alias": true}
