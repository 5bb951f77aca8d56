package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// TenantBody is a tenant as the API shows it.
type TenantBody struct {
	ID         string    `json:"id" format:"uuid"`
	Name       string    `json:"name"`
	Hostnames  []string  `json:"hostnames"`
	System     bool      `json:"system"`
	ExternalID *string   `json:"external_id" doc:"Your id for the tenant, unique among tenants: the client id on the nevisIDM paths"`
	BaseURL    string    `json:"base_url,omitempty" doc:"Where the tenant's mail links point and the issuer of its tokens: the server's issuer for the system tenant and in single-tenant mode, else the issuer on the first hostname; absent without hostnames"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (a *API) tenantBody(t *iam.Tenant) TenantBody {
	hosts := t.Hostnames
	if hosts == nil {
		hosts = []string{}
	}
	return TenantBody{ID: t.ID, Name: t.Name, Hostnames: hosts, System: t.System, ExternalID: optional(t.ExternalID), BaseURL: a.baseURL(t),
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type tenantOutput struct {
	ETagHeader
	Body TenantBody
}

func (a *API) tenantOut(t *iam.Tenant, err error) (*tenantOutput, error) {
	if err != nil {
		return nil, err
	}
	return &tenantOutput{ETagHeader: etag(t.Version), Body: a.tenantBody(t)}, nil
}

// TenantAdmin is the first superadmin of a new tenant.
type TenantAdmin struct {
	Email    string `json:"email" maxLength:"254"`
	Password string `json:"password" maxLength:"16384"`
	Name     string `json:"name,omitempty" maxLength:"200"`
}

type createTenantInput struct {
	Body struct {
		Name       string       `json:"name" maxLength:"200"`
		Hostnames  []string     `json:"hostnames" maxItems:"50" doc:"Hosts whose requests reach this tenant in multi-tenant mode; the first is its primary hostname, the host of its base URL"`
		ExternalID string       `json:"external_id,omitempty" maxLength:"255" doc:"Your id for the tenant, unique among tenants: the client id on the nevisIDM paths"`
		Admin      *TenantAdmin `json:"admin,omitempty" doc:"The tenant's first superadmin"`
	}
}

func (a *API) createTenant(ctx context.Context, in *createTenantInput) (*tenantOutput, error) {
	b := in.Body
	ti := directory.TenantInput{Name: b.Name, Hostnames: b.Hostnames, ExternalID: b.ExternalID}
	if b.Admin != nil {
		ti.Admin = &directory.NewUser{Email: b.Admin.Email, Password: b.Admin.Password, Name: b.Admin.Name}
	}
	return a.tenantOut(a.directory.CreateTenant(ctx, ti))
}

type listTenantsInput struct {
	ListParams
	OrderBy tenantOrder `query:"order_by"`
}

func (a *API) listTenants(ctx context.Context, in *listTenantsInput) (*pageOutput[TenantBody], error) {
	tenants, total, err := a.directory.ListTenants(ctx, in.params(string(in.OrderBy)))
	if err != nil {
		return nil, err
	}
	return pageOf(tenants, total, in.ListParams, a.tenantBody), nil
}

func (a *API) getTenant(ctx context.Context, in *IDPath) (*tenantOutput, error) {
	return a.tenantOut(a.directory.GetTenant(ctx, in.ID))
}

type updateTenantInput struct {
	IDPath
	IfMatch
	Body struct {
		Name       *string   `json:"name,omitempty" maxLength:"200"`
		Hostnames  *[]string `json:"hostnames,omitempty" maxItems:"50"`
		ExternalID *string   `json:"external_id,omitempty" maxLength:"255" doc:"An empty string clears it"`
	}
}

func (a *API) updateTenant(ctx context.Context, in *updateTenantInput) (*tenantOutput, error) {
	return a.tenantOut(a.directory.UpdateTenant(ctx, in.ID, directory.TenantPatch{Name: in.Body.Name, Hostnames: in.Body.Hostnames, ExternalID: in.Body.ExternalID}, in.precondition()))
}

func (a *API) deleteTenant(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.directory.DeleteTenant(ctx, in.ID, in.precondition()))
}
