package scim

import (
	"context"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// renderGroup reads what renders a group: its kept attributes and, when
// withMembers, its members.
func (h *handlers) renderGroup(ctx context.Context, base string, g *iam.Group, withMembers bool) (map[string]any, error) {
	kept, err := h.dir.ProvisionedAttributes(ctx, iam.SCIMGroup, []string{g.ID})
	if err != nil {
		return nil, err
	}
	var members []string
	if withMembers {
		if members, err = h.dir.GroupMemberIDs(ctx, g.ID); err != nil {
			return nil, err
		}
	}
	return groupResource(base, g, kept[g.ID], members), nil
}

// wantsMembers reports whether an answer asks for members: Microsoft Entra
// ID and Okta leave them out with excludedAttributes=members, which spares
// reading every member of a large group.
func wantsMembers(r *http.Request) bool {
	q := r.URL.Query()
	if attrs := splitList(q.Get("attributes")); len(attrs) > 0 {
		return containsFold(attrs, "members") || containsPrefixFold(attrs, "members.")
	}
	return !containsFold(splitList(q.Get("excludedAttributes")), "members")
}

func (h *handlers) getGroup(w http.ResponseWriter, r *http.Request) {
	g, err := h.dir.GetGroup(r.Context(), r.PathValue("id"))
	h.answerGroup(w, r, http.StatusOK, g, wantsMembers(r), err)
}

func (h *handlers) createGroup(w http.ResponseWriter, r *http.Request) {
	in, err := readResource(w, r, resource.Group, provisionedGroup)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	g, err := h.dir.ProvisionGroup(r.Context(), in)
	h.answerGroup(w, r, http.StatusCreated, g, true, err)
}

func (h *handlers) replaceGroup(w http.ResponseWriter, r *http.Request) {
	in, err := readResource(w, r, resource.Group, provisionedGroup)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	pre, _ := precondition(r)
	g, err := h.dir.ReplaceProvisionedGroup(r.Context(), r.PathValue("id"), in, pre)
	h.answerGroup(w, r, http.StatusOK, g, true, err)
}

// answerGroup answers the group a call returned, with its members when
// withMembers, or its error.
func (h *handlers) answerGroup(w http.ResponseWriter, r *http.Request, status int, g *iam.Group, withMembers bool, err error) {
	var res map[string]any
	if err == nil {
		res, err = h.renderGroup(r.Context(), h.base(r), g, withMembers)
	}
	answer(w, r, status, resource.Group, res, err)
}

// patchGroup applies the operations to the group and its members as the
// directory holds them, within the transaction that writes the result, so
// that concurrent membership changes of one directory never lose each
// other. It answers 204, or the group when the request names attributes.
func (h *handlers) patchGroup(w http.ResponseWriter, r *http.Request) {
	ops, err := readPatch(w, r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	base := h.base(r)
	pre, _ := precondition(r)
	g, err := h.dir.UpdateProvisionedGroup(r.Context(), r.PathValue("id"), pre,
		func(g *iam.Group, kept []byte, members []string) (directory.ProvisionedGroup, error) {
			return patched(resource.Group, groupResource(base, g, kept, members), ops, provisionedGroup)
		})
	if err == nil && r.URL.Query().Get("attributes") == "" {
		// 204 (RFC 7644 §3.5.2), as Microsoft Entra ID and Okta expect:
		// rendering a large group's members for each change would cost more
		// than the change.
		w.Header().Set("ETag", etag(g.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.answerGroup(w, r, http.StatusOK, g, wantsMembers(r), err)
}

func (h *handlers) deleteGroup(w http.ResponseWriter, r *http.Request) {
	pre, _ := precondition(r)
	if err := h.dir.DeleteGroup(r.Context(), r.PathValue("id"), pre); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
