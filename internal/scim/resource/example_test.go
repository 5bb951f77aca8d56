package resource_test

import (
	"encoding/json"
	"fmt"

	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

func ExamplePatch() {
	user := map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"id":       "2819c223",
		"userName": "bjensen@example.com",
		"active":   true,
		"emails":   []any{map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true}},
	}
	// As Microsoft Entra ID sends them.
	var ops []resource.Operation
	_ = json.Unmarshal([]byte(`[
		{"op": "Replace", "path": "active", "value": "False"},
		{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "babs@example.com"},
		{"op": "Add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tour Operations"}}
	]`), &ops)
	if err := resource.Patch(resource.User, user, ops); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.MarshalIndent(user, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "active": false,
	//   "emails": [
	//     {
	//       "primary": true,
	//       "type": "work",
	//       "value": "babs@example.com"
	//     }
	//   ],
	//   "id": "2819c223",
	//   "schemas": [
	//     "urn:ietf:params:scim:schemas:core:2.0:User",
	//     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	//   ],
	//   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
	//     "department": "Tour Operations"
	//   },
	//   "userName": "bjensen@example.com"
	// }
}

func ExampleMatch() {
	user := map[string]any{
		"userName": "bjensen@example.com",
		"emails":   []any{map[string]any{"value": "bjensen@example.com", "type": "work"}},
	}
	expr, err := resource.ParseFilter(`userName eq "BJensen@Example.com" and emails[type eq "work" and value co "@example.com"]`)
	if err == nil {
		err = resource.ValidateFilter(resource.User, expr)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resource.Match(resource.User, user, expr))
	// Output: true
}
