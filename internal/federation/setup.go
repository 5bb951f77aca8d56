package federation

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// The lifetimes of set-up links: the default, and the longest an admin
// may ask for.
const (
	SetupLinkTTL    = 72 * time.Hour
	MaxSetupLinkTTL = 14 * 24 * time.Hour
)

// maxSetupDomains bounds the domains one set-up link proves.
const maxSetupDomains = 20

// Resolver looks up DNS TXT records (net.Resolver does).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// SetupRecordPrefix is the label the TXT record proving a domain goes
// under: _gatehouse-challenge.example.com.
const SetupRecordPrefix = "_gatehouse-challenge."

func setupLinkRef(id string) iam.Ref { return iam.Ref{Type: "sso_setup_link", ID: id} }

var errSetupLink = iam.Errorf(iam.CodeInvalidToken, "this set-up link is not valid: it may have expired or been used")

// CreateSetupLink makes a one-time link for an organization's IT admin to
// set up its SSO: the provider, and the email domains it proves. It
// answers the link's secret, shown once. Needs federated.manage. Errors:
// CodeNotFound for an organization not of the tenant, CodeInvalid for a
// lifetime over MaxSetupLinkTTL.
func (s *Service) CreateSetupLink(ctx context.Context, orgID string, ttl time.Duration) (string, *iam.SSOSetupLink, error) {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return "", nil, err
	}
	if ttl == 0 {
		ttl = SetupLinkTTL
	}
	if ttl < time.Hour || ttl > MaxSetupLinkTTL {
		return "", nil, iam.Invalid("the request has invalid fields", map[string]string{"expires_in_hours": "must be between 1 and 336"})
	}
	if _, err := uuid.Parse(orgID); err != nil {
		return "", nil, iam.Errorf(iam.CodeNotFound, "organization not found")
	}
	now := s.now()
	raw := secret.New(secret.SetupLink)
	l := &iam.SSOSetupLink{ID: uuid.Must(uuid.NewV7()).String(), TenantID: p.TenantID, OrganizationID: orgID, TokenHash: secret.Hash(raw),
		ProviderID: uuid.Must(uuid.NewV7()).String(), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if _, err := tx.GetOrganization(ctx, p.TenantID, orgID); err != nil {
			return err
		}
		if err := tx.CreateSSOSetupLink(ctx, l); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "sso_setup_link.created", setupLinkRef(l.ID), iam.ResultSuccess,
			map[string]any{"organization_id": orgID, "expires_at": l.ExpiresAt}))
	})
	if err != nil {
		return "", nil, err
	}
	return raw, l, nil
}

// SetupLinks lists an organization's set-up links, newest first. Needs
// federated.manage.
func (s *Service) SetupLinks(ctx context.Context, orgID string) ([]iam.SSOSetupLink, error) {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(orgID); err != nil {
		return nil, iam.Errorf(iam.CodeNotFound, "organization not found")
	}
	if _, err := s.store.GetOrganization(ctx, p.TenantID, orgID); err != nil {
		return nil, err
	}
	return s.store.ListSSOSetupLinks(ctx, p.TenantID, orgID)
}

// RevokeSetupLink removes an organization's set-up link: it stops working.
// What it set up stays. Needs federated.manage.
func (s *Service) RevokeSetupLink(ctx context.Context, orgID, id string) error {
	p, err := permission.Require(ctx, permission.FederatedManage)
	if err != nil {
		return err
	}
	if _, err := uuid.Parse(id); err != nil {
		return iam.Errorf(iam.CodeNotFound, "sso setup link not found")
	}
	if _, err := uuid.Parse(orgID); err != nil {
		return iam.Errorf(iam.CodeNotFound, "sso setup link not found")
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.DeleteSSOSetupLink(ctx, p.TenantID, orgID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "sso_setup_link.revoked", setupLinkRef(id), iam.ResultSuccess,
			map[string]any{"organization_id": orgID}))
	})
}

// Setup is a set-up link as its page shows it.
type Setup struct {
	Link             *iam.SSOSetupLink
	OrganizationName string
	// Provider is the provider set up so far, nil before.
	Provider *Provider
	// What the IT admin registers with the identity provider.
	RedirectURI, SPMetadataURL, ACSURL string
}

// SetupRecord is the DNS TXT record that proves domain for the link.
func SetupRecord(l *iam.SSOSetupLink, domain string) (name, value string) {
	sum := sha256.Sum256([]byte("gatehouse-domain:" + l.ID + ":" + domain))
	code := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20]))
	return SetupRecordPrefix + domain, "gatehouse-domain-verification=" + code
}

// OpenSetup reads the set-up link raw of the tenant in ctx. Errors:
// CodeInvalidToken for a link unknown, expired or completed.
func (s *Service) OpenSetup(ctx context.Context, raw string) (*Setup, error) {
	t, l, err := s.setupLink(ctx, s.store, raw)
	if err != nil {
		return nil, err
	}
	org, err := s.store.GetOrganization(ctx, t.ID, l.OrganizationID)
	if err != nil {
		return nil, err
	}
	base := s.baseURL(t)
	out := &Setup{Link: l, OrganizationName: org.Name, RedirectURI: CallbackURL(base, l.ProviderID),
		SPMetadataURL: SPMetadataURL(base, l.ProviderID), ACSURL: ACSURL(base, l.ProviderID)}
	fp, err := s.store.GetFederatedProvider(ctx, t.ID, l.ProviderID)
	switch {
	case err == nil:
		if out.Provider, err = read(fp); err != nil {
			return nil, err
		}
	case !iam.IsCode(err, iam.CodeNotFound):
		return nil, err
	}
	return out, nil
}

// setupLinkReader reads set-up links (the store, or a transaction).
type setupLinkReader interface {
	GetSSOSetupLinkByHash(ctx context.Context, tenantID, hash string) (*iam.SSOSetupLink, error)
}

// setupLink finds the live link raw of the tenant in ctx.
func (s *Service) setupLink(ctx context.Context, r setupLinkReader, raw string) (*iam.Tenant, *iam.SSOSetupLink, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, nil, iam.Errorf(iam.CodeTenantNotFound, "no tenant")
	}
	if kind, ok := secret.Parse(raw); !ok || kind != secret.SetupLink {
		return nil, nil, errSetupLink
	}
	l, err := r.GetSSOSetupLinkByHash(ctx, t.ID, secret.Hash(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil, errSetupLink
	}
	if err != nil {
		return nil, nil, err
	}
	if l.CompletedAt != nil || !s.now().Before(l.ExpiresAt) {
		return nil, nil, errSetupLink
	}
	return t, l, nil
}

// changeSetup runs change on the live link raw in a transaction holding
// its row, then writes the link and records action.
func (s *Service) changeSetup(ctx context.Context, raw, action string, change func(tx iam.Tx, t *iam.Tenant, l *iam.SSOSetupLink) (map[string]any, error)) error {
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		t, found, err := s.setupLink(ctx, tx, raw)
		if err != nil {
			return err
		}
		l, err := tx.GetSSOSetupLinkForUpdate(ctx, t.ID, found.ID)
		if err != nil {
			return err
		}
		if l.CompletedAt != nil {
			return errSetupLink
		}
		details, err := change(tx, t, l)
		if err != nil {
			return err
		}
		if err := tx.UpdateSSOSetupLink(ctx, l); err != nil {
			return err
		}
		e := audit.Event(ctx, s.now(), t.ID, action, setupLinkRef(l.ID), iam.ResultSuccess, details)
		e.Actor = setupLinkRef(l.ID)
		return tx.AppendAudit(ctx, e)
	})
}

// SetupInput is the identity provider an IT admin describes: SAML by its
// metadata, or OpenID Connect by issuer and client.
type SetupInput struct {
	Kind         iam.ProviderKind
	MetadataURL  string
	MetadataXML  string
	Issuer       string
	ClientID     string
	ClientSecret string
}

// SetupProvider creates or changes the link's provider: the
// organization's, disabled until the set-up is completed, provisioning
// people on first sign-in. Errors: CodeInvalidToken, CodeInvalid.
func (s *Service) SetupProvider(ctx context.Context, raw string, in SetupInput) error {
	return s.changeSetup(ctx, raw, "sso_setup_link.provider_set", func(tx iam.Tx, t *iam.Tenant, l *iam.SSOSetupLink) (map[string]any, error) {
		if in.Kind != iam.ProviderOIDC && in.Kind != iam.ProviderSAML {
			return nil, iam.Invalid("the request has invalid fields", map[string]string{"kind": "must be saml or oidc"})
		}
		if in.Kind == iam.ProviderOIDC && publicIssuer(in.Issuer) {
			// Anyone has an account there: it cannot speak for one
			// company's domains. Its workspace products have SAML.
			return nil, iam.Invalid("the request has invalid fields", map[string]string{"issuer": "is a public provider's: use your organization's own issuer, or SAML"})
		}
		// The tenant's lock orders changes of providers, as Create's.
		if err := tx.LockTenant(ctx, t.ID); err != nil {
			return nil, err
		}
		org, err := tx.GetOrganization(ctx, t.ID, l.OrganizationID)
		if err != nil {
			return nil, err
		}
		now := s.now()
		input := Input{Name: setupProviderName(org.Name, l.ProviderID), Kind: in.Kind, OrganizationID: l.OrganizationID, JITProvisioning: true,
			LinkPolicy: LinkVerifiedEmail, ClientSecret: in.ClientSecret,
			Settings: Settings{MetadataURL: in.MetadataURL, MetadataXML: in.MetadataXML, Issuer: in.Issuer, ClientID: in.ClientID}}
		fp, err := tx.GetFederatedProviderForUpdate(ctx, t.ID, l.ProviderID)
		creating := iam.IsCode(err, iam.CodeNotFound)
		switch {
		case creating:
			fp = &iam.FederatedProvider{ID: l.ProviderID, TenantID: t.ID, CreatedAt: now}
		case err != nil:
			return nil, err
		case fp.Enabled:
			// Only an admin enables a provider before the set-up is
			// complete, and an admin's change ends the link.
			return nil, errSetupLink
		default:
			current, err := read(fp)
			if err != nil {
				return nil, err
			}
			input.Name = current.Name
			if in.Kind == current.Kind && in.Kind == iam.ProviderSAML {
				input.Settings.SPCertificate = current.Settings.SPCertificate
			}
		}
		fp.UpdatedAt = now
		out, err := s.apply(ctx, tx, fp, input)
		if err != nil {
			return nil, err
		}
		if creating {
			err = tx.CreateFederatedProvider(ctx, fp)
		} else {
			err = tx.UpdateFederatedProvider(ctx, fp)
		}
		if err != nil {
			return nil, err
		}
		// What the admins reading the log need: which IdP was trusted.
		return map[string]any{"provider_id": fp.ID, "kind": string(fp.Kind), "source": identitySource(out)}, nil
	})
}

// AddSetupDomain adds an email domain for the link to prove. Errors:
// CodeInvalidToken, CodeInvalid.
func (s *Service) AddSetupDomain(ctx context.Context, raw, domain string) error {
	return s.changeSetup(ctx, raw, "sso_setup_link.domain_added", func(_ iam.Tx, _ *iam.Tenant, l *iam.SSOSetupLink) (map[string]any, error) {
		f := fields{}
		names := f.domains([]string{domain})
		if len(names) != 1 {
			f["domain"] = "must be an email domain such as example.com"
		}
		if err := f.err(); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(l.Domains, func(d iam.SetupDomain) bool { return d.Name == names[0] }) {
			if len(l.Domains) >= maxSetupDomains {
				return nil, iam.Invalid("the request has invalid fields", map[string]string{"domain": "at most 20 domains"})
			}
			l.Domains = append(l.Domains, iam.SetupDomain{Name: names[0]})
		}
		return map[string]any{"domain": names[0]}, nil
	})
}

// VerifySetupDomain looks up the domain's TXT record and, when it holds
// the link's value, marks the domain verified. Errors: CodeInvalidToken,
// CodeNotFound for a domain not added, CodeStateConflict when the record
// is not found (yet).
func (s *Service) VerifySetupDomain(ctx context.Context, raw, domain string) error {
	t, l, err := s.setupLink(ctx, s.store, raw)
	if err != nil {
		return err
	}
	domain = strings.ToLower(strings.TrimSpace(domain))
	if !slices.ContainsFunc(l.Domains, func(d iam.SetupDomain) bool { return d.Name == domain }) {
		return iam.Errorf(iam.CodeNotFound, "add the domain first")
	}
	name, want := SetupRecord(l, domain)
	// The lookup runs outside any transaction: DNS may be slow. The name
	// is absolute, so that no search domain of the resolver is tried.
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	records, lookupErr := s.resolver.LookupTXT(lctx, name+".")
	if lookupErr != nil || !slices.Contains(records, want) {
		e := audit.Event(ctx, s.now(), t.ID, "sso_setup_link.domain_verified", setupLinkRef(l.ID), iam.ResultFailure,
			map[string]any{"domain": domain})
		e.Actor = setupLinkRef(l.ID)
		if err := s.store.AppendAudit(ctx, e); err != nil {
			return err
		}
		return iam.Errorf(iam.CodeStateConflict, "the TXT record %s was not found with the value given", name)
	}
	return s.changeSetup(ctx, raw, "sso_setup_link.domain_verified", func(_ iam.Tx, _ *iam.Tenant, l *iam.SSOSetupLink) (map[string]any, error) {
		now := s.now()
		for i := range l.Domains {
			if l.Domains[i].Name == domain && l.Domains[i].VerifiedAt == nil {
				l.Domains[i].VerifiedAt = &now
			}
		}
		return map[string]any{"domain": domain}, nil
	})
}

// CompleteSetup turns the provider on for the verified domains and ends
// the link. Errors: CodeInvalidToken; CodeStateConflict without a provider
// or a verified domain; CodeInvalid when a domain leads to another
// provider of the tenant.
func (s *Service) CompleteSetup(ctx context.Context, raw string) (string, error) {
	var providerID string
	err := s.changeSetup(ctx, raw, "sso_setup_link.completed", func(tx iam.Tx, t *iam.Tenant, l *iam.SSOSetupLink) (map[string]any, error) {
		var verified []string
		for _, d := range l.Domains {
			if d.VerifiedAt != nil {
				verified = append(verified, d.Name)
			}
		}
		if len(verified) == 0 {
			return nil, iam.Errorf(iam.CodeStateConflict, "verify at least one domain first")
		}
		if err := tx.LockTenant(ctx, t.ID); err != nil {
			return nil, err
		}
		fp, err := tx.GetFederatedProviderForUpdate(ctx, t.ID, l.ProviderID)
		if iam.IsCode(err, iam.CodeNotFound) {
			return nil, iam.Errorf(iam.CodeStateConflict, "describe your identity provider first")
		}
		if err != nil {
			return nil, err
		}
		current, err := read(fp)
		if err != nil {
			return nil, err
		}
		in := current.Input()
		in.Enabled, in.Domains = true, verified
		fp.UpdatedAt = s.now()
		if _, err := s.apply(ctx, tx, fp, in); err != nil {
			return nil, err
		}
		if err := tx.UpdateFederatedProvider(ctx, fp); err != nil {
			return nil, err
		}
		now := s.now()
		l.CompletedAt = &now
		providerID = fp.ID
		return map[string]any{"provider_id": fp.ID, "domains": verified}, nil
	})
	return providerID, err
}

// setupProviderName is the name of a provider a set-up link makes: the
// organization's, bounded, with the provider's id's end, which keeps it
// unique when a later link sets up another.
func setupProviderName(org, providerID string) string {
	if r := []rune(org); len(r) > 150 {
		org = string(r[:150])
	}
	return org + " SSO " + providerID[len(providerID)-6:]
}

// publicIssuer reports an OpenID issuer where anyone has an account:
// Google's, and Microsoft's multi-tenant and consumer endpoints.
func publicIssuer(issuer string) bool {
	issuer = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(issuer)), "/")
	if issuer == "https://accounts.google.com" {
		return true
	}
	for _, t := range []string{"common", "organizations", "consumers"} {
		if strings.HasPrefix(issuer, "https://login.microsoftonline.com/"+t) {
			return true
		}
	}
	return false
}
