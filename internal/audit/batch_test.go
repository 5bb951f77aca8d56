package audit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
)

// gatedStore holds the first AppendAudits until released, so that the
// events appended meanwhile wait as one batch.
type gatedStore struct {
	*sqlstore.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) AppendAudits(ctx context.Context, events []*iam.AuditEvent) error {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Store.AppendAudits(ctx, events)
}

// TestBatcherFailsOnlyTheRefusedEvent: events that waited together are
// committed together, and one the store refuses fails alone.
func TestBatcherFailsOnlyTheRefusedEvent(t *testing.T) {
	ctx := t.Context()
	store, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	tn := &iam.Tenant{ID: uuid.NewString(), Name: "Default", System: true, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	g := &gatedStore{Store: store, entered: make(chan struct{}), release: make(chan struct{})}
	b := NewBatcher(g)
	event := func(tenantID string) *iam.AuditEvent {
		return &iam.AuditEvent{ID: uuid.NewString(), TenantID: tenantID, Time: now, Actor: iam.Ref{Type: ActorSystem},
			Action: "oauth.token.issued", Target: iam.Ref{Type: "application", ID: "app"}, Result: iam.ResultSuccess}
	}
	errs := make([]chan error, 4)
	for i := range errs {
		errs[i] = make(chan error, 1)
	}
	go func() { errs[0] <- b.Append(ctx, event(tn.ID)) }()
	<-g.entered
	go func() { errs[1] <- b.Append(ctx, event(uuid.NewString())) }() // a tenant that does not exist
	go func() { errs[2] <- b.Append(ctx, event(tn.ID)) }()
	go func() { errs[3] <- b.Append(ctx, event(tn.ID)) }()
	for {
		b.mu.Lock()
		waiting := len(b.pending)
		b.mu.Unlock()
		if waiting == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(g.release)
	for i, want := range []bool{true, false, true, true} {
		if err := <-errs[i]; (err == nil) != want {
			t.Errorf("Append %d = %v; want committed %v", i, err, want)
		}
	}
	_, total, err := store.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	if err != nil || total != 3 {
		t.Fatalf("ListAudit = %d events, %v; want 3", total, err)
	}
}
