package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

type registerInput struct {
	Body struct {
		Email           string `json:"email" maxLength:"254"`
		Password        string `json:"password" maxLength:"16384"`
		Name            string `json:"name" maxLength:"200"`
		InvitationToken string `json:"invitation_token,omitempty" maxLength:"128"`
	}
}

type registerOutput struct {
	Body struct {
		Status string `json:"status" enum:"verification_sent,active" doc:"verification_sent: check your mail; active: an invitation proved the address"`
	}
}

func (a *API) register(ctx context.Context, in *registerInput) (*registerOutput, error) {
	b := in.Body
	status, err := a.account.Register(ctx, account.RegisterInput{Email: b.Email, Password: b.Password, Name: b.Name, InvitationToken: b.InvitationToken})
	if err != nil {
		return nil, err
	}
	out := &registerOutput{}
	out.Body.Status = status
	return out, nil
}

type tokenInput struct {
	Body struct {
		Token string `json:"token" maxLength:"128"`
	}
}

func (a *API) verifyEmail(ctx context.Context, in *tokenInput) (*empty, error) {
	return noContent(a.account.VerifyEmail(ctx, in.Body.Token))
}

func (a *API) confirmEmailChange(ctx context.Context, in *tokenInput) (*empty, error) {
	return noContent(a.account.ConfirmEmailChange(ctx, in.Body.Token))
}

type emailInput struct {
	Body struct {
		Email string `json:"email" maxLength:"254"`
	}
}

func (a *API) resendVerification(ctx context.Context, in *emailInput) (*empty, error) {
	return noContent(a.account.ResendVerification(ctx, in.Body.Email))
}

func (a *API) forgotPassword(ctx context.Context, in *emailInput) (*empty, error) {
	return noContent(a.account.ForgotPassword(ctx, in.Body.Email))
}

type resetPasswordInput struct {
	Body struct {
		Token       string `json:"token" maxLength:"128"`
		NewPassword string `json:"new_password" maxLength:"16384"`
	}
}

func (a *API) resetPassword(ctx context.Context, in *resetPasswordInput) (*empty, error) {
	return noContent(a.account.ResetPassword(ctx, in.Body.Token, in.Body.NewPassword))
}

type strengthInput struct {
	Body struct {
		Password string `json:"password" maxLength:"16384"`
		Email    string `json:"email,omitempty" maxLength:"254"`
		Name     string `json:"name,omitempty" maxLength:"200"`
	}
}

type strengthOutput struct {
	Body struct {
		Score            int      `json:"score" minimum:"0" maximum:"4" doc:"zxcvbn score, 0 (guessable) to 4 (very unguessable)"`
		Acceptable       bool     `json:"acceptable" doc:"Whether this tenant's password policy accepts it"`
		Warnings         []string `json:"warnings"`
		Suggestions      []string `json:"suggestions"`
		CrackTimeDisplay string   `json:"crack_time_display" example:"3 hours"`
	}
}

func (a *API) passwordStrength(ctx context.Context, in *strengthInput) (*strengthOutput, error) {
	st, err := a.account.Strength(ctx, in.Body.Password, in.Body.Email, in.Body.Name)
	if err != nil {
		return nil, err
	}
	out := &strengthOutput{}
	out.Body.Score, out.Body.Acceptable, out.Body.CrackTimeDisplay = st.Score, st.Acceptable, st.CrackTimeDisplay
	out.Body.Warnings, out.Body.Suggestions = nonNil(st.Warnings), nonNil(st.Suggestions)
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type changePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"16384"`
		NewPassword     string `json:"new_password" maxLength:"16384"`
	}
}

func (a *API) changePassword(ctx context.Context, in *changePasswordInput) (*empty, error) {
	return noContent(a.account.ChangePassword(ctx, in.Body.CurrentPassword, in.Body.NewPassword))
}

type changeEmailInput struct {
	Body struct {
		NewEmail string `json:"new_email" maxLength:"254"`
		Password string `json:"password" maxLength:"16384"`
	}
}

func (a *API) changeEmail(ctx context.Context, in *changeEmailInput) (*empty, error) {
	return noContent(a.account.RequestEmailChange(ctx, in.Body.NewEmail, in.Body.Password))
}

type adminPasswordInput struct {
	IDPath
	Body struct {
		Password       string `json:"password,omitempty" maxLength:"16384"`
		SendResetEmail bool   `json:"send_reset_email,omitempty" doc:"Mail the user a reset link instead of setting a password"`
	}
}

func (a *API) adminSetPassword(ctx context.Context, in *adminPasswordInput) (*empty, error) {
	return noContent(a.account.AdminSetPassword(ctx, in.ID, in.Body.Password, in.Body.SendResetEmail))
}

func (a *API) unlockUser(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.account.Unlock(ctx, in.ID))
}

// SessionBody is a session as the API shows it.
type SessionBody struct {
	ID           string    `json:"id" format:"uuid"`
	UserID       string    `json:"user_id" format:"uuid"`
	CreatedAt    time.Time `json:"created_at"`
	LastSeenAt   time.Time `json:"last_seen_at" doc:"The last sign-in or refresh"`
	ExpiresAt    time.Time `json:"expires_at"`
	IP           string    `json:"ip"`
	UserAgent    string    `json:"user_agent"`
	KeepLoggedIn bool      `json:"keep_logged_in"`
	Current      bool      `json:"current" doc:"The session of the request's own token"`
}

func sessionBody(ctx context.Context) func(*iam.Session) SessionBody {
	current := ""
	if p := iam.PrincipalFrom(ctx); p != nil {
		current = p.SessionID
	}
	return func(s *iam.Session) SessionBody {
		return SessionBody{ID: s.ID, UserID: s.UserID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt,
			IP: s.IP, UserAgent: s.UserAgent, KeepLoggedIn: s.KeepLoggedIn, Current: s.ID == current}
	}
}

func (a *API) mySessions(ctx context.Context, in *PageParams) (*pageOutput[SessionBody], error) {
	sessions, total, err := a.account.MySessions(ctx, iam.ListParams{Page: in.Page, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return pageOf(sessions, total, in.params(), sessionBody(ctx)), nil
}

func (a *API) endMySession(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.account.EndMySession(ctx, in.ID))
}

func (a *API) endMyOtherSessions(ctx context.Context, _ *struct{}) (*empty, error) {
	return noContent(a.account.EndMyOtherSessions(ctx))
}

type userSessionsInput struct {
	PageParams
	UserID string `query:"user_id" required:"true" maxLength:"36" doc:"Whose sessions"`
}

func (a *API) userSessions(ctx context.Context, in *userSessionsInput) (*pageOutput[SessionBody], error) {
	sessions, total, err := a.account.UserSessions(ctx, in.UserID, iam.ListParams{Page: in.Page, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return pageOf(sessions, total, in.params(), sessionBody(ctx)), nil
}

func (a *API) endSession(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.account.EndSession(ctx, in.ID))
}

func (a *API) endUserSessions(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.account.EndUserSessions(ctx, in.ID))
}

// InvitationBody is an invitation as the API shows it; the link itself is
// only ever in the mail.
type InvitationBody struct {
	ID             string     `json:"id" format:"uuid"`
	Email          string     `json:"email"`
	OrganizationID *string    `json:"organization_id"`
	Roles          []string   `json:"roles"`
	InvitedBy      string     `json:"invited_by"`
	ExpiresAt      time.Time  `json:"expires_at"`
	AcceptedAt     *time.Time `json:"accepted_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

func invitationBody(inv *iam.Invitation) InvitationBody {
	return InvitationBody{ID: inv.ID, Email: inv.Email, OrganizationID: optional(inv.OrganizationID), Roles: nonNil(inv.Roles),
		InvitedBy: inv.InvitedBy, ExpiresAt: inv.ExpiresAt, AcceptedAt: inv.AcceptedAt, CreatedAt: inv.CreatedAt}
}

type inviteInput struct {
	Body struct {
		Email          string   `json:"email" maxLength:"254"`
		OrganizationID string   `json:"organization_id,omitempty" maxLength:"63" doc:"Organization (id or alias) the invitee joins"`
		Roles          []string `json:"roles,omitempty" maxItems:"50" doc:"Role ids the invitee holds in that organization"`
	}
}

type invitationOutput struct {
	Body InvitationBody
}

func (a *API) invite(ctx context.Context, in *inviteInput) (*invitationOutput, error) {
	inv, err := a.account.Invite(ctx, account.InvitationInput{Email: in.Body.Email, OrganizationID: in.Body.OrganizationID, Roles: in.Body.Roles})
	if err != nil {
		return nil, err
	}
	return &invitationOutput{Body: invitationBody(inv)}, nil
}

type listInvitationsInput struct {
	ListParams
}

func (a *API) listInvitations(ctx context.Context, in *listInvitationsInput) (*pageOutput[InvitationBody], error) {
	invs, total, err := a.account.ListInvitations(ctx, in.params(""))
	if err != nil {
		return nil, err
	}
	return pageOf(invs, total, in.ListParams, invitationBody), nil
}

func (a *API) withdrawInvitation(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.account.WithdrawInvitation(ctx, in.ID))
}
