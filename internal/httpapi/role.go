package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// PermissionBody is an application permission as the API shows it.
type PermissionBody struct {
	ID          string    `json:"id" format:"uuid"`
	Name        string    `json:"name" example:"invoices.read"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func permissionBody(p *iam.Permission) PermissionBody {
	return PermissionBody{ID: p.ID, Name: p.Name, Description: p.Description, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type permissionOutput struct {
	ETagHeader
	Body PermissionBody
}

func permissionOut(p *iam.Permission, err error) (*permissionOutput, error) {
	if err != nil {
		return nil, err
	}
	return &permissionOutput{ETagHeader: etag(p.Version), Body: permissionBody(p)}, nil
}

type createPermissionInput struct {
	Body struct {
		Name        string `json:"name" maxLength:"100" doc:"Dotted lower-case name, e.g. invoices.read"`
		Description string `json:"description,omitempty" maxLength:"1000"`
	}
}

func (a *API) createPermission(ctx context.Context, in *createPermissionInput) (*permissionOutput, error) {
	return permissionOut(a.access.CreatePermission(ctx, access.PermissionInput{Name: in.Body.Name, Description: in.Body.Description}))
}

type listPermissionsInput struct {
	ListParams
	OrderBy permissionOrder `query:"order_by"`
}

func (a *API) listPermissions(ctx context.Context, in *listPermissionsInput) (*pageOutput[PermissionBody], error) {
	perms, total, err := a.access.ListPermissions(ctx, in.params(string(in.OrderBy)))
	if err != nil {
		return nil, err
	}
	return pageOf(perms, total, in.ListParams, permissionBody), nil
}

func (a *API) getPermission(ctx context.Context, in *IDPath) (*permissionOutput, error) {
	return permissionOut(a.access.GetPermission(ctx, in.ID))
}

type updatePermissionInput struct {
	IDPath
	IfMatch
	Body struct {
		Description string `json:"description" maxLength:"1000"`
	}
}

func (a *API) updatePermission(ctx context.Context, in *updatePermissionInput) (*permissionOutput, error) {
	return permissionOut(a.access.UpdatePermission(ctx, in.ID, in.Body.Description, in.precondition()))
}

func (a *API) deletePermission(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.access.DeletePermission(ctx, in.ID, in.precondition()))
}

// RoleBody is a role as the API shows it.
type RoleBody struct {
	ID             string    `json:"id" format:"uuid"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Permissions    []string  `json:"permissions"`
	OrganizationID *string   `json:"organization_id" doc:"The organization owning the role; null for a tenant-wide template"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func roleBody(r *iam.Role) RoleBody {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	return RoleBody{ID: r.ID, Name: r.Name, Description: r.Description, Permissions: perms, OrganizationID: optional(r.OrganizationID),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type roleOutput struct {
	ETagHeader
	Body RoleBody
}

func roleOut(r *iam.Role, err error) (*roleOutput, error) {
	if err != nil {
		return nil, err
	}
	return &roleOutput{ETagHeader: etag(r.Version), Body: roleBody(r)}, nil
}

type createRoleInput struct {
	Body struct {
		Name           string   `json:"name" maxLength:"100"`
		Description    string   `json:"description,omitempty" maxLength:"1000"`
		Permissions    []string `json:"permissions" maxItems:"500" doc:"Defined permission names, or wildcards such as invoices.*"`
		OrganizationID string   `json:"organization_id,omitempty" maxLength:"63" doc:"Id or alias of the organization owning the role; omit for a template"`
	}
}

func (a *API) createRole(ctx context.Context, in *createRoleInput) (*roleOutput, error) {
	b := in.Body
	return roleOut(a.access.CreateRole(ctx, access.RoleInput{Name: b.Name, Description: b.Description, Permissions: b.Permissions, OrganizationID: b.OrganizationID}))
}

type listRolesInput struct {
	ListParams
	OrderBy      roleOrder `query:"order_by"`
	Organization string    `query:"organization" maxLength:"63" doc:"Only this organization's own roles (id or alias)"`
	Templates    bool      `query:"templates" doc:"Only tenant-wide templates"`
}

func (a *API) listRoles(ctx context.Context, in *listRolesInput) (*pageOutput[RoleBody], error) {
	roles, total, err := a.access.ListRoles(ctx, iam.RoleQuery{ListParams: in.params(string(in.OrderBy)), OrganizationID: in.Organization, TemplatesOnly: in.Templates})
	if err != nil {
		return nil, err
	}
	return pageOf(roles, total, in.ListParams, roleBody), nil
}

func (a *API) getRole(ctx context.Context, in *IDPath) (*roleOutput, error) {
	return roleOut(a.access.GetRole(ctx, in.ID))
}

type updateRoleInput struct {
	IDPath
	IfMatch
	Body struct {
		Name        *string   `json:"name,omitempty" maxLength:"100"`
		Description *string   `json:"description,omitempty" maxLength:"1000"`
		Permissions *[]string `json:"permissions,omitempty" maxItems:"500"`
	}
}

func (a *API) updateRole(ctx context.Context, in *updateRoleInput) (*roleOutput, error) {
	b := in.Body
	return roleOut(a.access.UpdateRole(ctx, in.ID, access.RolePatch{Name: b.Name, Description: b.Description, Permissions: b.Permissions}, in.precondition()))
}

func (a *API) deleteRole(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.access.DeleteRole(ctx, in.ID, in.precondition()))
}

type userRolePath struct {
	IDPath
	RoleID string `path:"role_id" maxLength:"36"`
}

func (a *API) assignUserRole(ctx context.Context, in *userRolePath) (*empty, error) {
	return noContent(a.access.AssignUserRole(ctx, in.ID, in.RoleID))
}

func (a *API) unassignUserRole(ctx context.Context, in *userRolePath) (*empty, error) {
	return noContent(a.access.UnassignUserRole(ctx, in.ID, in.RoleID))
}

func (a *API) userRoles(ctx context.Context, in *heldRolesInput) (*pageOutput[RoleBody], error) {
	roles, err := a.access.UserRoles(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(roles, in.PageParams, roleBody), nil
}
