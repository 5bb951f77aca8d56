package resource

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const (
	coreUser   = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// operations decodes a PatchOp message's Operations as the transport does.
func operations(t *testing.T, s string) []Operation {
	t.Helper()
	var ops []Operation
	if err := json.Unmarshal([]byte(s), &ops); err != nil {
		t.Fatalf("decode operations %s: %v", s, err)
	}
	return ops
}

func TestPatch(t *testing.T) {
	tests := []struct {
		name    string
		rt      ResourceType
		res     string // the resource before
		ops     string // the Operations, as the client sends them
		changes string // the resource's members that change: new values, null for gone
	}{
		// Microsoft Entra ID's requests (learn.microsoft.com, "Tutorial: Develop and
		// plan provisioning for a SCIM endpoint" and "Known issues ... SCIM 2.0
		// protocol compliance").
		{"Entra: Replace userName", User, bjensen,
			`[{"op":"Replace","path":"userName","value":"babs@example.com"}]`,
			`{"userName":"babs@example.com"}`},
		{"Entra: Replace active with the string False", User, bjensen,
			`[{"op":"Replace","path":"active","value":"False"}]`,
			`{"active":false}`},
		{"Entra: replace active with false", User, bjensen,
			`[{"op":"replace","path":"active","value":false}]`,
			`{"active":false}`},
		{"Entra: ADD active as a string in another case", User, bjensen,
			`[{"op":"ADD","path":"active","value":"fALSE"}]`,
			`{"active":false}`},
		{"Entra: Replace emails[type eq work].value and name.familyName", User, bjensen,
			`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
			  {"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]`,
			`{"emails":[{"value":"updatedEmail@microsoft.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
			  "name":{"formatted":"Ms. Barbara J Jensen, III","familyName":"updatedFamilyName","givenName":"Barbara"}}`},
		{"Entra: replace several attributes without a path", User, bjensen,
			`[{"op":"replace","value":{
			    "displayName":"Pvlo",
			    "emails[type eq \"work\"].value":"TestBcwqnm@test.microsoft.com",
			    "name.givenName":"Gtfd",
			    "name.familyName":"Pkqf",
			    "externalId":"Eqpj",
			    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Eqpj",
			    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Sales"}}]`,
			`{"displayName":"Pvlo","externalId":"Eqpj",
			  "emails":[{"value":"TestBcwqnm@test.microsoft.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
			  "name":{"formatted":"Ms. Barbara J Jensen, III","familyName":"Pkqf","givenName":"Gtfd"},
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"Eqpj","department":"Sales",
			    "manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d","displayName":"John Smith"}}}`},
		{"Entra: add an attribute without a path", User, bjensen,
			`[{"op":"add","value":{"nickName":"Babs"}}]`,
			`{"nickName":"Babs"}`},
		{"Entra: Add a work email to a user without one", User, newcomer,
			`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"ann@example.com"}]`,
			`{"emails":[{"type":"work","value":"ann@example.com"}]}`},
		{"Entra: Add the manager as a bare id", User, newcomer,
			`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"26118915"}]`,
			`{"schemas":["` + coreUser + `","` + enterprise + `"],"` + enterprise + `":{"manager":{"value":"26118915"}}}`},
		{"Entra: Replace an extension attribute", User, bjensen,
			`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}]`,
			`{"` + enterprise + `":{"employeeNumber":"701984","department":"Sales",
			    "manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d","displayName":"John Smith"}}}`},
		{"Entra: Remove the manager", User, bjensen,
			`[{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`,
			`{"` + enterprise + `":{"employeeNumber":"701984","department":"Tour Operations"}}`},
		{"Entra: Add an app role", User, newcomer,
			`[{"op":"Add","path":"roles","value":[{"primary":"True","type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]}]`,
			`{"roles":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]}`},
		{"Entra: Add members", Group, guides,
			`[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u3"},{"$ref":null,"value":"u4"}]}]`,
			`{"members":[{"value":"u1","display":"Ann","type":"User"},{"value":"u2","type":"User"},{"value":"u3"},{"value":"u4"}]}`},
		{"Entra: Add a member already there", Group, guides,
			`[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"}]}]`,
			`{}`},
		{"Entra: Remove members by listing them", Group, guides,
			`[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]`,
			`{"members":[{"value":"u2","type":"User"}]}`},
		{"Entra: Remove a member who is not there", Group, guides,
			`[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u9"}]}]`,
			`{}`},
		{"Entra: Replace a group's displayName", Group, guides,
			`[{"op":"Replace","path":"displayName","value":"Guides"}]`,
			`{"displayName":"Guides"}`},
		{"Entra: Remove every member", Group, guides,
			`[{"op":"Remove","path":"members"}]`,
			`{"members":null}`},

		// Okta's requests (developer.okta.com, "SCIM 2.0 protocol reference").
		{"Okta: deactivate a user without a path", User, bjensen,
			`[{"op":"replace","value":{"active":false}}]`,
			`{"active":false}`},
		{"Okta: rename a group, sending its id back", Group, guides,
			`[{"op":"replace","value":{"id":"g1","displayName":"Renamed"}}]`,
			`{"displayName":"Renamed"}`},
		{"Okta: add a member with its display", Group, guides,
			`[{"op":"add","path":"members","value":[{"value":"u3","display":"Cy"}]}]`,
			`{"members":[{"value":"u1","display":"Ann","type":"User"},{"value":"u2","type":"User"},{"value":"u3","display":"Cy"}]}`},
		{"Okta: remove a member by filter", Group, guides,
			`[{"op":"remove","path":"members[value eq \"u2\"]"}]`,
			`{"members":[{"value":"u1","display":"Ann","type":"User"}]}`},
		{"Okta: replace every member", Group, guides,
			`[{"op":"replace","path":"members","value":[{"value":"u3","display":"Cy"}]}]`,
			`{"members":[{"value":"u3","display":"Cy"}]}`},
		{"Okta: replace the members with none", Group, guides,
			`[{"op":"replace","path":"members","value":[]}]`,
			`{"members":null}`},
		{"Okta: set a password", User, bjensen,
			`[{"op":"replace","value":{"password":"t1meMa$heen"}}]`,
			`{"password":"t1meMa$heen"}`},

		// RFC 7644 §3.5.2.
		{"a path in another case", User, bjensen,
			`[{"op":"replace","path":"UserName","value":"babs@example.com"}]`,
			`{"userName":"babs@example.com"}`},
		{"members named in another case without a path", User, bjensen,
			`[{"op":"replace","value":{"DISPLAYNAME":"Babs","Name.GivenName":"Barb"}}]`,
			`{"displayName":"Babs","name":{"formatted":"Ms. Barbara J Jensen, III","familyName":"Jensen","givenName":"Barb"}}`},
		{"a member of the resource in another case takes the schema's spelling", User,
			`{"schemas":["` + coreUser + `"],"id":"1","username":"old"}`,
			`[{"op":"replace","path":"userName","value":"new"}]`,
			`{"username":null,"userName":"new"}`},
		{"an attribute named with the core schema's URN", User, bjensen,
			`[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName","value":"Barb"}]`,
			`{"name":{"formatted":"Ms. Barbara J Jensen, III","familyName":"Jensen","givenName":"Barb"}}`},
		{"extension attributes under the extension's URN", User, newcomer,
			`[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"4130","Department":"Sales"}}}]`,
			`{"schemas":["` + coreUser + `","` + enterprise + `"],"` + enterprise + `":{"costCenter":"4130","department":"Sales"}}`},
		{"the extension's URN as the path", User, newcomer,
			`[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"division":"West"}}]`,
			`{"schemas":["` + coreUser + `","` + enterprise + `"],"` + enterprise + `":{"division":"West"}}`},
		{"replace a complex attribute keeps the sub-attributes not given", User, bjensen,
			`[{"op":"replace","path":"name","value":{"givenName":"Babs"}}]`,
			`{"name":{"formatted":"Ms. Barbara J Jensen, III","familyName":"Jensen","givenName":"Babs"}}`},
		{"add sets a single-valued attribute", User, bjensen,
			`[{"op":"add","path":"title","value":"Lead Guide"}]`,
			`{"title":"Lead Guide"}`},
		{"add appends only the values not there yet", User, bjensen,
			`[{"op":"add","path":"emails","value":[{"value":"BJENSEN@example.com","type":"other"},{"value":"b@example.org","type":"other"}]}]`,
			`{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"},
			  {"value":"b@example.org","type":"other"}]}`},
		{"add a single object to a multi-valued attribute", User, bjensen,
			`[{"op":"add","path":"phoneNumbers","value":{"value":"555-0100","type":"mobile"}}]`,
			`{"phoneNumbers":[{"value":"555-555-8377","type":"work"},{"value":"555-0100","type":"mobile"}]}`},
		{"replace a multi-valued attribute without a filter replaces every value", User, bjensen,
			`[{"op":"replace","path":"emails","value":[{"value":"only@example.com","type":"work"}]}]`,
			`{"emails":[{"value":"only@example.com","type":"work"}]}`},
		{"remove a sub-attribute", User, bjensen,
			`[{"op":"remove","path":"name.givenName"}]`,
			`{"name":{"formatted":"Ms. Barbara J Jensen, III","familyName":"Jensen"}}`},
		{"removing every sub-attribute removes the attribute", User, bjensen,
			`[{"op":"remove","path":"name.givenName"},{"op":"remove","path":"name.familyName"},{"op":"remove","path":"name.formatted"}]`,
			`{"name":null}`},
		{"remove the values a filter matches", User, bjensen,
			`[{"op":"remove","path":"emails[type eq \"home\"]"}]`,
			`{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`},
		{"removing the last value removes the attribute", User, bjensen,
			`[{"op":"remove","path":"phoneNumbers[type eq \"work\"]"}]`,
			`{"phoneNumbers":null}`},
		{"remove a sub-attribute of the values a filter matches", User, bjensen,
			`[{"op":"remove","path":"emails[type eq \"work\"].primary"}]`,
			`{"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@jensen.org","type":"home"}]}`},
		{"replace the values a filter matches", User, bjensen,
			`[{"op":"replace","path":"addresses[type eq \"work\"]","value":{"type":"work","streetAddress":"911 Universal City Plaza"}}]`,
			`{"addresses":[{"type":"work","streetAddress":"911 Universal City Plaza"}]}`},
		{"replace a sub-attribute of the values a filter matches", User, bjensen,
			`[{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"911 Universal City Plaza"}]`,
			`{"addresses":[{"type":"work","streetAddress":"911 Universal City Plaza","locality":"Hollywood","primary":true}]}`},
		{"add merges into the values a filter matches", User, bjensen,
			`[{"op":"add","path":"addresses[type eq \"work\"]","value":{"postalCode":"91608"}}]`,
			`{"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","primary":true,"postalCode":"91608"}]}`},
		{"add with a filter that matches nothing adds the value it describes", User, bjensen,
			`[{"op":"add","path":"emails[type eq \"other\"].value","value":"b@example.org"}]`,
			`{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"},
			  {"type":"other","value":"b@example.org"}]}`},
		{"a value made primary takes the flag from the others", User, bjensen,
			`[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]`,
			`{"emails":[{"value":"bjensen@example.com","type":"work","primary":false},{"value":"babs@jensen.org","type":"home","primary":true}]}`},
		{"a primary value added takes the flag from the others", User, bjensen,
			`[{"op":"add","path":"emails","value":[{"value":"p@example.org","primary":"True"}]}]`,
			`{"emails":[{"value":"bjensen@example.com","type":"work","primary":false},{"value":"babs@jensen.org","type":"home"},
			  {"value":"p@example.org","primary":true}]}`},
		{"remove a whole extension", User, bjensen,
			`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
			`{"schemas":["` + coreUser + `"],"` + enterprise + `":null}`},
		{"removing the last extension attribute drops the extension from schemas", User,
			`{"schemas":["` + coreUser + `","` + enterprise + `"],"id":"1","userName":"a","` + enterprise + `":{"department":"x"}}`,
			`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]`,
			`{"schemas":["` + coreUser + `"],"` + enterprise + `":null}`},
		{"replace with null removes", User, bjensen,
			`[{"op":"replace","path":"title","value":null}]`,
			`{"title":null}`},
		{"replace with null without a path removes", User, bjensen,
			`[{"op":"replace","value":{"title":null}}]`,
			`{"title":null}`},
		{"a readOnly sub-attribute sent in a value keeps the server's value", User, bjensen,
			`[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"77","displayName":"Eve"}}]`,
			`{"` + enterprise + `":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"77","displayName":"John Smith"}}}`},
		{"removing an attribute that is not there is no change", User, bjensen,
			`[{"op":"remove","path":"profileUrl"}]`,
			`{}`},
		{"removing with a filter that matches nothing is no change", User, bjensen,
			`[{"op":"remove","path":"emails[type eq \"other\"]"}]`,
			`{}`},
		{"setting a readOnly attribute to its value is no change", User, bjensen,
			`[{"op":"replace","path":"id","value":"2819c223-7f76-453a-919d-413861904646"}]`,
			`{}`},
		{"schemas in a value is Patch's to set", User, bjensen,
			`[{"op":"replace","value":{"schemas":["urn:example:Other"],"title":"Lead Guide"}}]`,
			`{"title":"Lead Guide"}`},
		{"a member's display may change", Group, guides,
			`[{"op":"replace","path":"members[value eq \"u1\"].display","value":"Annie"}]`,
			`{"members":[{"value":"u1","display":"Annie","type":"User"},{"value":"u2","type":"User"}]}`},
		{"a member replaced with its immutable parts unchanged", Group, guides,
			`[{"op":"replace","path":"members[value eq \"u1\"]","value":{"value":"u1","display":"Annie","type":"User"}}]`,
			`{"members":[{"value":"u1","display":"Annie","type":"User"},{"value":"u2","type":"User"}]}`},
		{"Entra: a created user's body, made canonical by a replace without a path", User, `{}`,
			`[{"op":"replace","value":{
			    "schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			    "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			    "userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
			    "active":true,
			    "emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
			    "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
			    "roles":[]}}]`,
			`{"schemas":["` + coreUser + `"],
			  "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			  "userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
			  "active":true,
			  "emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
			  "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"}}`},
		{"add to a simple multi-valued attribute skips values there in another case", scored, `{"tags":["red"]}`,
			`[{"op":"add","path":"tags","value":["RED","green"]}]`,
			`{"schemas":["urn:example:Scored"],"tags":["red","green"]}`},
		{"remove a listed value of a simple multi-valued attribute", scored, `{"tags":["red","green"]}`,
			`[{"op":"remove","path":"tags","value":"Red"}]`,
			`{"schemas":["urn:example:Scored"],"tags":["green"]}`},
		{"nulls in a list are no values", scored, `{}`,
			`[{"op":"replace","path":"tags","value":["a",null,"b"]}]`,
			`{"schemas":["urn:example:Scored"],"tags":["a","b"]}`},
		{"numbers", scored, `{"age":41}`,
			`[{"op":"replace","path":"age","value":42},{"op":"add","path":"score","value":1.5}]`,
			`{"schemas":["urn:example:Scored"],"age":42,"score":1.5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decode(t, tt.res)
			want := decode(t, tt.res)
			for k, v := range decode(t, tt.changes) {
				if v == nil {
					delete(want, k)
				} else {
					want[k] = v
				}
			}
			if err := Patch(tt.rt, res, operations(t, tt.ops)); err != nil {
				t.Fatalf("Patch: %v", err)
			}
			if !reflect.DeepEqual(res, want) {
				t.Errorf("Patch gave\n%s\nwant\n%s", asJSON(res), asJSON(want))
			}
		})
	}
}

func TestPatchErrors(t *testing.T) {
	tests := []struct {
		name     string
		rt       ResourceType
		res      string
		ops      string
		scimType string
	}{
		{"an op that is not one", User, bjensen, `[{"op":"move","path":"title","value":"x"}]`, "invalidSyntax"},
		{"no op", User, bjensen, `[{"path":"title","value":"x"}]`, "invalidSyntax"},
		{"remove without a path", User, bjensen, `[{"op":"remove"}]`, "noTarget"},
		{"Remove without a path", User, bjensen, `[{"op":"Remove","value":{"title":"Tour Guide"}}]`, "noTarget"},

		{"unknown attribute", User, bjensen, `[{"op":"replace","path":"nosuch","value":"x"}]`, "invalidPath"},
		{"unknown attribute without a path", User, bjensen, `[{"op":"replace","value":{"nosuch":"x"}}]`, "invalidPath"},
		{"unknown sub-attribute", User, bjensen, `[{"op":"replace","path":"name.nosuch","value":"x"}]`, "invalidPath"},
		{"unknown sub-attribute after a filter", User, bjensen, `[{"op":"replace","path":"emails[type eq \"work\"].nosuch","value":"x"}]`, "invalidPath"},
		{"unknown sub-attribute in a value", User, bjensen, `[{"op":"add","path":"emails","value":[{"value":"x@example.com","bogus":1}]}]`, "invalidPath"},
		{"unknown extension attribute", User, bjensen, `[{"op":"add","value":{"` + enterprise + `":{"nosuch":"x"}}}]`, "invalidPath"},
		{"unknown schema", User, bjensen, `[{"op":"replace","path":"urn:example:Other:title","value":"x"}]`, "invalidPath"},
		{"user attribute on a group", Group, guides, `[{"op":"replace","path":"userName","value":"x"}]`, "invalidPath"},
		{"malformed path", User, bjensen, `[{"op":"replace","path":"emails[type eq","value":"x"}]`, "invalidPath"},
		{"value filter on a single-valued attribute", User, bjensen, `[{"op":"replace","path":"name[givenName eq \"Barbara\"].familyName","value":"x"}]`, "invalidPath"},
		{"value filter on an unknown sub-attribute", User, bjensen, `[{"op":"replace","path":"emails[nosuch eq \"x\"].value","value":"x"}]`, "invalidFilter"},
		{"path nested too deep", User, bjensen, `[{"op":"remove","path":"` + strings.Repeat("emails[", 40) + `"}]`, "invalidPath"},
		{"path too long", User, bjensen, `[{"op":"remove","path":"emails[value eq \"` + strings.Repeat("a", maxFilterLength) + `\"]"}]`, "invalidPath"},

		{"id is readOnly", User, bjensen, `[{"op":"replace","path":"id","value":"other"}]`, "mutability"},
		{"id is readOnly without a path", Group, guides, `[{"op":"replace","value":{"id":"g2","displayName":"Renamed"}}]`, "mutability"},
		{"id cannot be removed", User, bjensen, `[{"op":"remove","path":"id"}]`, "mutability"},
		{"meta is readOnly", User, bjensen, `[{"op":"replace","path":"meta","value":{"resourceType":"Group"}}]`, "mutability"},
		{"meta's parts are readOnly", User, bjensen, `[{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}]`, "mutability"},
		{"meta cannot be removed", User, bjensen, `[{"op":"remove","path":"meta"}]`, "mutability"},
		{"a user's groups are readOnly", User, bjensen, `[{"op":"add","path":"groups","value":[{"value":"g2"}]}]`, "mutability"},
		{"a user's groups cannot be removed", User, bjensen, `[{"op":"remove","path":"groups"}]`, "mutability"},
		{"a group's display is readOnly", User, bjensen,
			`[{"op":"replace","path":"groups[value eq \"e9e30dba-f08f-4109-8486-d5c6a331660a\"].display","value":"x"}]`, "mutability"},
		{"the manager's displayName is readOnly when named", User, bjensen,
			`[{"op":"replace","path":"` + enterprise + `:manager.displayName","value":"Eve"}]`, "mutability"},
		{"a member's value is immutable", Group, guides, `[{"op":"replace","path":"members[value eq \"u1\"].value","value":"u9"}]`, "mutability"},
		{"a member's value cannot be removed", Group, guides, `[{"op":"remove","path":"members[value eq \"u1\"].value"}]`, "mutability"},
		{"a member replaced without its value", Group, guides, `[{"op":"replace","path":"members[value eq \"u1\"]","value":{"display":"Annie"}}]`, "mutability"},

		{"a number for a string", User, bjensen, `[{"op":"replace","path":"userName","value":42}]`, "invalidValue"},
		{"an object for a string", User, bjensen, `[{"op":"replace","path":"userName","value":{"value":"x"}}]`, "invalidValue"},
		{"a list for a single value", User, bjensen, `[{"op":"replace","path":"title","value":["a"]}]`, "invalidValue"},
		{"a string that is no boolean", User, bjensen, `[{"op":"replace","path":"active","value":"yes"}]`, "invalidValue"},
		{"a number for a boolean", User, bjensen, `[{"op":"replace","value":{"active":0}}]`, "invalidValue"},
		{"a string for a complex attribute without a value sub-attribute", User, bjensen, `[{"op":"replace","path":"name","value":"x"}]`, "invalidValue"},
		{"a number inside a value", User, bjensen, `[{"op":"add","path":"emails","value":[{"value":5}]}]`, "invalidValue"},
		{"a number for a sub-attribute", User, bjensen, `[{"op":"replace","path":"name.givenName","value":5}]`, "invalidValue"},
		{"a number in a simple list", scored, `{}`, `[{"op":"add","path":"tags","value":["a",1]}]`, "invalidValue"},
		{"a bad boolean after a filter", User, bjensen, `[{"op":"replace","path":"emails[type eq \"work\"].primary","value":"maybe"}]`, "invalidValue"},
		{"a fraction for an integer", scored, `{"age":41}`, `[{"op":"replace","path":"age","value":41.5}]`, "invalidValue"},
		{"a string for a number", scored, `{"age":41}`, `[{"op":"replace","path":"score","value":"1.5"}]`, "invalidValue"},
		{"add without a value", User, bjensen, `[{"op":"add","path":"title"}]`, "invalidValue"},
		{"no path and no object", User, bjensen, `[{"op":"replace","value":"x"}]`, "invalidValue"},
		{"the extension's URN with no object", User, bjensen, `[{"op":"add","path":"` + enterprise + `","value":"x"}]`, "invalidValue"},
		{"two primary values", User, bjensen,
			`[{"op":"add","path":"emails","value":[{"value":"a@example.org","primary":true},{"value":"b@example.org","primary":true}]}]`, "invalidValue"},
		{"the same sub-attribute twice", User, bjensen, `[{"op":"replace","path":"name","value":{"givenName":"a","GivenName":"b"}}]`, "invalidValue"},

		{"replace with a filter that matches nothing", User, bjensen,
			`[{"op":"replace","path":"emails[type eq \"other\"].value","value":"b@example.org"}]`, "noTarget"},
		{"replace without a path with a filter that matches nothing", User, newcomer,
			`[{"op":"replace","value":{"emails[type eq \"work\"].value":"ann@example.com"}}]`, "noTarget"},
		{"add with a filter that describes no value", User, bjensen,
			`[{"op":"add","path":"emails[type co \"oth\"].value","value":"b@example.org"}]`, "noTarget"},
		{"a sub-attribute of every value when there is none", User, newcomer,
			`[{"op":"replace","path":"emails.value","value":"ann@example.com"}]`, "noTarget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decode(t, tt.res)
			err := Patch(tt.rt, res, operations(t, tt.ops))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Patch = %v, want an *Error", err)
			}
			if e.Status != 400 || e.ScimType != tt.scimType {
				t.Errorf("Patch = %v, want 400 %s", err, tt.scimType)
			}
			if !reflect.DeepEqual(res, decode(t, tt.res)) {
				t.Errorf("a failed Patch changed the resource:\n%s", asJSON(res))
			}
		})
	}
}

func TestPatchAllOrNothing(t *testing.T) {
	res := decode(t, bjensen)
	ops := operations(t, `[
		{"op":"replace","path":"displayName","value":"Babs"},
		{"op":"add","path":"emails","value":[{"value":"new@example.org","primary":true}]},
		{"op":"remove","path":"`+enterprise+`:department"},
		{"op":"replace","path":"id","value":"other"}
	]`)
	err := Patch(User, res, ops)
	var e *Error
	if !errors.As(err, &e) || e.ScimType != "mutability" {
		t.Fatalf("Patch = %v, want a mutability error", err)
	}
	if !strings.HasPrefix(e.Detail, "Operations[3]: ") {
		t.Errorf("the detail %q does not name the failing operation", e.Detail)
	}
	if !reflect.DeepEqual(res, decode(t, bjensen)) {
		t.Errorf("a failed Patch changed the resource:\n%s", asJSON(res))
	}
}

func TestPatchLeavesValuesItWasGivenAlone(t *testing.T) {
	res := decode(t, newcomer)
	member := map[string]any{"value": "x@example.com", "type": "work"}
	ops := []Operation{{Op: "add", Path: "emails", Value: []any{member}}, {Op: "replace", Path: "emails[type eq \"work\"].display", Value: "X"}}
	if err := Patch(User, res, ops); err != nil {
		t.Fatal(err)
	}
	if _, ok := member["display"]; ok {
		t.Errorf("Patch changed the operation's value: %v", member)
	}
}

func TestPatchErrorDetails(t *testing.T) {
	tests := []struct {
		rt     ResourceType
		res    string
		ops    string
		detail string
	}{
		{Group, guides, `[{"op":"replace","path":"members[value eq \"u1\"].value","value":"u9"}]`,
			"Operations[0]: members.value is immutable"},
		{User, bjensen, `[{"op":"add","path":"emails","value":[{"value":5}]}]`,
			"Operations[0]: emails.value must be a string"},
		{User, bjensen, `[{"op":"replace","path":"title","value":"x"},{"op":"Replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}]`,
			"Operations[1]: meta.created is readOnly"},
		{User, bjensen, `[{"op":"replace","value":{"nickName":"Babs","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"id":"x"}}}}]`,
			`Operations[0]: manager has no sub-attribute "id"`},
	}
	for _, tt := range tests {
		err := Patch(tt.rt, decode(t, tt.res), operations(t, tt.ops))
		var e *Error
		if !errors.As(err, &e) || e.Detail != tt.detail {
			t.Errorf("Patch(%s) = %v, want the detail %q", tt.ops, err, tt.detail)
		}
	}
}

// FuzzPatch checks that no operation makes Patch panic, and that a failing
// one is an *Error that leaves the resource alone.
func FuzzPatch(f *testing.F) {
	seeds := []struct{ op, path, value string }{
		{"Replace", "active", `"False"`},
		{"replace", "", `{"active":false,"name.givenName":"x","emails[type eq \"work\"].value":"a@b.c"}`},
		{"Add", "members", `[{"$ref":null,"value":"u3"}]`},
		{"Remove", "members", `[{"value":"u1"}]`},
		{"remove", `emails[type eq "home"]`, `null`},
		{"add", `emails[type eq "other" and primary eq true].value`, `"x@y.z"`},
		{"replace", `addresses[type eq "work"].streetAddress`, `"1 Main St"`},
		{"add", enterprise + ":manager", `"boss"`},
		{"remove", enterprise, `null`},
		{"replace", "meta", `{"created":"2020-01-01T00:00:00Z"}`},
		{"add", "x509Certificates", `[{"value":"MIID","primary":"true"}]`},
		{"replace", `emails[not(value pr)]`, `{"value":1}`},
	}
	for _, s := range seeds {
		f.Add(s.op, s.path, s.value)
	}
	f.Fuzz(func(t *testing.T, op, path, value string) {
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = value
		}
		res := decode(t, bjensen)
		err := Patch(User, res, []Operation{{Op: op, Path: path, Value: v}})
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 || e.ScimType == "" {
			t.Fatalf("Patch(%q, %q, %s) = %v, want a 400 *Error with a scimType", op, path, value, err)
		}
		if !reflect.DeepEqual(res, decode(t, bjensen)) {
			t.Fatalf("a failed Patch(%q, %q, %s) changed the resource", op, path, value)
		}
	})
}
