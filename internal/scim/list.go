package scim

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// query is a list request: from the URL (GET) or a SearchRequest (POST
// .search, RFC 7644 §3.4.3).
type query struct {
	Schemas            []string `json:"schemas"`
	Filter             string   `json:"filter"`
	SortBy             string   `json:"sortBy"`
	SortOrder          string   `json:"sortOrder"`
	StartIndex         *int     `json:"startIndex"`
	Count              *int     `json:"count"`
	Attributes         []string `json:"attributes"`
	ExcludedAttributes []string `json:"excludedAttributes"`
}

// urlQuery reads a list request's URL parameters.
func urlQuery(r *http.Request) (query, error) {
	v := r.URL.Query()
	q := query{Filter: v.Get("filter"), SortBy: v.Get("sortBy"), SortOrder: v.Get("sortOrder"),
		Attributes: splitList(v.Get("attributes")), ExcludedAttributes: splitList(v.Get("excludedAttributes"))}
	for name, dst := range map[string]**int{"startIndex": &q.StartIndex, "count": &q.Count} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return q, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: name + " must be an integer"}
			}
			*dst = &n
		}
	}
	return q, nil
}

// searchQuery reads a SearchRequest body.
func searchQuery(w http.ResponseWriter, r *http.Request) (query, error) {
	var q query
	if err := readBody(w, r, &q); err != nil {
		return q, err
	}
	if !containsFold(q.Schemas, searchSchema) {
		return q, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: "schemas must hold " + searchSchema}
	}
	return q, nil
}

// page is the window of a list: rows skipped and at most how many returned.
func (q query) page() (start, count int) {
	start, count = 1, maxResults
	if q.StartIndex != nil && *q.StartIndex > 1 {
		start = *q.StartIndex
	}
	if q.Count != nil {
		count = min(max(*q.Count, 0), maxResults)
	}
	return start, count
}

// sortOrders are the store orders of the attributes a list sorts by.
var (
	userSorts  = map[string]string{"username": "email", "emails.value": "email", "displayname": "name", "name.formatted": "name", "meta.created": "created_at"}
	groupSorts = map[string]string{"displayname": "name", "meta.created": "created_at"}
)

// listParams is the store's part of q: the order and, for a filter the
// store answers exactly, the page.
func (q query) listParams(sorts map[string]string) (iam.ListParams, error) {
	p := iam.ListParams{Page: 1, Limit: maxResults}
	if q.SortBy != "" {
		order, ok := sorts[strings.ToLower(q.SortBy)]
		if !ok {
			return p, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "sortBy cannot be " + q.SortBy}
		}
		p.OrderBy = order
	}
	switch strings.ToLower(q.SortOrder) {
	case "", "ascending":
	case "descending":
		p.Desc = true
	default:
		return p, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "sortOrder is ascending or descending"}
	}
	return p, nil
}

// parsedFilter is a list's filter for the store, and the parsed SCIM filter
// when the store's is not exact and the rendered resources must be matched.
type parsedFilter struct {
	store *iam.Filter
	match filter.Expression
}

func parseFilter(rt resource.ResourceType, fields map[string]string, s string) (parsedFilter, error) {
	if strings.TrimSpace(s) == "" {
		return parsedFilter{}, nil
	}
	expr, err := resource.ParseFilter(s)
	if err != nil {
		return parsedFilter{}, err
	}
	if err := resource.ValidateFilter(rt, expr); err != nil {
		return parsedFilter{}, err
	}
	f, exact, err := storeFilter{fields: fields}.translate(expr, true)
	if err != nil {
		return parsedFilter{}, err
	}
	pf := parsedFilter{store: &f}
	if !exact {
		pf.match = expr
	}
	return pf, nil
}

// listResponse is RFC 7644 §3.4.2's ListResponse.
func listResponse(total, start int, items []map[string]any) map[string]any {
	resources := make([]any, len(items))
	for i, it := range items {
		resources[i] = it
	}
	return map[string]any{"schemas": []string{listSchema}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(items), "Resources": resources}
}

func (h *handlers) listUsers(w http.ResponseWriter, r *http.Request) {
	q, err := urlQuery(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h.answerUsers(w, r, q)
}

func (h *handlers) searchUsers(w http.ResponseWriter, r *http.Request) {
	q, err := searchQuery(w, r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h.answerUsers(w, r, q)
}

// answerUsers answers a list of users. A filter the store answers exactly
// is paged by the store; one naming attributes only the rendered resources
// hold reads every user the store's superset selects and matches each.
func (h *handlers) answerUsers(w http.ResponseWriter, r *http.Request, q query) {
	start, count := q.page()
	items, total, err := h.findUsers(r, q, start, count)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse(total, start, items))
}

// findUsers is the page [start, start+count) of the users q selects, and
// how many it selects.
func (h *handlers) findUsers(r *http.Request, q query, start, count int) ([]map[string]any, int, error) {
	ctx, base := r.Context(), h.base(r)
	pf, err := parseFilter(resource.User, userFields, q.Filter)
	if err != nil {
		return nil, 0, err
	}
	p, err := q.listParams(userSorts)
	if err != nil {
		return nil, 0, err
	}
	withGroups := readsGroups(ctx) && (pf.match != nil || !containsFold(q.ExcludedAttributes, "groups"))
	render := func(users []iam.User) ([]map[string]any, error) {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		kept, err := h.dir.ProvisionedAttributes(ctx, iam.SCIMUser, ids)
		if err != nil {
			return nil, err
		}
		groups := map[string][]iam.Group{}
		if withGroups {
			if groups, err = h.dir.GroupsOfUsers(ctx, ids); err != nil {
				return nil, err
			}
		}
		out := make([]map[string]any, 0, len(users))
		for i := range users {
			out = append(out, userResource(base, &users[i], kept[users[i].ID], groups[users[i].ID]))
		}
		return out, nil
	}
	list := func(p iam.ListParams) ([]iam.User, int, error) {
		return h.dir.ListUsers(ctx, iam.UserQuery{ListParams: p, Filter: pf.store})
	}
	items, total, err := collect(resource.User, p, pf, start, count, list, render)
	if err != nil {
		return nil, 0, filterError(err)
	}
	return project(resource.User, items, q), total, nil
}

func (h *handlers) listGroups(w http.ResponseWriter, r *http.Request) {
	q, err := urlQuery(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h.answerGroups(w, r, q)
}

func (h *handlers) searchGroups(w http.ResponseWriter, r *http.Request) {
	q, err := searchQuery(w, r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h.answerGroups(w, r, q)
}

// answerGroups answers a list of groups, as answerUsers does users.
func (h *handlers) answerGroups(w http.ResponseWriter, r *http.Request, q query) {
	start, count := q.page()
	items, total, err := h.findGroups(r, q, start, count)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse(total, start, items))
}

// findGroups is the page [start, start+count) of the groups q selects, and
// how many it selects.
func (h *handlers) findGroups(r *http.Request, q query, start, count int) ([]map[string]any, int, error) {
	ctx, base := r.Context(), h.base(r)
	pf, err := parseFilter(resource.Group, groupFields, q.Filter)
	if err != nil {
		return nil, 0, err
	}
	p, err := q.listParams(groupSorts)
	if err != nil {
		return nil, 0, err
	}
	withMembers := pf.match != nil || wantsMembersOf(q)
	render := func(groups []iam.Group) ([]map[string]any, error) {
		out := make([]map[string]any, 0, len(groups))
		for i := range groups {
			res, err := h.renderGroup(ctx, base, &groups[i], withMembers)
			if err != nil {
				return nil, err
			}
			out = append(out, res)
		}
		return out, nil
	}
	list := func(p iam.ListParams) ([]iam.Group, int, error) {
		return h.dir.ListGroups(ctx, iam.GroupQuery{ListParams: p, Filter: pf.store})
	}
	items, total, err := collect(resource.Group, p, pf, start, count, list, render)
	if err != nil {
		return nil, 0, filterError(err)
	}
	return project(resource.Group, items, q), total, nil
}

// searchAll answers a search at the root (RFC 7644 §3.4.3): the users the
// query selects, then the groups. A filter that names attributes one type
// does not have selects none of that type; a caller that may not read
// groups (an organization's client) finds users only.
func (h *handlers) searchAll(w http.ResponseWriter, r *http.Request) {
	q, err := searchQuery(w, r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	start, count := q.page()
	users, nUsers, userErr := h.findUsers(r, q, start, count)
	if userErr != nil && !invalidFilterError(userErr) {
		WriteError(w, r, userErr)
		return
	}
	var groups []map[string]any
	nGroups, groupErr := 0, error(nil)
	if readsGroups(r.Context()) {
		// The groups' window follows the users' in the one list.
		groupStart := max(start-nUsers, 1)
		groups, nGroups, groupErr = h.findGroups(r, q, groupStart, count-len(users))
		if groupErr != nil && !invalidFilterError(groupErr) {
			WriteError(w, r, groupErr)
			return
		}
	}
	if userErr != nil && (groupErr != nil || !readsGroups(r.Context())) {
		WriteError(w, r, userErr)
		return
	}
	writeJSON(w, http.StatusOK, listResponse(nUsers+nGroups, start, append(users, groups...)))
}

// invalidFilterError reports whether err refuses a filter.
func invalidFilterError(err error) bool {
	e, ok := errors.AsType[*resource.Error](err)
	return ok && e.ScimType == "invalidFilter"
}

// wantsMembersOf reports whether a list asks for members (see wantsMembers).
func wantsMembersOf(q query) bool {
	if len(q.Attributes) > 0 {
		return containsFold(q.Attributes, "members") || containsPrefixFold(q.Attributes, "members.")
	}
	return !containsFold(q.ExcludedAttributes, "members")
}

// maxScan bounds the resources a filter the database cannot answer exactly
// reads and matches one by one.
const maxScan = 10_000

// collect reads the page [start, start+count) of a list. With an exact
// filter the store pages; otherwise every row of the store's superset is
// read in store-sized pages, rendered and matched, and the page is cut from
// the matches.
func collect[T any](rt resource.ResourceType, p iam.ListParams, pf parsedFilter, start, count int,
	list func(iam.ListParams) ([]T, int, error), render func([]T) ([]map[string]any, error)) ([]map[string]any, int, error) {
	if pf.match == nil {
		p.Start, p.Limit = start-1, count
		rows, total, err := list(p)
		if err != nil {
			return nil, 0, err
		}
		items, err := render(rows)
		return items, total, err
	}
	var page []map[string]any
	matches := 0
	for p.Page = 1; ; p.Page++ {
		rows, total, err := list(p)
		if err != nil {
			return nil, 0, err
		}
		if total > maxScan {
			return nil, 0, &resource.Error{Status: http.StatusBadRequest, ScimType: "tooMany",
				Detail: "the filter names attributes the database does not hold and would read " + strconv.Itoa(total) +
					" resources; narrow it with userName, externalId, displayName, id, active or meta dates"}
		}
		items, err := render(rows)
		if err != nil {
			return nil, 0, err
		}
		for _, it := range items {
			if !resource.Match(rt, it, pf.match) {
				continue
			}
			// Only the page is kept: the others are counted.
			if matches++; matches >= start && len(page) < count {
				page = append(page, it)
			}
		}
		if len(rows) == 0 || p.Page*p.Limit >= total {
			return page, matches, nil
		}
	}
}

// project applies a list's attributes and excludedAttributes to each item.
func project(rt resource.ResourceType, items []map[string]any, q query) []map[string]any {
	for i, it := range items {
		items[i] = resource.Project(rt, it, q.Attributes, q.ExcludedAttributes)
	}
	return items
}

// filterError answers the store's refusal of a filter as SCIM's
// invalidFilter.
func filterError(err error) error {
	if e, ok := errors.AsType[*iam.Error](err); ok && e.Code == iam.CodeInvalid {
		if fields, ok := e.Details["fields"].(map[string]string); ok {
			if why, ok := fields["filter"]; ok {
				return invalidFilter(why)
			}
		}
	}
	return err
}

// splitList reads a comma-separated parameter.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func containsPrefixFold(list []string, prefix string) bool {
	for _, x := range list {
		if len(x) >= len(prefix) && strings.EqualFold(x[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}
