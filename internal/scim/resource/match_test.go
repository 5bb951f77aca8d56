package resource

import (
	"testing"
)

// scored is a resource type with the numeric and simple multi-valued
// attributes the core schemas lack.
var scored = ResourceType{Schema: &Schema{ID: "urn:example:Scored", Name: "Scored", Attributes: []Attribute{
	{Name: "age", Type: Integer},
	{Name: "score", Type: Decimal},
	{Name: "tags", MultiValued: true},
	{Name: "codes", MultiValued: true, CaseExact: true},
}}}

func TestMatch(t *testing.T) {
	const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		filter string
		want   bool
	}{
		// eq and ne, by the attribute's caseExact.
		{`userName eq "bjensen@example.com"`, true},
		{`userName eq "BJensen@Example.COM"`, true},
		{`displayName eq "babs jensen"`, true},
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{`externalId eq "701984"`, true},
		{`userName ne "bjensen@example.com"`, false},
		{`userName ne "BJENSEN@EXAMPLE.COM"`, false},
		{`userName ne "someone@example.com"`, true},
		{`id ne "2819C223-7F76-453A-919D-413861904646"`, true},
		// co, sw, ew.
		{`name.familyName co "ENS"`, true},
		{`name.familyName co "xyz"`, false},
		{`userName sw "BJ"`, true},
		{`userName sw "example"`, false},
		{`userName ew "@EXAMPLE.COM"`, true},
		{`userName ew "@example.org"`, false},
		{`meta.version co "3694E05E"`, false},
		{`meta.version co "3694e05e"`, true},
		// gt, ge, lt, le on strings, lexically.
		{`userName gt "a"`, true},
		{`userName gt "C"`, false},
		{`userName ge "BJENSEN@EXAMPLE.COM"`, true},
		{`userName lt "c"`, true},
		{`userName le "b"`, false},
		// pr, and missing attributes.
		{`title pr`, true},
		{`nickName pr`, false}, // an empty string is no value
		{`profileUrl pr`, false},
		{`name pr`, true},
		{`emails pr`, true},
		{`ims pr`, false},
		{`profileUrl eq "x"`, false},
		{`profileUrl ne "x"`, true},
		{`profileUrl gt "a"`, false},
		{`profileUrl co ""`, false},
		{`title eq null`, false},
		{`title ne null`, true},
		{`profileUrl eq null`, true},
		{`nickName eq null`, true},
		// dateTime as instants.
		{`meta.lastModified gt "2011-05-13T04:42:33Z"`, true},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, false},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified eq "2011-05-13T06:42:34+02:00"`, true},
		{`meta.lastModified eq "2011-05-13T04:42:34.000Z"`, true},
		{`meta.lastModified ne "2011-05-13T06:42:34+02:00"`, false},
		{`meta.created lt "2011-01-01T00:00:00Z"`, true},
		{`meta.created le "2010-01-23T04:56:21Z"`, false},
		{`meta.created sw "2010-01"`, true},
		// Booleans, and the strings Microsoft Entra ID sends for them.
		{`active eq true`, true},
		{`active eq false`, false},
		{`active ne false`, true},
		{`active eq "True"`, true},
		{`active eq "false"`, false},
		// Value paths: true when one element meets the whole filter.
		{`emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "home" and value co "@example.com"]`, false},
		{`emails[type eq "home" or primary eq true]`, true},
		{`emails[primary eq true and type eq "home"]`, false},
		{`emails[not(type eq "work")]`, true},
		{`emails[not(type pr)]`, false},
		{`EMAILS[TYPE eq "WORK"]`, true},
		{`emails[primary eq "True"]`, true},
		{`phoneNumbers[type eq "work"]`, true},
		{`ims[type eq "xmpp"]`, false},
		{`addresses[type eq "work" and primary eq true]`, true},
		{`groups[type eq "direct"]`, true},
		// Multi-valued attributes without brackets: any value.
		{`emails.value eq "babs@jensen.org"`, true},
		{`emails.value eq "BABS@JENSEN.ORG"`, true},
		{`emails.value ew ".org"`, true},
		{`emails co "jensen.org"`, true}, // the value sub-attribute
		{`emails eq "bjensen@example.com"`, true},
		{`emails co "example.net"`, false},
		{`emails.type eq "other"`, false},
		{`emails ne "babs@jensen.org"`, false},
		{`emails.type ne "other"`, true},
		{`addresses.locality eq "HOLLYWOOD"`, true},
		{`groups.display eq "tour guides"`, true},
		{`groups eq "e9e30dba-f08f-4109-8486-d5c6a331660a"`, true},
		// Binary values are case exact.
		{`x509Certificates.value eq "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw"`, true},
		{`x509Certificates.value eq "miidqzccaqygawibagicebawdqyjkozihvcnaqefbqaw"`, false},
		// A complex attribute without a value sub-attribute compares with nothing.
		{`name eq "Barbara"`, false},
		// The enterprise extension.
		{enterprise + `:department eq "tour operations"`, true},
		{enterprise + `:department ne "Tour Operations"`, false},
		{enterprise + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{enterprise + `:manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{enterprise + `:manager.displayName sw "john"`, true},
		{enterprise + `:costCenter pr`, false},
		{`department eq "Tour Operations"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"`, true},
		// Unknown attributes are missing ones.
		{`nosuch eq "x"`, false},
		{`nosuch ne "x"`, true},
		{`nosuch pr`, false},
		{`nosuch[value eq "x"]`, false},
		{`userName[value eq "x"]`, false},
		// and, or, not and grouping.
		{`userName eq "x" or title eq "tour guide"`, true},
		{`userName eq "x" and title pr`, false},
		{`title pr and userType pr`, false},
		{`title pr and active eq true`, true},
		{`not (userName eq "x")`, true},
		{`not (title pr)`, false},
		{`title pr and (emails.type eq "other" or active eq true)`, true},
		{`(userName eq "x" or title pr) and not (active eq false)`, true},
		{`userName eq "x" and title pr or active eq true`, true},
		{`userName eq "x" and (title pr or active eq true)`, false},
		{`userName eq "x" or userName eq "y" or userName eq "bjensen@example.com"`, true},
		{`title pr and active eq true and emails.type eq "home" and not (nickName pr)`, true},
		{`title pr and active eq true and emails.type eq "other"`, false},
	}
	for _, decoded := range []struct {
		name string
		res  map[string]any
	}{{"float64", decode(t, bjensen)}, {"json.Number", decodeNumbers(t, bjensen)}} {
		for _, tt := range tests {
			expr, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
			}
			if got := Match(User, decoded.res, expr); got != tt.want {
				t.Errorf("%s: Match(%q) = %v, want %v", decoded.name, tt.filter, got, tt.want)
			}
		}
	}
}

func TestMatchNumbersAndSimpleLists(t *testing.T) {
	const doc = `{"age": 42, "score": 1.5, "tags": ["Red", "blue"], "codes": ["AB"]}`
	tests := []struct {
		filter string
		want   bool
	}{
		{`age eq 42`, true},
		{`age ne 42`, false},
		{`age gt 41`, true},
		{`age gt 42`, false},
		{`age ge 42`, true},
		{`age lt 42`, false},
		{`age le 42`, true},
		{`age eq 4.2e1`, true},
		{`score eq 1.5`, true},
		{`score gt 1.25`, true},
		{`score lt 1`, false},
		{`score le 15e-1`, true},
		{`age eq "42"`, false},
		{`tags eq "red"`, true},
		{`tags co "LU"`, true},
		{`tags ne "green"`, true},
		{`tags ne "BLUE"`, false},
		{`codes eq "ab"`, false},
		{`codes eq "AB"`, true},
	}
	for _, res := range []map[string]any{decode(t, doc), decodeNumbers(t, doc)} {
		for _, tt := range tests {
			expr, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
			}
			if got := Match(scored, res, expr); got != tt.want {
				t.Errorf("Match(%q) on %T numbers = %v, want %v", tt.filter, res["age"], got, tt.want)
			}
		}
	}
}

func TestMatchGroup(t *testing.T) {
	res := decode(t, guides)
	tests := []struct {
		filter string
		want   bool
	}{
		{`displayName eq "tour guides"`, true},
		{`members[value eq "u2"]`, true},
		{`members[value eq "U2"]`, true}, // members.value is not caseExact (RFC 7643 §8.7.1)
		{`members[value eq "u3"]`, false},
		{`members.display eq "ann"`, true},
		{`members eq "u1"`, true},
		{`members[type eq "User" and display pr]`, true},
		{`members[type eq "Group"]`, false},
		{`userName eq "x"`, false},
	}
	for _, tt := range tests {
		expr, err := ParseFilter(tt.filter)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
		}
		if got := Match(Group, res, expr); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.filter, got, tt.want)
		}
	}
}
