package f5xc

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/strictjson"
)

// maxBody is the largest request body the surface reads.
const maxBody = 1 << 20

// listLimit bounds a list: F5's lists are not paged.
const listLimit = 1000

// kind is one kind of credential on F5's paths: the path segment, the type
// F5 names its tokens with, and the Gatehouse kind.
type kind struct {
	path, typ string
	k         apicredential.Kind
}

var (
	apiCredentials     = kind{path: "api_credentials", typ: "API_TOKEN", k: apicredential.APICredentials}
	serviceCredentials = kind{path: "service_credentials", typ: "SERVICE_API_TOKEN", k: apicredential.ServiceCredentials}
)

type handlers struct {
	creds *apicredential.Service
}

// createSpec is F5's CustomCreateSpecType: the token's type.
type createSpec struct {
	Type string `json:"type"`
}

// createBody is F5's CreateRequest (API credentials: spec.type) and
// CreateServiceCredentialsRequest (service credentials: type), with
// Gatehouse's service_account_id naming a service credential's owner.
type createBody struct {
	Name             string      `json:"name"`
	Namespace        string      `json:"namespace"`
	ExpirationDays   int         `json:"expiration_days"`
	Spec             *createSpec `json:"spec"`
	Type             string      `json:"type"`
	ServiceAccountID string      `json:"service_account_id"`
}

// createResponse is F5's CreateResponse: the secret is its data.
type createResponse struct {
	Name                string `json:"name"`
	Data                string `json:"data"`
	Active              bool   `json:"active"`
	ExpirationTimestamp string `json:"expiration_timestamp"`
}

// listItem is F5's ListResponseItem and ListServiceCredentialsResponseItem.
type listItem struct {
	Name            string `json:"name"`
	Namespace       string `json:"namespace"`
	Type            string `json:"type"`
	Active          bool   `json:"active"`
	CreateTimestamp string `json:"create_timestamp"`
	ExpiryTimestamp string `json:"expiry_timestamp"`
	UID             string `json:"uid"`
}

type listResponse struct {
	Items []listItem `json:"items"`
}

// getResponse is F5's api_credential GetResponse.
type getResponse struct {
	Object object `json:"object"`
}

type object struct {
	Metadata       metadata       `json:"metadata"`
	Spec           spec           `json:"spec"`
	SystemMetadata systemMetadata `json:"system_metadata"`
}

type metadata struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

type spec struct {
	GCSpec gcSpec `json:"gc_spec"`
}

type gcSpec struct {
	Active              bool   `json:"active"`
	Type                string `json:"type"`
	CreatedTimestamp    string `json:"created_timestamp"`
	ExpirationTimestamp string `json:"expiration_timestamp"`
}

type systemMetadata struct {
	UID                   string `json:"uid"`
	CreationTimestamp     string `json:"creation_timestamp"`
	ModificationTimestamp string `json:"modification_timestamp"`
}

// nameBody names one credential of the path's namespace: F5's request of
// activate, renew and revoke, and of a service credential's replacement.
type nameBody struct {
	Name           string `json:"name"`
	Namespace      string `json:"namespace"`
	ExpirationDays int    `json:"expiration_days"`
}

// statusResponse is F5's StatusResponse.
type statusResponse struct {
	Status bool `json:"status"`
}

// replaceResponse is F5's ReplaceServiceCredentialsResponse.
type replaceResponse struct {
	Name                string `json:"name"`
	Active              bool   `json:"active"`
	ExpirationTimestamp string `json:"expiration_timestamp"`
}

// bulkRevokeBody names the credentials to revoke; a namespace other than
// system keeps the names to that organization.
type bulkRevokeBody struct {
	Names     []string `json:"names"`
	Namespace string   `json:"namespace"`
}

// bulkRevokeResponse is F5's BulkRevokeResponse.
type bulkRevokeResponse struct {
	Marked       []string `json:"credentials_marked_for_deletion"`
	Failed       []string `json:"credentials_failed"`
	ErrorMessage string   `json:"error_message"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// active is F5's active flag: whether the credential authenticates now.
func (h handlers) active(c *iam.APICredential) bool {
	return h.creds.State(c) == iam.APICredentialActive
}

// namespace resolves the path's namespace, refusing a body naming another.
func (h handlers) namespace(r *http.Request, body string) (string, error) {
	ns := r.PathValue("namespace")
	if body != "" && body != ns {
		return "", iam.Invalid("the body's namespace is not the path's", map[string]string{"namespace": "must be " + ns})
	}
	return h.creds.Namespace(r.Context(), ns)
}

func (h handlers) list(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		org, err := h.namespace(r, "")
		if err != nil {
			WriteError(w, r, err)
			return
		}
		items, _, err := h.creds.List(r.Context(), k.k, apicredential.Query{ListParams: iam.ListParams{Page: 1, Limit: listLimit},
			OrganizationID: org, TenantWide: org == ""})
		if err != nil {
			WriteError(w, r, err)
			return
		}
		out := listResponse{Items: []listItem{}}
		for i := range items {
			c := &items[i]
			out.Items = append(out.Items, listItem{Name: c.Name, Namespace: r.PathValue("namespace"), Type: k.typ, Active: h.active(c),
				CreateTimestamp: stamp(c.CreatedAt), ExpiryTimestamp: stamp(c.ExpiresAt), UID: c.ID})
		}
		writeJSON(w, out)
	}
}

func (h handlers) create(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b createBody
		if err := decode(w, r, &b); err != nil {
			WriteError(w, r, err)
			return
		}
		typ := b.Type
		if b.Spec != nil && b.Spec.Type != "" {
			typ = b.Spec.Type
		}
		if typ != "" && typ != k.typ {
			WriteError(w, r, iam.Invalid("only "+k.typ+" credentials are issued here", map[string]string{"type": "must be " + k.typ}))
			return
		}
		// service_account_id names a service credential's owner; an API
		// credential is the caller's.
		if k.k != apicredential.ServiceCredentials && b.ServiceAccountID != "" {
			WriteError(w, r, iam.Invalid("an API credential is the caller's", map[string]string{"service_account_id": "is for service credentials only"}))
			return
		}
		org, err := h.namespace(r, b.Namespace)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		c, err := h.creds.Create(r.Context(), k.k, apicredential.NewCredential{Name: b.Name, OwnerID: b.ServiceAccountID, OrganizationID: org,
			Expiry: apicredential.Expiry{ExpirationDays: b.ExpirationDays}})
		if err != nil {
			WriteError(w, r, err)
			return
		}
		writeJSON(w, createResponse{Name: c.Credential.Name, Data: c.Secret, Active: h.active(c.Credential), ExpirationTimestamp: stamp(c.Credential.ExpiresAt)})
	}
}

func (h handlers) get(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		org, err := h.namespace(r, "")
		if err != nil {
			WriteError(w, r, err)
			return
		}
		c, err := h.creds.Get(r.Context(), k.k, apicredential.Ref{OrganizationID: org, Name: r.PathValue("name")})
		if err != nil {
			WriteError(w, r, err)
			return
		}
		ns := r.PathValue("namespace")
		if k == serviceCredentials {
			writeJSON(w, listItem{Name: c.Name, Namespace: ns, Type: k.typ, Active: h.active(c), CreateTimestamp: stamp(c.CreatedAt),
				ExpiryTimestamp: stamp(c.ExpiresAt), UID: c.ID})
			return
		}
		writeJSON(w, getResponse{Object: object{
			Metadata: metadata{Name: c.Name, Namespace: ns, UID: c.ID},
			Spec: spec{GCSpec: gcSpec{Active: h.active(c), Type: k.typ, CreatedTimestamp: stamp(c.CreatedAt),
				ExpirationTimestamp: stamp(c.ExpiresAt)}},
			SystemMetadata: systemMetadata{UID: c.ID, CreationTimestamp: stamp(c.CreatedAt), ModificationTimestamp: stamp(c.UpdatedAt)},
		}})
	}
}

// named decodes a nameBody and resolves its credential's namespace.
func (h handlers) named(w http.ResponseWriter, r *http.Request) (nameBody, apicredential.Ref, error) {
	var b nameBody
	if err := decode(w, r, &b); err != nil {
		return b, apicredential.Ref{}, err
	}
	org, err := h.namespace(r, b.Namespace)
	if err != nil {
		return b, apicredential.Ref{}, err
	}
	if b.Name == "" {
		return b, apicredential.Ref{}, iam.Invalid("the request has invalid fields", map[string]string{"name": "is required"})
	}
	return b, apicredential.Ref{OrganizationID: org, Name: b.Name}, nil
}

func (h handlers) step(k kind, fn func(context.Context, apicredential.Kind, apicredential.Ref) (*iam.APICredential, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, ref, err := h.named(w, r)
		if err == nil {
			_, err = fn(r.Context(), k.k, ref)
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		writeJSON(w, statusResponse{Status: true})
	}
}

func (h handlers) renew(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ref, err := h.named(w, r)
		if err == nil {
			_, err = h.creds.Renew(r.Context(), k.k, ref, apicredential.Expiry{ExpirationDays: b.ExpirationDays})
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		writeJSON(w, statusResponse{Status: true})
	}
}

// replace is PUT of a service credential: the path names it; the body's
// expiration_days, when set, gives it a new expiry.
func (h handlers) replace(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b nameBody
		if err := decode(w, r, &b); err != nil {
			WriteError(w, r, err)
			return
		}
		name := r.PathValue("name")
		if b.Name != "" && b.Name != name {
			WriteError(w, r, iam.Invalid("the body's name is not the path's", map[string]string{"name": "must be " + name}))
			return
		}
		org, err := h.namespace(r, b.Namespace)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		c, err := h.creds.Replace(r.Context(), k.k, apicredential.Ref{OrganizationID: org, Name: name},
			apicredential.Replacement{Name: name, OrganizationID: org, Expiry: apicredential.Expiry{ExpirationDays: b.ExpirationDays}})
		if err != nil {
			WriteError(w, r, err)
			return
		}
		writeJSON(w, replaceResponse{Name: c.Name, Active: h.active(c), ExpirationTimestamp: stamp(c.ExpiresAt)})
	}
}

func (h handlers) bulkRevoke(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b bulkRevokeBody
		if err := decode(w, r, &b); err != nil {
			WriteError(w, r, err)
			return
		}
		// F5 XC revokes by names; the namespace only scopes them. Without
		// names the selector would be the whole namespace.
		if len(b.Names) == 0 {
			WriteError(w, r, iam.Invalid("name the credentials to revoke", map[string]string{"names": "at least one name is required"}))
			return
		}
		sel := apicredential.Selector{Names: b.Names}
		if b.Namespace != "" && b.Namespace != apicredential.SystemNamespace {
			org, err := h.creds.Namespace(r.Context(), b.Namespace)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			sel.OrganizationID = org
		}
		revoked, err := h.creds.BulkRevoke(r.Context(), k.k, sel)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		out := bulkRevokeResponse{Marked: []string{}, Failed: []string{}}
		done := map[string]bool{}
		for _, c := range revoked {
			if !done[c.Name] {
				out.Marked = append(out.Marked, c.Name)
				done[c.Name] = true
			}
		}
		for _, n := range b.Names {
			if !done[n] {
				out.Failed = append(out.Failed, n)
			}
		}
		if len(out.Failed) > 0 {
			out.ErrorMessage = "no live credential of these names that you may revoke"
		}
		writeJSON(w, out)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads one JSON object of the body's type, its keys spelled as
// documented (strictjson). An empty body is an empty object.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return strictjson.Decode(http.MaxBytesReader(w, r.Body, maxBody), v, true)
}
