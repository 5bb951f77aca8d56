package sdk

import (
	"context"
	"net/http"
	"time"
)

// Permission is a permission an application defines, named in dotted lower
// case: "invoices.read".
type Permission struct {
	ID          string    `json:"id,omitempty"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// CreatePermissionRequest is a new permission.
type CreatePermissionRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// CreatePermission creates a permission. Errors: 400 invalid_request (upper
// case, spaces, or a name reserved for system permissions), 403 forbidden,
// 409 conflict (the name exists).
func (c *Client) CreatePermission(ctx context.Context, in CreatePermissionRequest) (*Permission, error) {
	var p Permission
	if err := c.Do(ctx, http.MethodPost, "/api/v1/permissions", in, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
