package pat

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/cache"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// Settings returns a tenant's policies.
type Settings interface {
	For(ctx context.Context, tenantID string) (*settings.Settings, error)
}

// StepUp decides whether the caller proved who they are recently enough
// to get a new credential (mfa.Service): CodeMFAReauthRequired when not.
type StepUp interface {
	RequireRecentProof(ctx context.Context, p *iam.Principal) error
}

// Store is what the service reads outside transactions, and anything inside
// them.
type Store interface {
	iam.Transactor
	iam.PATStore
	iam.AuditStore
	GetUser(ctx context.Context, tenantID, id string) (*iam.User, error)
	UserAdminRoles(ctx context.Context, tenantID, userID string) ([]iam.AdminRole, error)
}

// Deps are what the service is built from.
type Deps struct {
	Store    Store
	Settings Settings
	StepUp   StepUp
	Now      func() time.Time
}

// Service manages personal access tokens and authenticates them.
type Service struct {
	store    Store
	settings Settings
	stepUp   StepUp
	now      func() time.Time
	// states remembers a token's state by its hash for stateTTL, tagged
	// with its owner, so that changes to the owner forget it at once.
	states *cache.ByUser[*state]
	uses   *secret.UseLimiter
}

// stateTTL bounds how long a token's state is trusted without reading the
// store: the time a revocation made on another replica takes to apply here.
const stateTTL = time.Second

// maxStates bounds the cache of token states.
const maxStates = 100_000

// New returns a Service.
func New(d Deps) *Service {
	return &Service{store: d.Store, settings: d.Settings, stepUp: d.StepUp,
		now:    func() time.Time { return d.Now().UTC().Truncate(time.Microsecond) },
		states: cache.NewByUser[*state](stateTTL, maxStates), uses: secret.NewUseLimiter()}
}

// ForgetUser drops the remembered states of a user's tokens, so that a
// change to the user (disabled, deleted, admin roles taken) applies at once.
func (s *Service) ForgetUser(userID string) { s.states.ForgetUser(userID) }

// ForgetAll drops every remembered token state, after changes such as an
// admin role's permissions.
func (s *Service) ForgetAll() { s.states.ForgetAll() }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func tokenRef(id string) iam.Ref { return iam.Ref{Type: "personal_access_token", ID: id} }

type constError string

func (e constError) Error() string { return string(e) }

const errNoTenant = constError("no tenant in context")
