package storetest

import (
	"slices"
	"testing"
)

func TestReferencingFirst(t *testing.T) {
	tables := []string{"tenants", "users", "sessions", "keys"}
	refs := []string{"users tenants", "sessions users", "sessions tenants"}
	order, err := referencingFirst(tables, refs)
	if err != nil {
		t.Fatalf("referencingFirst: %v", err)
	}
	if len(order) != len(tables) {
		t.Fatalf("order = %v, want every table once", order)
	}
	for _, r := range [][2]string{{"users", "tenants"}, {"sessions", "users"}, {"sessions", "tenants"}} {
		if slices.Index(order, r[0]) > slices.Index(order, r[1]) {
			t.Errorf("order = %v: %s, which references %s, comes after it", order, r[0], r[1])
		}
	}
	if _, err := referencingFirst([]string{"a", "b"}, []string{"a b", "b a"}); err == nil {
		t.Error("referencingFirst accepted tables referencing each other in a cycle")
	}
}
