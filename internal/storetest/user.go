package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var userTests = []test{
	{"CreateGet", testUserCreateGet},
	{"NotFound", testUserNotFound},
	{"EmailTaken", testUserEmailTaken},
	{"ExternalIDTaken", testUserExternalIDTaken},
	{"List", testUserList},
	{"ListSearchNonASCII", testUserListSearchNonASCII},
	{"Update", testUserUpdate},
	{"Delete", testUserDelete},
	{"TenantIsolation", testUserTenantIsolation},
}

func testUserCreateGet(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	for _, want := range []*iam.User{
		{
			ID: newID(t), TenantID: tn.ID, Email: "ada@example.com", Name: "Ada Lovelace", EmailVerified: true,
			Status: iam.UserActive, ExternalID: "ext-1", CreatedAt: t0, UpdatedAt: at(time.Second + 999*time.Nanosecond),
		},
		{
			ID: newID(t), TenantID: tn.ID, Email: "grace@example.com", Name: "Grace Hopper",
			Status: iam.UserDisabled, CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute),
		},
	} {
		must(t, s.CreateUser(ctx, want), "CreateUser "+want.Email)
		got, err := s.GetUser(ctx, tn.ID, want.ID)
		must(t, err, "GetUser "+want.Email)
		check(t, "GetUser "+want.Email, got, want)
		got, err = s.GetUserByEmail(ctx, tn.ID, want.Email)
		must(t, err, "GetUserByEmail "+want.Email)
		check(t, "GetUserByEmail "+want.Email, got, want)
	}
}

func testUserNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	createUser(t, s, tn.ID, "known@example.com")
	unknown := newID(t)
	for name, call := range map[string]func() error{
		"GetUser":        func() error { _, err := s.GetUser(ctx, tn.ID, unknown); return err },
		"GetUserByEmail": func() error { _, err := s.GetUserByEmail(ctx, tn.ID, "nobody@example.com"); return err },
		"UpdateUser": func() error {
			return s.UpdateUser(ctx, &iam.User{ID: unknown, TenantID: tn.ID, Email: "x@example.com", Status: iam.UserActive, UpdatedAt: t0})
		},
		"DeleteUser": func() error { return s.DeleteUser(ctx, tn.ID, unknown) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
}

func testUserEmailTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	first := createUser(t, s, a.ID, "ada@example.com")

	dup := &iam.User{ID: newID(t), TenantID: a.ID, Email: first.Email, Name: "Dup", Status: iam.UserActive, CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateUser(ctx, dup), iam.CodeEmailTaken, "CreateUser with a taken email")
	_, err := s.GetUser(ctx, a.ID, dup.ID)
	wantCode(t, err, iam.CodeNotFound, "GetUser of the rejected user")

	// The same email in another tenant is another user.
	createUser(t, s, b.ID, first.Email)

	other := createUser(t, s, a.ID, "grace@example.com")
	upd := *other
	upd.Email, upd.Name, upd.UpdatedAt = first.Email, "Renamed", at(time.Hour)
	wantCode(t, s.UpdateUser(ctx, &upd), iam.CodeEmailTaken, "UpdateUser to a taken email")
	got, err := s.GetUser(ctx, a.ID, other.ID)
	must(t, err, "GetUser")
	check(t, "user after the rejected update", got, other)
	got, err = s.GetUserByEmail(ctx, a.ID, first.Email)
	must(t, err, "GetUserByEmail")
	check(t, "holder of the email", got, first)
}

func testUserExternalIDTaken(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	withExt := func(id string) func(*iam.User) { return func(u *iam.User) { u.ExternalID = id } }
	createUser(t, s, a.ID, "ada@example.com", withExt("E1"))

	dup := &iam.User{ID: newID(t), TenantID: a.ID, Email: "dup@example.com", Name: "Dup", Status: iam.UserActive, ExternalID: "E1", CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateUser(ctx, dup), iam.CodeExternalIDTaken, "CreateUser with a taken external_id")

	// Empty means unset: any number of users may lack one.
	var plain []*iam.User
	for _, e := range []string{"one@example.com", "two@example.com", "three@example.com"} {
		plain = append(plain, createUser(t, s, a.ID, e))
	}
	for _, u := range plain {
		got, err := s.GetUser(ctx, a.ID, u.ID)
		must(t, err, "GetUser")
		if got.ExternalID != "" {
			t.Errorf("ExternalID = %q, want empty", got.ExternalID)
		}
	}
	createUser(t, s, b.ID, "ada@example.com", withExt("E1"))

	upd := *plain[0]
	upd.ExternalID, upd.UpdatedAt = "E1", at(time.Hour)
	wantCode(t, s.UpdateUser(ctx, &upd), iam.CodeExternalIDTaken, "UpdateUser to a taken external_id")
	got, err := s.GetUser(ctx, a.ID, plain[0].ID)
	must(t, err, "GetUser")
	check(t, "user after the rejected update", got, plain[0])
}

func testUserList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	// Created in this order, one minute apart; emails, names and creation
	// order sort three different ways.
	fixtures := []struct {
		email, name string
		status      iam.UserStatus
	}{
		{"carol@example.com", "Mallory Carol", iam.UserActive},
		{"alice@example.com", "Zed Alice", iam.UserDisabled},
		{"dave@sample.org", "Dave 100% Real", iam.UserActive},
		{"bob@example.com", "Alison Bob", iam.UserActive},
		{"erin_x@sample.org", "Erin Black", iam.UserDisabled},
		{"frank@sample.org", "Bea Frank", iam.UserActive},
	}
	byLocal := map[string]*iam.User{}
	byID := map[string]*iam.User{}
	for i, f := range fixtures {
		u := createUser(t, s, tn.ID, f.email, func(u *iam.User) {
			u.Name, u.Status = f.name, f.status
			u.CreatedAt, u.UpdatedAt = at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
		})
		local, _, _ := strings.Cut(f.email, "@")
		byLocal[local], byID[u.ID] = u, u
	}
	// Another tenant's users never show.
	createUser(t, s, other.ID, "alice@example.com", func(u *iam.User) { u.Name = "Alice Elsewhere" })
	createUser(t, s, other.ID, "zoe%_@example.com")

	// idsOf names users by the local part of their email.
	idsOf := func(local ...string) []string {
		out := []string{}
		for _, l := range local {
			out = append(out, byLocal[l].ID)
		}
		return out
	}
	list := func(p iam.ListParams) iam.UserQuery {
		if p.Page == 0 {
			p.Page = 1
		}
		if p.Limit == 0 {
			p.Limit = iam.MaxLimit
		}
		return iam.UserQuery{ListParams: p}
	}
	for _, tc := range []struct {
		name  string
		q     iam.UserQuery
		want  []string
		total int
	}{
		{"created asc", list(iam.ListParams{OrderBy: "created_at"}),
			idsOf("carol", "alice", "dave", "bob", "erin_x", "frank"), 6},
		{"created desc", list(iam.ListParams{OrderBy: "created_at", Desc: true}),
			idsOf("frank", "erin_x", "bob", "dave", "alice", "carol"), 6},
		{"email asc", list(iam.ListParams{OrderBy: "email"}),
			idsOf("alice", "bob", "carol", "dave", "erin_x", "frank"), 6},
		{"email desc", list(iam.ListParams{OrderBy: "email", Desc: true}),
			idsOf("frank", "erin_x", "dave", "carol", "bob", "alice"), 6},
		{"name asc", list(iam.ListParams{OrderBy: "name"}),
			idsOf("bob", "frank", "dave", "erin_x", "carol", "alice"), 6},
		{"name desc", list(iam.ListParams{OrderBy: "name", Desc: true}),
			idsOf("alice", "carol", "erin_x", "dave", "frank", "bob"), 6},
		{"search email and name, any case", list(iam.ListParams{OrderBy: "email", Search: "ALI"}),
			idsOf("alice", "bob"), 2},
		{"search name only", list(iam.ListParams{OrderBy: "email", Search: "black"}), idsOf("erin_x"), 1},
		{"search email domain", list(iam.ListParams{OrderBy: "email", Search: "Sample.Org"}),
			idsOf("dave", "erin_x", "frank"), 3},
		{"search percent literally", list(iam.ListParams{OrderBy: "email", Search: "%"}), idsOf("dave"), 1},
		{"search percent in context", list(iam.ListParams{OrderBy: "email", Search: "0% r"}), idsOf("dave"), 1},
		{"search underscore literally", list(iam.ListParams{OrderBy: "email", Search: "_"}), idsOf("erin_x"), 1},
		{"search backslash literally", list(iam.ListParams{OrderBy: "email", Search: `\`}), idsOf(), 0},
		{"search without match", list(iam.ListParams{OrderBy: "email", Search: "nobody"}), idsOf(), 0},
		{"status disabled", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"}, Status: iam.UserDisabled},
			idsOf("alice", "erin_x"), 2},
		{"status active", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"}, Status: iam.UserActive},
			idsOf("bob", "carol", "dave", "frank"), 4},
		{"status and search", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "email", Search: "ali"}, Status: iam.UserActive},
			idsOf("bob"), 1},
		{"first page", list(iam.ListParams{OrderBy: "email", Limit: 4}), idsOf("alice", "bob", "carol", "dave"), 6},
		{"second page", list(iam.ListParams{OrderBy: "email", Limit: 4, Page: 2}), idsOf("erin_x", "frank"), 6},
		{"past the end", list(iam.ListParams{OrderBy: "email", Limit: 4, Page: 3}), idsOf(), 6},
		{"page of descending", list(iam.ListParams{OrderBy: "created_at", Desc: true, Limit: 2, Page: 2}), idsOf("bob", "dave"), 6},
		{"start", list(iam.ListParams{OrderBy: "created_at", Start: 3, Limit: 2}), idsOf("bob", "erin_x"), 6},
		{"start rather than page", list(iam.ListParams{OrderBy: "created_at", Start: 3, Limit: 2, Page: 3}), idsOf("bob", "erin_x"), 6},
		{"page of filtered", iam.UserQuery{ListParams: iam.ListParams{Page: 2, Limit: 3, OrderBy: "email"}, Status: iam.UserActive},
			idsOf("frank"), 4},
	} {
		got, total, err := s.ListUsers(ctx, tn.ID, tc.q)
		if !listed(t, tc.name+": ListUsers", got, total, err, userID, tc.want, tc.total) {
			continue
		}
		for i := range got {
			if want, ok := byID[got[i].ID]; ok {
				check(t, tc.name+": listed user", &got[i], want)
			}
		}
	}
}

func testUserListSearchNonASCII(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "emile@example.com", func(u *iam.User) { u.Name = "Émile Zola" })
	createUser(t, s, tn.ID, "victor@example.com", func(u *iam.User) { u.Name = "Victor Hugo" })
	for _, search := range []string{"Émile", "émile", "ÉMILE", "mile zo"} {
		got, total, err := s.ListUsers(t.Context(), tn.ID, iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "email", Search: search}})
		if err != nil || total != 1 || !wantIDs(ids(got, userID), []string{u.ID}) {
			t.Errorf("ListUsers search %q = %v, total %d, %v; want %s only", search, emails(got), total, err, u.Email)
		}
	}
}

func emails(us []iam.User) []string {
	return ids(us, func(u iam.User) string { return u.Email })
}

func testUserUpdate(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com", func(u *iam.User) { u.Name = "Ada" })

	upd := *u
	upd.Email, upd.Name = "ada.lovelace@example.com", "Ada Lovelace"
	upd.EmailVerified, upd.Status, upd.ExternalID, upd.UpdatedAt = true, iam.UserDisabled, "ext-9", at(time.Hour)
	must(t, s.UpdateUser(ctx, &upd), "UpdateUser")
	got, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, err, "GetUser")
	check(t, "user after update", got, &upd)

	_, err = s.GetUserByEmail(ctx, tn.ID, u.Email)
	wantCode(t, err, iam.CodeNotFound, "GetUserByEmail of the old email")
	got, err = s.GetUserByEmail(ctx, tn.ID, upd.Email)
	must(t, err, "GetUserByEmail of the new email")
	check(t, "user by new email", got, &upd)

	upd.ExternalID, upd.Status, upd.UpdatedAt = "", iam.UserActive, at(2*time.Hour)
	must(t, s.UpdateUser(ctx, &upd), "UpdateUser clearing external_id")
	got, err = s.GetUser(ctx, tn.ID, u.ID)
	must(t, err, "GetUser")
	check(t, "user after second update", got, &upd)
	// A cleared external_id is free for another user.
	createUser(t, s, tn.ID, "other@example.com", func(o *iam.User) { o.ExternalID = "ext-9" })
}

func testUserDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	gone := createUser(t, s, tn.ID, "gone@example.com")
	kept := createUser(t, s, tn.ID, "kept@example.com")

	must(t, s.DeleteUser(ctx, tn.ID, gone.ID), "DeleteUser")
	_, err := s.GetUser(ctx, tn.ID, gone.ID)
	wantCode(t, err, iam.CodeNotFound, "GetUser after delete")
	_, err = s.GetUserByEmail(ctx, tn.ID, gone.Email)
	wantCode(t, err, iam.CodeNotFound, "GetUserByEmail after delete")
	wantCode(t, s.DeleteUser(ctx, tn.ID, gone.ID), iam.CodeNotFound, "DeleteUser again")

	got, err := s.GetUser(ctx, tn.ID, kept.ID)
	must(t, err, "GetUser of the other user")
	check(t, "other user", got, kept)
	// The email is free again.
	createUser(t, s, tn.ID, gone.Email)
}

func testUserTenantIsolation(t *testing.T, s iam.Store) {
	ctx := t.Context()
	home, away := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, home.ID, "ada@example.com", func(u *iam.User) { u.ExternalID = "ext-1" })

	_, err := s.GetUser(ctx, away.ID, u.ID)
	wantCode(t, err, iam.CodeNotFound, "GetUser from another tenant")
	_, err = s.GetUserByEmail(ctx, away.ID, u.Email)
	wantCode(t, err, iam.CodeNotFound, "GetUserByEmail from another tenant")

	upd := *u
	upd.TenantID, upd.Name, upd.Status, upd.UpdatedAt = away.ID, "Hijacked", iam.UserDisabled, at(time.Hour)
	wantCode(t, s.UpdateUser(ctx, &upd), iam.CodeNotFound, "UpdateUser from another tenant")
	wantCode(t, s.DeleteUser(ctx, away.ID, u.ID), iam.CodeNotFound, "DeleteUser from another tenant")

	got, err := s.GetUser(ctx, home.ID, u.ID)
	must(t, err, "GetUser at home")
	check(t, "user after foreign update and delete", got, u)
	if _, n, err := s.ListUsers(ctx, away.ID, iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListUsers of the other tenant: total %d, %v; want 0", n, err)
	}
}
