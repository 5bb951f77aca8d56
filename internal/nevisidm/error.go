package nevisidm

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// errorBody is nevisIDM's error answer: {"errors": [{"code", "message"}]}.
type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// codeAnswers are the codes nevisIDM names; the others answer by class.
var codeAnswers = map[iam.Code]struct {
	status int
	code   string
}{
	iam.CodeNoRecord:            {http.StatusNotFound, "errors.noRecord"},
	iam.CodeCredentialNotActive: {http.StatusUnprocessableEntity, "errors.credentialNotActive"},
	iam.CodeUserNotActive:       {http.StatusUnprocessableEntity, "errors.userNotActive"},
}

var classAnswers = map[iam.Class]struct {
	status int
	code   string
}{
	iam.ClassInternal:           {http.StatusInternalServerError, "errors.internal"},
	iam.ClassInvalid:            {http.StatusBadRequest, "errors.invalidRequest"},
	iam.ClassUnauthenticated:    {http.StatusUnauthorized, "errors.unauthorized"},
	iam.ClassForbidden:          {http.StatusForbidden, "errors.forbidden"},
	iam.ClassNotFound:           {http.StatusNotFound, "errors.noRecord"},
	iam.ClassConflict:           {http.StatusConflict, "errors.conflict"},
	iam.ClassStateConflict:      {http.StatusUnprocessableEntity, "errors.stateConflict"},
	iam.ClassRateLimited:        {http.StatusTooManyRequests, "errors.tooManyRequests"},
	iam.ClassUnavailable:        {http.StatusServiceUnavailable, "errors.unavailable"},
	iam.ClassTooLarge:           {http.StatusRequestEntityTooLarge, "errors.requestTooLarge"},
	iam.ClassPreconditionFailed: {http.StatusPreconditionFailed, "errors.preconditionFailed"},
}

// WriteError writes err in nevisIDM's error shape. Causes are recorded for
// the request log and never shown; an internal error shows the request id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *iam.Error
	if !errors.As(err, &e) {
		e = iam.Internal(err)
	}
	if e.Err != nil || e.Code.Class() == iam.ClassInternal {
		iam.RecordCause(r.Context(), err)
	}
	answer, ok := codeAnswers[e.Code]
	if !ok {
		answer = classAnswers[e.Code.Class()]
	}
	msg := e.Message
	if answer.status == http.StatusInternalServerError {
		msg = "internal error"
		if id := iam.RequestMetaFrom(r.Context()).RequestID; id != "" {
			msg += " (request id " + id + ")"
		}
	}
	if answer.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(answer.status)
	_ = json.NewEncoder(w).Encode(errorBody{Errors: []errorItem{{Code: answer.code, Message: msg}}})
}

func errNoEndpoint(r *http.Request) error {
	return iam.Errorf(iam.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
}
