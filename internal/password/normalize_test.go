package password

import (
	"context"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"full-width letters", "Ｐａｓｓｗｏｒｄ", "Password"},
		{"full-width digits and symbols", "１２３！＠＃", "123!@#"},
		{"ideographic space", "correct\u3000horse", "correct horse"},
		{"ligature fi", "\ufb01nance", "finance"},
		{"ligature ffi", "o\ufb03ce", "office"},
		{"decomposed accent composes", "cafe\u0301", "caf\u00e9"},
		{"Angstrom sign", "\u212b", "\u00c5"},
		{"circled digits", "①②③", "123"},
		{"superscript", "x²", "x2"},
		{"case and spaces kept", " Correct Horse ", " Correct Horse "},
		{"ascii unchanged", "Tr0ub4dor&3", "Tr0ub4dor&3"},
		{"cyrillic unchanged", "пароль", "пароль"},
		{"emoji unchanged", "🔑🔒", "🔑🔒"},
		{"empty", "", ""},
		{"invalid UTF-8 passes through", "a\xffb", "a\xffb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize is not idempotent on %q: %q", got, again)
			}
		})
	}
}

// TestNormalizedPasswordsVerify shows why the account code normalises before
// hashing: the same password typed two ways verifies.
func TestNormalizedPasswordsVerify(t *testing.T) {
	ctx := context.Background()
	h := fastHasher(t)
	enc, err := h.Hash(ctx, Normalize("Ｃａｆｅ\u0301-ﬁx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, typed := range []string{"Café-fix", "Cafe\u0301-\ufb01x", "Ｃａｆé-fix"} {
		if ok, err := h.Verify(ctx, Normalize(typed), enc); !ok || err != nil {
			t.Errorf("Verify(Normalize(%q)) = %v, %v; want true", typed, ok, err)
		}
	}
	if ok, _ := h.Verify(ctx, Normalize("cafe-fix"), enc); ok {
		t.Error("a different password verified")
	}
}
