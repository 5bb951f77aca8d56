package httpapi

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Consents are the OAuth provider's consents of the caller.
type Consents interface {
	MyConsents(ctx context.Context) ([]iam.Consent, error)
	RevokeMyConsent(ctx context.Context, applicationID string) error
}

// ConsentBody is an application the caller allowed, and what to.
type ConsentBody struct {
	ApplicationID   string    `json:"application_id" format:"uuid"`
	ApplicationName string    `json:"application_name"`
	Scopes          []string  `json:"scopes"`
	Resources       []string  `json:"resources" doc:"The resource servers (RFC 8707) the application may call for the caller"`
	CreatedAt       time.Time `json:"created_at" doc:"When the caller first consented"`
}

type consentPath struct {
	ApplicationID string `path:"application_id" doc:"The application's id (UUID)"`
}

func (a *API) myConsents(ctx context.Context, in *PageParams) (*pageOutput[ConsentBody], error) {
	consents, err := a.consents.MyConsents(ctx)
	if err != nil {
		return nil, err
	}
	return pageOfAll(consents, *in, func(c *iam.Consent) ConsentBody {
		return ConsentBody{ApplicationID: c.ApplicationID, ApplicationName: c.ApplicationName, Scopes: c.Scopes, Resources: c.Resources,
			CreatedAt: c.CreatedAt}
	}), nil
}

func (a *API) revokeMyConsent(ctx context.Context, in *consentPath) (*empty, error) {
	return noContent(a.consents.RevokeMyConsent(ctx, in.ApplicationID))
}
