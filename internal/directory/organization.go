package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// aliasPattern is a lower-case slug: "acme", "acme-eu-2".
var aliasPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// maxMetadata bounds an organization's metadata, as JSON.
const maxMetadata = 16 << 10

// OrgInput is what creating an organization takes. An empty MFA is
// "optional".
type OrgInput struct {
	Name       string
	Alias      string
	ExternalID string
	Metadata   map[string]any
	MFA        string
}

// OrgPatch changes the fields that are not nil; Metadata replaces the whole
// object, and an empty ExternalID clears it.
type OrgPatch struct {
	Name       *string
	Alias      *string
	ExternalID *string
	Metadata   *map[string]any
	MFA        *string
}

func orgRef(id string) iam.Ref { return iam.Ref{Type: "organization", ID: id} }

// alias checks a slug; UUID-shaped aliases are refused so that a reference is
// never both an id and an alias.
func (f fieldErrors) alias(field, s string) string {
	a := strings.ToLower(strings.TrimSpace(s))
	switch {
	case len(a) < 2 || len(a) > 63 || !aliasPattern.MatchString(a):
		f[field] = "must be 2 to 63 lower-case letters, digits and inner hyphens"
	case access.ValidID(a):
		f[field] = "must not look like an id"
	}
	return a
}

// mfaPolicy checks an organization's MFA policy: the tenant's values.
func (f fieldErrors) mfaPolicy(field, s string) string {
	if s != settings.MFAOptional && s != settings.MFARequired {
		f[field] = "must be optional or required"
	}
	return s
}

func (f fieldErrors) metadata(field string, m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	if b, err := json.Marshal(m); err != nil || len(b) > maxMetadata {
		f[field] = "must be a JSON object of at most 16 KiB"
	}
	return m
}

// organization finds an organization by id or alias.
func organization(ctx context.Context, store iam.AccessStore, tenantID, ref string) (*iam.Organization, error) {
	o, err := access.OrganizationByRef(ctx, store, tenantID, ref)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, notFound("organization")
	}
	return o, err
}

// lockedOrganization finds an organization by id or alias and holds its row
// until the transaction ends: changes to it and to its members take turns.
func lockedOrganization(ctx context.Context, tx iam.Tx, tenantID, ref string) (*iam.Organization, error) {
	id := ref
	if !access.ValidID(ref) {
		o, err := organization(ctx, tx, tenantID, ref)
		if err != nil {
			return nil, err
		}
		id = o.ID
	}
	o, err := tx.GetOrganizationForUpdate(ctx, tenantID, id)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, notFound("organization")
	}
	return o, err
}

// CreateOrganization adds an organization. Needs orgs.write.
// Errors: CodeInvalid, CodeAliasTaken, CodeExternalIDTaken.
func (s *Service) CreateOrganization(ctx context.Context, in OrgInput) (*iam.Organization, error) {
	p, err := permission.Require(ctx, permission.OrgsWrite)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	name := f.text("name", in.Name, maxNameLen, true)
	alias := f.alias("alias", in.Alias)
	ext := f.text("external_id", in.ExternalID, maxExternalLen, false)
	meta := f.metadata("metadata", in.Metadata)
	policy := settings.MFAOptional
	if in.MFA != "" {
		policy = f.mfaPolicy("mfa", in.MFA)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	now := s.now()
	o := &iam.Organization{ID: newID(), TenantID: p.TenantID, Name: name, Alias: alias, ExternalID: ext, Metadata: meta, MFA: policy,
		CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateOrganization(ctx, o); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "organization.created", orgRef(o.ID), iam.ResultSuccess,
			map[string]any{"name": name, "alias": alias, "mfa": policy}))
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// GetOrganization returns an organization by id or alias. Needs orgs.read.
func (s *Service) GetOrganization(ctx context.Context, ref string) (*iam.Organization, error) {
	p, err := permission.Require(ctx, permission.OrgsRead)
	if err != nil {
		return nil, err
	}
	return organization(ctx, s.store, p.TenantID, ref)
}

// ListOrganizations lists organizations. Needs orgs.read.
func (s *Service) ListOrganizations(ctx context.Context, lp iam.ListParams) ([]iam.Organization, int, error) {
	p, err := permission.Require(ctx, permission.OrgsRead)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListOrganizations(ctx, p.TenantID, lp)
}

// UpdateOrganization changes an organization. Needs orgs.write.
// Errors: CodeInvalid, CodeNotFound, CodeAliasTaken, CodeExternalIDTaken.
func (s *Service) UpdateOrganization(ctx context.Context, ref string, patch OrgPatch, pre iam.Precondition) (*iam.Organization, error) {
	p, err := permission.Require(ctx, permission.OrgsWrite)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	var name, alias, ext, policy string
	var meta map[string]any
	if patch.Name != nil {
		name = f.text("name", *patch.Name, maxNameLen, true)
	}
	if patch.Alias != nil {
		alias = f.alias("alias", *patch.Alias)
	}
	if patch.ExternalID != nil {
		ext = f.text("external_id", *patch.ExternalID, maxExternalLen, false)
	}
	if patch.Metadata != nil {
		meta = f.metadata("metadata", *patch.Metadata)
	}
	if patch.MFA != nil {
		policy = f.mfaPolicy("mfa", *patch.MFA)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var o *iam.Organization
	err = access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		if o, err = lockedOrganization(ctx, tx, p.TenantID, ref); err != nil {
			return err
		}
		if err := pre.Check(o.Version); err != nil {
			return err
		}
		if patch.Name != nil {
			o.Name = name
		}
		if patch.Alias != nil {
			o.Alias = alias
		}
		if patch.ExternalID != nil {
			o.ExternalID = ext
		}
		if patch.Metadata != nil {
			o.Metadata = meta
		}
		if patch.MFA != nil {
			o.MFA = policy
		}
		o.UpdatedAt = s.now()
		if err := tx.UpdateOrganization(ctx, o); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "organization.updated", orgRef(o.ID), iam.ResultSuccess,
			map[string]any{"name": o.Name, "alias": o.Alias, "mfa": o.MFA}))
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// DeleteOrganization removes an organization with its roles and memberships,
// if it meets pre. Needs orgs.write. Errors: CodeNotFound, CodePreconditionFailed.
func (s *Service) DeleteOrganization(ctx context.Context, ref string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.OrgsWrite)
	if err != nil {
		return err
	}
	return access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		o, err := lockedOrganization(ctx, tx, p.TenantID, ref)
		if err != nil {
			return err
		}
		if err := pre.Check(o.Version); err != nil {
			return err
		}
		if err := tx.DeleteOrganization(ctx, p.TenantID, o.ID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "organization.deleted", orgRef(o.ID), iam.ResultSuccess,
			map[string]any{"name": o.Name, "alias": o.Alias}))
	})
}

// ListMembers lists an organization's members with their roles there.
// Needs orgs.read.
func (s *Service) ListMembers(ctx context.Context, ref string, lp iam.ListParams) ([]iam.Member, int, error) {
	p, err := permission.Require(ctx, permission.OrgsRead)
	if err != nil {
		return nil, 0, err
	}
	o, err := organization(ctx, s.store, p.TenantID, ref)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListMembers(ctx, p.TenantID, o.ID, lp)
}

// SetMember adds a user to an organization, or replaces the roles (ids) they
// hold there. Each role must be a template or the organization's own.
// Needs orgs.write. Errors: CodeInvalid, CodeNotFound.
func (s *Service) SetMember(ctx context.Context, ref, userID string, roleIDs []string) (*iam.Member, error) {
	p, err := permission.Require(ctx, permission.OrgsWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(userID) {
		return nil, notFound("user")
	}
	var m *iam.Member
	err = access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		o, err := lockedOrganization(ctx, tx, p.TenantID, ref)
		if err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, p.TenantID, userID); err != nil {
			return err
		}
		ids, names, err := memberRoles(ctx, tx, p.TenantID, o.ID, roleIDs)
		if err != nil {
			return err
		}
		created, err := tx.SetMember(ctx, p.TenantID, o.ID, userID, ids, s.now())
		if err != nil {
			return err
		}
		action := "organization.member_updated"
		if created {
			action = "organization.member_added"
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, action, iam.Ref{Type: "user", ID: userID}, iam.ResultSuccess,
			map[string]any{"organization_id": o.ID, "roles": names})); err != nil {
			return err
		}
		m, err = tx.GetMember(ctx, p.TenantID, o.ID, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// memberRoles checks role ids for use in an organization and returns them
// without duplicates, with their names.
func memberRoles(ctx context.Context, tx iam.Tx, tenantID, orgID string, roleIDs []string) ([]string, []string, error) {
	ids, names := []string{}, []string{}
	for i, id := range roleIDs {
		field := fmt.Sprintf("roles[%d]", i)
		if !access.ValidID(id) {
			return nil, nil, iam.Invalid("unknown role", map[string]string{field: "must be a role id"})
		}
		r, err := tx.GetRole(ctx, tenantID, id)
		if iam.IsCode(err, iam.CodeNotFound) {
			return nil, nil, iam.Invalid("unknown role", map[string]string{field: "no such role"})
		}
		if err != nil {
			return nil, nil, err
		}
		if r.OrganizationID != "" && r.OrganizationID != orgID {
			return nil, nil, iam.Invalid("a role of another organization", map[string]string{field: "belongs to another organization"})
		}
		if !slices.Contains(ids, id) {
			ids, names = append(ids, id), append(names, r.Name)
		}
	}
	return ids, names, nil
}

// RemoveMember ends a membership and the roles held through it. Needs orgs.write.
func (s *Service) RemoveMember(ctx context.Context, ref, userID string) error {
	p, err := permission.Require(ctx, permission.OrgsWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(userID) {
		return notFound("member")
	}
	return access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		o, err := lockedOrganization(ctx, tx, p.TenantID, ref)
		if err != nil {
			return err
		}
		removed, err := tx.RemoveMember(ctx, p.TenantID, o.ID, userID)
		if err != nil {
			return err
		}
		if !removed {
			return notFound("member")
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "organization.member_removed", iam.Ref{Type: "user", ID: userID},
			iam.ResultSuccess, map[string]any{"organization_id": o.ID}))
	})
}

// MyOrganizations lists the organizations the caller belongs to.
func (s *Service) MyOrganizations(ctx context.Context) ([]iam.Membership, error) {
	p, err := permission.AuthenticatedUser(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.UserMemberships(ctx, p.TenantID, p.UserID)
}
