package password

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestTooLong(t *testing.T) {
	syllables := func(n int) string { return strings.Repeat("한", n) }
	tests := []struct {
		name string
		in   string
		max  int
		want bool
	}{
		{"ascii at the limit", strings.Repeat("a", 128), 128, false},
		{"ascii over the limit", strings.Repeat("a", 129), 128, true},
		{"decomposed Hangul counts its syllables", norm.NFD.String(syllables(128)), 128, false},
		{"decomposed Hangul over the limit", norm.NFD.String(syllables(129)), 128, true},
		{"four code points composing into one", strings.Repeat("\u03b1\u0313\u0300\u0345", 128), 128, false},
		{"four-byte code points", strings.Repeat("🔑", 128), 128, false},
		{"compatibility forms count after NFKC", strings.Repeat("ﬃ", 43), 128, true},
		{"invalid bytes count one each", strings.Repeat("\xff", 129), 128, true},
		{"huge input", strings.Repeat("a", 1<<20), LongestPassword, true},
		{"the longest password", norm.NFD.String(syllables(LongestPassword)), LongestPassword, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TooLong(tt.in, tt.max); got != tt.want {
				t.Errorf("TooLong(%d bytes, %d) = %v, want %v", len(tt.in), tt.max, got, tt.want)
			}
			// Setting and verifying a password apply the same limit.
			tooLongViolation := false
			for _, v := range (Policy{MinLength: 6, MaxLength: tt.max}).Check(tt.in, nil) {
				tooLongViolation = tooLongViolation || v.Rule == RuleMaxLength
			}
			if tooLongViolation != tt.want {
				t.Errorf("Check reports max_length %v, TooLong %v", tooLongViolation, tt.want)
			}
		})
	}
}

// TestTooLongSkipsTheHash: Verify refuses a password no policy accepts
// without computing a hash.
func TestTooLongSkipsTheHash(t *testing.T) {
	h := fastHasher(t)
	ctx := t.Context()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	before := h.Computed()
	if ok, err := h.Verify(ctx, strings.Repeat("a", LongestPassword+1), enc); ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if h.Computed() != before {
		t.Fatal("an over-long password was hashed")
	}
	if ok, err := h.Verify(ctx, "correct horse", enc); !ok || err != nil {
		t.Fatalf("Verify of the right password = %v, %v", ok, err)
	}
}
