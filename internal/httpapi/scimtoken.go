package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// SCIMTokenBody is the tenant's SCIM token as the API shows it: never its
// secret.
type SCIMTokenBody struct {
	ID             string     `json:"id" format:"uuid"`
	OrganizationID string     `json:"organization_id,omitempty" doc:"Set for an organization's token: its client provisions that organization's users only"`
	Prefix         string     `json:"prefix" doc:"The secret's first characters (gtscim_ and four more)"`
	CreatedBy      RefBody    `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	ExpiresAt      *time.Time `json:"expires_at" doc:"null: it does not expire"`
	LastUsedAt     *time.Time `json:"last_used_at" doc:"Written at most once a minute"`
}

// RefBody names a party: a user, a service account.
type RefBody struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func scimTokenBody(t *iam.SCIMToken) SCIMTokenBody {
	return SCIMTokenBody{ID: t.ID, OrganizationID: t.OrganizationID, Prefix: t.Display, CreatedBy: RefBody{Type: t.CreatedBy.Type, ID: t.CreatedBy.ID},
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

// CreatedSCIMTokenBody is a new SCIM token with its secret, shown this once.
type CreatedSCIMTokenBody struct {
	SCIMTokenBody
	Token string `json:"token" doc:"The secret, shown this once, for the SCIM client's Authorization: Bearer header"`
}

type createSCIMTokenInput struct {
	Body *scimTokenRequest
}

type scimTokenRequest struct {
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When it stops working, in the future; absent: never"`
}

type createOrgSCIMTokenInput struct {
	IDPath
	Body *scimTokenRequest
}

type createdSCIMTokenOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         CreatedSCIMTokenBody
}

func (a *API) createSCIMToken(ctx context.Context, in *createSCIMTokenInput) (*createdSCIMTokenOutput, error) {
	var expires *time.Time
	if in.Body != nil {
		expires = in.Body.ExpiresAt
	}
	return a.createdSCIMToken(ctx, "", expires)
}

func (a *API) createOrgSCIMToken(ctx context.Context, in *createOrgSCIMTokenInput) (*createdSCIMTokenOutput, error) {
	var expires *time.Time
	if in.Body != nil {
		expires = in.Body.ExpiresAt
	}
	return a.createdSCIMToken(ctx, in.ID, expires)
}

func (a *API) createdSCIMToken(ctx context.Context, orgID string, expires *time.Time) (*createdSCIMTokenOutput, error) {
	c, err := a.scimTokens.Create(ctx, orgID, expires)
	if err != nil {
		return nil, err
	}
	return &createdSCIMTokenOutput{CacheControl: "no-store", Body: CreatedSCIMTokenBody{SCIMTokenBody: scimTokenBody(c.Token), Token: c.Secret}}, nil
}

type scimTokenOutput struct {
	Body SCIMTokenBody
}

func (a *API) getSCIMToken(ctx context.Context, _ *struct{}) (*scimTokenOutput, error) {
	t, err := a.scimTokens.Get(ctx, "")
	if err != nil {
		return nil, err
	}
	return &scimTokenOutput{Body: scimTokenBody(t)}, nil
}

func (a *API) revokeSCIMToken(ctx context.Context, _ *struct{}) (*empty, error) {
	return noContent(a.scimTokens.Revoke(ctx, ""))
}

func (a *API) getOrgSCIMToken(ctx context.Context, in *IDPath) (*scimTokenOutput, error) {
	t, err := a.scimTokens.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &scimTokenOutput{Body: scimTokenBody(t)}, nil
}

func (a *API) revokeOrgSCIMToken(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.scimTokens.Revoke(ctx, in.ID))
}
