package httpapi

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
)

// routes registers every REST operation: the whole surface in one place.
func (a *API) routes(api huma.API) {
	const v1 = "/api/v1"
	huma.Register(api, operation(http.MethodPost, v1+"/auth/login", "login", "Sign in with email and password", "auth", 200, false), a.login)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/refresh", "refresh", "Exchange a refresh token for new tokens", "auth", 200, false), a.refresh)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/logout", "logout", "End the caller's session", "auth", 204, true), a.logout)
	huma.Register(api, operation(http.MethodGet, v1+"/me", "get-me", "The caller's profile", "me", 200, true), a.me)
	huma.Register(api, operation(http.MethodPatch, v1+"/me", "update-me", "Change the caller's name (needs a session, not a token)", "me", 200, true), a.updateMe)
	huma.Register(api, operation(http.MethodDelete, v1+"/me", "delete-me", "Delete the caller's own account (after /auth/reauth)", "me", 204, true), a.deleteMe)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/register", "register", "Sign up under the tenant's signup policy", "auth", 201, false), a.register)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/email/verify", "verify-email", "Verify an email address with the link's token", "auth", 204, false), a.verifyEmail)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/email/resend", "resend-verification", "Mail a new verification link (always 202)", "auth", 202, false), a.resendVerification)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/email/confirm", "confirm-email-change", "Confirm an email change with the link's token", "auth", 204, false), a.confirmEmailChange)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/password/forgot", "forgot-password", "Mail a password reset link (always 202)", "auth", 202, false), a.forgotPassword)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/password/reset", "reset-password", "Set a new password with a reset link's token", "auth", 204, false), a.resetPassword)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/password-strength", "password-strength", "Score a password against the tenant's policy", "auth", 200, false), a.passwordStrength)
	a.mfaRoutes(api)
	huma.Register(api, operation(http.MethodPost, v1+"/me/password", "change-password", "Change the caller's password", "me", 204, true), a.changePassword)
	huma.Register(api, operation(http.MethodPost, v1+"/me/email", "change-email", "Start changing the caller's email address", "me", 202, true), a.changeEmail)
	huma.Register(api, operation(http.MethodGet, v1+"/me/sessions", "my-sessions", "The caller's active sessions", "me", 200, true), a.mySessions)
	huma.Register(api, operation(http.MethodDelete, v1+"/me/sessions/{id}", "end-my-session", "End one of the caller's sessions", "me", 204, true), a.endMySession)
	huma.Register(api, operation(http.MethodDelete, v1+"/me/sessions", "end-my-other-sessions", "End all the caller's sessions but this one", "me", 204, true), a.endMyOtherSessions)
	huma.Register(api, operation(http.MethodGet, v1+"/me/consents", "my-consents", "The applications the caller allowed, and their scopes", "me", 200, true), a.myConsents)
	huma.Register(api, operation(http.MethodDelete, v1+"/me/consents/{application_id}", "revoke-my-consent",
		"Withdraw the caller's consent to an application and end its grants", "me", 204, true), a.revokeMyConsent)
	huma.Register(api, operation(http.MethodPost, v1+"/me/tokens", "create-my-token", "Create a personal access token (needs a session, not a token)", "tokens", 201, true), a.createPAT)
	huma.Register(api, operation(http.MethodGet, v1+"/me/tokens", "list-my-tokens", "The caller's personal access tokens, newest first", "tokens", 200, true), a.listMyPATs)
	huma.Register(api, operation(http.MethodDelete, v1+"/me/tokens/{id}", "revoke-my-token", "Revoke one of the caller's personal access tokens", "tokens", 204, true), a.revokeMyPAT)
	huma.Register(api, operation(http.MethodGet, v1+"/users/{id}/tokens", "list-user-tokens", "A user's personal access tokens, newest first", "tokens", 200, true), a.listUserPATs)
	huma.Register(api, operation(http.MethodDelete, v1+"/users/{id}/tokens/{tid}", "revoke-user-token", "Revoke a user's personal access token", "tokens", 204, true), a.revokeUserPAT)
	huma.Register(api, operation(http.MethodPost, v1+"/scim/token", "create-scim-token", "Create the tenant's SCIM token, revoking the one before", "scim", 201, true), a.createSCIMToken)
	huma.Register(api, operation(http.MethodGet, v1+"/scim/token", "get-scim-token", "The tenant's SCIM token, without its secret", "scim", 200, true), a.getSCIMToken)
	huma.Register(api, operation(http.MethodDelete, v1+"/scim/token", "revoke-scim-token", "Revoke the tenant's SCIM token", "scim", 204, true), a.revokeSCIMToken)
	huma.Register(api, operation(http.MethodPost, v1+"/organizations/{id}/scim/token", "create-organization-scim-token",
		"Create an organization's SCIM token, revoking the one before: its client provisions the organization's users only", "scim", 201, true), a.createOrgSCIMToken)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations/{id}/scim/token", "get-organization-scim-token",
		"An organization's SCIM token, without its secret", "scim", 200, true), a.getOrgSCIMToken)
	huma.Register(api, operation(http.MethodDelete, v1+"/organizations/{id}/scim/token", "revoke-organization-scim-token",
		"Revoke an organization's SCIM token", "scim", 204, true), a.revokeOrgSCIMToken)

	huma.Register(api, operation(http.MethodPost, v1+"/auth/passkey/begin", "begin-passkey-login", "Start a passwordless sign-in with a passkey", "auth", 200, false), a.beginPasskeyLogin)
	huma.Register(api, operation(http.MethodPost, v1+"/auth/passkey/finish", "finish-passkey-login", "Sign in with a passkey's assertion", "auth", 200, false), a.finishPasskeyLogin)
	huma.Register(api, operation(http.MethodPost, v1+"/mfa/webauthn/register/begin", "begin-passkey-registration", "Start registering a passkey", "mfa", 200, true), a.beginPasskeyRegistration)
	huma.Register(api, operation(http.MethodPost, v1+"/mfa/webauthn/register/finish", "finish-passkey-registration", "Store a passkey from its attestation", "mfa", 201, true), a.finishPasskeyRegistration)
	huma.Register(api, operation(http.MethodGet, v1+"/mfa/webauthn", "list-passkeys", "The caller's passkeys, oldest first", "mfa", 200, true), a.listPasskeys)
	huma.Register(api, operation(http.MethodPatch, v1+"/mfa/webauthn/{id}", "rename-passkey", "Rename one of the caller's passkeys", "mfa", 200, true), a.renamePasskey)
	huma.Register(api, operation(http.MethodDelete, v1+"/mfa/webauthn/{id}", "delete-passkey", "Delete one of the caller's passkeys", "mfa", 204, true), a.deletePasskey)

	huma.Register(api, operation(http.MethodPost, v1+"/users", "create-user", "Create a user", "users", 201, true), a.createUser)
	huma.Register(api, operation(http.MethodGet, v1+"/users", "list-users", "List users", "users", 200, true), a.listUsers)
	huma.Register(api, operation(http.MethodGet, v1+"/users/{id}", "get-user", "Get a user", "users", 200, true), a.getUser)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/users/{id}", "update-user", "Update a user", "users", 200, true)), a.updateUser)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/users/{id}", "delete-user", "Delete a user", "users", 204, true)), a.deleteUser)
	huma.Register(api, operation(http.MethodPost, v1+"/users/{id}/disable", "disable-user", "Disable a user and end their sessions", "users", 200, true), a.disableUser)
	huma.Register(api, operation(http.MethodPost, v1+"/users/{id}/enable", "enable-user", "Enable a user", "users", 200, true), a.enableUser)
	huma.Register(api, operation(http.MethodPost, v1+"/users/{id}/password", "set-user-password", "Set a user's password or mail them a reset link", "users", 204, true), a.adminSetPassword)
	huma.Register(api, operation(http.MethodPost, v1+"/users/{id}/unlock", "unlock-user", "Clear a user's failed logins and lock", "users", 204, true), a.unlockUser)
	huma.Register(api, operation(http.MethodDelete, v1+"/users/{id}/sessions", "end-user-sessions", "End every session of a user", "sessions", 204, true), a.endUserSessions)
	huma.Register(api, operation(http.MethodGet, v1+"/users/{id}/credentials", "list-credentials", "A user's credentials, newest first", "credentials", 200, true), a.listCredentials)
	huma.Register(api, operation(http.MethodPost, v1+"/users/{id}/credentials", "create-credential", "Give a user a device or context password", "credentials", 201, true), a.createCredential)
	huma.Register(api, operation(http.MethodPatch, v1+"/users/{id}/credentials/{cid}", "set-credential-state", "Set a credential's state", "credentials", 200, true), a.setCredentialState)
	huma.Register(api, operation(http.MethodDelete, v1+"/users/{id}/credentials/{cid}", "delete-credential", "Delete a credential", "credentials", 204, true), a.deleteCredential)
	a.apiCredentialRoutes(api, v1+"/api-credentials", "api-credential", apicredential.APICredentials)
	a.apiCredentialRoutes(api, v1+"/service-credentials", "service-credential", apicredential.ServiceCredentials)
	huma.Register(api, verifyOperation(operation(http.MethodPost, v1+"/users/{id}/credentials/verify", "verify-credential", "Verify a user's password or recovery code", "credentials", 200, true)), a.verifyCredential)
	huma.Register(api, operation(http.MethodGet, v1+"/sessions", "list-sessions", "A user's active sessions", "sessions", 200, true), a.userSessions)
	huma.Register(api, operation(http.MethodDelete, v1+"/sessions/{id}", "end-session", "End a session", "sessions", 204, true), a.endSession)
	huma.Register(api, operation(http.MethodPost, v1+"/invitations", "invite", "Invite someone to sign up", "users", 201, true), a.invite)
	huma.Register(api, operation(http.MethodGet, v1+"/invitations", "list-invitations", "List invitations", "users", 200, true), a.listInvitations)
	huma.Register(api, operation(http.MethodDelete, v1+"/invitations/{id}", "withdraw-invitation", "Withdraw an invitation", "users", 204, true), a.withdrawInvitation)
	huma.Register(api, operation(http.MethodGet, v1+"/settings", "get-settings", "The tenant's policies", "settings", 200, true), a.getSettings)
	huma.Register(api, operation(http.MethodGet, v1+"/outbox", "list-outbox", "The mail outbox, newest first", "settings", 200, true), listOutboxHandler(a.outbox))
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/settings", "patch-settings", "Change the tenant's policies (JSON merge patch)", "settings", 200, true)), a.patchSettings)

	huma.Register(api, operation(http.MethodPost, v1+"/admin-roles", "create-admin-role", "Create an admin role", "admins", 201, true), a.createAdminRole)
	huma.Register(api, operation(http.MethodGet, v1+"/admin-roles", "list-admin-roles", "List admin roles", "admins", 200, true), a.listAdminRoles)
	huma.Register(api, operation(http.MethodGet, v1+"/admin-roles/{id}", "get-admin-role", "Get an admin role", "admins", 200, true), a.getAdminRole)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/admin-roles/{id}", "update-admin-role", "Update an admin role", "admins", 200, true)), a.updateAdminRole)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/admin-roles/{id}", "delete-admin-role", "Delete an admin role", "admins", 204, true)), a.deleteAdminRole)

	huma.Register(api, operation(http.MethodPost, v1+"/admins", "create-admin", "Create an admin", "admins", 201, true), a.createAdmin)
	huma.Register(api, operation(http.MethodGet, v1+"/admins", "list-admins", "List admins", "admins", 200, true), a.listAdmins)
	huma.Register(api, operation(http.MethodGet, v1+"/admins/{id}", "get-admin", "Get an admin with their admin roles", "admins", 200, true), a.getAdmin)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/admins/{id}", "update-admin", "Replace an admin's roles", "admins", 200, true)), a.updateAdmin)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/admins/{id}", "delete-admin", "Take every admin role from a user", "admins", 204, true)), a.deleteAdmin)

	huma.Register(api, operation(http.MethodPost, v1+"/tenants", "create-tenant", "Create a tenant", "tenants", 201, true), a.createTenant)
	huma.Register(api, operation(http.MethodGet, v1+"/tenants", "list-tenants", "List tenants", "tenants", 200, true), a.listTenants)
	huma.Register(api, operation(http.MethodGet, v1+"/tenants/{id}", "get-tenant", "Get a tenant", "tenants", 200, true), a.getTenant)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/tenants/{id}", "update-tenant", "Update a tenant", "tenants", 200, true)), a.updateTenant)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/tenants/{id}", "delete-tenant", "Delete a tenant and everything in it", "tenants", 204, true)), a.deleteTenant)

	huma.Register(api, operation(http.MethodGet, v1+"/audit-logs", "list-audit-logs", "Search the audit log, newest first", "audit", 200, true), a.listAudit)

	huma.Register(api, operation(http.MethodPost, v1+"/organizations", "create-organization", "Create an organization", "organizations", 201, true), a.createOrganization)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations", "list-organizations", "List organizations", "organizations", 200, true), a.listOrganizations)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations/{id}", "get-organization", "Get an organization by id or alias", "organizations", 200, true), a.getOrganization)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/organizations/{id}", "update-organization", "Update an organization", "organizations", 200, true)), a.updateOrganization)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/organizations/{id}", "delete-organization", "Delete an organization, its roles and memberships", "organizations", 204, true)), a.deleteOrganization)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations/{id}/members", "list-members", "List an organization's members", "organizations", 200, true), a.listMembers)
	huma.Register(api, operation(http.MethodPut, v1+"/organizations/{id}/members/{user_id}", "set-member", "Add a member or replace their roles here", "organizations", 200, true), a.setMember)
	huma.Register(api, operation(http.MethodDelete, v1+"/organizations/{id}/members/{user_id}", "remove-member", "End a membership", "organizations", 204, true), a.removeMember)
	huma.Register(api, operation(http.MethodGet, v1+"/me/organizations", "my-organizations", "The organizations the caller belongs to", "me", 200, true), a.myOrganizations)

	huma.Register(api, operation(http.MethodPost, v1+"/groups", "create-group", "Create a group", "groups", 201, true), a.createGroup)
	huma.Register(api, operation(http.MethodGet, v1+"/groups", "list-groups", "List groups", "groups", 200, true), a.listGroups)
	huma.Register(api, operation(http.MethodGet, v1+"/groups/{id}", "get-group", "Get a group", "groups", 200, true), a.getGroup)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/groups/{id}", "update-group", "Update a group", "groups", 200, true)), a.updateGroup)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/groups/{id}", "delete-group", "Delete a group", "groups", 204, true)), a.deleteGroup)
	huma.Register(api, operation(http.MethodGet, v1+"/groups/{id}/members", "list-group-members", "List a group's members", "groups", 200, true), a.listGroupMembers)
	huma.Register(api, operation(http.MethodPut, v1+"/groups/{id}/members/{user_id}", "add-group-member", "Put a user in a group", "groups", 204, true), a.addGroupMember)
	huma.Register(api, operation(http.MethodDelete, v1+"/groups/{id}/members/{user_id}", "remove-group-member", "Take a user out of a group", "groups", 204, true), a.removeGroupMember)
	huma.Register(api, operation(http.MethodGet, v1+"/groups/{id}/roles", "list-group-roles", "The roles a group carries", "groups", 200, true), a.groupRoles)
	huma.Register(api, operation(http.MethodPut, v1+"/groups/{id}/roles/{role_id}", "add-group-role", "Make a group carry a template role", "groups", 204, true), a.addGroupRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/groups/{id}/roles/{role_id}", "remove-group-role", "Stop a group carrying a role", "groups", 204, true), a.removeGroupRole)

	huma.Register(api, operation(http.MethodPost, v1+"/permissions", "create-permission", "Define an application permission", "roles", 201, true), a.createPermission)
	huma.Register(api, operation(http.MethodGet, v1+"/permissions", "list-permissions", "List application permissions", "roles", 200, true), a.listPermissions)
	huma.Register(api, operation(http.MethodGet, v1+"/permissions/{id}", "get-permission", "Get a permission", "roles", 200, true), a.getPermission)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/permissions/{id}", "update-permission", "Change a permission's description", "roles", 200, true)), a.updatePermission)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/permissions/{id}", "delete-permission", "Delete a permission and take it out of every role", "roles", 204, true)), a.deletePermission)
	huma.Register(api, operation(http.MethodPost, v1+"/roles", "create-role", "Create a role", "roles", 201, true), a.createRole)
	huma.Register(api, operation(http.MethodGet, v1+"/roles", "list-roles", "List roles", "roles", 200, true), a.listRoles)
	huma.Register(api, operation(http.MethodGet, v1+"/roles/{id}", "get-role", "Get a role", "roles", 200, true), a.getRole)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/roles/{id}", "update-role", "Update a role", "roles", 200, true)), a.updateRole)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/roles/{id}", "delete-role", "Delete a role", "roles", 204, true)), a.deleteRole)
	huma.Register(api, operation(http.MethodGet, v1+"/users/{id}/roles", "list-user-roles", "A user's tenant-wide roles", "roles", 200, true), a.userRoles)
	huma.Register(api, operation(http.MethodPut, v1+"/users/{id}/roles/{role_id}", "assign-user-role", "Give a user a template role tenant-wide", "roles", 204, true), a.assignUserRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/users/{id}/roles/{role_id}", "unassign-user-role", "Take a tenant-wide role from a user", "roles", 204, true), a.unassignUserRole)

	huma.Register(api, operation(http.MethodPost, v1+"/service-accounts", "create-service-account", "Create a service account", "service-accounts", 201, true), a.createServiceAccount)
	huma.Register(api, operation(http.MethodGet, v1+"/service-accounts", "list-service-accounts", "List service accounts", "service-accounts", 200, true), a.listServiceAccounts)
	huma.Register(api, operation(http.MethodGet, v1+"/service-accounts/{id}", "get-service-account", "Get a service account", "service-accounts", 200, true), a.getServiceAccount)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/service-accounts/{id}", "update-service-account", "Update a service account", "service-accounts", 200, true)), a.updateServiceAccount)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/service-accounts/{id}", "delete-service-account", "Delete a service account, its keys and memberships", "service-accounts", 204, true)), a.deleteServiceAccount)
	huma.Register(api, operation(http.MethodGet, v1+"/service-accounts/{id}/keys", "list-service-account-keys", "A service account's keys, newest first, without secrets", "service-accounts", 200, true), a.listServiceAccountKeys)
	huma.Register(api, operation(http.MethodPost, v1+"/service-accounts/{id}/keys", "create-service-account-key", "Create a client secret, register a public key or generate a key pair", "service-accounts", 201, true), a.createServiceAccountKey)
	huma.Register(api, operation(http.MethodDelete, v1+"/service-accounts/{id}/keys/{key_id}", "revoke-service-account-key", "Revoke a service account's key", "service-accounts", 204, true), a.revokeServiceAccountKey)

	huma.Register(api, operation(http.MethodGet, v1+"/service-accounts/{id}/roles", "list-service-account-roles", "A service account's tenant-wide roles", "roles", 200, true), a.serviceAccountRoles)
	huma.Register(api, operation(http.MethodPut, v1+"/service-accounts/{id}/roles/{role_id}", "assign-service-account-role", "Give a service account a template role tenant-wide", "roles", 204, true), a.assignServiceAccountRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/service-accounts/{id}/roles/{role_id}", "unassign-service-account-role", "Take a tenant-wide role from a service account", "roles", 204, true), a.unassignServiceAccountRole)
	huma.Register(api, operation(http.MethodGet, v1+"/service-accounts/{id}/organizations", "list-service-account-organizations", "The organizations a service account belongs to", "organizations", 200, true), a.serviceAccountOrganizations)
	huma.Register(api, operation(http.MethodPut, v1+"/organizations/{id}/service-accounts/{account_id}", "set-service-account-member", "Add a service account or replace its roles here", "organizations", 200, true), a.setServiceAccountMember)
	huma.Register(api, operation(http.MethodDelete, v1+"/organizations/{id}/service-accounts/{account_id}", "remove-service-account-member", "End a service account's membership", "organizations", 204, true), a.removeServiceAccountMember)
	huma.Register(api, operation(http.MethodGet, v1+"/service-accounts/{id}/admin-roles", "get-service-account-admin-roles", "The admin roles a service account holds", "admins", 200, true), a.getServiceAccountAdminRoles)
	huma.Register(api, preconditioned(operation(http.MethodPut, v1+"/service-accounts/{id}/admin-roles", "set-service-account-admin-roles", "Replace the admin roles a service account holds", "admins", 200, true)), a.setServiceAccountAdminRoles)
	huma.Register(api, operation(http.MethodPost, v1+"/federated/providers", "create-federated-provider",
		"Add an external identity provider (OIDC, OAuth 2.0 or SAML) of the tenant or of an organization", "federation", 201, true), a.createFederatedProvider)
	huma.Register(api, operation(http.MethodGet, v1+"/federated/providers", "list-federated-providers",
		"The tenant's external identity providers, by name", "federation", 200, true), a.listFederatedProviders)
	huma.Register(api, operation(http.MethodGet, v1+"/federated/providers/{id}", "get-federated-provider",
		"Get an external identity provider", "federation", 200, true), a.getFederatedProvider)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/federated/providers/{id}", "update-federated-provider",
		"Change an external identity provider", "federation", 200, true)), a.updateFederatedProvider)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/federated/providers/{id}", "delete-federated-provider",
		"Remove an external identity provider", "federation", 204, true)), a.deleteFederatedProvider)
	huma.Register(api, operation(http.MethodPost, v1+"/organizations/{id}/sso-setup-links", "create-sso-setup-link",
		"A one-time link for the organization's IT admin to set up its SSO and prove its domains (shown only now)", "federation", 201, true), a.createSetupLink)
	huma.Register(api, operation(http.MethodGet, v1+"/organizations/{id}/sso-setup-links", "list-sso-setup-links",
		"The organization's SSO set-up links, without their secrets, newest first", "federation", 200, true), a.listSetupLinks)
	huma.Register(api, operation(http.MethodDelete, v1+"/organizations/{id}/sso-setup-links/{link_id}", "revoke-sso-setup-link",
		"Revoke a set-up link: it stops working; what it set up stays", "federation", 204, true), a.revokeSetupLink)
	huma.Register(api, operation(http.MethodGet, v1+"/auth/providers", "sign-in-providers",
		"The external providers a sign-in page may offer; with email, the one its domain leads to first", "auth", 200, false), a.signInProviders)
	huma.Register(api, operation(http.MethodGet, v1+"/me/identities", "my-identities",
		"The external identities linked to the caller", "me", 200, true), a.myIdentities)
	huma.Register(api, operation(http.MethodDelete, v1+"/me/identities/{id}", "unlink-my-identity",
		"Unlink one of the caller's external identities (not their last way to sign in)", "me", 204, true), a.unlinkMyIdentity)
	huma.Register(api, operation(http.MethodGet, v1+"/users/{id}/identities", "list-user-identities",
		"The external identities linked to a user", "users", 200, true), a.userIdentities)
	huma.Register(api, operation(http.MethodDelete, v1+"/users/{id}/identities/{identity_id}", "unlink-user-identity",
		"Unlink one of a user's external identities", "users", 204, true), a.unlinkUserIdentity)
	huma.Register(api, operation(http.MethodPost, v1+"/applications", "create-application", "Register an OAuth application (its client secret is shown only now)", "applications", 201, true), a.createApplication)
	huma.Register(api, operation(http.MethodGet, v1+"/applications", "list-applications", "List applications", "applications", 200, true), a.listApplications)
	huma.Register(api, operation(http.MethodGet, v1+"/applications/{id}", "get-application", "Get an application", "applications", 200, true), a.getApplication)
	huma.Register(api, preconditioned(operation(http.MethodPatch, v1+"/applications/{id}", "update-application", "Change an application's settings", "applications", 200, true)), a.updateApplication)
	huma.Register(api, preconditioned(operation(http.MethodDelete, v1+"/applications/{id}", "delete-application", "Delete an application, its roles and role mappings", "applications", 204, true)), a.deleteApplication)
	huma.Register(api, operation(http.MethodPost, v1+"/applications/{id}/secret", "rotate-application-secret", "Issue a new client secret (shown only now); the old one stops working", "applications", 200, true), a.rotateApplicationSecret)
	huma.Register(api, operation(http.MethodGet, v1+"/applications/{id}/roles", "list-application-roles", "An application's roles, by name", "applications", 200, true), a.listApplicationRoles)
	huma.Register(api, operation(http.MethodPost, v1+"/applications/{id}/roles", "create-application-role", "Define a role of an application", "applications", 201, true), a.createApplicationRole)
	huma.Register(api, operation(http.MethodDelete, v1+"/applications/{id}/roles/{role}", "delete-application-role", "Delete an application's role and its mappings", "applications", 204, true), a.deleteApplicationRole)
	huma.Register(api, operation(http.MethodPost, v1+"/app-mappings", "create-app-mapping", "Give an application role to a user, a group or an organization", "roles", 201, true), a.createAppMapping)
	huma.Register(api, operation(http.MethodGet, v1+"/app-mappings", "list-app-mappings", "List application role mappings, oldest first", "roles", 200, true), a.listAppMappings)
	huma.Register(api, operation(http.MethodDelete, v1+"/app-mappings/{id}", "delete-app-mapping", "Delete an application role mapping", "roles", 204, true), a.deleteAppMapping)
	huma.Register(api, operation(http.MethodPost, v1+"/authz/check", "authz-check", "May a subject do this, here?", "authz", 200, true), a.check)
	huma.Register(api, operation(http.MethodPost, v1+"/authz/check-batch", "authz-check-batch", "Up to 100 checks at once", "authz", 200, true), a.checkBatch)
	huma.Register(api, operation(http.MethodGet, v1+"/me/permissions", "my-permissions", "The permissions the caller holds", "me", 200, true), a.myPermissions)
	huma.Register(api, operation(http.MethodPost, "/access/v1/evaluation", "authzen-evaluation", "AuthZEN access evaluation", "authzen", 200, true), a.evaluation)
	huma.Register(api, operation(http.MethodPost, "/access/v1/evaluations", "authzen-evaluations", "AuthZEN access evaluations (batch)", "authzen", 200, true), a.evaluations)
	huma.Register(api, operation(http.MethodGet, "/.well-known/authzen-configuration", "authzen-configuration", "AuthZEN policy decision point metadata", "authzen", 200, false), a.authzenConfiguration)
}
