package audit

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// Actor types. A principal acts under its kind (ActorUser is a user's);
// anonymous callers and the server itself have types of their own.
const (
	ActorUser      = string(iam.PrincipalUser)
	ActorAnonymous = "anonymous"
	ActorSystem    = "system"
)

// Event returns an event for action on target, with the actor, IP and user
// agent taken from ctx. The actor is the principal, of whatever kind; a
// caller without a principal is anonymous.
func Event(ctx context.Context, now time.Time, tenantID, action string, target iam.Ref, result string, details map[string]any) *iam.AuditEvent {
	meta := iam.RequestMetaFrom(ctx)
	actor := iam.Ref{Type: ActorAnonymous}
	if p := iam.PrincipalFrom(ctx); p != nil {
		actor = p.Ref()
	}
	if details == nil && meta.RequestID != "" {
		details = map[string]any{}
	}
	if meta.RequestID != "" {
		details["request_id"] = meta.RequestID
	}
	return &iam.AuditEvent{
		ID:        uuid.Must(uuid.NewV7()).String(),
		TenantID:  tenantID,
		Time:      now,
		Actor:     actor,
		Action:    action,
		Target:    target,
		IP:        meta.IP,
		UserAgent: meta.UserAgent,
		Result:    result,
		Details:   details,
	}
}

// Log answers the audit log.
type Log struct {
	store iam.AuditStore
}

// NewLog returns a Log reading store.
func NewLog(store iam.AuditStore) *Log {
	return &Log{store: store}
}

// List returns the caller's tenant's events, newest first. Needs audit.view.
func (l *Log) List(ctx context.Context, q iam.AuditQuery) ([]iam.AuditEvent, int, error) {
	p, err := permission.Require(ctx, permission.AuditView)
	if err != nil {
		return nil, 0, err
	}
	return l.store.ListAudit(ctx, p.TenantID, q)
}
