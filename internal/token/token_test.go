package token_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

func newStore(t *testing.T) iam.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "t.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func masterKey(t *testing.T) *token.MasterKey {
	t.Helper()
	k, _, err := token.LoadOrCreateMasterKey(filepath.Join(t.TempDir(), token.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMasterKeySealsWithPurpose(t *testing.T) {
	k := masterKey(t)
	sealed, err := k.Seal([]byte("secret"), []byte("purpose-a"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(sealed, []byte("purpose-a")); err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, []byte("purpose-b")); err == nil {
		t.Fatal("a value sealed for one purpose opened for another")
	}
	if _, err := masterKey(t).Open(sealed, []byte("purpose-a")); err == nil {
		t.Fatal("another master key opened the value")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open(sealed, []byte("purpose-a")); err == nil {
		t.Fatal("a tampered value opened")
	}
}

func TestParseMasterKey(t *testing.T) {
	raw := strings.Repeat("k", 32)
	for _, enc := range []string{base64.StdEncoding.EncodeToString([]byte(raw)), base64.RawURLEncoding.EncodeToString([]byte(raw)) + "\n"} {
		if _, err := token.ParseMasterKey(enc); err != nil {
			t.Errorf("ParseMasterKey(%q): %v", enc, err)
		}
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := token.ParseMasterKey(bad); err == nil {
			t.Errorf("ParseMasterKey(%q) accepted", bad)
		}
	}
}

func TestIssueAndVerify(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Now())
	keys, err := token.LoadKeys(ctx, newStore(t), masterKey(t), clk.Now, token.Timing{})
	if err != nil {
		t.Fatal(err)
	}
	iss := token.NewIssuer(keys, clk.Now)
	raw, err := iss.Issue("https://id.example.com", "tenant-1", "user-1", "session-1", []string{"pwd"}, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verify(ctx, raw, "https://id.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user-1" || c.TenantID != "tenant-1" || c.SessionID != "session-1" || c.ID == "" {
		t.Fatalf("claims %+v", c)
	}
	if _, err := iss.Verify(ctx, raw, "https://other.example.com"); !iam.IsCode(err, iam.CodeInvalidToken) {
		t.Fatalf("a token of another issuer verified: %v", err)
	}
	clk.Advance(10 * time.Minute)
	if _, err := iss.Verify(ctx, raw, "https://id.example.com"); !iam.IsCode(err, iam.CodeInvalidToken) {
		t.Fatalf("an expired (and cached) token verified: %v", err)
	}
}

// TestKeysFollowRotationOnAnotherReplica: a replica learns a key rotated by
// another one when it first sees a token signed with it.
func TestKeysFollowRotationOnAnotherReplica(t *testing.T) {
	ctx := context.Background()
	store, master := newStore(t), masterKey(t)
	clk := testclock.New(time.Now())
	a, err := token.LoadKeys(ctx, store, master, clk.Now, token.Timing{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := token.LoadKeys(ctx, store, master, clk.Now, token.Timing{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.JWKS().Keys) != 1 || a.JWKS().Keys[0].KeyID != b.JWKS().Keys[0].KeyID {
		t.Fatal("two replicas on one store created different first keys")
	}
	if _, err := a.Rotate(ctx, jose.ES256, true); err != nil {
		t.Fatal(err)
	}
	raw, err := token.NewIssuer(a, clk.Now).Issue("https://id", "t", "u", "s", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := token.NewIssuer(b, clk.Now).Verify(ctx, raw, "https://id"); err != nil {
		t.Fatalf("replica b refused a token signed with the rotated key: %v", err)
	}
	if len(b.JWKS().Keys) != 2 {
		t.Fatalf("replica b publishes %d keys, want both", len(b.JWKS().Keys))
	}
	if _, err := token.LoadKeys(ctx, store, masterKey(t), clk.Now, token.Timing{}); err == nil {
		t.Fatal("keys loaded with the wrong master key")
	}
}

func TestOpaque(t *testing.T) {
	a, b := token.NewOpaque(token.RefreshPrefix), token.NewOpaque(token.RefreshPrefix)
	if a == b || !strings.HasPrefix(a, "ghr_") || len(a) != 4+43 {
		t.Fatalf("opaque tokens %q %q", a, b)
	}
	if token.HashOpaque(a) == token.HashOpaque(b) || len(token.HashOpaque(a)) != 64 {
		t.Fatal("hashes")
	}
}

func TestMasterKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), token.MasterKeyFile)
	k1, created, err := token.LoadOrCreateMasterKey(path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, %v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", info.Mode().Perm(), err)
	}
	k2, created, err := token.LoadOrCreateMasterKey(path)
	if err != nil || created {
		t.Fatalf("second load: created %v, %v", created, err)
	}
	sealed, _ := k1.Seal([]byte("x"), nil)
	if _, err := k2.Open(sealed, nil); err != nil {
		t.Fatal("the reloaded key differs from the created one")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := token.LoadOrCreateMasterKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file was accepted: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestMasterKeyCreatedOnceByConcurrentStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), token.MasterKeyFile)
	keys := make([]*token.MasterKey, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := token.LoadOrCreateMasterKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	sealed, _ := keys[0].Seal([]byte("x"), nil)
	for _, k := range keys[1:] {
		if k == nil {
			continue
		}
		if _, err := k.Open(sealed, nil); err != nil {
			t.Fatal("concurrent starts ended with different master keys")
		}
	}
}
