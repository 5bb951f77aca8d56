package password

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestEstimateScore(t *testing.T) {
	tests := []struct {
		password string
		min, max int
	}{
		{"", 0, 0},
		{"123456", 0, 0},
		{"password", 0, 0},
		{"Password1", 0, 1},
		{"qwertyuiop", 0, 1},
		{"aaaaaaaaaa", 0, 1},
		{"abcdefgh", 0, 1},
		{"1987-05-12", 0, 1},
		{"alicesmith", 0, 1}, // the user's own name
		{"correct horse battery staple", 4, 4},
		{"xK9#mQ2$vL7@nP4!", 4, 4},
		{"Лошадь-батарея-скрепка-42", 4, 4},
	}
	for _, tt := range tests {
		s := Estimate(tt.password, alice, DefaultPolicy)
		if s.Score < tt.min || s.Score > tt.max {
			t.Errorf("Estimate(%q).Score = %d, want %d..%d", tt.password, s.Score, tt.min, tt.max)
		}
	}
}

func TestEstimateFeedback(t *testing.T) {
	lax := Policy{MinLength: 6, MaxLength: 128}
	tests := []struct {
		name             string
		password         string
		p                Policy
		acceptable       bool
		warnings         []string // each must be present, in this order
		suggestions      []string // each must be present
		crackTime        string
		noZxcvbnFeedback bool
	}{
		{
			name: "top-10 password", password: "password", p: DefaultPolicy,
			warnings:    []string{"Password is too common: it is on a list of common and breached passwords", msgTop10},
			suggestions: []string{msgAddWord},
			crackTime:   "less than a second",
		},
		{
			name: "capitalised common password", password: "Password1", p: lax,
			acceptable:  true,
			warnings:    []string{msgVeryCommon},
			suggestions: []string{msgAddWord, msgCapitalization},
		},
		{
			name: "l33t", password: "P@ssw0rd", p: lax, acceptable: true,
			warnings:    []string{msgSimilarToCommon},
			suggestions: []string{msgPredictableSubsts},
		},
		{
			name: "all upper case", password: "PASSWORD", p: lax, acceptable: true,
			suggestions: []string{msgAllUppercase},
		},
		{
			name: "repeated character", password: "zzzzzzzzzz", p: lax, acceptable: true,
			warnings: []string{msgRepeatedChars}, suggestions: []string{msgAvoidRepeats},
		},
		{
			name: "repeated pattern", password: "xyzqxyzqxyzq", p: lax, acceptable: true,
			warnings: []string{msgRepeatedPatterns}, suggestions: []string{msgAvoidRepeats},
		},
		{
			name: "sequence", password: "mnopqrstu", p: lax, acceptable: true,
			warnings: []string{msgSequences}, suggestions: []string{msgAvoidSequences},
		},
		{
			name: "keyboard row", password: "xcvbnm,.", p: lax, acceptable: true,
			warnings: []string{msgStraightRows}, suggestions: []string{msgLongerKeyboard},
		},
		{
			name: "date", password: "1987-05-12", p: lax, acceptable: true,
			warnings: []string{msgDates}, suggestions: []string{msgAvoidDates},
		},
		{
			name: "personal data, rule off", password: "alicesmith", p: lax, acceptable: true,
			warnings: []string{msgUserInputs},
		},
		{
			name: "personal data, rule on", password: "alicesmith", p: DefaultPolicy,
			warnings: []string{"Password must not contain your name or email address"},
		},
		{
			name: "strong", password: "correct horse battery staple", p: DefaultPolicy,
			acceptable: true, crackTime: "centuries", noZxcvbnFeedback: true,
		},
		{
			name: "strong but too short for the policy", password: "xK9#mQ2$vL7@", p: Policy{MinLength: 16, MaxLength: 128},
			warnings: []string{"Password must be at least 16 characters long"}, noZxcvbnFeedback: true,
		},
		{
			name: "empty", password: "", p: DefaultPolicy,
			warnings:    []string{"Password must be at least 8 characters long"},
			suggestions: []string{msgUseFewWords, msgNoNeedForMixed},
		},
		{
			name: "10,000 characters", password: strings.Repeat("kx8Qw2pZ", 1250), p: DefaultPolicy,
			warnings: []string{"Password must be at most 128 characters long"}, noZxcvbnFeedback: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Estimate(tt.password, alice, tt.p)
			if s.Acceptable != tt.acceptable {
				t.Errorf("Acceptable = %v, want %v (%+v)", s.Acceptable, tt.acceptable, s)
			}
			if s.Acceptable != (len(tt.p.Check(tt.password, alice)) == 0) {
				t.Errorf("Acceptable = %v disagrees with Check", s.Acceptable)
			}
			if s.Warnings == nil || s.Suggestions == nil {
				t.Errorf("nil warnings or suggestions: %+v", s)
			}
			if !inOrder(s.Warnings, tt.warnings) {
				t.Errorf("Warnings = %q, want %q in order", s.Warnings, tt.warnings)
			}
			for _, want := range tt.suggestions {
				if !slices.Contains(s.Suggestions, want) {
					t.Errorf("Suggestions = %q, want %q among them", s.Suggestions, want)
				}
			}
			if tt.noZxcvbnFeedback && (len(s.Suggestions) > 0 || len(s.Warnings) > len(tt.p.Check(tt.password, alice))) {
				t.Errorf("feedback for a strong password: %+v", s)
			}
			if tt.crackTime != "" && s.CrackTimeDisplay != tt.crackTime {
				t.Errorf("CrackTimeDisplay = %q, want %q", s.CrackTimeDisplay, tt.crackTime)
			}
			if s.CrackTimeDisplay == "" {
				t.Error("no crack time")
			}
		})
	}
}

// inOrder reports whether want is a subsequence of got.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestEstimateScoresFirst100 shows that only the first 100 code points of
// the NFKC form count, however long or exotic the input.
func TestEstimateScoresFirst100(t *testing.T) {
	strong := "kx8Qw2pZ9mLs!"
	tests := []struct{ password, first100 string }{
		{strings.Repeat("a", 100) + strong, strings.Repeat("a", 100)},
		{strings.Repeat("a", 100) + strings.Repeat("Пароль🔑", 1250), strings.Repeat("a", 100)},
		// 100 code points after NFKC: full-width letters, decomposed accents.
		{strings.Repeat("ａ", 100) + strong, strings.Repeat("a", 100)},
		{strings.Repeat("a\u0301", 100) + strong, strings.Repeat("\u00e1", 100)},
	}
	for _, tt := range tests {
		got, want := Estimate(tt.password, nil, DefaultPolicy).Score, Estimate(tt.first100, nil, DefaultPolicy).Score
		if got != want {
			t.Errorf("Estimate(%.30q…).Score = %d, want %d as for its first 100 code points", tt.password, got, want)
		}
	}
	weak := Estimate(strings.Repeat("a", 100), nil, DefaultPolicy).Score
	if s := Estimate(strings.Repeat("a", 88)+"kx8Qw2pZ9mLs", nil, DefaultPolicy); s.Score <= weak {
		t.Errorf("a strong part inside the first 100 code points did not count: %d", s.Score)
	}
}

func TestEstimateOddInput(t *testing.T) {
	for _, pw := range []string{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", strings.Repeat("e\u0301", 200), strings.Repeat("\u0301", 500), "\x00\x00\x00\x00\x00\x00\x00\x00"} {
		s := Estimate(pw, alice, DefaultPolicy)
		if s.Score < 0 || s.Score > 4 || s.CrackTimeDisplay == "" {
			t.Errorf("Estimate(%.20q) = %+v", pw, s)
		}
	}
}

func TestDisplayTime(t *testing.T) {
	const day = 24 * 3600
	tests := []struct {
		seconds float64
		want    string
	}{
		{0, "less than a second"},
		{0.9, "less than a second"},
		{1, "1 second"},
		{59, "59 seconds"},
		{60, "1 minute"},
		{90, "2 minutes"},
		{3 * 3600, "3 hours"},
		{2 * day, "2 days"},
		{31 * day, "1 month"},
		{5 * 31 * day, "5 months"},
		{12 * 31 * day, "1 year"},
		{99 * 12 * 31 * day, "99 years"},
		{100 * 12 * 31 * day, "centuries"},
		{math.Inf(1), "centuries"},
		{math.NaN(), "less than a second"},
	}
	for _, tt := range tests {
		if got := displayTime(tt.seconds); got != tt.want {
			t.Errorf("displayTime(%v) = %q, want %q", tt.seconds, got, tt.want)
		}
	}
}

func BenchmarkEstimate(b *testing.B) {
	commonPasswords()
	for _, bm := range []struct{ name, password string }{
		{"typical", "correct horse battery staple"},
		{"100chars", strings.Repeat("kx8Qw2pZ9m", 10)},
		{"10000chars", strings.Repeat("kx8Qw2pZ", 1250)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				Estimate(bm.password, alice, DefaultPolicy)
			}
		})
	}
}
