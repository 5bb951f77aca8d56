package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// AdminRoleBody is an admin role as the API shows it.
type AdminRoleBody struct {
	ID          string    `json:"id" format:"uuid"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func adminRoleBody(r *iam.AdminRole) AdminRoleBody {
	return AdminRoleBody{ID: r.ID, Name: r.Name, Description: r.Description, Permissions: r.Permissions, Builtin: r.Builtin,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type adminRoleOutput struct {
	ETagHeader
	Body AdminRoleBody
}

func adminRoleOut(r *iam.AdminRole, err error) (*adminRoleOutput, error) {
	if err != nil {
		return nil, err
	}
	return &adminRoleOutput{ETagHeader: etag(r.Version), Body: adminRoleBody(r)}, nil
}

type createAdminRoleInput struct {
	Body struct {
		Name        string   `json:"name" maxLength:"100"`
		Description string   `json:"description,omitempty" maxLength:"1000"`
		Permissions []string `json:"permissions" maxItems:"100" doc:"System permissions such as users.read, users.* or *"`
	}
}

func (a *API) createAdminRole(ctx context.Context, in *createAdminRoleInput) (*adminRoleOutput, error) {
	b := in.Body
	return adminRoleOut(a.directory.CreateAdminRole(ctx, directory.AdminRoleInput{Name: b.Name, Description: b.Description, Permissions: b.Permissions}))
}

type listAdminRolesInput struct {
	ListParams
	OrderBy adminRoleOrder `query:"order_by"`
}

func (a *API) listAdminRoles(ctx context.Context, in *listAdminRolesInput) (*pageOutput[AdminRoleBody], error) {
	roles, total, err := a.directory.ListAdminRoles(ctx, in.params(string(in.OrderBy)))
	if err != nil {
		return nil, err
	}
	return pageOf(roles, total, in.ListParams, adminRoleBody), nil
}

func (a *API) getAdminRole(ctx context.Context, in *IDPath) (*adminRoleOutput, error) {
	return adminRoleOut(a.directory.GetAdminRole(ctx, in.ID))
}

type updateAdminRoleInput struct {
	IDPath
	IfMatch
	Body struct {
		Name        *string   `json:"name,omitempty" maxLength:"100"`
		Description *string   `json:"description,omitempty" maxLength:"1000"`
		Permissions *[]string `json:"permissions,omitempty" maxItems:"100"`
	}
}

func (a *API) updateAdminRole(ctx context.Context, in *updateAdminRoleInput) (*adminRoleOutput, error) {
	b := in.Body
	return adminRoleOut(a.directory.UpdateAdminRole(ctx, in.ID, directory.AdminRolePatch{Name: b.Name, Description: b.Description, Permissions: b.Permissions}, in.precondition()))
}

func (a *API) deleteAdminRole(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.directory.DeleteAdminRole(ctx, in.ID, in.precondition()))
}

// AdminBody is an admin: the user and the admin roles they hold.
type AdminBody struct {
	UserBody
	AdminRoles []AdminRoleBody `json:"admin_roles"`
}

func adminBody(ad *iam.Admin) AdminBody {
	b := AdminBody{UserBody: userBody(&ad.User), AdminRoles: make([]AdminRoleBody, 0, len(ad.Roles))}
	for i := range ad.Roles {
		b.AdminRoles = append(b.AdminRoles, adminRoleBody(&ad.Roles[i]))
	}
	return b
}

type adminOutput struct {
	ETagHeader
	Body AdminBody
}

func adminOut(ad *iam.Admin, err error) (*adminOutput, error) {
	if err != nil {
		return nil, err
	}
	return &adminOutput{ETagHeader: etag(ad.User.Version), Body: adminBody(ad)}, nil
}

type createAdminInput struct {
	Body struct {
		Email      string   `json:"email" maxLength:"254"`
		Password   string   `json:"password" maxLength:"16384"`
		Name       string   `json:"name" maxLength:"200"`
		AdminRoles []string `json:"admin_roles" minItems:"1" maxItems:"50" doc:"Admin role names or ids"`
	}
}

func (a *API) createAdmin(ctx context.Context, in *createAdminInput) (*adminOutput, error) {
	b := in.Body
	return adminOut(a.directory.CreateAdmin(ctx, directory.NewAdmin{Email: b.Email, Password: b.Password, Name: b.Name, AdminRoles: b.AdminRoles}))
}

type listAdminsInput struct {
	ListParams
	OrderBy adminOrder `query:"order_by"`
}

func (a *API) listAdmins(ctx context.Context, in *listAdminsInput) (*pageOutput[AdminBody], error) {
	admins, total, err := a.directory.ListAdmins(ctx, in.params(string(in.OrderBy)))
	if err != nil {
		return nil, err
	}
	return pageOf(admins, total, in.ListParams, adminBody), nil
}

func (a *API) getAdmin(ctx context.Context, in *IDPath) (*adminOutput, error) {
	return adminOut(a.directory.GetAdmin(ctx, in.ID))
}

type updateAdminInput struct {
	IDPath
	IfMatch
	Body struct {
		AdminRoles []string `json:"admin_roles" maxItems:"50" doc:"Admin role names or ids; an empty list takes every role"`
	}
}

func (a *API) updateAdmin(ctx context.Context, in *updateAdminInput) (*adminOutput, error) {
	return adminOut(a.directory.SetAdminRoles(ctx, in.ID, in.Body.AdminRoles, in.precondition()))
}

func (a *API) deleteAdmin(ctx context.Context, in *idIfMatch) (*empty, error) {
	_, err := a.directory.SetAdminRoles(ctx, in.ID, nil, in.precondition())
	return noContent(err)
}
