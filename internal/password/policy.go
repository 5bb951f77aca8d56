package password

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policy is what a tenant asks of a new password (NIST SP 800-63B §5.1.1.2).
// Lengths count Unicode code points after NFKC normalisation.
type Policy struct {
	MinLength      int  `json:"min_length"`
	MaxLength      int  `json:"max_length"`
	RejectCommon   bool `json:"reject_common"`
	RejectPersonal bool `json:"reject_personal"`
	MinStrength    int  `json:"min_strength"`
}

// DefaultPolicy is the policy of a tenant that never changed it: NIST's
// minimum of 8 characters, at most 128, no common and no personal passwords,
// and no least strength score.
var DefaultPolicy = Policy{MinLength: 8, MaxLength: 128, RejectCommon: true, RejectPersonal: true, MinStrength: 0}

// Bounds of a valid Policy. MinLength stays at 6 or more, below NIST's 8 only
// for tenants that must accept older passwords; MaxLength stays at 1024 or
// less so that checking and hashing a password stays cheap.
const (
	lowestMinLength  = 6
	highestMinLength = 128
	highestMaxLength = 1024
	highestStrength  = 4
)

// PolicyError lists every invalid field of a Policy.
type PolicyError struct {
	// Fields maps a field's JSON name ("min_length") to what is wrong with it.
	Fields map[string]string
}

func (e *PolicyError) Error() string {
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("invalid password policy:")
	for i, name := range names {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %s %s", name, e.Fields[name])
	}
	return b.String()
}

// Validate returns nil or a *PolicyError naming every field out of bounds:
// MinLength 6..128, MaxLength MinLength..1024, MinStrength 0..4.
func (p Policy) Validate() error {
	f := map[string]string{}
	if p.MinLength < lowestMinLength || p.MinLength > highestMinLength {
		f["min_length"] = fmt.Sprintf("must be between %d and %d", lowestMinLength, highestMinLength)
	}
	if p.MaxLength < p.MinLength || p.MaxLength > highestMaxLength {
		f["max_length"] = fmt.Sprintf("must be between min_length and %d", highestMaxLength)
	}
	if p.MinStrength < 0 || p.MinStrength > highestStrength {
		f["min_strength"] = fmt.Sprintf("must be between 0 and %d", highestStrength)
	}
	if len(f) > 0 {
		return &PolicyError{Fields: f}
	}
	return nil
}

// The rules a password can break, in the order Check reports them.
const (
	RuleMinLength = "min_length"
	RuleMaxLength = "max_length"
	RuleCommon    = "common"
	RulePersonal  = "personal"
	RuleStrength  = "strength"
)

// Violation is one rule a password breaks. Message is safe to show to the
// user and never repeats the password or the personal data.
type Violation struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Check returns every rule of p that password breaks, in the order of the
// Rule constants, or nil. personal holds what the password must not contain:
// the user's email address and name (see the personal rule below).
//
// Check normalises password and personal with NFKC itself; an already
// normalised password costs only a quick scan. p should be valid (Validate).
//
// Rules:
//   - min_length, max_length: code points after NFKC.
//   - common: IsCommon.
//   - personal: the password, case-insensitively, contains — or contains
//     reversed — the local part of an email address (an input with "@"), a
//     whole name, or any word of either, where words are runs of letters and
//     digits and only strings of at least 3 code points count. So
//     "alice.smith@example.com" forbids "alice.smith", "alice" and "smith";
//     "Jo Li" forbids only "jo li". The domain of an address is not personal.
//   - strength: the zxcvbn score of the first 100 code points, with personal
//     as user inputs, is below MinStrength. zxcvbn runs only if MinStrength > 0.
//
// A password longer than MaxLength is not scanned for personal data nor
// scored, so that a huge input stays cheap: it reports max_length, and common
// if the list holds it. One that NFKC cannot shrink enough is not even
// normalised (see TooLong).
func (p Policy) Check(password string, personal []string) []Violation {
	return p.check(password, personal, func() int { return score(password, personal).Score })
}

// maxNFKCShrink bounds how much NFKC can shorten a string, in code points:
// compatibility decomposition never shortens, and canonical composition turns
// at most 4 code points (U+1F82 is U+03B1 U+0313 U+0300 U+0345) into one.
// TestNFKCShrinkBound checks it against the Unicode tables in use.
const maxNFKCShrink = 4

// check is Check taking the zxcvbn score from strength, which it calls at
// most once and only when the policy needs it.
func (p Policy) check(password string, personal []string, strength func() int) []Violation {
	tooLong := Violation{RuleMaxLength, fmt.Sprintf("Password must be at most %d characters long", p.MaxLength)}
	if beyondNormalising(password, p.MaxLength) {
		return []Violation{tooLong}
	}
	pw := Normalize(password)
	lower := strings.ToLower(pw)
	var v []Violation
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		v = append(v, Violation{RuleMinLength, fmt.Sprintf("Password must be at least %d characters long", p.MinLength)})
	}
	if n > p.MaxLength {
		v = append(v, tooLong)
	}
	if p.RejectCommon && isCommonFolded(lower) {
		v = append(v, Violation{RuleCommon, "Password is too common: it is on a list of common and breached passwords"})
	}
	if n > p.MaxLength {
		return v
	}
	if p.RejectPersonal && containsPersonal(lower, personal) {
		v = append(v, Violation{RulePersonal, "Password must not contain your name or email address"})
	}
	if p.MinStrength > 0 {
		if s := strength(); s < p.MinStrength {
			v = append(v, Violation{RuleStrength, fmt.Sprintf("Password is too easy to guess (strength %d of 4, at least %d needed)", s, p.MinStrength)})
		}
	}
	return v
}

// minPersonal is the least length, in code points, of a personal string
// that a password must not contain; shorter ones ("al", "jo") would forbid
// too many passwords by chance.
const minPersonal = 3

// personalWords returns the folded strings of inputs a password must not
// contain, without duplicates: for an email address its local part, for
// anything else the whole input, and each word of either.
func personalWords(inputs []string) []string {
	var words []string
	add := func(w string) {
		if utf8.RuneCountInString(w) >= minPersonal && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	for _, in := range inputs {
		s := strings.TrimSpace(fold(in))
		if at := strings.LastIndexByte(s, '@'); at >= 0 {
			s = s[:at]
		}
		add(s)
		for w := range strings.FieldsFuncSeq(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
			add(w)
		}
	}
	return words
}

// containsPersonal reports whether the folded password contains a personal
// word or its reverse.
func containsPersonal(folded string, personal []string) bool {
	for _, w := range personalWords(personal) {
		if strings.Contains(folded, w) || strings.Contains(folded, reverse(w)) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}
