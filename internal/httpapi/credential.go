package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/credential"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// CredentialBody is a credential as the API shows it: never its secret.
type CredentialBody struct {
	ID              string     `json:"id" format:"uuid"`
	Type            string     `json:"type" enum:"password,device_password,context_password,recovery_code,totp,email_otp,webauthn"`
	State           string     `json:"state" enum:"active,disabled,locked,expired"`
	CredentialExtID *string    `json:"credential_ext_id,omitempty" doc:"The device id of a device password; the id of a recovery code or passkey"`
	Context         *string    `json:"context,omitempty" doc:"The context of a context password"`
	FailedAttempts  int        `json:"failed_attempts" doc:"Failed verifications since it was last used or activated"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	LastUsedAt      *time.Time `json:"last_used_at"`
	ExpiresAt       *time.Time `json:"expires_at,omitempty"`
}

func credentialBody(c *iam.Credential) CredentialBody {
	b := CredentialBody{ID: c.ID, Type: string(c.Type), State: string(c.State), FailedAttempts: c.FailedAttempts,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LastUsedAt: c.LastUsedAt, ExpiresAt: c.ExpiresAt}
	if c.Type == iam.CredentialContextPassword {
		b.Context = optional(c.Name)
	} else {
		b.CredentialExtID = optional(c.Name)
	}
	return b
}

type credentialOutput struct {
	Body CredentialBody
}

func credentialOut(c *iam.Credential, err error) (*credentialOutput, error) {
	if err != nil {
		return nil, err
	}
	return &credentialOutput{Body: credentialBody(c)}, nil
}

// UserRefPath is the {id} of a user that may be named by external id.
type UserRefPath struct {
	ID string `path:"id" maxLength:"300" doc:"The user's id (UUID), or ext: followed by their external id"`
}

func (p UserRefPath) ref() credential.UserRef { return credential.ParseUserRef(p.ID) }

type listCredentialsInput struct {
	UserRefPath
	PageParams
	Type string `query:"type" enum:"password,device_password,context_password,recovery_code,totp,email_otp,webauthn" doc:"Only credentials of this type"`
}

func (a *API) listCredentials(ctx context.Context, in *listCredentialsInput) (*pageOutput[CredentialBody], error) {
	p := in.params()
	creds, total, err := a.credentials.List(ctx, in.ref(), iam.CredentialType(in.Type), p.params(""))
	if err != nil {
		return nil, err
	}
	return pageOf(creds, total, p, credentialBody), nil
}

type createCredentialInput struct {
	UserRefPath
	Body struct {
		Type            string `json:"type" enum:"device_password,context_password"`
		CredentialExtID string `json:"credential_ext_id,omitempty" maxLength:"255" doc:"The device id; required for a device_password"`
		Context         string `json:"context,omitempty" maxLength:"255" doc:"The context; required for a context_password"`
		Password        string `json:"password" maxLength:"16384" doc:"As the tenant's password policy says"`
	}
}

func (a *API) createCredential(ctx context.Context, in *createCredentialInput) (*credentialOutput, error) {
	b := in.Body
	return credentialOut(a.credentials.Create(ctx, in.ref(),
		credential.NewPassword{Type: iam.CredentialType(b.Type), CredentialExtID: b.CredentialExtID, Context: b.Context, Password: b.Password}))
}

// CredentialPath names one credential of a user.
type CredentialPath struct {
	UserRefPath
	CredentialID string `path:"cid" doc:"The credential's id (UUID)"`
}

type setCredentialStateInput struct {
	CredentialPath
	Body struct {
		State string `json:"state" enum:"active,disabled,locked,expired" doc:"active also clears the failed verifications"`
	}
}

func (a *API) setCredentialState(ctx context.Context, in *setCredentialStateInput) (*credentialOutput, error) {
	return credentialOut(a.credentials.SetState(ctx, in.ref(), in.CredentialID, iam.CredentialState(in.Body.State)))
}

func (a *API) deleteCredential(ctx context.Context, in *CredentialPath) (*empty, error) {
	return noContent(a.credentials.Delete(ctx, in.ref(), in.CredentialID))
}

type verifyCredentialInput struct {
	UserRefPath
	Body struct {
		Type            string `json:"type" enum:"password,device_password,context_password,recovery_code"`
		Password        string `json:"password,omitempty" maxLength:"16384" doc:"The secret of a password, device_password or context_password"`
		Code            string `json:"code,omitempty" maxLength:"64" doc:"A recovery code: 16 letters a-z and digits, dashes between groups allowed (abcd-efgh-1234-5678)"`
		CredentialExtID string `json:"credential_ext_id,omitempty" maxLength:"255" doc:"The device id of a device_password"`
		Context         string `json:"context,omitempty" maxLength:"255" doc:"The context of a context_password"`
	}
}

// VerifyStatus is the outcome of a password verification.
type VerifyStatus struct {
	StatusCode  int    `json:"status_code" enum:"2,3,4,5,6,9" doc:"5 Login Ok; 2 Failed; 3 Failed (lock warning: the next failure locks); 4 Failed (now locked); 6 Password expired (the password was right); 9 Failed (now temporarily locked: concurrent attempts spent the lockout's budget)"`
	Description string `json:"description" example:"Login Ok"`
}

type verifyCredentialOutput struct {
	Status int
	Body   *VerifyStatus
}

func (a *API) verifyCredential(ctx context.Context, in *verifyCredentialInput) (*verifyCredentialOutput, error) {
	b := in.Body
	st, err := a.credentials.Verify(ctx, in.ref(), credential.Attempt{Type: iam.CredentialType(b.Type), Password: b.Password, Code: b.Code,
		CredentialExtID: b.CredentialExtID, Context: b.Context})
	if err != nil {
		return nil, err
	}
	if st == nil {
		return &verifyCredentialOutput{Status: http.StatusNoContent}, nil
	}
	return &verifyCredentialOutput{Status: http.StatusOK, Body: &VerifyStatus{StatusCode: st.Code, Description: st.Description}}, nil
}

// verifyOperation documents the verification's second success, 204 for a
// recovery code used up, and its refusals.
func verifyOperation(op huma.Operation) huma.Operation {
	op.Description = "Checks a password, device password, context password or recovery code of the user without signing them in. " +
		"A password answers 200 with a status code (see VerifyStatus); a recovery code that matches is used up and answers 204. " +
		"404 no_record: no such user or credential, or no active recovery code matches; 422 credential_not_active (details.state), user_not_active."
	op.Responses = map[string]*huma.Response{"204": {Description: "The recovery code matched and is used up"}}
	op.Errors = append(op.Errors, http.StatusNotFound, http.StatusUnprocessableEntity)
	return op
}
