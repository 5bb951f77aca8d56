package storetest

import (
	"cmp"
	"context"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var applicationTests = []test{
	{"Resource", testApplicationResource},
	{"CreateGet", testApplicationCreateGet},
	{"NotFound", testApplicationNotFound},
	{"NameTaken", testApplicationNameTaken},
	{"ClientIDTaken", testApplicationClientIDTaken},
	{"List", testApplicationList},
	{"Update", testApplicationUpdate},
	{"Delete", testApplicationDelete},
	{"ConcurrentSameField", func(t *testing.T, s iam.Store) {
		hammer(t, s, applicationConcurrency, applicationConcurrency.fields[:1])
	}},
	{"ConcurrentDifferentFields", func(t *testing.T, s iam.Store) { hammer(t, s, applicationConcurrency, applicationConcurrency.fields) }},
}

// createApplication inserts a web application named name, changed by mods.
func createApplication(t *testing.T, s iam.Tx, tenantID, name string, mods ...func(*iam.Application)) *iam.Application {
	t.Helper()
	a := &iam.Application{ID: newID(t), TenantID: tenantID, Name: name, Type: iam.AppWeb, ClientID: "app_" + newID(t),
		SecretHash: "hash-" + newID(t), RedirectURIs: []string{"https://app.example.com/cb"}, PostLogoutRedirectURIs: []string{},
		GrantTypes: []string{"authorization_code", "refresh_token"}, TokenEndpointAuthMethod: iam.AuthClientSecretBasic,
		AllowedScopes: []string{"openid", "profile"}, AccessTokenFormat: "jwt", AccessTokenTTL: 15 * time.Minute,
		RefreshTokenTTL: 720 * time.Hour, IDTokenSignedResponseAlg: "RS256", CreatedAt: t0, UpdatedAt: t0}
	for _, m := range mods {
		m(a)
	}
	must(t, s.CreateApplication(t.Context(), a), "CreateApplication "+name)
	return a
}

func applicationID(a iam.Application) string { return a.ID }

func testApplicationCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	for _, want := range []*iam.Application{
		{ID: newID(t), TenantID: tn.ID, Name: "Portal", Type: iam.AppWeb, ClientID: "app_1", SecretHash: "h1",
			RedirectURIs: []string{"https://portal.example.com/cb", "https://portal.example.com/cb/"}, PostLogoutRedirectURIs: []string{"https://portal.example.com/"},
			GrantTypes: []string{"authorization_code", "refresh_token"}, TokenEndpointAuthMethod: iam.AuthClientSecretPost,
			AllowedScopes: []string{"openid", "invoices:read"}, AccessTokenFormat: "opaque", AccessTokenTTL: 5 * time.Minute,
			RefreshTokenTTL: 24 * time.Hour, IDTokenSignedResponseAlg: "ES256", RequireConsent: true,
			CreatedAt: t0, UpdatedAt: at(time.Second + 999*time.Nanosecond)},
		{ID: newID(t), TenantID: tn.ID, Name: "Éditeur mobile", Type: iam.AppNative, ClientID: "app_2",
			RedirectURIs: []string{"com.example.app:/cb", "http://127.0.0.1/cb"}, PostLogoutRedirectURIs: []string{}, GrantTypes: []string{"authorization_code"},
			TokenEndpointAuthMethod: iam.AuthNone, AllowedScopes: []string{}, AccessTokenFormat: "jwt", AccessTokenTTL: time.Hour,
			RefreshTokenTTL: time.Hour, IDTokenSignedResponseAlg: "RS256", RequirePKCE: true, CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
		{ID: newID(t), TenantID: tn.ID, Name: "robot", Type: iam.AppMachine, ClientID: "app_3", RedirectURIs: []string{},
			PostLogoutRedirectURIs: []string{}, GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: iam.AuthPrivateKeyJWT,
			JWKS: `{"keys":[]}`, AllowedScopes: []string{"reports"}, AccessTokenFormat: "jwt", AccessTokenTTL: time.Minute,
			IDTokenSignedResponseAlg: "RS256", CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)},
	} {
		must(t, s.CreateApplication(ctx, want), "CreateApplication "+want.Name)
		if want.Version != 1 {
			t.Errorf("Version after create = %d, want 1", want.Version)
		}
		got, err := s.GetApplication(ctx, tn.ID, want.ID)
		must(t, err, "GetApplication "+want.Name)
		check(t, "GetApplication "+want.Name, got, want)
		got, err = s.GetApplicationByClientID(ctx, tn.ID, want.ClientID)
		must(t, err, "GetApplicationByClientID "+want.Name)
		check(t, "GetApplicationByClientID "+want.Name, got, want)
		err = s.InTx(ctx, func(tx iam.Tx) error {
			got, err := tx.GetApplicationForUpdate(ctx, tn.ID, want.ID)
			if err == nil {
				check(t, "GetApplicationForUpdate "+want.Name, got, want)
			}
			return err
		})
		must(t, err, "GetApplicationForUpdate")
	}
}

func testApplicationNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetApplication": func() error { _, err := s.GetApplication(ctx, tn.ID, unknown); return err },
		"GetApplicationByClientID": func() error {
			_, err := s.GetApplicationByClientID(ctx, tn.ID, "app_unknown")
			return err
		},
		"UpdateApplication": func() error {
			upd := *a
			upd.ID = unknown
			return s.UpdateApplication(ctx, &upd)
		},
		"DeleteApplication":                  func() error { return s.DeleteApplication(ctx, tn.ID, unknown) },
		"GetApplication from another tenant": func() error { _, err := s.GetApplication(ctx, other.ID, a.ID); return err },
		"GetApplicationByClientID from another tenant": func() error {
			_, err := s.GetApplicationByClientID(ctx, other.ID, a.ClientID)
			return err
		},
		"GetApplicationForUpdate from another tenant": func() error {
			return s.InTx(ctx, func(tx iam.Tx) error { _, err := tx.GetApplicationForUpdate(ctx, other.ID, a.ID); return err })
		},
		"UpdateApplication from another tenant": func() error {
			upd := *a
			upd.TenantID, upd.Name, upd.UpdatedAt = other.ID, "Hijacked", at(time.Hour)
			return s.UpdateApplication(ctx, &upd)
		},
		"DeleteApplication from another tenant": func() error { return s.DeleteApplication(ctx, other.ID, a.ID) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	got, err := s.GetApplication(ctx, tn.ID, a.ID)
	must(t, err, "GetApplication")
	check(t, "application after foreign update and delete", got, a)
	if _, n, err := s.ListApplications(ctx, other.ID, iam.ApplicationQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListApplications of the other tenant: total %d, %v; want 0", n, err)
	}
}

func testApplicationNameTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createApplication(t, s, a.ID, "Portal")
	dup := *first
	dup.ID, dup.ClientID = newID(t), "app_dup"
	wantCode(t, s.CreateApplication(ctx, &dup), iam.CodeNameTaken, "CreateApplication with a taken name")
	_, err := s.GetApplication(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetApplication of the rejected application")

	createApplication(t, s, b.ID, first.Name)

	other := createApplication(t, s, a.ID, "other")
	upd := *other
	upd.Name, upd.UpdatedAt = first.Name, at(time.Hour)
	wantCode(t, s.UpdateApplication(ctx, &upd), iam.CodeNameTaken, "UpdateApplication to a taken name")
	got, err := s.GetApplication(ctx, a.ID, other.ID)
	must(t, err, "GetApplication")
	check(t, "application after the rejected update", got, other)
}

func testApplicationClientIDTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createApplication(t, s, a.ID, "portal")
	// Client ids are unique across tenants: a token endpoint may look one
	// up before anything else.
	for _, tn := range []*iam.Tenant{a, b} {
		dup := *first
		dup.ID, dup.TenantID, dup.Name = newID(t), tn.ID, "dup"
		wantCode(t, s.CreateApplication(ctx, &dup), iam.CodeConflict, "CreateApplication with a taken client id")
		_, err := s.GetApplication(ctx, tn.ID, dup.ID)
		wantCode(t, err, iam.CodeNotFound, "GetApplication of the rejected application")
	}
}

func testApplicationList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	names := []string{"sync", "Backup_job", "deploy 100%", "Build", "Éclair"}
	byName := map[string]*iam.Application{}
	for i, n := range names {
		byName[n] = createApplication(t, s, tn.ID, n, func(a *iam.Application) {
			a.CreatedAt, a.UpdatedAt = at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
			if i%2 == 1 {
				a.Type, a.TokenEndpointAuthMethod, a.SecretHash = iam.AppSPA, iam.AuthNone, ""
			}
		})
	}
	createApplication(t, s, other.ID, "sync")
	createApplication(t, s, other.ID, "elsewhere")
	idsOf := func(ns ...string) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, byName[n].ID)
		}
		return out
	}
	page := func(p iam.ListParams) iam.ApplicationQuery { return iam.ApplicationQuery{ListParams: p} }
	for _, tc := range []struct {
		name  string
		q     iam.ApplicationQuery
		want  []string
		total int
	}{
		{"default: created asc", page(iam.ListParams{}), idsOf("sync", "Backup_job", "deploy 100%", "Build", "Éclair"), 5},
		{"created desc", page(iam.ListParams{OrderBy: "created_at", Desc: true}), idsOf("Éclair", "Build", "deploy 100%", "Backup_job", "sync"), 5},
		{"name asc, any case", page(iam.ListParams{OrderBy: "name"}), idsOf("Backup_job", "Build", "deploy 100%", "sync", "Éclair"), 5},
		{"name desc", page(iam.ListParams{OrderBy: "name", Desc: true}), idsOf("Éclair", "sync", "deploy 100%", "Build", "Backup_job"), 5},
		{"search any case", page(iam.ListParams{OrderBy: "name", Search: "B"}), idsOf("Backup_job", "Build"), 2},
		{"search non-ASCII any case", page(iam.ListParams{Search: "ÉCLAIR"}), idsOf("Éclair"), 1},
		{"search percent literally", page(iam.ListParams{Search: "%"}), idsOf("deploy 100%"), 1},
		{"search underscore literally", page(iam.ListParams{Search: "_"}), idsOf("Backup_job"), 1},
		{"search another tenant's name", page(iam.ListParams{Search: "elsewhere"}), idsOf(), 0},
		{"by type", iam.ApplicationQuery{Type: iam.AppSPA}, idsOf("Backup_job", "Build"), 2},
		{"by type, searched", iam.ApplicationQuery{Type: iam.AppSPA, ListParams: iam.ListParams{Search: "bui"}}, idsOf("Build"), 1},
		{"first page", page(iam.ListParams{OrderBy: "name", Limit: 2}), idsOf("Backup_job", "Build"), 5},
		{"last page", page(iam.ListParams{OrderBy: "name", Limit: 2, Page: 3}), idsOf("Éclair"), 5},
		{"past the end", page(iam.ListParams{OrderBy: "name", Limit: 2, Page: 4}), idsOf(), 5},
	} {
		tc.q.Page, tc.q.Limit = max(tc.q.Page, 1), cmp.Or(tc.q.Limit, 10)
		got, total, err := s.ListApplications(ctx, tn.ID, tc.q)
		if !listed(t, tc.name+": ListApplications", got, total, err, applicationID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			check(t, tc.name+": listed application", &got[i], byName[got[i].Name])
		}
	}
	_, _, err := s.ListApplications(ctx, tn.ID, iam.ApplicationQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "client_id"}})
	wantCode(t, err, iam.CodeInvalid, "ListApplications by an unknown order")
}

func testApplicationUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	upd := *a
	upd.Name, upd.SecretHash, upd.RedirectURIs, upd.PostLogoutRedirectURIs = "Portal Two", "", []string{"https://two.example.com/cb"}, []string{"https://two.example.com/"}
	upd.GrantTypes, upd.TokenEndpointAuthMethod, upd.JWKSURI = []string{"authorization_code"}, iam.AuthPrivateKeyJWT, "https://two.example.com/jwks"
	upd.AllowedScopes, upd.AccessTokenFormat, upd.AccessTokenTTL, upd.RefreshTokenTTL = []string{"openid"}, "opaque", time.Minute, time.Hour
	upd.IDTokenSignedResponseAlg, upd.RequireConsent, upd.RequirePKCE, upd.UpdatedAt = "ES256", true, true, at(time.Hour)
	// The type, the client id and the creation time are fixed.
	upd.Type, upd.ClientID, upd.CreatedAt = iam.AppSPA, "app_changed", at(2*time.Hour)
	must(t, s.UpdateApplication(ctx, &upd), "UpdateApplication")
	if upd.Version != 2 {
		t.Errorf("Version after update = %d, want 2", upd.Version)
	}
	want := upd
	want.Type, want.ClientID, want.CreatedAt = a.Type, a.ClientID, a.CreatedAt
	got, err := s.GetApplication(ctx, tn.ID, a.ID)
	must(t, err, "GetApplication")
	check(t, "application after update", got, &want)
	list, _, err := s.ListApplications(ctx, tn.ID, iam.ApplicationQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, Search: "portal two"}})
	if !listed(t, "ListApplications by the new name", list, len(list), err, applicationID, []string{a.ID}, 1) {
		return
	}
	check(t, "listed after update", &list[0], &want)
}

func testApplicationDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createApplication(t, s, tn.ID, "portal")
	keep := createApplication(t, s, tn.ID, "keep")
	u := createUser(t, s, tn.ID, "ann@example.com")
	r := createApplicationRole(t, s, a, "editor")
	m := createAppRoleMapping(t, s, r, func(m *iam.AppRoleMapping) { m.UserID = u.ID })
	kept := createApplicationRole(t, s, keep, "editor")
	createAppRoleMapping(t, s, kept, func(m *iam.AppRoleMapping) { m.UserID = u.ID })

	must(t, s.DeleteApplication(ctx, tn.ID, a.ID), "DeleteApplication")
	_, err := s.GetApplication(ctx, tn.ID, a.ID)
	wantCode(t, err, iam.CodeNotFound, "GetApplication after delete")
	wantCode(t, s.DeleteApplication(ctx, tn.ID, a.ID), iam.CodeNotFound, "DeleteApplication again")
	_, err = s.GetAppRoleMapping(ctx, tn.ID, m.ID)
	wantCode(t, err, iam.CodeNotFound, "GetAppRoleMapping of the deleted application's mapping")
	_, err = s.ApplicationRoleByName(ctx, tn.ID, a.ID, "editor")
	wantCode(t, err, iam.CodeNotFound, "ApplicationRoleByName of the deleted application")
	// Its name and client id are free again.
	createApplication(t, s, tn.ID, a.Name, func(n *iam.Application) { n.ClientID = a.ClientID })
	got, err := s.GetApplication(ctx, tn.ID, keep.ID)
	must(t, err, "GetApplication of the other application")
	check(t, "other application after delete", got, keep)
	roles, err := s.ApplicationRolesFor(ctx, tn.ID, keep.ID, u.ID)
	must(t, err, "ApplicationRolesFor the other application")
	check(t, "the other application's roles", roles, []string{"editor"})
}

// applicationConcurrency is the Application kind of the concurrency cases:
// each change appends a mark to one of its lists.
var applicationConcurrency = concurrentKind{
	name:   "Application",
	fields: []string{"redirect_uris", "allowed_scopes", "post_logout_redirect_uris"},
	setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
		tn := newTenant(t, s)
		return tn, createApplication(t, s, tn, "racer", func(a *iam.Application) {
			a.RedirectURIs, a.AllowedScopes = []string{}, []string{}
		}).ID
	},
	change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
		a, err := tx.GetApplicationForUpdate(ctx, tenantID, id)
		if err != nil {
			return err
		}
		switch field {
		case "redirect_uris":
			a.RedirectURIs = append(a.RedirectURIs, mark)
		case "allowed_scopes":
			a.AllowedScopes = append(a.AllowedScopes, mark)
		default:
			a.PostLogoutRedirectURIs = append(a.PostLogoutRedirectURIs, mark)
		}
		return tx.UpdateApplication(ctx, a)
	},
	marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
		a, err := s.GetApplication(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		switch field {
		case "redirect_uris":
			return a.RedirectURIs, nil
		case "allowed_scopes":
			return a.AllowedScopes, nil
		}
		return a.PostLogoutRedirectURIs, nil
	},
}

// testApplicationResource: an application is found by its resource URI in
// its tenant only; a URI is one application's per tenant; it changes and
// clears with the application.
func testApplicationResource(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	const uri = "https://api.example.com/mcp"
	api := createApplication(t, s, tn.ID, "api", func(a *iam.Application) { a.ResourceURI, a.APIAccess = uri, true })
	createApplication(t, s, other.ID, "api", func(a *iam.Application) { a.ResourceURI = uri })
	plain := createApplication(t, s, tn.ID, "plain")
	got, err := s.GetApplicationByResource(ctx, tn.ID, uri)
	must(t, err, "GetApplicationByResource")
	check(t, "GetApplicationByResource", got, api)
	_, err = s.GetApplicationByResource(ctx, tn.ID, uri+"/")
	wantCode(t, err, iam.CodeNotFound, "GetApplicationByResource of another URI")
	_, err = s.GetApplicationByResource(ctx, tn.ID, "")
	wantCode(t, err, iam.CodeNotFound, "GetApplicationByResource of the empty URI")

	taken := *plain
	taken.ResourceURI = uri
	wantCode(t, s.UpdateApplication(ctx, &taken), iam.CodeConflict, "UpdateApplication to a taken resource URI")
	err = s.CreateApplication(ctx, &iam.Application{ID: newID(t), TenantID: tn.ID, Name: "copy", Type: iam.AppMachine, ClientID: "app_" + newID(t),
		GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: iam.AuthClientSecretBasic, AccessTokenFormat: "jwt",
		IDTokenSignedResponseAlg: "RS256", ResourceURI: uri, CreatedAt: t0, UpdatedAt: t0})
	wantCode(t, err, iam.CodeConflict, "CreateApplication with a taken resource URI")

	api.ResourceURI, api.APIAccess = "", false
	must(t, s.UpdateApplication(ctx, api), "UpdateApplication clearing the URI")
	got, err = s.GetApplication(ctx, tn.ID, api.ID)
	must(t, err, "GetApplication after clearing")
	check(t, "after clearing", got, api)
	_, err = s.GetApplicationByResource(ctx, tn.ID, uri)
	wantCode(t, err, iam.CodeNotFound, "GetApplicationByResource after clearing")
	plain.ResourceURI = uri
	must(t, s.UpdateApplication(ctx, plain), "UpdateApplication to the freed URI")
	got, err = s.GetApplicationByResource(ctx, tn.ID, uri)
	must(t, err, "GetApplicationByResource after the move")
	if got.ID != plain.ID {
		t.Errorf("the URI names %s, want %s", got.ID, plain.ID)
	}
}
