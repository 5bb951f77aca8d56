package iam

import (
	"context"
	"time"
)

// ServiceAccount is a machine identity of a tenant: it holds roles,
// organization memberships and admin roles as a user does, and signs in with
// its keys. OrganizationID, when set, is the organization that owns it.
// ClientID is its stable public id, unique across tenants.
type ServiceAccount struct {
	ID             string
	TenantID       string
	OrganizationID string
	Name           string
	Description    string
	ClientID       string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Version is 1 at creation and grows by one with each update,
	// including a change of the admin roles it holds.
	Version int64
}

// ServiceAccountQuery filters the service-account list; OrganizationID lists
// only the accounts that organization owns.
type ServiceAccountQuery struct {
	ListParams
	OrganizationID string
}

// ServiceAccountOrder is the order of the service-account list.
var ServiceAccountOrder = Order{"created_at", "name"}

// ServiceAccountStore persists service accounts.
type ServiceAccountStore interface {
	// CreateServiceAccount inserts a and sets a.Version to 1.
	// CodeNameTaken; CodeConflict when the client id is taken; CodeNotFound
	// when its organization is not in a.TenantID.
	CreateServiceAccount(ctx context.Context, a *ServiceAccount) error
	GetServiceAccount(ctx context.Context, tenantID, id string) (*ServiceAccount, error)
	// GetServiceAccountForUpdate reads like GetServiceAccount and holds the
	// row until the transaction ends (see UserStore.GetUserForUpdate).
	GetServiceAccountForUpdate(ctx context.Context, tenantID, id string) (*ServiceAccount, error)
	// GetServiceAccountByClientID finds the tenant's account with that
	// client id. CodeNotFound.
	GetServiceAccountByClientID(ctx context.Context, tenantID, clientID string) (*ServiceAccount, error)
	// ListServiceAccounts searches names, sorted by ServiceAccountOrder.
	// CodeInvalid for another order.
	ListServiceAccounts(ctx context.Context, tenantID string, q ServiceAccountQuery) ([]ServiceAccount, int, error)
	// UpdateServiceAccount writes name and description and sets a.Version
	// to the incremented version. CodeNameTaken.
	UpdateServiceAccount(ctx context.Context, a *ServiceAccount) error
	// DeleteServiceAccount removes the account with its keys, roles,
	// memberships and admin roles.
	DeleteServiceAccount(ctx context.Context, tenantID, id string) error
}
