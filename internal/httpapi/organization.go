package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// OrganizationBody is an organization as the API shows it.
type OrganizationBody struct {
	ID         string         `json:"id" format:"uuid"`
	Name       string         `json:"name"`
	Alias      string         `json:"alias"`
	ExternalID *string        `json:"external_id"`
	Metadata   map[string]any `json:"metadata"`
	MFA        string         `json:"mfa" enum:"optional,required" doc:"MFA policy: under required, a member without a second factor who signs in may only enrol one"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

func organizationBody(o *iam.Organization) OrganizationBody {
	meta := o.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return OrganizationBody{ID: o.ID, Name: o.Name, Alias: o.Alias, ExternalID: optional(o.ExternalID), Metadata: meta,
		MFA: o.MFA, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

type organizationOutput struct {
	ETagHeader
	Body OrganizationBody
}

func organizationOut(o *iam.Organization, err error) (*organizationOutput, error) {
	if err != nil {
		return nil, err
	}
	return &organizationOutput{ETagHeader: etag(o.Version), Body: organizationBody(o)}, nil
}

// OrgPath is the {id} of an organization: its id or its alias.
type OrgPath struct {
	Org string `path:"id" maxLength:"63" doc:"The organization's id or alias"`
}

type createOrganizationInput struct {
	Body struct {
		Name       string         `json:"name" maxLength:"200"`
		Alias      string         `json:"alias" maxLength:"63" doc:"Unique lower-case slug, e.g. acme-eu"`
		ExternalID string         `json:"external_id,omitempty" maxLength:"255"`
		Metadata   map[string]any `json:"metadata,omitempty" doc:"Free-form JSON object, at most 16 KiB"`
		MFA        string         `json:"mfa,omitempty" enum:"optional,required" default:"optional" doc:"MFA policy: optional, or required (every member must have a second factor to sign in)"`
	}
}

func (a *API) createOrganization(ctx context.Context, in *createOrganizationInput) (*organizationOutput, error) {
	b := in.Body
	return organizationOut(a.directory.CreateOrganization(ctx, directory.OrgInput{Name: b.Name, Alias: b.Alias, ExternalID: b.ExternalID, Metadata: b.Metadata, MFA: b.MFA}))
}

type listOrganizationsInput struct {
	ListParams
	OrderBy organizationOrder `query:"order_by"`
}

func (a *API) listOrganizations(ctx context.Context, in *listOrganizationsInput) (*pageOutput[OrganizationBody], error) {
	orgs, total, err := a.directory.ListOrganizations(ctx, in.params(string(in.OrderBy)))
	if err != nil {
		return nil, err
	}
	return pageOf(orgs, total, in.ListParams, organizationBody), nil
}

func (a *API) getOrganization(ctx context.Context, in *OrgPath) (*organizationOutput, error) {
	return organizationOut(a.directory.GetOrganization(ctx, in.Org))
}

type updateOrganizationInput struct {
	OrgPath
	IfMatch
	Body struct {
		Name       *string         `json:"name,omitempty" maxLength:"200"`
		Alias      *string         `json:"alias,omitempty" maxLength:"63"`
		ExternalID *string         `json:"external_id,omitempty" maxLength:"255"`
		Metadata   *map[string]any `json:"metadata,omitempty" doc:"Replaces the whole metadata object"`
		MFA        *string         `json:"mfa,omitempty" enum:"optional,required" doc:"MFA policy: optional, or required (every member must have a second factor to sign in)"`
	}
}

func (a *API) updateOrganization(ctx context.Context, in *updateOrganizationInput) (*organizationOutput, error) {
	b := in.Body
	return organizationOut(a.directory.UpdateOrganization(ctx, in.Org, directory.OrgPatch{Name: b.Name, Alias: b.Alias, ExternalID: b.ExternalID, Metadata: b.Metadata, MFA: b.MFA}, in.precondition()))
}

type deleteOrganizationInput struct {
	OrgPath
	IfMatch
}

func (a *API) deleteOrganization(ctx context.Context, in *deleteOrganizationInput) (*empty, error) {
	return noContent(a.directory.DeleteOrganization(ctx, in.Org, in.precondition()))
}

// RoleRef names a role briefly.
type RoleRef struct {
	ID   string `json:"id" format:"uuid"`
	Name string `json:"name"`
}

func roleRefs(roles []iam.Role) []RoleRef {
	out := make([]RoleRef, len(roles))
	for i, r := range roles {
		out[i] = RoleRef{ID: r.ID, Name: r.Name}
	}
	return out
}

// UserRef names a user briefly.
type UserRef struct {
	ID     string `json:"id" format:"uuid"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

func userRef(u *iam.User) UserRef {
	return UserRef{ID: u.ID, Email: u.Email, Name: u.Name, Status: string(u.Status)}
}

// MemberBody is a member of an organization with the roles held there.
type MemberBody struct {
	User     UserRef   `json:"user"`
	Roles    []RoleRef `json:"roles"`
	JoinedAt time.Time `json:"joined_at"`
}

func memberBody(m *iam.Member) MemberBody {
	return MemberBody{User: userRef(&m.User), Roles: roleRefs(m.Roles), JoinedAt: m.CreatedAt}
}

type listMembersInput struct {
	OrgPath
	ListParams
	OrderBy memberOrder `query:"order_by"`
}

func (a *API) listMembers(ctx context.Context, in *listMembersInput) (*pageOutput[MemberBody], error) {
	members, total, err := a.directory.ListMembers(ctx, in.Org, in.params(string(in.OrderBy)))
	if err != nil {
		return nil, err
	}
	return pageOf(members, total, in.ListParams, memberBody), nil
}

type setMemberInput struct {
	OrgPath
	UserID string `path:"user_id" maxLength:"36"`
	Body   struct {
		Roles []string `json:"roles" maxItems:"100" doc:"Ids of the roles the member holds here: templates or this organization's own"`
	}
}

type memberOutput struct {
	Body MemberBody
}

func (a *API) setMember(ctx context.Context, in *setMemberInput) (*memberOutput, error) {
	m, err := a.directory.SetMember(ctx, in.Org, in.UserID, in.Body.Roles)
	if err != nil {
		return nil, err
	}
	return &memberOutput{Body: memberBody(m)}, nil
}

type memberPath struct {
	OrgPath
	UserID string `path:"user_id" maxLength:"36"`
}

func (a *API) removeMember(ctx context.Context, in *memberPath) (*empty, error) {
	return noContent(a.directory.RemoveMember(ctx, in.Org, in.UserID))
}

// MembershipBody is one organization the caller belongs to.
type MembershipBody struct {
	Organization OrganizationBody `json:"organization"`
	Roles        []RoleRef        `json:"roles"`
	JoinedAt     time.Time        `json:"joined_at"`
}

func (a *API) myOrganizations(ctx context.Context, in *PageParams) (*pageOutput[MembershipBody], error) {
	ms, err := a.directory.MyOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	return pageOfAll(ms, *in, membershipBody), nil
}

func membershipBody(m *iam.Membership) MembershipBody {
	return MembershipBody{Organization: organizationBody(&m.Organization), Roles: roleRefs(m.Roles), JoinedAt: m.CreatedAt}
}
