package scim

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/emailaddr"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// The schema URNs of the resources served.
const (
	userSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	groupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
)

// notKept are the attributes of a user that are never kept as sent: the
// server's own (id, meta, schemas, groups), the ones Gatehouse models in its
// own fields (externalId, active) and the password, which is never stored
// this way.
var notKept = []string{"schemas", "id", "meta", "groups", "externalId", "active", "password"}

// userResource renders u as a SCIM User: the attributes kept as the client
// sent them, overlaid with what Gatehouse holds now, so that a change made
// through the REST API shows here too.
func userResource(base string, u *iam.User, kept []byte, groups []iam.Group) map[string]any {
	res := map[string]any{}
	if len(kept) > 0 {
		_ = json.Unmarshal(kept, &res)
	}
	schemas := []any{userSchema}
	if _, ok := res[enterpriseSchema]; ok {
		schemas = append(schemas, enterpriseSchema)
	}
	res["schemas"] = schemas
	res["id"] = u.ID
	if u.ExternalID != "" {
		res["externalId"] = u.ExternalID
	}
	// The userName sent is kept while it names the user's email, so that a
	// directory finds what it sent; the email is normalised (lower case,
	// IDNA) and would not.
	if name, _ := res["userName"].(string); !sameEmail(name, u.Email) {
		res["userName"] = u.Email
	}
	if nameOf(res) != u.Name {
		delete(res, "name")
		if u.Name != "" {
			res["name"] = map[string]any{"formatted": u.Name}
		}
		if _, ok := res["displayName"]; ok || u.Name != "" {
			res["displayName"] = u.Name
		}
	}
	res["emails"] = emailsWith(res["emails"], u.Email)
	res["active"] = u.Status == iam.UserActive
	if len(groups) > 0 {
		refs := make([]any, len(groups))
		for i, g := range groups {
			refs[i] = map[string]any{"value": g.ID, "display": g.Name, "$ref": base + "/Groups/" + g.ID, "type": "direct"}
		}
		res["groups"] = refs
	}
	res["meta"] = meta("User", base+"/Users/"+u.ID, u.CreatedAt, u.UpdatedAt, u.Version)
	return res
}

// emailsWith is the emails attribute kept, its primary (or first) address
// set to email; one work address when none was kept.
func emailsWith(kept any, email string) []any {
	list, _ := kept.([]any)
	at := -1
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if at < 0 {
			at = i
		}
		if primary, _ := m["primary"].(bool); primary {
			at = i
			break
		}
	}
	if at < 0 {
		return []any{map[string]any{"value": email, "type": "work", "primary": true}}
	}
	if v, _ := list[at].(map[string]any)["value"].(string); !strings.EqualFold(v, email) {
		list[at].(map[string]any)["value"] = email
	}
	return list
}

// nameOf is the one name Gatehouse keeps of a SCIM user: name.formatted,
// else the given and family names, else displayName.
func nameOf(res map[string]any) string {
	if name, ok := res["name"].(map[string]any); ok {
		if f, _ := name["formatted"].(string); strings.TrimSpace(f) != "" {
			return strings.TrimSpace(f)
		}
		given, _ := name["givenName"].(string)
		family, _ := name["familyName"].(string)
		if n := strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(family)); n != "" {
			return n
		}
	}
	d, _ := res["displayName"].(string)
	return strings.TrimSpace(d)
}

// sameEmail reports whether sent normalises to the stored email.
func sameEmail(sent, email string) bool {
	n, err := emailaddr.Normalize(strings.TrimSpace(sent))
	return err == nil && n == email
}

// provisionedUser reads a whole SCIM User, canonical, as the directory
// keeps it. userName is the user's email address: a userName that is not
// one is refused rather than replaced, so that a directory never looks for
// a user under a name Gatehouse does not keep.
func provisionedUser(res map[string]any) (directory.ProvisionedUser, error) {
	userName, ok := res["userName"].(string)
	if !ok || strings.TrimSpace(userName) == "" {
		return directory.ProvisionedUser{}, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue",
			Detail: "userName is required and must be a string"}
	}
	email := strings.TrimSpace(userName)
	if _, err := emailaddr.Normalize(email); err != nil {
		return directory.ProvisionedUser{}, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue",
			Detail: "userName must be an email address: Gatehouse keeps one account per address"}
	}
	in := directory.ProvisionedUser{Email: email, Name: nameOf(res), Active: true}
	if v, ok := res["externalId"]; ok && v != nil {
		ext, isString := v.(string)
		if !isString {
			return in, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "externalId must be a string"}
		}
		in.ExternalID = ext
	}
	if v, ok := res["active"]; ok && v != nil {
		active, valid := boolValue(v)
		if !valid {
			return in, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "active must be a boolean"}
		}
		in.Active = active
	}
	kept, err := keptAttributes(res, email)
	if err != nil {
		return in, err
	}
	in.Attributes = kept
	return in, nil
}

// keptAttributes is res without what is never kept, as JSON; nil when
// nothing is left. The one work address userResource shows for a user
// without emails of their own is not kept either, so that reading and
// writing back changes nothing.
func keptAttributes(res map[string]any, email string) ([]byte, error) {
	rest := make(map[string]any, len(res))
	for k, v := range res {
		rest[k] = v
	}
	for _, k := range notKept {
		delete(rest, k)
	}
	if emails, _ := rest["emails"].([]any); len(emails) == 1 {
		one, _ := emails[0].(map[string]any)
		value, _ := one["value"].(string)
		if normal, err := emailaddr.Normalize(email); err == nil && len(one) == 3 && one["type"] == "work" && one["primary"] == true &&
			sameEmail(value, normal) {
			delete(rest, "emails")
		}
	}
	if len(rest) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(rest)
	if err != nil {
		return nil, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "the resource cannot be kept"}
	}
	return b, nil
}

// boolValue reads a SCIM boolean: true or false, or the strings "True" and
// "False" in any case, as Microsoft Entra ID sends them.
func boolValue(v any) (bool, bool) {
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		switch strings.ToLower(b) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
