// Package password hashes and verifies passwords with argon2id, bounding how
// many hashes run at once so that a login flood cannot exhaust memory.
package password
