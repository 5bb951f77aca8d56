// Package browsertest drives the server-rendered pages in a real headless
// Chromium for the end-to-end journey tests: one browser per test binary,
// a private cookie jar per tab, axe-core accessibility checks, and
// screenshots kept as test artifacts.
//
// It is test support: only _test.go files import it. It needs Debian's
// chromium (or $GATEHOUSE_CHROMIUM) and axe-core from npm in axe/node_modules;
// scripts/test installs both. Without them the tests that call New skip,
// unless GATEHOUSE_TEST_BROWSER=required (CI), where they fail.
package browsertest
