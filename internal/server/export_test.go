package server

import (
	"context"
	"maps"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/application"
	"github.com/gatehouse-iam/gatehouse/internal/authn"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/serviceaccount"
)

// UseOpaqueVerifier makes the bearer chain verify secrets starting with
// prefix with a, as the machine-identity capabilities will register theirs.
// Call it before the server answers requests.
func (s *Server) UseOpaqueVerifier(prefix string, a authn.Authenticator) {
	opaque := maps.Clone(s.opaque)
	opaque[prefix] = a
	s.authn = authn.NewChain(s.account, opaque)
}

// AuthenticateSCIM is the SCIM token lookup of the SCIM surface: the tenant
// of the token.
func (s *Server) AuthenticateSCIM(ctx context.Context, raw string) (string, error) {
	p, err := s.scimTokens.AuthenticateSCIM(ctx, raw)
	if err != nil {
		return "", err
	}
	return p.TenantID, nil
}

// Mux returns the mux of a surface ("rest", "oauth" or "ops"), so that a test
// can add a route behind that surface's middleware.
func (s *Server) Mux(surface string) *http.ServeMux {
	switch surface {
	case "rest":
		return s.mux.rest
	case "oauth":
		return s.mux.oauth
	case "ops":
		return s.mux.ops
	case "f5":
		return s.mux.f5
	case "scim":
		return s.mux.scim
	}
	panic("no surface " + surface)
}

// SessionMFAAt returns when a session last passed a second factor.
func (s *Server) SessionMFAAt(ctx context.Context, tenantID, sessionID string) (*time.Time, error) {
	sess, err := s.store.GetSession(ctx, tenantID, sessionID)
	if err != nil {
		return nil, err
	}
	return sess.MFAAt, nil
}

// ServiceAccounts returns the service-account service, for the methods the
// OAuth provider will call.
func (s *Server) ServiceAccounts() *serviceaccount.Service { return s.serviceAccounts }

// Applications returns the application service, for the methods the OAuth
// provider will call.
func (s *Server) Applications() *application.Service { return s.applications }

// WarnExpiringCredentials runs one round of the expiry warnings as holder,
// with the configured window and interval.
func (s *Server) WarnExpiringCredentials(ctx context.Context, holder string) (bool, int, error) {
	return s.apiCredentials.WarnRound(ctx, holder, s.cfg.CredentialExpiryWarning, s.cfg.CredentialExpiryCheck)
}

// Account returns the account service, for the calls the hosted pages make
// to it directly.
func (s *Server) Account() *account.Service { return s.account }

// TenantContext returns ctx carrying the tenant serving hostname, or the
// system tenant for "", as a request's context carries it.
func (s *Server) TenantContext(ctx context.Context, hostname string) (context.Context, error) {
	var (
		t   *iam.Tenant
		err error
	)
	if hostname == "" {
		t, err = s.store.SystemTenant(ctx)
	} else {
		t, err = s.store.TenantByHostname(ctx, hostname)
	}
	if err != nil {
		return nil, err
	}
	return iam.WithTenant(ctx, t), nil
}

// LinkIdentity links the subject of the provider to the user of the
// system tenant, as a first federated sign-in would.
func (s *Server) LinkIdentity(ctx context.Context, providerID, userID, subject string) error {
	t, err := s.store.SystemTenant(ctx)
	if err != nil {
		return err
	}
	return s.store.CreateFederatedIdentity(ctx, &iam.FederatedIdentity{ID: uuid.Must(uuid.NewV7()).String(), TenantID: t.ID,
		ProviderID: providerID, UserID: userID, Subject: subject, Email: subject + "@example.com", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)})
}

// StoreResourceURI sets an application's resource URI in the store, past
// the service's checks, as a row written before a check existed would be.
func (s *Server) StoreResourceURI(ctx context.Context, tenantID, id, uri string) error {
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		a, err := tx.GetApplicationForUpdate(ctx, tenantID, id)
		if err != nil {
			return err
		}
		a.ResourceURI = uri
		return tx.UpdateApplication(ctx, a)
	})
}
