package resource

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestSchemaResource(t *testing.T) {
	for _, s := range []*Schema{&UserSchema, &EnterpriseUserSchema, &GroupSchema} {
		t.Run(s.Name, func(t *testing.T) {
			rendered := SchemaResource(s, "https://example.com/scim/v2/")
			got, err := json.MarshalIndent(rendered, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", s.Name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s (run go test -update if the change is meant):\n%s", s.Name, path, got)
			}
			// What the endpoint serves reads back as the same value.
			if back := decode(t, string(want)); !reflect.DeepEqual(back, rendered) {
				t.Errorf("the rendered schema does not survive a JSON round trip")
			}
		})
	}
}

func TestResourceTypeAttribute(t *testing.T) {
	const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		rt   ResourceType
		path string
		want string // the attribute's name; empty when there is none
	}{
		{User, "userName", "userName"},
		{User, "USERNAME", "userName"},
		{User, "name.GivenName", "givenName"},
		{User, "emails.value", "value"},
		{User, "groups.$ref", "$ref"},
		{User, "urn:ietf:params:scim:schemas:core:2.0:User:userName", "userName"},
		{User, "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", "familyName"},
		{User, enterprise + ":department", "department"},
		{User, "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Manager.Value", "value"},
		{User, "department", "department"}, // unqualified, found in the extension
		{User, "meta.lastModified", "lastModified"},
		{User, "urn:ietf:params:scim:schemas:core:2.0:User:department", ""},
		{User, enterprise + ":userName", ""},
		{User, "urn:example:Other:userName", ""},
		{User, "nosuch", ""},
		{User, "name.nosuch", ""},
		{User, "userName.value", ""},
		{User, "members", ""},
		{Group, "members.value", "value"},
		{Group, "displayName", "displayName"},
		{Group, "userName", ""},
		{Group, "department", ""},
	}
	for _, tt := range tests {
		p, err := filter.ParseAttrPath([]byte(tt.path))
		if err != nil {
			t.Fatalf("ParseAttrPath(%q): %v", tt.path, err)
		}
		a, ok := tt.rt.Attribute(p)
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s.Attribute(%q) = %s, want none", tt.rt.Schema.Name, tt.path, a.Name)
		case tt.want != "" && !ok:
			t.Errorf("%s.Attribute(%q) found none, want %s", tt.rt.Schema.Name, tt.path, tt.want)
		case ok && a.Name != tt.want:
			t.Errorf("%s.Attribute(%q) = %s, want %s", tt.rt.Schema.Name, tt.path, a.Name, tt.want)
		}
	}
}

func TestSchemaCharacteristics(t *testing.T) {
	at := func(rt ResourceType, path string) *Attribute {
		p, err := filter.ParseAttrPath([]byte(path))
		if err != nil {
			t.Fatal(err)
		}
		a, ok := rt.Attribute(p)
		if !ok {
			t.Fatalf("no attribute %s", path)
		}
		return a
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"id is readOnly, caseExact and always returned", at(User, "id").Mutability == ReadOnly && at(User, "id").CaseExact && at(User, "id").Returned == ReturnedAlways},
		{"externalId is caseExact", at(User, "externalId").CaseExact && at(Group, "externalId").CaseExact},
		{"userName is required, unique and not caseExact", at(User, "userName").Required && at(User, "userName").Uniqueness == UniquenessServer && !at(User, "userName").CaseExact},
		{"password is writeOnly and never returned", at(User, "password").Mutability == WriteOnly && at(User, "password").Returned == ReturnedNever},
		{"groups are readOnly", at(User, "groups").Mutability == ReadOnly && at(User, "groups.value").Mutability == ReadOnly},
		{"emails.value is not caseExact", !at(User, "emails.value").CaseExact},
		{"members.value is immutable", at(Group, "members.value").Mutability == Immutable},
		{"manager.displayName is readOnly", at(User, "manager.displayName").Mutability == ReadOnly},
		{"x509Certificates.value is binary", at(User, "x509Certificates.value").Type == Binary},
		{"active is boolean", at(User, "active").Type == Boolean},
		{"meta.created is a dateTime", at(Group, "meta.created").Type == DateTime},
	}
	for _, c := range checks {
		if !c.ok {
			t.Error(c.name + ": not so")
		}
	}
}
