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

// LoginBody is a login's answer: the tokens, or the second step it needs.
type LoginBody struct {
	AccessToken           string   `json:"access_token,omitempty" doc:"JWT access token (absent when a second step is needed)"`
	TokenType             string   `json:"token_type,omitempty" example:"Bearer"`
	ExpiresIn             int      `json:"expires_in,omitempty" doc:"Seconds until the access token, or the mfa_token, expires"`
	RefreshToken          string   `json:"refresh_token,omitempty" doc:"Opaque, single-use refresh token"`
	MFARequired           bool     `json:"mfa_required,omitempty" doc:"The account has a second factor: answer it at /api/v1/auth/mfa/verify"`
	MFAToken              string   `json:"mfa_token,omitempty" doc:"Names this login's second step; lives 5 minutes"`
	Methods               []string `json:"methods,omitempty" doc:"Methods that complete the second step: totp, email, webauthn, recovery_code"`
	MFAEnrollmentRequired bool     `json:"mfa_enrollment_required,omitempty" doc:"Policy requires a second factor the account lacks: enrol one under /api/v1/mfa with enrollment_token as bearer token, then sign in again"`
	EnrollmentToken       string   `json:"enrollment_token,omitempty" doc:"Bearer token that may only enrol a second factor; lives 15 minutes"`
}

type loginOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         LoginBody
}

func (a *API) login(ctx context.Context, in *loginInput) (*loginOutput, error) {
	r, err := a.account.Login(ctx, account.LoginInput{Email: in.Body.Email, Password: in.Body.Password, KeepLoggedIn: in.Body.KeepLoggedIn})
	outcome := "success"
	switch {
	case err != nil:
		outcome = string(iam.ErrorCode(err))
	case r.MFA != nil:
		outcome = "mfa_required"
	case r.EnrollmentToken != "":
		outcome = "mfa_enrollment_required"
	}
	a.logins.LoginAttempt(outcome)
	if err != nil {
		return nil, err
	}
	out := &loginOutput{CacheControl: "no-store"}
	switch {
	case r.MFA != nil:
		out.Body = LoginBody{MFARequired: true, MFAToken: r.MFA.Token, Methods: r.MFA.Methods, ExpiresIn: r.MFA.ExpiresIn}
	case r.EnrollmentToken != "":
		out.Body = LoginBody{MFAEnrollmentRequired: true, EnrollmentToken: r.EnrollmentToken}
	default:
		t := tokensOf(r.Tokens).Body
		out.Body = LoginBody{AccessToken: t.AccessToken, TokenType: t.TokenType, ExpiresIn: t.ExpiresIn, RefreshToken: t.RefreshToken}
	}
	return out, nil
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

type updateMeInput struct {
	Body struct {
		Name string `json:"name" maxLength:"200" doc:"The caller's name; empty clears it"`
	}
}

func (a *API) updateMe(ctx context.Context, in *updateMeInput) (*meOutput, error) {
	u, err := a.account.UpdateMyName(ctx, in.Body.Name)
	if err != nil {
		return nil, err
	}
	return &meOutput{Body: MeBody{UserBody: userBody(u), Permissions: iam.PrincipalFrom(ctx).Permissions}}, nil
}

func (a *API) deleteMe(ctx context.Context, _ *struct{}) (*empty, error) {
	return noContent(a.directory.DeleteOwnAccount(ctx))
}
