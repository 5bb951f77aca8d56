package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/pat"
)

// PATBody is a personal access token as the API shows it: never its secret.
type PATBody struct {
	ID         string     `json:"id" format:"uuid"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"The secret's first characters (gtpat_ and four more), to tell tokens apart"`
	Scopes     []string   `json:"scopes" nullable:"true" doc:"The system permissions the token keeps of its owner's; null keeps them all"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at" doc:"Written at most once a minute"`
}

func patBody(t *iam.PersonalAccessToken) PATBody {
	return PATBody{ID: t.ID, Name: t.Name, Prefix: t.Display, Scopes: t.Scopes, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

// CreatedPATBody is a new token with its secret, shown this once.
type CreatedPATBody struct {
	PATBody
	Token string `json:"token" doc:"The secret, shown this once: send it as Authorization: Bearer <token>"`
}

type createPATInput struct {
	Body struct {
		Name      string     `json:"name" maxLength:"400" doc:"What the token is for, up to 100 characters"`
		ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When it stops working: in the future and at most the tenant's tokens.max_pat_lifetime away; 30 days (or that cap, when shorter) when absent"`
		Scopes    []string   `json:"scopes,omitempty" maxItems:"100" doc:"System permissions of yours the token keeps (such as users.read); absent keeps all, [] none"`
	}
}

type createdPATOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         CreatedPATBody
}

func (a *API) createPAT(ctx context.Context, in *createPATInput) (*createdPATOutput, error) {
	b := in.Body
	c, err := a.pats.Create(ctx, pat.NewToken{Name: b.Name, ExpiresAt: b.ExpiresAt, Scopes: b.Scopes})
	if err != nil {
		return nil, err
	}
	return &createdPATOutput{CacheControl: "no-store", Body: CreatedPATBody{PATBody: patBody(c.Token), Token: c.Secret}}, nil
}

func (a *API) listMyPATs(ctx context.Context, in *PageParams) (*pageOutput[PATBody], error) {
	p := in.params()
	tokens, total, err := a.pats.List(ctx, p.params(""))
	if err != nil {
		return nil, err
	}
	return pageOf(tokens, total, p, patBody), nil
}

func (a *API) revokeMyPAT(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.pats.Revoke(ctx, in.ID))
}

type userPATsInput struct {
	IDPath
	PageParams
}

func (a *API) listUserPATs(ctx context.Context, in *userPATsInput) (*pageOutput[PATBody], error) {
	p := in.params()
	tokens, total, err := a.pats.ListOf(ctx, in.ID, p.params(""))
	if err != nil {
		return nil, err
	}
	return pageOf(tokens, total, p, patBody), nil
}

type userPATPath struct {
	IDPath
	TokenID string `path:"tid" doc:"The token's id (UUID)"`
}

func (a *API) revokeUserPAT(ctx context.Context, in *userPATPath) (*empty, error) {
	return noContent(a.pats.RevokeOf(ctx, in.ID, in.TokenID))
}
