package triage_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/catalog"
	"github.com/wuguard/wuguard/internal/eventgen"
	"github.com/wuguard/wuguard/internal/input"
	"github.com/wuguard/wuguard/internal/triage"
)

// The text logs below are the project's own fixtures of package textlog:
// a WindowsUpdate.log and a CBS.log of the April 2025 case (local time
// 2025-04-09 03:xx) and of the January 2024 case.

func textDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, fixture := range files {
		data, err := os.ReadFile(filepath.Join("..", "textlog", "testdata", fixture))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func triageDir(t *testing.T, opts triage.Options, paths ...string) *triage.Result {
	t.Helper()
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	opts.Catalog = cat
	r, err := triage.Run(context.Background(), paths, opts, func(d input.Damage) { t.Errorf("damage: %v", d) })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTextLogsAlone(t *testing.T) {
	dir := textDir(t, map[string]string{"WindowsUpdate.log": "wu10-april2025.log", "CBS.log": "cbs-april2025.log"})
	r := triageDir(t, triage.Options{}, dir)
	if len(r.Hosts) != 1 || r.Hosts[0].Computer != "unknown (text logs)" {
		t.Fatalf("hosts %+v", r.Hosts)
	}
	h := &r.Hosts[0]
	if h.TextLogs == nil || h.TextLogs.Source != "none" {
		t.Fatalf("text clock %+v", h.TextLogs)
	}
	u := find(t, r, h.Computer, "KB5057589")
	if u.Status != "installed" || u.Assessment != "false-alarm" || u.KnownIssue == nil || u.KnownIssue.Case != "after-restart" {
		t.Fatalf("KB5057589: %s/%s %+v", u.Status, u.Assessment, u.KnownIssue)
	}
	if line := u.Evidence[0].Evidence[0]; line.Line != 8 || line.Provider != "CBS.log" {
		t.Errorf("pending-restart evidence %+v, want CBS.log line 8", line)
	}
	// The cumulative update's CBS package names no KB; it joins KB5055518.
	if len(h.Updates) != 2 {
		t.Errorf("%d updates, want KB5057589 and KB5055518 (its RollupFix package joined)", len(h.Updates))
	}
	if cu := find(t, r, h.Computer, "KB5055518"); cu.Status != "installed" {
		t.Errorf("KB5055518: %s", cu.Status)
	}
	if r.Inputs.TextLines == 0 || r.Inputs.Events != 0 {
		t.Errorf("inputs %+v", r.Inputs)
	}
}

func TestTextLogsJanuary2024(t *testing.T) {
	dir := textDir(t, map[string]string{"WindowsUpdate.log": "wu10-jan2024.log", "CBS.log": "cbs-jan2024.log"})
	r := triageDir(t, triage.Options{Computer: "PC-LAB-07"}, dir)
	u := find(t, r, "PC-LAB-07", "KB5034441")
	if u.Status != "failed" || u.Assessment != "needs-action" || u.KnownIssue == nil || u.KnownIssue.ID != "kb5034441-winre-partition-too-small" {
		t.Fatalf("KB5034441: %s/%s %+v", u.Status, u.Assessment, u.KnownIssue)
	}
}

// TestTextLogsJoinEvents puts the April 2025 text logs (written in UTC+9)
// beside a System log of the same host: the zone is estimated from lines
// that match events, and the lines join the host the events name.
func TestTextLogsJoinEvents(t *testing.T) {
	dir := textDir(t, map[string]string{"WindowsUpdate.log": "wu10-april2025.log", "CBS.log": "cbs-april2025.log"})
	utc := func(localH, m, s int) time.Time { // the text logs' local day 2025-04-09
		return time.Date(2025, 4, 9, localH, m, s, 0, time.UTC).Add(-9 * time.Hour)
	}
	h := eventgen.NewHost("PC-TOKYO", 19045, 5608)
	h.Boot(utc(2, 55, 0))
	cu := h.Update("2025-04 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5055518)", "8a2c5f1e-3b7d-4e19-a6c0-5d9e2f71b4a8", 1, "")
	winre := h.Update("2025-04 Update for Windows 10 Version 22H2 for x64-based Systems (KB5057589)", "c6e1b0d2-9f43-47a8-b215-0e7d3a9c6f58", 1, "")
	cu.DownloadStarted(utc(3, 1, 10))
	winre.DownloadStarted(utc(3, 1, 10))
	cu.InstallStarted(utc(3, 10, 3))
	winre.InstallStarted(utc(3, 40, 12))
	winre.Failed(utc(3, 44, 26), 0x80070643, 0)
	var sys []evtx.Event
	for _, e := range h.Events() {
		if e.Channel == eventgen.ChannelSystem {
			sys = append(sys, e)
		}
	}
	path := filepath.Join(dir, "System.evtx")
	w, err := evtx.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sys {
		if err := w.Write(&sys[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r := triageDir(t, triage.Options{}, dir)
	if len(r.Hosts) != 1 || r.Hosts[0].Computer != "PC-TOKYO" {
		t.Fatalf("hosts %d, first %q: text logs did not join the only host", len(r.Hosts), r.Hosts[0].Computer)
	}
	if c := r.Hosts[0].TextLogs; c == nil || c.Source != "estimated" || c.UTCOffset != "+09:00" || c.Pairs < 3 {
		t.Fatalf("text clock %+v", c)
	}
	u := find(t, r, "PC-TOKYO", "KB5057589")
	if u.Status != "installed" || u.Assessment != "false-alarm" {
		t.Fatalf("KB5057589: %s/%s", u.Status, u.Assessment)
	}
	failedAt := time.Date(2025, 4, 8, 18, 44, 26, 0, time.UTC)
	if got := u.Attempts[0].Finished; got.Sub(failedAt).Abs() > 5*time.Second {
		t.Errorf("first attempt ends %v, want the event's time %v give or take the text lines", got, failedAt)
	}

	// Given explicitly, the offset is used as is.
	nine := 9 * time.Hour
	r = triageDir(t, triage.Options{TextLogOffset: &nine}, dir)
	if c := r.Hosts[0].TextLogs; c.Source != "given" || c.UTCOffset != "+09:00" {
		t.Fatalf("text clock %+v", c)
	}
}
