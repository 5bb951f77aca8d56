package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// concurrentUpdates is how many transactions change one record at once.
const concurrentUpdates = 30

// concurrentKind is a kind of record whose read-modify-write the suite runs
// many times at once. Each change adds a mark to one field: a change lost to a
// concurrent one shows as a missing mark.
type concurrentKind struct {
	name   string
	fields []string
	// setup creates the record and anything the changes refer to; marks are
	// the marks the changes will add.
	setup func(t *testing.T, s iam.Store, marks []string) (tenantID, id string)
	// change reads the record the way a service does before changing it (with
	// its row locked) and writes it back with mark added to field.
	change func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error
	// marks returns what field holds afterwards, one mark per element.
	marks func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error)
}

// concurrencyTests runs, for every kind, concurrentUpdates changes of one
// field, and as many spread over all its fields, on one record.
func concurrencyTests() []test {
	tests := []test{
		{"ForUpdateNotFound", testForUpdateNotFound},
		{"Versions", testVersions},
	}
	for _, k := range concurrentKinds {
		tests = append(tests,
			test{k.name + "SameField", func(t *testing.T, s iam.Store) { hammer(t, s, k, k.fields[:1]) }},
			test{k.name + "DifferentFields", func(t *testing.T, s iam.Store) { hammer(t, s, k, k.fields) }},
		)
	}
	return tests
}

// hammer runs concurrentUpdates changes at once, the i-th adding mark i to
// fields[i % len(fields)], and checks that every mark arrived.
func hammer(t *testing.T, s iam.Store, k concurrentKind, fields []string) {
	ctx := t.Context()
	marks := make([]string, concurrentUpdates)
	for i := range marks {
		marks[i] = fmt.Sprintf("m%02d", i)
	}
	tenantID, id := k.setup(t, s, marks)
	want := map[string][]string{}
	var wg sync.WaitGroup
	errs := make([]error, len(marks))
	for i, mark := range marks {
		field := fields[i%len(fields)]
		want[field] = append(want[field], mark)
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx iam.Tx) error { return k.change(ctx, tx, tenantID, id, field, mark) })
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("change %d: %v", i, err)
		}
	}
	for _, field := range fields {
		got, err := k.marks(ctx, s, tenantID, id, field)
		must(t, err, "read "+field)
		var lost []string
		for _, m := range want[field] {
			if !slices.Contains(got, m) {
				lost = append(lost, m)
			}
		}
		if len(lost) > 0 {
			t.Errorf("%s %s lost %d of %d concurrent changes: %v", k.name, field, len(lost), len(want[field]), lost)
		}
	}
}

// appendMark adds mark to a text field holding marks separated by spaces.
func appendMark(s, mark string) string { return strings.TrimSpace(s + " " + mark) }

// splitMarks returns the marks a text field holds.
func splitMarks(s string) []string { return strings.Fields(s) }

// newTenant creates a tenant for a concurrency case.
func newTenant(t *testing.T, s iam.Store) string { return createTenant(t, s).ID }

var concurrentKinds = []concurrentKind{
	{
		name:   "User",
		fields: []string{"name", "external_id"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := newTenant(t, s)
			return tn, createUser(t, s, tn, "race@example.com", func(u *iam.User) { u.Name = "" }).ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
			u, err := tx.GetUserForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			if field == "name" {
				u.Name = appendMark(u.Name, mark)
			} else {
				u.ExternalID = appendMark(u.ExternalID, mark)
			}
			return tx.UpdateUser(ctx, u)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
			u, err := s.GetUser(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			if field == "name" {
				return splitMarks(u.Name), nil
			}
			return splitMarks(u.ExternalID), nil
		},
	},
	{
		name:   "AdminRole",
		fields: []string{"permissions", "description"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := newTenant(t, s)
			r := &iam.AdminRole{ID: newID(t), TenantID: tn, Name: "racer", Permissions: []string{}, CreatedAt: t0, UpdatedAt: t0}
			must(t, s.CreateAdminRole(t.Context(), r), "CreateAdminRole")
			return tn, r.ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
			r, err := tx.GetAdminRoleForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			if field == "permissions" {
				r.Permissions = append(r.Permissions, mark)
			} else {
				r.Description = appendMark(r.Description, mark)
			}
			return tx.UpdateAdminRole(ctx, r)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
			r, err := s.GetAdminRole(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			if field == "permissions" {
				return r.Permissions, nil
			}
			return splitMarks(r.Description), nil
		},
	},
	{
		// An admin is a user and the admin roles they hold: the roles are
		// replaced as a whole, so adding one is a read-modify-write.
		name:   "Admin",
		fields: []string{"admin_roles", "name"},
		setup: func(t *testing.T, s iam.Store, marks []string) (string, string) {
			tn := newTenant(t, s)
			for _, m := range marks {
				createRole(t, s, tn, m)
			}
			return tn, createUser(t, s, tn, "admin@example.com", func(u *iam.User) { u.Name = "" }).ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
			u, err := tx.GetUserForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			if field == "name" {
				u.Name = appendMark(u.Name, mark)
				return tx.UpdateUser(ctx, u)
			}
			held, err := tx.UserAdminRoles(ctx, tenantID, id)
			if err != nil {
				return err
			}
			r, err := tx.GetAdminRoleByName(ctx, tenantID, mark)
			if err != nil {
				return err
			}
			return tx.SetUserAdminRoles(ctx, tenantID, id, append(ids(held, roleID), r.ID))
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
			if field == "name" {
				u, err := s.GetUser(ctx, tenantID, id)
				if err != nil {
					return nil, err
				}
				return splitMarks(u.Name), nil
			}
			held, err := s.UserAdminRoles(ctx, tenantID, id)
			return ids(held, func(r iam.AdminRole) string { return r.Name }), err
		},
	},
	{
		name:   "Role",
		fields: []string{"permissions", "description"},
		setup: func(t *testing.T, s iam.Store, marks []string) (string, string) {
			tn := newTenant(t, s)
			for _, m := range marks {
				createPermission(t, s, tn, m)
			}
			r := createAccessRole(t, s, tn, "", "racer")
			return tn, r.ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
			r, err := tx.GetRoleForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			if field == "permissions" {
				r.Permissions = append(r.Permissions, mark)
			} else {
				r.Description = appendMark(r.Description, mark)
			}
			return tx.UpdateRole(ctx, r)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
			r, err := s.GetRole(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			if field == "permissions" {
				return r.Permissions, nil
			}
			return splitMarks(r.Description), nil
		},
	},
	{
		// A permission's description is all that changes.
		name:   "Permission",
		fields: []string{"description"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := newTenant(t, s)
			return tn, createPermission(t, s, tn, "racer").ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, _, mark string) error {
			p, err := tx.GetPermissionForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			p.Description = appendMark(p.Description, mark)
			return tx.UpdatePermission(ctx, p)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, _ string) ([]string, error) {
			p, err := s.GetPermission(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			return splitMarks(p.Description), nil
		},
	},
	{
		name:   "Organization",
		fields: []string{"metadata", "name", "external_id"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := newTenant(t, s)
			return tn, createOrg(t, s, tn, "racer", func(o *iam.Organization) { o.Name = "" }).ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
			o, err := tx.GetOrganizationForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			switch field {
			case "metadata":
				if o.Metadata == nil {
					o.Metadata = map[string]any{}
				}
				o.Metadata[mark] = true
			case "name":
				o.Name = appendMark(o.Name, mark)
			default:
				o.ExternalID = appendMark(o.ExternalID, mark)
			}
			return tx.UpdateOrganization(ctx, o)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
			o, err := s.GetOrganization(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			switch field {
			case "metadata":
				var keys []string
				for k := range o.Metadata {
					keys = append(keys, k)
				}
				return keys, nil
			case "name":
				return splitMarks(o.Name), nil
			}
			return splitMarks(o.ExternalID), nil
		},
	},
	{
		name:   "Group",
		fields: []string{"name", "description", "external_id"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := newTenant(t, s)
			return tn, createGroup(t, s, tn, "", func(g *iam.Group) { g.Description = "" }).ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
			g, err := tx.GetGroupForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			switch field {
			case "name":
				g.Name = appendMark(g.Name, mark)
			case "description":
				g.Description = appendMark(g.Description, mark)
			default:
				g.ExternalID = appendMark(g.ExternalID, mark)
			}
			return tx.UpdateGroup(ctx, g)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
			g, err := s.GetGroup(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			switch field {
			case "name":
				return splitMarks(g.Name), nil
			case "description":
				return splitMarks(g.Description), nil
			}
			return splitMarks(g.ExternalID), nil
		},
	},
	{
		name:   "ServiceAccount",
		fields: []string{"name", "description"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := newTenant(t, s)
			return tn, createServiceAccount(t, s, tn, "", func(a *iam.ServiceAccount) { a.Description = "" }).ID
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, id, field, mark string) error {
			a, err := tx.GetServiceAccountForUpdate(ctx, tenantID, id)
			if err != nil {
				return err
			}
			if field == "name" {
				a.Name = appendMark(a.Name, mark)
			} else {
				a.Description = appendMark(a.Description, mark)
			}
			return tx.UpdateServiceAccount(ctx, a)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, id, field string) ([]string, error) {
			a, err := s.GetServiceAccount(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			if field == "name" {
				return splitMarks(a.Name), nil
			}
			return splitMarks(a.Description), nil
		},
	},
	{
		name:   "Tenant",
		fields: []string{"hostnames", "name"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := createTenant(t, s, func(tn *iam.Tenant) { tn.Name = "" })
			return tn.ID, tn.ID
		},
		change: func(ctx context.Context, tx iam.Tx, _, id, field, mark string) error {
			tn, err := tx.GetTenantForUpdate(ctx, id)
			if err != nil {
				return err
			}
			if field == "hostnames" {
				tn.Hostnames = append(tn.Hostnames, mark+"."+id+".example.test")
			} else {
				tn.Name = appendMark(tn.Name, mark)
			}
			return tx.UpdateTenant(ctx, tn)
		},
		marks: func(ctx context.Context, s iam.Store, _, id, field string) ([]string, error) {
			tn, err := s.GetTenant(ctx, id)
			if err != nil {
				return nil, err
			}
			if field == "name" {
				return splitMarks(tn.Name), nil
			}
			var marks []string
			for _, h := range tn.Hostnames {
				marks = append(marks, strings.SplitN(h, ".", 2)[0])
			}
			return marks, nil
		},
	},
	{
		// Settings are one document per tenant, which may not exist yet:
		// changes lock the tenant instead of a row.
		name:   "Settings",
		fields: []string{"signup", "mail"},
		setup: func(t *testing.T, s iam.Store, _ []string) (string, string) {
			tn := newTenant(t, s)
			return tn, tn
		},
		change: func(ctx context.Context, tx iam.Tx, tenantID, _, field, mark string) error {
			if err := tx.LockTenant(ctx, tenantID); err != nil {
				return err
			}
			doc, err := settingsDoc(ctx, tx, tenantID)
			if err != nil {
				return err
			}
			doc[field] = append(doc[field], mark)
			b, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			return tx.PutSettings(ctx, tenantID, b, t0)
		},
		marks: func(ctx context.Context, s iam.Store, tenantID, _, field string) ([]string, error) {
			doc, err := settingsDoc(ctx, s, tenantID)
			return doc[field], err
		},
	},
}

// settingsDoc reads a tenant's settings document as lists of marks.
func settingsDoc(ctx context.Context, s iam.SettingsStore, tenantID string) (map[string][]string, error) {
	doc := map[string][]string{}
	b, _, err := s.GetSettings(ctx, tenantID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return doc, nil
	}
	if err != nil {
		return nil, err
	}
	return doc, json.Unmarshal(b, &doc)
}

// testForUpdateNotFound checks that the locking reads answer CodeNotFound for
// records that do not exist or belong to another tenant.
func testForUpdateNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, other.ID, "u@example.com")
	r := createRole(t, s, other.ID, "r")
	p := createPermission(t, s, other.ID, "p")
	ar := createAccessRole(t, s, other.ID, "", "ar")
	o := createOrg(t, s, other.ID, "o")
	g := createGroup(t, s, other.ID, "g")
	err := s.InTx(ctx, func(tx iam.Tx) error {
		_, err := tx.GetUserForUpdate(ctx, tn.ID, u.ID)
		wantCode(t, err, iam.CodeNotFound, "GetUserForUpdate of another tenant's user")
		_, err = tx.GetAdminRoleForUpdate(ctx, tn.ID, r.ID)
		wantCode(t, err, iam.CodeNotFound, "GetAdminRoleForUpdate of another tenant's role")
		_, err = tx.GetPermissionForUpdate(ctx, tn.ID, p.ID)
		wantCode(t, err, iam.CodeNotFound, "GetPermissionForUpdate of another tenant's permission")
		_, err = tx.GetRoleForUpdate(ctx, tn.ID, ar.ID)
		wantCode(t, err, iam.CodeNotFound, "GetRoleForUpdate of another tenant's role")
		_, err = tx.GetOrganizationForUpdate(ctx, tn.ID, o.ID)
		wantCode(t, err, iam.CodeNotFound, "GetOrganizationForUpdate of another tenant's organization")
		_, err = tx.GetGroupForUpdate(ctx, tn.ID, g.ID)
		wantCode(t, err, iam.CodeNotFound, "GetGroupForUpdate of another tenant's group")
		_, err = tx.GetTenantForUpdate(ctx, newID(t))
		wantCode(t, err, iam.CodeNotFound, "GetTenantForUpdate of an unknown tenant")
		return nil
	})
	must(t, err, "InTx")
}

// testVersions checks the versions the REST API shows as ETags: 1 on
// creation, one more with each update.
func testVersions(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "v@example.com")
	r := createRole(t, s, tn.ID, "v")
	if u.Version != 1 || r.Version != 1 || tn.Version != 1 {
		t.Errorf("versions after create: user %d, admin role %d, tenant %d; want 1", u.Version, r.Version, tn.Version)
	}
	must(t, s.UpdateUser(ctx, u), "UpdateUser")
	must(t, s.SetUserAdminRoles(ctx, tn.ID, u.ID, []string{r.ID}), "SetUserAdminRoles")
	got, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, err, "GetUser")
	if u.Version != 2 || got.Version != 3 {
		t.Errorf("user version after UpdateUser = %d, after SetUserAdminRoles = %d; want 2 and 3", u.Version, got.Version)
	}
	// An admin is the user with its roles: changing or deleting a role it
	// holds moves its version; a user not holding the role keeps its own.
	other := createUser(t, s, tn.ID, "other@example.com")
	must(t, s.UpdateAdminRole(ctx, r), "UpdateAdminRole")
	must(t, s.DeleteAdminRole(ctx, tn.ID, r.ID), "DeleteAdminRole")
	got, err = s.GetUser(ctx, tn.ID, u.ID)
	must(t, err, "GetUser")
	gotOther, err := s.GetUser(ctx, tn.ID, other.ID)
	must(t, err, "GetUser")
	if got.Version != 5 || gotOther.Version != 1 {
		t.Errorf("versions after the role's update and deletion: holder %d, other user %d; want 5 and 1", got.Version, gotOther.Version)
	}
	must(t, s.UpdateTenant(ctx, tn), "UpdateTenant")
	gotTenant, err := s.GetTenant(ctx, tn.ID)
	must(t, err, "GetTenant")
	if tn.Version != 2 || gotTenant.Version != 2 {
		t.Errorf("tenant version after update = %d, read back %d; want 2", tn.Version, gotTenant.Version)
	}
	for i, doc := range []string{`{"a":1}`, `{"a":2}`} {
		must(t, s.PutSettings(ctx, tn.ID, []byte(doc), t0), "PutSettings")
		_, v, err := s.GetSettings(ctx, tn.ID)
		must(t, err, "GetSettings")
		if v != int64(i+1) {
			t.Errorf("settings version after put %d = %d, want %d", i+1, v, i+1)
		}
	}
}
