package password

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestPackageInitIsSmall runs this test binary again with GODEBUG=inittrace=1
// and checks that no package it links allocates more than 1 MB in package
// init: every program importing this package pays for that at start-up, and
// the strength and common-password dictionaries are to be built on first use.
func TestPackageInitIsSmall(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	// init github.com/x/y @1.2 ms, 3.4 ms clock, 5678 bytes, 9 allocs
	lines := regexp.MustCompile(`(?m)^init (\S+) @.*, (\d+) bytes, \d+ allocs$`).FindAllStringSubmatch(string(out), -1)
	if len(lines) == 0 {
		t.Fatalf("no inittrace lines in:\n%s", out)
	}
	for _, l := range lines {
		if n, _ := strconv.Atoi(l[2]); n > 1<<20 {
			t.Errorf("package init of %s allocates %d bytes, want at most 1 MiB", l[1], n)
		}
	}
}
