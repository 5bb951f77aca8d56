package iam

import (
	"context"
	"time"
)

// ChallengePurpose says which step an MFA challenge carries.
type ChallengePurpose string

// The challenge purposes.
const (
	// ChallengeLogin is a login that passed its password and waits for a
	// second factor.
	ChallengeLogin ChallengePurpose = "login"
	// ChallengeEnrollment is a login under a policy that requires a second
	// factor, by a user who has none: it may only enrol one.
	ChallengeEnrollment ChallengePurpose = "enrollment"
	// ChallengeWebAuthnRegister is a passkey registration between its begin
	// and finish.
	ChallengeWebAuthnRegister ChallengePurpose = "webauthn_register"
	// ChallengeWebAuthnLogin is a passwordless sign-in with a passkey between
	// its begin and finish; it names no user until the assertion does.
	ChallengeWebAuthnLogin ChallengePurpose = "webauthn_login"
	// ChallengeReauth is a step-up of a signed-in session that waits for a
	// mailed code or a passkey assertion.
	ChallengeReauth ChallengePurpose = "reauth"
)

// MFAChallenge is the stored form of a step that spans requests. Only the
// SHA-256 of its token is kept. UserID is empty while no user is known.
// State is the step's own JSON; Failures counts wrong answers to it.
type MFAChallenge struct {
	ID        string
	TenantID  string
	UserID    string
	Purpose   ChallengePurpose
	TokenHash string
	State     []byte
	Failures  int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MFAStore persists MFA challenges and the second-factor time of sessions.
type MFAStore interface {
	CreateMFAChallenge(ctx context.Context, c *MFAChallenge) error
	// MFAChallengeByHash returns the tenant's challenge whose token hashes to
	// hash. CodeNotFound.
	MFAChallengeByHash(ctx context.Context, tenantID, hash string) (*MFAChallenge, error)
	// GetMFAChallengeForUpdate returns the challenge and holds its row until
	// the transaction ends. CodeNotFound.
	GetMFAChallengeForUpdate(ctx context.Context, tenantID, id string) (*MFAChallenge, error)
	// UpdateMFAChallenge writes the challenge's UserID, State and Failures.
	// CodeNotFound.
	UpdateMFAChallenge(ctx context.Context, c *MFAChallenge) error
	// DeleteMFAChallenge removes the challenge. CodeNotFound when it is
	// already gone, so that of two racing uses only one succeeds.
	DeleteMFAChallenge(ctx context.Context, tenantID, id string) error
	// SetSessionMFA records that the session passed a second factor at at.
	// CodeNotFound.
	SetSessionMFA(ctx context.Context, tenantID, sessionID string, at time.Time) error
}
