package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Flood sizes: the 10,000 attempts against one account, from several
// client IPs on the loopback network.
const (
	floodAttempts = 10_000
	floodIPs      = 8
	floodWorkers  = 16
)

// measureFlood runs the login flood twice: with the per-IP rate limit on (the
// default) and off, so that the lockout is seen holding on its own.
func measureFlood(bin, dir string) error {
	for _, limited := range []bool{true, false} {
		if err := flood(bin, dir, limited); err != nil {
			return err
		}
	}
	return nil
}

func flood(bin, parent string, limited bool) error {
	dir, err := os.MkdirTemp(parent, "flood-")
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", "--listen", gatehouseAddr, "--data-dir", dir, "--log-level", "error")
	cmd.Env = append(os.Environ(), "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL="+email, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD="+password)
	if !limited {
		cmd.Env = append(cmd.Env, "GATEHOUSE_AUTH_RATE_PER_SECOND=0")
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer stop(cmd)
	if err := waitReady("http://" + gatehouseAddr + "/readyz"); err != nil {
		return err
	}
	hashesBefore, err := hashes()
	if err != nil {
		return err
	}

	// /healthz is sampled every 2 ms while the flood runs.
	ctx, cancel := context.WithCancel(context.Background())
	var health []time.Duration
	var healthFailed int
	var hwg sync.WaitGroup
	hwg.Add(1)
	go func() {
		defer hwg.Done()
		c := &http.Client{Timeout: 5 * time.Second}
		for ctx.Err() == nil {
			t0 := time.Now()
			if get(c, "http://"+gatehouseAddr+"/healthz", "") {
				health = append(health, time.Since(t0))
			} else {
				healthFailed++
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()

	var next atomic.Int64
	statuses := map[int]int{}
	var mu sync.Mutex
	body := []byte(fmt.Sprintf(`{"email":%q,"password":"not-the-password"}`, email))
	start := time.Now()
	var wg sync.WaitGroup
	for w := range floodWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip := net.IPv4(127, 0, 0, byte(2+w%floodIPs))
			c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
				DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext, MaxIdleConnsPerHost: 1}}
			for next.Add(1) <= floodAttempts {
				res, err := c.Post("http://"+gatehouseAddr+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
				code := 0
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					code = res.StatusCode
				}
				mu.Lock()
				statuses[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cancel()
	hwg.Wait()
	hashesAfter, err := hashes()
	if err != nil {
		return err
	}
	// The right password is refused too while the email is locked.
	c := &http.Client{}
	res, err := c.Post("http://"+gatehouseAddr+"/api/v1/auth/login", "application/json",
		bytes.NewReader([]byte(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))))
	lockedStatus := 0
	if err == nil {
		res.Body.Close()
		lockedStatus = res.StatusCode
	}
	slices.Sort(health)
	pct := func(p float64) time.Duration {
		if len(health) == 0 {
			return 0
		}
		return health[int(p*float64(len(health)-1))].Round(time.Microsecond)
	}
	mode := "per-IP rate limit on (5/s, burst 20)"
	if !limited {
		mode = "per-IP rate limit off"
	}
	fmt.Printf("login flood, %s: %d attempts at one account from %d IPs, %d workers, in %s\n",
		mode, floodAttempts, floodIPs, floodWorkers, elapsed.Round(time.Millisecond))
	fmt.Printf("  answers: %v (401 = invalid_credentials, 429 = rate_limited)\n", statuses)
	fmt.Printf("  password hashes computed during the flood: %d (the lock comes after 10 failures)\n", hashesAfter-hashesBefore)
	fmt.Printf("  the right password afterwards: %d (401 = locked)\n", lockedStatus)
	fmt.Printf("  /healthz during the flood: %d samples, p50 %s, p99 %s, max %s, %d failed\n\n",
		len(health), pct(0.5), pct(0.99), pct(1), healthFailed)
	return nil
}

var hashesMetric = regexp.MustCompile(`(?m)^gatehouse_password_hashes_total (\d+)`)

// hashes reads the server's count of password hashes from /metrics.
func hashes() (int, error) {
	res, err := http.Get("http://" + gatehouseAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	m := hashesMetric.FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("no gatehouse_password_hashes_total in /metrics")
	}
	return strconv.Atoi(string(m[1]))
}
