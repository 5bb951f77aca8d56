package resource

import (
	"reflect"
	"testing"
)

func TestProject(t *testing.T) {
	const (
		schemas = `"schemas":["` + coreUser + `","` + enterprise + `"],"id":"2819c223-7f76-453a-919d-413861904646"`
		manager = `"manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d","displayName":"John Smith"}`
	)
	// What the server holds: bjensen with a password and a member the schema
	// does not know.
	stored := decode(t, bjensen)
	stored["password"] = "t1meMa$heen"
	stored["favoriteColor"] = "blue"
	full := decode(t, bjensen)

	tests := []struct {
		name                 string
		attributes, excluded []string
		want                 map[string]any
	}{
		{"default: all but password and unknown members", nil, nil, full},
		{"one attribute, and those always returned", []string{"userName"}, nil,
			decode(t, `{`+schemas+`,"userName":"bjensen@example.com"}`)},
		{"sub-attributes", []string{"name.givenName", "emails.value"}, nil,
			decode(t, `{`+schemas+`,"name":{"givenName":"Barbara"},"emails":[{"value":"bjensen@example.com"},{"value":"babs@jensen.org"}]}`)},
		{"names in any case", []string{"USERNAME", "Name.FamilyName"}, nil,
			decode(t, `{`+schemas+`,"userName":"bjensen@example.com","name":{"familyName":"Jensen"}}`)},
		{"a multi-valued attribute whole", []string{"emails"}, nil,
			decode(t, `{`+schemas+`,"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}]}`)},
		{"an extension attribute", []string{enterprise + ":department"}, nil,
			decode(t, `{`+schemas+`,"`+enterprise+`":{"department":"Tour Operations"}}`)},
		{"an extension sub-attribute", []string{enterprise + ":manager.value"}, nil,
			decode(t, `{`+schemas+`,"`+enterprise+`":{"manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}}}`)},
		{"an extension whole", []string{enterprise}, nil,
			decode(t, `{`+schemas+`,"`+enterprise+`":{"employeeNumber":"701984","department":"Tour Operations",`+manager+`}}`)},
		{"spaces around names", []string{" meta.lastModified", "title "}, nil,
			decode(t, `{`+schemas+`,"meta":{"lastModified":"2011-05-13T04:42:34Z"},"title":"Tour Guide"}`)},
		{"password is never returned", []string{"password"}, nil, decode(t, `{`+schemas+`}`)},
		{"unknown names are ignored", []string{"nosuch", "emails[type eq \"work\"]", "favoriteColor"}, nil, decode(t, `{`+schemas+`}`)},
		{"attributes wins over excludedAttributes", []string{"userName"}, []string{"userName"},
			decode(t, `{`+schemas+`,"userName":"bjensen@example.com"}`)},
		{"excluded attributes", nil, []string{"emails", "name.formatted", "id", "schemas", enterprise + ":manager", "nosuch"},
			without(full, func(m map[string]any) {
				delete(m, "emails")
				delete(m["name"].(map[string]any), "formatted")
				delete(m[enterprise].(map[string]any), "manager")
			})},
		{"an excluded sub-attribute of a multi-valued attribute", nil, []string{"Emails.Value"},
			without(full, func(m map[string]any) {
				m["emails"] = []any{map[string]any{"type": "work", "primary": true}, map[string]any{"type": "home"}}
			})},
		{"an excluded extension", nil, []string{enterprise},
			without(full, func(m map[string]any) { delete(m, enterprise) })},
		{"excluding the last of a complex attribute", nil, []string{enterprise + ":manager.value", enterprise + ":manager.displayName"},
			without(full, func(m map[string]any) { delete(m[enterprise].(map[string]any), "manager") })},
		{"excluding password changes nothing", nil, []string{"password"}, full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Project(User, stored, tt.attributes, tt.excluded)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Project gave\n%s\nwant\n%s", asJSON(got), asJSON(tt.want))
			}
		})
	}
}

// without is a copy of m changed by change.
func without(m map[string]any, change func(map[string]any)) map[string]any {
	c := clone(m).(map[string]any)
	change(c)
	return c
}

func TestProjectGroup(t *testing.T) {
	res := decode(t, guides)
	got := Project(Group, res, []string{"displayName"}, nil)
	want := decode(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Tour Guides"}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attributes=displayName gave %s", asJSON(got))
	}
	got = Project(Group, res, nil, []string{"members"})
	want = without(res, func(m map[string]any) { delete(m, "members") })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("excludedAttributes=members gave %s", asJSON(got))
	}
}

func TestProjectReturnedRequest(t *testing.T) {
	rt := ResourceType{Schema: &Schema{ID: "urn:example:Account", Attributes: []Attribute{
		{Name: "id", Returned: ReturnedAlways},
		{Name: "name"},
		{Name: "recovery", Type: Complex, SubAttributes: []Attribute{
			{Name: "question"},
			{Name: "hint", Returned: ReturnedRequest},
		}},
		{Name: "notes", Returned: ReturnedRequest},
	}}}
	res := decode(t, `{"id":"1","name":"a","recovery":{"question":"q","hint":"h"},"notes":"n"}`)
	tests := []struct {
		attributes []string
		want       string
	}{
		{nil, `{"id":"1","name":"a","recovery":{"question":"q"}}`},
		{[]string{"notes"}, `{"id":"1","notes":"n"}`},
		{[]string{"recovery.hint"}, `{"id":"1","recovery":{"hint":"h"}}`},
		{[]string{"recovery"}, `{"id":"1","recovery":{"question":"q","hint":"h"}}`},
	}
	for _, tt := range tests {
		if got := Project(rt, res, tt.attributes, nil); !reflect.DeepEqual(got, decode(t, tt.want)) {
			t.Errorf("Project(attributes=%v) = %s, want %s", tt.attributes, asJSON(got), tt.want)
		}
	}
}

func TestProjectCopies(t *testing.T) {
	res := decode(t, bjensen)
	got := Project(User, res, nil, nil)
	got["name"].(map[string]any)["givenName"] = "changed"
	got["emails"].([]any)[0].(map[string]any)["value"] = "changed"
	if !reflect.DeepEqual(res, decode(t, bjensen)) {
		t.Errorf("changing Project's result changed the resource")
	}
}
