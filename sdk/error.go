package sdk

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Error codes Gatehouse answers with, and the ones the middleware of this
// package writes. Gatehouse may use more specific codes (for example
// "invalid_credentials"); compare [Error.Status] to tell classes apart.
const (
	CodeInvalidRequest  = "invalid_request" // 400
	CodeUnauthenticated = "unauthenticated" // 401: no credentials
	CodeInvalidToken    = "invalid_token"   // 401: credentials present but not valid
	CodeForbidden       = "forbidden"       // 403
	CodeNotFound        = "not_found"       // 404
	CodeConflict        = "conflict"        // 409
	CodeRateLimited     = "rate_limited"    // 429
	CodeInternal        = "internal"        // 500
	CodeUnavailable     = "unavailable"     // 503: Gatehouse could not be asked
)

// Error is a failed call to Gatehouse: a response outside 2xx, decoded from
// Gatehouse's error shape {"code","message","details"}. When the body is not
// in that shape (a proxy's HTML page, say), Code is derived from Status and
// Message holds the start of the body. Use [errors.As] to get one:
//
//	var e *sdk.Error
//	if errors.As(err, &e) && e.Status == http.StatusConflict { … }
type Error struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("gatehouse: %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("gatehouse: %d %s: %s", e.Status, e.Code, e.Message)
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// errorFromResponse builds the *Error of a non-2xx response. It never fails:
// whatever the body holds, the caller learns the status and something
// readable.
func errorFromResponse(res *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	e := &Error{Status: res.StatusCode}
	if json.Unmarshal(body, e) == nil && e.Code != "" {
		return e
	}
	// Not Gatehouse's shape: keep what is readable.
	*e = Error{Status: res.StatusCode, Code: codeForStatus(res.StatusCode), Message: snippet(body)}
	if e.Message == "" {
		e.Message = http.StatusText(res.StatusCode)
	}
	return e
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalidRequest
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusConflict:
		return CodeConflict
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return CodeUnavailable
	}
	if status >= 500 {
		return CodeInternal
	}
	return fmt.Sprintf("http_%d", status)
}

// snippet is the start of a body as one line of text, or "" when the body
// is empty or binary.
func snippet(body []byte) string {
	const max = 200
	if !utf8.Valid(body) {
		return ""
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// challenge is the WWW-Authenticate value of every 401 (RFC 6750 §3), the
// same realm Gatehouse uses.
const challenge = `Bearer realm="gatehouse"`

// writeError answers in Gatehouse's error shape. A 401 carries the bearer
// challenge, with the RFC 6750 §3.1 error attribute when a token was
// presented but is not valid.
func writeError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	if status == http.StatusUnauthorized {
		if code == CodeInvalidToken {
			h.Set("WWW-Authenticate", challenge+`, error="invalid_token"`)
		} else {
			h.Set("WWW-Authenticate", challenge)
		}
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Error{Code: code, Message: message})
}
