package sigma

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

// TestCorpusWindowsRulesLoad loads SigmaHQ's rules/windows,
// rules-emerging-threats and rules-threat-hunting and pins how many Windows
// rules load and why the others are rejected. A change in either direction
// fails, so that coverage never drifts unnoticed.
func TestCorpusWindowsRulesLoad(t *testing.T) {
	root := testcorpus.Dir(t, "sigma")
	var paths []string
	for _, d := range []string{"rules/windows", "rules-emerging-threats", "rules-threat-hunting"} {
		paths = append(paths, filepath.Join(root, d))
	}
	rules, parseDiags := ParsePaths(paths)
	if len(parseDiags) != 0 {
		t.Errorf("parse diagnostics: %v", parseDiags)
	}
	windows := map[string]bool{} // file -> is a Windows rule
	for _, r := range rules {
		windows[r.File] = strings.EqualFold(r.LogSource.Product, "windows")
	}
	rs, diags := Compile(rules, Config{})
	total, loaded := 0, 0
	for _, w := range windows {
		if w {
			total++
		}
	}
	for _, r := range rs.Rules() {
		if windows[r.File] {
			loaded++
		}
	}
	reasons := map[Reason]int{}
	for _, d := range diags {
		if windows[d.File] {
			reasons[d.Reason]++
			t.Logf("rejected: %s", d.Error())
		}
	}
	t.Logf("windows rules: %d, loaded %d (%.2f%%), rejected %v", total, loaded, 100*float64(loaded)/float64(total), reasons)
	if float64(loaded) < 0.99*float64(total) {
		t.Errorf("only %d of %d Windows rules load, want at least 99%%", loaded, total)
	}
	wantTotal, wantLoaded := 2858, 2841
	wantReasons := map[Reason]int{ReasonUnknownLogsource: 15, ReasonMissingPlaceholder: 2}
	if total != wantTotal || loaded != wantLoaded {
		t.Errorf("windows rules %d loaded %d, pinned %d loaded %d", total, loaded, wantTotal, wantLoaded)
	}
	for r, n := range wantReasons {
		if reasons[r] != n {
			t.Errorf("reason %s: %d rejected, pinned %d", r, reasons[r], n)
		}
	}
	for r, n := range reasons {
		if _, ok := wantReasons[r]; !ok {
			t.Errorf("reason %s: %d rejected, pinned 0", r, n)
		}
	}
	// Rules with only "product: windows" run on every Windows event unless
	// their detection requires event IDs. SigmaHQ has one, a keyword rule
	// (win_alert_mimikatz_keywords), which the literal prefilter still
	// keeps cheap.
	var global []string
	if g := rs.idx.global.get(rs); g != nil {
		for _, in := range g.insts {
			global = append(global, filepath.Base(in.info.File))
		}
	}
	if len(global) != 1 || global[0] != "win_alert_mimikatz_keywords.yml" {
		t.Errorf("rules run on every Windows event: %v, pinned [win_alert_mimikatz_keywords.yml]", global)
	}
}
