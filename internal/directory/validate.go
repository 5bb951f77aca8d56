package directory

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/emailaddr"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Limits on user input.
const (
	maxNameLen     = 200
	maxExternalLen = 255
)

// fieldErrors collects every problem with an input before answering.
type fieldErrors map[string]string

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return iam.Invalid("the request has invalid fields", f)
}

// NormalizeEmail trims a submitted address and returns its normal form
// (emailaddr.Normalize), the one spelling stored and looked up.
func NormalizeEmail(s string) (string, error) {
	return emailaddr.Normalize(strings.TrimSpace(s))
}

func (f fieldErrors) email(field, s string) string {
	e, err := NormalizeEmail(s)
	if err != nil {
		f[field] = err.Error()
	}
	return e
}

// NormalizeName trims a user's name and checks it as every surface that
// sets one does; the error names field.
func NormalizeName(field, s string) (string, error) {
	f := fieldErrors{}
	name := f.text(field, s, maxNameLen, false)
	return name, f.err()
}

func (f fieldErrors) text(field, s string, maxLen int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		f[field] = "is required"
	case utf8.RuneCountInString(s) > maxLen:
		f[field] = "is too long"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		f[field] = "must not contain control characters"
	}
	return s
}

// required notes an empty field; the password policy judges the rest.
func (f fieldErrors) required(field, s string) {
	if s == "" {
		f[field] = "is required"
	}
}

// hostname checks a DNS hostname and returns it lower-cased, without a port.
func (f fieldErrors) hostname(field, s string) string {
	h := strings.ToLower(strings.TrimSpace(s))
	if h == "" || len(h) > 253 {
		f[field] = "must be a hostname"
		return h
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			f[field] = "must be a hostname"
			return h
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				f[field] = "must be a hostname"
				return h
			}
		}
	}
	return h
}

// prefixFields renames the invalid fields of err as fields of the object
// prefix, for inputs nested in a larger request.
func prefixFields(err error, prefix string) error {
	var e *iam.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Code == iam.CodePasswordPolicy {
		details := maps.Clone(e.Details)
		details["field"] = prefix + "." + fmt.Sprint(details["field"])
		return &iam.Error{Code: e.Code, Message: e.Message, Details: details}
	}
	if e.Code != iam.CodeInvalid {
		return err
	}
	fields, ok := e.Details["fields"].(map[string]string)
	if !ok {
		return err
	}
	renamed := make(map[string]string, len(fields))
	for k, v := range fields {
		renamed[prefix+"."+k] = v
	}
	return iam.Invalid(e.Message, renamed)
}
