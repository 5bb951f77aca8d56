package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var auditTests = []test{
	{"AppendList", testAuditAppendList},
	{"Filters", testAuditFilters},
	{"ConcurrentAppendsAreListed", testAuditConcurrentAppends},
	{"ListedInTx", testAuditListedInTx},
	{"AppendAuditsAllOrNone", testAppendAuditsAllOrNone},
	{"TakenIDKeepsTheLogWorking", testAuditTakenID},
}

// testAuditTakenID appends an event twice: the second append may be
// refused or dropped, but the event is listed once and later ones are
// listed too.
func testAuditTakenID(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	first := appendAudit(t, s, tn.ID, t0, iam.Ref{Type: "system"}, "user.create", iam.Ref{Type: "user", ID: newID(t)})
	_, _, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	must(t, err, "ListAudit")
	again := *first
	again.Action = "user.delete"
	_ = s.AppendAudit(ctx, &again)
	later := appendAudit(t, s, tn.ID, at(time.Minute), iam.Ref{Type: "system"}, "user.update", iam.Ref{Type: "user", ID: newID(t)})
	got, total, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	must(t, err, "ListAudit after an event with a taken id")
	if total != 2 || got[0].ID != later.ID || got[1].ID != first.ID || got[1].Action != "user.create" {
		t.Fatalf("ListAudit = %d events %v; want the later event and the first as it was", total, got)
	}
}

// testAppendAuditsAllOrNone appends events together, more than one
// statement takes too: all of them, or none when one cannot be stored.
func testAppendAuditsAllOrNone(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	events := func(n int, tenantOfLast string) []*iam.AuditEvent {
		out := make([]*iam.AuditEvent, n)
		for i := range out {
			out[i] = &iam.AuditEvent{ID: newID(t), TenantID: tn.ID, Time: at(time.Duration(i) * time.Second), Actor: iam.Ref{Type: "system"},
				Action: "oauth.token.issued", Target: iam.Ref{Type: "application", ID: "app"}, Result: iam.ResultSuccess,
				Details: map[string]any{"n": float64(i)}}
		}
		out[n-1].TenantID = tenantOfLast
		return out
	}
	total := func() int {
		t.Helper()
		_, n, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 1}})
		must(t, err, "ListAudit")
		return n
	}
	for _, n := range []int{1, 3, 40} {
		if err := s.AppendAudits(ctx, events(n, newID(t))); err == nil {
			t.Fatalf("AppendAudits of %d events, the last of an unknown tenant: nil error", n)
		}
		if got := total(); got != 0 {
			t.Fatalf("after a refused AppendAudits of %d events: %d listed; want none", n, got)
		}
	}
	must(t, s.AppendAudits(ctx, events(3, tn.ID)), "AppendAudits of 3")
	must(t, s.AppendAudits(ctx, events(40, tn.ID)), "AppendAudits of 40")
	if got := total(); got != 43 {
		t.Fatalf("ListAudit total = %d; want 43", got)
	}
	var inTx int
	must(t, s.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.AppendAudits(ctx, events(20, tn.ID)); err != nil {
			return err
		}
		_, n, err := tx.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 1}})
		inTx = n
		return err
	}), "AppendAudits in a transaction")
	if inTx != 63 || total() != 63 {
		t.Fatalf("after 20 more in a transaction: %d listed in it, %d after; want 63", inTx, total())
	}
}

// testAuditConcurrentAppends appends from many goroutines, alone and in
// transactions, while others list: every event committed is listed after.
func testAuditConcurrentAppends(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each+workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := &iam.AuditEvent{ID: newID(t), TenantID: tn.ID, Time: at(time.Duration(w*each+i) * time.Second),
					Actor: iam.Ref{Type: "system"}, Action: "token.issue", Target: iam.Ref{Type: "application", ID: fmt.Sprint(w)},
					Result: iam.ResultSuccess}
				if w%2 == 0 {
					errs <- s.AppendAudit(ctx, e)
				} else {
					errs <- s.InTx(ctx, func(tx iam.Tx) error { return tx.AppendAudit(ctx, e) })
				}
			}
			_, _, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 5}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err, "concurrent AppendAudit or ListAudit")
	}
	got, total, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 100}})
	must(t, err, "ListAudit")
	if total != workers*each || len(got) != 100 {
		t.Fatalf("ListAudit = %d events, total %d; want 100 of %d", len(got), total, workers*each)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.After(got[i-1].Time) {
			t.Fatalf("ListAudit event %d is newer than event %d", i, i-1)
		}
	}
}

// testAuditListedInTx lists, in a transaction, the events appended before
// it and in it; a rolled back event is never listed.
func testAuditListedInTx(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	before := appendAudit(t, s, tn.ID, t0, iam.Ref{Type: "system"}, "tenant.update", iam.Ref{Type: "tenant", ID: tn.ID})
	var inside *iam.AuditEvent
	must(t, s.InTx(ctx, func(tx iam.Tx) error {
		inside = appendAudit(t, tx, tn.ID, at(time.Minute), iam.Ref{Type: "system"}, "user.create", iam.Ref{Type: "user", ID: newID(t)})
		got, total, err := tx.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
		if err != nil {
			return err
		}
		if total != 2 || len(got) != 2 || got[0].ID != inside.ID || got[1].ID != before.ID {
			t.Errorf("ListAudit in the transaction = %d events, total %d; want the one appended in it and the one before", len(got), total)
		}
		return nil
	}), "InTx")
	refused := s.InTx(ctx, func(tx iam.Tx) error {
		appendAudit(t, tx, tn.ID, at(2*time.Minute), iam.Ref{Type: "system"}, "user.delete", iam.Ref{Type: "user", ID: newID(t)})
		if _, _, err := tx.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil {
			return err
		}
		return iam.Invalid("rolled back by the test", nil)
	})
	wantCode(t, refused, iam.CodeInvalid, "InTx rolled back")
	_, total, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	must(t, err, "ListAudit")
	if total != 2 {
		t.Fatalf("ListAudit after a rolled back event: total %d; want 2", total)
	}
}

func testAuditAppendList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	actor := iam.Ref{Type: "user", ID: newID(t)}
	events := []*iam.AuditEvent{
		{ID: newID(t), TenantID: tn.ID, Time: at(time.Minute), Actor: actor, Action: "user.create",
			Target: iam.Ref{Type: "user", ID: newID(t)}, IP: "203.0.113.7", UserAgent: "curl/8.5", Result: iam.ResultSuccess,
			Details: map[string]any{"email": "ada@example.com", "roles": []any{"a", "b"}, "count": float64(3), "verified": true,
				"nested": map[string]any{"k": "v"}}},
		{ID: newID(t), TenantID: tn.ID, Time: t0, Actor: iam.Ref{Type: "anonymous"}, Action: "session.create",
			Target: iam.Ref{Type: "user", ID: newID(t)}, Result: iam.ResultFailure,
			Details: map[string]any{"reason": "invalid_credentials"}},
		{ID: newID(t), TenantID: tn.ID, Time: at(2 * time.Minute), Actor: actor, Action: "tenant.update",
			Target: iam.Ref{Type: "tenant", ID: tn.ID}, Result: iam.ResultSuccess},
	}
	for _, e := range events {
		must(t, s.AppendAudit(ctx, e), "AppendAudit "+e.Action)
	}
	got, total, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	must(t, err, "ListAudit")
	newestFirst := []*iam.AuditEvent{events[2], events[0], events[1]}
	if total != 3 || len(got) != 3 {
		t.Fatalf("ListAudit = %d events, total %d; want 3", len(got), total)
	}
	for i, want := range newestFirst {
		check(t, "ListAudit event "+want.Action, got[i], *want)
	}
}

func testAuditFilters(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	alice, carol := iam.Ref{Type: "user", ID: newID(t)}, iam.Ref{Type: "user", ID: newID(t)}
	bob, dave := iam.Ref{Type: "user", ID: newID(t)}, iam.Ref{Type: "user", ID: newID(t)}
	system := iam.Ref{Type: "system"}
	e := []*iam.AuditEvent{
		appendAudit(t, s, tn.ID, at(0), alice, "user.create", bob),
		appendAudit(t, s, tn.ID, at(1*time.Minute), alice, "user.update", bob),
		appendAudit(t, s, tn.ID, at(2*time.Minute), carol, "user.create", dave),
		appendAudit(t, s, tn.ID, at(3*time.Minute), system, "session.create", iam.Ref{Type: "session", ID: newID(t)}),
		appendAudit(t, s, tn.ID, at(4*time.Minute), carol, "user.delete", bob),
	}
	// The same parties in another tenant never show.
	appendAudit(t, s, other.ID, at(90*time.Second), alice, "user.create", bob)

	idsOf := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, e[i].ID)
		}
		return out
	}
	page := iam.ListParams{Page: 1, Limit: 10}
	for _, tc := range []struct {
		name  string
		q     iam.AuditQuery
		want  []string
		total int
	}{
		{"everything", iam.AuditQuery{ListParams: page}, idsOf(4, 3, 2, 1, 0), 5},
		{"actor", iam.AuditQuery{ListParams: page, ActorID: alice.ID}, idsOf(1, 0), 2},
		{"action", iam.AuditQuery{ListParams: page, Action: "user.create"}, idsOf(2, 0), 2},
		{"target", iam.AuditQuery{ListParams: page, TargetID: bob.ID}, idsOf(4, 1, 0), 3},
		{"actor and action", iam.AuditQuery{ListParams: page, ActorID: carol.ID, Action: "user.delete"}, idsOf(4), 1},
		{"unknown actor", iam.AuditQuery{ListParams: page, ActorID: newID(t)}, idsOf(), 0},
		{"actor kind", iam.AuditQuery{ListParams: page, ActorKind: "system"}, idsOf(3), 1},
		{"actor kind and action", iam.AuditQuery{ListParams: page, ActorKind: "user", Action: "user.create"}, idsOf(2, 0), 2},
		{"unknown actor kind", iam.AuditQuery{ListParams: page, ActorKind: "scim"}, idsOf(), 0},
		{"from", iam.AuditQuery{ListParams: page, From: ptr(at(90 * time.Second))}, idsOf(4, 3, 2), 3},
		{"to", iam.AuditQuery{ListParams: page, To: ptr(at(150 * time.Second))}, idsOf(2, 1, 0), 3},
		{"from and to", iam.AuditQuery{ListParams: page, From: ptr(at(30 * time.Second)), To: ptr(at(210 * time.Second))}, idsOf(3, 2, 1), 3},
		{"from in UTC", iam.AuditQuery{ListParams: page, From: ptr(at(90 * time.Second).UTC())}, idsOf(4, 3, 2), 3},
		{"window and target", iam.AuditQuery{ListParams: page, From: ptr(at(30 * time.Second)), TargetID: bob.ID}, idsOf(4, 1), 2},
		{"empty window", iam.AuditQuery{ListParams: page, From: ptr(at(61 * time.Second)), To: ptr(at(119 * time.Second))}, idsOf(), 0},
		{"first page", iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 2}}, idsOf(4, 3), 5},
		{"second page", iam.AuditQuery{ListParams: iam.ListParams{Page: 2, Limit: 2}}, idsOf(2, 1), 5},
		{"last page", iam.AuditQuery{ListParams: iam.ListParams{Page: 3, Limit: 2}}, idsOf(0), 5},
		{"past the end", iam.AuditQuery{ListParams: iam.ListParams{Page: 4, Limit: 2}}, idsOf(), 5},
		{"page of filtered", iam.AuditQuery{ListParams: iam.ListParams{Page: 2, Limit: 2}, TargetID: bob.ID}, idsOf(0), 3},
	} {
		got, total, err := s.ListAudit(ctx, tn.ID, tc.q)
		if !listed(t, tc.name+": ListAudit", got, total, err, auditID, tc.want, tc.total) {
			continue
		}
	}
	got, total, err := s.ListAudit(ctx, other.ID, iam.AuditQuery{ListParams: page})
	if err != nil || total != 1 || len(got) != 1 || got[0].TenantID != other.ID {
		t.Errorf("ListAudit of the other tenant = %d events, total %d, %v; want its one event", len(got), total, err)
	}
}
