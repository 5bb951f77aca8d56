package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// maxProvisionedAttributes bounds the attributes kept of one user or group
// that Gatehouse does not model.
const maxProvisionedAttributes = 64 << 10

// inScope refuses, as not found, a user outside the organization a
// principal is confined to (an organization's SCIM client): it may not learn
// of the tenant's other users.
func inScope(ctx context.Context, store iam.AccessStore, p *iam.Principal, userID string) error {
	if p.OrganizationID == "" {
		return nil
	}
	_, err := store.GetMember(ctx, p.TenantID, p.OrganizationID, userID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return notFound("user")
	}
	return err
}

// confined refuses a change by an organization's client to a user whose
// access reaches beyond that organization: a member of other organizations
// too, of a tenant group, a holder of tenant-wide roles, or of an
// application role mapped to them. Such a user is the tenant's to manage;
// the organization's directory could otherwise take the account over
// (change its email, then reset its password) with all it holds.
func confined(ctx context.Context, tx iam.Tx, p *iam.Principal, userID string) error {
	if p.OrganizationID == "" {
		return nil
	}
	memberships, err := tx.UserMemberships(ctx, p.TenantID, userID)
	if err != nil {
		return err
	}
	grants, err := tx.Grants(ctx, p.TenantID, userID, "")
	if err != nil {
		return err
	}
	groups, err := tx.GroupsOfUsers(ctx, p.TenantID, []string{userID})
	if err != nil {
		return err
	}
	_, mapped, err := tx.ListAppRoleMappings(ctx, p.TenantID, iam.AppRoleMappingQuery{UserID: userID, ListParams: iam.ListParams{Page: 1, Limit: 1}})
	if err != nil {
		return err
	}
	if len(memberships) > 1 || len(grants) > 0 || len(groups[userID]) > 0 || mapped > 0 {
		return iam.Errorf(iam.CodeForbidden, "this user's access reaches beyond the organization: only the tenant's directory or an admin changes them")
	}
	return nil
}

// vouchesFor reports whether the provisioning client p may vouch for
// email, which then counts as verified: the tenant's directory for any
// address, an organization's only for the domains that organization's own
// enabled identity providers speak for. Another address it names starts
// unverified: marked verified, the account would be linked to whoever
// signs in with that address through their own provider, and stay in the
// hands of the directory that made it (a pre-account takeover).
func vouchesFor(ctx context.Context, tx iam.Tx, p *iam.Principal, email string) (bool, error) {
	if p.OrganizationID == "" {
		return true, nil
	}
	providers, err := tx.ListFederatedProviders(ctx, p.TenantID)
	if err != nil {
		return false, err
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	for _, pr := range providers {
		if pr.OrganizationID == p.OrganizationID && pr.Enabled && slices.Contains(pr.Domains, domain) {
			return true, nil
		}
	}
	return false, nil
}

// ProvisionedUser is a user as a provisioning client (SCIM) sets it, whole:
// the fields Gatehouse models, and Attributes, a JSON object of the rest,
// kept as sent (nil keeps none).
type ProvisionedUser struct {
	Email      string
	Name       string
	ExternalID string
	Active     bool
	Attributes []byte
}

// ProvisionedGroup is a group as a provisioning client sets it, whole:
// Members are the ids of its users.
type ProvisionedGroup struct {
	Name       string
	ExternalID string
	Members    []string
	Attributes []byte
}

// checked is in with its fields validated and normalised (the email lower-
// cased, texts trimmed). Errors: CodeInvalid naming each bad field.
func (in ProvisionedUser) checked() (ProvisionedUser, error) {
	f := fieldErrors{}
	in.Email = f.email("email", in.Email)
	in.Name = f.text("name", in.Name, maxNameLen, false)
	in.ExternalID = f.text("external_id", in.ExternalID, maxExternalLen, false)
	checkAttributes(f, in.Attributes)
	return in, f.err()
}

// status is the user status in asks for.
func (in ProvisionedUser) status() iam.UserStatus {
	if in.Active {
		return iam.UserActive
	}
	return iam.UserDisabled
}

// checked is in with its fields validated and normalised. Errors:
// CodeInvalid naming each bad field.
func (in ProvisionedGroup) checked() (ProvisionedGroup, error) {
	f := fieldErrors{}
	in.Name = f.text("name", in.Name, maxNameLen, true)
	in.ExternalID = f.text("external_id", in.ExternalID, maxExternalLen, false)
	checkAttributes(f, in.Attributes)
	return in, f.err()
}

// checkAttributes refuses kept attributes that are not a JSON object or
// are too large to keep.
func checkAttributes(f fieldErrors, attrs []byte) {
	if len(attrs) == 0 {
		return
	}
	var obj map[string]any
	switch {
	case len(attrs) > maxProvisionedAttributes:
		f["attributes"] = "must be at most 64 KiB"
	case json.Unmarshal(attrs, &obj) != nil || obj == nil:
		f["attributes"] = "must be a JSON object"
	}
}

// ProvisionUser creates a user as a provisioning client sends it. The
// directory that provisions vouches for the email, which is taken as
// verified; the user has no password and signs in as the tenant allows
// (federation, a reset). Needs users.write. Errors: CodeInvalid,
// CodeEmailTaken, CodeExternalIDTaken.
func (s *Service) ProvisionUser(ctx context.Context, in ProvisionedUser) (*iam.User, error) {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return nil, err
	}
	if in, err = in.checked(); err != nil {
		return nil, err
	}
	now := s.now()
	u := &iam.User{ID: newID(), TenantID: p.TenantID, Email: in.Email, Name: in.Name, ExternalID: in.ExternalID,
		Status: in.status(), CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if u.EmailVerified, err = vouchesFor(ctx, tx, p, u.Email); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if len(in.Attributes) > 0 {
			if err := tx.PutSCIMAttributes(ctx, p.TenantID, iam.SCIMUser, u.ID, in.Attributes); err != nil {
				return err
			}
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "user.created", userRef(u.ID), iam.ResultSuccess,
			map[string]any{"email": u.Email, "status": string(u.Status)})); err != nil {
			return err
		}
		if p.OrganizationID == "" {
			return nil
		}
		// An organization's client provisions members of that organization.
		if _, err := tx.SetMember(ctx, p.TenantID, p.OrganizationID, u.ID, nil, now); err != nil {
			return err
		}
		if err := tx.BumpAccessVersion(ctx, p.TenantID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "organization.member_added", userRef(u.ID), iam.ResultSuccess,
			map[string]any{"organization_id": p.OrganizationID}))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateProvisionedUser reads a user, their kept attributes and their
// groups with the user's row held, and sets what change makes of them: a
// read-modify-write (a SCIM PATCH) that no concurrent change can come
// between. An error of change is returned as it is. Deactivating ends the
// user's sessions and tokens in the same transaction. Admins the caller
// does not cover are refused, as everywhere. Needs users.write. Errors:
// CodeInvalid, CodeNotFound, CodeForbidden, CodeEmailTaken,
// CodeExternalIDTaken, CodePreconditionFailed, CodeLastSuperadmin.
func (s *Service) UpdateProvisionedUser(ctx context.Context, id string, pre iam.Precondition,
	change func(u *iam.User, kept []byte, groups []iam.Group) (ProvisionedUser, error)) (*iam.User, error) {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("user")
	}
	var u *iam.User
	err = s.guardSuperadmin(ctx, p.TenantID, func(tx iam.Tx) error {
		if u, err = tx.GetUserForUpdate(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := inScope(ctx, tx, p, id); err != nil {
			return err
		}
		if err := confined(ctx, tx, p, id); err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, p, id); err != nil {
			return err
		}
		if err := pre.Check(u.Version); err != nil {
			return err
		}
		kept, err := tx.SCIMAttributes(ctx, p.TenantID, iam.SCIMUser, []string{id})
		if err != nil {
			return err
		}
		groups, err := tx.GroupsOfUsers(ctx, p.TenantID, []string{id})
		if err != nil {
			return err
		}
		in, err := change(u, kept[id], groups[id])
		if err != nil {
			return err
		}
		return s.setProvisionedUser(ctx, tx, p, u, kept[id], in)
	})
	if err != nil {
		return nil, err
	}
	s.cache.ForgetUser(id)
	return u, nil
}

// setProvisionedUser writes in over u, which the transaction holds with its
// kept attributes. A change that changes nothing writes nothing: the
// version, and so the ETag, stays.
func (s *Service) setProvisionedUser(ctx context.Context, tx iam.Tx, p *iam.Principal, u *iam.User, kept []byte, in ProvisionedUser) error {
	in, err := in.checked()
	if err != nil {
		return err
	}
	status := in.status()
	now := s.now()
	changed := map[string]any{}
	if in.Email != u.Email {
		u.Email, changed["email"] = in.Email, in.Email
		if u.EmailVerified, err = vouchesFor(ctx, tx, p, u.Email); err != nil {
			return err
		}
	}
	if in.Name != u.Name {
		u.Name, changed["name"] = in.Name, in.Name
	}
	if in.ExternalID != u.ExternalID {
		u.ExternalID, changed["external_id"] = in.ExternalID, in.ExternalID
	}
	statusChanged := status != u.Status
	if len(changed) == 0 && !statusChanged && bytes.Equal(kept, in.Attributes) {
		return nil
	}
	u.Status, u.UpdatedAt = status, now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return err
	}
	if err := tx.PutSCIMAttributes(ctx, p.TenantID, iam.SCIMUser, u.ID, in.Attributes); err != nil && !iam.IsCode(err, iam.CodeNotFound) {
		return err
	}
	if err := tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "user.updated", userRef(u.ID), iam.ResultSuccess, changed)); err != nil {
		return err
	}
	if !statusChanged {
		return nil
	}
	action := "user.enabled"
	if status == iam.UserDisabled {
		action = "user.disabled"
		if err := tx.RevokeUserSessions(ctx, p.TenantID, u.ID, now); err != nil {
			return err
		}
	}
	if err := tx.BumpAccessVersion(ctx, p.TenantID); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, action, userRef(u.ID), iam.ResultSuccess, nil))
}

// GroupsOfUsers lists the groups each of the users is a member of. Needs
// groups.read.
func (s *Service) GroupsOfUsers(ctx context.Context, userIDs []string) (map[string][]iam.Group, error) {
	p, err := permission.Require(ctx, permission.GroupsRead)
	if err != nil {
		return nil, err
	}
	return s.store.GroupsOfUsers(ctx, p.TenantID, userIDs)
}

// ProvisionedAttributes returns the attributes kept for each of the users or
// groups ids that has any. Needs users.read or groups.read.
func (s *Service) ProvisionedAttributes(ctx context.Context, kind iam.SCIMKind, ids []string) (map[string][]byte, error) {
	wanted := permission.UsersRead
	if kind == iam.SCIMGroup {
		wanted = permission.GroupsRead
	}
	p, err := permission.Require(ctx, wanted)
	if err != nil {
		return nil, err
	}
	return s.store.SCIMAttributes(ctx, p.TenantID, kind, ids)
}

// ProvisionGroup creates a group with its members as a provisioning client
// sends it. Needs groups.write. Errors: CodeInvalid (a member that is not a
// user of the tenant among them), CodeNameTaken, CodeExternalIDTaken.
func (s *Service) ProvisionGroup(ctx context.Context, in ProvisionedGroup) (*iam.Group, error) {
	p, err := permission.Require(ctx, permission.GroupsWrite)
	if err != nil {
		return nil, err
	}
	if in, err = in.checked(); err != nil {
		return nil, err
	}
	now := s.now()
	g := &iam.Group{ID: newID(), TenantID: p.TenantID, Name: in.Name, ExternalID: in.ExternalID, CreatedAt: now, UpdatedAt: now}
	err = access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		if len(in.Attributes) > 0 {
			if err := tx.PutSCIMAttributes(ctx, p.TenantID, iam.SCIMGroup, g.ID, in.Attributes); err != nil {
				return err
			}
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "group.created", groupRef(g.ID), iam.ResultSuccess,
			map[string]any{"name": in.Name})); err != nil {
			return err
		}
		g, err = s.setMembers(ctx, tx, g, nil, in.Members)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// ReplaceProvisionedGroup sets a group's name, external id, members and
// kept attributes at once, if the group meets pre (see
// UpdateProvisionedGroup).
func (s *Service) ReplaceProvisionedGroup(ctx context.Context, id string, in ProvisionedGroup, pre iam.Precondition) (*iam.Group, error) {
	return s.UpdateProvisionedGroup(ctx, id, pre, func(*iam.Group, []byte, []string) (ProvisionedGroup, error) { return in, nil })
}

// UpdateProvisionedGroup reads a group, its kept attributes and its
// members with the group's row held, and sets what change makes of them:
// concurrent membership changes never lose each other. An error of change
// is returned as it is. Needs groups.write. Errors: CodeInvalid,
// CodeNotFound, CodeNameTaken, CodeExternalIDTaken, CodePreconditionFailed.
func (s *Service) UpdateProvisionedGroup(ctx context.Context, id string, pre iam.Precondition,
	change func(g *iam.Group, kept []byte, members []string) (ProvisionedGroup, error)) (*iam.Group, error) {
	p, err := permission.Require(ctx, permission.GroupsWrite)
	if err != nil {
		return nil, err
	}
	var g *iam.Group
	err = access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		if g, err = lockedGroup(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		if err := pre.Check(g.Version); err != nil {
			return err
		}
		kept, err := tx.SCIMAttributes(ctx, p.TenantID, iam.SCIMGroup, []string{id})
		if err != nil {
			return err
		}
		current, err := tx.GroupMemberIDs(ctx, g.TenantID, g.ID)
		if err != nil {
			return err
		}
		in, err := change(g, kept[id], current)
		if err != nil {
			return err
		}
		if in, err = in.checked(); err != nil {
			return err
		}
		now := s.now()
		changed := map[string]any{}
		if in.Name != g.Name {
			g.Name, changed["name"] = in.Name, in.Name
		}
		if in.ExternalID != g.ExternalID {
			g.ExternalID, changed["external_id"] = in.ExternalID, in.ExternalID
		}
		if len(changed) > 0 || !bytes.Equal(kept[id], in.Attributes) {
			g.UpdatedAt = now
			if err := tx.UpdateGroup(ctx, g); err != nil {
				return err
			}
			if err := tx.PutSCIMAttributes(ctx, p.TenantID, iam.SCIMGroup, id, in.Attributes); err != nil && !iam.IsCode(err, iam.CodeNotFound) {
				return err
			}
		}
		if len(changed) > 0 {
			if err := tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "group.updated", groupRef(id), iam.ResultSuccess, changed)); err != nil {
				return err
			}
		}
		g, err = s.setMembers(ctx, tx, g, current, in.Members)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// GroupMemberIDs returns the ids of every member of a group. Needs
// groups.read.
func (s *Service) GroupMemberIDs(ctx context.Context, id string) ([]string, error) {
	p, err := permission.Require(ctx, permission.GroupsRead)
	if err != nil {
		return nil, err
	}
	g, err := group(ctx, s.store, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	return s.store.GroupMemberIDs(ctx, g.TenantID, g.ID)
}

// setMembers makes want the members of g, which has current, auditing each
// change, and returns g as it then is: each change of its members moved its
// version. Every new member must be a user of g's tenant.
func (s *Service) setMembers(ctx context.Context, tx iam.Tx, g *iam.Group, current, want []string) (*iam.Group, error) {
	now := s.now()
	have := make(map[string]bool, len(current))
	for _, id := range current {
		have[id] = true
	}
	wanted := make(map[string]bool, len(want))
	for _, userID := range want {
		if wanted[userID] {
			continue
		}
		wanted[userID] = true
		if have[userID] {
			continue
		}
		if !access.ValidID(userID) {
			return nil, iam.Invalid("unknown member", map[string]string{"members": userID + " is not a user of this tenant"})
		}
		if _, err := tx.GetUser(ctx, g.TenantID, userID); iam.IsCode(err, iam.CodeNotFound) {
			return nil, iam.Invalid("unknown member", map[string]string{"members": userID + " is not a user of this tenant"})
		} else if err != nil {
			return nil, err
		}
		if _, err := tx.AddGroupMember(ctx, g.TenantID, g.ID, userID, now); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, now, g.TenantID, "group.member_added", groupRef(g.ID), iam.ResultSuccess,
			map[string]any{"user_id": userID})); err != nil {
			return nil, err
		}
	}
	for _, userID := range current {
		if wanted[userID] {
			continue
		}
		if _, err := tx.RemoveGroupMember(ctx, g.TenantID, g.ID, userID); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, now, g.TenantID, "group.member_removed", groupRef(g.ID), iam.ResultSuccess,
			map[string]any{"user_id": userID})); err != nil {
			return nil, err
		}
	}
	return tx.GetGroup(ctx, g.TenantID, g.ID)
}
