// Package sdk is the Go client of Gatehouse and the middleware a resource
// server needs to accept Gatehouse's access tokens.
//
// It has three parts, usable separately:
//
//   - [Client] calls Gatehouse's REST API: the authorization API
//     ([Client.Check], [Client.CheckBatch], [Client.MyPermissions]), typed
//     management calls (users, organizations, permissions, roles) and
//     [Client.Do] for any other endpoint. Failed calls return an [*Error]
//     carrying Gatehouse's error shape {"code","message","details"}.
//   - [Verifier] checks access tokens offline: it fetches the issuer's JSON
//     Web Key Set from {issuer}/oauth2/keys on first use, caches the keys,
//     and refetches them when a token names a key id it has not seen (keys
//     rotate), at most once per refetch interval so that tokens with made-up
//     key ids cannot make it hammer Gatehouse. It accepts ES256 only unless
//     told otherwise, and checks the "typ", "iss", "aud", "exp" and "nbf" of
//     every token (RFC 9068 §4). Each tenant of a multi-tenant Gatehouse is
//     its own issuer: give the verifier that tenant's base URL, and
//     [WithTenant] its id.
//   - [Authenticate] and [RequirePermission] are net/http middleware.
//     Authenticate verifies the bearer token (RFC 6750 §2.1) and puts its
//     claims in the request's context; RequirePermission asks Gatehouse
//     whether the caller holds a permission. Both answer refusals in
//     Gatehouse's own error shape, so clients see one kind of error whether
//     Gatehouse or the resource server refused them.
//
// # Freshness
//
// Three caches trade freshness for speed; each has a bound:
//
//   - Permission decisions are cached by RequirePermission for 5 seconds by
//     default ([WithCacheTTL]; 0 turns the cache off). A role removed in
//     Gatehouse stops granting access at a resource server within that TTL
//     (plus Gatehouse's own propagation bound between its replicas).
//   - Verified tokens are cached by the Verifier until they expire
//     ([WithTokenCacheSize]; 0 turns the cache off). The Verifier only
//     checks signatures and lifetimes: a token of a session that ended is
//     accepted by Authenticate until it expires. RequirePermission asks
//     Gatehouse with the caller's own token, so it notices an ended session
//     (401 invalid_token) once its cached decision has expired.
//   - Keys are refetched when an unknown key id appears and at the latest
//     after [WithKeysMaxAge] (1 hour by default), so a key withdrawn from the
//     key set stops verifying tokens within that time (tokens the Verifier
//     already accepted stay accepted until they expire).
//
// All middleware fails closed: when Gatehouse cannot be reached or answers
// with a server error, requests get 503 {"code":"unavailable"}, never access.
package sdk
