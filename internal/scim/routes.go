package scim

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// Prefix is where the SCIM surface is served.
const Prefix = "/scim/v2/"

// The limits advertised in ServiceProviderConfig.
const (
	maxPayload    = 1 << 20
	maxResults    = iam.MaxLimit
	maxOperations = 1000
)

// handlers serve the SCIM routes over the directory.
type handlers struct {
	dir     *directory.Service
	baseURL func(*iam.Tenant) string
}

// Routes registers the SCIM endpoints on mux. baseURL gives a tenant's
// public base URL, which the resources' locations start with.
func Routes(mux *http.ServeMux, dir *directory.Service, baseURL func(*iam.Tenant) string) {
	h := &handlers{dir: dir, baseURL: baseURL}
	mux.HandleFunc("GET "+Prefix+"ServiceProviderConfig", h.serviceProviderConfig)
	mux.HandleFunc("GET "+Prefix+"Schemas", h.schemas)
	mux.HandleFunc("GET "+Prefix+"Schemas/{id}", h.schema)
	mux.HandleFunc("GET "+Prefix+"ResourceTypes", h.resourceTypes)
	mux.HandleFunc("GET "+Prefix+"ResourceTypes/{id}", h.resourceType)
	mux.HandleFunc("GET "+Prefix+"Users", h.listUsers)
	mux.HandleFunc("POST "+Prefix+"Users/.search", h.searchUsers)
	mux.HandleFunc("POST "+Prefix+"Users", h.createUser)
	mux.HandleFunc("GET "+Prefix+"Users/{id}", h.getUser)
	mux.HandleFunc("PUT "+Prefix+"Users/{id}", h.replaceUser)
	mux.HandleFunc("PATCH "+Prefix+"Users/{id}", h.patchUser)
	mux.HandleFunc("DELETE "+Prefix+"Users/{id}", h.deleteUser)
	mux.HandleFunc("GET "+Prefix+"Groups", h.listGroups)
	mux.HandleFunc("POST "+Prefix+"Groups/.search", h.searchGroups)
	mux.HandleFunc("POST "+Prefix+"Groups", h.createGroup)
	mux.HandleFunc("GET "+Prefix+"Groups/{id}", h.getGroup)
	mux.HandleFunc("PUT "+Prefix+"Groups/{id}", h.replaceGroup)
	mux.HandleFunc("PATCH "+Prefix+"Groups/{id}", h.patchGroup)
	mux.HandleFunc("DELETE "+Prefix+"Groups/{id}", h.deleteGroup)
	mux.HandleFunc("POST "+Prefix+"Bulk", h.bulk)
	mux.HandleFunc("POST "+Prefix+".search", h.searchAll)
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, &resource.Error{Status: http.StatusNotFound, Detail: "no such SCIM endpoint: " + r.Method + " " + r.URL.Path})
	})
}

// base is the URL the tenant's SCIM resources are under.
func (h *handlers) base(r *http.Request) string {
	return strings.TrimSuffix(h.baseURL(iam.TenantFrom(r.Context())), "/") + strings.TrimSuffix(Prefix, "/")
}

// writeJSON answers v as SCIM JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeResource answers one resource with its ETag and, when created, its
// location.
func writeResource(w http.ResponseWriter, r *http.Request, status int, res map[string]any) {
	m, _ := res["meta"].(map[string]any)
	if v, ok := m["version"].(string); ok {
		w.Header().Set("ETag", v)
	}
	if loc, ok := m["location"].(string); ok && status == http.StatusCreated {
		w.Header().Set("Location", loc)
	}
	writeJSON(w, status, res)
}

// answer writes res, or err. A read answers 304 when If-None-Match names
// the resource's version, and applies attributes and excludedAttributes.
func answer(w http.ResponseWriter, r *http.Request, status int, rt resource.ResourceType, res map[string]any, err error) {
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if r.Method == http.MethodGet {
		if notModified(w, r, res) {
			return
		}
		q := r.URL.Query()
		res = resource.Project(rt, res, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes")))
	}
	writeResource(w, r, status, res)
}

// readResource reads a resource a client sends whole (POST, PUT) into the
// schema's shape and what parse makes of it.
func readResource[T any](w http.ResponseWriter, r *http.Request, rt resource.ResourceType, parse func(map[string]any) (T, error)) (T, error) {
	var zero T
	var sent map[string]any
	if err := readBody(w, r, &sent); err != nil {
		return zero, err
	}
	res, err := canonical(rt, sent)
	if err != nil {
		return zero, err
	}
	return parse(res)
}

// patched applies a PATCH's operations to res and reads the result as
// parse does.
func patched[T any](rt resource.ResourceType, res map[string]any, ops []resource.Operation, parse func(map[string]any) (T, error)) (T, error) {
	if err := resource.Patch(rt, res, ops); err != nil {
		var zero T
		return zero, err
	}
	return parse(res)
}

// meta is a resource's meta attribute (RFC 7643 §3.1).
func meta(kind, location string, created, modified time.Time, version int64) map[string]any {
	return map[string]any{"resourceType": kind, "created": created.UTC().Format(time.RFC3339Nano),
		"lastModified": modified.UTC().Format(time.RFC3339Nano), "location": location, "version": etag(version)}
}

// etag is the weak entity tag of a resource at version, as SCIM's examples
// write them (RFC 7644 §3.14).
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// versions reads the versions an If-Match or If-None-Match header lists,
// weak or strong; any says the header is "*".
func versions(header string) (list []int64, any bool) {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" {
			return nil, true
		}
		if len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
			if v, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64); err == nil {
				list = append(list, v)
			}
		}
	}
	return list, false
}

// precondition is what a request's If-Match asks of the resource's
// version; stated reports whether it asked anything.
func precondition(r *http.Request) (pre iam.Precondition, stated bool) {
	header := strings.TrimSpace(r.Header.Get("If-Match"))
	if header == "" {
		return iam.Precondition{}, false
	}
	list, any := versions(header)
	if any {
		return iam.Precondition{}, false
	}
	return iam.IfVersion(list...), true
}

// notModified answers 304 when If-None-Match lists the resource's version.
func notModified(w http.ResponseWriter, r *http.Request, res map[string]any) bool {
	header := strings.TrimSpace(r.Header.Get("If-None-Match"))
	if header == "" {
		return false
	}
	m, _ := res["meta"].(map[string]any)
	current, _ := m["version"].(string)
	list, any := versions(header)
	have, _ := versions(current)
	if any || (len(have) == 1 && slices.Contains(list, have[0])) {
		w.Header().Set("ETag", current)
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// readBody decodes a request's JSON object into v, refusing other media
// types, bodies over maxPayload and anything but one JSON value.
func readBody(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != contentType && mt != "application/json") {
			return &resource.Error{Status: http.StatusUnsupportedMediaType, Detail: "send application/scim+json"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPayload))
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &resource.Error{Status: http.StatusRequestEntityTooLarge, ScimType: "tooLarge",
				Detail: "the request is larger than " + strconv.Itoa(maxPayload) + " bytes"}
		}
		return &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: decodeDetail(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: "the body holds more than one JSON value"}
	}
	return nil
}

// decodeDetail says what is wrong with a body in JSON's terms, not Go's.
func decodeDetail(err error) string {
	var syntax *json.SyntaxError
	var typed *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "the body is not valid JSON (at byte " + strconv.FormatInt(syntax.Offset, 10) + ")"
	case errors.As(err, &typed) && typed.Field != "":
		return typed.Field + " cannot be a JSON " + typed.Value
	case errors.As(err, &typed):
		return "the body must be a JSON object, not a JSON " + typed.Value
	}
	return "the body is not a JSON object"
}

// serverAttributes are what a client may send in a resource but the server
// sets: they are dropped from what it sends (RFC 7644 §3.3).
var serverAttributes = []string{"id", "meta", "schemas"}

// canonical turns a resource a client sent into the schema's shape: known
// attributes in their canonical spelling, values checked against their
// types, server-set and read-only attributes dropped.
func canonical(rt resource.ResourceType, sent map[string]any) (map[string]any, error) {
	body := make(map[string]any, len(sent))
	for k, v := range sent {
		if !containsFold(serverAttributes, k) && !strings.EqualFold(k, "groups") && known(rt, k) {
			body[k] = v
		}
	}
	res := map[string]any{}
	if len(body) == 0 {
		return res, nil
	}
	if err := resource.Patch(rt, res, []resource.Operation{{Op: "replace", Value: body}}); err != nil {
		return nil, err
	}
	return res, nil
}

// known reports whether key names an attribute of rt or one of its
// extensions: a client's attributes of schemas not served (Microsoft Entra
// ID's custom extensions, say) are dropped, as RFC 7644 §3.3 lets a server
// ignore them.
func known(rt resource.ResourceType, key string) bool {
	for _, ext := range rt.Extensions {
		if strings.EqualFold(ext.ID, key) {
			return true
		}
	}
	path, err := filter.ParseAttrPath([]byte(key))
	if err != nil {
		return false
	}
	_, ok := rt.Attribute(path)
	return ok
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
