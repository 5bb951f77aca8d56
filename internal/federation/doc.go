// Package federation is sign-in through external identity providers: a
// tenant's (or an organization's) OpenID Connect, OAuth 2.0 and SAML 2.0
// providers. Today it manages their descriptions; sign-in through them is
// built on these.
package federation
