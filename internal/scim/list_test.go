package scim

import (
	"errors"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// TestCollectMatchesInMemory: a filter on attributes the database does not
// hold pages the matches, and refuses a superset too large to read.
func TestCollectMatchesInMemory(t *testing.T) {
	expr, err := resource.ParseFilter(`title eq "Boss"`)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]map[string]any, 250)
	for i := range rows {
		title := "Worker"
		if i%10 == 0 {
			title = "Boss"
		}
		rows[i] = map[string]any{"id": string(rune('a' + i%26)), "userName": "u@example.com", "title": title}
	}
	reads := 0
	list := func(p iam.ListParams) ([]map[string]any, int, error) {
		reads++
		from := min(p.Offset(), len(rows))
		return rows[from:min(from+p.Limit, len(rows))], len(rows), nil
	}
	render := func(r []map[string]any) ([]map[string]any, error) { return r, nil }
	p := iam.ListParams{Page: 1, Limit: maxResults}
	items, total, err := collect(resource.User, p, parsedFilter{match: expr}, 11, 10, list, render)
	if err != nil || total != 25 || len(items) != 10 || items[0]["title"] != "Boss" || reads != 3 {
		t.Fatalf("collect = %d items, total %d, %v after %d reads; want 10 of 25 in 3 reads", len(items), total, err, reads)
	}
	items, total, err = collect(resource.User, p, parsedFilter{match: expr}, 24, 10, list, render)
	if err != nil || total != 25 || len(items) != 2 {
		t.Fatalf("the last page: %d items, total %d, %v", len(items), total, err)
	}

	huge := func(iam.ListParams) ([]map[string]any, int, error) { return rows[:1], maxScan + 1, nil }
	_, _, err = collect(resource.User, p, parsedFilter{match: expr}, 1, 10, huge, render)
	var re *resource.Error
	if !errors.As(err, &re) || re.ScimType != "tooMany" {
		t.Fatalf("a superset over %d: %v; want tooMany", maxScan, err)
	}
}
