package directory

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// AuthCache forgets what it remembers about a user's sessions, so that a
// disabled, deleted or demoted user loses access at once on this replica.
type AuthCache interface {
	ForgetUser(userID string)
	// ForgetAll drops everything, for changes such as an admin role's
	// permissions that reach many users.
	ForgetAll()
	// AccessChanged drops remembered authorization decisions, after a change
	// to memberships or groups.
	AccessChanged()
}

// Settings returns a tenant's policies.
type Settings interface {
	For(ctx context.Context, tenantID string) (*settings.Settings, error)
}

// Store is what the directory reads outside transactions: tenants, users,
// admins, organizations and groups; anything inside them.
type Store interface {
	iam.Transactor
	iam.TenantStore
	iam.UserStore
	iam.AdminStore
	iam.AccessStore
	iam.ServiceAccountStore
	iam.ServiceAccountAccessStore
	iam.SCIMAttributeStore
}

// Service manages tenants, users, admin roles and admins.
type Service struct {
	store    Store
	hasher   *password.Hasher
	cache    AuthCache
	settings Settings
	// issuerHost is the configured issuer's hostname, which reaches the
	// system tenant; no other tenant may claim it.
	issuerHost string
	reauth     Reauthenticated
	now        func() time.Time
}

// Reauthenticated decides whether the caller's session confirmed them
// recently (mfa.Service.RequireReauthenticated).
type Reauthenticated interface {
	RequireReauthenticated(ctx context.Context, p *iam.Principal) error
}

// New returns a Service for a server whose issuer's hostname is issuerHost
// (BaseURLs.SystemHost).
func New(store Store, hasher *password.Hasher, cache AuthCache, st Settings, issuerHost string, reauth Reauthenticated, now func() time.Time) *Service {
	return &Service{store: store, hasher: hasher, cache: cache, settings: st, issuerHost: issuerHost, reauth: reauth,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// errMembershipVanished: a membership just written is not there to read back.
var errMembershipVanished = errors.New("the membership just written is missing")

func notFound(what string) error { return iam.Errorf(iam.CodeNotFound, "%s not found", what) }

// hashPassword hashes a password that passed validation.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	h, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return "", iam.Internal(err)
	}
	return h, nil
}
