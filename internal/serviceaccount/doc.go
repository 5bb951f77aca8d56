// Package serviceaccount manages service accounts, the machine identities
// of a tenant, and their keys: client secrets that sign in as bearer tokens
// (and, for the OAuth provider, at the token endpoint) and public keys for
// private_key_jwt and the JWT-bearer grant. What an account holds (roles,
// memberships, admin roles) is managed beside what users hold, in access and
// directory.
package serviceaccount
