package password

import "golang.org/x/text/unicode/norm"

// Normalize returns password in Unicode Normalization Form KC, as NIST SP
// 800-63B §5.1.1.2 recommends, so that a password typed as full-width
// "Ｐａｓｓｗｏｒｄ", with a ligature "ﬁ", or composed differently on another
// keyboard ("e" + U+0301 against "é") hashes and verifies as the same
// password. Call it before hashing, verifying and checking a policy.
//
// Normalize keeps spaces and letter case and does not repair invalid UTF-8:
// those bytes pass through unchanged.
func Normalize(password string) string {
	return norm.NFKC.String(password)
}
