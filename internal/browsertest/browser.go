package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// defaultChromium is where Debian's chromium package installs the browser.
const defaultChromium = "/usr/bin/chromium"

const (
	// startTimeout bounds the start of Chromium, which takes a few seconds
	// on a loaded machine and forever when something is wrong with it.
	startTimeout = 30 * time.Second
	// actionTimeout bounds each step of a journey, so that a broken page
	// fails the test in seconds rather than hanging it.
	actionTimeout = 10 * time.Second
)

// Browser is the shared headless Chromium. Open a tab for each user of a
// journey with Tab.
type Browser struct {
	ctx context.Context
}

// shared is the one Chromium of the test binary. It starts with the first
// test that calls New and stops when the last of those tests ends, so no
// browser process or profile folder outlives the tests.
var shared struct {
	mu    sync.Mutex
	users int
	ctx   context.Context
	stop  func()
}

// New returns the test binary's Chromium, starting it if no running test
// holds it. It skips the test when Chromium or axe-core is not installed
// (scripts/test installs both), and fails it instead when
// GATEHOUSE_TEST_BROWSER=required.
func New(t testing.TB) *Browser {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		unavailable(t, "no Chromium at %s (set GATEHOUSE_CHROMIUM to use another); run scripts/test, which installs Debian's chromium", path)
	}
	if _, err := axeSource(); err != nil {
		unavailable(t, "axe-core is not installed (%v); run scripts/test, which runs npm ci in internal/browsertest/axe", err)
	}

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.users == 0 {
		ctx, stop, err := start(path)
		if err != nil {
			t.Fatalf("browsertest: starting %s: %v", path, err)
		}
		shared.ctx, shared.stop = ctx, stop
	}
	shared.users++
	t.Cleanup(release)
	return &Browser{ctx: shared.ctx}
}

func release() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.users--
	if shared.users == 0 {
		shared.stop()
		shared.ctx, shared.stop = nil, nil
	}
}

func chromiumPath() string {
	if path := os.Getenv("GATEHOUSE_CHROMIUM"); path != "" {
		return path
	}
	return defaultChromium
}

// unavailable skips the test for a missing browser part, or fails it where
// the browser tests must run.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("GATEHOUSE_TEST_BROWSER") == "required" {
		t.Fatalf("browsertest: "+format+" (GATEHOUSE_TEST_BROWSER=required)", args...)
	}
	t.Skipf("browsertest: "+format, args...)
}

// start runs Chromium headless with a new empty profile (chromedp makes one
// per start and removes it at stop) and without the background traffic
// (updates, sync, QUIC probes) that would hammer a closed network.
func start(path string) (context.Context, func(), error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		// Test servers speak https with httptest's own certificate.
		chromedp.IgnoreCertErrors,
		chromedp.WindowSize(1280, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	stop := func() {
		cancelBrowser()
		cancelAlloc()
	}
	// The first Do binds the browser's life to ctx, so it cannot carry a
	// deadline; a timer stops a start that hangs instead.
	watchdog := time.AfterFunc(startTimeout, stop)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() {
		return nil, nil, fmt.Errorf("no answer within %s", startTimeout)
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return ctx, stop, nil
}

// axeSource reads axe-core's script once per test binary.
var axeSource = sync.OnceValues(func() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the browsertest package")
	}
	script, err := os.ReadFile(filepath.Join(filepath.Dir(file), "axe", "node_modules", "axe-core", "axe.min.js"))
	return string(script), err
})
