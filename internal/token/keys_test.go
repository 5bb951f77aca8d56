package token_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

var timing = token.Timing{Lead: time.Hour, Retention: 25 * time.Hour}

// replica is one server's keys and issuer on a shared store.
type replica struct {
	t    *testing.T
	keys *token.Keys
	iss  *token.Issuer
	clk  *testclock.Clock
}

func newReplica(t *testing.T, store iam.Store, master *token.MasterKey, clk *testclock.Clock) *replica {
	t.Helper()
	keys, err := token.LoadKeys(context.Background(), store, master, clk.Now, timing)
	if err != nil {
		t.Fatal(err)
	}
	return &replica{t: t, keys: keys, iss: token.NewIssuer(keys, clk.Now), clk: clk}
}

// issue signs an access token lasting ttl and returns it with its key id.
func (r *replica) issue(ttl time.Duration) (string, string) {
	r.t.Helper()
	raw, err := r.iss.Issue("https://id", "t", "u", "s", nil, ttl)
	if err != nil {
		r.t.Fatal(err)
	}
	return raw, kid(r.t, raw)
}

// verifies reports whether a token verifies, with a fresh issuer so that no
// earlier verification is remembered.
func (r *replica) verifies(raw string) bool {
	_, err := token.NewIssuer(r.keys, r.clk.Now).Verify(context.Background(), raw, "https://id")
	return err == nil
}

func (r *replica) published() []string {
	var kids []string
	for _, k := range r.keys.JWKS().Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

func (r *replica) states() map[string]token.KeyState {
	r.t.Helper()
	infos, err := r.keys.List(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]token.KeyState{}
	for _, i := range infos {
		out[i.ID] = i.State
	}
	return out
}

func kid(t *testing.T, raw string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

// TestKeyLifecycle: a next key is published but does not sign; after the
// lead time it signs; the old key verifies what it signed until the
// retention time has passed, then leaves the JWKS and verifies nothing.
func TestKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	r := newReplica(t, newStore(t), masterKey(t), clk)
	_, old := r.issue(time.Minute)

	next, err := r.keys.Rotate(ctx, jose.ES256, false)
	if err != nil {
		t.Fatal(err)
	}
	if next.State != token.KeyNext || !next.ActivatesAt.Equal(clk.Now().Add(time.Hour)) || next.Algorithm != jose.ES256 {
		t.Fatalf("Rotate = %+v, want a next ES256 key signing in an hour", next)
	}
	if got := r.published(); !slices.Contains(got, next.ID) || !slices.Contains(got, old) {
		t.Fatalf("JWKS %v, want the old key %s and the next key %s", got, old, next.ID)
	}
	if _, err := r.keys.Rotate(ctx, jose.ES256, false); !iam.IsCode(err, iam.CodeConflict) {
		t.Fatalf("a second rotation while a next key is published: %v, want %s", err, iam.CodeConflict)
	}
	clk.Advance(time.Hour - time.Second)
	// Signed just before the switch, with a lifetime beyond the retention:
	// it shows when the old key stops verifying.
	lastOld, signer := r.issue(48 * time.Hour)
	if signer != old {
		t.Fatalf("before the lead time passed, the key %s signed, want the old key %s", signer, old)
	}
	clk.Advance(time.Second)
	_, signer = r.issue(time.Hour)
	if signer != next.ID {
		t.Fatalf("after the lead time the key %s signed, want the next key %s", signer, next.ID)
	}
	if s := r.states(); s[old] != token.KeyRetiring || s[next.ID] != token.KeyActive {
		t.Fatalf("states %v, want %s retiring and %s active", s, old, next.ID)
	}
	clk.Advance(25*time.Hour - time.Second)
	if !r.verifies(lastOld) {
		t.Fatal("a token of the retiring key did not verify within the retention time")
	}
	if !slices.Contains(r.published(), old) {
		t.Fatal("the retiring key left the JWKS before the retention time passed")
	}
	clk.Advance(time.Second)
	if r.verifies(lastOld) {
		t.Fatal("a token of the old key verified after the retention time")
	}
	if got := r.published(); len(got) != 1 || got[0] != next.ID {
		t.Fatalf("JWKS after the retention time %v, want only %s", got, next.ID)
	}
}

// TestRotateNow: an emergency rotation signs at once, with the published
// next key when there is one.
func TestRotateNow(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	r := newReplica(t, newStore(t), masterKey(t), clk)
	_, first := r.issue(time.Minute)

	second, err := r.keys.Rotate(ctx, jose.ES256, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, signer := r.issue(time.Minute); second.State != token.KeyActive || signer != second.ID {
		t.Fatalf("Rotate now = %+v, then %s signed; want the new key active and signing", second, signer)
	}
	next, err := r.keys.Rotate(ctx, jose.ES256, false)
	if err != nil {
		t.Fatal(err)
	}
	promoted, err := r.keys.Rotate(ctx, jose.ES256, true)
	if err != nil {
		t.Fatal(err)
	}
	if promoted.ID != next.ID || promoted.State != token.KeyActive || !promoted.ActivatesAt.Equal(clk.Now()) {
		t.Fatalf("Rotate now with a next key = %+v, want %s active now", promoted, next.ID)
	}
	if s := r.states(); s[first] != token.KeyRetiring || s[second.ID] != token.KeyRetiring {
		t.Fatalf("states %v, want the two older keys retiring", s)
	}
}

// TestAlgorithmsRotateApart: RS256 keys come when first asked for, sign
// what verifies against the JWKS, and rotate without touching ES256.
func TestAlgorithmsRotateApart(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	r := newReplica(t, newStore(t), masterKey(t), clk)
	if n := len(r.published()); n != 1 {
		t.Fatalf("%d keys published at first, want the ES256 key alone", n)
	}
	es, err := r.keys.SigningKey(ctx, jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.keys.SigningKey(ctx, jose.RS256)
	if err != nil {
		t.Fatal(err)
	}
	if rs.SignatureAlgorithm() != jose.RS256 || rs.ID() == es.ID() {
		t.Fatalf("SigningKey(RS256) = %s %s, want an RS256 key of its own", rs.SignatureAlgorithm(), rs.ID())
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: rs.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: rs.Key(), KeyID: rs.ID()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{Subject: "u"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := tok.Claims(r.keys.JWKS(), &c); err != nil || c.Subject != "u" {
		t.Fatalf("an RS256 token did not verify against the JWKS: %v", err)
	}

	next, err := r.keys.Rotate(ctx, jose.RS256, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.keys.Rotate(ctx, jose.ES256, false); err != nil {
		t.Fatalf("an ES256 rotation while an RS256 key is next: %v", err)
	}
	clk.Advance(time.Hour)
	if _, err := r.keys.Rotate(ctx, jose.ES256, true); err != nil {
		t.Fatal(err)
	}
	now, err := r.keys.SigningKey(ctx, jose.RS256)
	if err != nil || now.ID() != next.ID {
		t.Fatalf("RS256 signs with %s, %v; want its next key %s", now.ID(), err, next.ID)
	}
	if _, err := r.keys.Rotate(ctx, "HS256", false); !iam.IsCode(err, iam.CodeInvalid) {
		t.Fatalf("Rotate(HS256): %v, want %s", err, iam.CodeInvalid)
	}
}

// TestConcurrentRotations: replicas rotating at once create one next key.
func TestConcurrentRotations(t *testing.T) {
	ctx := context.Background()
	store, master := newStore(t), masterKey(t)
	clk := testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	replicas := []*replica{newReplica(t, store, master, clk), newReplica(t, store, master, clk), newReplica(t, store, master, clk)}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		rotated  int
		conflict int
	)
	for i := range 12 {
		wg.Go(func() {
			_, err := replicas[i%len(replicas)].keys.Rotate(ctx, jose.ES256, false)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				rotated++
			case iam.IsCode(err, iam.CodeConflict):
				conflict++
			default:
				t.Errorf("Rotate: %v", err)
			}
		})
	}
	wg.Wait()
	if rotated != 1 || conflict != 11 {
		t.Fatalf("%d rotations succeeded and %d conflicted, want 1 and 11", rotated, conflict)
	}
	keys, err := store.ListSigningKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("%d keys stored, %v; want the first and one next key", len(keys), err)
	}
}

// TestScheduledRotation: the replica holding the lease rotates a key that
// has signed for the period, the others learn the next key and switch to it
// at the same moment, and keys whose tokens have expired are marked retired.
func TestScheduledRotation(t *testing.T) {
	ctx := context.Background()
	store, master := newStore(t), masterKey(t)
	clk := testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	a, b := newReplica(t, store, master, clk), newReplica(t, store, master, clk)
	const period = 90 * 24 * time.Hour
	maintain := func(r *replica, holder string) []token.KeyInfo {
		t.Helper()
		rotated, err := r.keys.Maintain(ctx, holder, period, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return rotated
	}
	if got := maintain(a, "a"); len(got) != 0 {
		t.Fatalf("a fresh key was rotated: %+v", got)
	}
	_, first := a.issue(time.Minute)
	clk.Advance(period)
	rotated := maintain(a, "a")
	if len(rotated) != 1 || rotated[0].State != token.KeyNext {
		t.Fatalf("after the period, Maintain rotated %+v, want one next key", rotated)
	}
	if got := maintain(b, "b"); len(got) != 0 {
		t.Fatalf("a replica without the lease rotated %+v", got)
	}
	if got := maintain(a, "a"); len(got) != 0 {
		t.Fatalf("a key with a next key was rotated again: %+v", got)
	}
	if !slices.Contains(b.published(), rotated[0].ID) {
		t.Fatal("the other replica does not publish the next key after its refresh")
	}
	clk.Advance(time.Hour)
	for name, r := range map[string]*replica{"a": a, "b": b} {
		if _, signer := r.issue(time.Minute); signer != rotated[0].ID {
			t.Errorf("replica %s signs with %s after the lead time, want %s", name, signer, rotated[0].ID)
		}
	}
	clk.Advance(timing.Retention)
	// The lease of a's last round has run out: b may take it.
	if got := maintain(b, "b"); len(got) != 0 {
		t.Fatalf("Maintain rotated %+v, want nothing", got)
	}
	keys, err := store.ListSigningKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].ID != rotated[0].ID {
		t.Fatalf("stored keys not retired: %d, %v; want only %s (%s retired)", len(keys), err, rotated[0].ID, first)
	}
}
