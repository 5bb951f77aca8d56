package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var filterTests = []test{
	{"Users", testFilterUsers},
	{"UsersWithSearchStatusAndPages", testFilterUsersCombined},
	{"Groups", testFilterGroups},
	{"Invalid", testFilterInvalid},
	{"UserOrganization", testFilterUserOrganization},
}

// testFilterUserOrganization: organization eq selects the organization's
// members, pr those in any, and other operators are refused.
func testFilterUserOrganization(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	acme, globex := createOrg(t, s, tn.ID, "acme"), createOrg(t, s, tn.ID, "globex")
	ann, bob, cid := createUser(t, s, tn.ID, "ann@example.com"), createUser(t, s, tn.ID, "bob@example.com"), createUser(t, s, tn.ID, "cid@example.com")
	setMember(t, s, tn.ID, acme.ID, ann.ID, t0)
	setMember(t, s, tn.ID, acme.ID, bob.ID, t0)
	setMember(t, s, tn.ID, globex.ID, bob.ID, t0)
	page := iam.ListParams{Page: 1, Limit: 10, OrderBy: "email"}
	for _, tc := range []struct {
		name string
		f    iam.Filter
		want []string
	}{
		{"acme", where("organization", iam.FilterEq, acme.ID), []string{ann.ID, bob.ID}},
		{"globex", where("organization", iam.FilterEq, globex.ID), []string{bob.ID}},
		{"any", iam.Filter{Op: iam.FilterPresent, Field: "organization"}, []string{ann.ID, bob.ID}},
		{"none", iam.Filter{Op: iam.FilterNot, Terms: []iam.Filter{{Op: iam.FilterPresent, Field: "organization"}}}, []string{cid.ID}},
		{"acme and email", iam.Filter{Op: iam.FilterAnd, Terms: []iam.Filter{where("organization", iam.FilterEq, acme.ID),
			where("email", iam.FilterStartsWith, "b")}}, []string{bob.ID}},
	} {
		got, total, err := s.ListUsers(ctx, tn.ID, iam.UserQuery{ListParams: page, Filter: &tc.f})
		listed(t, tc.name, got, total, err, userID, tc.want, len(tc.want))
	}
	f := where("organization", iam.FilterContains, "a")
	_, _, err := s.ListUsers(ctx, tn.ID, iam.UserQuery{ListParams: page, Filter: &f})
	wantCode(t, err, iam.CodeInvalid, "organization co")
}

// The filters of the cases, spelled short.
func where(field string, op iam.FilterOp, v any) iam.Filter {
	return iam.Filter{Op: op, Field: field, Value: v}
}
func present(field string) iam.Filter      { return iam.Filter{Op: iam.FilterPresent, Field: field} }
func allOf(terms ...iam.Filter) iam.Filter { return iam.Filter{Op: iam.FilterAnd, Terms: terms} }
func anyOf(terms ...iam.Filter) iam.Filter { return iam.Filter{Op: iam.FilterOr, Terms: terms} }
func negate(f iam.Filter) iam.Filter       { return iam.Filter{Op: iam.FilterNot, Terms: []iam.Filter{f}} }

// nested is f inside n nots.
func nested(n int, f iam.Filter) iam.Filter {
	for range n {
		f = negate(f)
	}
	return f
}

// chain is the op of n terms made by term, each but the last two nested in
// the one before, as SCIM parses "a or b or c": or(a, or(b, c)).
func chain(op iam.FilterOp, n int, term func(i int) iam.Filter) iam.Filter {
	f := iam.Filter{Op: op, Terms: []iam.Filter{term(n - 2), term(n - 1)}}
	for i := n - 3; i >= 0; i-- {
		f = iam.Filter{Op: op, Terms: []iam.Filter{term(i), f}}
	}
	return f
}

// filterFixture is a tenant's rows for the filter cases: keys names them,
// in the order they were created.
type filterFixture struct {
	keys []string
	ids  map[string]string
}

// want lists the ids of keys in the order of creation, the order of the
// lists by default.
func (fx filterFixture) want(keys ...string) []string {
	out := []string{}
	for _, k := range fx.keys {
		if slices.Contains(keys, k) {
			out = append(out, fx.ids[k])
		}
	}
	return out
}

// but lists the ids of all keys except those given.
func (fx filterFixture) but(keys ...string) []string {
	return fx.want(slices.DeleteFunc(slices.Clone(fx.keys), func(k string) bool { return slices.Contains(keys, k) })...)
}

// names are the keys of ids, for messages; an id of no key (another
// tenant's) stays as it is.
func (fx filterFixture) names(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		name := id
		for k, kid := range fx.ids {
			if kid == id {
				name = k
			}
		}
		out = append(out, name)
	}
	return out
}

// check reports a failed list or one with other rows or another total than
// wanted, naming rows by their keys.
func (fx filterFixture) check(t *testing.T, what string, got []string, total int, err error, want []string, wantTotal int) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	} else if !wantIDs(got, want) || total != wantTotal {
		t.Errorf("%s = %v, total %d; want %v, total %d", what, fx.names(got), total, fx.names(want), wantTotal)
	}
}

// filterUser is a user of the filter cases: its key, then its fields.
type filterUser struct {
	key, email, name, externalID string
	status                       iam.UserStatus
	verified                     bool
}

// filterUsers hold every LIKE metacharacter (% _ \) in emails, names and
// external ids, external ids that differ only in case, users without an
// external id or a name, and non-ASCII names; their text sorts differently
// by bytes than by most collations.
var filterUsers = []filterUser{
	{"ada", "ada@example.com", "Ada Lovelace", "ABC", iam.UserActive, true},
	{"grace", "grace@example.org", "Grace Hopper", "abc", iam.UserDisabled, false},
	{"under", "under_score@example.com", `Back\slash Kid`, `x%_\y`, iam.UserActive, true},
	{"per", "per%cent@example.com", "100% Real", "", iam.UserActive, false},
	{"emile", "emile@example.net", "Émile Zola", "Zola-1", iam.UserDisabled, true},
	{"thou", "thousand@example.com", "1000 Reasons", "", iam.UserActive, false},
	{"blank", "blank@example.com", "", "", iam.UserActive, false},
}

// createFilterUsers inserts filterUsers into the tenant, the ith created at
// i minutes after t0 and updated at an hour minus i minutes after it.
func createFilterUsers(t *testing.T, s iam.Store, tenantID string) filterFixture {
	fx := filterFixture{ids: map[string]string{}}
	for i, f := range filterUsers {
		u := createUser(t, s, tenantID, f.email, func(u *iam.User) {
			u.Name, u.ExternalID, u.Status, u.EmailVerified = f.name, f.externalID, f.status, f.verified
			u.CreatedAt, u.UpdatedAt = minute(i), minute(60-i)
		})
		fx.keys, fx.ids[f.key] = append(fx.keys, f.key), u.ID
	}
	return fx
}

func minute(i int) time.Time { return at(time.Duration(i) * time.Minute) }

// filterCase is a filter and the ids it selects.
type filterCase struct {
	name string
	f    iam.Filter
	want []string
}

// testFilterUsers runs every operator on every field of UserFilterFields.
// Another tenant holds copies of some users, which no filter may select.
func testFilterUsers(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	fx := createFilterUsers(t, s, tn.ID)
	elsewhere := createFilterUsers(t, s, other.ID)
	ada, grace := fx.ids["ada"], fx.ids["grace"]
	all := fx.want(fx.keys...)

	// greater lists the keys of users whose id is greater than id.
	greater := func(id string) []string {
		var keys []string
		for _, k := range fx.keys {
			if fx.ids[k] > id {
				keys = append(keys, k)
			}
		}
		return keys
	}
	// 09:29:00 UTC, a time without a fraction, falls between the users
	// created at 2 and 3 minutes after t0 (09:26:53.589793 UTC).
	between := time.Date(2025, 3, 14, 9, 29, 0, 0, time.UTC)
	fixedZone := time.FixedZone("EST", -5*3600)

	cases := []filterCase{
		{"id eq", where("id", iam.FilterEq, ada), fx.want("ada")},
		{"id eq is case-exact", where("id", iam.FilterEq, strings.ToUpper(ada)), fx.want()},
		{"id eq of another tenant's user", where("id", iam.FilterEq, elsewhere.ids["ada"]), fx.want()},
		{"id ne", where("id", iam.FilterNe, ada), fx.but("ada")},
		{"id co", where("id", iam.FilterContains, ada[24:32]), fx.want("ada")},
		{"id sw", where("id", iam.FilterStartsWith, ada), fx.want("ada")},
		{"id ew", where("id", iam.FilterEndsWith, ada[24:]), fx.want("ada")},
		{"id gt", where("id", iam.FilterGt, grace), fx.want(greater(grace)...)},
		{"id ge", where("id", iam.FilterGe, grace), fx.want(append(greater(grace), "grace")...)},
		{"id lt", where("id", iam.FilterLt, grace), fx.but(append(greater(grace), "grace")...)},
		{"id le", where("id", iam.FilterLe, grace), fx.but(greater(grace)...)},
		{"id pr", present("id"), all},

		{"email eq any case", where("email", iam.FilterEq, "ADA@Example.COM"), fx.want("ada")},
		{"email eq without match", where("email", iam.FilterEq, "nobody@example.com"), fx.want()},
		{"email ne any case", where("email", iam.FilterNe, "Ada@example.com"), fx.but("ada")},
		{"email co any case", where("email", iam.FilterContains, "EXAMPLE.ORG"), fx.want("grace")},
		{"email co underscore literally", where("email", iam.FilterContains, "_"), fx.want("under")},
		{"email co percent literally", where("email", iam.FilterContains, "%"), fx.want("per")},
		{"email co backslash literally", where("email", iam.FilterContains, `\`), fx.want()},
		{"email sw with percent", where("email", iam.FilterStartsWith, "PER%"), fx.want("per")},
		{"email sw underscore is no wildcard", where("email", iam.FilterStartsWith, "per_"), fx.want()},
		{"email ew any case", where("email", iam.FilterEndsWith, "@Example.NET"), fx.want("emile")},
		{"email ew", where("email", iam.FilterEndsWith, "e.com"), fx.want("ada", "under", "per", "thou", "blank")},
		{"email gt by bytes", where("email", iam.FilterGt, "grace@example.org"), fx.want("under", "per", "thou")},
		{"email ge by bytes", where("email", iam.FilterGe, "GRACE@example.org"), fx.want("grace", "under", "per", "thou")},
		// '%' sorts before '_' by bytes; collations that skip punctuation
		// put per%cent after per_.
		{"email lt by bytes", where("email", iam.FilterLt, "per_"), fx.want("ada", "grace", "per", "emile", "blank")},
		{"email le", where("email", iam.FilterLe, "Ada@example.com"), fx.want("ada")},
		{"email pr", present("email"), all},

		{"name eq any case", where("name", iam.FilterEq, "ada LOVELACE"), fx.want("ada")},
		{"name eq non-ASCII any case", where("name", iam.FilterEq, "ÉMILE ZOLA"), fx.want("emile")},
		{"name eq non-ASCII lower case", where("name", iam.FilterEq, "émile zola"), fx.want("emile")},
		{"name ne", where("name", iam.FilterNe, "Ada Lovelace"), fx.but("ada")},
		{"name co any case", where("name", iam.FilterContains, "ZOLA"), fx.want("emile")},
		{"name co backslash literally", where("name", iam.FilterContains, `\`), fx.want("under")},
		{"name co percent literally", where("name", iam.FilterContains, "%"), fx.want("per")},
		{"name co empty", where("name", iam.FilterContains, ""), all},
		{"name sw percent is no wildcard", where("name", iam.FilterStartsWith, "100%"), fx.want("per")},
		{"name sw", where("name", iam.FilterStartsWith, "1000"), fx.want("thou")},
		{"name sw with backslash", where("name", iam.FilterStartsWith, `BACK\sl`), fx.want("under")},
		{"name ew any case", where("name", iam.FilterEndsWith, "HOPPER"), fx.want("grace")},
		{"name ew underscore is no wildcard", where("name", iam.FilterEndsWith, "_kid"), fx.want()},
		{"name ew", where("name", iam.FilterEndsWith, "h kid"), fx.want("under")},
		// é is past every ASCII letter by bytes, next to e in collations.
		{"name lt by bytes", where("name", iam.FilterLt, "F"), fx.want("ada", "under", "per", "thou", "blank")},
		{"name gt by bytes", where("name", iam.FilterGt, "b"), fx.want("grace", "under", "emile")},
		{"name le by bytes", where("name", iam.FilterLe, "100% REAL"), fx.want("per", "blank")},
		{"name ge", where("name", iam.FilterGe, "Émile Zola"), fx.want("emile")},
		{"name pr is not empty", present("name"), fx.but("blank")},

		{"external_id eq is case-exact", where("external_id", iam.FilterEq, "ABC"), fx.want("ada")},
		{"external_id eq lower case", where("external_id", iam.FilterEq, "abc"), fx.want("grace")},
		{"external_id eq empty matches no unset one", where("external_id", iam.FilterEq, ""), fx.want()},
		{"external_id ne holds where unset", where("external_id", iam.FilterNe, "ABC"), fx.but("ada")},
		{"external_id co is case-exact", where("external_id", iam.FilterContains, "B"), fx.want("ada")},
		{"external_id co lower case", where("external_id", iam.FilterContains, "b"), fx.want("grace")},
		{"external_id co percent literally", where("external_id", iam.FilterContains, "%"), fx.want("under")},
		{"external_id co underscore literally", where("external_id", iam.FilterContains, "_"), fx.want("under")},
		{"external_id co backslash literally", where("external_id", iam.FilterContains, `\`), fx.want("under")},
		{"external_id co wrong case", where("external_id", iam.FilterContains, "zola"), fx.want()},
		{"external_id sw is case-exact", where("external_id", iam.FilterStartsWith, "a"), fx.want("grace")},
		{"external_id sw upper case", where("external_id", iam.FilterStartsWith, "A"), fx.want("ada")},
		{"external_id sw with percent", where("external_id", iam.FilterStartsWith, "x%"), fx.want("under")},
		{"external_id sw underscore is no wildcard", where("external_id", iam.FilterStartsWith, "x_"), fx.want()},
		{"external_id ew with backslash", where("external_id", iam.FilterEndsWith, `_\y`), fx.want("under")},
		{"external_id ew is case-exact", where("external_id", iam.FilterEndsWith, "C"), fx.want("ada")},
		{"external_id ew", where("external_id", iam.FilterEndsWith, "-1"), fx.want("emile")},
		{"external_id ew longer than any", where("external_id", iam.FilterEndsWith, "xxABC"), fx.want()},
		// By bytes upper case sorts before lower case; most collations
		// put "abc" before "Z".
		{"external_id gt by bytes", where("external_id", iam.FilterGt, "Z"), fx.want("grace", "under", "emile")},
		{"external_id lt by bytes", where("external_id", iam.FilterLt, "a"), fx.want("ada", "emile")},
		{"external_id ge", where("external_id", iam.FilterGe, "abc"), fx.want("grace", "under")},
		{"external_id le", where("external_id", iam.FilterLe, "ABC"), fx.want("ada")},
		{"external_id pr", present("external_id"), fx.want("ada", "grace", "under", "emile")},
		{"not external_id pr", negate(present("external_id")), fx.want("per", "thou", "blank")},
		{"not external_id eq holds where unset", negate(where("external_id", iam.FilterEq, "ABC")), fx.but("ada")},

		{"status eq", where("status", iam.FilterEq, "disabled"), fx.want("grace", "emile")},
		{"status eq is case-exact", where("status", iam.FilterEq, "DISABLED"), fx.want()},
		{"status ne", where("status", iam.FilterNe, "active"), fx.want("grace", "emile")},
		{"status co", where("status", iam.FilterContains, "sab"), fx.want("grace", "emile")},
		{"status sw", where("status", iam.FilterStartsWith, "act"), fx.but("grace", "emile")},
		{"status ew is case-exact", where("status", iam.FilterEndsWith, "ED"), fx.want()},
		{"status ew", where("status", iam.FilterEndsWith, "ed"), fx.want("grace", "emile")},
		{"status gt", where("status", iam.FilterGt, "b"), fx.want("grace", "emile")},
		{"status ge", where("status", iam.FilterGe, "disabled"), fx.want("grace", "emile")},
		{"status lt", where("status", iam.FilterLt, "b"), fx.but("grace", "emile")},
		{"status le", where("status", iam.FilterLe, "active"), fx.but("grace", "emile")},
		{"status pr", present("status"), all},

		{"email_verified eq true", where("email_verified", iam.FilterEq, true), fx.want("ada", "under", "emile")},
		{"email_verified eq false", where("email_verified", iam.FilterEq, false), fx.but("ada", "under", "emile")},
		{"email_verified ne true", where("email_verified", iam.FilterNe, true), fx.but("ada", "under", "emile")},
		{"email_verified ne false", where("email_verified", iam.FilterNe, false), fx.want("ada", "under", "emile")},
		{"email_verified pr", present("email_verified"), all},

		{"created_at eq", where("created_at", iam.FilterEq, minute(2)), fx.want("under")},
		{"created_at eq in another zone", where("created_at", iam.FilterEq, minute(2).In(fixedZone)), fx.want("under")},
		{"created_at eq without match", where("created_at", iam.FilterEq, minute(2).Add(time.Second)), fx.want()},
		{"created_at ne", where("created_at", iam.FilterNe, minute(2)), fx.but("under")},
		{"created_at gt", where("created_at", iam.FilterGt, minute(4)), fx.want("thou", "blank")},
		{"created_at ge", where("created_at", iam.FilterGe, minute(4)), fx.want("emile", "thou", "blank")},
		{"created_at lt", where("created_at", iam.FilterLt, minute(1)), fx.want("ada")},
		{"created_at le", where("created_at", iam.FilterLe, minute(1).In(time.UTC)), fx.want("ada", "grace")},
		{"created_at gt a whole minute", where("created_at", iam.FilterGt, between), fx.want("per", "emile", "thou", "blank")},
		{"created_at lt a whole minute", where("created_at", iam.FilterLt, between), fx.want("ada", "grace", "under")},
		{"created_at lt in another zone", where("created_at", iam.FilterLt, between.In(fixedZone)), fx.want("ada", "grace", "under")},
		{"created_at pr", present("created_at"), all},
		{"updated_at eq", where("updated_at", iam.FilterEq, minute(60)), fx.want("ada")},
		{"updated_at ne", where("updated_at", iam.FilterNe, minute(60)), fx.but("ada")},
		{"updated_at gt", where("updated_at", iam.FilterGt, minute(59)), fx.want("ada")},
		{"updated_at ge", where("updated_at", iam.FilterGe, minute(59)), fx.want("ada", "grace")},
		{"updated_at lt", where("updated_at", iam.FilterLt, minute(56)), fx.want("thou", "blank")},
		{"updated_at le", where("updated_at", iam.FilterLe, minute(56)), fx.want("emile", "thou", "blank")},
		{"updated_at pr", present("updated_at"), all},

		{"and", allOf(where("email", iam.FilterEndsWith, "example.com"), where("email_verified", iam.FilterEq, true)),
			fx.want("ada", "under")},
		{"and of three", allOf(where("status", iam.FilterEq, "active"), where("email_verified", iam.FilterEq, false), present("name")),
			fx.want("per", "thou")},
		{"or", anyOf(where("name", iam.FilterEq, "grace hopper"), where("external_id", iam.FilterEq, "Zola-1")),
			fx.want("grace", "emile")},
		{"or of the same", anyOf(where("id", iam.FilterEq, ada), where("id", iam.FilterEq, ada)), fx.want("ada")},
		{"and of or and not", allOf(
			anyOf(where("status", iam.FilterEq, "disabled"), where("name", iam.FilterStartsWith, "100")),
			negate(where("email_verified", iam.FilterEq, true))),
			fx.want("grace", "per", "thou")},
		// For users without an external id the or is neither true nor
		// false in SQL; SCIM holds it false, so its not true.
		{"not of or on an unset field", negate(anyOf(where("external_id", iam.FilterStartsWith, "Z"), where("email_verified", iam.FilterEq, true))),
			fx.want("grace", "per", "thou", "blank")},
		{"not of and on an unset field", negate(allOf(where("external_id", iam.FilterLt, "a"), where("status", iam.FilterEq, "active"))),
			fx.but("ada")},
		{"not not", nested(2, where("email", iam.FilterEq, "ada@example.com")), fx.want("ada")},
		{"64 levels", nested(63, where("email", iam.FilterEq, "ada@example.com")), fx.but("ada")},
		// SCIM parses "a or b or c" as or(a, or(b, c)).
		{"or of 200 comparisons, nested as SCIM does", chain(iam.FilterOr, 200, func(i int) iam.Filter {
			return where("id", iam.FilterEq, []string{ada, grace, "no-" + strings.Repeat("x", i)}[min(i, 2)])
		}), fx.want("ada", "grace")},
		{"and of 100 comparisons, nested as SCIM does", chain(iam.FilterAnd, 100, func(i int) iam.Filter {
			return where("email", iam.FilterNe, strings.Repeat("x", i)+"@example.com")
		}), all},
		{"or inside and inside or", anyOf(
			allOf(where("status", iam.FilterEq, "active"), anyOf(where("name", iam.FilterContains, "%"), where("external_id", iam.FilterEq, "ABC"))),
			where("email", iam.FilterEq, "grace@example.org")),
			fx.want("ada", "grace", "per")},
	}
	for _, tc := range cases {
		got, total, err := s.ListUsers(ctx, tn.ID, iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: iam.MaxLimit}, Filter: &tc.f})
		fx.check(t, tc.name+": ListUsers", ids(got, userID), total, err, tc.want, len(tc.want))
	}
}

// testFilterUsersCombined checks that a filter narrows the search and status
// of the query, and that the total and the pages count only what it selects.
func testFilterUsersCombined(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	fx := createFilterUsers(t, s, tn.ID)
	createFilterUsers(t, s, other.ID)
	dotCom := where("email", iam.FilterEndsWith, ".com")
	for _, tc := range []struct {
		name  string
		q     iam.UserQuery
		want  []string
		total int
	}{
		{"filter and status", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}, Status: iam.UserDisabled,
			Filter: ptr(where("email_verified", iam.FilterEq, true))}, fx.want("emile"), 1},
		{"filter and search", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, Search: "example.com"},
			Filter: ptr(where("name", iam.FilterContains, "%"))}, fx.want("per"), 1},
		{"filter, search and status", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, Search: "E"}, Status: iam.UserActive,
			Filter: ptr(negate(present("external_id")))}, fx.want("per", "thou", "blank"), 3},
		{"first page", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 2}, Filter: &dotCom}, fx.want("ada", "under"), 5},
		{"second page", iam.UserQuery{ListParams: iam.ListParams{Page: 2, Limit: 2}, Filter: &dotCom}, fx.want("per", "thou"), 5},
		{"start", iam.UserQuery{ListParams: iam.ListParams{Start: 3, Limit: 2}, Filter: &dotCom}, fx.want("thou", "blank"), 5},
		{"start past the end", iam.UserQuery{ListParams: iam.ListParams{Start: 5, Limit: 2}, Filter: &dotCom}, fx.want(), 5},
		{"sorted by email", iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "email", Desc: true}, Filter: &dotCom},
			[]string{fx.ids["under"], fx.ids["thou"], fx.ids["per"], fx.ids["blank"], fx.ids["ada"]}, 5},
	} {
		got, total, err := s.ListUsers(ctx, tn.ID, tc.q)
		fx.check(t, tc.name+": ListUsers", ids(got, userID), total, err, tc.want, tc.total)
	}
}

// testFilterGroups runs every operator that applies on every field of
// GroupFilterFields.
func testFilterGroups(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	users := createFilterUsers(t, s, tn.ID)
	elsewhere := createFilterUsers(t, s, other.ID)
	ada, grace, under := users.ids["ada"], users.ids["grace"], users.ids["under"]

	fx := filterFixture{ids: map[string]string{}}
	for i, g := range []struct{ key, name, externalID string }{
		{"eng", "Engineering", "ENG"},
		{"sales", "Sales_EU", "eng"},
		{"design", "Design 100%", ""},
		{"equipe", "Équipe", ""},
		{"empty", "Empty", `g\1`},
	} {
		created := createGroup(t, s, tn.ID, g.name, func(gr *iam.Group) {
			gr.ExternalID, gr.CreatedAt, gr.UpdatedAt = g.externalID, minute(i), minute(60-i)
		})
		fx.keys, fx.ids[g.key] = append(fx.keys, g.key), created.ID
		// The other tenant has a copy of each group, with its copies of
		// the users in it.
		copied := createGroup(t, s, other.ID, g.name, func(gr *iam.Group) {
			gr.ExternalID, gr.CreatedAt, gr.UpdatedAt = g.externalID, minute(i), minute(60-i)
		})
		for _, u := range map[string][]string{"eng": {"ada", "grace"}, "sales": {"ada"}, "design": {"under"}}[g.key] {
			addGroupMember(t, s, tn.ID, created.ID, users.ids[u], t0)
			addGroupMember(t, s, other.ID, copied.ID, elsewhere.ids[u], t0)
		}
	}
	all := fx.want(fx.keys...)
	eng := fx.ids["eng"]

	cases := []filterCase{
		{"id eq", where("id", iam.FilterEq, eng), fx.want("eng")},
		{"id ne", where("id", iam.FilterNe, eng), fx.but("eng")},
		{"id ew", where("id", iam.FilterEndsWith, eng[24:]), fx.want("eng")},
		{"id pr", present("id"), all},

		{"name eq any case", where("name", iam.FilterEq, "ENGINEERING"), fx.want("eng")},
		{"name eq non-ASCII any case", where("name", iam.FilterEq, "ÉQUIPE"), fx.want("equipe")},
		{"name eq non-ASCII lower case", where("name", iam.FilterEq, "équipe"), fx.want("equipe")},
		{"name ne", where("name", iam.FilterNe, "engineering"), fx.but("eng")},
		{"name co percent literally", where("name", iam.FilterContains, "%"), fx.want("design")},
		{"name co underscore literally", where("name", iam.FilterContains, "_"), fx.want("sales")},
		{"name co empty", where("name", iam.FilterContains, ""), all},
		{"name sw with underscore", where("name", iam.FilterStartsWith, "SALES_"), fx.want("sales")},
		{"name sw percent is no wildcard", where("name", iam.FilterStartsWith, "sales%"), fx.want()},
		{"name ew with underscore", where("name", iam.FilterEndsWith, "_eu"), fx.want("sales")},
		{"name ew with percent", where("name", iam.FilterEndsWith, "100%"), fx.want("design")},
		{"name gt by bytes", where("name", iam.FilterGt, "E"), fx.want("eng", "sales", "equipe", "empty")},
		{"name lt by bytes", where("name", iam.FilterLt, "f"), fx.want("eng", "design", "empty")},
		{"name ge", where("name", iam.FilterGe, "sales_eu"), fx.want("sales", "equipe")},
		{"name le", where("name", iam.FilterLe, "Empty"), fx.want("design", "empty")},
		{"name pr", present("name"), all},

		{"external_id eq is case-exact", where("external_id", iam.FilterEq, "ENG"), fx.want("eng")},
		{"external_id eq lower case", where("external_id", iam.FilterEq, "eng"), fx.want("sales")},
		{"external_id ne holds where unset", where("external_id", iam.FilterNe, "ENG"), fx.but("eng")},
		{"external_id co backslash literally", where("external_id", iam.FilterContains, `\`), fx.want("empty")},
		{"external_id sw is case-exact", where("external_id", iam.FilterStartsWith, "e"), fx.want("sales")},
		{"external_id ew", where("external_id", iam.FilterEndsWith, "NG"), fx.want("eng")},
		{"external_id gt by bytes", where("external_id", iam.FilterGt, "Z"), fx.want("sales", "empty")},
		{"external_id pr", present("external_id"), fx.want("eng", "sales", "empty")},
		{"not external_id pr", negate(present("external_id")), fx.want("design", "equipe")},

		{"member eq", where("member", iam.FilterEq, ada), fx.want("eng", "sales")},
		{"member eq of one group", where("member", iam.FilterEq, grace), fx.want("eng")},
		{"member eq of another", where("member", iam.FilterEq, under), fx.want("design")},
		{"member eq of a user in none", where("member", iam.FilterEq, users.ids["per"]), fx.want()},
		{"member eq of another tenant's user", where("member", iam.FilterEq, elsewhere.ids["ada"]), fx.want()},
		{"member eq is case-exact", where("member", iam.FilterEq, strings.ToUpper(ada)), fx.want()},
		{"member pr", present("member"), fx.want("eng", "sales", "design")},
		{"not member pr", negate(present("member")), fx.want("equipe", "empty")},
		{"not member eq", negate(where("member", iam.FilterEq, ada)), fx.want("design", "equipe", "empty")},
		{"member eq and member eq", allOf(where("member", iam.FilterEq, ada), where("member", iam.FilterEq, grace)), fx.want("eng")},
		{"member eq or name eq", anyOf(where("member", iam.FilterEq, under), where("name", iam.FilterEq, "équipe")),
			fx.want("design", "equipe")},

		{"created_at eq", where("created_at", iam.FilterEq, minute(2)), fx.want("design")},
		{"created_at ge", where("created_at", iam.FilterGe, minute(3)), fx.want("equipe", "empty")},
		{"created_at lt", where("created_at", iam.FilterLt, minute(1)), fx.want("eng")},
		{"created_at pr", present("created_at"), all},
		{"updated_at gt", where("updated_at", iam.FilterGt, minute(59)), fx.want("eng")},
		{"updated_at le", where("updated_at", iam.FilterLe, minute(58)), fx.want("design", "equipe", "empty")},
		{"updated_at ne", where("updated_at", iam.FilterNe, minute(58)), fx.but("design")},
	}
	for _, tc := range cases {
		got, total, err := s.ListGroups(ctx, tn.ID, iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: iam.MaxLimit}, Filter: &tc.f})
		fx.check(t, tc.name+": ListGroups", ids(got, groupIDOf), total, err, tc.want, len(tc.want))
	}

	members := present("member")
	for _, tc := range []struct {
		name  string
		q     iam.GroupQuery
		want  []string
		total int
	}{
		{"filter and search", iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, Search: "E"}, Filter: ptr(where("member", iam.FilterEq, grace))},
			fx.want("eng"), 1},
		{"first page", iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 2}, Filter: &members}, fx.want("eng", "sales"), 3},
		{"start", iam.GroupQuery{ListParams: iam.ListParams{Start: 2, Limit: 2}, Filter: &members}, fx.want("design"), 3},
		{"sorted by name", iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 10, OrderBy: "name"}, Filter: &members},
			[]string{fx.ids["design"], eng, fx.ids["sales"]}, 3},
	} {
		got, total, err := s.ListGroups(ctx, tn.ID, tc.q)
		fx.check(t, tc.name+": ListGroups", ids(got, groupIDOf), total, err, tc.want, tc.total)
	}
}

// testFilterInvalid checks that a filter the fields do not take is
// CodeInvalid, never an internal error: each comes from a client.
func testFilterInvalid(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	createGroup(t, s, tn.ID, "Engineering")
	email := where("email", iam.FilterEq, "ada@example.com")
	many := make([]iam.Filter, 10000)
	for i := range many {
		many[i] = where("id", iam.FilterEq, u.ID)
	}
	both := []struct {
		name string
		f    iam.Filter
	}{
		{"empty filter", iam.Filter{}},
		{"unknown operator", where("id", "regex", ".*")},
		{"upper-case operator", where("id", "EQ", u.ID)},
		{"unknown field", where("password_hash", iam.FilterEq, "x")},
		{"field in another case", where("ID", iam.FilterEq, u.ID)},
		{"no field", where("", iam.FilterEq, "x")},
		{"text without value", where("id", iam.FilterEq, nil)},
		{"text with a number", where("id", iam.FilterEq, 1)},
		{"text with a bool", where("id", iam.FilterNe, true)},
		{"text with a time", where("id", iam.FilterGt, t0)},
		{"time with text", where("created_at", iam.FilterGt, "2025-03-14T00:00:00Z")},
		{"time with a time pointer", where("created_at", iam.FilterGt, &t0)},
		{"time co", where("created_at", iam.FilterContains, t0)},
		{"time sw", where("updated_at", iam.FilterStartsWith, t0)},
		{"pr with a value", iam.Filter{Op: iam.FilterPresent, Field: "id", Value: "x"}},
		{"comparison with terms", iam.Filter{Op: iam.FilterEq, Field: "id", Value: u.ID, Terms: []iam.Filter{present("id")}}},
		{"and without terms", allOf()},
		{"and of one", allOf(present("id"))},
		{"or of one", anyOf(present("id"))},
		{"not without a term", iam.Filter{Op: iam.FilterNot}},
		{"not of two", iam.Filter{Op: iam.FilterNot, Terms: []iam.Filter{present("id"), present("name")}}},
		{"and with a field", iam.Filter{Op: iam.FilterAnd, Field: "id", Terms: []iam.Filter{present("id"), present("name")}}},
		{"not with a value", iam.Filter{Op: iam.FilterNot, Value: "x", Terms: []iam.Filter{present("id")}}},
		{"invalid deep inside", allOf(present("id"), anyOf(present("name"), negate(where("bogus", iam.FilterEq, "x"))))},
		{"65 levels", nested(64, present("id"))},
		{"100 levels", nested(99, present("id"))},
		{"100 levels of and and or", func() iam.Filter {
			f := present("id")
			for i := range 99 {
				f = iam.Filter{Op: []iam.FilterOp{iam.FilterAnd, iam.FilterOr}[i%2], Terms: []iam.Filter{present("id"), f}}
			}
			return f
		}()},
		{"10000 comparisons", anyOf(many...)},
		{"201 comparisons", anyOf(many[:201]...)},
		{"10000 comparisons nested as SCIM does", chain(iam.FilterOr, 10000, func(int) iam.Filter { return present("id") })},
	}
	users := append(slices.Clone(both), []struct {
		name string
		f    iam.Filter
	}{
		{"email with a number", where("email", iam.FilterEq, 42)},
		{"bool co", where("email_verified", iam.FilterContains, true)},
		{"bool gt", where("email_verified", iam.FilterGt, false)},
		{"bool with text", where("email_verified", iam.FilterEq, "true")},
		{"group field", where("member", iam.FilterEq, u.ID)},
		{"nested in a valid and", allOf(email, where("email_verified", iam.FilterLe, true))},
	}...)
	for _, tc := range users {
		got, _, err := s.ListUsers(ctx, tn.ID, iam.UserQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}, Filter: &tc.f})
		wantCode(t, err, iam.CodeInvalid, tc.name+": ListUsers")
		if len(got) > 0 {
			t.Errorf("%s: ListUsers answered %d users with the error", tc.name, len(got))
		}
	}
	groups := append(slices.Clone(both), []struct {
		name string
		f    iam.Filter
	}{
		{"user field", email},
		{"member ne", where("member", iam.FilterNe, u.ID)},
		{"member co", where("member", iam.FilterContains, u.ID)},
		{"member gt", where("member", iam.FilterGt, u.ID)},
		{"member with a bool", where("member", iam.FilterEq, true)},
		{"member pr with a value", iam.Filter{Op: iam.FilterPresent, Field: "member", Value: u.ID}},
		{"name with a number", where("name", iam.FilterEq, 7)},
	}...)
	for _, tc := range groups {
		got, _, err := s.ListGroups(ctx, tn.ID, iam.GroupQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}, Filter: &tc.f})
		wantCode(t, err, iam.CodeInvalid, tc.name+": ListGroups")
		if len(got) > 0 {
			t.Errorf("%s: ListGroups answered %d groups with the error", tc.name, len(got))
		}
	}
}
