package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const auditColumns = `id, tenant_id, time, actor_type, actor_id, action, target_type, target_id, ip, user_agent, result, details`

func (q *queries) AppendAudit(ctx context.Context, e *iam.AuditEvent) error {
	return q.AppendAudits(ctx, []*iam.AuditEvent{e})
}

// auditRowsPerInsert is how many events one INSERT statement appends: each
// count is a statement of its own in the prepared statement cache.
const auditRowsPerInsert = 16

// auditArgs is how many arguments one event's row takes.
const auditArgs = 12

// auditInserts are the INSERT statements of 1 to auditRowsPerInsert events,
// by row count, into audit_events ([0]) and into audit_journal ([1]),
// written once rather than on every append.
var auditInserts = sync.OnceValue(func() (out [2][auditRowsPerInsert + 1]string) {
	for t, table := range []string{"audit_events", "audit_journal"} {
		var sql strings.Builder
		sql.WriteString(`INSERT INTO ` + table + ` (` + auditColumns + `) VALUES `)
		for n := 1; n <= auditRowsPerInsert; n++ {
			if n > 1 {
				sql.WriteString(", ")
			}
			sql.WriteString("(")
			for i := range auditArgs {
				if i > 0 {
					sql.WriteString(", ")
				}
				fmt.Fprintf(&sql, "$%d", (n-1)*auditArgs+i+1)
			}
			sql.WriteString(")")
			out[t][n] = sql.String()
		}
	}
	return out
})

// AppendAudits appends events with as few statements as it can: one
// statement is one round trip on PostgreSQL, and on SQLite needs no
// transaction around it to be atomic.
func (q *queries) AppendAudits(ctx context.Context, events []*iam.AuditEvent) error {
	inserts := auditInserts()[0]
	if q.journal != nil {
		inserts = auditInserts()[1]
	}
	for chunk := range slices.Chunk(events, auditRowsPerInsert) {
		args := make([]any, 0, len(chunk)*auditArgs)
		for _, e := range chunk {
			details := []byte("{}")
			if len(e.Details) > 0 {
				var err error
				if details, err = json.Marshal(e.Details); err != nil {
					return iam.Internal(fmt.Errorf("audit details: %w", err))
				}
			}
			args = append(args, e.ID, e.TenantID, ts(e.Time), e.Actor.Type, e.Actor.ID, e.Action, e.Target.Type, e.Target.ID,
				e.IP, e.UserAgent, e.Result, string(details))
		}
		if _, err := q.w.ExecContext(ctx, inserts[len(chunk)], args...); err != nil {
			return storeErr(err, "audit event", nil)
		}
		if q.journal != nil {
			q.journal.noteAppend(len(chunk))
		}
	}
	return nil
}

// AppendAudits appends more events than one statement takes in a
// transaction, so that they are appended all or none.
func (s *Store) AppendAudits(ctx context.Context, events []*iam.AuditEvent) error {
	if len(events) <= auditRowsPerInsert {
		return s.queries.AppendAudits(ctx, events)
	}
	return s.InTx(ctx, func(tx iam.Tx) error { return tx.AppendAudits(ctx, events) })
}

// ListAudit, in a transaction, first moves the journal's events within it.
func (q *queries) ListAudit(ctx context.Context, tenantID string, aq iam.AuditQuery) ([]iam.AuditEvent, int, error) {
	if q.journal != nil {
		if err := q.moveAuditJournal(ctx); err != nil {
			return nil, 0, err
		}
	}
	return q.listAudit(ctx, tenantID, aq)
}

// ListAudit moves the journal's events in a transaction of its own first.
func (s *Store) ListAudit(ctx context.Context, tenantID string, aq iam.AuditQuery) ([]iam.AuditEvent, int, error) {
	if s.journal != nil {
		if err := s.journal.move(ctx); err != nil {
			return nil, 0, err
		}
	}
	return s.listAudit(ctx, tenantID, aq)
}

func (q *queries) listAudit(ctx context.Context, tenantID string, aq iam.AuditQuery) ([]iam.AuditEvent, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(cond, len(args))
	}
	if aq.ActorID != "" {
		add(` AND actor_id = $%d`, aq.ActorID)
	}
	if aq.ActorKind != "" {
		add(` AND actor_type = $%d`, aq.ActorKind)
	}
	if aq.Action != "" {
		add(` AND action = $%d`, aq.Action)
	}
	if aq.TargetID != "" {
		add(` AND target_id = $%d`, aq.TargetID)
	}
	if aq.From != nil {
		add(` AND time >= $%d`, ts(*aq.From))
	}
	if aq.To != nil {
		add(` AND time < $%d`, ts(*aq.To))
	}
	return list(ctx, q, listing{what: "audit events", columns: auditColumns, from: "audit_events", where: where, args: args,
		order: iam.Order{"time"}}, newestFirst(aq.ListParams), scanAuditEvent)
}

func scanAuditEvent(row scanner) (*iam.AuditEvent, error) {
	var (
		e       iam.AuditEvent
		details string
	)
	if err := row.Scan(&e.ID, &e.TenantID, &e.Time, &e.Actor.Type, &e.Actor.ID, &e.Action, &e.Target.Type, &e.Target.ID,
		&e.IP, &e.UserAgent, &e.Result, &details); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
		return nil, err
	}
	e.Time = e.Time.UTC()
	return &e, nil
}
