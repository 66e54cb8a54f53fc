package triage

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/scripts"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// TestScriptFindings triages the Emotet samples (one 4104 script block and
// four classic 800 events of the same launcher, on a host without update
// events): the host must list all five as malicious, in time order, and
// nothing without Options.Scripts.
func TestScriptFindings(t *testing.T) {
	dir := filepath.Join(testcorpus.Dir(t, "evtx/evtx-attack-samples"), "Other", "emotet")
	fail := func(d input.Damage) { t.Errorf("damage: %v", d) }
	res, err := Run(context.Background(), []string{dir}, Options{Threads: 1, Scripts: scripts.NewAnalyzer(nil)}, fail)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hosts) != 1 || res.Hosts[0].Computer != "DESKTOP-RIPCLIP" {
		t.Fatalf("hosts %+v", res.Hosts)
	}
	sfs := res.Hosts[0].ScriptFindings
	if len(sfs) != 5 {
		t.Fatalf("%d script findings, want 5", len(sfs))
	}
	kinds := map[string]int{}
	for i, sf := range sfs {
		kinds[sf.Kind]++
		if sf.Verdict != "malicious" || len(sf.Reasons) == 0 || len(sf.RecordIDs) != 1 || len(sf.Summary) < 2 {
			t.Errorf("finding %d: %+v", i, sf)
		}
		if i > 0 && sf.Time.Before(sfs[i-1].Time) {
			t.Errorf("finding %d is earlier than the one before it", i)
		}
	}
	if kinds["scriptblock"] != 1 || kinds["classic"] != 4 {
		t.Errorf("kinds %v, want 1 scriptblock and 4 classic", kinds)
	}

	off, err := Run(context.Background(), []string{dir}, Options{Threads: 1}, fail)
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Hosts) != 0 {
		t.Errorf("without script analysis the update-free host still appears: %+v", off.Hosts)
	}
}
