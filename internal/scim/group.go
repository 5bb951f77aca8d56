package scim

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// notKeptOfGroup are the attributes of a group that are never kept as sent:
// the server's own and those Gatehouse models.
var notKeptOfGroup = []string{"schemas", "id", "meta", "externalId", "displayName", "members"}

// groupResource renders g and its members as a SCIM Group; members nil
// leaves the attribute out.
func groupResource(base string, g *iam.Group, kept []byte, members []string) map[string]any {
	res := map[string]any{}
	if len(kept) > 0 {
		_ = json.Unmarshal(kept, &res)
	}
	res["schemas"] = []any{groupSchema}
	res["id"] = g.ID
	res["displayName"] = g.Name
	if g.ExternalID != "" {
		res["externalId"] = g.ExternalID
	}
	if len(members) > 0 {
		list := make([]any, len(members))
		for i, id := range members {
			list[i] = map[string]any{"value": id, "$ref": base + "/Users/" + id, "type": "User"}
		}
		res["members"] = list
	}
	res["meta"] = meta("Group", base+"/Groups/"+g.ID, g.CreatedAt, g.UpdatedAt, g.Version)
	return res
}

// provisionedGroup reads a whole SCIM Group, canonical, as the directory
// keeps it.
func provisionedGroup(res map[string]any) (directory.ProvisionedGroup, error) {
	name, ok := res["displayName"].(string)
	if !ok || strings.TrimSpace(name) == "" {
		return directory.ProvisionedGroup{}, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue",
			Detail: "displayName is required and must be a string"}
	}
	in := directory.ProvisionedGroup{Name: name}
	if v, ok := res["externalId"]; ok && v != nil {
		ext, isString := v.(string)
		if !isString {
			return in, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "externalId must be a string"}
		}
		in.ExternalID = ext
	}
	members, _ := res["members"].([]any)
	for _, m := range members {
		obj, _ := m.(map[string]any)
		id, ok := obj["value"].(string)
		if !ok || id == "" {
			return in, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "every member needs a value, a user's id"}
		}
		if t, _ := obj["type"].(string); t != "" && !strings.EqualFold(t, "User") {
			return in, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "members are users; groups do not nest"}
		}
		in.Members = append(in.Members, id)
	}
	rest := make(map[string]any, len(res))
	for k, v := range res {
		rest[k] = v
	}
	for _, k := range notKeptOfGroup {
		delete(rest, k)
	}
	if len(rest) > 0 {
		b, err := json.Marshal(rest)
		if err != nil {
			return in, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "the resource cannot be kept"}
		}
		in.Attributes = b
	}
	return in, nil
}
