package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// APICredentialBody is an API or service credential as the API shows it:
// never its secret, which only its creation answers.
type APICredentialBody struct {
	ID             string     `json:"id" format:"uuid"`
	Name           string     `json:"name"`
	OwnerID        string     `json:"owner_id" format:"uuid" doc:"The user (API credential) or service account (service credential) it authenticates as"`
	OrganizationID *string    `json:"organization_id,omitempty" format:"uuid" doc:"The organization (namespace) it is kept in; absent for the tenant as a whole"`
	State          string     `json:"state" enum:"active,inactive,expired,revoked"`
	Active         bool       `json:"active" doc:"Its activation switch; an expired or revoked one may be active and still not authenticate"`
	Display        string     `json:"display" doc:"The secret's prefix and first characters, to recognise it"`
	ExpiresAt      time.Time  `json:"expires_at"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	LastUsedAt     *time.Time `json:"last_used_at" doc:"Written at most once a minute"`
}

// apiCredentialBody shows credentials in their state as the service's clock
// tells it.
func (a *API) apiCredentialBody(c *iam.APICredential) APICredentialBody {
	return APICredentialBody{ID: c.ID, Name: c.Name, OwnerID: c.OwnerID, OrganizationID: optional(c.OrganizationID), State: string(a.apiCredentials.State(c)),
		Active: c.Active, Display: c.Display, ExpiresAt: c.ExpiresAt, RevokedAt: c.RevokedAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		LastUsedAt: c.LastUsedAt}
}

// CreatedAPICredentialBody is a new credential with its secret.
type CreatedAPICredentialBody struct {
	APICredentialBody
	Secret string `json:"secret" doc:"The bearer secret, shown this once"`
}

type apiCredentialOutput struct {
	Body APICredentialBody
}

type createdAPICredentialOutput struct {
	Body CreatedAPICredentialBody
}

type createAPICredentialInput struct {
	Body struct {
		Name           string    `json:"name" minLength:"1" maxLength:"128" doc:"Unique among the live credentials of its kind in its namespace"`
		OwnerID        string    `json:"owner_id,omitempty" maxLength:"64" doc:"Its owner; the caller by default. Another owner needs credentials.write"`
		ExpiresAt      time.Time `json:"expires_at" doc:"When it stops authenticating; within 5 years"`
		OrganizationID string    `json:"organization_id,omitempty" maxLength:"64" doc:"The organization (namespace) to keep it in"`
	}
}

type listAPICredentialsInput struct {
	ListParams
	OwnerID        string    `query:"owner_id" maxLength:"64" doc:"Only this owner's; without credentials.read, only the caller's are listed"`
	OrganizationID string    `query:"organization_id" maxLength:"64" doc:"Only those kept in this organization"`
	State          string    `query:"state" enum:"active,inactive,expired,revoked" doc:"Only those in this state"`
	ExpiresBefore  time.Time `query:"expires_before" doc:"Only those expiring before this time (RFC 3339)"`
}

type replaceAPICredentialInput struct {
	IDPath
	Body struct {
		Name           string    `json:"name" minLength:"1" maxLength:"128"`
		ExpiresAt      time.Time `json:"expires_at"`
		OrganizationID string    `json:"organization_id,omitempty" maxLength:"64" doc:"Absent moves it to the tenant as a whole"`
	}
}

type renewAPICredentialInput struct {
	IDPath
	Body struct {
		ExpiresAt time.Time `json:"expires_at" doc:"The new expiry; within 5 years"`
	}
}

type bulkRevokeInput struct {
	Body struct {
		IDs            []string  `json:"ids,omitempty" maxItems:"1000" doc:"Only these"`
		OwnerID        string    `json:"owner_id,omitempty" maxLength:"64" doc:"Only this owner's"`
		OrganizationID string    `json:"organization_id,omitempty" maxLength:"64" doc:"Only those kept in this organization"`
		ExpiresBefore  time.Time `json:"expires_before,omitempty" doc:"Only those expiring before this time"`
	}
}

// BulkRevoked is how many credentials a bulk revocation ended.
type BulkRevoked struct {
	Revoked int `json:"revoked"`
}

type bulkRevokedOutput struct {
	Body BulkRevoked
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// apiCredentialRoutes registers the life cycle of kind k under base.
func (a *API) apiCredentialRoutes(api huma.API, base, id string, k apicredential.Kind) {
	tag := id + "s"
	svc := a.apiCredentials
	out := func(c *iam.APICredential, err error) (*apiCredentialOutput, error) {
		if err != nil {
			return nil, err
		}
		return &apiCredentialOutput{Body: a.apiCredentialBody(c)}, nil
	}
	create := operation(http.MethodPost, base, "create-"+id, "Create a "+k.Noun+"; its secret is answered once", tag, 201, true)
	create.Errors = append(create.Errors, http.StatusNotFound, http.StatusConflict)
	huma.Register(api, create, func(ctx context.Context, in *createAPICredentialInput) (*createdAPICredentialOutput, error) {
		b := in.Body
		c, err := svc.Create(ctx, k, apicredential.NewCredential{Name: b.Name, OwnerID: b.OwnerID, OrganizationID: b.OrganizationID,
			Expiry: apicredential.Expiry{At: &b.ExpiresAt}})
		if err != nil {
			return nil, err
		}
		return &createdAPICredentialOutput{Body: CreatedAPICredentialBody{APICredentialBody: a.apiCredentialBody(c.Credential), Secret: c.Secret}}, nil
	})
	huma.Register(api, operation(http.MethodGet, base, "list-"+id+"s", k.Noun+"s, newest first", tag, 200, true),
		func(ctx context.Context, in *listAPICredentialsInput) (*pageOutput[APICredentialBody], error) {
			p := in.ListParams
			items, total, err := svc.List(ctx, k, apicredential.Query{ListParams: p.params(""), OwnerID: in.OwnerID, OrganizationID: in.OrganizationID,
				State: iam.APICredentialState(in.State), ExpiresBefore: optionalTime(in.ExpiresBefore)})
			if err != nil {
				return nil, err
			}
			return pageOf(items, total, p, a.apiCredentialBody), nil
		})
	huma.Register(api, operation(http.MethodGet, base+"/{id}", "get-"+id, "Get a "+k.Noun, tag, 200, true),
		func(ctx context.Context, in *IDPath) (*apiCredentialOutput, error) {
			return out(svc.Get(ctx, k, apicredential.Ref{ID: in.ID}))
		})
	huma.Register(api, operation(http.MethodPut, base+"/{id}", "replace-"+id, "Replace a "+k.Noun+"'s name, expiry and organization", tag, 200, true),
		func(ctx context.Context, in *replaceAPICredentialInput) (*apiCredentialOutput, error) {
			b := in.Body
			return out(svc.Replace(ctx, k, apicredential.Ref{ID: in.ID}, apicredential.Replacement{Name: b.Name, OrganizationID: b.OrganizationID,
				Expiry: apicredential.Expiry{At: &b.ExpiresAt}}))
		})
	for _, step := range []struct {
		path, summary string
		fn            func(context.Context, apicredential.Kind, apicredential.Ref) (*iam.APICredential, error)
	}{
		{"activate", "Let a " + k.Noun + " authenticate again", svc.Activate},
		{"deactivate", "Stop a " + k.Noun + " from authenticating until activated", svc.Deactivate},
		{"revoke", "Revoke a " + k.Noun + " for good", svc.Revoke},
	} {
		huma.Register(api, operation(http.MethodPost, base+"/{id}/"+step.path, step.path+"-"+id, step.summary, tag, 200, true),
			func(ctx context.Context, in *IDPath) (*apiCredentialOutput, error) {
				return out(step.fn(ctx, k, apicredential.Ref{ID: in.ID}))
			})
	}
	huma.Register(api, operation(http.MethodPost, base+"/{id}/renew", "renew-"+id, "Set a new expiry of a "+k.Noun, tag, 200, true),
		func(ctx context.Context, in *renewAPICredentialInput) (*apiCredentialOutput, error) {
			return out(svc.Renew(ctx, k, apicredential.Ref{ID: in.ID}, apicredential.Expiry{At: &in.Body.ExpiresAt}))
		})
	huma.Register(api, operation(http.MethodPost, base+"/bulk-revoke", "bulk-revoke-"+id+"s",
		"Revoke every live "+k.Noun+" the selector picks, atomically", tag, 200, true),
		func(ctx context.Context, in *bulkRevokeInput) (*bulkRevokedOutput, error) {
			b := in.Body
			revoked, err := svc.BulkRevoke(ctx, k, apicredential.Selector{IDs: b.IDs, OwnerID: b.OwnerID, OrganizationID: b.OrganizationID,
				ExpiresBefore: optionalTime(b.ExpiresBefore)})
			if err != nil {
				return nil, err
			}
			return &bulkRevokedOutput{Body: BulkRevoked{Revoked: len(revoked)}}, nil
		})
}
