package httpapi

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers every /api/v1 operation: the whole REST surface in one place.
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
}
