package sdk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Subject is whom an authorization check is about: either a Type and an ID,
// or an access Token whose subject Gatehouse works out itself. Build one with
// [UserSubject], [ServiceAccountSubject] or [TokenSubject].
type Subject struct {
	Type  string `json:"type,omitempty"`
	ID    string `json:"id,omitempty"`
	Token string `json:"token,omitempty"`
}

// UserSubject is the user with id.
func UserSubject(id string) Subject { return Subject{Type: "user", ID: id} }

// ServiceAccountSubject is the service account with id.
func ServiceAccountSubject(id string) Subject { return Subject{Type: "service_account", ID: id} }

// TokenSubject is whoever holds the access token.
func TokenSubject(accessToken string) Subject { return Subject{Token: accessToken} }

// CheckRequest asks whether Subject holds Permission, in Organization (an
// id or alias) when it is set, or else from its tenant-wide roles alone.
type CheckRequest struct {
	Subject      Subject `json:"subject"`
	Permission   string  `json:"permission"`
	Organization string  `json:"organization,omitempty"`
}

// Decision is Gatehouse's answer to a [CheckRequest]. Reason names the role
// that granted the permission, or says that none did; it is meant for logs
// and administrators, not for end users.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// Check asks Gatehouse whether a subject holds a permission. The client's
// token must hold the system permission authz.check, or be the subject's own.
// A denial is a Decision with Allowed false, not an error. Errors: 400
// invalid_request (a malformed permission), 401, 403 forbidden (the token may
// not ask about others), 404 not_found (no such organization).
func (c *Client) Check(ctx context.Context, req CheckRequest) (Decision, error) {
	var d Decision
	err := c.Do(ctx, http.MethodPost, "/api/v1/authz/check", req, &d)
	return d, err
}

// check is Check with the bearer token chosen by the caller.
func (c *Client) check(ctx context.Context, token string, req CheckRequest) (Decision, error) {
	var d Decision
	err := c.do(ctx, token, http.MethodPost, "/api/v1/authz/check", req, &d)
	return d, err
}

// MaxBatch is how many checks Gatehouse answers in one check-batch request.
const MaxBatch = 100

// CheckBatch asks many checks at once and returns their decisions in the
// same order. More than [MaxBatch] checks are sent as several requests; the
// first failing one fails the call. Errors are those of [Client.Check].
func (c *Client) CheckBatch(ctx context.Context, checks []CheckRequest) ([]Decision, error) {
	token, err := c.bearer(ctx)
	if err != nil {
		return nil, err
	}
	decisions := make([]Decision, 0, len(checks))
	for start := 0; start < len(checks); start += MaxBatch {
		chunk := checks[start:min(start+MaxBatch, len(checks))]
		var out struct {
			Results []Decision `json:"results"`
		}
		in := struct {
			Checks []CheckRequest `json:"checks"`
		}{chunk}
		if err := c.do(ctx, token, http.MethodPost, "/api/v1/authz/check-batch", in, &out); err != nil {
			return nil, err
		}
		if len(out.Results) != len(chunk) {
			return nil, fmt.Errorf("gatehouse: check-batch answered %d results for %d checks", len(out.Results), len(chunk))
		}
		decisions = append(decisions, out.Results...)
	}
	return decisions, nil
}

// MyPermissions lists the permissions the client's own token holds in
// organization (an id or alias), or tenant-wide when organization is "".
func (c *Client) MyPermissions(ctx context.Context, organization string) ([]string, error) {
	path := "/api/v1/me/permissions"
	if organization != "" {
		path += "?" + url.Values{"organization": {organization}}.Encode()
	}
	var out struct {
		Permissions []string `json:"permissions"`
	}
	if err := c.Do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return out.Permissions, nil
}
