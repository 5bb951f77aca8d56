package scim

import (
	"context"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// renderUser reads what renders a user: the user, their kept attributes and
// their groups.
func (h *handlers) renderUser(ctx context.Context, base string, u *iam.User) (map[string]any, error) {
	kept, err := h.dir.ProvisionedAttributes(ctx, iam.SCIMUser, []string{u.ID})
	if err != nil {
		return nil, err
	}
	var groups []iam.Group
	if readsGroups(ctx) {
		if groups, err = h.dir.UserGroups(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	return userResource(base, u, kept[u.ID], groups), nil
}

// readsGroups reports whether the caller may see groups: an organization's
// client provisions users only.
func readsGroups(ctx context.Context) bool {
	p := iam.PrincipalFrom(ctx)
	return p != nil && permission.Allowed(p.Permissions, permission.GroupsRead)
}

func (h *handlers) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.dir.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := h.renderUser(r.Context(), h.base(r), u)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if notModified(w, r, res) {
		return
	}
	q := r.URL.Query()
	writeResource(w, r, http.StatusOK, resource.Project(resource.User, res, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes"))))
}

func (h *handlers) createUser(w http.ResponseWriter, r *http.Request) {
	var sent map[string]any
	if err := readBody(w, r, &sent); err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := canonical(resource.User, sent)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	in, err := provisionedUser(res)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	u, err := h.dir.ProvisionUser(r.Context(), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := h.renderUser(r.Context(), h.base(r), u)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeResource(w, r, http.StatusCreated, out)
}

func (h *handlers) replaceUser(w http.ResponseWriter, r *http.Request) {
	var sent map[string]any
	if err := readBody(w, r, &sent); err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := canonical(resource.User, sent)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	in, err := provisionedUser(res)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	pre, _ := precondition(r)
	u, err := h.dir.ReplaceProvisionedUser(r.Context(), r.PathValue("id"), in, pre)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := h.renderUser(r.Context(), h.base(r), u)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeResource(w, r, http.StatusOK, out)
}

// patchBody is a PatchOp message (RFC 7644 §3.5.2).
type patchBody struct {
	Schemas    []string             `json:"schemas"`
	Operations []resource.Operation `json:"Operations"`
}

// readPatch reads a PatchOp message.
func readPatch(w http.ResponseWriter, r *http.Request) ([]resource.Operation, error) {
	var body patchBody
	if err := readBody(w, r, &body); err != nil {
		return nil, err
	}
	if !containsFold(body.Schemas, patchSchema) {
		return nil, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: "schemas must hold " + patchSchema}
	}
	if len(body.Operations) == 0 {
		return nil, &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: "Operations must hold at least one operation"}
	}
	if len(body.Operations) > maxOperations {
		return nil, &resource.Error{Status: http.StatusBadRequest, ScimType: "tooMany", Detail: "at most 1000 operations"}
	}
	return body.Operations, nil
}

// patchUser applies the operations to the user as the directory holds it,
// within the transaction that writes the result: concurrent changes wait
// their turn and none is lost.
func (h *handlers) patchUser(w http.ResponseWriter, r *http.Request) {
	ops, err := readPatch(w, r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	base := h.base(r)
	pre, _ := precondition(r)
	u, err := h.dir.UpdateProvisionedUser(r.Context(), r.PathValue("id"), pre,
		func(u *iam.User, kept []byte, groups []iam.Group) (directory.ProvisionedUser, error) {
			res := userResource(base, u, kept, groups)
			if err := resource.Patch(resource.User, res, ops); err != nil {
				return directory.ProvisionedUser{}, err
			}
			return provisionedUser(res)
		})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := h.renderUser(r.Context(), base, u)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	writeResource(w, r, http.StatusOK, out)
}

func (h *handlers) deleteUser(w http.ResponseWriter, r *http.Request) {
	pre, _ := precondition(r)
	if err := h.dir.DeleteUser(r.Context(), r.PathValue("id"), pre); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
