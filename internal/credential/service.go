package credential

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// Settings returns a tenant's policies.
type Settings interface {
	For(ctx context.Context, tenantID string) (*settings.Settings, error)
}

// Store is what the credential service reads outside transactions, and
// anything inside them.
type Store interface {
	iam.Transactor
	iam.CredentialStore
	iam.AuditStore
	GetUser(ctx context.Context, tenantID, id string) (*iam.User, error)
	GetUserByExternalID(ctx context.Context, tenantID, externalID string) (*iam.User, error)
	TenantByExternalID(ctx context.Context, externalID string) (*iam.Tenant, error)
	UserAdminRoles(ctx context.Context, tenantID, userID string) ([]iam.AdminRole, error)
}

// Factors is what the service asks of second factors (mfa.Service): spending
// a recovery code, and whether the caller passed a second factor recently
// enough to create a credential.
type Factors interface {
	UseRecoveryCode(ctx context.Context, tx iam.Tx, tenantID, userID, code string) error
	RequireRecent(ctx context.Context, p *iam.Principal) error
}

// Service manages and verifies users' credentials.
type Service struct {
	store    Store
	hasher   *password.Hasher
	settings Settings
	factors  Factors
	now      func() time.Time
}

// New returns a Service.
func New(store Store, hasher *password.Hasher, st Settings, factors Factors, now func() time.Time) *Service {
	return &Service{store: store, hasher: hasher, settings: st, factors: factors,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

// UserRef names a user by id or by external id.
type UserRef struct {
	ID         string
	ExternalID string
}

// externalPrefix marks a user named by external id in a REST path.
const externalPrefix = "ext:"

// ParseUserRef reads a REST path's user: an id, or "ext:" and an external id.
func ParseUserRef(s string) UserRef {
	if ext, ok := strings.CutPrefix(s, externalPrefix); ok {
		return UserRef{ExternalID: ext}
	}
	return UserRef{ID: s}
}

// String is how messages name the user: as the caller named them.
func (r UserRef) String() string {
	if r.ExternalID != "" {
		return r.ExternalID
	}
	return r.ID
}

// userReader is what finding a user needs: the store, or a transaction.
type userReader interface {
	GetUser(ctx context.Context, tenantID, id string) (*iam.User, error)
	GetUserByExternalID(ctx context.Context, tenantID, externalID string) (*iam.User, error)
}

// user finds the user ref names in the tenant; CodeNotFound when there is
// none, with an id that is no UUID or an empty external id included.
func user(ctx context.Context, store userReader, tenantID string, ref UserRef) (*iam.User, error) {
	switch {
	case ref.ExternalID != "":
		return store.GetUserByExternalID(ctx, tenantID, ref.ExternalID)
	case access.ValidID(ref.ID):
		return store.GetUser(ctx, tenantID, ref.ID)
	}
	return nil, iam.Errorf(iam.CodeNotFound, "user not found")
}

// Client finds the tenant nevisIDM's API names by its external id (its
// client). CodeNoRecord when there is none.
func (s *Service) Client(ctx context.Context, externalID string) (*iam.Tenant, error) {
	t, err := s.store.TenantByExternalID(ctx, externalID)
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && externalID == "") {
		return nil, NoClient(externalID)
	}
	return t, err
}

// RefuseCaller audits a caller refused by the client t because its token
// does not authenticate there (cause), and answers as for an unknown client.
func (s *Service) RefuseCaller(ctx context.Context, t *iam.Tenant, cause error) error {
	e := audit.Event(ctx, s.now(), t.ID, "credential.verify", iam.Ref{Type: "client", ID: t.ExternalID}, iam.ResultFailure,
		map[string]any{"reason": "caller_not_in_client", "error": string(iam.ErrorCode(cause))})
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return err
	}
	return NoClient(t.ExternalID)
}

// NoClient is the answer for a client that does not exist, or that the
// caller may not see: both answer alike.
func NoClient(externalID string) error {
	return &iam.Error{Code: iam.CodeNoRecord, Message: "There is no client with external identifier '" + externalID + "'",
		Details: map[string]any{"client": externalID}}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

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

func userRef(id string) iam.Ref { return iam.Ref{Type: "user", ID: id} }
