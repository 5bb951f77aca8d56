package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache runs queries through prepared statements kept for the life of the
// pool. SQLite spends most of a point read parsing SQL; pgx caches statements
// itself, so only SQLite pools use this.
type stmtCache struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// wanted are queries a transaction ran unprepared: the writer's one
	// connection was the transaction's, so they are prepared after it.
	wanted map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	s, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return s, nil
	}
	// Prepared without the lock: on the writer, preparing waits for the one
	// connection, which a transaction may hold while it reads the cache.
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if first, ok := c.stmts[query]; ok {
		s.Close()
		return first, nil
	}
	c.stmts[query] = s
	return s, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext falls back to an unprepared query when preparing fails, so
// that the error surfaces through Row.Scan as callers expect.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// inTx runs queries in tx through the statements the cache holds: database/sql
// reuses a statement's form prepared on the transaction's connection, so the
// SQL of a transaction is parsed once per pool rather than once per run.
func (c *stmtCache) inTx(tx *sql.Tx) querier { return txStmts{c: c, tx: tx} }

// cached is the prepared statement for query, or nil; a miss is noted for
// prepareWanted.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	s := c.stmts[query]
	c.mu.RUnlock()
	if s == nil {
		c.mu.Lock()
		c.wanted[query] = true
		c.mu.Unlock()
	}
	return s
}

// prepareWanted prepares the queries transactions ran unprepared. It runs
// after a transaction, when the connection is free again; a query that
// does not prepare stays unprepared.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	// Every write transaction comes here; almost always there is nothing
	// to prepare, which a read lock tells.
	c.mu.RLock()
	none := len(c.wanted) == 0
	c.mu.RUnlock()
	if none {
		return
	}
	c.mu.Lock()
	wanted := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		wanted = append(wanted, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range wanted {
		_, _ = c.stmt(ctx, q)
	}
}

// txStmts is a querier on a transaction that uses the cache's statements.
type txStmts struct {
	c  *stmtCache
	tx *sql.Tx
}

func (t txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.c.cached(query); s != nil {
		return t.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.c.cached(query); s != nil {
		return t.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.c.cached(query); s != nil {
		return t.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	clear(c.stmts)
}
