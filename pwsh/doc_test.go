package pwsh

import (
	"os"
	"strings"
	"testing"
)

// TestRulesDocumented keeps docs/script-rules.md in step with the rules:
// one row per rule id, with its severity and ATT&CK technique, and no row
// for a rule that no longer exists.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/script-rules.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) < 5 || !strings.HasPrefix(cells[0], "| `") {
			continue
		}
		rows[strings.Trim(cells[0], "| `")] = cells
	}
	known := map[string]bool{}
	for _, r := range rules {
		known[r.id] = true
		cells, ok := rows[r.id]
		if !ok {
			t.Errorf("docs/script-rules.md has no row for rule %s", r.id)
			continue
		}
		if cells[2] != string(r.sev) || cells[3] != r.attack {
			t.Errorf("docs/script-rules.md gives %s severity %q and technique %q, the rule %s and %s", r.id, cells[2], cells[3], r.sev, r.attack)
		}
	}
	for id := range rows {
		if !known[id] {
			t.Errorf("docs/script-rules.md lists %s, which is no rule", id)
		}
	}
}
