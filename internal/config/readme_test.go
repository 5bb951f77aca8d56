package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDocumentsEverySetting keeps the README's configuration table in
// step with the settings the code knows.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range settings {
		row := "| `" + s.key + "` | `GATEHOUSE_" + strings.ToUpper(s.key) + "` |"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row starting %q", row)
		}
		if s.flag != "" && !strings.Contains(readme, "`--"+s.flag+"`") {
			t.Errorf("README does not mention --%s", s.flag)
		}
	}
}
