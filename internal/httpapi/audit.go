package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// AuditEventBody is an audit event as the API shows it.
type AuditEventBody struct {
	ID        string         `json:"id" format:"uuid"`
	Time      time.Time      `json:"time"`
	TenantID  string         `json:"tenant_id" format:"uuid"`
	Actor     iam.Ref        `json:"actor"`
	Action    string         `json:"action" example:"user.created"`
	Target    iam.Ref        `json:"target"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Result    string         `json:"result" enum:"success,failure"`
	Details   map[string]any `json:"details"`
}

func auditBody(e *iam.AuditEvent) AuditEventBody {
	d := e.Details
	if d == nil {
		d = map[string]any{}
	}
	return AuditEventBody{ID: e.ID, Time: e.Time, TenantID: e.TenantID, Actor: e.Actor, Action: e.Action, Target: e.Target,
		IP: e.IP, UserAgent: e.UserAgent, Result: e.Result, Details: d}
}

type listAuditInput struct {
	Page      int       `query:"page" minimum:"1" maximum:"1000000" default:"1"`
	Limit     int       `query:"limit" minimum:"1" maximum:"100" default:"20"`
	ActorID   string    `query:"actor_id" maxLength:"100"`
	ActorKind string    `query:"actor_kind" maxLength:"100" doc:"Events whose actor is of this kind: user, service_account, application, scim (a provisioning client's SCIM token), system"`
	Action    string    `query:"action" maxLength:"100"`
	TargetID  string    `query:"target_id" maxLength:"100"`
	From      time.Time `query:"from" doc:"Events at or after this time (RFC 3339)"`
	To        time.Time `query:"to" doc:"Events before this time (RFC 3339)"`
}

func (a *API) listAudit(ctx context.Context, in *listAuditInput) (*pageOutput[AuditEventBody], error) {
	q := iam.AuditQuery{ListParams: iam.ListParams{Page: in.Page, Limit: in.Limit}, ActorID: in.ActorID, ActorKind: in.ActorKind, Action: in.Action, TargetID: in.TargetID}
	if !in.From.IsZero() {
		q.From = &in.From
	}
	if !in.To.IsZero() {
		q.To = &in.To
	}
	events, total, err := a.audit.List(ctx, q)
	if err != nil {
		return nil, err
	}
	return pageOf(events, total, ListParams{Page: in.Page, Limit: in.Limit}, auditBody), nil
}
