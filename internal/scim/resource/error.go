package resource

import (
	"fmt"
	"net/http"
)

// Error is a SCIM error (RFC 7644 §3.12). ScimType is one of the RFC's
// detail codes (invalidFilter, invalidPath, invalidValue, noTarget,
// mutability, invalidSyntax, ...); Detail is shown to the client.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail)
}

// errorf returns a 400 Bad Request: every error of this package is one.
func errorf(scimType, format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}
