package f5xc

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scimtoken"
)

// scimType is the type F5 names SCIM tokens with.
const scimType = "SCIM_API_TOKEN"

// scimName is the name the tenant's one SCIM token answers under.
const scimName = "scim-token"

// recreateBody is F5's RecreateScimTokenRequest.
type recreateBody struct {
	Namespace      string `json:"namespace"`
	ExpirationDays int    `json:"expiration_days"`
}

// scimBody is F5's ScimTokenRequest.
type scimBody struct {
	Namespace string `json:"namespace"`
}

type scimHandlers struct {
	tokens *scimtoken.Service
	// now is the server's clock, which expiration_days count from.
	now func() time.Time
}

// systemOnly refuses a namespace other than system, the tenant's one SCIM
// token's, in the path or the body.
func systemOnly(r *http.Request, body string) error {
	ns := r.PathValue("namespace")
	if ns != apicredential.SystemNamespace {
		return iam.Errorf(iam.CodeNotFound, "the SCIM token lives in the system namespace, not %s", ns)
	}
	if body != "" && body != ns {
		return iam.Invalid("the body's namespace is not the path's", map[string]string{"namespace": "must be " + ns})
	}
	return nil
}

func (h scimHandlers) get(w http.ResponseWriter, r *http.Request) {
	if err := systemOnly(r, ""); err != nil {
		WriteError(w, r, err)
		return
	}
	tk, err := h.tokens.Get(r.Context(), "")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	expires := ""
	if tk.ExpiresAt != nil {
		expires = stamp(*tk.ExpiresAt)
	}
	writeJSON(w, getResponse{Object: object{
		Metadata:       metadata{Name: scimName, Namespace: apicredential.SystemNamespace, UID: tk.ID},
		Spec:           spec{GCSpec: gcSpec{Active: true, Type: scimType, CreatedTimestamp: stamp(tk.CreatedAt), ExpirationTimestamp: expires}},
		SystemMetadata: systemMetadata{UID: tk.ID, CreationTimestamp: stamp(tk.CreatedAt), ModificationTimestamp: stamp(tk.CreatedAt)},
	}})
}

func (h scimHandlers) recreate(w http.ResponseWriter, r *http.Request) {
	var b recreateBody
	if err := decode(w, r, &b); err != nil {
		WriteError(w, r, err)
		return
	}
	if err := systemOnly(r, b.Namespace); err != nil {
		WriteError(w, r, err)
		return
	}
	if maxDays := int(apicredential.MaxLifetime / (24 * time.Hour)); b.ExpirationDays < 0 || b.ExpirationDays > maxDays {
		WriteError(w, r, iam.Invalid("the request has invalid fields",
			map[string]string{"expiration_days": fmt.Sprintf("must be between 0 (never) and %d", maxDays)}))
		return
	}
	var expires *time.Time
	if b.ExpirationDays > 0 {
		at := h.now().Add(time.Duration(b.ExpirationDays) * 24 * time.Hour)
		expires = &at
	}
	c, err := h.tokens.Create(r.Context(), "", expires)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out := createResponse{Name: scimName, Data: c.Secret, Active: true}
	if c.Token.ExpiresAt != nil {
		out.ExpirationTimestamp = stamp(*c.Token.ExpiresAt)
	}
	writeJSON(w, out)
}

func (h scimHandlers) revoke(w http.ResponseWriter, r *http.Request) {
	var b scimBody
	if err := decode(w, r, &b); err != nil {
		WriteError(w, r, err)
		return
	}
	if err := systemOnly(r, b.Namespace); err != nil {
		WriteError(w, r, err)
		return
	}
	if err := h.tokens.Revoke(r.Context(), ""); err != nil {
		WriteError(w, r, err)
		return
	}
	writeJSON(w, statusResponse{Status: true})
}
