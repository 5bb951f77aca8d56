package iam

import (
	"context"
	"time"
)

// PrincipalKind is what kind of caller a principal is. It is also the type of
// the principal when it acts as the actor of an audit event.
type PrincipalKind string

// The kinds of principal. Only users sign in today; the other kinds are the
// callers the machine-identity, OAuth and device capabilities authenticate.
const (
	PrincipalUser           PrincipalKind = "user"
	PrincipalServiceAccount PrincipalKind = "service_account"
	PrincipalApplication    PrincipalKind = "application"
	PrincipalDevice         PrincipalKind = "device"
)

// Principal is the authenticated caller of a request: Kind and ID name it in
// its tenant, and Permissions are the system permissions it holds, whatever
// its kind.
//
// UserID, SessionID and User are set for user principals only (UserID equals
// ID then), so code that acts for a user finds them empty for other kinds.
// User is the caller's record as read when the session was last checked (at
// most a second ago, or since the user last changed on this replica); treat it
// as read-only.
type Principal struct {
	Kind        PrincipalKind
	ID          string
	TenantID    string
	UserID      string
	SessionID   string
	TokenID     string
	User        *User
	Permissions []string
	AMR         []string
	ExpiresAt   time.Time
}

// Ref names the principal as the actor of an audit event.
func (p *Principal) Ref() Ref { return Ref{Type: string(p.Kind), ID: p.ID} }

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
