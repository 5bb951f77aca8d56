package access

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// TokenAuthenticator turns an access token into its principal; the authz API
// uses it for subjects given as tokens.
type TokenAuthenticator interface {
	Authenticate(ctx context.Context, raw string) (*iam.Principal, error)
}

// Store is what the authorization service reads outside transactions:
// users, service accounts and the tenant's roles, permissions and grants;
// anything inside them.
type Store interface {
	iam.Transactor
	GetUser(ctx context.Context, tenantID, id string) (*iam.User, error)
	GetServiceAccount(ctx context.Context, tenantID, id string) (*iam.ServiceAccount, error)
	iam.AccessStore
	iam.ServiceAccountAccessStore
}

// Service manages application permissions and roles, and decides what a
// subject may do.
type Service struct {
	store   Store
	tokens  TokenAuthenticator
	now     func() time.Time
	decider *decider
}

// New returns a Service.
func New(store Store, tokens TokenAuthenticator, now func() time.Time) *Service {
	utc := func() time.Time { return now().UTC().Truncate(time.Microsecond) }
	return &Service{store: store, tokens: tokens, now: utc, decider: newDecider(store, utc)}
}

// Invalidate drops every cached decision, after a change to who holds what.
func (s *Service) Invalidate() { s.decider.invalidate() }

// ChangeAccess runs change in one transaction that also bumps the tenant's
// access version, so that every replica soon drops its remembered decisions,
// and once it has committed calls changed, so that this replica drops them
// at once.
func ChangeAccess(ctx context.Context, store iam.Transactor, tenantID string, changed func(), change func(tx iam.Tx) error) error {
	err := store.InTx(ctx, func(tx iam.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		return tx.BumpAccessVersion(ctx, tenantID)
	})
	if err == nil {
		changed()
	}
	return err
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// ValidID reports whether id is a UUID in its canonical 36-character form, so
// that ids that cannot exist answer not found without a query.
func ValidID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}
