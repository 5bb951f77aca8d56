package apicredential

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/serviceaccount"
)

const (
	// maxNameLen bounds a credential's name.
	maxNameLen = 128
	// DefaultLifetime is how long a credential created without an expiry
	// lasts.
	DefaultLifetime = 90 * 24 * time.Hour
	// MaxLifetime bounds how far ahead an expiry may be set.
	MaxLifetime = 5 * 366 * 24 * time.Hour
	// maxBulk bounds the ids or names a bulk revocation lists.
	maxBulk = 1000
)

// SystemNamespace names the tenant as a whole where a namespace is asked
// for; every other namespace is an organization's alias.
const SystemNamespace = "system"

// States lists the states a list may filter by.
var States = []iam.APICredentialState{iam.APICredentialActive, iam.APICredentialInactive, iam.APICredentialExpired, iam.APICredentialRevoked}

// Expiry is when a credential expires: At, or ExpirationDays from now, or
// DefaultLifetime from now when both are zero.
type Expiry struct {
	At             *time.Time
	ExpirationDays int
}

// NewCredential is a credential to create. OwnerID defaults to the caller;
// OrganizationID, when set, is the organization (namespace) it is kept in.
type NewCredential struct {
	Name           string
	OwnerID        string
	OrganizationID string
	Expiry         Expiry
}

// Created is a new credential with its secret, shown this once.
type Created struct {
	Credential *iam.APICredential
	Secret     string
}

// Ref names one credential: by ID, or else by Name in the namespace
// OrganizationID ("" for the tenant as a whole).
type Ref struct {
	ID             string
	OrganizationID string
	Name           string
}

// Query filters a list; zero fields do not filter.
type Query struct {
	iam.ListParams
	OwnerID        string
	OrganizationID string
	// TenantWide lists only those kept in the tenant as a whole.
	TenantWide    bool
	State         iam.APICredentialState
	ExpiresBefore *time.Time
}

// Selector picks the live credentials a bulk revocation ends: those
// matching every field set (an empty list is unset). At least one must be
// set.
type Selector struct {
	IDs            []string
	Names          []string
	OwnerID        string
	OrganizationID string
	ExpiresBefore  *time.Time
}

// Replacement is what PUT replaces: name, expiry and organization. A zero
// Expiry keeps the credential's.
type Replacement struct {
	Name           string
	OrganizationID string
	Expiry         Expiry
}

// State is the state of c now.
func (s *Service) State(c *iam.APICredential) iam.APICredentialState { return c.State(s.now()) }

// Namespace returns the organization a namespace names by its alias, ""
// for SystemNamespace. CodeNotFound for an unknown one.
func (s *Service) Namespace(ctx context.Context, namespace string) (string, error) {
	p, err := permission.Authenticated(ctx)
	if err != nil {
		return "", err
	}
	if namespace == SystemNamespace {
		return "", nil
	}
	o, err := s.store.GetOrganizationByAlias(ctx, p.TenantID, namespace)
	if iam.IsCode(err, iam.CodeNotFound) {
		return "", &iam.Error{Code: iam.CodeNotFound, Message: "namespace " + namespace + " not found", Err: err}
	}
	if err != nil {
		return "", err
	}
	return o.ID, nil
}

// Create issues a credential of kind k. A caller creates one for itself
// (a user an API credential, a service account a service credential; a user
// with a second factor needs a recent one); one for another owner needs
// credentials.write, and for a user holding admin roles admins.manage and
// everything they hold. Errors: CodeInvalid, CodeNotFound (owner or
// organization), CodeForbidden, CodeMFAReauthRequired, CodeNameTaken.
func (s *Service) Create(ctx context.Context, k Kind, in NewCredential) (*Created, error) {
	p, err := permission.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	name, fields := checkName(in.Name)
	expires, err := resolveExpiry(in.Expiry, now, fields)
	if err != nil {
		return nil, err
	}
	ownerID := in.OwnerID
	if ownerID == "" {
		ownerID = p.ID
	}
	self := p.Kind == k.Owner && ownerID == p.ID
	switch {
	case self:
	case !permission.Allowed(p.Permissions, permission.CredentialsWrite):
		return nil, forbidden(permission.CredentialsWrite)
	case ownerID == p.ID:
		return nil, iam.Invalid("the request has invalid fields", map[string]string{"owner_id": "is required: a " + string(p.Kind) + " cannot own a " + k.Noun})
	case !access.ValidID(ownerID):
		return nil, ownerNotFound(k)
	}
	if err := s.checkOrganization(ctx, p, k, in.OrganizationID, ownerID, self); err != nil {
		return nil, err
	}
	if self && p.Kind == iam.PrincipalUser {
		if err := s.selfChange(ctx, p); err != nil {
			return nil, err
		}
	}
	raw := secret.New(k.Secret)
	c := &iam.APICredential{ID: newID(), TenantID: p.TenantID, OwnerKind: k.Owner, OwnerID: ownerID, OrganizationID: in.OrganizationID,
		Name: name, SecretHash: secret.Hash(raw), Display: secret.Display(raw), Active: true, ExpiresAt: expires, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := s.lockOwner(ctx, tx, p, k, ownerID, self); err != nil {
			return err
		}
		if err := tx.CreateAPICredential(ctx, c); err != nil {
			if iam.IsCode(err, iam.CodeNameTaken) {
				return &iam.Error{Code: iam.CodeNameTaken, Message: "a live " + k.Noun + " of this name exists in this namespace",
					Details: map[string]any{"name": name}, Err: err}
			}
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, k.Action+".created", k.ref(c.ID), iam.ResultSuccess, details(c)))
	})
	if err != nil {
		return nil, err
	}
	return &Created{Credential: c, Secret: raw}, nil
}

// List returns a page of credentials of kind k. Holders of
// credentials.read list the tenant's; others list only their own (an
// owner_id of another is CodeForbidden). Errors: CodeInvalid.
func (s *Service) List(ctx context.Context, k Kind, q Query) ([]iam.APICredential, int, error) {
	p, err := permission.Authenticated(ctx)
	if err != nil {
		return nil, 0, err
	}
	if q.State != "" && !slices.Contains(States, q.State) {
		return nil, 0, iam.Invalid("the request has invalid fields", map[string]string{"state": "must be active, inactive, expired or revoked"})
	}
	if !permission.Allowed(p.Permissions, permission.CredentialsRead) {
		switch {
		case p.Kind != k.Owner:
			return nil, 0, forbidden(permission.CredentialsRead)
		case q.OwnerID == "":
			q.OwnerID = p.ID
		case q.OwnerID != p.ID:
			return nil, 0, forbidden(permission.CredentialsRead)
		}
	}
	return s.store.ListAPICredentials(ctx, p.TenantID, iam.APICredentialQuery{ListParams: q.ListParams, OwnerKind: k.Owner,
		OwnerID: q.OwnerID, OrganizationID: q.OrganizationID, TenantWide: q.TenantWide, State: q.State, ExpiresBefore: q.ExpiresBefore, Now: s.now()})
}

// Get returns a credential of kind k its caller may see: their own, or
// any with credentials.read. CodeNotFound otherwise.
func (s *Service) Get(ctx context.Context, k Kind, ref Ref) (*iam.APICredential, error) {
	p, err := permission.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.find(ctx, s.store, p, k, ref, false)
	if err != nil {
		return nil, err
	}
	if !visible(p, k, c) {
		return nil, notFound(k)
	}
	return c, nil
}

// Replace replaces the name, expiry and organization of a live
// credential. Errors: those of Revoke, CodeInvalid, CodeNameTaken.
func (s *Service) Replace(ctx context.Context, k Kind, ref Ref, in Replacement) (*iam.APICredential, error) {
	if _, err := permission.Authenticated(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	name, fields := checkName(in.Name)
	keep := in.Expiry.At == nil && in.Expiry.ExpirationDays == 0
	expires, err := resolveExpiry(in.Expiry, now, fields)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, k, ref, "replaced", func(ctx context.Context, p *iam.Principal, c *iam.APICredential) error {
		if in.OrganizationID != c.OrganizationID {
			self := p.Kind == k.Owner && c.OwnerID == p.ID
			if err := s.checkOrganization(ctx, p, k, in.OrganizationID, c.OwnerID, self); err != nil {
				return err
			}
		}
		if keep {
			expires = c.ExpiresAt
		}
		if !expires.Equal(c.ExpiresAt) {
			c.WarnedAt = nil
		}
		c.Name, c.OrganizationID, c.ExpiresAt = name, in.OrganizationID, expires
		return nil
	})
}

// Activate lets a live credential authenticate again. Errors: those of Revoke.
func (s *Service) Activate(ctx context.Context, k Kind, ref Ref) (*iam.APICredential, error) {
	return s.change(ctx, k, ref, "activated", func(_ context.Context, _ *iam.Principal, c *iam.APICredential) error {
		c.Active = true
		return nil
	})
}

// Deactivate stops a live credential from authenticating until it is
// activated. Errors: those of Revoke.
func (s *Service) Deactivate(ctx context.Context, k Kind, ref Ref) (*iam.APICredential, error) {
	return s.change(ctx, k, ref, "deactivated", func(_ context.Context, _ *iam.Principal, c *iam.APICredential) error {
		c.Active = false
		return nil
	})
}

// Renew sets a new expiry of a live credential, expired or not, and warns
// of it again before it comes. Errors: those of Revoke, CodeInvalid.
func (s *Service) Renew(ctx context.Context, k Kind, ref Ref, e Expiry) (*iam.APICredential, error) {
	if _, err := permission.Authenticated(ctx); err != nil {
		return nil, err
	}
	expires, err := resolveExpiry(e, s.now(), map[string]string{})
	if err != nil {
		return nil, err
	}
	return s.change(ctx, k, ref, "renewed", func(_ context.Context, _ *iam.Principal, c *iam.APICredential) error {
		c.ExpiresAt, c.WarnedAt = expires, nil
		return nil
	})
}

// Revoke ends a credential for good. Its owner, or a holder of
// credentials.write (and, for a user holding admin roles, admins.manage and
// everything they hold) may. Errors: CodeNotFound (none the caller may
// see), CodeForbidden, CodeStateConflict (revoked already).
func (s *Service) Revoke(ctx context.Context, k Kind, ref Ref) (*iam.APICredential, error) {
	return s.change(ctx, k, ref, "revoked", func(_ context.Context, _ *iam.Principal, c *iam.APICredential) error {
		at := s.now()
		c.RevokedAt = &at
		return nil
	})
}

// BulkRevoke revokes, atomically, every live credential of kind k that sel
// picks and returns them. A holder of credentials.write picks among the
// tenant's (all refused when one belongs to an admin they may not change);
// others among their own. Errors: CodeInvalid (an empty selector),
// CodeForbidden.
func (s *Service) BulkRevoke(ctx context.Context, k Kind, sel Selector) ([]iam.APICredential, error) {
	p, err := permission.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if len(sel.IDs) == 0 {
		sel.IDs = nil
	}
	if len(sel.Names) == 0 {
		sel.Names = nil
	}
	if sel.IDs == nil && sel.Names == nil && sel.OwnerID == "" && sel.OrganizationID == "" && sel.ExpiresBefore == nil {
		return nil, iam.Invalid("name what to revoke: ids, owner_id, organization_id or expires_before", nil)
	}
	if len(sel.IDs) > maxBulk || len(sel.Names) > maxBulk {
		return nil, iam.Invalid("the request has invalid fields", map[string]string{"ids": "at most 1000"})
	}
	admin := permission.Allowed(p.Permissions, permission.CredentialsWrite)
	if !admin {
		switch {
		case p.Kind != k.Owner:
			return nil, forbidden(permission.CredentialsWrite)
		case sel.OwnerID == "":
			sel.OwnerID = p.ID
		case sel.OwnerID != p.ID:
			return nil, forbidden(permission.CredentialsWrite)
		}
	}
	now := s.now()
	var revoked []iam.APICredential
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		picked, err := tx.SelectAPICredentialsForUpdate(ctx, p.TenantID, iam.APICredentialSelector{OwnerKind: k.Owner,
			IDs: validIDs(sel.IDs), Names: sel.Names, OwnerID: sel.OwnerID, OrganizationID: sel.OrganizationID, ExpiresBefore: sel.ExpiresBefore})
		if err != nil {
			return err
		}
		guarded := map[string]bool{}
		ids := make([]string, 0, len(picked))
		for i := range picked {
			c := &picked[i]
			if !guarded[c.OwnerID] && !(p.Kind == k.Owner && c.OwnerID == p.ID) {
				if err := guardOwner(ctx, tx, p, k, c.OwnerID); err != nil {
					return err
				}
				guarded[c.OwnerID] = true
			}
			c.RevokedAt, c.UpdatedAt = &now, now
			ids = append(ids, c.ID)
		}
		n, err := tx.RevokeAPICredentials(ctx, p.TenantID, ids, now)
		if err != nil {
			return err
		}
		if n != len(ids) {
			return iam.Internal(errLostRevocation)
		}
		revoked = picked
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, k.Action+".bulk_revoked", iam.Ref{Type: k.Action}, iam.ResultSuccess,
			map[string]any{"revoked": n, "ids": ids, "selector": selectorDetails(sel)}))
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// selfChange lets a user create, renew, reactivate or change their own
// credential only from a signed-in session (not with a personal access
// token or another credential, whose scopes a new one would escape) and,
// when they have a second factor, within the step-up window.
func (s *Service) selfChange(ctx context.Context, p *iam.Principal) error {
	if _, err := permission.SessionUser(ctx); err != nil {
		return err
	}
	return s.stepUp.RequireRecentProof(ctx, p)
}

// change runs a change of a live credential in one transaction with its row
// held, once the caller may make it, and audits it as action.
func (s *Service) change(ctx context.Context, k Kind, ref Ref, action string, fn func(ctx context.Context, p *iam.Principal, c *iam.APICredential) error) (*iam.APICredential, error) {
	p, err := permission.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var out *iam.APICredential
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		c, err := s.find(ctx, tx, p, k, ref, true)
		if err != nil {
			return err
		}
		if !visible(p, k, c) {
			return notFound(k)
		}
		self := p.Kind == k.Owner && c.OwnerID == p.ID
		// A credential may end itself, and nothing else: a leaked one
		// must not renew, reactivate or re-scope itself.
		if p.TokenID == c.ID && action != "revoked" {
			return &iam.Error{Code: iam.CodeForbidden, Message: "a " + k.Noun + " cannot change itself; only revoke itself"}
		}
		if self && p.Kind == iam.PrincipalUser && action != "revoked" && action != "deactivated" {
			if err := s.selfChange(ctx, p); err != nil {
				return err
			}
		}
		if !self {
			if !permission.Allowed(p.Permissions, permission.CredentialsWrite) {
				return forbidden(permission.CredentialsWrite)
			}
			if err := guardOwner(ctx, tx, p, k, c.OwnerID); err != nil {
				return err
			}
		}
		if c.RevokedAt != nil {
			return &iam.Error{Code: iam.CodeStateConflict, Message: "the " + k.Noun + " is revoked", Details: map[string]any{"state": string(iam.APICredentialRevoked)}}
		}
		if err := fn(ctx, p, c); err != nil {
			return err
		}
		c.UpdatedAt = s.now()
		if err := tx.UpdateAPICredential(ctx, c); err != nil {
			if iam.IsCode(err, iam.CodeNameTaken) {
				return &iam.Error{Code: iam.CodeNameTaken, Message: "a live " + k.Noun + " of this name exists in this namespace",
					Details: map[string]any{"name": c.Name}, Err: err}
			}
			return err
		}
		out = c
		return tx.AppendAudit(ctx, audit.Event(ctx, c.UpdatedAt, p.TenantID, k.Action+"."+action, k.ref(c.ID), iam.ResultSuccess, details(c)))
	})
	return out, err
}

// reader finds credentials: the store, or a transaction.
type reader interface {
	GetAPICredential(ctx context.Context, tenantID, id string) (*iam.APICredential, error)
	GetAPICredentialForUpdate(ctx context.Context, tenantID, id string) (*iam.APICredential, error)
	APICredentialByName(ctx context.Context, tenantID string, kind iam.PrincipalKind, orgID, name string) (*iam.APICredential, error)
}

// find reads the credential of kind k ref names, its row held when
// locked (inside a transaction).
func (s *Service) find(ctx context.Context, r reader, p *iam.Principal, k Kind, ref Ref, locked bool) (*iam.APICredential, error) {
	id := ref.ID
	if id == "" {
		c, err := r.APICredentialByName(ctx, p.TenantID, k.Owner, ref.OrganizationID, ref.Name)
		if err != nil {
			return nil, notFoundOr(k, err)
		}
		id = c.ID
	} else if !access.ValidID(id) {
		return nil, notFound(k)
	}
	get := r.GetAPICredential
	if locked {
		get = r.GetAPICredentialForUpdate
	}
	c, err := get(ctx, p.TenantID, id)
	if err != nil {
		return nil, notFoundOr(k, err)
	}
	if c.OwnerKind != k.Owner {
		return nil, notFound(k)
	}
	return c, nil
}

// lockOwner holds the owner's row for the creation of a credential, and
// guards an admin owner again: the user may have become an admin since.
func (s *Service) lockOwner(ctx context.Context, tx iam.Tx, p *iam.Principal, k Kind, ownerID string, self bool) error {
	var err error
	if k.Owner == iam.PrincipalUser {
		var u *iam.User
		if u, err = tx.GetUserForUpdate(ctx, p.TenantID, ownerID); err == nil {
			if u.Status != iam.UserActive {
				return &iam.Error{Code: iam.CodeStateConflict, Message: "the owner is not active", Details: map[string]any{"status": string(u.Status)}}
			}
			if !self {
				err = permission.GuardAdminTarget(ctx, tx, p, ownerID)
			}
		}
	} else if _, err = tx.GetServiceAccountForUpdate(ctx, p.TenantID, ownerID); err == nil && !self {
		err = serviceaccount.GuardAccount(ctx, tx, p, ownerID)
	}
	if iam.IsCode(err, iam.CodeNotFound) {
		return ownerNotFound(k)
	}
	return err
}

// guardOwner lets a caller reach another's credential only if they could
// change its owner: an admin only with admins.manage and everything the
// admin holds, and a service account holding admin roles likewise, since
// the credential acts with them.
func guardOwner(ctx context.Context, tx iam.Tx, p *iam.Principal, k Kind, ownerID string) error {
	if k.Owner == iam.PrincipalUser {
		return permission.GuardAdminTarget(ctx, tx, p, ownerID)
	}
	return serviceaccount.GuardAccount(ctx, tx, p, ownerID)
}

// checkOrganization checks the organization a credential is to be kept
// in: it exists, and a user creating one for themselves without
// credentials.write is its member.
func (s *Service) checkOrganization(ctx context.Context, p *iam.Principal, k Kind, orgID, ownerID string, self bool) error {
	if orgID == "" {
		return nil
	}
	missing := iam.Errorf(iam.CodeNotFound, "organization not found")
	if !access.ValidID(orgID) {
		return missing
	}
	if _, err := s.store.GetOrganization(ctx, p.TenantID, orgID); err != nil {
		if iam.IsCode(err, iam.CodeNotFound) {
			return missing
		}
		return err
	}
	if self && k.Owner == iam.PrincipalUser && !permission.Allowed(p.Permissions, permission.CredentialsWrite) {
		if _, err := s.store.GetMember(ctx, p.TenantID, orgID, ownerID); err != nil {
			if iam.IsCode(err, iam.CodeNotFound) {
				return missing
			}
			return err
		}
	}
	return nil
}

// visible reports whether the caller may see c: their own, or any with
// credentials.read.
func visible(p *iam.Principal, k Kind, c *iam.APICredential) bool {
	return (p.Kind == k.Owner && c.OwnerID == p.ID) || permission.Allowed(p.Permissions, permission.CredentialsRead) ||
		permission.Allowed(p.Permissions, permission.CredentialsWrite)
}

// checkName trims a name and starts the invalid fields with its problem.
func checkName(raw string) (string, map[string]string) {
	fields := map[string]string{}
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		fields["name"] = "is required"
	case utf8.RuneCountInString(name) > maxNameLen:
		fields["name"] = "is longer than 128 characters"
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '/' }) >= 0:
		fields["name"] = "must not contain control characters or /"
	}
	return name, fields
}

// resolveExpiry is when e makes a credential expire, or CodeInvalid naming
// every field in fields.
func resolveExpiry(e Expiry, now time.Time, fields map[string]string) (time.Time, error) {
	var at time.Time
	switch {
	case e.At != nil && e.ExpirationDays != 0:
		fields["expiration_days"] = "cannot be given with expires_at"
	case e.At != nil:
		at = e.At.UTC().Truncate(time.Microsecond)
		if !at.After(now) {
			fields["expires_at"] = "must be in the future"
		} else if at.Sub(now) > MaxLifetime {
			fields["expires_at"] = "must be within 5 years"
		}
	case e.ExpirationDays < 0 || e.ExpirationDays > int(MaxLifetime/(24*time.Hour)):
		fields["expiration_days"] = "must be between 1 and 1830"
	case e.ExpirationDays > 0:
		at = now.Add(time.Duration(e.ExpirationDays) * 24 * time.Hour)
	default:
		at = now.Add(DefaultLifetime)
	}
	if len(fields) > 0 {
		return time.Time{}, iam.Invalid("the request has invalid fields", fields)
	}
	return at, nil
}

func validIDs(ids []string) []string {
	if ids == nil {
		return nil
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if access.ValidID(id) {
			out = append(out, id)
		}
	}
	return out
}

func details(c *iam.APICredential) map[string]any {
	d := map[string]any{"name": c.Name, "owner_kind": string(c.OwnerKind), "owner_id": c.OwnerID, "expires_at": c.ExpiresAt.Format(time.RFC3339),
		"active": c.Active, "display": c.Display}
	if c.OrganizationID != "" {
		d["organization_id"] = c.OrganizationID
	}
	return d
}

func selectorDetails(sel Selector) map[string]any {
	d := map[string]any{}
	if sel.IDs != nil {
		d["ids"] = len(sel.IDs)
	}
	if sel.Names != nil {
		d["names"] = sel.Names
	}
	if sel.OwnerID != "" {
		d["owner_id"] = sel.OwnerID
	}
	if sel.OrganizationID != "" {
		d["organization_id"] = sel.OrganizationID
	}
	if sel.ExpiresBefore != nil {
		d["expires_before"] = sel.ExpiresBefore.UTC().Format(time.RFC3339)
	}
	return d
}

func forbidden(perm string) error {
	return &iam.Error{Code: iam.CodeForbidden, Message: "you do not have permission to do this", Details: map[string]any{"permission": perm}}
}

func notFound(k Kind) error { return iam.Errorf(iam.CodeNotFound, "%s not found", k.Noun) }

func notFoundOr(k Kind, err error) error {
	if iam.IsCode(err, iam.CodeNotFound) {
		return notFound(k)
	}
	return err
}

func ownerNotFound(k Kind) error {
	if k.Owner == iam.PrincipalUser {
		return iam.Errorf(iam.CodeNotFound, "owner not found: no such user")
	}
	return iam.Errorf(iam.CodeNotFound, "owner not found: no such service account")
}

type constError string

func (e constError) Error() string { return string(e) }

const errLostRevocation = constError("a selected credential was not revoked")
