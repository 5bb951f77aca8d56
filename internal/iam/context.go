package iam

import (
	"context"
	"errors"
	"sync"
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
	// PrincipalSCIM is a provisioning client holding the tenant's SCIM token;
	// its ID is the token's.
	PrincipalSCIM PrincipalKind = "scim"
	// PrincipalEnrollment is a user made to enrol a second factor before
	// signing in: it may do nothing else.
	PrincipalEnrollment PrincipalKind = "mfa_enrollment"
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
	// OrganizationID confines the principal to one organization's users:
	// set for an organization's SCIM client.
	OrganizationID string
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
	causesKey
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

// causes collects the hidden causes of a request's errors.
type causes struct {
	mu   sync.Mutex
	errs []error
}

// WithCauses returns a context that collects the causes of the errors a
// request is answered with, whichever transport writes them, and a function
// that returns them, for the request log.
func WithCauses(ctx context.Context) (context.Context, func() error) {
	c := &causes{}
	return context.WithValue(ctx, causesKey, c), func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		return errors.Join(c.errs...)
	}
}

// RecordCause keeps err for the request log of ctx; a transport calls it for
// a cause it does not show the client.
func RecordCause(ctx context.Context, err error) {
	if c, ok := ctx.Value(causesKey).(*causes); ok {
		c.mu.Lock()
		c.errs = append(c.errs, err)
		c.mu.Unlock()
	}
}
