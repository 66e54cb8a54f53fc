package demo_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/demo"
)

// TestWriteMakesFilesOtherParsersRead writes the demo set and has libevtx's
// evtxexport read every file back, counting the events.
func TestWriteMakesFilesOtherParsersRead(t *testing.T) {
	dir := t.TempDir()
	files, err := demo.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 12 {
		t.Fatalf("%d files, want 3 for each of 4 hosts", len(files))
	}
	want := map[string]int{}
	for _, h := range demo.Hosts() {
		for name, events := range h.Files() {
			want[filepath.Join(dir, h.Computer, name)] = len(events)
		}
	}
	tool, err := exec.LookPath("evtxexport")
	if err != nil {
		t.Skip("evtxexport (libevtx-utils) is not installed")
	}
	for _, f := range files {
		out, err := exec.Command(tool, "-f", "xml", f).CombinedOutput()
		if err != nil {
			t.Fatalf("evtxexport %s: %v\n%s", f, err, out)
		}
		if got := strings.Count(string(out), "<Event xmlns"); got != want[f] {
			t.Errorf("%s: evtxexport read %d events, want %d", f, got, want[f])
		}
	}
}
