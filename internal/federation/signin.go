package federation

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// loginTTL is how long a person has at the provider before the sign-in it
// started is forgotten.
const loginTTL = 10 * time.Minute

// CallbackURL is where a provider sends the browser back to: the redirect
// URI its admin registers there.
func CallbackURL(base, providerID string) string {
	return strings.TrimSuffix(base, "/") + "/api/v1/auth/federated/" + providerID + "/callback"
}

// Started is a sign-in sent to a provider.
type Started struct {
	// URL is the provider's authorization endpoint with the request.
	URL string
	// BrowserSecret goes into a cookie: only the browser that holds it
	// may finish the sign-in.
	BrowserSecret string
	ExpiresAt     time.Time
}

// Begin starts a sign-in through the tenant's enabled provider id: it
// keeps a state, a nonce and a PKCE verifier, and answers where to send
// the browser. linkUserID, the signed-in user, links the identity to them
// instead of signing in; previousSessionID is the browser's session, which
// the sign-in ends (Outcome.PreviousSessionID), "" for none. Errors:
// CodeNotFound for a provider that is not the tenant's or not enabled;
// CodeUnavailable when the provider cannot be reached.
func (s *Service) Begin(ctx context.Context, id, returnTo, linkUserID, previousSessionID string) (*Started, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errors.New("federation: no tenant"))
	}
	pr, err := s.enabled(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	state, nonce, browser, verifier := rand.Text(), rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	var to string
	if pr.Kind == iam.ProviderSAML {
		// The AuthnRequest's id is the nonce: the assertion must answer it.
		if to, nonce, err = s.beginSAML(ctx, t, pr, state); err != nil {
			return nil, err
		}
		verifier = ""
	} else {
		conf, _, err := s.endpoints(ctx, t, pr)
		if err != nil {
			return nil, err
		}
		opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
		if pr.Kind == iam.ProviderOIDC {
			opts = append(opts, oidc.Nonce(nonce))
		}
		to = conf.AuthCodeURL(state, opts...)
	}
	l := &iam.FederatedLogin{ID: secret.Hash(state), TenantID: t.ID, ProviderID: pr.ID, BrowserHash: secret.Hash(browser),
		Nonce: nonce, Verifier: verifier, ReturnTo: returnTo, LinkUserID: linkUserID, PreviousSessionID: previousSessionID,
		CreatedAt: now, ExpiresAt: now.Add(loginTTL)}
	if err := s.store.CreateFederatedLogin(ctx, l); err != nil {
		return nil, err
	}
	return &Started{URL: to, BrowserSecret: browser, ExpiresAt: l.ExpiresAt}, nil
}

// Outcome is a finished sign-in: the user the provider's identity belongs
// to, and where the browser goes next.
type Outcome struct {
	UserID     string
	ProviderID string
	ReturnTo   string
	// Linked reports a link made for a signed-in user, who gets no new
	// session.
	Linked bool
	// PreviousSessionID is the session of the browser that began the
	// sign-in, which the new session replaces; "" for none.
	PreviousSessionID string
}

// The reasons a sign-in is refused, in the refusal's details and audit
// event; the pages say what to do for each.
const (
	ReasonState        = "state"
	ReasonProvider     = "provider_error"
	ReasonToken        = "token"
	ReasonNoEmail      = "no_email"
	ReasonEmailDomain  = "email_domain"
	ReasonNoAccount    = "no_account"
	ReasonLinkRequired = "link_required"
	ReasonLinkedOther  = "linked_to_another_user"
	// ReasonEmailUnverified: no account is made for an address the
	// provider does not vouch for, so nobody claims another's address.
	ReasonEmailUnverified = "email_unverified"
	ReasonInactive        = "account_inactive"
)

// refusal is a refused sign-in: what the caller is told, and the reason
// the audit log records with what the provider said.
type refusal struct {
	reason string
	detail string
}

func (r *refusal) Error() string { return "federated sign-in refused: " + r.reason }

// refused is the error a refusal answers: a code the pages and API know,
// with the reason in its details.
func refused(reason string) error {
	code := iam.CodeForbidden
	switch reason {
	case ReasonState:
		code = iam.CodeInvalidToken
	case ReasonProvider, ReasonToken, ReasonNoEmail, ReasonEmailDomain, ReasonEmailUnverified, ReasonInactive:
		code = iam.CodeInvalidCredentials
	case ReasonLinkRequired, ReasonLinkedOther:
		code = iam.CodeConflict
	}
	return &iam.Error{Code: code, Message: "the sign-in through the provider was refused", Details: map[string]any{"reason": reason}}
}

// Complete finishes a sign-in the provider sent back with query q, in the
// browser holding browserSecret: it takes the sign-in's state (once),
// redeems the code with the PKCE verifier, checks the ID token (issuer,
// audience, signature, expiry, nonce) or reads the user from the OAuth 2.0
// provider, and finds the user the identity belongs to: linked before,
// linked now per the provider's link policy, or created when it provisions
// users. Every refusal is audited with the provider and answers an error
// whose details name the reason (the Reason constants).
func (s *Service) Complete(ctx context.Context, id string, q url.Values, browserSecret string) (*Outcome, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errors.New("federation: no tenant"))
	}
	out, err := s.complete(ctx, t, id, q, browserSecret)
	if r, ok := errors.AsType[*refusal](err); ok {
		if _, parse := uuid.Parse(id); parse != nil {
			// Not a provider's id: nothing of it goes into the log.
			id = ""
		}
		details := map[string]any{"provider_id": id, "reason": r.reason}
		if r.detail != "" {
			details["detail"] = clip(r.detail)
		}
		e := audit.Event(ctx, s.now(), t.ID, "federated.login.refused", providerRef(id), iam.ResultFailure, details)
		if err := s.store.AppendAudit(ctx, e); err != nil {
			return nil, err
		}
		return nil, refused(r.reason)
	}
	return out, err
}

func (s *Service) complete(ctx context.Context, t *iam.Tenant, id string, q url.Values, browserSecret string) (*Outcome, error) {
	state := q.Get("state")
	if state == "" || browserSecret == "" {
		return nil, &refusal{reason: ReasonState, detail: "state or browser cookie missing"}
	}
	l, err := s.store.TakeFederatedLogin(ctx, t.ID, secret.Hash(state), s.now())
	if iam.IsCode(err, iam.CodeNotFound) || iam.IsCode(err, iam.CodeInvalid) {
		return nil, &refusal{reason: ReasonState, detail: "unknown, used or expired state"}
	}
	if err != nil {
		return nil, err
	}
	if l.ProviderID != id || subtle.ConstantTimeCompare([]byte(secret.Hash(browserSecret)), []byte(l.BrowserHash)) != 1 {
		return nil, &refusal{reason: ReasonState, detail: "state of another browser or provider"}
	}
	// A link is made for the user who asked for it, still signed in here.
	if p := iam.PrincipalFrom(ctx); l.LinkUserID != "" && (p == nil || p.UserID != l.LinkUserID) {
		return nil, &refusal{reason: ReasonState, detail: "the link's session ended"}
	}
	pr, err := s.enabled(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	var idn *identity
	switch code := q.Get("code"); {
	case pr.Kind == iam.ProviderSAML:
		idn, err = s.identifySAML(ctx, t, pr, q.Get("SAMLResponse"), l)
	case q.Get("error") != "":
		return nil, &refusal{reason: ReasonProvider, detail: clip(q.Get("error") + ": " + q.Get("error_description"))}
	case code == "":
		return nil, &refusal{reason: ReasonProvider, detail: "no code"}
	default:
		idn, err = s.identify(ctx, t, pr, code, l)
	}
	if err != nil {
		return nil, err
	}
	if idn.Email != "" && len(pr.Domains) > 0 && !inDomains(idn.Email, pr.Domains) {
		// A provider speaks only for the domains it was given: an
		// organization's IdP must not vouch for addresses of others.
		return nil, &refusal{reason: ReasonEmailDomain, detail: "email " + idn.Email}
	}
	return s.resolve(ctx, t, pr, idn, l)
}

// clip bounds what a provider (or a forged callback) said before it goes
// into the audit log.
func clip(s string) string { return audit.Clip(s, 300) }

// provider is the tenant's provider id. CodeNotFound.
func (s *Service) provider(ctx context.Context, tenantID, id string) (*Provider, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, notFound()
	}
	fp, err := s.store.GetFederatedProvider(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return read(fp)
}

// enabled is the tenant's provider id if it is enabled; CodeNotFound
// otherwise, as for one that does not exist.
func (s *Service) enabled(ctx context.Context, tenantID, id string) (*Provider, error) {
	pr, err := s.provider(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if !pr.Enabled {
		return nil, notFound()
	}
	return pr, nil
}

// resolve finds or makes the user the identity belongs to, in one
// transaction with its audit events. Two first sign-ins of one person
// racing each other both find no identity; the loser's write conflicts,
// and it tries once more, to find the winner's.
func (s *Service) resolve(ctx context.Context, t *iam.Tenant, pr *Provider, idn *identity, l *iam.FederatedLogin) (*Outcome, error) {
	out, err := s.resolveOnce(ctx, t, pr, idn, l)
	if iam.IsCode(err, iam.CodeConflict) || iam.IsCode(err, iam.CodeEmailTaken) {
		out, err = s.resolveOnce(ctx, t, pr, idn, l)
	}
	return out, err
}

func (s *Service) resolveOnce(ctx context.Context, t *iam.Tenant, pr *Provider, idn *identity, l *iam.FederatedLogin) (*Outcome, error) {
	out := &Outcome{ProviderID: pr.ID, ReturnTo: l.ReturnTo, PreviousSessionID: l.PreviousSessionID}
	now := s.now()
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		linked, err := tx.GetFederatedIdentityBySubject(ctx, t.ID, pr.ID, idn.Subject)
		switch {
		case err == nil:
			if l.LinkUserID != "" && linked.UserID != l.LinkUserID {
				return &refusal{reason: ReasonLinkedOther, detail: "subject " + clip(idn.Subject)}
			}
			out.UserID, out.Linked = linked.UserID, l.LinkUserID != ""
			return tx.RecordFederatedSignIn(ctx, t.ID, linked.ID, idn.Email, now)
		case !iam.IsCode(err, iam.CodeNotFound):
			return err
		}
		if l.LinkUserID != "" {
			out.UserID, out.Linked = l.LinkUserID, true
			return s.link(ctx, tx, pr, idn, l.LinkUserID, "sign_in")
		}
		if idn.Email == "" {
			return &refusal{reason: ReasonNoEmail}
		}
		u, err := tx.GetUserByEmail(ctx, t.ID, idn.Email)
		switch {
		case err == nil:
			if u.Status != iam.UserActive {
				return &refusal{reason: ReasonInactive, detail: "email " + idn.Email}
			}
			if why, err := s.autoLinkRefused(ctx, tx, pr, idn, u); err != nil || why != "" {
				if err != nil {
					return err
				}
				return &refusal{reason: ReasonLinkRequired, detail: why + " " + idn.Email}
			}
			out.UserID = u.ID
			return s.link(ctx, tx, pr, idn, u.ID, "verified_email")
		case !iam.IsCode(err, iam.CodeNotFound):
			return err
		}
		if !pr.JITProvisioning {
			return &refusal{reason: ReasonNoAccount, detail: "email " + idn.Email}
		}
		if !idn.EmailVerified {
			return &refusal{reason: ReasonEmailUnverified, detail: "email " + idn.Email}
		}
		u, err = s.provision(ctx, tx, pr, idn)
		if err != nil {
			return err
		}
		out.UserID = u.ID
		return s.link(ctx, tx, pr, idn, u.ID, "provisioned")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// autoLinkRefused says why an existing account may not be linked by its
// email alone, "" when it may. Never by an unverified email, on either
// side; never to an admin, or to an account guarded by a second factor,
// which a provider's sign-in would pass around; never for an address of a
// domain another provider speaks for (a Google account kept by someone
// who left must not reach the address's next owner). Those link after
// signing in.
func (s *Service) autoLinkRefused(ctx context.Context, tx iam.Tx, pr *Provider, idn *identity, u *iam.User) (string, error) {
	if pr.LinkPolicy != LinkVerifiedEmail || !idn.EmailVerified || !u.EmailVerified {
		return "unverified or sign_in policy", nil
	}
	held, err := tx.UserAdminRoles(ctx, u.TenantID, u.ID)
	if err != nil || len(held) > 0 {
		return "admin", err
	}
	for _, typ := range []iam.CredentialType{iam.CredentialTOTP, iam.CredentialWebAuthn} {
		_, n, err := tx.ListCredentials(ctx, u.TenantID, u.ID, typ, iam.ListParams{Page: 1, Limit: 1})
		if err != nil || n > 0 {
			return "second factor", err
		}
	}
	others, err := tx.ListFederatedProviders(ctx, u.TenantID)
	if err != nil {
		return "", err
	}
	for _, o := range others {
		if o.ID != pr.ID && o.Enabled && inDomains(idn.Email, o.Domains) {
			return "domain of provider " + o.Name, nil
		}
	}
	return "", nil
}

// organizationRoles are the roles named (without case) that a member of
// the provider's organization may hold: the organization's own and the
// tenant's templates. Names of no such role are passed over.
func (s *Service) organizationRoles(ctx context.Context, tx iam.Tx, pr *Provider, named []string) (ids, names []string, err error) {
	if len(named) == 0 {
		return nil, nil, nil
	}
	var roles []iam.Role
	for _, q := range []iam.RoleQuery{{OrganizationID: pr.OrganizationID}, {TemplatesOnly: true}} {
		q.ListParams = iam.ListParams{Page: 1, Limit: iam.MaxLimit}
		list, _, err := tx.ListRoles(ctx, pr.TenantID, q)
		if err != nil {
			return nil, nil, err
		}
		roles = append(roles, list...)
	}
	for _, r := range roles {
		if (r.OrganizationID == "" || r.OrganizationID == pr.OrganizationID) && !slices.Contains(ids, r.ID) &&
			slices.ContainsFunc(named, func(n string) bool { return strings.EqualFold(n, r.Name) }) {
			ids, names = append(ids, r.ID), append(names, r.Name)
		}
	}
	return ids, names, nil
}

// link records the identity as the user's.
func (s *Service) link(ctx context.Context, tx iam.Tx, pr *Provider, idn *identity, userID, via string) error {
	now := s.now()
	i := &iam.FederatedIdentity{ID: uuid.Must(uuid.NewV7()).String(), TenantID: pr.TenantID, ProviderID: pr.ID, UserID: userID,
		Subject: idn.Subject, Email: idn.Email, CreatedAt: now, LastLoginAt: &now}
	if err := tx.CreateFederatedIdentity(ctx, i); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, "federated.identity.linked", iam.Ref{Type: "user", ID: userID},
		iam.ResultSuccess, map[string]any{"provider_id": pr.ID, "subject": idn.Subject, "email": idn.Email, "via": via}))
}

// provision creates the user of a first sign-in, with the memberships the
// claims and the provider give: the provider's organization, and the
// tenant's groups the groups claim names (groups are not created).
func (s *Service) provision(ctx context.Context, tx iam.Tx, pr *Provider, idn *identity) (*iam.User, error) {
	now := s.now()
	name, err := directory.NormalizeName("name", idn.Name)
	if err != nil {
		name = ""
	}
	u := &iam.User{ID: uuid.Must(uuid.NewV7()).String(), TenantID: pr.TenantID, Email: idn.Email, Name: name,
		EmailVerified: idn.EmailVerified, Status: iam.UserActive, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	userRef := iam.Ref{Type: "user", ID: u.ID}
	if err := tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, "user.created", userRef, iam.ResultSuccess,
		map[string]any{"email": u.Email, "status": string(u.Status), "provider_id": pr.ID})); err != nil {
		return nil, err
	}
	changed := false
	if pr.OrganizationID != "" {
		roleIDs, roleNames, err := s.organizationRoles(ctx, tx, pr, idn.Roles)
		if err != nil {
			return nil, err
		}
		if _, err := tx.SetMember(ctx, pr.TenantID, pr.OrganizationID, u.ID, roleIDs, now); err != nil {
			return nil, err
		}
		changed = true
		if err := tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, "organization.member_added", userRef, iam.ResultSuccess,
			map[string]any{"organization_id": pr.OrganizationID, "roles": roleNames, "provider_id": pr.ID})); err != nil {
			return nil, err
		}
	}
	for _, name := range idn.Groups {
		groups, _, err := tx.ListGroups(ctx, pr.TenantID, iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 1},
			Filter: &iam.Filter{Op: iam.FilterEq, Field: "name", Value: name}})
		if err != nil {
			return nil, err
		}
		if len(groups) == 0 {
			continue
		}
		if _, err := tx.AddGroupMember(ctx, pr.TenantID, groups[0].ID, u.ID, now); err != nil {
			return nil, err
		}
		changed = true
		if err := tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, "group.member_added", iam.Ref{Type: "group", ID: groups[0].ID},
			iam.ResultSuccess, map[string]any{"user_id": u.ID, "provider_id": pr.ID})); err != nil {
			return nil, err
		}
	}
	if changed {
		return u, tx.BumpAccessVersion(ctx, pr.TenantID)
	}
	return u, nil
}
