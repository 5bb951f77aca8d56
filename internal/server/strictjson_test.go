package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Go's encoding/json matches keys case-insensitively and with Unicode
// folding ("ſ" for "s"), so a key the API does not document could still set
// a field, and a rule that looked at the raw keys missed it. Every JSON body
// must use the documented keys exactly.

func TestBodiesRefuseKeysInAnotherCase(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	userID := h.createUser(super, "ann@example.com", "Kq-21207-1fec7")
	tests := []struct {
		name, method, path string
		body               string
		field              string
	}{
		{"login with capitalised keys", http.MethodPost, "/api/v1/auth/login",
			`{"Email":"admin@example.com","Password":"` + adminPassword + `"}`, "Email"},
		{"login with a long s", http.MethodPost, "/api/v1/auth/login",
			`{"email":"admin@example.com","paſsword":"` + adminPassword + `"}`, "paſsword"},
		{"rename with Name", http.MethodPatch, "/api/v1/users/" + userID, `{"Name":"Mallory"}`, "Name"},
		{"nested key in a check", http.MethodPost, "/api/v1/authz/check",
			`{"subject":{"Type":"user","id":"` + userID + `"},"permission":"invoices.read"}`, "subject.Type"},
		{"key in a batch item", http.MethodPost, "/api/v1/authz/check-batch",
			`{"checks":[{"subject":{"type":"user","id":"` + userID + `"},"Permission":"invoices.read"}]}`, "checks[0].Permission"},
		{"AuthZEN top-level key", http.MethodPost, "/access/v1/evaluation",
			`{"Subject":{"type":"user","id":"` + userID + `"},"action":{"name":"invoices.read"}}`, "Subject"},
		{"AuthZEN batch item", http.MethodPost, "/access/v1/evaluations",
			`{"subject":{"type":"user","id":"` + userID + `"},"evaluations":[{"action":{"Name":"invoices.read"}}]}`, "evaluations[0].action.Name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := biFor(h, t)
			token := super
			if strings.HasPrefix(tt.path, "/api/v1/auth/") {
				token = ""
			}
			r := h.send(request{method: tt.method, path: tt.path, token: token, body: tt.body})
			biWantError(r, http.StatusBadRequest, "invalid_request", tt.field)
		})
	}
	if name := h.get("/api/v1/users/"+userID, super).want(http.StatusOK).JSON()["name"]; name != "User ann@example.com" {
		t.Fatalf("a refused patch renamed the user to %v", name)
	}

	// The documented keys still work.
	h.patch("/api/v1/users/"+userID, super, map[string]any{"name": "Ann"}).want(http.StatusOK)
	h.post("/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}).want(http.StatusOK)
	h.post("/api/v1/authz/check", super, checkAbout(userID)).want(http.StatusOK)
}

func TestSettingsPatchRefusesKeysInAnotherCase(t *testing.T) {
	h := newHarness(t, nil)
	super := h.admin()
	settingsOnly, _ := limitedAdmin(t, h, super, "settings@example.com", "settings.manage")
	reset := map[string]any{"templates": map[string]any{"password_reset": map[string]any{"subject": "Reset {{.Email}}"}}}
	tests := []struct {
		name  string
		token string
		patch string
		field string
	}{
		{"Mail by a settings admin", settingsOnly, `{"Mail":` + jsonString(reset) + `}`, "Mail"},
		{"Mail by a superadmin", super, `{"Mail":` + jsonString(reset) + `}`, "Mail"},
		{"long s opens signup", settingsOnly, `{"ſignup":{"policy":"open"}}`, "ſignup"},
		{"nested key", settingsOnly, `{"signup":{"Policy":"open"}}`, "signup.Policy"},
		{"key inside a template", super, `{"mail":{"templates":{"password_reset":{"Subject":"Reset"}}}}`, "mail.templates.password_reset.Subject"},
		{"templates capitalised", super, `{"mail":{"Templates":{}}}`, "mail.Templates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := biFor(h, t)
			r := h.send(request{method: http.MethodPatch, path: "/api/v1/settings", token: tt.token, body: tt.patch})
			biWantError(r, http.StatusBadRequest, "invalid_request", tt.field)
		})
	}
	st := h.get("/api/v1/settings", super).want(http.StatusOK).JSON()
	if policy := st["signup"].(map[string]any)["policy"]; policy != "closed" {
		t.Fatalf("a refused patch set the signup policy to %v", policy)
	}
	if templates := st["mail"].(map[string]any)["templates"].(map[string]any); len(templates) != 0 {
		t.Fatalf("a refused patch stored templates %v", templates)
	}

	// The documented keys still work, and mail templates still need every
	// permission, whatever the patch looks like.
	h.patch("/api/v1/settings", settingsOnly, map[string]any{"mail": reset}).wantError(http.StatusForbidden, "forbidden")
	h.patch("/api/v1/settings", settingsOnly, map[string]any{"signup": map[string]any{"policy": "open"}}).want(http.StatusOK)
	h.patch("/api/v1/settings", super, map[string]any{"mail": reset}).want(http.StatusOK)
	// A patch that leaves the templates as they are needs no more than settings.manage.
	h.patch("/api/v1/settings", settingsOnly, map[string]any{"mail": reset, "lockout": map[string]any{"max_attempts": 7}}).want(http.StatusOK)
	h.patch("/api/v1/settings", settingsOnly, map[string]any{"mail": nil}).wantError(http.StatusForbidden, "forbidden")
}

// opaqueObjects are the request fields that accept an object of any
// members, on purpose: the WebAuthn credential is the browser's
// PublicKeyCredential.toJSON(), which each WebAuthn level extends and whose
// unknown members a relying party must ignore; a closed schema would refuse
// the next browser. go-webauthn parses it, and the passkey service answers
// 400 (and audits) when it is no WebAuthn response.
var opaqueObjects = map[string]bool{
	"FinishPasskeyRegistrationInputBody.credential": true,
	"FinishPasskeyLoginInputBody.credential":        true,
	"MfaVerifyInputBody.assertion":                  true,
	"ReauthInputBody.assertion":                     true,
}

// TestEveryBodyRefusesUndocumentedKeys keeps the rule for bodies added later:
// huma refuses a key only where the body's schema forbids additional
// properties, so every object schema with properties must.
func TestEveryBodyRefusesUndocumentedKeys(t *testing.T) {
	h := newHarness(t, nil)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	h.get("/openapi.json", "").want(http.StatusOK).Decode(&doc)
	seen := map[string]bool{}
	var walk func(where string, raw json.RawMessage)
	walk = func(where string, raw json.RawMessage) {
		var s map[string]json.RawMessage
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		if ref, ok := s["$ref"]; ok {
			var name string
			_ = json.Unmarshal(ref, &name)
			name = strings.TrimPrefix(name, "#/components/schemas/")
			if !seen[name] {
				seen[name] = true
				walk(name, doc.Components.Schemas[name])
			}
			return
		}
		if string(s["type"]) == `"object"` && s["properties"] == nil && string(s["additionalProperties"]) == "true" && !opaqueObjects[where] {
			t.Errorf("%s: an object of any members; if that is meant, list it in opaqueObjects", where)
		}
		if props, ok := s["properties"]; ok {
			if string(s["additionalProperties"]) != "false" {
				t.Errorf("%s: an object with properties accepts additional ones", where)
			}
			var m map[string]json.RawMessage
			_ = json.Unmarshal(props, &m)
			for k, v := range m {
				walk(where+"."+k, v)
			}
		}
		for _, k := range []string{"items", "additionalProperties"} {
			if v, ok := s[k]; ok {
				walk(where+"."+k, v)
			}
		}
		for _, k := range []string{"allOf", "anyOf", "oneOf"} {
			var list []json.RawMessage
			_ = json.Unmarshal(s[k], &list)
			for _, v := range list {
				walk(where+"."+k, v)
			}
		}
	}
	bodies := 0
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				RequestBody struct {
					Content map[string]struct {
						Schema json.RawMessage `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			for _, c := range op.RequestBody.Content {
				bodies++
				walk(strings.ToUpper(method)+" "+path, c.Schema)
			}
		}
	}
	if bodies == 0 {
		t.Fatal("the OpenAPI document lists no request bodies")
	}
}
