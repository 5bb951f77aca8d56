package sdk

import (
	"fmt"
	"testing"
	"time"
)

func TestCacheExpires(t *testing.T) {
	c := newCache[string, int](10)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.put("a", 1, now.Add(time.Second))
	if v, ok := c.get("a", now); !ok || v != 1 {
		t.Errorf("get before expiry: %v %v", v, ok)
	}
	if _, ok := c.get("a", now.Add(time.Second)); ok {
		t.Error("found at its expiry")
	}
	if n := c.len(); n != 0 {
		t.Errorf("an expired entry found by get is kept: len %d", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newCache[string, int](100)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	c.put("hot", -1, later)
	for i := range 10_000 {
		c.put(fmt.Sprint(i), i, later)
		if i%10 == 0 {
			if _, ok := c.get("hot", now); !ok {
				t.Fatalf("an entry in use was evicted after %d puts", i)
			}
		}
		if n := c.len(); n > 100 {
			t.Fatalf("%d entries after %d puts, bound 100", n, i+1)
		}
	}
	if v, ok := c.get("9999", now); !ok || v != 9999 {
		t.Errorf("the newest entry is gone: %v %v", v, ok)
	}
	if _, ok := c.get("0", now); ok {
		t.Error("the oldest entry is still there")
	}
}

func TestCacheDisabled(t *testing.T) {
	for _, size := range []int{0, -1} {
		c := newCache[string, int](size)
		c.put("a", 1, time.Now().Add(time.Hour))
		if _, ok := c.get("a", time.Now()); ok || c.len() != 0 {
			t.Errorf("size %d: a disabled cache kept an entry", size)
		}
	}
}

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc":     "abc",
		"bearer abc":     "abc",
		"BEARER  abc ":   "abc",
		"Bearer ":        "",
		"Bearer":         "",
		"Bearerabc":      "",
		"Basic abc":      "",
		"":               "",
		"Token abc":      "",
		"Bearer a.b.c d": "a.b.c d",
	} {
		if got := bearerToken(h); got != want {
			t.Errorf("bearerToken(%q) = %q, want %q", h, got, want)
		}
	}
}
