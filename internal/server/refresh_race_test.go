package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestRefreshRaceEndsTheSession: of n concurrent refreshes with one token,
// exactly one gets tokens; losing the rotation race is reuse (RFC 9700
// §4.14.2), so the session ends, the winner's tokens stop working and the
// reuse is audited.
func TestRefreshRaceEndsTheSession(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.createUser(admin, "racer@example.com", "Kq-a5311-a7671")
	for n := 2; n <= 10; n++ {
		for round := range 3 {
			race := fmt.Sprintf("%d refreshes, round %d", n, round)
			tk := h.login("racer@example.com", "Kq-a5311-a7671")
			answers := make([]*response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i] = h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken})
				}()
			}
			wg.Wait()
			var won []tokens
			for _, r := range answers {
				if r.Status == http.StatusOK {
					var w tokens
					r.Decode(&w)
					won = append(won, w)
				} else {
					r.wantError(http.StatusUnauthorized, "invalid_token")
				}
			}
			if len(won) != 1 {
				t.Fatalf("%s: %d won, want exactly 1", race, len(won))
			}
			if r := h.get("/api/v1/me", won[0].AccessToken); r.Status != http.StatusUnauthorized {
				t.Fatalf("%s: the winner's access token still works after the race (%d)", race, r.Status)
			}
			h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": won[0].RefreshToken}).wantError(http.StatusUnauthorized, "invalid_token")
			if len(h.auditEvents(admin, "action=auth.refresh.reuse_detected&target_id="+sessionOf(t, tk.AccessToken))) == 0 {
				t.Fatalf("%s: the reuse was not audited", race)
			}
		}
	}
}

// sessionOf reads the session id from an access token's claims.
func sessionOf(t *testing.T, jwt string) string {
	t.Helper()
	var claims struct {
		SID string `json:"sid"`
	}
	if jwtClaims(t, jwt, &claims); claims.SID == "" {
		t.Fatalf("no sid in %q", jwt)
	}
	return claims.SID
}
