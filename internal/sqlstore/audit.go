package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const auditColumns = `id, tenant_id, time, actor_type, actor_id, action, target_type, target_id, ip, user_agent, result, details`

func (q *queries) AppendAudit(ctx context.Context, e *iam.AuditEvent) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return iam.Internal(fmt.Errorf("audit details: %w", err))
		}
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO audit_events (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, e.TenantID, ts(e.Time), e.Actor.Type, e.Actor.ID, e.Action, e.Target.Type, e.Target.ID, e.IP, e.UserAgent, e.Result, string(details))
	return storeErr(err, "audit event", nil)
}

func (q *queries) ListAudit(ctx context.Context, tenantID string, aq iam.AuditQuery) ([]iam.AuditEvent, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(cond, len(args))
	}
	if aq.ActorID != "" {
		add(` AND actor_id = $%d`, aq.ActorID)
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
	var total int
	if err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM audit_events`+where, args...).Scan(&total); err != nil {
		return nil, 0, storeErr(err, "audit events", nil)
	}
	rows, err := q.r.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events`+where+` ORDER BY time DESC, id DESC`+limitClause(len(args)),
		append(args, aq.Limit, aq.Offset())...)
	if err != nil {
		return nil, 0, storeErr(err, "audit events", nil)
	}
	events := []iam.AuditEvent{}
	err = eachRow(rows, func(r *sql.Rows) error {
		var (
			e       iam.AuditEvent
			details string
		)
		if err := r.Scan(&e.ID, &e.TenantID, &e.Time, &e.Actor.Type, &e.Actor.ID, &e.Action, &e.Target.Type, &e.Target.ID,
			&e.IP, &e.UserAgent, &e.Result, &details); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return err
		}
		e.Time = e.Time.UTC()
		events = append(events, e)
		return nil
	})
	return events, total, storeErr(err, "audit events", nil)
}
