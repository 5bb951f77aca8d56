// Package account signs people in and out: password login, sessions, access
// and refresh tokens, and turning a presented access token into the request's
// principal.
package account
