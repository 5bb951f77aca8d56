package account

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Lifetimes of sessions.
type Lifetimes struct {
	// Idle ends a session not kept logged in after this long without a refresh.
	Idle time.Duration
	// Remembered is the whole life of a keep-logged-in session.
	Remembered time.Duration
}

// DefaultLifetimes: 12 hours idle, 30 days remembered.
var DefaultLifetimes = Lifetimes{Idle: 12 * time.Hour, Remembered: 30 * 24 * time.Hour}

// Service signs users in and out and authenticates their tokens.
type Service struct {
	store     iam.Store
	hasher    *password.Hasher
	issuer    *token.Issuer
	lifetimes Lifetimes
	now       func() time.Time
	cache     *principalCache
}

// New returns a Service.
func New(store iam.Store, hasher *password.Hasher, issuer *token.Issuer, lifetimes Lifetimes, now func() time.Time) *Service {
	utc := func() time.Time { return now().UTC().Truncate(time.Microsecond) }
	return &Service{store: store, hasher: hasher, issuer: issuer, lifetimes: lifetimes, now: utc, cache: newPrincipalCache(utc)}
}

// ForgetUser drops cached sessions of a user so that changes to them apply at once.
func (s *Service) ForgetUser(userID string) { s.cache.forgetUser(userID) }

// ForgetAll drops every cached session.
func (s *Service) ForgetAll() { s.cache.forgetAll() }

// Tokens is what a successful login or refresh answers.
type Tokens struct {
	AccessToken  string
	ExpiresIn    int
	RefreshToken string
}

func tenantOf(ctx context.Context) (*iam.Tenant, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errNoTenant)
	}
	return t, nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errNoTenant = constError("no tenant in context")
