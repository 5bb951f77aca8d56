package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what wrk reports of one run.
type wrkResult struct {
	rps      float64
	p99      time.Duration
	requests int
	bad      int
	// cpu is the CPU time the server process spent per request.
	cpu time.Duration
}

func (r wrkResult) String() string {
	return fmt.Sprintf("%.0f req/s (%d requests, %d not 200), p99 %s, server CPU %s per request", r.rps, r.requests, r.bad,
		r.p99.Round(time.Microsecond), r.cpu.Round(time.Microsecond/10))
}

// wrkScript is the Lua wrk runs: one form POST, the client in HTTP Basic.
const wrkScript = `wrk.method = "POST"
wrk.body = os.getenv("LOAD_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("LOAD_BASIC")
`

// wrkLoad posts form to url, served by process pid, as app from conns
// connections for d with wrk,
// a load generator written in C: it spends a few microseconds of the
// shared cores on each request where the Go client spends tens, so more
// of the machine is left to the server measured. A one-second run first
// warms the connections and the server.
func wrkLoad(pid, conns int, d time.Duration, url, form string, app *machineApp) (wrkResult, error) {
	dir, err := os.MkdirTemp("", "gatehouse-wrk-")
	if err != nil {
		return wrkResult{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "post.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return wrkResult{}, err
	}
	env := append(os.Environ(), "LOAD_BODY="+form,
		"LOAD_BASIC="+base64.StdEncoding.EncodeToString([]byte(app.ClientID+":"+app.ClientSecret)))
	run := func(d time.Duration) ([]byte, error) {
		// One wrk thread drives every connection: a second would take a
		// core from the server.
		cmd := exec.Command("wrk", "-t1", "-c"+strconv.Itoa(conns), "-d"+d.String(), "--latency", "-s", script, url)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("wrk: %w", err)
		}
		return out, nil
	}
	if _, err := run(time.Second); err != nil {
		return wrkResult{}, err
	}
	before, err := processCPU(pid)
	if err != nil {
		return wrkResult{}, err
	}
	out, err := run(d)
	if err != nil {
		return wrkResult{}, err
	}
	after, err := processCPU(pid)
	if err != nil {
		return wrkResult{}, err
	}
	r, err := parseWrk(out)
	if err == nil && r.requests > 0 {
		r.cpu = (after - before) / time.Duration(r.requests)
	}
	return r, err
}

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on Linux.
const clockTick = 10 * time.Millisecond

// processCPU is the user and system CPU time process pid has used, all its
// threads, from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last parenthesis. utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	system, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(user+system) * clockTick, nil
}

// parseWrk reads the figures of wrk's --latency report.
func parseWrk(out []byte) (wrkResult, error) {
	var r wrkResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "99%":
			r.p99, _ = time.ParseDuration(f[1])
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			r.requests, _ = strconv.Atoi(f[0])
		case len(f) == 5 && strings.Join(f[:4], " ") == "Non-2xx or 3xx responses:":
			r.bad, _ = strconv.Atoi(f[4])
		}
	}
	if r.rps == 0 {
		return r, fmt.Errorf("wrk printed no rate:\n%s", out)
	}
	return r, nil
}
