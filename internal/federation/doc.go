// Package federation is sign-in through external identity providers: a
// tenant's (or an organization's) OpenID Connect, OAuth 2.0 and SAML 2.0
// providers: their descriptions, and sign-in through OpenID Connect and
// OAuth 2.0 providers with the identities it links to users.
package federation
