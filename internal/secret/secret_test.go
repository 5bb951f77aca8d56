package secret

import (
	"strings"
	"testing"
	"time"
)

func TestNewParses(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range kinds {
		for range 50 {
			raw := New(k)
			if seen[raw] {
				t.Fatalf("%s repeated", raw)
			}
			seen[raw] = true
			if len(raw) != len(k)+randomLen+checksumLen {
				t.Fatalf("%q has length %d", raw, len(raw))
			}
			got, ok := Parse(raw)
			if !ok || got != k {
				t.Fatalf("Parse(%q) = %q, %v; want %q", raw, got, ok, k)
			}
		}
	}
}

func TestParseRefusesDamage(t *testing.T) {
	raw := New(PersonalAccessToken)
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for name, bad := range map[string]string{
		"one random character changed": flip(raw, len(PersonalAccessToken)+5),
		"checksum changed":             flip(raw, len(raw)-1),
		"trailing space":               raw + " ",
		"trailing newline":             raw + "\n",
		"truncated":                    raw[:len(raw)-1],
		"another prefix":               string(APICredential) + strings.TrimPrefix(raw, string(PersonalAccessToken)),
		"unknown prefix":               "ghp_" + strings.TrimPrefix(raw, string(PersonalAccessToken)),
		"not base62":                   raw[:10] + "-" + raw[11:],
		"empty":                        "",
	} {
		if _, ok := Parse(bad); ok {
			t.Errorf("%s: Parse(%q) accepted it", name, bad)
		}
	}
}

func TestPrefixesDoNotOverlap(t *testing.T) {
	for _, a := range kinds {
		if !strings.HasSuffix(string(a), "_") {
			t.Errorf("prefix %q does not end in _", a)
		}
		for _, b := range kinds {
			if a != b && strings.HasPrefix(string(a), string(b)) {
				t.Errorf("prefix %q starts with %q", a, b)
			}
		}
	}
}

func TestDisplayAndHash(t *testing.T) {
	raw := New(SCIMToken)
	if d := Display(raw); d != raw[:len(SCIMToken)+4] {
		t.Errorf("Display = %q", d)
	}
	if Display("nonsense") != "" {
		t.Error("Display of a malformed secret is not empty")
	}
	if h := Hash(raw); len(h) != 64 || h == Hash(New(SCIMToken)) {
		t.Errorf("Hash = %q", h)
	}
}

func TestUseLimiter(t *testing.T) {
	l := NewUseLimiter()
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	if !l.Due("a", t0) {
		t.Fatal("the first use is not due")
	}
	if l.Due("a", t0.Add(59*time.Second)) {
		t.Fatal("a use within the minute is due")
	}
	if !l.Due("b", t0.Add(time.Second)) {
		t.Fatal("another secret's first use is not due")
	}
	if !l.Due("a", t0.Add(time.Minute)) {
		t.Fatal("a use a minute later is not due")
	}
	if !l.Due("a", t0) {
		t.Fatal("a use before the last written (a clock set back) is not due")
	}
}
