// Package application manages a tenant's OAuth 2.0 / OpenID Connect
// clients: their settings, validated by type (web, spa, native, machine),
// their client secrets, and the roles each application defines with the
// mappings that give those roles to users, groups and organizations. The
// OAuth provider reads applications through VerifyClientSecret and RolesFor;
// this package knows nothing of HTTP.
package application
