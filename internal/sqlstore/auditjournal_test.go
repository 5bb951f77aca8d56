package sqlstore_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/syncbuf"
)

// journalCounts reads how many events wait in SQLite's audit journal and
// how many are in audit_events.
func journalCounts(t *testing.T, s *sqlstore.Store) (waiting, moved int) {
	t.Helper()
	row := s.DB().QueryRowContext(t.Context(), `SELECT (SELECT count(*) FROM audit_journal), (SELECT count(*) FROM audit_events)`)
	if err := row.Scan(&waiting, &moved); err != nil {
		t.Fatal(err)
	}
	return waiting, moved
}

func journalEvent(tenantID, action string, at time.Time) *iam.AuditEvent {
	return &iam.AuditEvent{ID: action + "-event", TenantID: tenantID, Time: at, Actor: iam.Ref{Type: "system"},
		Action: action, Target: iam.Ref{Type: "tenant", ID: tenantID}, Result: iam.ResultSuccess}
}

// Events a process committed to the journal and never moved, because it
// stopped, are listed by the next one; closing a store moves what waits.
func TestAuditJournalOutlivesTheProcess(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	now := time.Now().UTC().Truncate(time.Second)
	first, err := sqlstore.Open(ctx, "sqlite://"+path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn := &iam.Tenant{ID: "t1", Name: "Default", System: true, CreatedAt: now, UpdatedAt: now}
	if err := first.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if err := first.AppendAudit(ctx, journalEvent(tn.ID, "user.create", now)); err != nil {
		t.Fatal(err)
	}
	if waiting, _ := journalCounts(t, first); waiting != 1 {
		t.Fatalf("events waiting after an append: %d; want 1", waiting)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// A second Close finds the mover stopped.
	_ = first.Close()
	if err := first.AppendAudit(ctx, journalEvent(tn.ID, "after-close", now)); err == nil {
		t.Fatal("AppendAudit after Close: nil error")
	}

	second := migrated(t, "sqlite://"+path)
	if waiting, moved := journalCounts(t, second); waiting != 0 || moved != 1 {
		t.Fatalf("after Close: %d waiting, %d moved; want 0 and 1", waiting, moved)
	}
	// As a process stopped before moving it would leave it.
	if _, err := second.DB().ExecContext(ctx, `INSERT INTO audit_journal (id, tenant_id, time, actor_type, actor_id, action, target_type, target_id, ip, user_agent, result, details)
		VALUES ('left-event', 't1', $1, 'system', '', 'user.delete', 'tenant', 't1', '', '', 'success', '{}')`, now.Add(time.Minute).Format("2006-01-02 15:04:05")); err != nil {
		t.Fatal(err)
	}
	got, total, err := second.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || got[0].ID != "left-event" || got[1].ID != "user.create-event" {
		t.Fatalf("ListAudit = %d events (%v); want the one left in the journal and the one moved at Close", total, got)
	}
}

// Rolling the journal's migration back keeps the events waiting in it.
func TestAuditJournalMigrationDownKeepsEvents(t *testing.T) {
	ctx := t.Context()
	s := migrated(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.CreateTenant(ctx, &iam.Tenant{ID: "t1", Name: "Default", System: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, journalEvent("t1", "user.create", now)); err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateDownTo(ctx, 31); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE id = 'user.create-event'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("events in audit_events after rolling back the journal: %d, %v; want 1", n, err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits up to five seconds for the log to hold text.
func waitFor(t *testing.T, log *syncbuf.Buffer, text string) {
	t.Helper()
	for range 500 {
		if strings.Contains(log.String(), text) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the log does not say %q:\n%s", text, log.String())
}

// The mover's failures are logged, once when they start and once when they
// end; the events wait in the journal meanwhile and are moved after.
func TestAuditJournalMoverLogsFailures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := migrated(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
	logs := &syncbuf.Buffer{}
	s.LogTo(slog.New(slog.NewTextHandler(logs, nil)))
	now := time.Now().UTC().Truncate(time.Second)
	tn := &iam.Tenant{ID: "t1", Name: "Default", System: true, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `CREATE TRIGGER audit_full BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, journalEvent(tn.ID, "user.create", now)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, logs, "moving them to the audit log failed")
	if _, err := s.DB().ExecContext(ctx, `DROP TRIGGER audit_full`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, logs, "audit events move to the audit log again")
	if waiting, moved := journalCounts(t, s); waiting != 0 || moved != 1 {
		t.Fatalf("after the mover recovered: %d waiting, %d moved; want 0 and 1", waiting, moved)
	}
	if n := strings.Count(logs.String(), "moving them to the audit log failed"); n != 1 {
		t.Errorf("the failure was logged %d times; want once:\n%s", n, logs.String())
	}
}
