package emailaddr

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Bounds from RFC 5321 §4.5.3.1: a local part of at most 64 octets, and a
// path of at most 256 octets with its two angle brackets.
const (
	maxLocal   = 64
	maxAddress = 254
)

// domains turns a domain into its ASCII form (IDNA 2008, UTS #46
// non-transitional, the mapping browsers use for lookup): lower case,
// punycode labels, letters, digits and hyphens only, DNS lengths.
var domains = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true),
	idna.StrictDomainName(true), idna.CheckHyphens(true), idna.CheckJoiners(true))

// Normalize checks that s is one bare address such as ada@example.com and
// returns its normal form, the one Gatehouse stores and compares:
//
//   - the local part in lower case and NFC, so that "José", "jose\u0301" and
//     "josé" are one address; characters that NFKC would change (full-width
//     letters, ligatures, "ſ") are refused rather than folded, so the stored
//     address is the one mail is delivered to;
//   - the domain in its IDNA ASCII form, lower case: "Bücher.example" is
//     "xn--bcher-kva.example";
//   - no IP literal ("a@[127.0.0.1]", "a@127.0.0.1"): a domain name only;
//   - no display name, quotes, comments, lists, white space, control or
//     invisible characters: only dot-atom text (RFC 5322 §3.4.1, with the
//     UTF-8 of RFC 6532);
//   - the local part and each domain label in a single script (see
//     singleScript), so that "аdmin" with a Cyrillic "а" is refused instead of
//     living beside "admin".
//
// s is not trimmed: surrounding white space is an error. Normalize is
// idempotent, and its result is accepted by the mailer unchanged.
func Normalize(s string) (string, error) {
	if s == "" {
		return "", errors.New("must be an email address such as ada@example.com")
	}
	// NFC and IDNA never grow a valid address fourfold; this bounds the work
	// on a huge input.
	if len(s) > 4*maxAddress || !utf8.ValidString(s) {
		return "", errors.New("must be an email address of at most 254 bytes")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", errors.New("must be an email address such as ada@example.com")
	}
	local, err := normalizeLocal(s[:at])
	if err != nil {
		return "", err
	}
	domain, err := Domain(s[at+1:])
	if err != nil {
		return "", err
	}
	addr := local + "@" + domain
	if len(addr) > maxAddress {
		return "", errors.New("must be an email address of at most 254 bytes")
	}
	return addr, nil
}

// atextSpecials are the ASCII characters besides letters and digits that a
// dot-atom may hold (RFC 5322 §3.2.3).
const atextSpecials = "!#$%&'*+-/=?^_`{|}~"

func normalizeLocal(s string) (string, error) {
	if s == "" {
		return "", errors.New("must have a name before the @, as in ada@example.com")
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || strings.ContainsRune(atextSpecials, r)):
		case r >= utf8.RuneSelf && unicode.IsGraphic(r) && !unicode.IsSpace(r):
		default:
			return "", fmt.Errorf("must be one bare email address: %q is not allowed before the @", r)
		}
	}
	local := norm.NFC.String(strings.ToLower(norm.NFC.String(s)))
	switch {
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, ".."):
		return "", errors.New("must not have a dot at the start or end of the name before the @, nor two in a row")
	case len(local) > maxLocal:
		return "", errors.New("must have at most 64 bytes before the @")
	case norm.NFKC.String(local) != local:
		return "", errors.New("must not contain compatibility characters such as full-width letters or ligatures")
	}
	if scripts := scriptsOf(local); !singleScript(scripts) {
		return "", fmt.Errorf("must not mix scripts before the @ (%s)", strings.Join(scripts, ", "))
	}
	return local, nil
}

// Domain returns the ASCII form of a mail domain (see Normalize), or an
// error if it is not a domain name.
func Domain(s string) (string, error) {
	if strings.HasPrefix(s, "[") {
		return "", errors.New("must name a domain, not an IP address")
	}
	d, err := domains.ToASCII(s)
	if err != nil || d == "" || strings.HasSuffix(d, ".") {
		return "", errors.New("must have a valid domain name after the @")
	}
	d = strings.ToLower(d)
	labels := strings.Split(d, ".")
	// A top-level label is never all digits (RFC 3696 §2), which also
	// refuses dotted IPv4 literals.
	if _, err := netip.ParseAddr(d); err == nil || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", errors.New("must name a domain, not an IP address")
	}
	for _, label := range labels {
		u, err := domains.ToUnicode(label)
		if err != nil {
			return "", errors.New("must have a valid domain name after the @")
		}
		if scripts := scriptsOf(u); !singleScript(scripts) {
			return "", fmt.Errorf("must not mix scripts in a label of the domain (%s)", strings.Join(scripts, ", "))
		}
	}
	return d, nil
}

// scriptNames are the Unicode scripts a character can belong to, apart from
// Common (digits, punctuation) and Inherited (combining marks), which go
// with any script.
var scriptNames = func() []string {
	var names []string
	for name := range unicode.Scripts {
		if name != "Common" && name != "Inherited" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}()

// scriptsOf lists the scripts of s's characters, sorted, without Common and
// Inherited.
func scriptsOf(s string) []string {
	var out []string
	for _, r := range s {
		if r < utf8.RuneSelf {
			if unicode.IsLetter(r) && !slices.Contains(out, "Latin") {
				out = append(out, "Latin")
			}
			continue
		}
		for _, name := range scriptNames {
			if unicode.Is(unicode.Scripts[name], r) {
				if !slices.Contains(out, name) {
					out = append(out, name)
				}
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// combinations are the sets of scripts that one writing system uses
// together: the "Highly Restrictive" level of Unicode Technical Standard
// #39 §5.2 allows these besides a single script.
var combinations = [][]string{
	{"Han", "Hiragana", "Katakana", "Latin"}, // Japanese
	{"Bopomofo", "Han", "Latin"},             // Chinese
	{"Hangul", "Han", "Latin"},               // Korean
}

// singleScript reports whether scripts (from scriptsOf) are one script, or a
// combination one writing system uses: UTS #39 "Highly Restrictive". Latin
// with Cyrillic or Greek, the classic spoofs, is refused.
func singleScript(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, c := range combinations {
		if !slices.ContainsFunc(scripts, func(s string) bool { return !slices.Contains(c, s) }) {
			return true
		}
	}
	return false
}
