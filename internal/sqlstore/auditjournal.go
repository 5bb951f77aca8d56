package sqlstore

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// On SQLite every commit writes each B-tree page it changed to the WAL, and
// an audit event changes five (the table, its primary key and three
// indexes). Token grants append one event each, committed before the token
// is answered, so those pages were most of a grant's cost. SQLite appends
// events to audit_journal instead, a table with no index, and auditJournal
// moves them into audit_events in batches, where one batch's events share
// their pages. Listing the audit log moves what is waiting first, so a
// listing shows every event committed before it.
const (
	// journalBatch is how many appended events wake the mover early.
	journalBatch = 256
	// journalInterval is how long an event waits at most while appends go on.
	journalInterval = time.Second
)

// auditJournal moves audit events from audit_journal into audit_events: in
// the background once it is started by a first append, when a listing
// needs them, and when the store closes.
type auditJournal struct {
	store    *Store
	appended atomic.Int64
	wake     chan struct{}

	mu      sync.Mutex
	stop    chan struct{} // nil until the mover starts
	stopped chan struct{}
	closed  bool
	log     *slog.Logger
	// failing is set while background moves fail, so that a failure is
	// logged once when it starts and once when it ends, not every second.
	failing bool
}

func newAuditJournal(s *Store) *auditJournal {
	return &auditJournal{store: s, wake: make(chan struct{}, 1)}
}

// noteAppend counts n events appended to the journal.
func (j *auditJournal) noteAppend(n int) {
	j.mu.Lock()
	if j.stop == nil && !j.closed {
		j.stop, j.stopped = make(chan struct{}), make(chan struct{})
		go j.run(j.stop, j.stopped)
	}
	j.mu.Unlock()
	if j.appended.Add(int64(n)) >= journalBatch {
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
}

func (j *auditJournal) run(stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	tick := time.NewTicker(journalInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-j.wake:
		case <-tick.C:
		}
		// A failed move leaves the events where they are, for the next one
		// or for the listing that needs them, which reports the error.
		j.report(j.move(context.Background()))
	}
}

// report logs a background move's failure when moves start failing, and
// their recovery when they stop.
func (j *auditJournal) report(err error) {
	j.mu.Lock()
	log, was := j.log, j.failing
	j.failing = err != nil
	j.mu.Unlock()
	switch {
	case log == nil:
	case err != nil && !was:
		log.Error("audit events wait in the journal: moving them to the audit log failed; listing the log will retry", "error", err)
	case err == nil && was:
		log.Info("audit events move to the audit log again")
	}
}

// move commits the journal's events into audit_events, if it holds any.
func (j *auditJournal) move(ctx context.Context) error {
	var waiting bool
	err := j.store.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit_journal)`).Scan(&waiting)
	if err != nil {
		return storeErr(err, "audit journal", nil)
	}
	if !waiting {
		return nil
	}
	j.appended.Store(0)
	return j.store.InTx(ctx, func(tx iam.Tx) error { return tx.(*queries).moveAuditJournal(ctx) })
}

// moveAuditJournal moves the journal's events within q's transaction, which
// holds SQLite's one write lock: no event is appended between the copy and
// the delete.
//
// An event whose id audit_events holds already is dropped rather than
// refused: the journal does not check ids as it takes events (that would
// cost an index), and one such event must not stop every later one.
func (q *queries) moveAuditJournal(ctx context.Context) error {
	if _, err := q.w.ExecContext(ctx, `INSERT OR IGNORE INTO audit_events (`+auditColumns+`) SELECT `+auditColumns+` FROM audit_journal ORDER BY seq`); err != nil {
		return storeErr(err, "audit journal", nil)
	}
	_, err := q.w.ExecContext(ctx, `DELETE FROM audit_journal`)
	return storeErr(err, "audit journal", nil)
}

// close stops the mover, if it started, and moves what is left.
func (j *auditJournal) close() error {
	j.mu.Lock()
	stop, stopped := j.stop, j.stopped
	j.stop = nil
	// An append that commits while the store closes leaves its event
	// here for the next server, without starting a mover no one stops.
	j.closed = true
	j.mu.Unlock()
	if stop == nil {
		return nil
	}
	close(stop)
	<-stopped
	return j.move(context.Background())
}
