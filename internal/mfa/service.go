package mfa

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Store is what the MFA service reads and writes.
type Store interface {
	iam.Transactor
	iam.CredentialStore
	iam.MFAStore
	iam.AuditStore
	GetUser(ctx context.Context, tenantID, id string) (*iam.User, error)
	GetSession(ctx context.Context, tenantID, id string) (*iam.Session, error)
}

// Mailer queues a message in the outbox, inside the caller's transaction.
type Mailer interface {
	Queue(ctx context.Context, tx iam.Tx, tenantID, to, kind string, data map[string]string) error
}

// Settings returns a tenant's policies.
type Settings interface {
	For(ctx context.Context, tenantID string) (*settings.Settings, error)
}

// Deps are what the MFA service is built from.
type Deps struct {
	Store    Store
	Master   *token.MasterKey
	Mailer   Mailer
	Settings Settings
	// Issuer names the service in authenticator apps, e.g. "Gatehouse".
	Issuer string
	Now    func() time.Time
}

// Service manages and checks second factors.
type Service struct {
	store    Store
	master   *token.MasterKey
	mailer   Mailer
	settings Settings
	issuer   string
	now      func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	utc := func() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }
	return &Service{store: d.Store, master: d.Master, mailer: d.Mailer, settings: d.Settings, issuer: d.Issuer, now: utc}
}

// The second-factor methods, as clients name them.
const (
	MethodTOTP         = "totp"
	MethodEmail        = "email"
	MethodRecoveryCode = "recovery_code"
	MethodWebAuthn     = "webauthn"
)

// Status is which second factors a user has on.
type Status struct {
	TOTP              bool
	Email             bool
	Passkeys          int
	RecoveryCodesLeft int
}

// Enabled reports whether the user has a second factor on. Recovery codes
// alone are not one: they stand in for a lost factor.
func (st *Status) Enabled() bool { return st.TOTP || st.Email || st.Passkeys > 0 }

// Methods lists the methods that can complete a sign-in, in a stable order.
func (st *Status) Methods() []string {
	var m []string
	if st.TOTP {
		m = append(m, MethodTOTP)
	}
	if st.Email {
		m = append(m, MethodEmail)
	}
	if st.Passkeys > 0 {
		m = append(m, MethodWebAuthn)
	}
	if st.Enabled() && st.RecoveryCodesLeft > 0 {
		m = append(m, MethodRecoveryCode)
	}
	return m
}

// StatusOf returns the user's second factors.
func (s *Service) StatusOf(ctx context.Context, tenantID, userID string) (*Status, error) {
	return statusIn(ctx, s.store, tenantID, userID)
}

// credentialReader is what reading a user's factors needs: the store, or a
// transaction.
type credentialReader interface {
	GetCredential(ctx context.Context, tenantID, userID string, typ iam.CredentialType, name string) (*iam.Credential, error)
	UserCredentials(ctx context.Context, tenantID, userID string, typ iam.CredentialType) ([]iam.Credential, error)
}

func statusIn(ctx context.Context, r credentialReader, tenantID, userID string) (*Status, error) {
	var st Status
	totp, err := r.GetCredential(ctx, tenantID, userID, iam.CredentialTOTP, "")
	switch {
	case err == nil:
		st.TOTP = totp.State == iam.CredentialActive
	case !iam.IsCode(err, iam.CodeNotFound):
		return nil, err
	}
	email, err := r.GetCredential(ctx, tenantID, userID, iam.CredentialEmailOTP, "")
	switch {
	case err == nil:
		st.Email = email.State == iam.CredentialActive
	case !iam.IsCode(err, iam.CodeNotFound):
		return nil, err
	}
	passkeys, err := r.UserCredentials(ctx, tenantID, userID, iam.CredentialWebAuthn)
	if err != nil {
		return nil, err
	}
	for _, p := range passkeys {
		if p.State == iam.CredentialActive {
			st.Passkeys++
		}
	}
	codes, err := r.UserCredentials(ctx, tenantID, userID, iam.CredentialRecoveryCode)
	if err != nil {
		return nil, err
	}
	for _, c := range codes {
		if c.State == iam.CredentialActive {
			st.RecoveryCodesLeft++
		}
	}
	return &st, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// event is an audit event about the user's own factors, acted by the caller.
func (s *Service) event(ctx context.Context, tenantID, userID, action, result string, details map[string]any) *iam.AuditEvent {
	return audit.Event(ctx, s.now(), tenantID, action, iam.Ref{Type: "user", ID: userID}, result, details)
}
