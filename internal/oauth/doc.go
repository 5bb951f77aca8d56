// Package oauth is the OAuth 2.0 authorization server and OpenID provider:
// the /oauth2/* endpoints and the discovery documents under /.well-known/,
// one issuer per tenant at the tenant's base URL.
//
// zitadel/oidc's op package parses and checks the protocol; storage answers
// it from Gatehouse's stores. An authorization request waits in the store
// for its user, whom the browser's session (the hosted pages' sign-in)
// provides; its code is exchanged once. A user's grant to an application is
// a session of that application: its refresh tokens rotate with reuse
// detection like a sign-in's, and revoking it ends its access tokens.
// Access tokens are Gatehouse's own RFC 9068 JWTs, signed ES256; ID tokens
// are RS256 unless the application asks for another algorithm. Every error
// takes the shape of RFC 6749 §5.2, which OAuth clients parse.
package oauth
