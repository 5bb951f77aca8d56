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
	groups := map[string][]iam.Group{}
	if readsGroups(ctx) {
		if groups, err = h.dir.GroupsOfUsers(ctx, []string{u.ID}); err != nil {
			return nil, err
		}
	}
	return userResource(base, u, kept[u.ID], groups[u.ID]), nil
}

// readsGroups reports whether the caller may see groups: an organization's
// client provisions users only.
func readsGroups(ctx context.Context) bool {
	p := iam.PrincipalFrom(ctx)
	return p != nil && permission.Allowed(p.Permissions, permission.GroupsRead)
}

func (h *handlers) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.dir.GetUser(r.Context(), r.PathValue("id"))
	h.answerUser(w, r, http.StatusOK, u, err)
}

func (h *handlers) createUser(w http.ResponseWriter, r *http.Request) {
	in, err := readResource(w, r, resource.User, provisionedUser)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	u, err := h.dir.ProvisionUser(r.Context(), in)
	h.answerUser(w, r, http.StatusCreated, u, err)
}

// replaceUser sets the user to what the client sent. A PUT without active
// leaves the status as it is: it does not enable a user an admin disabled.
func (h *handlers) replaceUser(w http.ResponseWriter, r *http.Request) {
	sentActive := false
	in, err := readResource(w, r, resource.User, func(res map[string]any) (directory.ProvisionedUser, error) {
		_, sentActive = res["active"]
		return provisionedUser(res)
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	pre, _ := precondition(r)
	u, err := h.dir.UpdateProvisionedUser(r.Context(), r.PathValue("id"), pre,
		func(u *iam.User, _ []byte, _ []iam.Group) (directory.ProvisionedUser, error) {
			if !sentActive {
				in.Active = u.Status == iam.UserActive
			}
			return in, nil
		})
	h.answerUser(w, r, http.StatusOK, u, err)
}

// answerUser answers the user a call returned, or its error.
func (h *handlers) answerUser(w http.ResponseWriter, r *http.Request, status int, u *iam.User, err error) {
	var res map[string]any
	if err == nil {
		res, err = h.renderUser(r.Context(), h.base(r), u)
	}
	answer(w, r, status, resource.User, res, err)
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
	values := 0
	for _, op := range body.Operations {
		values += countValues(op.Value)
	}
	if len(body.Operations) > maxOperations || values > maxOperations {
		return nil, &resource.Error{Status: http.StatusBadRequest, ScimType: "tooMany",
			Detail: "at most 1000 operations, and 1000 values in lists, a PATCH"}
	}
	return body.Operations, nil
}

// countValues counts the elements of the lists in an operation's value.
func countValues(v any) int {
	switch x := v.(type) {
	case []any:
		n := len(x)
		for _, el := range x {
			n += countValues(el)
		}
		return n
	case map[string]any:
		n := 0
		for _, el := range x {
			n += countValues(el)
		}
		return n
	}
	return 0
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
			return patched(resource.User, userResource(base, u, kept, groups), ops, provisionedUser)
		})
	h.answerUser(w, r, http.StatusOK, u, err)
}

func (h *handlers) deleteUser(w http.ResponseWriter, r *http.Request) {
	pre, _ := precondition(r)
	if err := h.dir.DeleteUser(r.Context(), r.PathValue("id"), pre); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
