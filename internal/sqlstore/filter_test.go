package sqlstore

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// TestFilterTablesKeepEveryField checks that the store keeps a column for
// each field iam lets a filter name, and for no other.
func TestFilterTablesKeepEveryField(t *testing.T) {
	for name, table := range map[string]filterTable{"users": userFilter, "groups": groupFilter} {
		for field := range table.fields {
			if _, ok := table.columns[field]; !ok {
				t.Errorf("%s: no column for the field %s", name, field)
			}
		}
		for field := range table.columns {
			if _, ok := table.fields[field]; !ok {
				t.Errorf("%s: a column for %s, which iam does not name", name, field)
			}
		}
	}
}

func newFilterStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"), "")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// TestFilterEqUsesIndex checks that the lookups SCIM clients make before
// they provision (userName eq, externalId eq) read one row through the
// unique index rather than the tenant's every row.
func TestFilterEqUsesIndex(t *testing.T) {
	s := newFilterStore(t)
	for _, tc := range []struct {
		table filterTable
		from  string
		f     iam.Filter
		index string
	}{
		{userFilter, "users", iam.Filter{Op: iam.FilterEq, Field: "email", Value: "Ada@Example.com"}, "users_email"},
		{userFilter, "users", iam.Filter{Op: iam.FilterEq, Field: "external_id", Value: "E1"}, "users_external_id"},
		{groupFilter, "groups", iam.Filter{Op: iam.FilterEq, Field: "external_id", Value: "G1"}, "groups_external_id"},
	} {
		cond, args, err := s.filterCondition(&tc.f, tc.table, []any{"tenant"})
		if err != nil {
			t.Fatalf("%s %s: %v", tc.from, tc.f.Field, err)
		}
		query := `EXPLAIN QUERY PLAN SELECT id FROM ` + tc.from + ` WHERE tenant_id = $1 AND ` + cond +
			s.orderClause("created_at", false, "id") + limitClause(len(args))
		rows, err := s.reader.QueryContext(t.Context(), query, append(args, 10, 0)...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var plan []string
		err = eachRow(rows, func(r *sql.Rows) error {
			var id, parent, unused int
			var detail string
			err := r.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if !strings.Contains(strings.Join(plan, "\n"), "INDEX "+tc.index+" ") {
			t.Errorf("%s %s eq: plan %q, want a search using %s", tc.from, tc.f.Field, plan, tc.index)
		}
	}
}

// TestFilterCombinationsRunUnprepared checks that filters combining
// comparisons, whose SQL takes ever new forms, leave SQLite's statement
// cache as it was, while single comparisons, of few forms, use it.
func TestFilterCombinationsRunUnprepared(t *testing.T) {
	s := newFilterStore(t)
	cached := func() int {
		c := s.queries.r.(*stmtCache)
		c.mu.RLock()
		defer c.mu.RUnlock()
		return len(c.stmts)
	}
	eq := func(v string) iam.Filter { return iam.Filter{Op: iam.FilterEq, Field: "email", Value: v} }
	list := iam.ListParams{Page: 1, Limit: 10}
	before := cached()
	terms := []iam.Filter{eq("a@example.com")}
	for i := range 20 {
		terms = append(terms, eq(strings.Repeat("b", i)+"@example.com"))
		f := iam.Filter{Op: iam.FilterOr, Terms: terms}
		if _, _, err := s.ListUsers(t.Context(), "tenant", iam.UserQuery{ListParams: list, Filter: &f}); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		g := iam.Filter{Op: iam.FilterNot, Terms: []iam.Filter{{Op: iam.FilterPresent, Field: "member"}}}
		if _, _, err := s.ListGroups(t.Context(), "tenant", iam.GroupQuery{ListParams: list, Filter: &g}); err != nil {
			t.Fatalf("ListGroups: %v", err)
		}
	}
	if n := cached(); n != before {
		t.Errorf("%d statements cached after combined filters, want %d", n, before)
	}
	for _, v := range []string{"a@example.com", "b@example.com"} {
		f := eq(v)
		if _, _, err := s.ListUsers(t.Context(), "tenant", iam.UserQuery{ListParams: list, Filter: &f}); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
	}
	// The count and the page.
	if n := cached(); n != before+2 {
		t.Errorf("%d statements cached after a single comparison twice, want %d", n, before+2)
	}
}
