package sqlstore_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// TestSigningKeyRotationMigration chains the keys of each algorithm in the
// order they were created, each signing from its creation, so that the
// newest one keeps signing; migrated down, the columns go.
func TestSigningKeyRotationMigration(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		if err := s.MigrateUpTo(ctx, 19); err != nil {
			t.Fatal(err)
		}
		db := s.DB()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for _, k := range []struct {
			id, alg string
			created time.Duration
		}{{"b", "ES256", 0}, {"a", "ES256", 0}, {"c", "ES256", time.Hour}, {"r", "RS256", 0}} {
			if _, err := db.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, public_jwk, created_at)
				VALUES ($1, $2, $3, '{}', $4)`, k.id, k.alg, []byte{0}, t0.Add(k.created)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		keys, err := s.ListSigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]struct {
			succeeds  string
			activates time.Time
		}{"a": {"", t0}, "b": {"a", t0}, "c": {"b", t0.Add(time.Hour)}, "r": {"", t0}}
		if len(keys) != len(want) {
			t.Fatalf("%d keys after migrating up, want %d", len(keys), len(want))
		}
		for _, k := range keys {
			if w := want[k.ID]; k.Succeeds != w.succeeds || !k.ActivatesAt.Equal(w.activates) {
				t.Errorf("key %s succeeds %q, activates %v; want %q, %v", k.ID, k.Succeeds, k.ActivatesAt, w.succeeds, w.activates)
			}
		}

		if err := s.MigrateDownTo(ctx, 19); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM signing_keys`).Scan(&n); err != nil || n != 4 {
			t.Errorf("%d keys after migrating down, %v; want 4", n, err)
		}
		var succeeds sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT succeeds FROM signing_keys`).Scan(&succeeds); err == nil {
			t.Error("the succeeds column is still there after migrating down")
		}
	})
}

// TestTokensOfEarlierKeysVerifyAfterMigration: ES256 keys and tokens written
// before migration 00021 — when the newest key signed and every key verified
// — still verify after it, and the newest key goes on signing.
func TestTokensOfEarlierKeysVerifyAfterMigration(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		if err := s.MigrateUpTo(ctx, 19); err != nil {
			t.Fatal(err)
		}
		master, _, err := token.LoadOrCreateMasterKey(filepath.Join(t.TempDir(), token.MasterKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		clk := testclock.New(time.Now().UTC().Truncate(time.Second))
		older := writeV19Key(t, s.DB(), master, clk.Now().Add(-2*time.Hour))
		newest := writeV19Key(t, s.DB(), master, clk.Now().Add(-time.Hour))
		// The older key stopped signing an hour ago, when the newest came.
		byOlder := v19Token(t, older, 24*time.Hour, clk.Now().Add(-time.Hour-time.Minute))
		byNewest := v19Token(t, newest, 10*time.Minute, clk.Now())

		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		keys, err := token.LoadKeys(ctx, s, master, clk.Now, token.Timing{})
		if err != nil {
			t.Fatal(err)
		}
		iss := token.NewIssuer(keys, clk.Now)
		for what, raw := range map[string]string{"the newest key": byNewest, "the older key": byOlder} {
			if _, err := iss.Verify(ctx, raw, "https://id"); err != nil {
				t.Errorf("a token of %s written before the migration: %v", what, err)
			}
		}
		raw, err := iss.Issue("https://id", "t", "u", "s", nil, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Headers[0].KeyID; got != newest.KeyID {
			t.Errorf("after the migration the key %s signs, want the newest key %s", got, newest.KeyID)
		}
	})
}

// writeV19Key stores an ES256 key as Gatehouse wrote it before migration
// 00021 and returns its private half.
func writeV19Key(t *testing.T, db *sql.DB, master *token.MasterKey, created time.Time) jose.JSONWebKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kid := created.Format("20060102T150405")
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := master.Seal(der, []byte("signing-key:"+kid))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO signing_keys (id, algorithm, private_key, public_jwk, created_at, retired_at)
		VALUES ($1, $2, $3, $4, $5, NULL)`, kid, string(jose.ES256), sealed, string(pub), created); err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: priv, KeyID: kid}
}

// v19Token is an access token as Gatehouse signed it before migration 00021.
func v19Token(t *testing.T, key jose.JSONWebKey, ttl time.Duration, issued time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(token.AccessClaims{Claims: jwt.Claims{Issuer: "https://id", Subject: "u",
		Audience: jwt.Audience{"https://id"}, IssuedAt: jwt.NewNumericDate(issued), Expiry: jwt.NewNumericDate(issued.Add(ttl))},
		TenantID: "t", SessionID: "s"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
