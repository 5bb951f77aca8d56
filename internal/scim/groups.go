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
	if err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := h.renderGroup(r.Context(), h.base(r), g, wantsMembers(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if notModified(w, r, res) {
		return
	}
	q := r.URL.Query()
	writeResource(w, r, http.StatusOK, resource.Project(resource.Group, res, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes"))))
}

func (h *handlers) createGroup(w http.ResponseWriter, r *http.Request) {
	var sent map[string]any
	if err := readBody(w, r, &sent); err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := canonical(resource.Group, sent)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	in, err := provisionedGroup(res)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	g, err := h.dir.ProvisionGroup(r.Context(), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := h.renderGroup(r.Context(), h.base(r), g, true)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeResource(w, r, http.StatusCreated, out)
}

func (h *handlers) replaceGroup(w http.ResponseWriter, r *http.Request) {
	var sent map[string]any
	if err := readBody(w, r, &sent); err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := canonical(resource.Group, sent)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	in, err := provisionedGroup(res)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	pre, _ := precondition(r)
	g, err := h.dir.ReplaceProvisionedGroup(r.Context(), r.PathValue("id"), in, pre)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := h.renderGroup(r.Context(), h.base(r), g, true)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeResource(w, r, http.StatusOK, out)
}

// patchGroup applies the operations to the group and its members as the
// directory holds them, within the transaction that writes the result, so
// that concurrent membership changes of one directory never lose each
// other.
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
			res := groupResource(base, g, kept, members)
			if err := resource.Patch(resource.Group, res, ops); err != nil {
				return directory.ProvisionedGroup{}, err
			}
			return provisionedGroup(res)
		})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := h.renderGroup(r.Context(), base, g, wantsMembers(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeResource(w, r, http.StatusOK, out)
}

func (h *handlers) deleteGroup(w http.ResponseWriter, r *http.Request) {
	pre, _ := precondition(r)
	if err := h.dir.DeleteGroup(r.Context(), r.PathValue("id"), pre); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
