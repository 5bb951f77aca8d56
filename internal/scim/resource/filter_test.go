package resource

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// scimType is err's scimType, or "" when err is not an *Error.
func scimType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.ScimType
	}
	return ""
}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		filter string
		want   any // the compare value of the top-level attribute expression
	}{
		{`userName eq "bjensen"`, "bjensen"},
		{`userName eq "a\"b"`, `a"b`},
		{`displayName eq "\u00E9t\u00E9 \\ \/"`, `été \ /`},
		{`title eq "x(y[z"`, "x(y[z"},
		{`meta.version eq "W/\"3694e05e9dff591\""`, `W/"3694e05e9dff591"`},
		{`age gt 12345678901234567890`, json.Number("12345678901234567890")},
		{`score le 1.5e3`, json.Number("1.5e3")},
		{`active eq True`, true},
		{`title eq null`, nil},
		{`title pr`, nil},
	}
	for _, tt := range tests {
		expr, err := ParseFilter(tt.filter)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.filter, err)
			continue
		}
		e, ok := expr.(*filter.AttributeExpression)
		if !ok {
			t.Errorf("ParseFilter(%q) = %T, want an attribute expression", tt.filter, expr)
			continue
		}
		if e.CompareValue != tt.want {
			t.Errorf("ParseFilter(%q) compares with %#v, want %#v", tt.filter, e.CompareValue, tt.want)
		}
	}
}

func TestParseFilterEscapesInValueFilters(t *testing.T) {
	expr, err := ParseFilter(`emails[value eq "a\"b@example.com"] and not (title eq "\\")`)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]any{"emails": []any{map[string]any{"value": `a"b@example.com`}}, "title": "x"}
	if !Match(User, res, expr) {
		t.Errorf("escaped strings inside a value filter and a not were not resolved: %v", expr)
	}
}

func TestParseFilterRefuses(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + `userName eq "x"` + strings.Repeat(close, n)
	}
	tests := []struct {
		name   string
		filter string
	}{
		{"empty", ""},
		{"no value", `userName eq`},
		{"unknown operator", `userName xx "a"`},
		{"unquoted string", `userName eq bjensen`},
		{"unbalanced parenthesis", `(userName eq "a"`},
		{"trailing junk", `userName eq "a" )`},
		{"and without a right side", `userName eq "a" and`},
		{"unterminated string", `userName eq "a`},
		{"stack exhaustion by a thousand parentheses", deep("(", ")", 1000)},
		{"stack exhaustion by a thousand nots", deep("not(", ")", 1000)},
		{"a thousand unclosed parentheses", strings.Repeat("(", 1000)},
		{"a thousand brackets", strings.Repeat("emails[", 1000)},
		{"one level too deep", deep("(", ")", maxFilterDepth+1)},
		{"oversize input", `userName eq "` + strings.Repeat("a", maxFilterLength) + `"`},
		{"oversize input of parentheses", strings.Repeat("(", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			expr, err := ParseFilter(tt.filter)
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %v", took)
			}
			if err == nil {
				t.Fatalf("ParseFilter accepted it: %v", expr)
			}
			if got := scimType(err); got != "invalidFilter" {
				t.Errorf("scimType = %q, want invalidFilter (%v)", got, err)
			}
		})
	}
}

func TestParseFilterLimits(t *testing.T) {
	accepted := []string{
		strings.Repeat("(", maxFilterDepth) + `userName eq "x"` + strings.Repeat(")", maxFilterDepth),
		strings.Repeat("not(", maxFilterDepth) + `userName eq "x"` + strings.Repeat(")", maxFilterDepth),
		// Brackets inside strings are not nesting.
		`displayName eq "` + strings.Repeat("(", 100) + strings.Repeat("[", 100) + `"`,
		`displayName eq "\"` + strings.Repeat("(", 100) + `"`,
		// Exactly the longest filter taken.
		`userName eq "` + strings.Repeat("a", maxFilterLength-len(`userName eq ""`)) + `"`,
	}
	for _, s := range accepted {
		if _, err := ParseFilter(s); err != nil {
			t.Errorf("ParseFilter(%.60q...): %v", s, err)
		}
	}
}

func TestValidateFilter(t *testing.T) {
	const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		name   string
		rt     ResourceType
		filter string
		bad    string // what the detail names; empty when the filter is valid
	}{
		{"string", User, `userName eq "bjensen"`, ""},
		{"any case", User, `USERNAME Eq "bjensen" AND Name.FamilyName co "J"`, ""},
		{"value filter", User, `emails[type eq "work" and value co "@example.com"]`, ""},
		{"value filter with not", User, `emails[not(type eq "work")]`, ""},
		{"multi-valued by its value", User, `emails co "@example.com"`, ""},
		{"complex by its value", User, `manager eq "26118915"`, ""},
		{"dateTime", User, `meta.lastModified gt "2011-05-13T04:42:34Z"`, ""},
		{"dateTime by substring", User, `meta.created sw "2011"`, ""},
		{"boolean", User, `active eq false`, ""},
		{"Entra's boolean string", User, `active eq "True"`, ""},
		{"extension attribute", User, enterprise + `:department eq "Sales"`, ""},
		{"extension sub-attribute", User, enterprise + `:manager.value pr`, ""},
		{"complex present", User, `name pr`, ""},
		{"null", User, `title eq null`, ""},
		{"binary by equality", User, `x509Certificates.value eq "MIID"`, ""},
		{"group members", Group, `members[value eq "u1"] or displayName sw "Tour"`, ""},

		{"unknown attribute", User, `nosuch eq "x"`, "nosuch"},
		{"unknown attribute under not", User, `not (nosuch pr)`, "nosuch"},
		{"unknown attribute on the right", User, `userName eq "x" or nosuch pr`, "nosuch"},
		{"unknown sub-attribute", User, `name.nosuch eq "x"`, "name.nosuch"},
		{"unknown attribute in a value filter", User, `emails[nosuch eq "x"]`, "nosuch"},
		{"unknown value path", User, `nosuch[value eq "x"]`, "nosuch"},
		{"value filter on a simple attribute", User, `userName[value eq "x"]`, "userName"},
		{"core attribute under the extension's URN", User, enterprise + `:userName eq "x"`, "userName"},
		{"unknown schema", User, `urn:example:Other:userName eq "x"`, "userName"},
		{"user attribute on a group", Group, `userName eq "x"`, "userName"},
		{"password probed by filter", User, `password sw "a"`, "password"},
		{"password probed by presence", User, `password pr`, "password"},
		{"number for a string", User, `userName eq 1`, "userName"},
		{"boolean for a string", User, `userName eq true`, "userName"},
		{"string for a boolean", User, `active eq "yes"`, "active"},
		{"ordering of booleans", User, `active gt true`, "active"},
		{"substring of a boolean", User, `active co "t"`, "active"},
		{"date that is not one", User, `meta.created gt "yesterday"`, "meta.created"},
		{"number for a date", User, `meta.created gt 2011`, "meta.created"},
		{"ordering of binary", User, `x509Certificates.value gt "M"`, "x509Certificates.value"},
		{"complex without a value sub-attribute", User, `name eq "x"`, "name"},
		{"null ordered", User, `title gt null`, "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expr, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
			}
			err = ValidateFilter(tt.rt, expr)
			switch {
			case tt.bad == "" && err != nil:
				t.Errorf("ValidateFilter(%q): %v", tt.filter, err)
			case tt.bad != "" && err == nil:
				t.Errorf("ValidateFilter(%q) accepted it", tt.filter)
			case tt.bad != "":
				var e *Error
				if !errors.As(err, &e) || e.ScimType != "invalidFilter" || e.Status != 400 {
					t.Errorf("ValidateFilter(%q) = %v, want a 400 invalidFilter", tt.filter, err)
				} else if !strings.Contains(e.Detail, tt.bad) {
					t.Errorf("ValidateFilter(%q) detail %q does not name %s", tt.filter, e.Detail, tt.bad)
				}
			}
		})
	}
}

func TestValidateFilterNumbers(t *testing.T) {
	tests := []struct {
		filter string
		ok     bool
	}{
		{`age gt 30`, true},
		{`age eq 3.0e1`, false}, // an integer has no fraction or exponent (RFC 7643 §2.3.4)
		{`age eq 30.5`, false},
		{`score le 1.5`, true},
		{`score eq 2`, true},
		{`score co 1`, false},
		{`score eq "1.5"`, false},
	}
	for _, tt := range tests {
		expr, err := ParseFilter(tt.filter)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
		}
		if err := ValidateFilter(scored, expr); (err == nil) != tt.ok {
			t.Errorf("ValidateFilter(%q) = %v, want ok %v", tt.filter, err, tt.ok)
		}
	}
}

// FuzzParseFilter checks that no input makes ParseFilter panic, that what it
// accepts keeps within the limits, and that ValidateFilter and Match take
// whatever it returns.
func FuzzParseFilter(f *testing.F) {
	seeds := []string{
		`userName eq "bjensen"`,
		`userName Eq "bjensen" AND title pr`,
		`name.familyName co "O'Malley"`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`title pr and userType eq "Employee"`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		`not (emails co "example.com" or emails.value co "example.org")`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`active eq "True"`,
		`age ge -1.5e+10`,
		`title eq null`,
		`displayName eq "\u00E9\"\\"`,
		`emails[not(type eq "work")]`,
		strings.Repeat("(", 40) + `a pr` + strings.Repeat(")", 40),
		strings.Repeat("not(", 10) + `a pr` + strings.Repeat(")", 10),
		`((a eq 1) or (b eq 2)) and c[d eq "]"]`,
		`"`,
		`(`,
		`a[`,
		"\x00",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	res := decodeNumbers(f, bjensen)
	f.Fuzz(func(t *testing.T, s string) {
		expr, err := ParseFilter(s)
		if err != nil {
			if scimType(err) != "invalidFilter" {
				t.Fatalf("ParseFilter(%q) = %v, want an invalidFilter error", s, err)
			}
			return
		}
		if expr == nil {
			t.Fatalf("ParseFilter(%q) returned neither a filter nor an error", s)
		}
		if len(s) > maxFilterLength || checkLimits(s, "invalidFilter", "filter") != nil {
			t.Fatalf("ParseFilter(%q) accepted a filter beyond the limits", s)
		}
		if err := ValidateFilter(User, expr); err != nil && scimType(err) != "invalidFilter" {
			t.Fatalf("ValidateFilter(%q) = %v, want an invalidFilter error", s, err)
		}
		Match(User, res, expr)
		Match(scored, map[string]any{"age": 3.0, "tags": []any{"a"}}, expr)
	})
}

// TestParseFilterLowerCaseEscapes: \u escapes take hex digits in either
// case, as in JSON; an escaped backslash before a u is no escape.
func TestParseFilterLowerCaseEscapes(t *testing.T) {
	res := map[string]any{"userName": "josé@example.com", "externalId": `a\u00e9`}
	for f, want := range map[string]bool{
		`userName eq "jos\u00e9@example.com"`: true,
		`userName eq "jos\u00E9@example.com"`: true,
		`externalId eq "a\\u00e9"`:            true,
		`externalId eq "a\\u00E9"`:            false,
	} {
		expr, err := ParseFilter(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := Match(User, res, expr); got != want {
			t.Errorf("%s: %v; want %v", f, got, want)
		}
	}
}
