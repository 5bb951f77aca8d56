package password

import (
	"crypto/rand"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCommonList(t *testing.T) {
	set := commonPasswords()
	if len(set) < 100_000 {
		t.Fatalf("list has %d entries, want at least 100,000", len(set))
	}
	for e := range set {
		if fold(e) != e || strings.TrimSpace(e) != e || utf8.RuneCountInString(e) < 4 {
			t.Errorf("entry %q is not folded, trimmed and at least 4 code points", e)
		}
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
		set, err := loadCommon(commonGz)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept += after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(set)
		b.StartTimer()
	}
	b.ReportMetric(float64(kept)/float64(b.N), "heap-B/op")
}
