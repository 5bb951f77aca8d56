package sdk

import (
	"context"
	"net/http"
	"time"
)

// Role is a named set of permissions. A role without an OrganizationID is a
// tenant-wide template, usable in every organization.
type Role struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Permissions    []string  `json:"permissions"`
	OrganizationID string    `json:"organization_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// CreateRoleRequest is a new role. Permissions are names such as
// "invoices.read" or "invoices.*".
type CreateRoleRequest struct {
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Permissions    []string `json:"permissions"`
	OrganizationID string   `json:"organization_id,omitempty"`
}

// CreateRole creates a role. Errors: 400 invalid_request (a malformed or
// unknown permission), 403 forbidden, 404 not_found (no such organization),
// 409 conflict (the name is taken).
func (c *Client) CreateRole(ctx context.Context, in CreateRoleRequest) (*Role, error) {
	if in.Permissions == nil {
		in.Permissions = []string{}
	}
	var r Role
	if err := c.Do(ctx, http.MethodPost, "/api/v1/roles", in, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
