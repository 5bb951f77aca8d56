package server_test

import (
	"net/http"
	"strings"
	"testing"
)

const samlMetadata = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`

// TestFederatedProviders: an admin adds, reads, changes and removes the
// tenant's identity providers; secrets are kept and never shown; each
// answer says what to register with the provider.
func TestFederatedProviders(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	const base = "/api/v1/federated/providers"

	google := h.post(base, admin, map[string]any{"name": "Google", "preset": "google", "client_id": "g-client",
		"client_secret": "g-secret-value", "domains": []string{"Example.COM"}, "jit_provisioning": true}).want(http.StatusCreated)
	g := google.JSON()
	gid := g["id"].(string)
	if g["kind"] != "oidc" || g["issuer"] != "https://accounts.google.com" || g["client_secret_set"] != true ||
		g["link_policy"] != "verified_email" || g["enabled"] != true || !strings.HasSuffix(g["redirect_uri"].(string), "/api/v1/auth/federated/"+gid+"/callback") ||
		g["domains"].([]any)[0] != "example.com" || google.Header.Get("ETag") == "" {
		t.Fatalf("google: %v", g)
	}
	if strings.Contains(string(google.Body), "g-secret-value") {
		t.Fatal("the answer shows the client secret")
	}

	saml := h.post(base, admin, map[string]any{"name": "Corporate SAML", "kind": "saml", "metadata_xml": samlMetadata,
		"name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"}).want(http.StatusCreated).JSON()
	sid := saml["id"].(string)
	if !strings.HasSuffix(saml["sp_metadata_url"].(string), "/saml/"+sid+"/metadata") || !strings.HasSuffix(saml["acs_url"].(string), "/saml/"+sid+"/acs") ||
		saml["redirect_uri"] != nil || saml["client_secret_set"] != false {
		t.Fatalf("saml: %v", saml)
	}
	github := h.post(base, admin, map[string]any{"name": "GitHub", "preset": "github", "client_id": "gh", "client_secret": "gh-secret"}).
		want(http.StatusCreated).JSON()
	if github["kind"] != "oauth2" || github["token_url"] != "https://github.com/login/oauth/access_token" {
		t.Fatalf("github: %v", github)
	}
	entra := h.post(base, admin, map[string]any{"name": "Entra", "preset": "microsoft", "microsoft_tenant": "common",
		"client_id": "e", "client_secret": "e-secret"}).want(http.StatusCreated).JSON()
	if entra["issuer"] != "https://login.microsoftonline.com/common/v2.0" {
		t.Fatalf("entra: %v", entra)
	}

	acme := h.createOrg(admin, map[string]any{"name": "Acme", "alias": "acme"})["id"].(string)
	orgIdP := h.post(base, admin, map[string]any{"name": "Acme Okta", "kind": "oidc", "issuer": "https://acme.okta.example",
		"client_id": "a", "client_secret": "a-secret", "organization_id": acme, "domains": []string{"acme.example"}}).want(http.StatusCreated).JSON()
	if orgIdP["organization_id"] != acme {
		t.Fatalf("an organization's provider: %v", orgIdP)
	}
	h.delete(base+"/"+orgIdP["id"].(string), admin).want(http.StatusNoContent)

	var page struct {
		Data  []map[string]any `json:"data"`
		Total int              `json:"total"`
	}
	h.get(base, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 4 || page.Data[0]["name"] != "Corporate SAML" || page.Data[1]["name"] != "Entra" {
		t.Fatalf("list: %d %v", page.Total, page.Data)
	}

	// A change keeps the secret unless it names one, and follows If-Match.
	changed := h.send(request{method: http.MethodPatch, path: base + "/" + gid, token: admin, body: map[string]any{"enabled": false},
		header: map[string]string{"If-Match": google.Header.Get("ETag")}}).want(http.StatusOK).JSON()
	if changed["enabled"] != false || changed["client_secret_set"] != true || changed["client_id"] != "g-client" {
		t.Fatalf("after the change: %v", changed)
	}
	h.send(request{method: http.MethodPatch, path: base + "/" + gid, token: admin, body: map[string]any{"enabled": true},
		header: map[string]string{"If-Match": google.Header.Get("ETag")}}).wantError(http.StatusPreconditionFailed, "precondition_failed")

	h.delete(base+"/"+sid, admin).want(http.StatusNoContent)
	h.get(base+"/"+sid, admin).wantError(http.StatusNotFound, "not_found")
	h.get(base+"/not-a-uuid", admin).wantError(http.StatusNotFound, "not_found")

	var actions []string
	for _, e := range h.auditEvents(admin, "target_id="+gid) {
		actions = append(actions, e["action"].(string))
	}
	if strings.Join(actions, ",") != "federated_provider.updated,federated_provider.created" {
		t.Errorf("audit of google: %v", actions)
	}
}

// TestFederatedProviderRefusals: each bad description is refused naming
// its field, and nothing is stored.
func TestFederatedProviderRefusals(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	const base = "/api/v1/federated/providers"
	h.post(base, admin, map[string]any{"name": "Okta", "kind": "oidc", "issuer": "https://okta.example.com", "client_id": "c",
		"client_secret": "s", "domains": []string{"acme.com"}}).want(http.StatusCreated)
	for name, tc := range map[string]struct {
		body  map[string]any
		field string
	}{
		"no name":                {map[string]any{"kind": "oidc", "issuer": "https://i.example.com", "client_id": "c", "client_secret": "s"}, "name"},
		"unknown kind":           {map[string]any{"name": "X", "kind": "ldap"}, "kind"},
		"http issuer":            {map[string]any{"name": "X", "kind": "oidc", "issuer": "http://idp.example.com", "client_id": "c", "client_secret": "s"}, "issuer"},
		"no secret":              {map[string]any{"name": "X", "kind": "oidc", "issuer": "https://i.example.com", "client_id": "c"}, "client_secret"},
		"no openid":              {map[string]any{"name": "X", "kind": "oidc", "issuer": "https://i.example.com", "client_id": "c", "client_secret": "s", "scopes": []string{"email"}}, "scopes"},
		"taken domain":           {map[string]any{"name": "X", "kind": "oidc", "issuer": "https://i.example.com", "client_id": "c", "client_secret": "s", "domains": []string{"ACME.com"}}, "domains"},
		"bad domain":             {map[string]any{"name": "X", "kind": "oidc", "issuer": "https://i.example.com", "client_id": "c", "client_secret": "s", "domains": []string{"not a domain"}}, "domains"},
		"saml without metadata":  {map[string]any{"name": "X", "kind": "saml"}, "metadata_url"},
		"saml with other xml":    {map[string]any{"name": "X", "kind": "saml", "metadata_xml": "<html/>"}, "metadata_xml"},
		"saml with a client":     {map[string]any{"name": "X", "kind": "saml", "metadata_url": "https://idp.example.com/md", "client_id": "c"}, "kind"},
		"unknown preset":         {map[string]any{"name": "X", "preset": "myspace", "client_id": "c", "client_secret": "s"}, "preset"},
		"bad microsoft tenant":   {map[string]any{"name": "X", "preset": "microsoft", "microsoft_tenant": "../evil", "client_id": "c", "client_secret": "s"}, "microsoft_tenant"},
		"bad link policy":        {map[string]any{"name": "X", "preset": "google", "client_id": "c", "client_secret": "s", "link_policy": "any_email"}, "link_policy"},
		"unknown claim target":   {map[string]any{"name": "X", "preset": "google", "client_id": "c", "client_secret": "s", "claim_mapping": map[string]string{"role": "r"}}, "claim_mapping"},
		"unknown organization":   {map[string]any{"name": "X", "preset": "google", "client_id": "c", "client_secret": "s", "organization_id": "00000000-0000-7000-8000-000000000000"}, "organization_id"},
		"oauth2 without urls":    {map[string]any{"name": "X", "kind": "oauth2", "client_id": "c", "client_secret": "s"}, "token_url"},
		"credentials in the url": {map[string]any{"name": "X", "kind": "oidc", "issuer": "https://u:p@i.example.com", "client_id": "c", "client_secret": "s"}, "issuer"},
	} {
		m := h.post(base, admin, tc.body).wantError(http.StatusBadRequest, "invalid_request")
		if fields, _ := m["details"].(map[string]any)["fields"].(map[string]any); fields[tc.field] == nil {
			t.Errorf("%s: %v; want %s named", name, m["details"], tc.field)
		}
	}
	h.post(base, admin, map[string]any{"name": "OKTA", "preset": "google", "client_id": "c", "client_secret": "s"}).
		wantError(http.StatusConflict, "name_taken")
	var page struct {
		Total int `json:"total"`
	}
	h.get(base, admin).want(http.StatusOK).Decode(&page)
	if page.Total != 1 {
		t.Errorf("%d providers after the refusals; want 1", page.Total)
	}
}
