package scim

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// The schema URNs of the discovery resources (RFC 7643 §5, §6).
const (
	providerConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeSchema   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
)

func (h *handlers) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	base := h.base(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{providerConfigSchema},
		"documentationUri": "https://github.com/gatehouse-iam/gatehouse/blob/main/docs/scim.md",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": true, "maxOperations": maxOperations, "maxPayloadSize": maxPayload},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "SCIM token",
			"description": "The tenant's SCIM token as a bearer token: Authorization: Bearer <token>",
			"specUri":     "https://www.rfc-editor.org/info/rfc6750", "primary": true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	})
}

// resourceTypes are the ResourceType resources, by id.
func resourceTypes(base string) map[string]map[string]any {
	return map[string]map[string]any{
		"User": {
			"schemas": []string{resourceTypeSchema}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "User account", "schema": userSchema,
			"schemaExtensions": []any{map[string]any{"schema": enterpriseSchema, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/User"},
		},
		"Group": {
			"schemas": []string{resourceTypeSchema}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "Group of users", "schema": groupSchema,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/Group"},
		},
	}
}

func (h *handlers) resourceTypes(w http.ResponseWriter, r *http.Request) {
	types := resourceTypes(h.base(r))
	writeJSON(w, http.StatusOK, listResponse(2, 1, []map[string]any{types["User"], types["Group"]}))
}

func (h *handlers) resourceType(w http.ResponseWriter, r *http.Request) {
	rt, ok := resourceTypes(h.base(r))[r.PathValue("id")]
	if !ok {
		WriteError(w, r, &resource.Error{Status: http.StatusNotFound, Detail: "no resource type " + r.PathValue("id")})
		return
	}
	writeJSON(w, http.StatusOK, rt)
}

// servedSchemas are the schemas served, in the order listed.
var servedSchemas = []*resource.Schema{&resource.UserSchema, &resource.EnterpriseUserSchema, &resource.GroupSchema}

func (h *handlers) schemas(w http.ResponseWriter, r *http.Request) {
	base := h.base(r)
	items := make([]map[string]any, len(servedSchemas))
	for i, s := range servedSchemas {
		items[i] = resource.SchemaResource(s, base)
	}
	writeJSON(w, http.StatusOK, listResponse(len(items), 1, items))
}

func (h *handlers) schema(w http.ResponseWriter, r *http.Request) {
	for _, s := range servedSchemas {
		if s.ID == r.PathValue("id") {
			writeJSON(w, http.StatusOK, resource.SchemaResource(s, h.base(r)))
			return
		}
	}
	WriteError(w, r, &resource.Error{Status: http.StatusNotFound, Detail: "no schema " + r.PathValue("id")})
}
