package cli

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/wuguard/wuguard/internal/testcorpus"
)

func TestDumpJSONL(t *testing.T) {
	path := testcorpus.Dir(t, "evtx/omerbenamram") + "/security.evtx"
	out, errOut, code := run(t, "dump", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2261 {
		t.Fatalf("%d lines, want 2261", len(lines))
	}
	var ev struct {
		Event struct {
			System struct {
				EventID       int
				EventRecordID int
				Channel       string
			}
		}
	}
	if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil {
		t.Fatal(err)
	}
	if s := ev.Event.System; s.EventID != 4624 || s.EventRecordID != 2 || s.Channel != "Security" {
		t.Errorf("second record: %+v", s)
	}
}

// TestDumpThreadsKeepOrder checks that parallel rendering writes exactly
// what one thread writes, over a folder of many files.
func TestDumpThreadsKeepOrder(t *testing.T) {
	dir := testcorpus.Dir(t, "evtx/omerbenamram")
	one, _, code1 := run(t, "dump", "--threads", "1", dir)
	four, _, code4 := run(t, "dump", "--threads", "4", dir)
	if code1 != exitDamaged || code4 != exitDamaged {
		t.Fatalf("exit %d and %d, want %d (the folder has damaged samples)", code1, code4, exitDamaged)
	}
	if one != four {
		t.Fatal("--threads 4 output differs from --threads 1")
	}
}

func TestDumpXMLIsOneDocument(t *testing.T) {
	path := testcorpus.Dir(t, "evtx/omerbenamram") + "/system.evtx"
	out, _, code := run(t, "dump", "--format", "xml", path)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Events []struct {
			System struct {
				EventRecordID int
			}
		} `xml:"Event"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Events) != 1881 || doc.Events[0].System.EventRecordID == 0 {
		t.Fatalf("%d events", len(doc.Events))
	}
}

func TestDumpReportsDamage(t *testing.T) {
	path := testcorpus.Dir(t, "evtx/omerbenamram") + "/sample-with-zero-data-size-event.evtx"
	out, errOut, code := run(t, "dump", path)
	if code != exitDamaged {
		t.Fatalf("exit %d, want %d", code, exitDamaged)
	}
	if n := strings.Count(out, "\n"); n != 449 {
		t.Errorf("%d records written, want 449", n)
	}
	for _, want := range []string{
		"wuguard: warning: " + path + ": chunk 0 at offset 0x1820: record 3: record size 0 out of range; 232 bytes skipped\n",
		"wuguard: warning: " + path + ": 2 damaged chunks/records skipped, first at offset 0x1200: ",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestDumpUsage(t *testing.T) {
	for _, args := range [][]string{
		{"dump"},
		{"dump", "--format", "csv", "x.evtx"},
		{"dump", "--threads", "0", "x.evtx"},
	} {
		if _, _, code := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	_, errOut, code := run(t, "dump", t.TempDir()+"/missing.evtx")
	if code != exitDamaged || !strings.Contains(errOut, "missing.evtx") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}
