// Package secret is the one format of Gatehouse's machine secrets: personal
// access tokens, API and service credentials, service-account and
// application client secrets, SCIM tokens, refresh tokens, browser-session
// cookies and SSO set-up links.
//
// A secret is <prefix><43 base62 characters: 256 random bits><6 base62
// characters: CRC-32 of what precedes>. The prefix names the kind, so that
// secret scanners and people recognise a leak; the checksum lets a typo or a
// truncated paste fail before any lookup. Secrets carry 256 bits, so their
// stored form is a plain SHA-256 (Hash), found in O(1).
package secret

import (
	"crypto/rand"
	"hash/crc32"
	"math/big"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Kind is a kind of secret, named by its prefix.
type Kind string

// The kinds of secret. Each prefix ends in an underscore and no prefix is
// the start of another.
const (
	PersonalAccessToken Kind = "gtpat_"
	APICredential       Kind = "gtapi_"
	ServiceCredential   Kind = "gtsvc_"
	ClientSecret        Kind = "gtcli_"
	SCIMToken           Kind = "gtscim_"
	RefreshToken        Kind = "gtref_"
	BrowserSession      Kind = "gtses_"
	ApplicationSecret   Kind = "gtapp_"
	SetupLink           Kind = "gtsso_"
)

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	randomLen   = 43 // 62^43 > 2^256
	checksumLen = 6  // 62^6 > 2^32
)

var kinds = []Kind{PersonalAccessToken, APICredential, ServiceCredential, ClientSecret, SCIMToken, RefreshToken, BrowserSession, ApplicationSecret,
	SetupLink}

// New returns a new secret of kind k.
func New(k Kind) string {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256)) // crypto/rand never fails (Go 1.24+).
	body := string(k) + encode(n, randomLen)
	return body + checksum(body)
}

// Parse returns the kind of raw if it is a well-formed secret: a known
// prefix, the right length, base62 only, and a checksum that matches. It
// does not tell whether the secret exists.
func Parse(raw string) (Kind, bool) {
	for _, k := range kinds {
		rest, ok := strings.CutPrefix(raw, string(k))
		if !ok {
			continue
		}
		if len(rest) != randomLen+checksumLen || strings.Trim(rest, alphabet) != "" {
			return "", false
		}
		body := raw[:len(raw)-checksumLen]
		return k, checksum(body) == raw[len(raw)-checksumLen:]
	}
	return "", false
}

// Hash is the stored form of a secret.
func Hash(raw string) string { return token.HashOpaque(raw) }

// Display is the part of a secret that may be shown to tell secrets apart:
// its prefix and the first four random characters.
func Display(raw string) string {
	k, ok := Parse(raw)
	if !ok {
		return ""
	}
	return raw[:len(k)+4]
}

func checksum(body string) string {
	return encode(new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(body)))), checksumLen)
}

// encode writes n in base62 with exactly width digits, zero-padded.
func encode(n *big.Int, width int) string {
	out := make([]byte, width)
	base := big.NewInt(int64(len(alphabet)))
	v, r := new(big.Int).Set(n), new(big.Int)
	for i := width - 1; i >= 0; i-- {
		v.QuoRem(v, base, r)
		out[i] = alphabet[r.Int64()]
	}
	return string(out)
}
