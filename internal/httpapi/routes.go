package httpapi

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers every REST operation: the whole surface in one place.
func (a *API) routes(api huma.API) {
	const v1 = "/api/v1"
	huma.Register(api, operation(http.MethodPost, v1+"/auth/login", "login", "Sign in with email and password", "auth", 200, false), a.login)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/refresh", "refresh", "Exchange a refresh token for new tokens", "auth", 200, false), a.refresh)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/logout", "logout", "End the caller's session", "auth", 204, true), a.logout)
	huma.Register(api, operation(http.MethodGet, v1+"/me", "get-me", "The caller's profile", "me", 200, true), a.me)

	huma.Register(api, operation(http.MethodPost, v1+"/users", "create-user", "Create a user", "users", 201, true), a.createUser)
	huma.Register(api, operation(http.MethodGet, v1+"/users", "list-users", "List users", "users", 200, true), a.listUsers)
	huma.Register(api, operation(http.MethodGet, v1+"/users/{id}", "get-user", "Get a user", "users", 200, true), a.getUser)
	huma.Register(api, operation(http.MethodPatch, v1+"/users/{id}", "update-user", "Update a user", "users", 200, true), a.updateUser)
	huma.Register(api, operation(http.MethodDelete, v1+"/users/{id}", "delete-user", "Delete a user", "users", 204, true), a.deleteUser)
	huma.Register(api, operation(http.MethodPost, v1+"/users/{id}/disable", "disable-user", "Disable a user and end their sessions", "users", 200, true), a.disableUser)
	huma.Register(api, operation(http.MethodPost, v1+"/users/{id}/enable", "enable-user", "Enable a user", "users", 200, true), a.enableUser)

	huma.Register(api, operation(http.MethodPost, v1+"/admin-roles", "create-admin-role", "Create an admin role", "admins", 201, true), a.createAdminRole)
	huma.Register(api, operation(http.MethodGet, v1+"/admin-roles", "list-admin-roles", "List admin roles", "admins", 200, true), a.listAdminRoles)
	huma.Register(api, operation(http.MethodGet, v1+"/admin-roles/{id}", "get-admin-role", "Get an admin role", "admins", 200, true), a.getAdminRole)
	huma.Register(api, operation(http.MethodPatch, v1+"/admin-roles/{id}", "update-admin-role", "Update an admin role", "admins", 200, true), a.updateAdminRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/admin-roles/{id}", "delete-admin-role", "Delete an admin role", "admins", 204, true), a.deleteAdminRole)

	huma.Register(api, operation(http.MethodPost, v1+"/admins", "create-admin", "Create an admin", "admins", 201, true), a.createAdmin)
	huma.Register(api, operation(http.MethodGet, v1+"/admins", "list-admins", "List admins", "admins", 200, true), a.listAdmins)
	huma.Register(api, operation(http.MethodPatch, v1+"/admins/{id}", "update-admin", "Replace an admin's roles", "admins", 200, true), a.updateAdmin)
	huma.Register(api, operation(http.MethodDelete, v1+"/admins/{id}", "delete-admin", "Take every admin role from a user", "admins", 204, true), a.deleteAdmin)

	huma.Register(api, operation(http.MethodPost, v1+"/tenants", "create-tenant", "Create a tenant", "tenants", 201, true), a.createTenant)
	huma.Register(api, operation(http.MethodGet, v1+"/tenants", "list-tenants", "List tenants", "tenants", 200, true), a.listTenants)
	huma.Register(api, operation(http.MethodGet, v1+"/tenants/{id}", "get-tenant", "Get a tenant", "tenants", 200, true), a.getTenant)
	huma.Register(api, operation(http.MethodPatch, v1+"/tenants/{id}", "update-tenant", "Update a tenant", "tenants", 200, true), a.updateTenant)
	huma.Register(api, operation(http.MethodDelete, v1+"/tenants/{id}", "delete-tenant", "Delete a tenant and everything in it", "tenants", 204, true), a.deleteTenant)

	huma.Register(api, operation(http.MethodGet, v1+"/audit-logs", "list-audit-logs", "Search the audit log, newest first", "audit", 200, true), a.listAudit)

	huma.Register(api, operation(http.MethodPost, v1+"/organizations", "create-organization", "Create an organization", "organizations", 201, true), a.createOrganization)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations", "list-organizations", "List organizations", "organizations", 200, true), a.listOrganizations)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations/{id}", "get-organization", "Get an organization by id or alias", "organizations", 200, true), a.getOrganization)
	huma.Register(api, operation(http.MethodPatch, v1+"/organizations/{id}", "update-organization", "Update an organization", "organizations", 200, true), a.updateOrganization)
	huma.Register(api, operation(http.MethodDelete, v1+"/organizations/{id}", "delete-organization", "Delete an organization, its roles and memberships", "organizations", 204, true), a.deleteOrganization)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations/{id}/members", "list-members", "List an organization's members", "organizations", 200, true), a.listMembers)
	huma.Register(api, operation(http.MethodPut, v1+"/organizations/{id}/members/{user_id}", "set-member", "Add a member or replace their roles here", "organizations", 200, true), a.setMember)
	huma.Register(api, operation(http.MethodDelete, v1+"/organizations/{id}/members/{user_id}", "remove-member", "End a membership", "organizations", 204, true), a.removeMember)
	huma.Register(api, operation(http.MethodGet, v1+"/me/organizations", "my-organizations", "The organizations the caller belongs to", "me", 200, true), a.myOrganizations)

	huma.Register(api, operation(http.MethodPost, v1+"/groups", "create-group", "Create a group", "groups", 201, true), a.createGroup)
	huma.Register(api, operation(http.MethodGet, v1+"/groups", "list-groups", "List groups", "groups", 200, true), a.listGroups)
	huma.Register(api, operation(http.MethodGet, v1+"/groups/{id}", "get-group", "Get a group", "groups", 200, true), a.getGroup)
	huma.Register(api, operation(http.MethodPatch, v1+"/groups/{id}", "update-group", "Update a group", "groups", 200, true), a.updateGroup)
	huma.Register(api, operation(http.MethodDelete, v1+"/groups/{id}", "delete-group", "Delete a group", "groups", 204, true), a.deleteGroup)
	huma.Register(api, operation(http.MethodGet, v1+"/groups/{id}/members", "list-group-members", "List a group's members", "groups", 200, true), a.listGroupMembers)
	huma.Register(api, operation(http.MethodPut, v1+"/groups/{id}/members/{user_id}", "add-group-member", "Put a user in a group", "groups", 204, true), a.addGroupMember)
	huma.Register(api, operation(http.MethodDelete, v1+"/groups/{id}/members/{user_id}", "remove-group-member", "Take a user out of a group", "groups", 204, true), a.removeGroupMember)
	huma.Register(api, operation(http.MethodGet, v1+"/groups/{id}/roles", "list-group-roles", "The roles a group carries", "groups", 200, true), a.groupRoles)
	huma.Register(api, operation(http.MethodPut, v1+"/groups/{id}/roles/{role_id}", "add-group-role", "Make a group carry a template role", "groups", 204, true), a.addGroupRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/groups/{id}/roles/{role_id}", "remove-group-role", "Stop a group carrying a role", "groups", 204, true), a.removeGroupRole)

	huma.Register(api, operation(http.MethodPost, v1+"/permissions", "create-permission", "Define an application permission", "roles", 201, true), a.createPermission)
	huma.Register(api, operation(http.MethodGet, v1+"/permissions", "list-permissions", "List application permissions", "roles", 200, true), a.listPermissions)
	huma.Register(api, operation(http.MethodGet, v1+"/permissions/{id}", "get-permission", "Get a permission", "roles", 200, true), a.getPermission)
	huma.Register(api, operation(http.MethodPatch, v1+"/permissions/{id}", "update-permission", "Change a permission's description", "roles", 200, true), a.updatePermission)
	huma.Register(api, operation(http.MethodDelete, v1+"/permissions/{id}", "delete-permission", "Delete a permission and take it out of every role", "roles", 204, true), a.deletePermission)
	huma.Register(api, operation(http.MethodPost, v1+"/roles", "create-role", "Create a role", "roles", 201, true), a.createRole)
	huma.Register(api, operation(http.MethodGet, v1+"/roles", "list-roles", "List roles", "roles", 200, true), a.listRoles)
	huma.Register(api, operation(http.MethodGet, v1+"/roles/{id}", "get-role", "Get a role", "roles", 200, true), a.getRole)
	huma.Register(api, operation(http.MethodPatch, v1+"/roles/{id}", "update-role", "Update a role", "roles", 200, true), a.updateRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/roles/{id}", "delete-role", "Delete a role", "roles", 204, true), a.deleteRole)
	huma.Register(api, operation(http.MethodGet, v1+"/users/{id}/roles", "list-user-roles", "A user's tenant-wide roles", "roles", 200, true), a.userRoles)
	huma.Register(api, operation(http.MethodPut, v1+"/users/{id}/roles/{role_id}", "assign-user-role", "Give a user a template role tenant-wide", "roles", 204, true), a.assignUserRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/users/{id}/roles/{role_id}", "unassign-user-role", "Take a tenant-wide role from a user", "roles", 204, true), a.unassignUserRole)

	huma.Register(api, operation(http.MethodPost, v1+"/authz/check", "authz-check", "May a subject do this, here?", "authz", 200, true), a.check)
	huma.Register(api, operation(http.MethodPost, v1+"/authz/check-batch", "authz-check-batch", "Up to 100 checks at once", "authz", 200, true), a.checkBatch)
	huma.Register(api, operation(http.MethodGet, v1+"/me/permissions", "my-permissions", "The permissions the caller holds", "me", 200, true), a.myPermissions)
	huma.Register(api, operation(http.MethodPost, "/access/v1/evaluation", "authzen-evaluation", "AuthZEN access evaluation", "authzen", 200, true), a.evaluation)
	huma.Register(api, operation(http.MethodPost, "/access/v1/evaluations", "authzen-evaluations", "AuthZEN access evaluations (batch)", "authzen", 200, true), a.evaluations)
	huma.Register(api, operation(http.MethodGet, "/.well-known/authzen-configuration", "authzen-configuration", "AuthZEN policy decision point metadata", "authzen", 200, false), a.authzenConfiguration)
}
