package password

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/zxcvbn"
	"github.com/gatehouse-iam/gatehouse/internal/zxcvbn/match"
)

// maxScored is how many code points of a password zxcvbn sees: its matching
// grows with the square of the length (about 30 ms for 100 random mixed-case
// characters here), and what follows changes little in an estimate.
const maxScored = 100

// offlineSlowHashing is the guesses per second of an attacker holding the
// stored hashes of a slow hash such as argon2id, zxcvbn's
// offline_slow_hashing_1e4_per_second scenario.
const offlineSlowHashing = 1e4

// Strength is zxcvbn's estimate of a password, with feedback for the user and
// whether the password meets the policy.
type Strength struct {
	// Score is zxcvbn's 0 (too guessable) to 4 (very unguessable), of the
	// first 100 code points.
	Score int `json:"score"`
	// Acceptable reports whether the policy accepts the password.
	Acceptable bool `json:"acceptable"`
	// Warnings say what is wrong: first each rule of the policy broken,
	// then what zxcvbn found weak. Never nil.
	Warnings []string `json:"warnings"`
	// Suggestions say how to do better. Never nil.
	Suggestions []string `json:"suggestions"`
	// CrackTimeDisplay is how long an attacker holding the hash would need
	// at 10,000 guesses a second, such as "3 hours" or "centuries".
	CrackTimeDisplay string `json:"crack_time_display"`
}

// Estimate scores password with zxcvbn, taking userInputs (the email address
// and name) as words an attacker knows, and checks it against p. Only the
// first 100 code points are scored, so no input costs more than about 30 ms
// of CPU (typical passwords well under 1 ms); callers open to the public
// should rate-limit it like a login. Like Check, Estimate normalises password
// with NFKC itself.
//
// zxcvbn's Go port gives no feedback, so Estimate derives it from the
// matches zxcvbn found, as the original zxcvbn 4.4.2 does and with its
// messages: no feedback for a score above 2, otherwise a warning and
// suggestions about the longest weak pattern.
func Estimate(password string, userInputs []string, p Policy) Strength {
	r := score(password, userInputs)
	violations := p.check(password, userInputs, func() int { return r.Score })
	s := Strength{
		Score:            r.Score,
		Acceptable:       len(violations) == 0,
		Warnings:         []string{},
		Suggestions:      []string{},
		CrackTimeDisplay: displayTime(r.Guesses / offlineSlowHashing),
	}
	personal := false
	for _, v := range violations {
		s.Warnings = append(s.Warnings, v.Message)
		personal = personal || v.Rule == RulePersonal
	}
	warning, suggestions := feedback(r.Score, r.Sequence)
	if warning == msgUserInputs && personal {
		warning = "" // the personal rule said so already
	}
	if warning != "" {
		s.Warnings = append(s.Warnings, warning)
	}
	s.Suggestions = append(s.Suggestions, suggestions...)
	return s
}

// score runs zxcvbn on the first maxScored code points of the NFKC form of
// password. Only a prefix long enough to give them is normalised.
func score(password string, userInputs []string) zxcvbn.Result {
	pw := prefix(Normalize(prefix(password, maxNFKCShrink*maxScored+1)), maxScored)
	inputs := make([]string, 0, 2*len(userInputs))
	for _, in := range userInputs {
		inputs = append(inputs, fold(in))
	}
	inputs = append(inputs, personalWords(userInputs)...)
	return zxcvbn.PasswordStrength(pw, inputs)
}

// prefix returns the first n code points of s.
func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// Feedback messages, worded as zxcvbn 4.4.2 words them so that clients that
// know zxcvbn recognise them.
const (
	msgUseFewWords       = "Use a few words, avoid common phrases"
	msgNoNeedForMixed    = "No need for symbols, digits, or uppercase letters"
	msgAddWord           = "Add another word or two. Uncommon words are better."
	msgStraightRows      = "Straight rows of keys are easy to guess"
	msgShortKeyboard     = "Short keyboard patterns are easy to guess"
	msgLongerKeyboard    = "Use a longer keyboard pattern with more turns"
	msgRepeatedChars     = `Repeats like "aaa" are easy to guess`
	msgRepeatedPatterns  = `Repeats like "abcabcabc" are only slightly harder to guess than "abc"`
	msgAvoidRepeats      = "Avoid repeated words and characters"
	msgSequences         = "Sequences like abc or 6543 are easy to guess"
	msgAvoidSequences    = "Avoid sequences"
	msgRecentYears       = "Recent years are easy to guess"
	msgAvoidRecentYears  = "Avoid recent years"
	msgAvoidYours        = "Avoid years that are associated with you"
	msgDates             = "Dates are often easy to guess"
	msgAvoidDates        = "Avoid dates and years that are associated with you"
	msgTop10             = "This is a top-10 common password"
	msgTop100            = "This is a top-100 common password"
	msgVeryCommon        = "This is a very common password"
	msgSimilarToCommon   = "This is similar to a commonly used password"
	msgWordByItself      = "A word by itself is easy to guess"
	msgNamesByThemselves = "Names and surnames by themselves are easy to guess"
	msgCommonNames       = "Common names and surnames are easy to guess"
	msgUserInputs        = "Your name and email address are easy to guess"
	msgCapitalization    = "Capitalization doesn't help very much"
	msgAllUppercase      = "All-uppercase is almost as easy to guess as all-lowercase"
	msgReversed          = "Reversed words aren't much harder to guess"
	msgPredictableSubsts = "Predictable substitutions like '@' instead of 'a' don't help very much"
)

// feedback returns a warning (or "") and suggestions for a zxcvbn result.
func feedback(score int, seq []*match.Match) (string, []string) {
	if len(seq) == 0 {
		return "", []string{msgUseFewWords, msgNoNeedForMixed}
	}
	if score > 2 {
		return "", nil
	}
	longest := seq[0]
	for _, m := range seq[1:] {
		if utf8.RuneCountInString(m.Token) > utf8.RuneCountInString(longest.Token) {
			longest = m
		}
	}
	warning, suggestions := matchFeedback(longest, len(seq) == 1)
	return warning, append([]string{msgAddWord}, suggestions...)
}

func matchFeedback(m *match.Match, sole bool) (string, []string) {
	switch m.Pattern {
	case "dictionary":
		return dictionaryFeedback(m, sole)
	case "spatial":
		if m.Turns == 1 {
			return msgStraightRows, []string{msgLongerKeyboard}
		}
		return msgShortKeyboard, []string{msgLongerKeyboard}
	case "repeat":
		if utf8.RuneCountInString(m.BaseToken) == 1 {
			return msgRepeatedChars, []string{msgAvoidRepeats}
		}
		return msgRepeatedPatterns, []string{msgAvoidRepeats}
	case "sequence":
		return msgSequences, []string{msgAvoidSequences}
	case "regex":
		if m.RegexName == "recent_year" {
			return msgRecentYears, []string{msgAvoidRecentYears, msgAvoidYours}
		}
	case "date":
		return msgDates, []string{msgAvoidDates}
	}
	return "", nil
}

func dictionaryFeedback(m *match.Match, sole bool) (string, []string) {
	var warning string
	switch m.DictionaryName {
	case "passwords":
		switch {
		case sole && !m.L33t && !m.Reversed && m.Rank <= 10:
			warning = msgTop10
		case sole && !m.L33t && !m.Reversed && m.Rank <= 100:
			warning = msgTop100
		case sole && !m.L33t && !m.Reversed:
			warning = msgVeryCommon
		case math.Log10(m.Guesses) <= 4:
			warning = msgSimilarToCommon
		}
	case "english_wikipedia":
		if sole {
			warning = msgWordByItself
		}
	case "surnames", "male_names", "female_names":
		if sole {
			warning = msgNamesByThemselves
		} else {
			warning = msgCommonNames
		}
	case "user_inputs":
		warning = msgUserInputs
	}
	var suggestions []string
	switch word := m.Token; {
	case startsUpper(word):
		suggestions = append(suggestions, msgCapitalization)
	case allUpper(word):
		suggestions = append(suggestions, msgAllUppercase)
	}
	if m.Reversed && utf8.RuneCountInString(m.Token) >= 4 {
		suggestions = append(suggestions, msgReversed)
	}
	if m.L33t {
		suggestions = append(suggestions, msgPredictableSubsts)
	}
	return warning, suggestions
}

// startsUpper reports whether s is one upper-case letter followed by at
// least one character, none of them upper case ("Password").
func startsUpper(s string) bool {
	first, size := utf8.DecodeRuneInString(s)
	rest := s[size:]
	return unicode.IsUpper(first) && rest != "" && !strings.ContainsFunc(rest, unicode.IsUpper)
}

// allUpper reports whether s has upper-case letters and no lower-case ones
// ("PASSWORD").
func allUpper(s string) bool {
	return strings.ContainsFunc(s, unicode.IsUpper) && !strings.ContainsFunc(s, unicode.IsLower)
}

// displayTime writes a duration in seconds as zxcvbn does: "less than a
// second", "1 minute", "3 hours", …, "centuries".
func displayTime(seconds float64) string {
	const (
		minute  = 60
		hour    = 60 * minute
		day     = 24 * hour
		month   = 31 * day
		year    = 12 * month
		century = 100 * year
	)
	units := []struct {
		below float64
		size  float64
		name  string
	}{
		{minute, 1, "second"},
		{hour, minute, "minute"},
		{day, hour, "hour"},
		{month, day, "day"},
		{year, month, "month"},
		{century, year, "year"},
	}
	if seconds < 1 || math.IsNaN(seconds) {
		return "less than a second"
	}
	for _, u := range units {
		if seconds < u.below {
			n := int(math.Round(seconds / u.size))
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return "centuries"
}
