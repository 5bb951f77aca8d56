package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// GroupBody is a group as the API shows it.
type GroupBody struct {
	ID          string    `json:"id" format:"uuid"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	ExternalID  *string   `json:"external_id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func groupBody(g *iam.Group) GroupBody {
	return GroupBody{ID: g.ID, Name: g.Name, Description: g.Description, ExternalID: optional(g.ExternalID), CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

type groupOutput struct {
	ETagHeader
	Body GroupBody
}

func groupOut(g *iam.Group, err error) (*groupOutput, error) {
	if err != nil {
		return nil, err
	}
	return &groupOutput{ETagHeader: etag(g.Version), Body: groupBody(g)}, nil
}

type createGroupInput struct {
	Body struct {
		Name        string `json:"name" maxLength:"200"`
		Description string `json:"description,omitempty" maxLength:"1000"`
		ExternalID  string `json:"external_id,omitempty" maxLength:"255"`
	}
}

func (a *API) createGroup(ctx context.Context, in *createGroupInput) (*groupOutput, error) {
	b := in.Body
	return groupOut(a.directory.CreateGroup(ctx, directory.GroupInput{Name: b.Name, Description: b.Description, ExternalID: b.ExternalID}))
}

type listGroupsInput struct {
	ListParams
	OrderBy groupOrder `query:"order_by"`
}

func (a *API) listGroups(ctx context.Context, in *listGroupsInput) (*pageOutput[GroupBody], error) {
	groups, total, err := a.directory.ListGroups(ctx, iam.GroupQuery{ListParams: in.params(string(in.OrderBy))})
	if err != nil {
		return nil, err
	}
	return pageOf(groups, total, in.ListParams, groupBody), nil
}

func (a *API) getGroup(ctx context.Context, in *IDPath) (*groupOutput, error) {
	return groupOut(a.directory.GetGroup(ctx, in.ID))
}

type updateGroupInput struct {
	IDPath
	IfMatch
	Body struct {
		Name        *string `json:"name,omitempty" maxLength:"200"`
		Description *string `json:"description,omitempty" maxLength:"1000"`
		ExternalID  *string `json:"external_id,omitempty" maxLength:"255"`
	}
}

func (a *API) updateGroup(ctx context.Context, in *updateGroupInput) (*groupOutput, error) {
	b := in.Body
	return groupOut(a.directory.UpdateGroup(ctx, in.ID, directory.GroupPatch{Name: b.Name, Description: b.Description, ExternalID: b.ExternalID}, in.precondition()))
}

func (a *API) deleteGroup(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.directory.DeleteGroup(ctx, in.ID, in.precondition()))
}

// GroupMemberBody is a user in a group.
type GroupMemberBody struct {
	User    UserRef   `json:"user"`
	AddedAt time.Time `json:"added_at"`
}

func groupMemberBody(m *iam.GroupMember) GroupMemberBody {
	return GroupMemberBody{User: userRef(&m.User), AddedAt: m.CreatedAt}
}

type listGroupMembersInput struct {
	IDPath
	ListParams
	OrderBy groupMemberOrder `query:"order_by"`
}

func (a *API) listGroupMembers(ctx context.Context, in *listGroupMembersInput) (*pageOutput[GroupMemberBody], error) {
	members, total, err := a.directory.ListGroupMembers(ctx, in.ID, in.params(string(in.OrderBy)))
	if err != nil {
		return nil, err
	}
	return pageOf(members, total, in.ListParams, groupMemberBody), nil
}

type groupUserPath struct {
	IDPath
	UserID string `path:"user_id" maxLength:"36"`
}

func (a *API) addGroupMember(ctx context.Context, in *groupUserPath) (*empty, error) {
	return noContent(a.directory.AddGroupMember(ctx, in.ID, in.UserID))
}

func (a *API) removeGroupMember(ctx context.Context, in *groupUserPath) (*empty, error) {
	return noContent(a.directory.RemoveGroupMember(ctx, in.ID, in.UserID))
}

// heldRolesInput pages the roles a user or a group holds.
type heldRolesInput struct {
	IDPath
	PageParams
}

func (a *API) groupRoles(ctx context.Context, in *heldRolesInput) (*pageOutput[RoleBody], error) {
	roles, err := a.directory.GroupRoles(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(roles, in.PageParams, roleBody), nil
}

type groupRolePath struct {
	IDPath
	RoleID string `path:"role_id" maxLength:"36"`
}

func (a *API) addGroupRole(ctx context.Context, in *groupRolePath) (*empty, error) {
	return noContent(a.directory.AddGroupRole(ctx, in.ID, in.RoleID))
}

func (a *API) removeGroupRole(ctx context.Context, in *groupRolePath) (*empty, error) {
	return noContent(a.directory.RemoveGroupRole(ctx, in.ID, in.RoleID))
}
