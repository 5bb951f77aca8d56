package cache

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func TestFreshUntilMaxAge(t *testing.T) {
	c := New[string, int](10)
	c.Put("a", 1, t0)
	if v, ok := c.Fresh("a", t0.Add(time.Second-1), time.Second); !ok || v != 1 {
		t.Errorf("just before max age: %d, %v; want 1, true", v, ok)
	}
	if v, ok := c.Fresh("a", t0.Add(time.Second), time.Second); ok || v != 0 {
		t.Errorf("at max age: %d, %v; want 0, false", v, ok)
	}
	if _, loadedAt, ok := c.Get("a"); !ok || !loadedAt.Equal(t0) {
		t.Errorf("Get of an old entry: %v, %v; want it with its read time", loadedAt, ok)
	}
	if _, ok := c.Fresh("b", t0, time.Hour); ok {
		t.Error("Fresh found a key never put")
	}
}

func TestPutReturnsWhatItReplaces(t *testing.T) {
	c := New[string, int](10)
	if prev, had := c.Put("a", 1, t0); had || prev != 0 {
		t.Errorf("first Put replaced %d, %v", prev, had)
	}
	if prev, had := c.Put("a", 2, t0); !had || prev != 1 {
		t.Errorf("second Put replaced %d, %v; want 1, true", prev, had)
	}
}

func TestFullCacheIsEmptied(t *testing.T) {
	c := New[int, int](3)
	for k := range 3 {
		c.Put(k, k, t0)
	}
	c.Put(1, 10, t0) // a known key does not count against the bound
	if _, _, ok := c.Get(0); !ok {
		t.Fatal("replacing a key emptied the cache")
	}
	c.Put(3, 3, t0)
	for k := range 3 {
		if _, _, ok := c.Get(k); ok {
			t.Errorf("key %d survived a full cache", k)
		}
	}
	if v, _, ok := c.Get(3); !ok || v != 3 {
		t.Errorf("the key that overflowed: %d, %v; want 3, true", v, ok)
	}
}

func TestForgetAndClear(t *testing.T) {
	c := New[string, int](10)
	c.Put("a", 1, t0)
	c.Put("b", 2, t0)
	c.Forget("a")
	if _, _, ok := c.Get("a"); ok {
		t.Error("forgotten key still there")
	}
	if _, _, ok := c.Get("b"); !ok {
		t.Error("Forget dropped another key")
	}
	c.Clear()
	if _, _, ok := c.Get("b"); ok {
		t.Error("Clear kept a key")
	}
}

func TestByUserLivesForItsTTL(t *testing.T) {
	c := NewByUser[int](time.Second, 10)
	c.Put(c.Generation(), "s1", "ada", 1, t0)
	if v, ok := c.Get("s1", t0.Add(time.Second-1)); !ok || v != 1 {
		t.Errorf("within the TTL: %d, %v; want 1, true", v, ok)
	}
	if _, ok := c.Get("s1", t0.Add(time.Second)); ok {
		t.Error("at the TTL: still remembered")
	}
}

func TestByUserForgets(t *testing.T) {
	c := NewByUser[int](time.Hour, 10)
	gen := c.Generation()
	c.Put(gen, "s1", "ada", 1, t0)
	c.Put(gen, "s2", "ada", 2, t0)
	c.Put(gen, "s3", "grace", 3, t0)
	c.ForgetUser("ada")
	for key, want := range map[string]bool{"s1": false, "s2": false, "s3": true} {
		if _, ok := c.Get(key, t0); ok != want {
			t.Errorf("after ForgetUser(ada), %s remembered: %v, want %v", key, ok, want)
		}
	}
	// A value read before a forget is not remembered.
	c.Put(gen, "s1", "ada", 1, t0)
	if _, ok := c.Get("s1", t0); ok {
		t.Error("a value of an older generation was remembered")
	}
	gen = c.Generation()
	c.Put(gen, "s1", "ada", 1, t0)
	c.Forget("s1")
	if _, ok := c.Get("s1", t0); ok {
		t.Error("Forget left the key")
	}
	c.Put(c.Generation(), "s4", "", 4, t0)
	c.ForgetAll()
	if _, ok := c.Get("s3", t0); ok {
		t.Error("ForgetAll left a key")
	}
}

func TestByUserEmptiesWhenFull(t *testing.T) {
	c := NewByUser[int](time.Hour, 2)
	gen := c.Generation()
	c.Put(gen, "a", "", 1, t0)
	c.Put(gen, "b", "", 2, t0)
	c.Put(gen, "c", "", 3, t0)
	if _, ok := c.Get("a", t0); ok {
		t.Error("a full cache was not emptied")
	}
	if _, ok := c.Get("c", t0); !ok {
		t.Error("the value that filled it is missing")
	}
}
