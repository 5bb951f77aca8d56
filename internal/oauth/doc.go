// Package oauth is the OAuth 2.0 and OpenID Connect transport: the /oauth2/*
// endpoints and the discovery documents under /.well-known/. It serves the
// JSON Web Key Set today; every error it answers takes the shape of RFC 6749
// §5.2, which OAuth clients parse.
package oauth
