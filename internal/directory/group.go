package directory

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// GroupInput is what creating a group takes.
type GroupInput struct {
	Name        string
	Description string
	ExternalID  string
}

// GroupPatch changes the fields that are not nil; an empty ExternalID clears it.
type GroupPatch struct {
	Name        *string
	Description *string
	ExternalID  *string
}

func groupRef(id string) iam.Ref { return iam.Ref{Type: "group", ID: id} }

func group(ctx context.Context, store iam.AccessStore, tenantID, id string) (*iam.Group, error) {
	if !access.ValidID(id) {
		return nil, notFound("group")
	}
	return store.GetGroup(ctx, tenantID, id)
}

// lockedGroup reads a group and holds its row until the transaction ends:
// changes to it, its members and its roles take turns.
func lockedGroup(ctx context.Context, tx iam.Tx, tenantID, id string) (*iam.Group, error) {
	if !access.ValidID(id) {
		return nil, notFound("group")
	}
	return tx.GetGroupForUpdate(ctx, tenantID, id)
}

// CreateGroup adds a group. Needs groups.write.
// Errors: CodeInvalid, CodeNameTaken, CodeExternalIDTaken.
func (s *Service) CreateGroup(ctx context.Context, in GroupInput) (*iam.Group, error) {
	p, err := permission.Require(ctx, permission.GroupsWrite)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	name := f.text("name", in.Name, maxNameLen, true)
	desc := f.text("description", in.Description, 1000, false)
	ext := f.text("external_id", in.ExternalID, maxExternalLen, false)
	if err := f.err(); err != nil {
		return nil, err
	}
	now := s.now()
	g := &iam.Group{ID: newID(), TenantID: p.TenantID, Name: name, Description: desc, ExternalID: ext, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "group.created", groupRef(g.ID), iam.ResultSuccess, map[string]any{"name": name}))
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// GetGroup returns a group. Needs groups.read.
func (s *Service) GetGroup(ctx context.Context, id string) (*iam.Group, error) {
	p, err := permission.Require(ctx, permission.GroupsRead)
	if err != nil {
		return nil, err
	}
	return group(ctx, s.store, p.TenantID, id)
}

// ListGroups lists groups. Needs groups.read.
func (s *Service) ListGroups(ctx context.Context, q iam.GroupQuery) ([]iam.Group, int, error) {
	p, err := permission.Require(ctx, permission.GroupsRead)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListGroups(ctx, p.TenantID, q)
}

// UpdateGroup changes a group if it meets pre. Needs groups.write.
func (s *Service) UpdateGroup(ctx context.Context, id string, patch GroupPatch, pre iam.Precondition) (*iam.Group, error) {
	p, err := permission.Require(ctx, permission.GroupsWrite)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	var name, desc, ext string
	if patch.Name != nil {
		name = f.text("name", *patch.Name, maxNameLen, true)
	}
	if patch.Description != nil {
		desc = f.text("description", *patch.Description, 1000, false)
	}
	if patch.ExternalID != nil {
		ext = f.text("external_id", *patch.ExternalID, maxExternalLen, false)
	}
	if err := f.err(); err != nil {
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
		if patch.Name != nil {
			g.Name = name
		}
		if patch.Description != nil {
			g.Description = desc
		}
		if patch.ExternalID != nil {
			g.ExternalID = ext
		}
		g.UpdatedAt = s.now()
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "group.updated", groupRef(id), iam.ResultSuccess, map[string]any{"name": g.Name}))
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteGroup removes a group, if it meets pre; its members lose the roles
// it carried. Needs groups.write.
func (s *Service) DeleteGroup(ctx context.Context, id string, pre iam.Precondition) error {
	return s.groupChange(ctx, id, "group.deleted", func(tx iam.Tx, g *iam.Group) (map[string]any, error) {
		if err := pre.Check(g.Version); err != nil {
			return nil, err
		}
		return map[string]any{"name": g.Name}, tx.DeleteGroup(ctx, g.TenantID, g.ID)
	})
}

// ListGroupMembers lists a group's members. Needs groups.read.
func (s *Service) ListGroupMembers(ctx context.Context, id string, lp iam.ListParams) ([]iam.GroupMember, int, error) {
	p, err := permission.Require(ctx, permission.GroupsRead)
	if err != nil {
		return nil, 0, err
	}
	if _, err := group(ctx, s.store, p.TenantID, id); err != nil {
		return nil, 0, err
	}
	return s.store.ListGroupMembers(ctx, p.TenantID, id, lp)
}

// AddGroupMember puts a user in a group; adding a member again changes
// nothing. Needs groups.write.
func (s *Service) AddGroupMember(ctx context.Context, id, userID string) error {
	return s.groupChange(ctx, id, "group.member_added", func(tx iam.Tx, g *iam.Group) (map[string]any, error) {
		if !access.ValidID(userID) {
			return nil, notFound("user")
		}
		if _, err := tx.GetUser(ctx, g.TenantID, userID); err != nil {
			return nil, err
		}
		_, err := tx.AddGroupMember(ctx, g.TenantID, g.ID, userID, s.now())
		return map[string]any{"user_id": userID}, err
	})
}

// RemoveGroupMember takes a user out of a group. Needs groups.write.
func (s *Service) RemoveGroupMember(ctx context.Context, id, userID string) error {
	return s.groupChange(ctx, id, "group.member_removed", func(tx iam.Tx, g *iam.Group) (map[string]any, error) {
		removed, err := tx.RemoveGroupMember(ctx, g.TenantID, g.ID, userID)
		if err == nil && !removed {
			err = notFound("group member")
		}
		return map[string]any{"user_id": userID}, err
	})
}

// GroupRoles lists the roles a group carries. Needs groups.read.
func (s *Service) GroupRoles(ctx context.Context, id string) ([]iam.Role, error) {
	p, err := permission.Require(ctx, permission.GroupsRead)
	if err != nil {
		return nil, err
	}
	if _, err := group(ctx, s.store, p.TenantID, id); err != nil {
		return nil, err
	}
	return s.store.GroupRoles(ctx, p.TenantID, id)
}

// AddGroupRole makes a group carry a template role (groups span
// organizations, so an organization's own role cannot be given through one).
// Needs groups.write. Errors: CodeNotFound, CodeInvalid.
func (s *Service) AddGroupRole(ctx context.Context, id, roleID string) error {
	return s.groupChange(ctx, id, "group.role_added", func(tx iam.Tx, g *iam.Group) (map[string]any, error) {
		if !access.ValidID(roleID) {
			return nil, notFound("role")
		}
		r, err := tx.GetRole(ctx, g.TenantID, roleID)
		if err != nil {
			return nil, err
		}
		if r.OrganizationID != "" {
			return nil, iam.Invalid("a group cannot carry an organization's role",
				map[string]string{"role_id": "is a role of one organization; groups carry template roles"})
		}
		_, err = tx.AddGroupRole(ctx, g.TenantID, g.ID, roleID)
		return map[string]any{"role_id": roleID, "role": r.Name}, err
	})
}

// RemoveGroupRole stops a group carrying a role. Needs groups.write.
func (s *Service) RemoveGroupRole(ctx context.Context, id, roleID string) error {
	return s.groupChange(ctx, id, "group.role_removed", func(tx iam.Tx, g *iam.Group) (map[string]any, error) {
		removed, err := tx.RemoveGroupRole(ctx, g.TenantID, g.ID, roleID)
		if err == nil && !removed {
			err = notFound("group role")
		}
		return map[string]any{"role_id": roleID}, err
	})
}

// groupChange runs change on a group in one transaction with its audit event
// and makes remembered decisions stale.
func (s *Service) groupChange(ctx context.Context, id, action string, change func(tx iam.Tx, g *iam.Group) (map[string]any, error)) error {
	p, err := permission.Require(ctx, permission.GroupsWrite)
	if err != nil {
		return err
	}
	return access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		g, err := lockedGroup(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		details, err := change(tx, g)
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, action, groupRef(g.ID), iam.ResultSuccess, details))
	})
}
