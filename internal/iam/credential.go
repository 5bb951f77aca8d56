package iam

import (
	"context"
	"time"
)

// CredentialType names what kind of secret a credential holds.
type CredentialType string

// The credential types. A user holds one password, TOTP seed and email-code
// switch, and several of the others: device passwords named by device id,
// context passwords by context, recovery codes and passkeys by their own ids.
const (
	CredentialPassword        CredentialType = "password"
	CredentialDevicePassword  CredentialType = "device_password"
	CredentialContextPassword CredentialType = "context_password"
	CredentialRecoveryCode    CredentialType = "recovery_code"
	CredentialTOTP            CredentialType = "totp"
	CredentialEmailOTP        CredentialType = "email_otp"
	CredentialWebAuthn        CredentialType = "webauthn"
)

// CredentialState says whether a credential may be used.
type CredentialState string

// The credential states. Only an active credential signs anyone in.
const (
	CredentialActive   CredentialState = "active"
	CredentialDisabled CredentialState = "disabled"
	CredentialLocked   CredentialState = "locked"
	CredentialExpired  CredentialState = "expired"
)

// Credential is one secret of a user. A user holds at most one credential of
// each Type and Name: Name is empty for the password and qualifies the types
// a user holds several of (a device id, a context). Secret is what verifies
// the credential, never the secret itself in the clear: the PHC-formatted
// argon2id hash for passwords, sealed data for secrets that must be read back.
type Credential struct {
	ID         string
	TenantID   string
	UserID     string
	Type       CredentialType
	Name       string
	State      CredentialState
	Secret     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	// FailedAttempts counts the verifications of the credential that
	// failed since it was last used or activated.
	FailedAttempts int
}

// Usable reports whether the credential may sign its user in at now: it is
// active and has not expired.
func (c *Credential) Usable(now time.Time) bool {
	return c.State == CredentialActive && (c.ExpiresAt == nil || now.Before(*c.ExpiresAt))
}

// Unusable names why a credential that is not Usable is not: its state, or
// "expired" when an active one has passed its expiry.
func (c *Credential) Unusable() string {
	if c.State == CredentialActive {
		return string(CredentialExpired)
	}
	return string(c.State)
}

// CredentialStore persists users' credentials.
type CredentialStore interface {
	// CreateCredential inserts c. CodeConflict when its user already holds
	// a credential of c.Type and c.Name; CodeNotFound when the user is not
	// in c.TenantID.
	CreateCredential(ctx context.Context, c *Credential) error
	// PutCredential stores c as its user's credential of c.Type and c.Name in
	// one atomic upsert: a credential already there keeps its ID and
	// CreatedAt (written back into c) and takes every other field of c.
	// CodeNotFound when the user is not in c.TenantID.
	PutCredential(ctx context.Context, c *Credential) error
	// GetCredential returns the user's credential of typ and name. CodeNotFound.
	GetCredential(ctx context.Context, tenantID, userID string, typ CredentialType, name string) (*Credential, error)
	// GetCredentialForUpdate reads like GetCredential and holds the row until
	// the transaction ends. CodeNotFound.
	GetCredentialForUpdate(ctx context.Context, tenantID, userID string, typ CredentialType, name string) (*Credential, error)
	// UserCredentials returns the user's credentials of typ, oldest first.
	UserCredentials(ctx context.Context, tenantID, userID string, typ CredentialType) ([]Credential, error)
	// DeleteCredentials removes every credential of typ the user holds and
	// returns how many there were.
	DeleteCredentials(ctx context.Context, tenantID, userID string, typ CredentialType) (int, error)
	// GetCredentialByID returns the user's credential id. CodeNotFound.
	GetCredentialByID(ctx context.Context, tenantID, userID, id string) (*Credential, error)
	// GetCredentialByIDForUpdate reads like GetCredentialByID and holds the
	// row until the transaction ends (see UserStore.GetUserForUpdate).
	GetCredentialByIDForUpdate(ctx context.Context, tenantID, userID, id string) (*Credential, error)
	// ListCredentials lists the user's credentials of typ (of every type
	// when typ is empty), newest first, secrets included: callers never
	// show them.
	ListCredentials(ctx context.Context, tenantID, userID string, typ CredentialType, p ListParams) ([]Credential, int, error)
	// DeleteCredential removes the user's credential id. CodeNotFound.
	DeleteCredential(ctx context.Context, tenantID, userID, id string) error
	// RecordCredentialUse sets LastUsedAt of the credential to at and clears
	// its FailedAttempts, changing nothing else. CodeNotFound.
	RecordCredentialUse(ctx context.Context, tenantID, id string, at time.Time) error
	// ReserveCredentialAttempt counts a verification of an active or
	// expired credential before its secret is checked, and returns the
	// credential with the count: concurrent attempts get distinct counts. A
	// success clears the count (RecordCredentialUse). CodeNotFound when the
	// credential does not exist or is disabled or locked.
	ReserveCredentialAttempt(ctx context.Context, tenantID, id string) (*Credential, error)
	// LockCredential sets the state of an active or expired credential to
	// locked at at and reports whether this call did: of concurrent calls
	// exactly one does.
	LockCredential(ctx context.Context, tenantID, id string, at time.Time) (bool, error)
	// ConsumeRecoveryCode deletes the user's active recovery code whose
	// Secret is secretHash: of concurrent uses of one code exactly one
	// succeeds. CodeNotFound when the user holds no such code.
	ConsumeRecoveryCode(ctx context.Context, tenantID, userID, secretHash string) error
	// RecordRecoveryCodeFailure counts a wrong recovery code against every
	// active recovery code of the user, locks those whose count reaches
	// max, and returns the highest count among them (0 when none was
	// active).
	RecordRecoveryCodeFailure(ctx context.Context, tenantID, userID string, max int, at time.Time) (int, error)
}
