package apicredential

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// Kind is one of the two kinds of credential: who owns it, the prefix of its
// secret, and how messages and audit events name it.
type Kind struct {
	Owner  iam.PrincipalKind
	Secret secret.Kind
	// Noun names the kind in messages.
	Noun string
	// Action prefixes the kind's audit actions.
	Action string
}

// The kinds.
var (
	APICredentials     = Kind{Owner: iam.PrincipalUser, Secret: secret.APICredential, Noun: "API credential", Action: "api_credential"}
	ServiceCredentials = Kind{Owner: iam.PrincipalServiceAccount, Secret: secret.ServiceCredential, Noun: "service credential", Action: "service_credential"}
)

// Store is what the service reads outside transactions, and anything inside
// them.
type Store interface {
	iam.Transactor
	iam.APICredentialStore
	iam.LeaseStore
	iam.AuditStore
	GetUser(ctx context.Context, tenantID, id string) (*iam.User, error)
	UserAdminRoles(ctx context.Context, tenantID, userID string) ([]iam.AdminRole, error)
	GetOrganization(ctx context.Context, tenantID, id string) (*iam.Organization, error)
	GetOrganizationByAlias(ctx context.Context, tenantID, alias string) (*iam.Organization, error)
	GetMember(ctx context.Context, tenantID, orgID, userID string) (*iam.Member, error)
}

// StepUp checks that a user caller proved who they are recently, with a
// second factor when they have one (mfa.Service): CodeMFAReauthRequired
// otherwise.
type StepUp interface {
	RequireRecentProof(ctx context.Context, p *iam.Principal) error
}

// ServiceAccounts gives the principal a service credential authenticates
// as: the service account with the permissions it holds. CodeNotFound when
// the account does not exist in the tenant or may not sign in.
type ServiceAccounts interface {
	ServiceAccountPrincipal(ctx context.Context, tenantID, id string) (*iam.Principal, error)
}

// Mailer queues a mail inside the caller's transaction.
type Mailer interface {
	Queue(ctx context.Context, tx iam.Tx, tenantID, to, kind string, data map[string]string) error
}

// Deps are what the service is built from.
type Deps struct {
	Store           Store
	StepUp          StepUp
	ServiceAccounts ServiceAccounts
	Mailer          Mailer
	Now             func() time.Time
}

// Service runs the life cycle of API and service credentials.
type Service struct {
	store    Store
	stepUp   StepUp
	accounts ServiceAccounts
	mailer   Mailer
	uses     *secret.UseLimiter
	now      func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	s := &Service{store: d.Store, stepUp: d.StepUp, accounts: d.ServiceAccounts, mailer: d.Mailer, uses: secret.NewUseLimiter(),
		now: func() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }}
	return s
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (k Kind) ref(id string) iam.Ref { return iam.Ref{Type: k.Action, ID: id} }
