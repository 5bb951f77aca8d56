package browsertest

import (
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Violation is one axe-core rule that the page breaks.
type Violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"` // minor, moderate, serious or critical
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Targets []string `json:"targets"` // a CSS selector for each offending element
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s, at %s; see %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "), v.HelpURL)
}

// axeRun runs the WCAG 2.0, 2.1 and 2.2 level A and AA rules on the page and
// answers the violations in Violation's shape.
const axeRun = `axe.run(document, {
	runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
	resultTypes: ["violations"],
}).then(results => results.violations.map(v => ({
	id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
	targets: v.nodes.map(n => n.target.join(" ")),
})))`

// Violations runs axe-core on the page and returns every violation it finds,
// whatever its impact. Runtime.evaluate is not bound by the page's
// Content-Security-Policy, so the pages keep their strict one.
func (tab *Tab) Violations() []Violation {
	tab.t.Helper()
	source, err := axeSource()
	if err != nil {
		tab.t.Fatalf("browsertest: %v", err)
	}
	run(tab, "injecting axe-core", chromedp.Evaluate[*runtime.RemoteObject](source))
	return run(tab, "running axe-core", chromedp.Evaluate[[]Violation](axeRun, chromedp.EvalAwaitPromise))
}

// Axe fails the test, listing each one, when the page has a serious or
// critical accessibility violation.
func (tab *Tab) Axe() {
	tab.t.Helper()
	var failures []string
	for _, v := range tab.Violations() {
		if v.Impact == "serious" || v.Impact == "critical" {
			failures = append(failures, v.String())
		}
	}
	if len(failures) > 0 {
		tab.t.Errorf("axe-core: %s has %d serious or critical violations:\n%s",
			tab.URL(), len(failures), strings.Join(failures, "\n"))
	}
}
