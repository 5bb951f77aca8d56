package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

func (a *API) mfaRoutes(api huma.API) {
	const v1 = "/api/v1"
	huma.Register(api, operation(http.MethodPost, v1+"/auth/mfa/verify", "mfa-verify", "Complete a login's second step with a code", "auth", 200, false), a.mfaVerify)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/mfa/email/send", "mfa-email-send", "Mail a code for a login's second step", "auth", 202, false), a.mfaEmailSend)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/mfa/webauthn/begin", "mfa-webauthn-begin", "Ask for a passkey assertion to complete a login's second step", "auth", 200, false), a.mfaWebAuthnBegin)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/reauth/webauthn/begin", "reauth-webauthn-begin", "Ask for a passkey assertion to confirm the caller with", "auth", 200, true), a.reauthWebAuthnBegin)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/reauth", "reauth", "Confirm the caller with a second factor for the actions that need a recent one", "auth", 204, true), a.reauth)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/reauth/email/send", "reauth-email-send", "Mail a code to confirm the caller with", "auth", 202, true), a.reauthEmailSend)
	huma.Register(api, operation(http.MethodGet, v1+"/mfa", "mfa-status", "The caller's second factors", "mfa", 200, true), a.mfaStatus)
	huma.Register(api, operation(http.MethodPost, v1+"/mfa/totp", "mfa-totp-begin", "Start enrolling a TOTP authenticator", "mfa", 200, true), a.totpBegin)
	huma.Register(api, operation(http.MethodPost, v1+"/mfa/totp/confirm", "mfa-totp-confirm", "Turn TOTP on with a code from the authenticator", "mfa", 204, true), a.totpConfirm)
	huma.Register(api, operation(http.MethodDelete, v1+"/mfa/totp", "mfa-totp-disable", "Turn TOTP off", "mfa", 204, true), a.totpDisable)
	huma.Register(api, operation(http.MethodPost, v1+"/mfa/email", "mfa-email-enable", "Turn email codes on", "mfa", 204, true), a.emailEnable)
	huma.Register(api, operation(http.MethodDelete, v1+"/mfa/email", "mfa-email-disable", "Turn email codes off", "mfa", 204, true), a.emailDisable)
	huma.Register(api, operation(http.MethodPost, v1+"/mfa/recovery-codes", "mfa-recovery-codes", "Replace the caller's recovery codes with ten new ones, shown once", "mfa", 200, true), a.recoveryCodes)
}

type mfaVerifyInput struct {
	Body struct {
		MFAToken  string             `json:"mfa_token" maxLength:"256" doc:"The login's mfa_token"`
		Method    string             `json:"method" enum:"totp,email,recovery_code,webauthn" doc:"totp, email, recovery_code or webauthn"`
		Code      string             `json:"code,omitempty" maxLength:"64" doc:"The code: 6 digits, or a recovery code such as abcd-efgh-1234-5678"`
		Assertion WebAuthnCredential `json:"assertion,omitempty" doc:"For webauthn: the PublicKeyCredential that navigator.credentials.get() answered to the options of /api/v1/auth/mfa/webauthn/begin"`
	}
}

func (a *API) mfaVerify(ctx context.Context, in *mfaVerifyInput) (*tokensOutput, error) {
	t, err := a.account.VerifyMFA(ctx, account.MFAVerifyInput{Token: in.Body.MFAToken, Method: in.Body.Method, Code: in.Body.Code,
		Assertion: json.RawMessage(in.Body.Assertion)})
	if err != nil {
		return nil, err
	}
	return tokensOf(t), nil
}

type mfaTokenInput struct {
	Body struct {
		MFAToken string `json:"mfa_token" maxLength:"256" doc:"The login's mfa_token"`
	}
}

func (a *API) mfaEmailSend(ctx context.Context, in *mfaTokenInput) (*empty, error) {
	return noContent(a.account.SendMFACode(ctx, in.Body.MFAToken))
}

// AssertionOptionsBody asks for a passkey assertion.
type AssertionOptionsBody struct {
	Options json.RawMessage `json:"options" doc:"Pass to navigator.credentials.get() (after PublicKeyCredential.parseRequestOptionsFromJSON of options.publicKey)"`
}

type assertionOptionsOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         AssertionOptionsBody
}

func assertionOptionsOf(options json.RawMessage, err error) (*assertionOptionsOutput, error) {
	if err != nil {
		return nil, err
	}
	return &assertionOptionsOutput{CacheControl: "no-store", Body: AssertionOptionsBody{Options: options}}, nil
}

func (a *API) mfaWebAuthnBegin(ctx context.Context, in *mfaTokenInput) (*assertionOptionsOutput, error) {
	return assertionOptionsOf(a.account.BeginMFAPasskey(ctx, in.Body.MFAToken))
}

func (a *API) reauthWebAuthnBegin(ctx context.Context, _ *struct{}) (*assertionOptionsOutput, error) {
	return assertionOptionsOf(a.account.BeginReauthPasskey(ctx))
}

type reauthInput struct {
	Body struct {
		Method    string             `json:"method" enum:"totp,email,recovery_code,webauthn,password" doc:"totp, email, recovery_code, webauthn, or password for an account without a second factor"`
		Code      string             `json:"code,omitempty" maxLength:"64" doc:"The code, for totp, email and recovery_code"`
		Password  string             `json:"password,omitempty" maxLength:"16384" doc:"The password, for method password"`
		Assertion WebAuthnCredential `json:"assertion,omitempty" doc:"For webauthn: the PublicKeyCredential answering the options of /api/v1/auth/reauth/webauthn/begin"`
	}
}

func (a *API) reauth(ctx context.Context, in *reauthInput) (*empty, error) {
	return noContent(a.account.Reauth(ctx, account.ReauthInput{Method: in.Body.Method, Code: in.Body.Code, Password: in.Body.Password,
		Assertion: json.RawMessage(in.Body.Assertion)}))
}

func (a *API) reauthEmailSend(ctx context.Context, _ *struct{}) (*empty, error) {
	return noContent(a.account.SendReauthCode(ctx))
}

// MFAStatusBody is which second factors the caller has on.
type MFAStatusBody struct {
	Enabled           bool     `json:"enabled" doc:"Whether the caller has a second factor on"`
	TOTP              bool     `json:"totp"`
	Email             bool     `json:"email"`
	Passkeys          int      `json:"passkeys" doc:"How many passkeys the caller holds"`
	RecoveryCodesLeft int      `json:"recovery_codes_remaining" doc:"Unused recovery codes"`
	Methods           []string `json:"methods" doc:"Methods that complete a sign-in or a step-up"`
}

type mfaStatusOutput struct {
	Body MFAStatusBody
}

func (a *API) mfaStatus(ctx context.Context, _ *struct{}) (*mfaStatusOutput, error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return nil, err
	}
	st, err := a.mfa.StatusOf(ctx, p.TenantID, p.UserID)
	if err != nil {
		return nil, err
	}
	methods := st.Methods()
	if methods == nil {
		methods = []string{}
	}
	return &mfaStatusOutput{Body: MFAStatusBody{Enabled: st.Enabled(), TOTP: st.TOTP, Email: st.Email, Passkeys: st.Passkeys,
		RecoveryCodesLeft: st.RecoveryCodesLeft, Methods: methods}}, nil
}

// TOTPEnrollmentBody is what an authenticator app needs.
type TOTPEnrollmentBody struct {
	Secret     string `json:"secret" doc:"The seed, base32, for typing in"`
	OTPAuthURI string `json:"otpauth_uri" doc:"otpauth:// URI of the seed"`
	QRPNG      []byte `json:"qr_png" doc:"QR code of otpauth_uri, a PNG image (base64)"`
}

type totpBeginOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         TOTPEnrollmentBody
}

func (a *API) totpBegin(ctx context.Context, _ *struct{}) (*totpBeginOutput, error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return nil, err
	}
	e, err := a.mfa.BeginTOTP(ctx, p)
	if err != nil {
		return nil, err
	}
	return &totpBeginOutput{CacheControl: "no-store", Body: TOTPEnrollmentBody{Secret: e.Secret, OTPAuthURI: e.OTPAuthURI, QRPNG: e.QRPNG}}, nil
}

type codeInput struct {
	Body struct {
		Code string `json:"code" maxLength:"64" doc:"6 digits from the authenticator"`
	}
}

func (a *API) totpConfirm(ctx context.Context, in *codeInput) (*empty, error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return nil, err
	}
	return noContent(a.mfa.ConfirmTOTP(ctx, p, in.Body.Code))
}

func (a *API) totpDisable(ctx context.Context, _ *struct{}) (*empty, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, err
	}
	return noContent(a.mfa.DisableTOTP(ctx, p))
}

func (a *API) emailEnable(ctx context.Context, _ *struct{}) (*empty, error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return nil, err
	}
	return noContent(a.mfa.EnableEmail(ctx, p))
}

func (a *API) emailDisable(ctx context.Context, _ *struct{}) (*empty, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, err
	}
	return noContent(a.mfa.DisableEmail(ctx, p))
}

// RecoveryCodesBody holds new recovery codes, shown this once.
type RecoveryCodesBody struct {
	Codes []string `json:"codes" doc:"Ten single-use codes; older ones no longer work"`
}

type recoveryCodesOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         RecoveryCodesBody
}

func (a *API) recoveryCodes(ctx context.Context, _ *struct{}) (*recoveryCodesOutput, error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := a.mfa.NewRecoveryCodes(ctx, p)
	if err != nil {
		return nil, err
	}
	return &recoveryCodesOutput{CacheControl: "no-store", Body: RecoveryCodesBody{Codes: codes}}, nil
}
