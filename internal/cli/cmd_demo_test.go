package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo writes the demo logs with the EVTX writer, reads them back with
// the EVTX reader and checks the answers the README promises.
func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	out, errOut, code := run(t, "demo", "--out", dir, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "wuguard: hint: demo logs written to "+dir) {
		t.Errorf("stderr %q does not name the folder", errOut)
	}
	var res struct {
		Summary struct {
			NeedsAction int `json:"needs_action"`
			FalseAlarm  int `json:"false_alarm"`
		} `json:"summary"`
		Hosts []struct {
			Computer string `json:"computer"`
			Updates  []struct {
				KB         string `json:"kb"`
				Status     string `json:"status"`
				Assessment string `json:"assessment"`
			} `json:"updates"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range res.Hosts {
		for _, u := range h.Updates {
			got[h.Computer+" "+u.KB] = u.Status + "/" + u.Assessment
		}
	}
	for k, want := range map[string]string{
		"PC-RECEPTION KB5057589":  "pending-restart/false-alarm",
		"PC-ACCOUNTING KB5057589": "installed/false-alarm",
		"PC-LAB-07 KB5034441":     "failed/needs-action",
		"SRV-FILES-02 KB5058385":  "installed/ok",
	} {
		if got[k] != want {
			t.Errorf("%s: %q, want %q", k, got[k], want)
		}
	}
	if res.Summary.NeedsAction != 2 || res.Summary.FalseAlarm != 2 {
		t.Errorf("summary %+v", res.Summary)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.evtx"))
	if len(files) != 12 {
		t.Errorf("%d EVTX files written", len(files))
	}

	// The same folder again is refused: demo logs must not mix with others.
	if _, _, code := run(t, "demo", "--out", dir); code != exitUsage {
		t.Errorf("non-empty --out: exit %d, want %d", code, exitUsage)
	}
}

func TestDemoFailOn(t *testing.T) {
	_, _, code := run(t, "demo", "--out", filepath.Join(t.TempDir(), "d"), "--fail-on", "needs-action", "-o", os.DevNull)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d", code, exitFindings)
	}
}
