package resource

import (
	"encoding/json"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// The limits on what reaches the filter parser, which descends recursively
// and backtracks: without them a filter nested a thousand deep costs stack
// and time for nothing a client needs.
const (
	maxFilterLength = 4096
	maxFilterDepth  = 32
)

// ParseFilter parses a filter (RFC 7644 §3.4.2.2) no longer than 4096 bytes
// and nested no deeper than 32 parentheses or brackets. Numbers come back as
// json.Number, strings with their JSON escapes resolved. A filter beyond the
// limits or outside the grammar fails with an *Error of scimType
// invalidFilter.
func ParseFilter(s string) (filter.Expression, error) {
	if err := checkLimits(s, "invalidFilter", "filter"); err != nil {
		return nil, err
	}
	expr, err := filter.ParseFilterNumber(upperEscapes(s))
	if err != nil {
		return nil, errorf("invalidFilter", "the filter is malformed")
	}
	if err := unescape(expr); err != nil {
		return nil, errorf("invalidFilter", "the filter is malformed")
	}
	return expr, nil
}

// upperEscapes writes the hex digits of the \uXXXX escapes in s's string
// literals in upper case: the parser's grammar accepts only A-F there, where
// JSON (and so RFC 7644) allows either case.
func upperEscapes(s string) []byte {
	b := []byte(s)
	quoted := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case quoted && c == '\\' && i+1 < len(b) && b[i+1] == 'u':
			for j := i + 2; j < i+6 && j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'f' {
					b[j] -= 'a' - 'A'
				}
			}
			i++
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		}
	}
	return b
}

// checkLimits refuses s, a filter or a PATCH path, when it is too long or
// nests too deep, before the parser sees it. Brackets inside string literals
// do not count.
func checkLimits(s, scimType, what string) error {
	if len(s) > maxFilterLength {
		return errorf(scimType, "the %s is longer than %d bytes", what, maxFilterLength)
	}
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[':
			if depth++; depth > maxFilterDepth {
				return errorf(scimType, "the %s nests deeper than %d", what, maxFilterDepth)
			}
		case c == ')' || c == ']':
			depth--
		}
	}
	return nil
}

// unescape resolves the JSON escapes the parser leaves in string values:
// RFC 7644 §3.4.2.2 takes compValue's strings from JSON.
func unescape(e filter.Expression) error {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if err := unescape(e.Left); err != nil {
			return err
		}
		return unescape(e.Right)
	case *filter.NotExpression:
		return unescape(e.Expression)
	case *filter.ValuePath:
		return unescape(e.ValueFilter)
	case *filter.AttributeExpression:
		if s, ok := e.CompareValue.(string); ok && strings.Contains(s, `\`) {
			return json.Unmarshal([]byte(`"`+s+`"`), &e.CompareValue)
		}
	}
	return nil
}

// ValidateFilter checks a parsed filter against rt: every attribute path
// must name an attribute of rt, and every comparison must suit its
// attribute's type (RFC 7644 §3.4.2.2). A failure is an *Error with scimType
// invalidFilter.
func ValidateFilter(rt ResourceType, expr filter.Expression) error {
	return validate(expr, rt.locate)
}

// validate checks e, its paths resolved by locate: the resource type's, or
// a complex attribute's inside a value filter.
func validate(e filter.Expression, locate func(filter.AttributePath) (location, bool)) error {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if err := validate(e.Left, locate); err != nil {
			return err
		}
		return validate(e.Right, locate)
	case *filter.NotExpression:
		return validate(e.Expression, locate)
	case *filter.ValuePath:
		l, ok := locate(e.AttributePath)
		if !ok {
			return errorf("invalidFilter", "no attribute %s", e.AttributePath)
		}
		if l.sub != nil || l.attr.Type != Complex {
			return errorf("invalidFilter", "%s is not complex and takes no value filter", e.AttributePath)
		}
		return validate(e.ValueFilter, l.attr.locateSub)
	case *filter.AttributeExpression:
		l, ok := locate(e.AttributePath)
		if !ok {
			return errorf("invalidFilter", "no attribute %s", e.AttributePath)
		}
		// A filter that matches on a value never returned would reveal it
		// one guess at a time.
		if l.attr.Returned == ReturnedNever || l.leaf().Returned == ReturnedNever {
			return errorf("invalidFilter", "%s cannot be filtered on", e.AttributePath)
		}
		if e.Operator == filter.PR {
			return nil
		}
		a := compared(l.leaf())
		if a == nil {
			return errorf("invalidFilter", "%s is complex: compare one of its sub-attributes", e.AttributePath)
		}
		return validComparison(a, e)
	}
	return errorf("invalidFilter", "unsupported filter expression")
}

// compared is the attribute a comparison on a applies to: a complex
// attribute compares by its value sub-attribute, as in emails co
// "@example.com" (RFC 7644 §3.4.2.2), or not at all without one.
func compared(a *Attribute) *Attribute {
	if a.Type == Complex {
		return a.sub("value")
	}
	return a
}

// validComparison checks that e's operator and value suit a's type.
func validComparison(a *Attribute, e *filter.AttributeExpression) error {
	op, v := e.Operator, e.CompareValue
	ordering := op == filter.GT || op == filter.GE || op == filter.LT || op == filter.LE
	substring := op == filter.CO || op == filter.SW || op == filter.EW
	switch {
	case v == nil:
		if op != filter.EQ && op != filter.NE {
			return errorf("invalidFilter", "%s: null compares only with eq or ne", e.AttributePath)
		}
		return nil
	case a.Type == Boolean:
		if _, ok := boolean(v); !ok || ordering || substring {
			return errorf("invalidFilter", "%s compares with eq or ne to true or false", e.AttributePath)
		}
	case a.Type == Integer || a.Type == Decimal:
		if _, ok := number(v); !ok || substring || (a.Type == Integer && !integer(v)) {
			return errorf("invalidFilter", "%s compares with a number by eq, ne, gt, ge, lt or le", e.AttributePath)
		}
	case a.Type == DateTime:
		if _, ok := v.(string); !ok {
			return errorf("invalidFilter", "%s compares with a date and time (RFC 3339)", e.AttributePath)
		}
		if _, ok := dateTime(v); !ok && !substring {
			return errorf("invalidFilter", "%s compares with a date and time (RFC 3339)", e.AttributePath)
		}
	case a.Type == Binary && ordering:
		// RFC 7644 §3.4.2.2: gt, ge, lt and le on a binary attribute fail.
		return errorf("invalidFilter", "%s is binary and has no order", e.AttributePath)
	default:
		if _, ok := v.(string); !ok {
			return errorf("invalidFilter", "%s compares with a string", e.AttributePath)
		}
	}
	return nil
}
