package emailaddr

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	good := []struct{ in, want string }{
		{"ada@example.com", "ada@example.com"},
		{"Ada.Lovelace+tag@Example.COM", "ada.lovelace+tag@example.com"},
		{"a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"},
		{"x@localhost", "x@localhost"},
		{"o'brien!#$%&*/=?^_`{|}~-@example.com", "o'brien!#$%&*/=?^_`{|}~-@example.com"},
		// One address in NFC and NFD, and in upper case.
		{"jos\u00e9@example.com", "jos\u00e9@example.com"},
		{"jose\u0301@example.com", "jos\u00e9@example.com"},
		{"JOSE\u0301@example.com", "jos\u00e9@example.com"},
		// IDNA: Unicode and punycode spellings of a domain are one.
		{"jörg@bücher.example", "jörg@xn--bcher-kva.example"},
		{"jörg@BÜCHER.example", "jörg@xn--bcher-kva.example"},
		{"jörg@XN--BCHER-KVA.example", "jörg@xn--bcher-kva.example"},
		{"a@ｅｘａｍｐｌｅ.com", "a@example.com"},
		{"a@example\u3002com", "a@example.com"},
		{"a@straße.de", "a@xn--strae-oqa.de"},
		// Single scripts, and the combinations one writing system uses.
		{"админ@example.com", "админ@example.com"},
		{"Σωκράτης@example.gr", "σωκράτης@example.gr"},
		{"山田たろう@example.jp", "山田たろう@example.jp"},
		{"yamada.山田タロウ@example.jp", "yamada.山田タロウ@example.jp"},
		{"홍길동@example.kr", "홍길동@example.kr"},
		{"user1@例え.jp", "user1@xn--r8jz45g.jp"},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com"},
	}
	for _, tt := range good {
		got, err := Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			continue
		}
		if again, err := Normalize(got); again != got || err != nil {
			t.Errorf("Normalize is not idempotent on %q: %q, %v", got, again, err)
		}
	}
	bad := []struct{ name, in string }{
		{"empty", ""},
		{"no @", "ada"},
		{"no local part", "@example.com"},
		{"no domain", "ada@"},
		{"display name", "Ada <ada@example.com>"},
		{"angle brackets", "<ada@example.com>"},
		{"list", "ada@example.com, eve@example.com"},
		{"semicolon list", "ada@example.com;eve@example.com"},
		{"header injection", "ada@example.com\r\nBcc: eve@example.com"},
		{"trailing newline", "ada@example.com\n"},
		{"leading space", " ada@example.com"},
		{"inner space", "ada @example.com"},
		{"quoted local part", "\"ada\"@example.com"},
		{"comment", "ada@example.com (Ada)"},
		{"two @", "ada@eve@example.com"},
		{"NUL", "ada\x00@example.com"},
		{"invalid UTF-8", "ada\xff@example.com"},
		{"IPv4 literal", "a@[127.0.0.1]"},
		{"IPv6 literal", "a@[IPv6:::1]"},
		{"dotted IPv4 as a domain", "a@127.0.0.1"},
		{"numeric top-level label", "a@example.123"},
		{"leading dot", ".ada@example.com"},
		{"trailing dot", "ada.@example.com"},
		{"two dots", "a..da@example.com"},
		{"domain with a trailing dot", "ada@example.com."},
		{"domain with an empty label", "ada@example..com"},
		{"domain label with a leading hyphen", "ada@-example.com"},
		{"domain label too long", "ada@" + strings.Repeat("a", 64) + ".com"},
		{"domain with an underscore", "ada@ex_ample.com"},
		{"bad punycode", "ada@xn--zz.com"},
		{"Cyrillic а among Latin letters", "\u0430dmin@example.com"},
		{"Greek ο among Latin letters", "r\u03bfot@example.com"},
		{"Latin and Cyrillic in a domain label", "admin@ex\u0430mple.com"},
		{"Latin and Hangul with Cyrillic", "홍길동\u0430@example.kr"},
		{"full-width letters", "ａdmin@example.com"},
		{"ligature", "\ufb01nance@example.com"},
		{"long s", "\u017fam@example.com"},
		{"zero-width joiner", "ad\u200dmin@example.com"},
		{"right-to-left override", "ad\u202emin@example.com"},
		{"no-break space", "ad\u00a0min@example.com"},
		{"local part over 64 bytes", strings.Repeat("a", 65) + "@example.com"},
		{"address over 254 bytes", "ada@" + strings.Repeat("abcdefghi.", 25) + "com"},
		{"huge", strings.Repeat("a", 1<<20) + "@example.com"},
	}
	for _, tt := range bad {
		if got, err := Normalize(tt.in); err == nil {
			t.Errorf("%s: Normalize(%q) = %q, want an error", tt.name, tt.in, got)
		}
	}
}

// TestNormalizeSeparatesLookalikes: spellings that render alike but are
// different strings either become one address or are refused; never two
// accounts.
func TestNormalizeSeparatesLookalikes(t *testing.T) {
	groups := [][]string{
		{"admin@example.com", "ADMIN@example.com", "Admin@EXAMPLE.com", "\u0430dmin@example.com", "ａｄｍｉｎ@example.com"},
		{"josé@bücher.example", "jose\u0301@xn--bcher-kva.example", "JOSÉ@Bücher.Example"},
	}
	for _, g := range groups {
		forms := map[string]bool{}
		for _, in := range g {
			if n, err := Normalize(in); err == nil {
				forms[n] = true
			}
		}
		if len(forms) != 1 {
			t.Errorf("%q normalise to %d addresses, want 1: %v", g, len(forms), forms)
		}
	}
}
