package sdk

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Organization is a customer, team or workspace inside a tenant: users are
// its members with roles that apply there only.
type Organization struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Alias      string         `json:"alias"`
	ExternalID string         `json:"external_id,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// CreateOrganizationRequest is a new organization. Alias is a slug unique in
// the tenant, usable wherever the organization's id is.
type CreateOrganizationRequest struct {
	Name       string         `json:"name"`
	Alias      string         `json:"alias"`
	ExternalID string         `json:"external_id,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
}

// CreateOrganization creates an organization. Errors: 400 invalid_request,
// 403 forbidden, 409 conflict (the alias is taken).
func (c *Client) CreateOrganization(ctx context.Context, in CreateOrganizationRequest) (*Organization, error) {
	var o Organization
	if err := c.Do(ctx, http.MethodPost, "/api/v1/organizations", in, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// SetMemberRoles makes the user a member of the organization (an id or
// alias) with exactly roleIDs there, replacing the roles the member had.
// Errors: 400 invalid_request (a role of another organization), 403
// forbidden, 404 not_found (no such organization, user or role).
func (c *Client) SetMemberRoles(ctx context.Context, organization, userID string, roleIDs []string) error {
	if roleIDs == nil {
		roleIDs = []string{} // "roles": [], never null
	}
	in := struct {
		Roles []string `json:"roles"`
	}{roleIDs}
	return c.Do(ctx, http.MethodPut, "/api/v1/organizations/"+url.PathEscape(organization)+"/members/"+url.PathEscape(userID), in, nil)
}
