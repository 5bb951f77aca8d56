package password

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		want []string // invalid fields
	}{
		{"default", DefaultPolicy, nil},
		{"lowest bounds", Policy{MinLength: 6, MaxLength: 6}, nil},
		{"highest bounds", Policy{MinLength: 128, MaxLength: 1024, MinStrength: 4}, nil},
		{"min_length 5", Policy{MinLength: 5, MaxLength: 128}, []string{"min_length"}},
		{"min_length 129", Policy{MinLength: 129, MaxLength: 129}, []string{"min_length"}},
		{"max_length below min_length", Policy{MinLength: 10, MaxLength: 9}, []string{"max_length"}},
		{"max_length 1025", Policy{MinLength: 8, MaxLength: 1025}, []string{"max_length"}},
		{"min_strength -1", Policy{MinLength: 8, MaxLength: 128, MinStrength: -1}, []string{"min_strength"}},
		{"min_strength 5", Policy{MinLength: 8, MaxLength: 128, MinStrength: 5}, []string{"min_strength"}},
		{"zero policy", Policy{}, []string{"min_length"}},
		{"every field", Policy{MinLength: 2000, MaxLength: 2000, MinStrength: 9}, []string{"max_length", "min_length", "min_strength"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate() = %v, want a *PolicyError", err)
			}
			if got := slices.Sorted(maps.Keys(pe.Fields)); !slices.Equal(got, tt.want) {
				t.Errorf("invalid fields = %v, want %v (%v)", got, tt.want, err)
			}
			for _, f := range tt.want {
				if !strings.Contains(err.Error(), f+" must be between") {
					t.Errorf("Error() = %q does not explain %s", err, f)
				}
			}
		})
	}
}

func rules(vs []Violation) []string {
	var r []string
	for _, v := range vs {
		r = append(r, v.Rule)
	}
	return r
}

// alice is the personal data of the tests' user.
var alice = []string{"alice.smith@example.com", "Alice Smith"}

func TestCheck(t *testing.T) {
	strong := "kx8Qw2pZ" // 8 characters, not common, nothing personal
	strict := Policy{MinLength: 8, MaxLength: 128, RejectCommon: true, RejectPersonal: true, MinStrength: 3}
	lax := Policy{MinLength: 8, MaxLength: 128}
	tests := []struct {
		name     string
		p        Policy
		password string
		personal []string
		want     []string
	}{
		{"good", DefaultPolicy, "kx8Qw2pZ9mLs", alice, nil},
		{"7 characters", DefaultPolicy, strong[:7], alice, []string{RuleMinLength}},
		{"8 characters", DefaultPolicy, strong, alice, nil},
		{"128 characters", DefaultPolicy, strings.Repeat(strong, 16), alice, nil},
		{"129 characters", DefaultPolicy, strings.Repeat(strong, 16) + "x", alice, []string{RuleMaxLength}},
		{"10,000 characters", DefaultPolicy, strings.Repeat("x", 10_000), alice, []string{RuleMaxLength}},
		{"empty", DefaultPolicy, "", alice, []string{RuleMinLength}},

		// Lengths count code points after NFKC.
		{"7 code points of 4 bytes", DefaultPolicy, strings.Repeat("🔑", 7), nil, []string{RuleMinLength}},
		{"8 code points of 4 bytes", DefaultPolicy, strings.Repeat("🔑", 8), nil, nil},
		{"8 CJK characters", DefaultPolicy, "密码安全门卫大楼", nil, nil},
		{"Cyrillic", DefaultPolicy, "Лошадь-батарея-42", nil, nil},
		{"7 composed accents typed decomposed", DefaultPolicy, strings.Repeat("e\u0301", 7), nil, []string{RuleMinLength}},
		{"8 composed accents typed decomposed", DefaultPolicy, strings.Repeat("e\u0301", 8), nil, nil},
		{"43 ligatures expand to 129", DefaultPolicy, strings.Repeat("\ufb03", 43), nil, []string{RuleMaxLength}},
		{"256 code points composing to 128", DefaultPolicy, strings.Repeat("e\u0301", 128), nil, nil},
		{"Hangul jamo composing to 128 syllables", DefaultPolicy, strings.Repeat("\u1112\u1161\u11ab", 128), nil, nil},
		{"10,000 common characters", DefaultPolicy, strings.Repeat("password", 1250), alice, []string{RuleMaxLength}},

		{"common", DefaultPolicy, "password", alice, []string{RuleCommon}},
		{"common, capitalised with digit", DefaultPolicy, "Password1", alice, []string{RuleCommon}},
		{"common, full-width", DefaultPolicy, "Ｐａｓｓｗｏｒｄ１", alice, []string{RuleCommon}},
		{"common, allowed", lax, "Password1", alice, nil},

		{"personal: email word", DefaultPolicy, "xyz-alice-99", alice, []string{RulePersonal}},
		{"personal: name word, upper case", DefaultPolicy, "SMITHxyz99", alice, []string{RulePersonal}},
		{"personal: reversed", DefaultPolicy, "htimsXyz99", alice, []string{RulePersonal}},
		{"personal: full-width", DefaultPolicy, "Ａｌｉｃｅxyz99", alice, []string{RulePersonal}},
		{"personal: whole local part", DefaultPolicy, "alice.smith", alice, []string{RulePersonal}},
		{"personal: email only", DefaultPolicy, "xyz-smith-99", alice[:1], []string{RulePersonal}},
		{"personal: name only", DefaultPolicy, "xyz-smith-99", alice[1:], []string{RulePersonal}},
		{"personal: domain is not personal", DefaultPolicy, "example-kx8Qw2", alice, nil},
		{"personal: a prefix is not the word", DefaultPolicy, "alic-smit-kx8Q", alice, nil},
		{"personal: short words ignored", DefaultPolicy, "jo-li-kx8Qw2pZ", []string{"jo.li@example.com", "Jo Li"}, nil},
		{"personal: no data", DefaultPolicy, "alice-kx8Qw2", nil, nil},
		{"personal: allowed", lax, "xyz-alice-99", alice, nil},

		{"strength: weak", Policy{MinLength: 8, MaxLength: 128, MinStrength: 3}, "abcdefgh1", nil, []string{RuleStrength}},
		{"strength: strong", strict, "correct horse battery staple", alice, nil},
		{"strength: personal lowers it", Policy{MinLength: 8, MaxLength: 128, MinStrength: 3}, "alicesmith1", alice, []string{RuleStrength}},

		{"every rule but length", strict, "Smith123", alice, []string{RuleCommon, RulePersonal, RuleStrength}},
		{"short, common, personal and weak", strict, "smith", alice, []string{RuleMinLength, RuleCommon, RulePersonal, RuleStrength}},
		{"too long, common", Policy{MinLength: 6, MaxLength: 6, RejectCommon: true}, "password", nil, []string{RuleMaxLength, RuleCommon}},
		// An input over the maximum is neither scanned nor scored.
		{"too long skips personal and strength", strict, strings.Repeat("alice", 30), alice, []string{RuleMaxLength}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := tt.p.Check(tt.password, tt.personal)
			if got := rules(vs); !slices.Equal(got, tt.want) {
				t.Errorf("Check(%.40q) = %v, want %v", tt.password, vs, tt.want)
			}
			for _, v := range vs {
				if v.Message == "" || strings.Contains(strings.ToLower(v.Message), "alice") {
					t.Errorf("violation %+v: message empty or repeats personal data", v)
				}
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	vs := Policy{MinLength: 10, MaxLength: 128, RejectCommon: true, MinStrength: 2}.Check("password", nil)
	want := []Violation{
		{RuleMinLength, "Password must be at least 10 characters long"},
		{RuleCommon, "Password is too common: it is on a list of common and breached passwords"},
		{RuleStrength, "Password is too easy to guess (strength 0 of 4, at least 2 needed)"},
	}
	if !slices.Equal(vs, want) {
		t.Errorf("Check = %q\nwant %q", vs, want)
	}
}

// TestNFKCShrinkBound checks maxNFKCShrink: no code point that NFKC keeps
// decomposes canonically into more than maxNFKCShrink code points, so NFKC
// never turns more than that many code points into one.
func TestNFKCShrinkBound(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if Normalize(s) != s {
			continue
		}
		if n := utf8.RuneCountInString(norm.NFD.String(s)); n > maxNFKCShrink {
			t.Fatalf("U+%04X decomposes into %d code points, more than maxNFKCShrink", r, n)
		}
	}
}

func TestPersonalWords(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"alice.smith@example.com"}, []string{"alice.smith", "alice", "smith"}},
		{[]string{"Alice Smith"}, []string{"alice smith", "alice", "smith"}},
		{alice, []string{"alice.smith", "alice", "smith", "alice smith"}},
		{[]string{"bob+news@example.com"}, []string{"bob+news", "bob", "news"}},
		{[]string{"j.doe1985@example.com"}, []string{"j.doe1985", "doe1985"}},
		{[]string{"Jo Li"}, []string{"jo li"}},
		{[]string{"al@example.com"}, nil},
		{[]string{"Seán O'Brien"}, []string{"seán o'brien", "seán", "brien"}},
		{[]string{"Ｂｏｂ"}, []string{"bob"}},
		{[]string{"李小龙"}, []string{"李小龙"}},
		{[]string{"", "  "}, nil},
	}
	for _, tt := range tests {
		if got := personalWords(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("personalWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	commonPasswords()
	strict := Policy{MinLength: 8, MaxLength: 128, RejectCommon: true, RejectPersonal: true, MinStrength: 3}
	for _, bm := range []struct {
		name     string
		p        Policy
		password string
	}{
		{"10000chars", strict, strings.Repeat("kx8Qw2pZ", 1250)},
		{"10000chars-unicode", strict, strings.Repeat("Пароль🔑", 1250)},
		{"typical-default", DefaultPolicy, "correct horse battery staple"},
		{"typical-minstrength3", strict, "correct horse battery staple"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				bm.p.Check(bm.password, alice)
			}
		})
	}
}
