package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// restarts is how many times measureStartup restarts the server on the same
// data directory; the machine is shared, so one start says little.
const restarts = 7

// measureStartup starts gatehouse once on a fresh data directory, which
// creates the SQLite file, keys and bootstrap admin, then restarts it on that
// directory several times without the bootstrap admin's variables, printing
// for each start the time to the first /readyz 200 and the resident memory
// two seconds later, with no request in between.
func measureStartup(bin, dir string) error {
	fresh, err := startOnce(bin, dir, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL="+email, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD="+password)
	if err != nil {
		return err
	}
	fmt.Printf("first start (fresh SQLite file, set-up included): ready in %s, idle RSS %s\n",
		fresh.ready.Round(time.Millisecond), fresh.rss)
	var ready []time.Duration
	for range restarts {
		s, err := startOnce(bin, dir)
		if err != nil {
			return err
		}
		fmt.Printf("restart on the existing SQLite file: ready in %s, idle RSS %s\n", s.ready.Round(time.Millisecond), s.rss)
		ready = append(ready, s.ready)
	}
	slices.Sort(ready)
	fmt.Printf("restarts: median ready in %s (shortest %s, longest %s)\n",
		ready[len(ready)/2].Round(time.Millisecond), ready[0].Round(time.Millisecond), ready[len(ready)-1].Round(time.Millisecond))
	return nil
}

type start struct {
	ready time.Duration
	rss   string
}

func startOnce(bin, dir string, env ...string) (start, error) {
	cmd := exec.Command(bin, "serve", "--listen", gatehouseAddr, "--data-dir", dir, "--log-level", "error")
	cmd.Env = append(os.Environ(), env...)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return start{}, err
	}
	defer stop(cmd)
	if err := waitReady("http://" + gatehouseAddr + "/readyz"); err != nil {
		return start{}, err
	}
	ready := time.Since(t0)
	time.Sleep(2 * time.Second)
	return start{ready: ready, rss: rssParts(cmd.Process.Pid)}, nil
}

// rssParts returns VmRSS with its two parts: anonymous memory (the heap,
// stacks, the runtime's own) and pages of files, nearly all of them the
// binary's own code and read-only data, which the kernel maps in blocks
// around each page touched and can drop and read again at will.
func rssParts(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "status"))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	v := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, val, ok := strings.Cut(line, ":"); ok {
			v[k] = strings.TrimSpace(val)
		}
	}
	return fmt.Sprintf("%s (anonymous %s, file %s)", v["VmRSS"], v["RssAnon"], v["RssFile"])
}
