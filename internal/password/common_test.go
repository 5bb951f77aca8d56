package password

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCommonList(t *testing.T) {
	list := commonPasswords()
	n := 0
	for e := range strings.SplitSeq(strings.TrimSuffix(string(list), "\n"), "\n") {
		n++
		if fold(e) != e || strings.TrimSpace(e) != e || utf8.RuneCountInString(e) < 4 {
			t.Errorf("entry %q is not folded, trimmed and at least 4 code points", e)
		}
		if !list.contains(e) {
			t.Errorf("contains(%q) = false for an entry of the list", e)
		}
	}
	if n < 100_000 {
		t.Fatalf("list has %d entries, want at least 100,000", n)
	}
}

// TestSortedLinesContains checks the binary search at the edges: the first and
// last lines, neighbours that share prefixes, and what lies between them.
func TestSortedLinesContains(t *testing.T) {
	l := sortedLines("a\nab\nabc\nb\nbb\nzz\n")
	for _, s := range []string{"a", "ab", "abc", "b", "bb", "zz"} {
		if !l.contains(s) {
			t.Errorf("contains(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "0", "aa", "abd", "abcd", "ba", "c", "zzz", "{", "a\nab", "\n"} {
		if l.contains(s) {
			t.Errorf("contains(%q) = true, want false", s)
		}
	}
	if sortedLines("only\n").contains("only") != true || sortedLines("").contains("x") {
		t.Error("contains is wrong on a list of one line or none")
	}
}

func TestIsCommon(t *testing.T) {
	tests := []struct {
		password string
		want     bool
	}{
		{"123456", true},
		{"password", true},
		{"Password", true},
		{"PASSWORD", true},
		{"Password1", true},
		{"qwerty123", true},
		{"iloveyou", true},
		{"P@ssw0rd", true},
		{"trustno1", true},
		{"Ｐａｓｓｗｏｒｄ", true},     // full-width, folded by NFKC
		{"  password  ", true}, // surrounding spaces do not help
		{"pass word", false},
		{"", false},
		{"abc", false}, // the list keeps entries of 4 code points or more
		{"Xq7#vR2!mK9@pL4$wN8&", false},
		{"correct horse battery staple gatehouse", false},
	}
	for _, tt := range tests {
		if got := IsCommon(tt.password); got != tt.want {
			t.Errorf("IsCommon(%q) = %v, want %v", tt.password, got, tt.want)
		}
	}
	random := rand.Text()[:20] // 20 base32 characters, 100 bits
	if IsCommon(random) {
		t.Errorf("IsCommon(%q) = true for a random string", random)
	}
}

func TestLoadCommonRejectsCorruptData(t *testing.T) {
	if _, err := loadCommon([]byte("not gzip")); err == nil {
		t.Fatal("loadCommon accepted data that is not gzip")
	}
	for _, text := range []string{"", "b\na\n", "a\na\n", "a\n\nb\n", "a\nb"} {
		if _, err := loadCommon(gzipped(t, text)); err == nil {
			t.Errorf("loadCommon accepted %q, which is empty, unsorted, repeated or not newline-terminated", text)
		}
	}
	if _, err := loadCommon(gzipped(t, "a\nb\n")); err != nil {
		t.Errorf("loadCommon rejected a sorted list: %v", err)
	}
}

func gzipped(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func BenchmarkIsCommon(b *testing.B) {
	commonPasswords()
	for _, bm := range []struct{ name, password string }{
		{"hit", "Password1"},
		{"miss", "Xq7#vR2!mK9@pL4$wN8&"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				IsCommon(bm.password)
			}
		})
	}
}

// BenchmarkLoadCommon measures the first use of the list: the time to
// decompress and index it, and the heap the set keeps (heap-B/op).
func BenchmarkLoadCommon(b *testing.B) {
	var before, after runtime.MemStats
	var kept uint64
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		list, err := loadCommon(commonGz)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept += after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(list)
		b.StartTimer()
	}
	b.ReportMetric(float64(kept)/float64(b.N), "heap-B/op")
}
