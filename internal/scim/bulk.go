package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// bulkRequest is RFC 7644 §3.7's BulkRequest.
type bulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors int             `json:"failOnErrors"`
	Operations   []bulkOperation `json:"Operations"`
}

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// bulkResult is one operation's entry in the BulkResponse.
type bulkResult struct {
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Location string          `json:"location,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
}

// recorder keeps what a handler answered one operation of a bulk request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}
func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

// bulk runs a BulkRequest's operations in order through the same handlers
// as single requests, each its own change: an operation that fails leaves
// the others as they are, and after failOnErrors failures the rest are not
// run (RFC 7644 §3.7). "bulkId:…" in an operation's data or path stands for
// the id of the resource an earlier operation created with that bulkId.
func (h *handlers) bulk(w http.ResponseWriter, r *http.Request) {
	var req bulkRequest
	if err := readBody(w, r, &req); err != nil {
		WriteError(w, r, err)
		return
	}
	if !containsFold(req.Schemas, bulkSchema) {
		WriteError(w, r, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: "schemas must hold " + bulkSchema})
		return
	}
	if len(req.Operations) > maxOperations {
		WriteError(w, r, &resource.Error{Status: http.StatusRequestEntityTooLarge, ScimType: "tooMany",
			Detail: "at most " + strconv.Itoa(maxOperations) + " operations per request"})
		return
	}
	ids := map[string]string{}
	results := make([]bulkResult, 0, len(req.Operations))
	failures := 0
	for _, op := range req.Operations {
		if req.FailOnErrors > 0 && failures >= req.FailOnErrors {
			break
		}
		res := h.bulkOne(r, op, ids)
		if code, _ := strconv.Atoi(res.Status); code >= 400 {
			failures++
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{bulkReplySchema}, "Operations": results})
}

// bulkOne runs one operation of a bulk request.
func (h *handlers) bulkOne(r *http.Request, op bulkOperation, ids map[string]string) bulkResult {
	res := bulkResult{Method: op.Method, BulkID: op.BulkID}
	fail := func(err error) bulkResult {
		status, body := errorOf(r, err)
		res.Status = strconv.Itoa(status)
		res.Response, _ = json.Marshal(body)
		return res
	}
	method := strings.ToUpper(op.Method)
	if method == http.MethodPost && op.BulkID == "" {
		return fail(&resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "a POST needs a bulkId"})
	}
	if _, taken := ids[op.BulkID]; method == http.MethodPost && taken {
		return fail(&resource.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "bulkId " + op.BulkID + " is used twice"})
	}
	path, data, err := resolveBulkIDs(op.Path, op.Data, ids)
	if err != nil {
		return fail(err)
	}
	kind, id, _ := strings.Cut(strings.Trim(path, "/"), "/")
	handler := h.bulkHandler(method, kind, id != "")
	if handler == nil || strings.Contains(id, "/") {
		return fail(&resource.Error{Status: http.StatusBadRequest, ScimType: "invalidPath", Detail: "no bulk operation " + op.Method + " " + op.Path})
	}
	sub, err := http.NewRequestWithContext(r.Context(), method, Prefix+strings.Trim(path, "/"), bytes.NewReader(data))
	if err != nil {
		return fail(&resource.Error{Status: http.StatusBadRequest, ScimType: "invalidPath", Detail: "the path is not a resource's"})
	}
	sub.Header.Set("Content-Type", contentType)
	if op.Version != "" {
		sub.Header.Set("If-Match", op.Version)
	}
	sub.SetPathValue("id", id)
	rec := &recorder{header: http.Header{}}
	handler(rec, sub)
	res.Status = strconv.Itoa(rec.status)
	res.Version = rec.header.Get("ETag")
	if rec.status >= 400 {
		res.Response = json.RawMessage(bytes.TrimSpace(rec.body.Bytes()))
		return res
	}
	var answered struct {
		ID   string `json:"id"`
		Meta struct {
			Location string `json:"location"`
		} `json:"meta"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &answered)
	res.Location = answered.Meta.Location
	if method == http.MethodPost && answered.ID != "" {
		ids[op.BulkID] = answered.ID
	}
	return res
}

// bulkHandler is the handler of a bulk operation on Users or Groups.
func (h *handlers) bulkHandler(method, kind string, one bool) http.HandlerFunc {
	type route struct {
		method, kind string
		one          bool
	}
	routes := map[route]http.HandlerFunc{
		{http.MethodPost, "Users", false}:   h.createUser,
		{http.MethodPut, "Users", true}:     h.replaceUser,
		{http.MethodPatch, "Users", true}:   h.patchUser,
		{http.MethodDelete, "Users", true}:  h.deleteUser,
		{http.MethodPost, "Groups", false}:  h.createGroup,
		{http.MethodPut, "Groups", true}:    h.replaceGroup,
		{http.MethodPatch, "Groups", true}:  h.patchGroup,
		{http.MethodDelete, "Groups", true}: h.deleteGroup,
	}
	return routes[route{method, kind, one}]
}

// resolveBulkIDs replaces "bulkId:x" in path and in data's strings with the
// id created under bulkId x. A reference to a bulkId not (yet) created is
// refused: operations run in the order sent.
func resolveBulkIDs(path string, data json.RawMessage, ids map[string]string) (string, []byte, error) {
	unresolved := func(ref string) error {
		return &resource.Error{Status: http.StatusConflict, ScimType: "invalidValue",
			Detail: "bulkId " + ref + " names no resource created before this operation"}
	}
	kind, id, found := strings.Cut(strings.Trim(path, "/"), "/")
	if ref, ok := strings.CutPrefix(id, "bulkId:"); found && ok {
		if ids[ref] == "" {
			return "", nil, unresolved(ref)
		}
		path = kind + "/" + ids[ref]
	}
	if len(data) == 0 || !bytes.Contains(data, []byte("bulkId:")) {
		return path, data, nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return "", nil, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: "data is not JSON"}
	}
	var missing string
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			if ref, ok := strings.CutPrefix(x, "bulkId:"); ok {
				if ids[ref] == "" {
					missing = ref
					return x
				}
				return ids[ref]
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		}
		return v
	}
	v = walk(v)
	if missing != "" {
		return "", nil, unresolved(missing)
	}
	b, err := json.Marshal(v)
	return path, b, err
}
