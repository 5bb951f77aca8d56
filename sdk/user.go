package sdk

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// User is a user of a tenant.
type User struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	EmailVerified bool      `json:"email_verified"`
	Status        string    `json:"status"`
	ExternalID    string    `json:"external_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// CreateUserRequest is a new user. Without a Password the user cannot sign
// in with one.
type CreateUserRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password,omitempty"`
}

// CreateUser creates a user. Errors: 400 invalid_request (details.fields
// names each bad field), 403 forbidden, 409 conflict (the email is taken).
func (c *Client) CreateUser(ctx context.Context, in CreateUserRequest) (*User, error) {
	var u User
	if err := c.Do(ctx, http.MethodPost, "/api/v1/users", in, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUsersOptions filter and page [Client.ListUsers]; zero fields are left
// to Gatehouse's defaults.
type ListUsersOptions struct {
	Page    int    // from 1
	Limit   int    // at most 100
	Search  string // in emails and names
	Status  string // such as "active" or "disabled"
	OrderBy string // a field, "-" first for descending: "-created_at"
}

func (o ListUsersOptions) query() string {
	q := url.Values{}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Search != "" {
		q.Set("search", o.Search)
	}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.OrderBy != "" {
		q.Set("order_by", o.OrderBy)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// ListUsers lists one page of users. Errors: 400 invalid_request (a bad
// order_by or limit), 403 forbidden.
func (c *Client) ListUsers(ctx context.Context, opts ListUsersOptions) (*List[User], error) {
	var l List[User]
	if err := c.Do(ctx, http.MethodGet, "/api/v1/users"+opts.query(), nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// AssignRole gives the user a tenant-wide role: its permissions then apply
// in every organization. Assigning a role the user has is not an error.
// Errors: 403 forbidden, 404 not_found (no such user or role).
func (c *Client) AssignRole(ctx context.Context, userID, roleID string) error {
	return c.Do(ctx, http.MethodPut, "/api/v1/users/"+url.PathEscape(userID)+"/roles/"+url.PathEscape(roleID), nil, nil)
}
