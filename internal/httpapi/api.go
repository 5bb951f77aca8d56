package httpapi

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
	"github.com/gatehouse-iam/gatehouse/internal/application"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/credential"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/passkey"
	"github.com/gatehouse-iam/gatehouse/internal/pat"
	"github.com/gatehouse-iam/gatehouse/internal/scimtoken"
	"github.com/gatehouse-iam/gatehouse/internal/serviceaccount"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// LoginObserver counts login outcomes, e.g. for metrics.
type LoginObserver interface {
	LoginAttempt(outcome string)
}

// Services are what the REST handlers call.
type Services struct {
	Directory   *directory.Service
	Account     *account.Service
	Access      *access.Service
	Credentials *credential.Service
	// APICredentials runs API and service credentials.
	APICredentials  *apicredential.Service
	MFA             *mfa.Service
	Audit           *audit.Log
	Settings        *settings.Service
	Outbox          *mail.OutboxLog
	Passkeys        *passkey.Service
	PATs            *pat.Service
	SCIMTokens      *scimtoken.Service
	ServiceAccounts *serviceaccount.Service
	Applications    *application.Service
	Federation      *federation.Service
	// OAuth holds the caller's consents to applications.
	OAuth  Consents
	Logins LoginObserver
	// BaseURL returns a tenant's public base URL, for discovery documents
	// and tenant answers.
	BaseURL func(*iam.Tenant) string
}

// API holds the services the REST handlers call.
type API struct {
	directory       *directory.Service
	account         *account.Service
	access          *access.Service
	credentials     *credential.Service
	apiCredentials  *apicredential.Service
	mfa             *mfa.Service
	audit           *audit.Log
	settings        *settings.Service
	outbox          *mail.OutboxLog
	passkeys        *passkey.Service
	pats            *pat.Service
	scimTokens      *scimtoken.Service
	serviceAccounts *serviceaccount.Service
	applications    *application.Service
	federation      *federation.Service
	consents        Consents
	logins          LoginObserver
	baseURL         func(*iam.Tenant) string
}

// New registers every /api/v1 and /access/v1 operation on mux, plus
// /openapi.json and /openapi.yaml, and returns the huma API (for its OpenAPI
// document).
func New(mux *http.ServeMux, version string, svc Services) huma.API {
	cfg := huma.DefaultConfig("Gatehouse", version)
	cfg.Info.Description = "Identity and access management: users, admins, tenants, login and tokens."
	cfg.Info.License = &huma.License{Name: "Apache-2.0", Identifier: "Apache-2.0"}
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.DocsPath = ""     // the server serves an embedded docs UI instead
	cfg.SchemasPath = ""
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An access token from /api/v1/auth/login, a personal access token (gtpat_…) from /api/v1/me/tokens, or an API or service credential's secret (gtapi_…, gtsvc_…)."},
	}
	api := humago.New(mux, cfg)
	a := &API{directory: svc.Directory, account: svc.Account, mfa: svc.MFA, access: svc.Access, credentials: svc.Credentials, apiCredentials: svc.APICredentials,
		audit: svc.Audit, settings: svc.Settings, outbox: svc.Outbox, passkeys: svc.Passkeys, pats: svc.PATs, scimTokens: svc.SCIMTokens, serviceAccounts: svc.ServiceAccounts,
		applications: svc.Applications, federation: svc.Federation, consents: svc.OAuth, logins: svc.Logins, baseURL: svc.BaseURL}
	api.UseMiddleware(refuseUntaggedIfMatch(api))
	a.routes(api)
	return api
}

// operation describes one route. Secured routes require a bearer token.
func operation(method, path, id, summary, tag string, status int, secured bool) huma.Operation {
	op := huma.Operation{
		OperationID:   id,
		Method:        method,
		Path:          path,
		Summary:       summary,
		Tags:          []string{tag},
		DefaultStatus: status,
		MaxBodyBytes:  maxBody,
		Errors:        []int{http.StatusBadRequest},
	}
	if secured {
		op.Security = []map[string][]string{{"bearer": {}}}
		op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
	}
	return op
}

// empty is the output of operations that answer 204.
type empty struct{}

// ListParams are the query parameters every list takes.
type ListParams struct {
	Page   int    `query:"page" minimum:"1" maximum:"1000000" default:"1" doc:"Page number, from 1"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Items per page, at most 100"`
	Search string `query:"search" maxLength:"200" pattern:"^[^\\x00-\\x1f\\x7f]*$" patternDescription:"text without control characters" doc:"Case-insensitive substring to search for"`
}

func (p ListParams) params(orderBy string) iam.ListParams {
	lp := iam.ListParams{Page: p.Page, Limit: p.Limit, Search: p.Search}
	lp.OrderBy, lp.Desc = iam.ParseOrder(orderBy)
	return lp
}

// PageParams are the query parameters of the lists that neither search nor
// sort.
type PageParams struct {
	Page  int `query:"page" minimum:"1" maximum:"1000000" default:"1" doc:"Page number, from 1"`
	Limit int `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Items per page, at most 100"`
}

func (in PageParams) params() ListParams { return ListParams{Page: in.Page, Limit: in.Limit} }

// Page is the list envelope.
type Page[T any] struct {
	Data  []T `json:"data"`
	Total int `json:"total"`
	Page  int `json:"page"`
	Limit int `json:"limit"`
}

type pageOutput[T any] struct {
	Body Page[T]
}

func pageOf[T, E any](items []E, total int, p ListParams, conv func(*E) T) *pageOutput[T] {
	out := &pageOutput[T]{Body: Page[T]{Data: make([]T, 0, len(items)), Total: total, Page: p.Page, Limit: p.Limit}}
	for i := range items {
		out.Body.Data = append(out.Body.Data, conv(&items[i]))
	}
	return out
}

// pageOfAll answers the page p of a list the service returns whole, because
// it is short by nature (a user's roles, their organizations).
func pageOfAll[T, E any](items []E, p PageParams, conv func(*E) T) *pageOutput[T] {
	start := min((p.Page-1)*p.Limit, len(items))
	end := min(start+p.Limit, len(items))
	return pageOf(items[start:end], len(items), p.params(), conv)
}

// noContent adapts a service call that answers nothing.
func noContent(err error) (*empty, error) {
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// IDPath is the {id} path parameter of a resource.
type IDPath struct {
	ID string `path:"id" doc:"The resource's id (UUID)"`
}
