package password

import (
	"context"
	"strings"
	"testing"
)

func fastHasher(t *testing.T) *Hasher {
	t.Helper()
	h, err := NewHasher(Params{Time: 1, MemoryKiB: 64, Threads: 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := fastHasher(t)
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", enc)
	}
	again, _ := h.Hash(ctx, "correct horse")
	if again == enc {
		t.Fatal("two hashes of one password share a salt")
	}
	tests := []struct {
		password string
		want     bool
	}{{"correct horse", true}, {"correct horsf", false}, {"", false}}
	for _, tt := range tests {
		ok, err := h.Verify(ctx, tt.password, enc)
		if err != nil || ok != tt.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tt.password, ok, err, tt.want)
		}
	}
}

func TestVerifyEmptyHashNeverMatches(t *testing.T) {
	h := fastHasher(t)
	if ok, err := h.Verify(context.Background(), "gatehouse-dummy-password", ""); ok || err != nil {
		t.Fatalf("empty hash matched: %v %v", ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := fastHasher(t)
	for _, enc := range []string{"plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5"} {
		if ok, err := h.Verify(context.Background(), "x", enc); ok || err == nil {
			t.Errorf("Verify on %q = %v, %v; want error", enc, ok, err)
		}
	}
}

func TestHashHonoursCancelledContextWhenSaturated(t *testing.T) {
	h, err := NewHasher(Params{Time: 1, MemoryKiB: 64, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	h.slots <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "x"); err == nil {
		t.Fatal("Hash ran although every slot was taken and ctx was cancelled")
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	if _, err := NewHasher(Params{Time: 0, MemoryKiB: 64, Threads: 1}, 1); err == nil {
		t.Fatal("accepted t=0")
	}
}
