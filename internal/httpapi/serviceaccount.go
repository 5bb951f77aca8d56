package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/serviceaccount"
)

// ServiceAccountBody is a service account as the API shows it.
type ServiceAccountBody struct {
	ID             string    `json:"id" format:"uuid"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	OrganizationID *string   `json:"organization_id" doc:"The organization that owns it, if any"`
	ClientID       string    `json:"client_id" doc:"Its stable public id, as OAuth clients name it"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func serviceAccountBody(a *iam.ServiceAccount) ServiceAccountBody {
	return ServiceAccountBody{ID: a.ID, Name: a.Name, Description: a.Description, OrganizationID: optional(a.OrganizationID),
		ClientID: a.ClientID, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

type serviceAccountOutput struct {
	ETagHeader
	Body ServiceAccountBody
}

func serviceAccountOut(a *iam.ServiceAccount, err error) (*serviceAccountOutput, error) {
	if err != nil {
		return nil, err
	}
	return &serviceAccountOutput{ETagHeader: etag(a.Version), Body: serviceAccountBody(a)}, nil
}

type createServiceAccountInput struct {
	Body struct {
		Name           string `json:"name" maxLength:"200"`
		Description    string `json:"description,omitempty" maxLength:"1000"`
		OrganizationID string `json:"organization_id,omitempty" maxLength:"100" doc:"The owning organization's id or alias"`
	}
}

func (a *API) createServiceAccount(ctx context.Context, in *createServiceAccountInput) (*serviceAccountOutput, error) {
	b := in.Body
	return serviceAccountOut(a.serviceAccounts.Create(ctx, serviceaccount.Input{Name: b.Name, Description: b.Description, Organization: b.OrganizationID}))
}

type listServiceAccountsInput struct {
	ListParams
	OrderBy        serviceAccountOrder `query:"order_by"`
	OrganizationID string              `query:"organization_id" maxLength:"100" doc:"Only the accounts this organization (id or alias) owns"`
}

func (a *API) listServiceAccounts(ctx context.Context, in *listServiceAccountsInput) (*pageOutput[ServiceAccountBody], error) {
	accounts, total, err := a.serviceAccounts.List(ctx, iam.ServiceAccountQuery{ListParams: in.params(string(in.OrderBy)), OrganizationID: in.OrganizationID})
	if err != nil {
		return nil, err
	}
	return pageOf(accounts, total, in.ListParams, serviceAccountBody), nil
}

func (a *API) getServiceAccount(ctx context.Context, in *IDPath) (*serviceAccountOutput, error) {
	return serviceAccountOut(a.serviceAccounts.Get(ctx, in.ID))
}

type updateServiceAccountInput struct {
	IDPath
	IfMatch
	Body struct {
		Name        *string `json:"name,omitempty" maxLength:"200"`
		Description *string `json:"description,omitempty" maxLength:"1000"`
	}
}

func (a *API) updateServiceAccount(ctx context.Context, in *updateServiceAccountInput) (*serviceAccountOutput, error) {
	b := in.Body
	return serviceAccountOut(a.serviceAccounts.Update(ctx, in.ID, serviceaccount.Patch{Name: b.Name, Description: b.Description}, in.precondition()))
}

func (a *API) deleteServiceAccount(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.serviceAccounts.Delete(ctx, in.ID, in.precondition()))
}

// ServiceAccountKeyBody is a key as the API lists it: never a secret.
type ServiceAccountKeyBody struct {
	ID           string     `json:"key_id" format:"uuid"`
	Type         string     `json:"type" enum:"secret,public_key"`
	Display      string     `json:"display" doc:"The secret's prefix and first characters, or the public key's SHA-256 fingerprint"`
	Algorithm    string     `json:"algorithm,omitempty" enum:"RS256,ES256,ES384"`
	PublicKeyPEM string     `json:"public_key_pem,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at"`
	LastUsedAt   *time.Time `json:"last_used_at" doc:"Written at most once a minute"`
}

func serviceAccountKeyBody(k *iam.ServiceAccountKey) ServiceAccountKeyBody {
	return ServiceAccountKeyBody{ID: k.ID, Type: string(k.Type), Display: k.Display, Algorithm: k.Algorithm, PublicKeyPEM: k.PublicKeyPEM,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, LastUsedAt: k.LastUsedAt}
}

// NewServiceAccountKeyBody is a created key with what is shown only once.
type NewServiceAccountKeyBody struct {
	ServiceAccountKeyBody
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret,omitempty" doc:"The client secret (type secret); shown only now"`
	PrivateKeyPEM string `json:"private_key_pem,omitempty" doc:"The generated private key (type generated), PKCS #8; shown only now, never stored"`
}

type createServiceAccountKeyInput struct {
	IDPath
	Body struct {
		Type         string     `json:"type" enum:"secret,public_key,generated"`
		PublicKeyPEM string     `json:"public_key_pem,omitempty" maxLength:"16384" doc:"For public_key: an RSA (at least 2048 bits) or EC (P-256, P-384) public key in PEM"`
		Algorithm    string     `json:"algorithm,omitempty" enum:"ES256,RS256" doc:"For generated"`
		ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	}
}

type newServiceAccountKeyOutput struct {
	Body NewServiceAccountKeyBody
}

func (a *API) createServiceAccountKey(ctx context.Context, in *createServiceAccountKeyInput) (*newServiceAccountKeyOutput, error) {
	b := in.Body
	k, err := a.serviceAccounts.CreateKey(ctx, in.ID, serviceaccount.KeyInput{Type: b.Type, PublicKeyPEM: b.PublicKeyPEM, Algorithm: b.Algorithm, ExpiresAt: b.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return &newServiceAccountKeyOutput{Body: NewServiceAccountKeyBody{ServiceAccountKeyBody: serviceAccountKeyBody(&k.Key),
		ClientID: k.ClientID, ClientSecret: k.ClientSecret, PrivateKeyPEM: k.PrivateKeyPEM}}, nil
}

type listServiceAccountKeysInput struct {
	IDPath
	PageParams
}

func (a *API) listServiceAccountKeys(ctx context.Context, in *listServiceAccountKeysInput) (*pageOutput[ServiceAccountKeyBody], error) {
	keys, err := a.serviceAccounts.ListKeys(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(keys, in.PageParams, serviceAccountKeyBody), nil
}

type serviceAccountKeyPath struct {
	IDPath
	KeyID string `path:"key_id" maxLength:"36"`
}

func (a *API) revokeServiceAccountKey(ctx context.Context, in *serviceAccountKeyPath) (*empty, error) {
	return noContent(a.serviceAccounts.RevokeKey(ctx, in.ID, in.KeyID))
}

func (a *API) serviceAccountRoles(ctx context.Context, in *heldRolesInput) (*pageOutput[RoleBody], error) {
	roles, err := a.access.ServiceAccountRoles(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(roles, in.PageParams, roleBody), nil
}

func (a *API) assignServiceAccountRole(ctx context.Context, in *userRolePath) (*empty, error) {
	return noContent(a.access.AssignServiceAccountRole(ctx, in.ID, in.RoleID))
}

func (a *API) unassignServiceAccountRole(ctx context.Context, in *userRolePath) (*empty, error) {
	return noContent(a.access.UnassignServiceAccountRole(ctx, in.ID, in.RoleID))
}

func (a *API) serviceAccountOrganizations(ctx context.Context, in *heldRolesInput) (*pageOutput[MembershipBody], error) {
	ms, err := a.directory.ServiceAccountMemberships(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return pageOfAll(ms, in.PageParams, membershipBody), nil
}

type setServiceAccountMemberInput struct {
	OrgPath
	AccountID string `path:"account_id" maxLength:"36"`
	Body      struct {
		Roles []string `json:"roles" maxItems:"100" doc:"Ids of the roles the account holds here: templates or this organization's own"`
	}
}

type membershipOutput struct {
	Body MembershipBody
}

func (a *API) setServiceAccountMember(ctx context.Context, in *setServiceAccountMemberInput) (*membershipOutput, error) {
	m, err := a.directory.SetServiceAccountMember(ctx, in.Org, in.AccountID, in.Body.Roles)
	if err != nil {
		return nil, err
	}
	return &membershipOutput{Body: membershipBody(m)}, nil
}

type serviceAccountMemberPath struct {
	OrgPath
	AccountID string `path:"account_id" maxLength:"36"`
}

func (a *API) removeServiceAccountMember(ctx context.Context, in *serviceAccountMemberPath) (*empty, error) {
	return noContent(a.directory.RemoveServiceAccountMember(ctx, in.Org, in.AccountID))
}

// ServiceAccountAdminRolesBody is the admin roles a service account holds.
type ServiceAccountAdminRolesBody struct {
	AdminRoles []AdminRoleBody `json:"admin_roles"`
}

type serviceAccountAdminRolesOutput struct {
	ETagHeader
	Body ServiceAccountAdminRolesBody
}

func serviceAccountAdminRolesOut(acc *iam.ServiceAccount, roles []iam.AdminRole, err error) (*serviceAccountAdminRolesOutput, error) {
	if err != nil {
		return nil, err
	}
	out := &serviceAccountAdminRolesOutput{ETagHeader: etag(acc.Version), Body: ServiceAccountAdminRolesBody{AdminRoles: []AdminRoleBody{}}}
	for i := range roles {
		out.Body.AdminRoles = append(out.Body.AdminRoles, adminRoleBody(&roles[i]))
	}
	return out, nil
}

func (a *API) getServiceAccountAdminRoles(ctx context.Context, in *IDPath) (*serviceAccountAdminRolesOutput, error) {
	return serviceAccountAdminRolesOut(a.directory.ServiceAccountAdminRoles(ctx, in.ID))
}

type setServiceAccountAdminRolesInput struct {
	IDPath
	IfMatch
	Body struct {
		AdminRoles []string `json:"admin_roles" maxItems:"100" doc:"Ids or names of the admin roles it holds; none takes every one away"`
	}
}

func (a *API) setServiceAccountAdminRoles(ctx context.Context, in *setServiceAccountAdminRolesInput) (*serviceAccountAdminRolesOutput, error) {
	return serviceAccountAdminRolesOut(a.directory.SetServiceAccountAdminRoles(ctx, in.ID, in.Body.AdminRoles, in.precondition()))
}
