package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// errorBody is every OAuth error (RFC 6749 §5.2).
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// classError is the status and error code of each class. RFC 6749 names the
// codes of a client's mistakes (§5.2) and of the server's own trouble
// (§4.1.2.1); a class it has no code for answers its Gatehouse code, an
// extension value (§8.5) in the same shape.
var classError = map[iam.Class]struct {
	status int
	code   string
}{
	iam.ClassInternal:           {http.StatusInternalServerError, "server_error"},
	iam.ClassInvalid:            {http.StatusBadRequest, "invalid_request"},
	iam.ClassUnauthenticated:    {http.StatusUnauthorized, "invalid_client"},
	iam.ClassForbidden:          {http.StatusForbidden, "access_denied"},
	iam.ClassNotFound:           {http.StatusNotFound, ""},
	iam.ClassConflict:           {http.StatusConflict, ""},
	iam.ClassStateConflict:      {http.StatusUnprocessableEntity, ""},
	iam.ClassRateLimited:        {http.StatusTooManyRequests, ""},
	iam.ClassUnavailable:        {http.StatusServiceUnavailable, "temporarily_unavailable"},
	iam.ClassTooLarge:           {http.StatusRequestEntityTooLarge, "invalid_request"},
	iam.ClassPreconditionFailed: {http.StatusPreconditionFailed, ""},
}

// WriteError writes err in the RFC 6749 §5.2 shape. An internal error shows
// only the request id; its cause goes to the request log.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *iam.Error
	if !errors.As(err, &e) {
		e = iam.Internal(err)
	}
	if e.Err != nil || e.Code.Class() == iam.ClassInternal {
		iam.RecordCause(r.Context(), err)
	}
	ce, ok := classError[e.Code.Class()]
	if !ok {
		ce = classError[iam.ClassInternal]
	}
	body := errorBody{Error: ce.code, Description: e.Message}
	if body.Error == "" {
		body.Error = string(e.Code)
	}
	switch {
	case ce.status == http.StatusInternalServerError:
		body.Description = "internal error"
		if id := iam.RequestMetaFrom(r.Context()).RequestID; id != "" {
			body.Description = fmt.Sprintf("internal error (request id %s)", id)
		}
	case e.Code == iam.CodeInvalidToken:
		// RFC 6750 §3.1: a bearer token the resource cannot accept.
		body.Error = string(iam.CodeInvalidToken)
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse", error="invalid_token"`)
	case ce.status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	// RFC 6749 §5.1: answers of the token endpoint are never cached.
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, ce.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
