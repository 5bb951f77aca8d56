package passkey

import (
	"context"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Store is what the passkey service reads and writes: users, their
// credentials, ceremony challenges and the audit log.
type Store interface {
	iam.Transactor
	iam.UserStore
	iam.CredentialStore
	iam.MFAStore
	iam.AuditStore
}

// RelyingParties names the WebAuthn relying party of each tenant. The system
// tenant, and every request in single-tenant mode, uses ID and Origins (from
// webauthn_rp_id and webauthn_rp_origins). In multi-tenant mode another
// tenant's relying party id is its primary hostname and its one origin that
// of its base URL, so its passkeys work on its own host only.
type RelyingParties struct {
	ID          string
	Origins     []string
	MultiTenant bool
	// BaseURL returns a tenant's public base URL (directory.BaseURLs.Of).
	BaseURL func(*iam.Tenant) string
}

// StepUp decides whether the caller passed a second factor recently enough
// to change their factors, or proved who they are recently enough to add
// one, and whether policy lets them go without one (mfa.Service).
type StepUp interface {
	RequireRecent(ctx context.Context, p *iam.Principal) error
	RequireRecentProof(ctx context.Context, p *iam.Principal) error
	KeepRequiredFactor(ctx context.Context, tx iam.Tx, tenantID, userID string) error
}

// Deps are what the passkey service is built from.
type Deps struct {
	Store          Store
	RelyingParties RelyingParties
	StepUp         StepUp
	Now            func() time.Time
}

// Service registers, lists, renames and removes the caller's passkeys, and
// verifies passkey assertions.
type Service struct {
	store  Store
	rp     RelyingParties
	stepUp StepUp
	now    func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	utc := func() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }
	return &Service{store: d.Store, rp: d.RelyingParties, stepUp: d.StepUp, now: utc}
}

// challengeTTL is how long a ceremony may take between its begin and finish.
const challengeTTL = 5 * time.Minute

// tokenPrefix marks the tokens that carry a ceremony from begin to finish.
const tokenPrefix = "ghk_"

// maxPasskeys bounds the passkeys of one user, so that the list every
// second-factor assertion offers stays short.
const maxPasskeys = 20

var errUnavailable = iam.Errorf(iam.CodeUnavailable,
	"passkeys are not available on this host: its relying party id must be a domain name (webauthn_rp_id)")

// relyingParty returns the WebAuthn relying party of tenant t.
func (s *Service) relyingParty(t *iam.Tenant) (*webauthn.WebAuthn, error) {
	id, origins := s.rp.ID, s.rp.Origins
	if s.rp.MultiTenant && !t.System {
		base := s.rp.BaseURL(t)
		u, err := url.Parse(base)
		if base == "" || err != nil {
			return nil, errUnavailable
		}
		id, origins = strings.ToLower(u.Hostname()), []string{u.Scheme + "://" + strings.ToLower(u.Host)}
	}
	if id == "" || net.ParseIP(id) != nil || len(origins) == 0 {
		return nil, errUnavailable
	}
	name := t.Name
	if name == "" {
		name = "Gatehouse"
	}
	wa, err := webauthn.New(&webauthn.Config{RPID: id, RPDisplayName: name, RPOrigins: origins})
	if err != nil {
		return nil, iam.Internal(err)
	}
	return wa, nil
}

// tenantOf is the request's tenant.
func tenantOf(ctx context.Context) (*iam.Tenant, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errNoTenant)
	}
	return t, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

type constError string

func (e constError) Error() string { return string(e) }

const (
	errNoTenant    = constError("no tenant in context")
	errOtherTenant = constError("a user of another tenant than the request's")
)
