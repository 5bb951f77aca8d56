// Package pages is the hosted HTML surface: sign-in, sign-up, the pages
// every mail links to, and account self-service. Pages are rendered on the
// server with html/template from files embedded in the binary and work
// without JavaScript; the one script (passkeys) is a file under the
// Content-Security-Policy. Each handler is thin: it reads a form, checks its
// CSRF token, calls the same services as the REST API and renders the
// answer in the tenant's look and the visitor's language.
package pages
