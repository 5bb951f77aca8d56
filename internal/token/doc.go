// Package token issues and verifies Gatehouse's tokens: ES256-signed JWT access
// tokens with their JWKS, opaque refresh tokens, and the master key that seals
// signing keys at rest.
package token
