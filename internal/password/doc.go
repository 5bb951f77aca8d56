// Package password hashes and judges passwords: argon2id hashing that bounds
// how many hashes run at once (so a login flood cannot exhaust memory), NFKC
// normalisation before anything else, the tenant-configurable policy (length,
// a list of 200,000 common and breached passwords, personal information,
// zxcvbn strength) and the strength estimate behind the strength endpoint.
package password
