package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// t0 is the suite's fixed clock. It carries nanoseconds and a zone other than
// UTC so that every round trip checks that stores keep UTC at microsecond
// precision, as PostgreSQL does.
var t0 = time.Date(2025, 3, 14, 10, 26, 53, 589793238, time.FixedZone("CET", 3600))

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func newID(t *testing.T) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatalf("uuid: %v", err)
	}
	return id.String()
}

// must stops the test when a step that sets up the case fails.
func must(t *testing.T, err error, step string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code iam.Code, step string) {
	t.Helper()
	if !iam.IsCode(err, code) {
		t.Errorf("%s: error %v (code %q), want code %q", step, err, iam.ErrorCode(err), code)
	}
}

// check reports every field where got differs from want. Times must be the
// instant of want truncated to microseconds and in UTC; nil and empty slices
// and maps are equal, since the contract does not tell them apart.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	var diffs []string
	diffValue(&diffs, "", reflect.ValueOf(got), reflect.ValueOf(want))
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func diffValue(out *[]string, path string, g, w reflect.Value) {
	if g.Type() == timeType {
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time).Truncate(time.Microsecond)
		if !gt.Equal(wt) || gt.Location() != time.UTC {
			*out = append(*out, fmt.Sprintf("%s = %v, want %v", path, gt, wt.UTC()))
		}
		return
	}
	switch g.Kind() {
	case reflect.Pointer:
		if g.IsNil() || w.IsNil() {
			if g.IsNil() != w.IsNil() {
				*out = append(*out, fmt.Sprintf("%s = %s, want %s", path, show(g), show(w)))
			}
			return
		}
		diffValue(out, path, g.Elem(), w.Elem())
	case reflect.Struct:
		for i := range g.NumField() {
			diffValue(out, strings.TrimPrefix(path+"."+g.Type().Field(i).Name, "."), g.Field(i), w.Field(i))
		}
	case reflect.Slice:
		if g.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(g.Bytes(), w.Bytes()) {
				*out = append(*out, fmt.Sprintf("%s = %x, want %x", path, g.Bytes(), w.Bytes()))
			}
			return
		}
		if g.Len() != w.Len() {
			*out = append(*out, fmt.Sprintf("%s = %v, want %v", path, show(g), show(w)))
			return
		}
		for i := range g.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i))
		}
	case reflect.Map:
		if (g.Len() != 0 || w.Len() != 0) && !reflect.DeepEqual(g.Interface(), w.Interface()) {
			*out = append(*out, fmt.Sprintf("%s = %#v, want %#v", path, g.Interface(), w.Interface()))
		}
	default:
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			*out = append(*out, fmt.Sprintf("%s = %#v, want %#v", path, g.Interface(), w.Interface()))
		}
	}
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		return fmt.Sprintf("&%v", v.Elem().Interface())
	}
	return fmt.Sprintf("%v", v.Interface())
}

// ids lists the ids of items in order.
func ids[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func userID(u iam.User) string        { return u.ID }
func tenantID(tn iam.Tenant) string   { return tn.ID }
func roleID(r iam.AdminRole) string   { return r.ID }
func adminID(a iam.Admin) string      { return a.User.ID }
func auditID(e iam.AuditEvent) string { return e.ID }
func keyID(k iam.SigningKey) string   { return k.ID }
func sorted(s []string) []string      { s = slices.Clone(s); slices.Sort(s); return s }
func wantIDs(got, want []string) bool { return slices.Equal(got, want) }

// listed reports a failed listing or a page with other ids or another total
// than wanted, and whether there are rows worth comparing one by one.
func listed[T any](t *testing.T, what string, got []T, total int, err error, id func(T) string, want []string, wantTotal int) bool {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return false
	}
	if g := ids(got, id); !wantIDs(g, want) || total != wantTotal {
		t.Errorf("%s = %v, total %d; want %v, total %d", what, g, total, want, wantTotal)
	}
	return true
}

// createTenant inserts a tenant named after its id, changed by mods.
func createTenant(t *testing.T, s iam.Tx, mods ...func(*iam.Tenant)) *iam.Tenant {
	t.Helper()
	tn := &iam.Tenant{ID: newID(t), CreatedAt: t0, UpdatedAt: t0}
	tn.Name = "Tenant " + tn.ID
	for _, m := range mods {
		m(tn)
	}
	must(t, s.CreateTenant(t.Context(), tn), "CreateTenant")
	return tn
}

// createUser inserts an active user with email, changed by mods.
func createUser(t *testing.T, s iam.Tx, tenantID, email string, mods ...func(*iam.User)) *iam.User {
	t.Helper()
	u := &iam.User{
		ID: newID(t), TenantID: tenantID, Email: email, Name: "User " + email, Status: iam.UserActive,
		CreatedAt: t0, UpdatedAt: t0,
	}
	for _, m := range mods {
		m(u)
	}
	must(t, s.CreateUser(t.Context(), u), "CreateUser "+email)
	return u
}

// createRole inserts an admin role holding perms.
func createRole(t *testing.T, s iam.Tx, tenantID, name string, perms ...string) *iam.AdminRole {
	t.Helper()
	r := &iam.AdminRole{
		ID: newID(t), TenantID: tenantID, Name: name, Description: "Role " + name,
		Permissions: perms, CreatedAt: t0, UpdatedAt: t0,
	}
	must(t, s.CreateAdminRole(t.Context(), r), "CreateAdminRole "+name)
	return r
}

// createSession inserts a session of the user lasting a day from t0.
func createSession(t *testing.T, s iam.Tx, tenantID, userID string, mods ...func(*iam.Session)) *iam.Session {
	t.Helper()
	se := &iam.Session{
		ID: newID(t), TenantID: tenantID, UserID: userID,
		CreatedAt: t0, LastSeenAt: t0, ExpiresAt: at(24 * time.Hour),
		IP: "192.0.2.1", UserAgent: "storetest", AMR: []string{"pwd"},
	}
	for _, m := range mods {
		m(se)
	}
	must(t, s.CreateSession(t.Context(), se), "CreateSession")
	return se
}

// createRefreshToken inserts a refresh token of the session with a unique hash.
func createRefreshToken(t *testing.T, s iam.Tx, tenantID, sessionID string) *iam.RefreshToken {
	t.Helper()
	rt := &iam.RefreshToken{
		ID: newID(t), TenantID: tenantID, SessionID: sessionID,
		CreatedAt: t0, ExpiresAt: at(30 * 24 * time.Hour),
	}
	rt.Hash = "sha256:" + rt.ID
	must(t, s.CreateRefreshToken(t.Context(), rt), "CreateRefreshToken")
	return rt
}

// appendAudit appends an event at when.
func appendAudit(t *testing.T, s iam.Tx, tenantID string, when time.Time, actor iam.Ref, action string, target iam.Ref) *iam.AuditEvent {
	t.Helper()
	e := &iam.AuditEvent{
		ID: newID(t), TenantID: tenantID, Time: when, Actor: actor, Action: action, Target: target,
		IP: "198.51.100.4", UserAgent: "storetest", Result: iam.ResultSuccess,
	}
	must(t, s.AppendAudit(t.Context(), e), "AppendAudit "+action)
	return e
}

// createPermission inserts an application permission.
func createPermission(t *testing.T, s iam.Tx, tenantID, name string) *iam.Permission {
	t.Helper()
	p := &iam.Permission{ID: newID(t), TenantID: tenantID, Name: name, Description: "Permission " + name, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreatePermission(t.Context(), p), "CreatePermission "+name)
	return p
}

// createAccessRole inserts an application role holding perms: the
// organization's own, or a template when orgID is empty. The returned role
// lists its permissions sorted, as the store answers them.
func createAccessRole(t *testing.T, s iam.Tx, tenantID, orgID, name string, perms ...string) *iam.Role {
	t.Helper()
	r := &iam.Role{
		ID: newID(t), TenantID: tenantID, OrganizationID: orgID, Name: name, Description: "Role " + name,
		Permissions: perms, CreatedAt: t0, UpdatedAt: t0,
	}
	must(t, s.CreateRole(t.Context(), r), "CreateRole "+name)
	r.Permissions = sorted(perms)
	return r
}

// createOrg inserts an organization with alias, named after it, MFA
// optional, changed by mods.
func createOrg(t *testing.T, s iam.Tx, tenantID, alias string, mods ...func(*iam.Organization)) *iam.Organization {
	t.Helper()
	o := &iam.Organization{ID: newID(t), TenantID: tenantID, Name: "Org " + alias, Alias: alias, MFA: "optional", CreatedAt: t0, UpdatedAt: t0}
	for _, m := range mods {
		m(o)
	}
	must(t, s.CreateOrganization(t.Context(), o), "CreateOrganization "+alias)
	return o
}

// createGroup inserts a group named name, changed by mods.
func createGroup(t *testing.T, s iam.Tx, tenantID, name string, mods ...func(*iam.Group)) *iam.Group {
	t.Helper()
	g := &iam.Group{ID: newID(t), TenantID: tenantID, Name: name, Description: "Group " + name, CreatedAt: t0, UpdatedAt: t0}
	for _, m := range mods {
		m(g)
	}
	must(t, s.CreateGroup(t.Context(), g), "CreateGroup "+name)
	return g
}

// setMember makes the user a member of the organization holding roles.
func setMember(t *testing.T, s iam.Tx, tenantID, orgID, userID string, when time.Time, roles ...*iam.Role) {
	t.Helper()
	_, err := s.SetMember(t.Context(), tenantID, orgID, userID, ids(roles, func(r *iam.Role) string { return r.ID }), when)
	must(t, err, "SetMember")
}

// addGroupMember puts the user in the group.
func addGroupMember(t *testing.T, s iam.Tx, tenantID, groupID, userID string, when time.Time) {
	t.Helper()
	_, err := s.AddGroupMember(t.Context(), tenantID, groupID, userID, when)
	must(t, err, "AddGroupMember")
}

// addGroupRole makes the group carry the role.
func addGroupRole(t *testing.T, s iam.Tx, tenantID, groupID, roleID string) {
	t.Helper()
	_, err := s.AddGroupRole(t.Context(), tenantID, groupID, roleID)
	must(t, err, "AddGroupRole")
}

func permissionID(p iam.Permission) string     { return p.ID }
func accessRoleID(r iam.Role) string           { return r.ID }
func organizationID(o iam.Organization) string { return o.ID }
func groupIDOf(g iam.Group) string             { return g.ID }
func memberUserID(m iam.Member) string         { return m.User.ID }
func groupMemberID(m iam.GroupMember) string   { return m.User.ID }

// accessRoles lists roles by id: the contract does not order the roles a
// user, member or group holds.
func accessRoles(rs ...*iam.Role) []iam.Role {
	out := []iam.Role{}
	for _, r := range rs {
		out = append(out, *r)
	}
	return byAccessRoleID(out)
}

func byAccessRoleID(rs []iam.Role) []iam.Role {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b iam.Role) int { return strings.Compare(a.ID, b.ID) })
	return rs
}
