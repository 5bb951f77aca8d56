package httpapi

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

type loginInput struct {
	Body struct {
		Email        string `json:"email" maxLength:"254" doc:"The account's email"`
		Password     string `json:"password" maxLength:"16384" doc:"The account's password"`
		KeepLoggedIn bool   `json:"keep_logged_in,omitempty" doc:"Keep the session for 30 days instead of ending it after 12 idle hours"`
	}
}

// TokensBody is what a login or refresh answers.
type TokensBody struct {
	AccessToken  string `json:"access_token" doc:"JWT access token"`
	TokenType    string `json:"token_type" example:"Bearer"`
	ExpiresIn    int    `json:"expires_in" doc:"Seconds until the access token expires"`
	RefreshToken string `json:"refresh_token" doc:"Opaque, single-use refresh token"`
}

type tokensOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         TokensBody
}

func tokensOf(t *account.Tokens) *tokensOutput {
	return &tokensOutput{CacheControl: "no-store", Body: TokensBody{AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresIn: t.ExpiresIn, RefreshToken: t.RefreshToken}}
}

func (a *API) login(ctx context.Context, in *loginInput) (*tokensOutput, error) {
	t, err := a.account.Login(ctx, account.LoginInput{Email: in.Body.Email, Password: in.Body.Password, KeepLoggedIn: in.Body.KeepLoggedIn})
	outcome := "success"
	if err != nil {
		outcome = string(iam.ErrorCode(err))
	}
	a.logins.LoginAttempt(outcome)
	if err != nil {
		return nil, err
	}
	return tokensOf(t), nil
}

type refreshInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token" maxLength:"256"`
	}
}

func (a *API) refresh(ctx context.Context, in *refreshInput) (*tokensOutput, error) {
	t, err := a.account.Refresh(ctx, in.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return tokensOf(t), nil
}

type logoutInput struct {
	Body *struct {
		AllSessions bool `json:"all_sessions,omitempty" doc:"End every session of the caller, not just this one"`
	}
}

func (a *API) logout(ctx context.Context, in *logoutInput) (*empty, error) {
	return noContent(a.account.Logout(ctx, in.Body != nil && in.Body.AllSessions))
}

// MeBody is the caller's profile.
type MeBody struct {
	UserBody
	Permissions []string `json:"permissions" doc:"System permissions the caller holds through admin roles"`
}

type meOutput struct {
	Body MeBody
}

func (a *API) me(ctx context.Context, _ *struct{}) (*meOutput, error) {
	u, err := a.account.Me(ctx)
	if err != nil {
		return nil, err
	}
	return &meOutput{Body: MeBody{UserBody: userBody(u), Permissions: iam.PrincipalFrom(ctx).Permissions}}, nil
}
