// Package pat is personal access tokens: a user creates, lists and revokes
// their own (admins those of their tenant's users), and each works as a
// bearer secret on the REST API with its owner's system permissions,
// narrowed to its scopes. A token stops working at once when it is revoked
// or its owner is disabled, deleted or loses admin roles, and its use writes
// to the store at most once a minute.
package pat
