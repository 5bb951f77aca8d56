package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// UserBody is a user as the API shows it.
type UserBody struct {
	ID            string    `json:"id" format:"uuid"`
	Email         string    `json:"email" format:"email"`
	Name          string    `json:"name"`
	EmailVerified bool      `json:"email_verified"`
	Status        string    `json:"status" enum:"active,disabled"`
	ExternalID    *string   `json:"external_id"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func userBody(u *iam.User) UserBody {
	return UserBody{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerified, Status: string(u.Status),
		ExternalID: optional(u.ExternalID), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

type userOutput struct {
	ETagHeader
	Body UserBody
}

func userOut(u *iam.User, err error) (*userOutput, error) {
	if err != nil {
		return nil, err
	}
	return &userOutput{ETagHeader: etag(u.Version), Body: userBody(u)}, nil
}

type createUserInput struct {
	Body struct {
		Email         string `json:"email" maxLength:"254"`
		Password      string `json:"password,omitempty" maxLength:"16384" doc:"As the password policy says (8 to 128 characters by default); without one the user cannot sign in with a password"`
		Name          string `json:"name" maxLength:"200"`
		ExternalID    string `json:"external_id,omitempty" maxLength:"255" doc:"Your id for the user, unique in the tenant"`
		EmailVerified bool   `json:"email_verified,omitempty"`
	}
}

func (a *API) createUser(ctx context.Context, in *createUserInput) (*userOutput, error) {
	b := in.Body
	return userOut(a.directory.CreateUser(ctx, directory.NewUser{Email: b.Email, Password: b.Password, Name: b.Name,
		ExternalID: b.ExternalID, EmailVerified: b.EmailVerified}))
}

type listUsersInput struct {
	ListParams
	Status  string    `query:"status" enum:"active,disabled" doc:"Only users with this status"`
	OrderBy userOrder `query:"order_by"`
}

func (a *API) listUsers(ctx context.Context, in *listUsersInput) (*pageOutput[UserBody], error) {
	users, total, err := a.directory.ListUsers(ctx, iam.UserQuery{ListParams: in.params(string(in.OrderBy)), Status: iam.UserStatus(in.Status)})
	if err != nil {
		return nil, err
	}
	return pageOf(users, total, in.ListParams, userBody), nil
}

func (a *API) getUser(ctx context.Context, in *IDPath) (*userOutput, error) {
	return userOut(a.directory.GetUser(ctx, in.ID))
}

type updateUserInput struct {
	IDPath
	IfMatch
	Body struct {
		Email         *string `json:"email,omitempty" maxLength:"254"`
		Name          *string `json:"name,omitempty" maxLength:"200"`
		ExternalID    *string `json:"external_id,omitempty" maxLength:"255" doc:"An empty string clears it"`
		EmailVerified *bool   `json:"email_verified,omitempty"`
	}
}

func (a *API) updateUser(ctx context.Context, in *updateUserInput) (*userOutput, error) {
	b := in.Body
	return userOut(a.directory.UpdateUser(ctx, in.ID, directory.UserPatch{Email: b.Email, Name: b.Name, ExternalID: b.ExternalID, EmailVerified: b.EmailVerified}, in.precondition()))
}

func (a *API) deleteUser(ctx context.Context, in *idIfMatch) (*empty, error) {
	return noContent(a.directory.DeleteUser(ctx, in.ID, in.precondition()))
}

func (a *API) disableUser(ctx context.Context, in *IDPath) (*userOutput, error) {
	return userOut(a.directory.SetUserStatus(ctx, in.ID, iam.UserDisabled))
}

func (a *API) enableUser(ctx context.Context, in *IDPath) (*userOutput, error) {
	return userOut(a.directory.SetUserStatus(ctx, in.ID, iam.UserActive))
}
