package iam

import (
	"context"
	"time"
)

// Principal is the authenticated caller of a request. User is the caller's
// record as read when the session was last checked (at most a second ago, or
// since the user last changed on this replica); treat it as read-only.
type Principal struct {
	TenantID    string
	UserID      string
	SessionID   string
	TokenID     string
	User        *User
	Permissions []string
	AMR         []string
	ExpiresAt   time.Time
}

// RequestMeta is what the transport knows about a request's origin.
type RequestMeta struct {
	RequestID string
	IP        string
	UserAgent string
}

type ctxKey int

const (
	tenantKey ctxKey = iota
	principalKey
	metaKey
)

// WithTenant returns ctx carrying the request's tenant.
func WithTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, tenantKey, t)
}

// TenantFrom returns the request's tenant, or nil.
func TenantFrom(ctx context.Context) *Tenant {
	t, _ := ctx.Value(tenantKey).(*Tenant)
	return t
}

// WithPrincipal returns ctx carrying the authenticated caller.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFrom returns the authenticated caller, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

// WithRequestMeta returns ctx carrying the request's origin.
func WithRequestMeta(ctx context.Context, m RequestMeta) context.Context {
	return context.WithValue(ctx, metaKey, m)
}

// RequestMetaFrom returns the request's origin; zero outside a request.
func RequestMetaFrom(ctx context.Context) RequestMeta {
	m, _ := ctx.Value(metaKey).(RequestMeta)
	return m
}
