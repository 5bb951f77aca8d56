package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// ErrorBody is every REST error: {"code","message","details"}.
type ErrorBody struct {
	status  int
	headers http.Header
	Code    string         `json:"code" doc:"Machine-readable error code" example:"not_found"`
	Message string         `json:"message" doc:"What went wrong" example:"user not found"`
	Details map[string]any `json:"details,omitempty" doc:"More about the error, such as the invalid fields"`
}

func (e *ErrorBody) Error() string           { return e.Code + ": " + e.Message }
func (e *ErrorBody) GetStatus() int          { return e.status }
func (e *ErrorBody) GetHeaders() http.Header { return e.headers }

var classStatus = map[iam.Class]int{
	iam.ClassInternal:           http.StatusInternalServerError,
	iam.ClassInvalid:            http.StatusBadRequest,
	iam.ClassUnauthenticated:    http.StatusUnauthorized,
	iam.ClassForbidden:          http.StatusForbidden,
	iam.ClassNotFound:           http.StatusNotFound,
	iam.ClassConflict:           http.StatusConflict,
	iam.ClassStateConflict:      http.StatusUnprocessableEntity,
	iam.ClassRateLimited:        http.StatusTooManyRequests,
	iam.ClassUnavailable:        http.StatusServiceUnavailable,
	iam.ClassTooLarge:           http.StatusRequestEntityTooLarge,
	iam.ClassPreconditionFailed: http.StatusPreconditionFailed,
}

// StatusOf is the HTTP status of a class of errors, for every surface that
// answers with the REST API's statuses.
func StatusOf(c iam.Class) int { return classStatus[c] }

// fromError turns any error into the body and status the client sees. Causes
// are recorded in ctx for the request log and never shown.
func fromError(ctx context.Context, err error) *ErrorBody {
	var body *ErrorBody
	if errors.As(err, &body) {
		return body
	}
	var e *iam.Error
	if !errors.As(err, &e) {
		e = iam.Internal(err)
	}
	if e.Err != nil || e.Code.Class() == iam.ClassInternal {
		iam.RecordCause(ctx, err)
	}
	status := classStatus[e.Code.Class()]
	body = &ErrorBody{status: status, Code: string(e.Code), Message: e.Message, Details: e.Details}
	if status == http.StatusInternalServerError {
		body.Code, body.Message, body.Details = string(iam.CodeInternal), "internal error", nil
		if id := iam.RequestMetaFrom(ctx).RequestID; id != "" {
			body.Details = map[string]any{"request_id": id}
		}
	}
	if status == http.StatusUnauthorized {
		body.headers = http.Header{"Www-Authenticate": {`Bearer realm="gatehouse"`}}
	}
	return body
}

// WriteError writes err in the REST error shape; for handlers outside huma.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	body := fromError(r.Context(), err)
	for k, v := range body.headers {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(body.status)
	_ = json.NewEncoder(w).Encode(body)
}

// humaError replaces huma's error constructor so that its own errors
// (validation, malformed JSON, oversized bodies) take Gatehouse's shape.
func humaError(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
	var c context.Context = context.Background()
	if ctx != nil {
		c = ctx.Context()
	}
	for _, err := range errs {
		var e *iam.Error
		if errors.As(err, &e) {
			body := fromError(c, err)
			// huma copies headers only from the handler's own error.
			for k, v := range body.headers {
				if ctx != nil {
					ctx.SetHeader(k, v[0])
				}
			}
			return body
		}
	}
	fields := map[string]string{}
	for _, err := range errs {
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			detail := d.ErrorDetail()
			location := detail.Location
			// A missing property is reported at its parent; name the property.
			if m := missingProperty.FindStringSubmatch(detail.Message); m != nil {
				location += "." + m[1]
			}
			fields[fieldName(location)] = detail.Message
		}
	}
	switch {
	case status == http.StatusUnprocessableEntity || (status == http.StatusBadRequest && len(fields) > 0):
		return fromError(c, iam.Invalid("the request has invalid fields", fields))
	case status == http.StatusBadRequest:
		return fromError(c, &iam.Error{Code: iam.CodeInvalid, Message: "the request body is not valid JSON: " + strings.TrimPrefix(msg, "unable to unmarshal input: ")})
	case status == http.StatusRequestEntityTooLarge:
		return fromError(c, iam.Errorf(iam.CodeTooLarge, "the request body is larger than 1 MiB"))
	case status == http.StatusUnsupportedMediaType:
		return &ErrorBody{status: status, Code: "unsupported_media_type", Message: "send JSON with Content-Type: application/json"}
	case status >= 500:
		return fromError(c, iam.Internal(errors.Join(append([]error{errors.New(msg)}, errs...)...)))
	}
	return &ErrorBody{status: status, Code: strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"), Message: msg}
}

var missingProperty = regexp.MustCompile(`^expected required property (\S+) to be present$`)

// fieldName turns huma's "body.email" or "query.limit" into the field's name.
func fieldName(location string) string {
	for _, prefix := range []string{"body.", "query.", "path.", "header."} {
		if rest, ok := strings.CutPrefix(location, prefix); ok {
			return rest
		}
	}
	if location == "body" || location == "" {
		return "body"
	}
	return location
}

func init() {
	// encoding/json fills a field from a key in any letter case, and folds
	// "ſ" to "s", so an undocumented key could set a field that a rule never
	// saw. huma validates every body before decoding it: with strict casing,
	// a key that is not a documented one exactly is refused (every body
	// schema forbids additional properties), and the decoder sees only
	// exact keys.
	huma.ValidateStrictCasing = true
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return humaError(nil, status, msg, errs...)
	}
	huma.NewErrorWithContext = humaError
}
