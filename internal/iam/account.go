package iam

import (
	"context"
	"time"
)

// Kinds of one-time tokens.
const (
	TokenVerifyEmail   = "verify_email"
	TokenPasswordReset = "password_reset"
	TokenEmailChange   = "email_change"
)

// OneTimeToken is the stored form of a single-use link: only its SHA-256.
// Email is the address it was sent to (the new address for an email change).
type OneTimeToken struct {
	ID        string
	TenantID  string
	UserID    string
	Kind      string
	Hash      string
	Email     string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// Invitation lets one email register, optionally into an organization with
// roles, even when signup is otherwise restricted.
type Invitation struct {
	ID             string
	TenantID       string
	Email          string
	OrganizationID string
	Roles          []string
	Hash           string
	InvitedBy      string
	ExpiresAt      time.Time
	AcceptedAt     *time.Time
	CreatedAt      time.Time
}

// LoginFailures counts failed logins for one submitted email.
type LoginFailures struct {
	TenantID      string
	Email         string
	Failures      int
	LockedUntil   *time.Time
	LastFailureAt time.Time
}

// AccountStore persists what self-service accounts need: single-use links,
// invitations, failed-login counters and session lists.
type AccountStore interface {
	CreateOneTimeToken(ctx context.Context, t *OneTimeToken) error
	OneTimeTokenByHash(ctx context.Context, hash string) (*OneTimeToken, error)
	// UseOneTimeToken marks the token used if it is not yet and reports
	// whether this call did: of two concurrent uses exactly one wins.
	UseOneTimeToken(ctx context.Context, id string, at time.Time) (bool, error)
	// ExpireUserTokens marks every unused token of a kind of a user used.
	ExpireUserTokens(ctx context.Context, tenantID, userID, kind string, at time.Time) error

	CreateInvitation(ctx context.Context, inv *Invitation) error
	InvitationByHash(ctx context.Context, hash string) (*Invitation, error)
	GetInvitation(ctx context.Context, tenantID, id string) (*Invitation, error)
	// ListInvitations lists pending and accepted invitations, newest first.
	ListInvitations(ctx context.Context, tenantID string, p ListParams) ([]Invitation, int, error)
	DeleteInvitation(ctx context.Context, tenantID, id string) error
	// AcceptInvitation marks it accepted if it is not yet, reporting whether this call did.
	AcceptInvitation(ctx context.Context, id string, at time.Time) (bool, error)

	// LoginFailures returns the counter; CodeNotFound when there is none.
	LoginFailures(ctx context.Context, tenantID, email string) (*LoginFailures, error)
	// ReserveLoginAttempt counts an attempt before its password is checked
	// and returns the counter after it; concurrent attempts get distinct
	// counts. The count starts again at 1 when a lock (a count of at least
	// max) has ended, or when the last failure is older than window, so
	// failures do not add up forever and an attacker cannot keep an account
	// locked with one try a period. A shorter back-off ending keeps the count.
	ReserveLoginAttempt(ctx context.Context, tenantID, email string, at time.Time, max int, window time.Duration) (*LoginFailures, error)
	// ReleaseLoginAttempt takes back one attempt ReserveLoginAttempt
	// counted, as when the password proved right but the sign-in goes on to
	// a second step: it neither counts as a failure nor clears the earlier
	// ones. The count never goes below zero.
	ReleaseLoginAttempt(ctx context.Context, tenantID, email string) error
	LockLogin(ctx context.Context, tenantID, email string, until time.Time) error
	ClearLoginFailures(ctx context.Context, tenantID, email string) error

	// ListSessions lists a user's sessions active at now, newest first:
	// their sign-ins, not their OAuth grants.
	ListSessions(ctx context.Context, tenantID, userID string, now time.Time, p ListParams) ([]Session, int, error)
	// RevokeOtherSessions revokes every session of the user but keep, and
	// ends the user's steps in flight, as RevokeUserSessions does.
	RevokeOtherSessions(ctx context.Context, tenantID, userID, keep string, at time.Time) error
}
