package triage_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/testcorpus"
	"github.com/wuguard/wuguard/internal/triage"
)

// The three real System logs of the corpus with Windows Update events. Each
// expectation was read off the logs themselves (evtxexport -f xml FILE, the
// WindowsUpdateClient events) before this code judged them.

func runCorpus(t *testing.T, rel string) *triage.Result {
	t.Helper()
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testcorpus.Dir(t, filepath.Dir(rel)), filepath.Base(rel))
	var damage []string
	r, err := triage.Run(context.Background(), []string{path}, triage.Options{Catalog: cat}, func(d input.Damage) {
		damage = append(damage, d.String())
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(damage) > 0 {
		t.Fatalf("damage reported on a whole log: %v", damage)
	}
	return r
}

func host(t *testing.T, r *triage.Result, computer string) *triage.Host {
	t.Helper()
	for i := range r.Hosts {
		if r.Hosts[i].Computer == computer {
			return &r.Hosts[i]
		}
	}
	t.Fatalf("no host %s", computer)
	return nil
}

type outcome struct {
	key, status, assessment string
	attempts                int
	errors                  string // "0x80248007x4" or ""
}

func check(t *testing.T, h *triage.Host, want []outcome) {
	t.Helper()
	byKey := map[string]triage.Update{}
	for _, u := range h.Updates {
		byKey[u.Key] = u
	}
	for _, w := range want {
		u, ok := byKey[w.key]
		if !ok {
			t.Errorf("%s: no update %s", h.Computer, w.key)
			continue
		}
		var errs []string
		for _, e := range u.ReportedErrors {
			errs = append(errs, e.Code+"x"+strconv.Itoa(e.Count))
		}
		got := outcome{u.Key, u.Status, u.Assessment, len(u.Attempts), strings.Join(errs, ",")}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", h.Computer, got, w)
		}
	}
}

// TestCorpusRepeatedFailures: omerbenamram/system.evtx, a Windows 10 1703 PC
// (renamed from WIN-P4SIAA0SQCO to DESKTOP-2KGM189 during setup). The July
// 2017 cumulative update KB4025342 failed four times with 0x80248007
// (records 561, 807, 1008, 1182) and never installed; the October 2017 MSRT
// failed once with 0x80246013 (record 1823) after earlier months installed.
func TestCorpusRepeatedFailures(t *testing.T) {
	r := runCorpus(t, "evtx/omerbenamram/system.evtx")
	if len(r.Hosts) != 2 {
		t.Fatalf("%d hosts, want the computer before and after its rename", len(r.Hosts))
	}
	old := host(t, r, "WIN-P4SIAA0SQCO")
	if len(old.Updates) != 0 || len(old.Boots) != 1 {
		t.Errorf("WIN-P4SIAA0SQCO: %d updates, %d boots", len(old.Updates), len(old.Boots))
	}
	h := host(t, r, "DESKTOP-2KGM189")
	if h.Build != "15063.413" || len(h.Boots) != 2 {
		t.Errorf("build %q, %d boots", h.Build, len(h.Boots))
	}
	check(t, h, []outcome{
		{"KB4025342", "failed", "needs-action", 4, "0x80248007x4"},
		{"KB890830", "failed", "investigate", 3, "0x80246013x1"},
		{"KB4022725", "unknown", "investigate", 1, ""},
		{"KB4038788", "unknown", "investigate", 1, ""},
		{"KB4041676", "unknown", "investigate", 1, ""},
		{"KB2267602", "installed", "ok", 15, ""},
		{"KB4025376", "installed", "ok", 1, ""},
		{"KB4038806", "installed", "ok", 1, ""},
	})
	for _, u := range h.Updates {
		if u.Key == "KB4025342" {
			if len(u.Evidence) != 4 || u.Evidence[0].Evidence[0].RecordID != 561 || u.Evidence[3].Evidence[0].RecordID != 1182 {
				t.Errorf("KB4025342 evidence %+v", u.Evidence)
			}
		}
	}
	if s := r.Summary; s.NeedsAction != 1 || s.FalseAlarm != 0 || s.Investigate-s.NoResult != 1 {
		t.Errorf("summary %+v", s)
	}
}

// TestCorpusRecoveredFailures: omerbenamram/2-vss_7-System.evtx, Windows 10
// 1803 in July 2018. Two Store apps failed with 0x8024001E (records 518,
// 519) and installed six minutes later; the July cumulative update
// KB4338819 installed after the restart of 2018-07-12 (records 339, 342,
// 411), then a re-release of it was downloaded twice within 15 minutes
// without a result (441, 521: one attempt) and installed at 22:56 (539, 540,
// 543).
func TestCorpusRecoveredFailures(t *testing.T) {
	r := runCorpus(t, "evtx/omerbenamram/2-vss_7-System.evtx")
	h := host(t, r, "DESKTOP-1N4R894")
	if h.Build != "17134.165" || len(h.Boots) != 3 {
		t.Errorf("build %q, %d boots", h.Build, len(h.Boots))
	}
	check(t, h, []outcome{
		{"guid:8ee3d0ef-5511-453a-b9dd-00affed0477e", "installed", "ok", 2, "0x8024001Ex1"},
		{"guid:4f4c6874-f6cf-49e3-8405-65cf9ee97f18", "installed", "ok", 2, "0x8024001Ex1"},
		{"guid:36a0ea1a-0e82-410c-8921-023f21f69575", "installed", "ok", 1, ""},
		{"KB4338819", "installed", "ok", 3, ""},
		{"KB890830", "installed", "ok", 1, ""},
		{"KB4052623", "installed", "ok", 1, ""},
		{"KB2267602", "installed", "ok", 53, ""},
	})
	if r.Summary.NeedsAction+r.Summary.Investigate+r.Summary.FalseAlarm != 0 {
		t.Errorf("summary %+v", r.Summary)
	}
}

// TestCorpusWindows7Restarts: python-evtx/system.evtx, Windows 7 SP1 in March
// 2012. WindowsUpdateClient 22 (record 12134) lists seven updates to finish
// at the restart of 07:08; they installed; two later boots follow unexpected
// shutdowns (EventLog 6008, Kernel-Power 41).
func TestCorpusWindows7Restarts(t *testing.T) {
	r := runCorpus(t, "evtx/python-evtx/system.evtx")
	h := host(t, r, "WKS-WIN764BITB.shieldbase.local")
	if h.Build != "7601.17727" || len(h.Boots) != 5 {
		t.Errorf("build %q, %d boots", h.Build, len(h.Boots))
	}
	dirty := 0
	for _, b := range h.Boots {
		if b.AfterUnexpectedShutdown {
			dirty++
		}
	}
	if dirty != 2 {
		t.Errorf("%d boots after unexpected shutdowns, want 2", dirty)
	}
	check(t, h, []outcome{
		{"KB2647518", "installed", "ok", 1, ""},
		{"KB890830", "installed", "ok", 1, ""},
		{"KB2641653", "installed", "ok", 1, ""},
		{"KB2667402", "installed", "ok", 1, ""},
		{"KB2665364", "installed", "ok", 1, ""},
		{"KB2639308", "installed", "ok", 1, ""},
		{"KB2621440", "installed", "ok", 1, ""},
		{"KB2600217", "installed", "ok", 1, ""},
	})
	if len(h.PendingRestarts) != 7 {
		t.Fatalf("%d pending restarts, want the 7 updates event 22 lists", len(h.PendingRestarts))
	}
	for _, p := range h.PendingRestarts {
		if p.Until == nil || !p.Until.Equal(h.Boots[0].Time) || p.Evidence[0].RecordID != 12134 {
			t.Errorf("pending restart %s: until %v, evidence %+v", p.Key, p.Until, p.Evidence)
		}
	}
}

// TestCorpusWholeTree triages every EVTX file of the corpus, damaged samples
// included: the run must finish and report the damage, not fail.
func TestCorpusWholeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole corpus")
	}
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	damaged := 0
	r, err := triage.Run(context.Background(), []string{testcorpus.Dir(t, "evtx")}, triage.Options{Catalog: cat}, func(input.Damage) { damaged++ })
	if err != nil {
		t.Fatal(err)
	}
	if r.Inputs.Files < 100 || r.Summary.Updates < 100 || r.Inputs.DamagedParts != damaged {
		t.Fatalf("inputs %+v, summary %+v, %d damage reports", r.Inputs, r.Summary, damaged)
	}
}
