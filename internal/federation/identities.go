package federation

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// Identity is an external identity linked to a user, with its provider's
// name.
type Identity struct {
	iam.FederatedIdentity
	ProviderName string
	ProviderKind iam.ProviderKind
}

// SignInOption is a provider people may choose on a sign-in page.
type SignInOption struct {
	ID   string
	Name string
	Kind iam.ProviderKind
	// HomeRealm reports the provider the email's domain leads to.
	HomeRealm bool
}

// SignInChoices are what a sign-in page offers: the tenant's enabled
// providers, and whether an email may lead to one.
type SignInChoices struct {
	// Options are the providers of the whole tenant, by name, and, when
	// an email is given, the one its domain leads to (home-realm
	// discovery) first. Organizations' providers are reached through
	// their domains only: a shared sign-in page does not list which
	// companies a tenant serves.
	Options []SignInOption
	// HomeRealms reports an enabled provider with email domains.
	HomeRealms bool
}

// SignInChoices reads the tenant's providers once for a sign-in page, or
// for email when it is given.
func (s *Service) SignInChoices(ctx context.Context, email string) (*SignInChoices, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Errorf(iam.CodeTenantNotFound, "no tenant")
	}
	list, err := s.store.ListFederatedProviders(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	domain := ""
	if e, err := directory.NormalizeEmail(email); email != "" && err == nil {
		domain = e[strings.LastIndexByte(e, '@')+1:]
	}
	out := &SignInChoices{Options: []SignInOption{}}
	for _, p := range list {
		if !p.Enabled {
			continue
		}
		out.HomeRealms = out.HomeRealms || len(p.Domains) > 0
		o := SignInOption{ID: p.ID, Name: p.Name, Kind: p.Kind, HomeRealm: domain != "" && slices.Contains(p.Domains, domain)}
		switch {
		case o.HomeRealm:
			out.Options = append([]SignInOption{o}, out.Options...)
		case p.OrganizationID == "":
			out.Options = append(out.Options, o)
		}
	}
	return out, nil
}

// HomeRealm is the enabled provider the domain of email leads to, "" when
// there is none.
func (s *Service) HomeRealm(ctx context.Context, email string) (string, error) {
	c, err := s.SignInChoices(ctx, email)
	if err != nil || len(c.Options) == 0 || !c.Options[0].HomeRealm {
		return "", err
	}
	return c.Options[0].ID, nil
}

// MyIdentities lists the caller's linked identities.
func (s *Service) MyIdentities(ctx context.Context) ([]Identity, error) {
	p := iam.PrincipalFrom(ctx)
	if p == nil || p.UserID == "" {
		return nil, iam.Errorf(iam.CodeUnauthenticated, "sign in first")
	}
	return s.identities(ctx, p.TenantID, p.UserID)
}

// UserIdentities lists a user's linked identities. Needs users.read.
func (s *Service) UserIdentities(ctx context.Context, userID string) ([]Identity, error) {
	p, err := permission.Require(ctx, permission.UsersRead)
	if err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(userID); err != nil {
		return nil, iam.Errorf(iam.CodeNotFound, "user not found")
	}
	if _, err := s.store.GetUser(ctx, p.TenantID, userID); err != nil {
		return nil, err
	}
	return s.identities(ctx, p.TenantID, userID)
}

func (s *Service) identities(ctx context.Context, tenantID, userID string) ([]Identity, error) {
	list, err := s.store.ListFederatedIdentities(ctx, tenantID, userID)
	if err != nil || len(list) == 0 {
		return []Identity{}, err
	}
	providers, err := s.store.ListFederatedProviders(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]Identity, 0, len(list))
	for _, i := range list {
		// An identity's provider is always listed: identities are
		// deleted with it.
		k := slices.IndexFunc(providers, func(p iam.FederatedProvider) bool { return p.ID == i.ProviderID })
		if k < 0 {
			continue
		}
		out = append(out, Identity{FederatedIdentity: i, ProviderName: providers[k].Name, ProviderKind: providers[k].Kind})
	}
	return out, nil
}

// UnlinkMine removes one of the caller's identities. The last way a user
// has to sign in is kept: without a password, a passkey or another
// identity, unlinking answers CodeStateConflict.
func (s *Service) UnlinkMine(ctx context.Context, id string) error {
	p := iam.PrincipalFrom(ctx)
	if p == nil || p.UserID == "" {
		return iam.Errorf(iam.CodeUnauthenticated, "sign in first")
	}
	return s.unlink(ctx, p.TenantID, p.UserID, id, func(tx iam.Tx, left int) error {
		if left > 0 {
			return nil
		}
		for _, typ := range []iam.CredentialType{iam.CredentialPassword, iam.CredentialWebAuthn} {
			_, n, err := tx.ListCredentials(ctx, p.TenantID, p.UserID, typ, iam.ListParams{Page: 1, Limit: 1})
			if err != nil || n > 0 {
				return err
			}
		}
		return iam.Errorf(iam.CodeStateConflict, "this is your only way to sign in: set a password first")
	})
}

// UnlinkUser removes one of a user's identities. Needs users.write, and
// covering the user if they are an admin.
func (s *Service) UnlinkUser(ctx context.Context, userID, id string) error {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return err
	}
	return s.unlink(ctx, p.TenantID, userID, id, func(tx iam.Tx, _ int) error {
		return permission.GuardAdminTarget(ctx, tx, p, userID)
	})
}

// unlink removes the identity id of the user, if allow lets it given how
// many identities they keep, with its audit event.
func (s *Service) unlink(ctx context.Context, tenantID, userID, id string, allow func(tx iam.Tx, left int) error) error {
	if _, err := uuid.Parse(id); err != nil {
		return iam.Errorf(iam.CodeNotFound, "federated identity not found")
	}
	if _, err := uuid.Parse(userID); err != nil {
		return iam.Errorf(iam.CodeNotFound, "user not found")
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		// The user's row orders the changes of their ways to sign in.
		if _, err := tx.GetUserForUpdate(ctx, tenantID, userID); err != nil {
			return err
		}
		list, err := tx.ListFederatedIdentities(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(list, func(i iam.FederatedIdentity) bool { return i.ID == id })
		if i < 0 {
			return iam.Errorf(iam.CodeNotFound, "federated identity not found")
		}
		if err := allow(tx, len(list)-1); err != nil {
			return err
		}
		if err := tx.DeleteFederatedIdentity(ctx, tenantID, userID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), tenantID, "federated.identity.unlinked", iam.Ref{Type: "user", ID: userID},
			iam.ResultSuccess, map[string]any{"provider_id": list[i].ProviderID, "subject": list[i].Subject}))
	})
}

// FormTargets are the origins a sign-in form may lead on to through
// providers: the authorization endpoints of the tenant's enabled
// providers, those with email domains only when homeRealms (the sign-in
// form's discovery), every one otherwise (linking). Browsers check a
// form's redirects against these (CSP form-action).
func (s *Service) FormTargets(ctx context.Context, homeRealms bool) []string {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil
	}
	list, err := s.store.ListFederatedProviders(ctx, t.ID)
	if err != nil {
		iam.RecordCause(ctx, err)
		return nil
	}
	var out []string
	for i := range list {
		fp := &list[i]
		if !fp.Enabled || homeRealms && len(fp.Domains) == 0 {
			continue
		}
		pr, err := read(fp)
		if err != nil {
			continue
		}
		endpoint := pr.Settings.AuthorizationURL
		switch fp.Kind {
		case iam.ProviderSAML:
			if md, err := s.metadata(ctx, pr); err == nil {
				endpoint = md.ssoURL
			}
		case iam.ProviderOIDC:
			// The discovered endpoint, or the issuer's origin while the
			// provider cannot be reached.
			endpoint = pr.Settings.Issuer
			if op, err := s.discover(ctx, pr.Settings); err == nil {
				endpoint = op.Endpoint().AuthURL
			}
		}
		if u, err := url.Parse(endpoint); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
			if origin := u.Scheme + "://" + u.Host; !slices.Contains(out, origin) {
				out = append(out, origin)
			}
		}
	}
	return out
}
