package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// RefreshPrefix marked refresh tokens before the one secret format
// (package secret); sessions opened before it still hold such tokens.
const RefreshPrefix = "ghr_"

// NewOpaque returns prefix followed by 256 random bits, URL-safe.
func NewOpaque(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashOpaque returns the stored form of a high-entropy token: its SHA-256, hex.
func HashOpaque(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}
