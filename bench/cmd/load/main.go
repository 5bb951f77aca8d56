// Command load measures a built gatehouse binary against the figures the
// foundation issue names: start-up to /readyz on a fresh SQLite file, idle RSS,
// GET /api/v1/me throughput against a bare net/http handler, and login
// and credential-verification throughput against the argon2id bound. See
// bench/README.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

func main() {
	bin := flag.String("gatehouse", "", "path to the gatehouse binary")
	bare := flag.String("bare", "", "path to the bare baseline binary")
	duration := flag.Duration("duration", 10*time.Second, "length of each load run")
	conns := flag.Int("c", 16, "concurrent connections for the /me runs")
	only := flag.String("only", "", `run only "me", "login", "verify" (the credential-verification API) "pat" (GET /api/v1/me with a personal access token against a JWT) or "oauth" (client credentials and introspection at 4 and 32 connections); "authz" runs the authorization check on a seeded data set; "flood" the login flood; "startup" restarts on an existing SQLite file`)
	flag.Parse()
	if *bin == "" || *bare == "" {
		fmt.Fprintln(os.Stderr, "usage: load -gatehouse BIN -bare BIN [-duration 10s] [-c 16]")
		os.Exit(2)
	}
	if err := run(*bin, *bare, *duration, *conns, *only); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

const (
	gatehouseAddr = "127.0.0.1:18180"
	bareAddr      = "127.0.0.1:18181"
	email         = "admin@example.com"
	password      = "bench-password-1"
)

func run(bin, bare string, d time.Duration, conns int, only string) error {
	dir, err := os.MkdirTemp("", "gatehouse-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Printf("machine: %d CPUs, %s/%s\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	switch only {
	case "authz":
		return measureAuthz(bin, bare, dir, d, conns)
	case "flood":
		return measureFlood(bin, dir)
	case "startup":
		return measureStartup(bin, dir)
	}
	cmd := exec.Command(bin, "serve", "--listen", gatehouseAddr, "--data-dir", dir, "--log-level", "error")
	// The login run measures hashing throughput from one client address;
	// the per-IP rate limit (measured by the flood run) would stop it.
	cmd.Env = append(os.Environ(), "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL="+email, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD="+password,
		"GATEHOUSE_AUTH_RATE_PER_SECOND=0")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer stop(cmd)
	if err := waitReady("http://" + gatehouseAddr + "/readyz"); err != nil {
		return err
	}
	fmt.Printf("start-up to /readyz 200 (fresh SQLite file, first-start set-up included): %s\n", time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	fmt.Printf("idle RSS after start-up: %s\n\n", rss(cmd.Process.Pid))

	switch only {
	case "verify":
		return measureVerify(cmd, d)
	case "pat":
		return measurePAT(cmd, d, conns)
	case "oauth":
		return measureOAuth(cmd, bare, d)
	}
	if only != "login" {
		if err := measureMe(cmd, bare, d, conns); err != nil {
			return err
		}
	}
	if only != "me" {
		measureLogin(cmd, d)
	}
	return nil
}

func measureMe(cmd *exec.Cmd, bare string, d time.Duration, conns int) error {
	token, err := login()
	if err != nil {
		return err
	}
	baseline, err := startBaseline(bare)
	if err != nil {
		return err
	}
	defer stop(baseline)
	bareRes := load(conns, d, func(c *http.Client) bool { return get(c, "http://"+bareAddr+"/api/v1/me", "") })
	meRes := load(conns, d, func(c *http.Client) bool { return get(c, "http://"+gatehouseAddr+"/api/v1/me", token) })
	fmt.Printf("GET /api/v1/me, %d connections, %s each:\n", conns, d)
	fmt.Printf("  bare net/http handler: %s\n", bareRes)
	fmt.Printf("  gatehouse (JWT):       %s\n", meRes)
	fmt.Printf("  ratio: %.0f%% of the bare handler (target: at least 50%%)\n", 100*meRes.rps()/bareRes.rps())
	fmt.Printf("  gatehouse RSS under load: %s\n\n", rss(cmd.Process.Pid))
	return nil
}

func measureLogin(cmd *exec.Cmd, d time.Duration) {
	hash := hashTime()
	bound := float64(runtime.NumCPU()) / hash.Seconds()
	workers := 2 * runtime.NumCPU()
	loginRes := load(workers, d, func(c *http.Client) bool { return postLogin(c) })
	fmt.Printf("POST /api/v1/auth/login, %d workers, %s:\n", workers, d)
	fmt.Printf("  one argon2id hash (t=2, m=19 MiB, p=1): %s; bound = %d CPUs / hash = %.1f logins/s\n", hash.Round(100*time.Microsecond), runtime.NumCPU(), bound)
	fmt.Printf("  gatehouse: %s\n", loginRes)
	fmt.Printf("  ratio: %.0f%% of the argon2id bound (target: at least 80%%)\n", 100*loginRes.rps()/bound)
	capacity := parallelHashes(runtime.NumCPU(), 3*time.Second)
	fmt.Printf("  argon2id alone on %d goroutines, no server: %.1f hashes/s; logins reach %.0f%% of that\n",
		runtime.NumCPU(), capacity, 100*loginRes.rps()/capacity)
	fmt.Printf("  gatehouse RSS after the login run: %s\n", rss(cmd.Process.Pid))
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// startBaseline runs the bare server on bareAddr and waits until it answers.
func startBaseline(bare string) (*exec.Cmd, error) {
	cmd := exec.Command(bare, "-listen", bareAddr)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitReady("http://" + bareAddr + "/readyz"); err != nil {
		stop(cmd)
		return nil, err
	}
	return cmd, nil
}

func waitReady(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s not ready after 30s", url)
}

func rss(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "status"))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func login() (string, error) {
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
	res, err := http.Post("http://"+gatehouseAddr+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("login: status %d, %v", res.StatusCode, err)
	}
	return out.AccessToken, nil
}

func get(c *http.Client, url, token string) bool {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

var loginBody = []byte(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))

func postLogin(c *http.Client) bool {
	res, err := c.Post("http://"+gatehouseAddr+"/api/v1/auth/login", "application/json", bytes.NewReader(loginBody))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// result is one load run.
type result struct {
	ok, failed int64
	elapsed    time.Duration
	latencies  []time.Duration
}

func (r result) rps() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// pct is the latency at quantile p, 0 without any.
func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	slices.Sort(r.latencies)
	return r.latencies[int(p*float64(len(r.latencies)-1))]
}

func (r result) p99() time.Duration { return r.pct(0.99) }

func (r result) String() string {
	return fmt.Sprintf("%.0f req/s (%d ok, %d failed), p50 %s, p99 %s", r.rps(), r.ok, r.failed,
		r.pct(0.50).Round(time.Microsecond), r.pct(0.99).Round(time.Microsecond))
}

// load runs fn from n goroutines, each with its own keep-alive connection,
// for d, after a one-second warm-up.
func load(n int, d time.Duration, fn func(*http.Client) bool) result {
	ctx, cancel := context.WithTimeout(context.Background(), d+time.Second)
	defer cancel()
	warmUntil := time.Now().Add(time.Second)
	var (
		ok, failed atomic.Int64
		mu         sync.Mutex
		all        []time.Duration
		wg         sync.WaitGroup
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				good := fn(c)
				if t0.Before(warmUntil) {
					continue
				}
				if good {
					ok.Add(1)
					mine = append(mine, time.Since(t0))
				} else {
					failed.Add(1)
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return result{ok: ok.Load(), failed: failed.Load(), elapsed: d, latencies: all}
}

// parallelHashes is how many OWASP-minimum argon2id hashes n goroutines
// finish per second here, with nothing else running: the machine's real
// capacity, which is below n ÷ one hash's time when hashes compete for memory.
func parallelHashes(n int, d time.Duration) float64 {
	var done atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			salt := make([]byte, 16)
			for time.Now().Before(deadline) {
				argon2.IDKey([]byte(password), salt, 2, 19*1024, 1, 32)
				done.Add(1)
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}

// hashTime is the shortest of several OWASP-minimum argon2id hashes here: the
// machine at its quickest, which makes the bound the strictest.
func hashTime() time.Duration {
	salt := make([]byte, 16)
	var times []time.Duration
	for range 15 {
		t0 := time.Now()
		argon2.IDKey([]byte(password), salt, 2, 19*1024, 1, 32)
		times = append(times, time.Since(t0))
	}
	return slices.Min(times)
}
