package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/passkey"
)

// WebAuthnCredential is the one opaque object of the API: the browser's
// PublicKeyCredential.toJSON(), which each WebAuthn level extends (Level 3
// added authenticatorAttachment, response.publicKey and more) and whose
// unknown members a relying party ignores, so its schema is any object
// rather than a closed one a newer browser would fail. go-webauthn parses
// it, and the passkey service answers 400 when it is no response at all.
type WebAuthnCredential json.RawMessage

// UnmarshalJSON keeps the credential as sent.
func (c *WebAuthnCredential) UnmarshalJSON(b []byte) error {
	*c = append((*c)[:0], b...)
	return nil
}

// Schema documents the credential as an object of any members.
func (WebAuthnCredential) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, AdditionalProperties: true,
		Description: "The PublicKeyCredential the browser answered, as PublicKeyCredential.toJSON() encodes it " +
			"(WebAuthn Level 3 §5.1): id, rawId, type, response, clientExtensionResults"}
}

// CeremonyBody is the start of a WebAuthn ceremony.
type CeremonyBody struct {
	Token   string          `json:"token" doc:"Finishes this ceremony, once, within 5 minutes"`
	Options json.RawMessage `json:"options" doc:"Pass to navigator.credentials.create() or .get() (after PublicKeyCredential.parseCreationOptionsFromJSON or parseRequestOptionsFromJSON of options.publicKey)"`
}

type ceremonyOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         CeremonyBody
}

func ceremonyOf(token string, options json.RawMessage, err error) (*ceremonyOutput, error) {
	if err != nil {
		return nil, err
	}
	return &ceremonyOutput{CacheControl: "no-store", Body: CeremonyBody{Token: token, Options: options}}, nil
}

// PasskeyBody is one of the caller's passkeys.
type PasskeyBody struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	State      string     `json:"state" enum:"active,disabled,locked,expired"`
	Synced     bool       `json:"synced" doc:"The passkey's provider may copy it to the user's other devices (backup eligible)"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func passkeyBody(p *passkey.Passkey) PasskeyBody {
	return PasskeyBody{ID: p.ID, Name: p.Name, State: string(p.State), Synced: p.Synced, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
}

type passkeyOutput struct {
	Body PasskeyBody
}

func (a *API) beginPasskeyRegistration(ctx context.Context, _ *struct{}) (*ceremonyOutput, error) {
	return ceremonyOf(a.passkeys.BeginRegistration(ctx))
}

type finishPasskeyRegistrationInput struct {
	Body struct {
		Token      string             `json:"token" maxLength:"128"`
		Name       string             `json:"name,omitempty" maxLength:"256" doc:"What the passkey is called in lists, at most 64 characters; default Passkey"`
		Credential WebAuthnCredential `json:"credential" doc:"The PublicKeyCredential that navigator.credentials.create() answered"`
	}
}

func (a *API) finishPasskeyRegistration(ctx context.Context, in *finishPasskeyRegistrationInput) (*passkeyOutput, error) {
	p, err := a.passkeys.FinishRegistration(ctx, in.Body.Token, in.Body.Name, json.RawMessage(in.Body.Credential))
	if err != nil {
		return nil, err
	}
	return &passkeyOutput{Body: passkeyBody(p)}, nil
}

func (a *API) listPasskeys(ctx context.Context, in *PageParams) (*pageOutput[PasskeyBody], error) {
	keys, err := a.passkeys.List(ctx)
	if err != nil {
		return nil, err
	}
	return pageOfAll(keys, *in, passkeyBody), nil
}

type renamePasskeyInput struct {
	IDPath
	Body struct {
		Name string `json:"name" maxLength:"256" doc:"At most 64 characters"`
	}
}

func (a *API) renamePasskey(ctx context.Context, in *renamePasskeyInput) (*passkeyOutput, error) {
	p, err := a.passkeys.Rename(ctx, in.ID, in.Body.Name)
	if err != nil {
		return nil, err
	}
	return &passkeyOutput{Body: passkeyBody(p)}, nil
}

func (a *API) deletePasskey(ctx context.Context, in *IDPath) (*empty, error) {
	return noContent(a.passkeys.Delete(ctx, in.ID))
}

func (a *API) beginPasskeyLogin(ctx context.Context, _ *struct{}) (*ceremonyOutput, error) {
	return ceremonyOf(a.passkeys.BeginLogin(ctx))
}

type finishPasskeyLoginInput struct {
	Body struct {
		Token        string             `json:"token" maxLength:"128"`
		Credential   WebAuthnCredential `json:"credential" doc:"The PublicKeyCredential that navigator.credentials.get() answered"`
		KeepLoggedIn bool               `json:"keep_logged_in,omitempty" doc:"Keep the session for 30 days instead of ending it after 12 idle hours"`
	}
}

func (a *API) finishPasskeyLogin(ctx context.Context, in *finishPasskeyLoginInput) (*tokensOutput, error) {
	t, err := a.account.PasskeyLogin(ctx, account.PasskeyLoginInput{Token: in.Body.Token, Assertion: json.RawMessage(in.Body.Credential), KeepLoggedIn: in.Body.KeepLoggedIn})
	if err != nil {
		a.logins.LoginAttempt(string(iam.ErrorCode(err)))
		return nil, err
	}
	a.logins.LoginAttempt("success")
	return tokensOf(t), nil
}
