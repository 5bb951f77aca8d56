package audit

import (
	"context"
	"sync"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Batcher appends audit events of frequent operations (token grants) with
// group commit: each caller waits until its event is committed, and the
// events that arrive while one batch commits share the next. One commit per
// event would hold SQLite's single writer for each grant.
type Batcher struct {
	store iam.AuditStore

	mu      sync.Mutex
	pending []*batched
	leading bool
}

// batched is one waiting event: done receives the commit's outcome, lead
// makes its caller commit the next batch.
type batched struct {
	event *iam.AuditEvent
	done  chan error
	lead  chan struct{}
}

// NewBatcher returns a Batcher writing to store.
func NewBatcher(store iam.AuditStore) *Batcher { return &Batcher{store: store} }

// Append commits e, with whatever other events wait with it, and returns
// once it is committed or failed.
func (b *Batcher) Append(ctx context.Context, e *iam.AuditEvent) error {
	it := &batched{event: e, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, it)
	if b.leading {
		b.mu.Unlock()
		select {
		case err := <-it.done:
			return err
		case <-it.lead:
		}
	} else {
		b.leading = true
		b.mu.Unlock()
	}
	b.commit(ctx)
	return <-it.done
}

// commit appends every pending event at once, then hands the
// lead to the first event that came meanwhile, if any.
func (b *Batcher) commit(ctx context.Context) {
	b.mu.Lock()
	batch := b.pending
	b.pending = nil
	b.mu.Unlock()
	// The batch carries other callers' events: one caller going away does
	// not take them with it.
	ctx = context.WithoutCancel(ctx)
	events := make([]*iam.AuditEvent, len(batch))
	for i, it := range batch {
		events[i] = it.event
	}
	err := b.store.AppendAudits(ctx, events)
	for _, it := range batch {
		if err != nil && len(batch) > 1 {
			// One event the store refuses (its tenant deleted meanwhile)
			// fails alone, not the grants that shared its batch.
			it.done <- b.store.AppendAudit(ctx, it.event)
			continue
		}
		it.done <- err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		b.leading = false
		return
	}
	b.pending[0].lead <- struct{}{}
}
