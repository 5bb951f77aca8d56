package account

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/cache"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Mailer queues a mail inside the caller's transaction, so that it is sent
// if and only if the change commits.
type Mailer interface {
	Queue(ctx context.Context, tx iam.Tx, tenantID, to, kind string, data map[string]string) error
}

// Settings returns a tenant's policies.
type Settings interface {
	For(ctx context.Context, tenantID string) (*settings.Settings, error)
}

// Store is what the account service reads and writes: users, their
// credentials, sessions and sign-in state, the admin roles a session's
// principal holds, and whether an organization makes a user have a second
// factor, outside transactions; anything inside them.
type Store interface {
	iam.Transactor
	iam.UserStore
	iam.CredentialStore
	iam.MFAStore
	iam.SessionStore
	iam.AccountStore
	iam.AuditStore
	UserAdminRoles(ctx context.Context, tenantID, userID string) ([]iam.AdminRole, error)
	UserInMFAOrganization(ctx context.Context, tenantID, userID string) (bool, error)
}

// Deps are what the account service is built from.
type Deps struct {
	Store    Store
	Hasher   *password.Hasher
	Issuer   *token.Issuer
	Settings Settings
	Mailer   Mailer
	// Factors checks second factors.
	Factors *mfa.Service
	// BaseURL returns a tenant's public base URL: where the links in its
	// mails point, and the issuer and audience of its access tokens.
	BaseURL func(*iam.Tenant) string
	// Passkeys verifies passwordless sign-ins with a passkey.
	Passkeys PasskeyVerifier
	// UserChanged tells the server's other caches of users (personal
	// access tokens, decisions) that a user's name or address changed;
	// nil when there are none.
	UserChanged func(userID string)
	Now         func() time.Time
}

// Service signs users in and out, runs their self-service account life
// cycle, and authenticates their tokens.
type Service struct {
	store    Store
	hasher   *password.Hasher
	issuer   *token.Issuer
	settings Settings
	mailer   Mailer
	factors  *mfa.Service
	baseURL  func(*iam.Tenant) string
	passkeys PasskeyVerifier
	// userChanged is Deps.UserChanged, never nil.
	userChanged func(userID string)
	now         func() time.Time
	// cache remembers session states by session id for principalTTL; a
	// nil principal records an inactive session.
	cache *cache.ByUser[*iam.Principal]
}

// New returns a Service.
func New(d Deps) *Service {
	utc := func() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }
	s := &Service{store: d.Store, hasher: d.Hasher, issuer: d.Issuer, settings: d.Settings, mailer: d.Mailer, factors: d.Factors,
		baseURL: d.BaseURL, passkeys: d.Passkeys, userChanged: d.UserChanged, now: utc,
		cache: cache.NewByUser[*iam.Principal](principalTTL, maxPrincipals)}
	if s.userChanged == nil {
		s.userChanged = func(string) {}
	}
	return s
}

// ForgetUser drops cached sessions of a user so that changes to them apply at once.
func (s *Service) ForgetUser(userID string) { s.cache.ForgetUser(userID) }

// ForgetAll drops every cached session.
func (s *Service) ForgetAll() { s.cache.ForgetAll() }

// Tokens is what a successful login or refresh answers.
type Tokens struct {
	AccessToken  string
	ExpiresIn    int
	RefreshToken string
	// Browser is set, and the tokens above empty, when the sign-in was a
	// browser's.
	Browser *BrowserSession
}

func tenantOf(ctx context.Context) (*iam.Tenant, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errNoTenant)
	}
	return t, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// tenantSettings is the request's tenant and its settings.
func (s *Service) tenantSettings(ctx context.Context) (*iam.Tenant, *settings.Settings, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.settings.For(ctx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	return t, st, nil
}

// tenantAndEmail is the request's tenant and a submitted email, normalised.
func tenantAndEmail(ctx context.Context, raw string) (*iam.Tenant, string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, "", err
	}
	email, err := directory.NormalizeEmail(raw)
	if err != nil {
		return nil, "", iam.Invalid("the request has invalid fields", map[string]string{"email": err.Error()})
	}
	return t, email, nil
}

type constError string

func (e constError) Error() string { return string(e) }

const (
	errNoTenant    = constError("no tenant in context")
	errOtherTenant = constError("a user or session of another tenant than the request's")
)
