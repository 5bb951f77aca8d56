package f5xc

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// errorBody is F5 XC's error answer, a gRPC status: {"code", "message",
// "details"}, code being the gRPC code number.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details"`
}

// The gRPC codes of each class (google.golang.org/grpc/codes).
var classAnswers = map[iam.Class]struct{ status, code int }{
	iam.ClassInternal:           {http.StatusInternalServerError, 13},
	iam.ClassInvalid:            {http.StatusBadRequest, 3},
	iam.ClassUnauthenticated:    {http.StatusUnauthorized, 16},
	iam.ClassForbidden:          {http.StatusForbidden, 7},
	iam.ClassNotFound:           {http.StatusNotFound, 5},
	iam.ClassConflict:           {http.StatusConflict, 6},
	iam.ClassStateConflict:      {http.StatusConflict, 9},
	iam.ClassRateLimited:        {http.StatusTooManyRequests, 8},
	iam.ClassUnavailable:        {http.StatusServiceUnavailable, 14},
	iam.ClassTooLarge:           {http.StatusRequestEntityTooLarge, 8},
	iam.ClassPreconditionFailed: {http.StatusPreconditionFailed, 9},
}

// WriteError writes err in F5 XC's error shape. Causes are recorded for the
// request log and never shown; an internal error shows the request id. The
// details of an invalid request (its fields) are kept.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *iam.Error
	if !errors.As(err, &e) {
		e = iam.Internal(err)
	}
	if e.Err != nil || e.Code.Class() == iam.ClassInternal {
		iam.RecordCause(r.Context(), err)
	}
	answer := classAnswers[e.Code.Class()]
	body := errorBody{Code: answer.code, Message: e.Message, Details: []any{}}
	if answer.status == http.StatusInternalServerError {
		body.Message = "internal error"
		if id := iam.RequestMetaFrom(r.Context()).RequestID; id != "" {
			body.Message += " (request id " + id + ")"
		}
	} else if len(e.Details) > 0 {
		body.Details = append(body.Details, map[string]any{"reason": string(e.Code), "metadata": e.Details})
	}
	if answer.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `APIToken realm="gatehouse"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(answer.status)
	_ = json.NewEncoder(w).Encode(body)
}
