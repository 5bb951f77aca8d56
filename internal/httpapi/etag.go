package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// ETagHeader is the ETag header of an answer about one resource.
type ETagHeader struct {
	ETag string `header:"ETag" doc:"The resource's version; send it as If-Match to change the resource only if nobody changed it since"`
}

// etag is the strong ETag of a record at version (RFC 9110 §8.8.3).
func etag(version int64) ETagHeader {
	return ETagHeader{ETag: `"` + strconv.FormatInt(version, 10) + `"`}
}

// IfMatch is the If-Match header of a request changing one resource (RFC 9110
// §13.1.1): the change happens only if the resource's current ETag is listed,
// or, with *, if it exists; otherwise the answer is 412 precondition_failed.
type IfMatch struct {
	IfMatch string `header:"If-Match" doc:"Change the resource only if its ETag is one of these (or * for any); else 412 precondition_failed"`
}

// precondition is what the header asks of the resource's version. Weak tags
// (W/"…") and tags Gatehouse never issued match nothing: If-Match compares
// strongly.
func (m IfMatch) precondition() iam.Precondition {
	header := strings.TrimSpace(m.IfMatch)
	if header == "" || header == "*" {
		// "*" asks only that the resource exists, which every change needs.
		return iam.Precondition{}
	}
	var versions []int64
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			continue
		}
		if v, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64); err == nil {
			versions = append(versions, v)
		}
	}
	return iam.IfVersion(versions...)
}

// idIfMatch is the path and If-Match header of a request deleting a resource.
type idIfMatch struct {
	IDPath
	IfMatch
}

// preconditioned documents that op honours If-Match and may answer 412.
func preconditioned(op huma.Operation) huma.Operation {
	op.Errors = append(op.Errors, http.StatusPreconditionFailed)
	return op
}

// takesIfMatch reports whether the operation's input reads If-Match (embeds
// IfMatch), and so checks it against the resource's ETag itself.
func takesIfMatch(op *huma.Operation) bool {
	return slices.ContainsFunc(op.Parameters, func(p *huma.Param) bool {
		return p.In == "header" && strings.EqualFold(p.Name, "If-Match")
	})
}

// refuseUntaggedIfMatch answers 412 to a PUT, PATCH or DELETE whose If-Match
// lists entity tags when the operation's resource has no ETag (relationships
// such as memberships): no tag can match (RFC 9110 §13.1.1), and ignoring the
// header would let the client believe its change was conditional.
func refuseUntaggedIfMatch(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		conditional := op.Method == http.MethodPut || op.Method == http.MethodPatch || op.Method == http.MethodDelete
		header := strings.TrimSpace(ctx.Header("If-Match"))
		if !conditional || header == "" || header == "*" || takesIfMatch(op) {
			next(ctx)
			return
		}
		err := &iam.Error{Code: iam.CodePreconditionFailed, Message: "this resource has no ETag, so no If-Match tag can match; send the change without If-Match"}
		_ = huma.WriteErr(api, ctx, http.StatusPreconditionFailed, err.Message, err)
	}
}
