package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"sync/atomic"
	"time"
)

// workingSet is how many distinct checks the load cycles through: each is
// asked once first, so the run measures a warm cache.
const workingSet = 2000

// measureAuthz seeds the data set, starts the server on it and loads
// POST /api/v1/authz/check against the bare baseline.
func measureAuthz(bin, bare, dir string, d time.Duration, conns int) error {
	data, err := seed(dir)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	cmd := exec.Command(bin, "serve", "--listen", gatehouseAddr, "--data-dir", dir, "--log-level", "error")
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer stop(cmd)
	if err := waitReady("http://" + gatehouseAddr + "/readyz"); err != nil {
		return err
	}
	token, err := login()
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	bodies := make([][]byte, workingSet)
	for i := range bodies {
		user := data.users[rng.IntN(len(data.users))]
		check := map[string]any{"subject": map[string]any{"type": "user", "id": user}, "permission": data.perms[rng.IntN(len(data.perms))]}
		if i%5 != 0 {
			orgs := data.member[user]
			check["organization"] = orgs[rng.IntN(len(orgs))]
		}
		bodies[i], _ = json.Marshal(check)
	}
	client := &http.Client{}
	allowed := 0
	for _, b := range bodies {
		ok, yes := postCheck(client, "http://"+gatehouseAddr, token, b)
		if !ok {
			return fmt.Errorf("warm-up check failed: %s", b)
		}
		if yes {
			allowed++
		}
	}
	fmt.Printf("warm-up: %d distinct checks, %d allowed\n", len(bodies), allowed)

	baseline, err := startBaseline(bare)
	if err != nil {
		return err
	}
	defer stop(baseline)
	var next atomic.Uint64
	pick := func() []byte { return bodies[next.Add(1)%workingSet] }
	bareRes := load(conns, d, func(c *http.Client) bool { ok, _ := postCheck(c, "http://"+bareAddr, "", pick()); return ok })
	checkRes := load(conns, d, func(c *http.Client) bool { ok, _ := postCheck(c, "http://"+gatehouseAddr, token, pick()); return ok })
	fmt.Printf("POST /api/v1/authz/check, %d connections, %s each, warm cache:\n", conns, d)
	fmt.Printf("  bare net/http handler: %s\n", bareRes)
	fmt.Printf("  gatehouse:             %s\n", checkRes)
	fmt.Printf("  ratio: %.0f%% of the bare handler (target: at least 50%%)\n", 100*checkRes.rps()/bareRes.rps())
	single := load(1, d, func(c *http.Client) bool { ok, _ := postCheck(c, "http://"+gatehouseAddr, token, pick()); return ok })
	fmt.Printf("  one connection (latency without queueing): %s (target: p99 under 1 ms)\n", single)
	fmt.Printf("  gatehouse RSS: %s\n", rss(cmd.Process.Pid))
	return nil
}

// postCheck sends one check and reports whether it succeeded and allowed.
func postCheck(c *http.Client, base, token string, body []byte) (ok, allowed bool) {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/authz/check", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return false, false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode == http.StatusOK, bytes.Contains(b, []byte(`"allowed":true`))
}
