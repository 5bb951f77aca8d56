package application

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// Store is what the service reads outside transactions, and anything inside
// them.
type Store interface {
	iam.Transactor
	iam.ApplicationStore
	iam.ApplicationRoleStore
	iam.AuditStore
}

// Service manages applications, their secrets, roles and role mappings.
type Service struct {
	store   Store
	now     func() time.Time
	baseURL func(*iam.Tenant) string
	clients clientCache
}

// New returns a Service; baseURL is a tenant's public base URL, its issuer.
func New(store Store, baseURL func(*iam.Tenant) string, now func() time.Time) *Service {
	return &Service{store: store, baseURL: baseURL, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func appRef(id string) iam.Ref { return iam.Ref{Type: string(iam.PrincipalApplication), ID: id} }

func notFound() error { return iam.Errorf(iam.CodeNotFound, "application not found") }

func invalid(field, problem string) error {
	return iam.Invalid("the request has invalid fields", map[string]string{field: problem})
}

// clientIDPrefix starts every application's client id, so that a client id
// tells an application from a service account (sa_) at a glance.
const clientIDPrefix = "app_"

// newClientID is a random client id: 128 bits, not derived from the row id,
// so that it says nothing about the application.
func newClientID() string { return clientIDPrefix + strings.ToLower(rand.Text()) }

// Patch holds the settings to change; nil leaves one as it is (on create:
// at its default). Setting JWKS clears JWKSURI and the other way round, and
// leaving private_key_jwt clears both, so that a change needs name only
// what it changes.
type Patch struct {
	Name                     *string
	RedirectURIs             []string
	PostLogoutRedirectURIs   []string
	GrantTypes               []string
	TokenEndpointAuthMethod  *string
	JWKS                     *string
	JWKSURI                  *string
	AllowedScopes            []string
	AccessTokenFormat        *string
	AccessTokenTTL           *time.Duration
	RefreshTokenTTL          *time.Duration
	IDTokenSignedResponseAlg *string
	RequireConsent           *bool
	// ResourceURI names the application as a resource server; "" clears it.
	ResourceURI *string
	// APIAccess lets its users' tokens call Gatehouse's API as them.
	APIAccess *bool
}

func (p *Patch) apply(a *iam.Application) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if p.Name != nil {
		a.Name = strings.TrimSpace(*p.Name)
	}
	for _, l := range []struct{ dst, src *[]string }{
		{&a.RedirectURIs, &p.RedirectURIs}, {&a.PostLogoutRedirectURIs, &p.PostLogoutRedirectURIs},
		{&a.GrantTypes, &p.GrantTypes}, {&a.AllowedScopes, &p.AllowedScopes},
	} {
		if *l.src != nil {
			*l.dst = *l.src
		}
	}
	set(&a.TokenEndpointAuthMethod, p.TokenEndpointAuthMethod)
	if p.JWKS != nil {
		a.JWKS, a.JWKSURI = *p.JWKS, ""
	}
	if p.JWKSURI != nil {
		a.JWKSURI = *p.JWKSURI
		if p.JWKS == nil {
			a.JWKS = ""
		}
	}
	if p.TokenEndpointAuthMethod != nil && *p.TokenEndpointAuthMethod != iam.AuthPrivateKeyJWT && p.JWKS == nil && p.JWKSURI == nil {
		a.JWKS, a.JWKSURI = "", ""
	}
	set(&a.AccessTokenFormat, p.AccessTokenFormat)
	set(&a.IDTokenSignedResponseAlg, p.IDTokenSignedResponseAlg)
	if p.AccessTokenTTL != nil {
		a.AccessTokenTTL = *p.AccessTokenTTL
	}
	if p.RefreshTokenTTL != nil {
		a.RefreshTokenTTL = *p.RefreshTokenTTL
	}
	if p.RequireConsent != nil {
		a.RequireConsent = *p.RequireConsent
	}
	set(&a.ResourceURI, p.ResourceURI)
	if p.APIAccess != nil {
		a.APIAccess = *p.APIAccess
	}
}

// errAPIAccess refuses api_access to a caller who does not hold every
// permission: the application's tokens would act with all of its users'.
var errAPIAccess = &iam.Error{Code: iam.CodeForbidden, Message: "only a caller holding every permission (*) may give an application api_access",
	Details: map[string]any{"permission": permission.All}}

// mayGrantAPIAccess checks that the caller may turn api_access on.
func mayGrantAPIAccess(pr *iam.Principal, p Patch) error {
	if p.APIAccess != nil && *p.APIAccess && !permission.CoversPattern(pr.Permissions, permission.All) {
		return errAPIAccess
	}
	return nil
}

// errAPIAccessChange refuses a change of an application with api_access to a
// caller who does not hold every permission: new redirect URIs or a new
// secret would let it collect tokens that act with all of the users'.
var errAPIAccessChange = &iam.Error{Code: iam.CodeForbidden,
	Message: "only a caller holding every permission (*) may change, re-key or delete an application with api_access",
	Details: map[string]any{"permission": permission.All}}

// mayChange checks that the caller may change a, as stored.
func mayChange(pr *iam.Principal, a *iam.Application) error {
	if a.APIAccess && !permission.CoversPattern(pr.Permissions, permission.All) {
		return errAPIAccessChange
	}
	return nil
}

// checkNotIssuer refuses a resource_uri that is the tenant's own issuer: an
// access token for it would carry the issuer as its audience, which is what
// makes a token valid on /api/v1, so naming it would be api_access without
// the permission that needs.
func (s *Service) checkNotIssuer(ctx context.Context, a *iam.Application) error {
	t := iam.TenantFrom(ctx)
	if a.ResourceURI == "" || t == nil || !IsIssuer(a.ResourceURI, s.baseURL(t)) {
		return nil
	}
	return invalid("resource_uri", "is this tenant's issuer, which no application may name as its resource")
}

// WithSecret is an application with the client secret just issued to it,
// which is shown this once and never again (empty when its method uses
// none).
type WithSecret struct {
	Application  *iam.Application
	ClientSecret string
}

// Create adds an application of type typ (web, spa, native, machine) with
// the settings in p, the others at their defaults, and a client secret if
// its method uses one. Needs apps.write. Errors: CodeInvalid, CodeNameTaken.
func (s *Service) Create(ctx context.Context, typ string, p Patch) (*WithSecret, error) {
	pr, err := permission.Require(ctx, permission.AppsWrite)
	if err != nil {
		return nil, err
	}
	if _, ok := grantsByType[iam.ApplicationType(typ)]; !ok {
		return nil, invalid("type", "must be one of web, spa, native, machine")
	}
	if err := mayGrantAPIAccess(pr, p); err != nil {
		return nil, err
	}
	a := defaults(iam.ApplicationType(typ))
	p.apply(a)
	return s.create(ctx, pr.TenantID, a, "application.created")
}

// Register adds an application that registered itself (RFC 7591) at the
// tenant in ctx, whose policy lets anyone do so: it needs no permission,
// so it may only be a client of users' sign-ins (web, spa or native, the
// code flow), and its users must consent to it. Errors: CodeInvalid,
// CodeNameTaken.
func (s *Service) Register(ctx context.Context, typ iam.ApplicationType, p Patch) (*WithSecret, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Errorf(iam.CodeTenantNotFound, "no tenant")
	}
	if typ != iam.AppWeb && typ != iam.AppSPA && typ != iam.AppNative {
		return nil, invalid("type", "a registered client is web, spa or native")
	}
	for _, g := range p.GrantTypes {
		if g != GrantAuthorizationCode && g != GrantRefreshToken {
			return nil, invalid("grant_types", "a registered client uses authorization_code and refresh_token only")
		}
	}
	consent, format, api := true, "jwt", false
	p.RequireConsent, p.AccessTokenFormat, p.APIAccess = &consent, &format, &api
	a := defaults(typ)
	p.apply(a)
	return s.create(ctx, t.ID, a, "application.registered")
}

// create validates and inserts a new application of tenantID, with a
// client secret if its method uses one, and audits it as action.
func (s *Service) create(ctx context.Context, tenantID string, a *iam.Application, action string) (*WithSecret, error) {
	if err := validate(a); err != nil {
		return nil, err
	}
	if err := s.checkNotIssuer(ctx, a); err != nil {
		return nil, err
	}
	now := s.now()
	a.ID, a.TenantID, a.ClientID, a.CreatedAt, a.UpdatedAt = newID(), tenantID, newClientID(), now, now
	out := &WithSecret{Application: a}
	if iam.UsesSecret(a.TokenEndpointAuthMethod) {
		out.ClientSecret = secret.New(secret.ApplicationSecret)
		a.SecretHash = secret.Hash(out.ClientSecret)
	}
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateApplication(ctx, a); err != nil {
			return resourceTaken(err)
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, tenantID, action, appRef(a.ID), iam.ResultSuccess,
			map[string]any{"name": a.Name, "type": string(a.Type), "client_id": a.ClientID}))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns an application. Needs apps.read.
func (s *Service) Get(ctx context.Context, id string) (*iam.Application, error) {
	p, err := permission.Require(ctx, permission.AppsRead)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound()
	}
	return s.store.GetApplication(ctx, p.TenantID, id)
}

// List lists applications, of one type if q names one. Needs apps.read.
func (s *Service) List(ctx context.Context, q iam.ApplicationQuery) ([]iam.Application, int, error) {
	p, err := permission.Require(ctx, permission.AppsRead)
	if err != nil {
		return nil, 0, err
	}
	if _, ok := grantsByType[q.Type]; q.Type != "" && !ok {
		return nil, 0, invalid("type", "must be one of web, spa, native, machine")
	}
	return s.store.ListApplications(ctx, p.TenantID, q)
}

// Update changes an application's settings, if it meets pre; the result is
// validated whole. Leaving a method that uses a secret drops the secret;
// coming to one leaves the application without one until RotateSecret.
// Needs apps.write. Errors: CodeInvalid, CodeNotFound, CodeNameTaken,
// CodePreconditionFailed.
func (s *Service) Update(ctx context.Context, id string, patch Patch, pre iam.Precondition) (*iam.Application, error) {
	p, err := permission.Require(ctx, permission.AppsWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound()
	}
	if err := mayGrantAPIAccess(p, patch); err != nil {
		return nil, err
	}
	var a *iam.Application
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if a, err = locked(ctx, tx, p.TenantID, id, pre); err != nil {
			return err
		}
		if err := mayChange(p, a); err != nil {
			return err
		}
		patch.apply(a)
		if err := validate(a); err != nil {
			return err
		}
		if err := s.checkNotIssuer(ctx, a); err != nil {
			return err
		}
		if !iam.UsesSecret(a.TokenEndpointAuthMethod) {
			a.SecretHash = ""
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return resourceTaken(err)
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, a.UpdatedAt, p.TenantID, "application.updated", appRef(id), iam.ResultSuccess,
			map[string]any{"name": a.Name, "client_id": a.ClientID}))
	})
	if err != nil {
		return nil, err
	}
	s.clients.forgetAll()
	return a, nil
}

// Delete removes an application, if it meets pre, with its roles and their
// mappings. Needs apps.write.
func (s *Service) Delete(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.AppsWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(id) {
		return notFound()
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		a, err := locked(ctx, tx, p.TenantID, id, pre)
		if err != nil {
			return err
		}
		if err := mayChange(p, a); err != nil {
			return err
		}
		if err := tx.DeleteApplication(ctx, p.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "application.deleted", appRef(id), iam.ResultSuccess,
			map[string]any{"name": a.Name, "client_id": a.ClientID}))
	})
	if err == nil {
		s.clients.forgetAll()
	}
	return err
}

// RotateSecret issues the application a new client secret; the one before
// stops working at once on this replica, within clientTTL on the others. Needs apps.write. Errors: CodeNotFound,
// CodeStateConflict when its method uses no secret.
func (s *Service) RotateSecret(ctx context.Context, id string) (*WithSecret, error) {
	p, err := permission.Require(ctx, permission.AppsWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound()
	}
	raw := secret.New(secret.ApplicationSecret)
	var a *iam.Application
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if a, err = locked(ctx, tx, p.TenantID, id, iam.Precondition{}); err != nil {
			return err
		}
		if err := mayChange(p, a); err != nil {
			return err
		}
		if !iam.UsesSecret(a.TokenEndpointAuthMethod) {
			return iam.Errorf(iam.CodeStateConflict, "this application authenticates with %s, not a client secret", a.TokenEndpointAuthMethod)
		}
		a.SecretHash, a.UpdatedAt = secret.Hash(raw), s.now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, a.UpdatedAt, p.TenantID, "application.secret_rotated", appRef(id), iam.ResultSuccess,
			map[string]any{"client_id": a.ClientID}))
	})
	if err != nil {
		return nil, err
	}
	s.clients.forgetAll()
	return &WithSecret{Application: a, ClientSecret: raw}, nil
}

// resourceTaken names the conflict of a resource URI that another
// application holds (a client id conflict being out of reach: 128 random
// bits).
func resourceTaken(err error) error {
	if iam.IsCode(err, iam.CodeConflict) {
		return &iam.Error{Code: iam.CodeConflict, Message: "another application of this tenant has that resource_uri",
			Details: map[string]any{"fields": map[string]string{"resource_uri": "is another application's"}}, Err: err}
	}
	return err
}

// locked reads the application with its row held and checks pre.
func locked(ctx context.Context, tx iam.Tx, tenantID, id string, pre iam.Precondition) (*iam.Application, error) {
	a, err := tx.GetApplicationForUpdate(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return a, pre.Check(a.Version)
}
