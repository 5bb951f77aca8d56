package pages

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Bounds of a posted form: the largest form the pages read, and the longest
// value of one field. Longer values are refused, never cut.
const (
	maxFormBytes  = 64 << 10
	maxFieldBytes = 4096
)

var errFieldTooLarge = iam.Errorf(iam.CodeTooLarge, "a field of the form is too long")

// readForm parses a posted form and checks its CSRF token; it answers the
// error to show when the form may not be acted upon.
func (p *Pages) readForm(w http.ResponseWriter, r *http.Request) error {
	return p.readFormUpTo(w, r, maxFormBytes, maxFieldBytes)
}

// readFormUpTo is readForm of a form of at most formBytes, with fields of
// at most fieldBytes.
func (p *Pages) readFormUpTo(w http.ResponseWriter, r *http.Request, formBytes int64, fieldBytes int) error {
	r.Body = http.MaxBytesReader(w, r.Body, formBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errFieldTooLarge
		}
		return iam.Errorf(iam.CodeInvalid, "the form could not be read")
	}
	for _, vs := range r.PostForm {
		for _, v := range vs {
			if len(v) > fieldBytes {
				return errFieldTooLarge
			}
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return iam.Errorf(iam.CodeInvalid, "the form holds text that is not valid UTF-8")
			}
		}
	}
	if !p.checkCSRF(w, r) {
		return errCSRF
	}
	return nil
}
