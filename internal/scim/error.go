package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// The URNs of SCIM's messages (RFC 7644 §3.12, §3.4.2, §3.5.2, §3.7).
const (
	errorSchema     = "urn:ietf:params:scim:api:messages:2.0:Error"
	listSchema      = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchSchema     = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	searchSchema    = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	bulkSchema      = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkReplySchema = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

// contentType is SCIM's media type (RFC 7644 §3.1).
const contentType = "application/scim+json"

// errorBody is RFC 7644 §3.12's error; status is a string there.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// classStatus is the HTTP status of each class of iam error.
var classStatus = map[iam.Class]int{
	iam.ClassInternal:           http.StatusInternalServerError,
	iam.ClassInvalid:            http.StatusBadRequest,
	iam.ClassUnauthenticated:    http.StatusUnauthorized,
	iam.ClassForbidden:          http.StatusForbidden,
	iam.ClassNotFound:           http.StatusNotFound,
	iam.ClassConflict:           http.StatusConflict,
	iam.ClassStateConflict:      http.StatusConflict,
	iam.ClassRateLimited:        http.StatusTooManyRequests,
	iam.ClassUnavailable:        http.StatusServiceUnavailable,
	iam.ClassTooLarge:           http.StatusRequestEntityTooLarge,
	iam.ClassPreconditionFailed: http.StatusPreconditionFailed,
}

// WriteError writes err in RFC 7644 §3.12's shape. Causes are recorded for
// the request log and never shown; an internal error shows the request id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorOf(r, err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// errorOf is the status and body that answer err.
func errorOf(r *http.Request, err error) (int, errorBody) {
	body := errorBody{Schemas: []string{errorSchema}}
	var re *resource.Error
	if errors.As(err, &re) {
		body.Status, body.ScimType, body.Detail = strconv.Itoa(re.Status), re.ScimType, re.Detail
		return re.Status, body
	}
	var e *iam.Error
	if !errors.As(err, &e) {
		e = iam.Internal(err)
	}
	if e.Err != nil || e.Code.Class() == iam.ClassInternal {
		iam.RecordCause(r.Context(), err)
	}
	status := classStatus[e.Code.Class()]
	body.Status, body.Detail = strconv.Itoa(status), e.Message
	switch {
	case status == http.StatusInternalServerError:
		body.Detail = "internal error"
		if id := iam.RequestMetaFrom(r.Context()).RequestID; id != "" {
			body.Detail += " (request id " + id + ")"
		}
	case e.Code == iam.CodeEmailTaken || e.Code == iam.CodeExternalIDTaken || e.Code == iam.CodeNameTaken:
		body.ScimType = "uniqueness"
	case status == http.StatusBadRequest:
		body.ScimType = "invalidValue"
		for field, why := range e.Details {
			body.Detail += "; " + field + ": " + detailText(why)
		}
	}
	return status, body
}

// detailText is a field's reason as text.
func detailText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
