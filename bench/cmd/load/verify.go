package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"time"
)

// measureVerify loads the credential-verification API with the bootstrap
// admin's own password against the argon2id bound, as measureLogin does for
// logins: each verification is one hash, and no session is opened.
func measureVerify(cmd *exec.Cmd, d time.Duration) error {
	token, err := login()
	if err != nil {
		return err
	}
	var me struct {
		ID string `json:"id"`
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+gatehouseAddr+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	err = json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if err != nil || me.ID == "" {
		return fmt.Errorf("me: status %d, %v", res.StatusCode, err)
	}
	url := "http://" + gatehouseAddr + "/api/v1/users/" + me.ID + "/credentials/verify"
	body := []byte(fmt.Sprintf(`{"type":"password","password":%q}`, password))
	verify := func(c *http.Client) bool {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var st struct {
			StatusCode int `json:"status_code"`
		}
		err = json.NewDecoder(res.Body).Decode(&st)
		_, _ = io.Copy(io.Discard, res.Body)
		return err == nil && res.StatusCode == http.StatusOK && st.StatusCode == 5
	}

	hash := hashTime()
	bound := float64(runtime.NumCPU()) / hash.Seconds()
	workers := 2 * runtime.NumCPU()
	r := load(workers, d, verify)
	fmt.Printf("POST /api/v1/users/{id}/credentials/verify (password), %d workers, %s:\n", workers, d)
	fmt.Printf("  one argon2id hash (t=2, m=19 MiB, p=1): %s; bound = %d CPUs / hash = %.1f verifications/s\n",
		hash.Round(100*time.Microsecond), runtime.NumCPU(), bound)
	fmt.Printf("  gatehouse: %s\n", r)
	fmt.Printf("  ratio: %.0f%% of the argon2id bound\n", 100*r.rps()/bound)
	capacity := parallelHashes(runtime.NumCPU(), 3*time.Second)
	fmt.Printf("  argon2id alone on %d goroutines, no server: %.1f hashes/s; verifications reach %.0f%% of that\n",
		runtime.NumCPU(), capacity, 100*r.rps()/capacity)
	fmt.Printf("  gatehouse RSS after the run: %s\n", rss(cmd.Process.Pid))
	return nil
}
