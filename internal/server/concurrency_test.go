package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentChangesNeverFail runs refreshes, logouts, admin changes and
// deletions of the same users at once: each answers a 2xx or a clean 4xx,
// never a 500 (PostgreSQL deadlocks are retried or avoided).
func TestConcurrentChangesNeverFail(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	h.post("/api/v1/admins", admin, map[string]any{"email": "second@example.com", "name": "Second", "password": "Kq-c5330-b1344",
		"admin_roles": []string{"superadmin"}}).want(http.StatusCreated)
	const rounds = 8
	for round := range rounds {
		email := fmt.Sprintf("victim%d@example.com", round)
		id := h.createUser(admin, email, "Kq-a5311-a7671")
		sessions := []tokens{h.login(email, "Kq-a5311-a7671"), h.login(email, "Kq-a5311-a7671")}
		var wg sync.WaitGroup
		statuses := make(chan int, 16)
		do := func(f func() *response) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- f().Status
			}()
		}
		for _, s := range sessions {
			do(func() *response {
				return h.post("/api/v1/auth/refresh", "", map[string]any{"refresh_token": s.RefreshToken})
			})
			do(func() *response { return h.post("/api/v1/auth/logout", s.AccessToken, nil) })
		}
		do(func() *response { return h.post("/api/v1/users/"+id+"/disable", admin, nil) })
		do(func() *response { return h.delete("/api/v1/users/"+id, admin) })
		do(func() *response {
			return h.patch("/api/v1/admins/"+id, admin, map[string]any{"admin_roles": []string{"superadmin"}})
		})
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s >= 500 {
				t.Fatalf("round %d: a concurrent change answered %d", round, s)
			}
		}
	}
	h.get("/api/v1/me", admin).want(http.StatusOK)
}

func TestConcurrentSettingsPatchesAllApply(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.admin()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		h.patchSettings(admin, map[string]any{"lockout": map[string]any{"max_attempts": 7}})
	}()
	go func() {
		defer wg.Done()
		h.patchSettings(admin, map[string]any{"signup": map[string]any{"policy": "open"}})
	}()
	wg.Wait()
	st := h.get("/api/v1/settings", admin).JSON()
	if st["lockout"].(map[string]any)["max_attempts"].(float64) != 7 || st["signup"].(map[string]any)["policy"] != "open" {
		t.Fatalf("a concurrent patch was lost: %v", st)
	}
}
