package input

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

const (
	debianPython = "/usr/bin/python3"
	evtxDumpPy   = "/usr/bin/evtx_dump.py"
)

// needTool skips when a cross-check tool is missing, except under CI.
func needTool(t testing.TB, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (apt-get install libevtx-utils python3-evtx): %v", path, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func toolOutput(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}

// evtxexportXML renders an EVTX file with libevtx.
func evtxexportXML(t testing.TB, path string) []byte {
	return toolOutput(t, needTool(t, "evtxexport"), "-f", "xml", path)
}

// pythonEvtxXML renders an EVTX file with python-evtx.
func pythonEvtxXML(t testing.TB, path string) []byte {
	return toolOutput(t, needTool(t, debianPython), needTool(t, evtxDumpPy), path)
}

// toolSafeEvents makes events whose renderings both tools get right: text
// without the characters they fail to escape in attributes, without values
// of exactly one "&", "<", ">" or "\n" (libevtx mishandles those), and
// within the Basic Multilingual Plane (libevtx mangles surrogate pairs).
func toolSafeEvents(n int) []evtx.Event {
	r := rand.New(rand.NewPCG(7, 7))
	pieces := []string{"a", "Z", "0", " ", "-", ".", "\\", "&", "<", ">", "'", "\"", "é", "日本", "\t", "KB5057589"}
	text := func(max int) string {
		var b strings.Builder
		for n := r.IntN(max + 1); b.Len() < n; {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if s == "&" || s == "<" || s == ">" {
			s += "x"
		}
		return s
	}
	guid := func() string {
		return fmt.Sprintf("{%08X-%04X-%04X-%04X-%012X}", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
	}
	events := make([]evtx.Event, n)
	for i := range events {
		ev := &events[i]
		s := &ev.System
		s.Provider = []string{"Microsoft-Windows-WindowsUpdateClient", "Microsoft-Windows-Servicing", "EventLog"}[r.IntN(3)]
		if r.IntN(2) == 0 {
			s.ProviderGUID = guid()
		}
		s.EventID, s.Version, s.Level, s.Task, s.Opcode = uint16(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), uint16(r.Uint32()), uint8(r.Uint32())
		if r.IntN(3) == 0 {
			s.HasQualifiers, s.Qualifiers = true, uint16(r.Uint32())
		}
		s.Keywords = r.Uint64()
		s.TimeCreated = time.Unix(1e9+r.Int64N(1e9), r.Int64N(1e7)*100).UTC()
		if r.IntN(3) == 0 {
			s.ActivityID = guid()
		}
		s.ProcessID, s.ThreadID = r.Uint32(), r.Uint32()
		s.Channel, s.Computer = "System", text(20)
		if r.IntN(2) == 0 {
			s.UserID = "S-1-5-21-1-2-3-500"
		}
		if r.IntN(3) == 0 {
			ev.UserDataName = "CbsPackageChangeState"
			for j := r.IntN(5); j >= 0; j-- {
				ev.Fields = append(ev.Fields, evtx.Field{Name: []string{"PackageIdentifier", "ErrorCode", "Client"}[r.IntN(3)], Value: text(60)})
			}
			continue
		}
		for j := r.IntN(6); j > 0; j-- {
			name := []string{"", "updateTitle", "errorCode", "param1"}[r.IntN(4)]
			ev.Fields = append(ev.Fields, evtx.Field{Name: name, Value: text(200)})
		}
	}
	return events
}

// TestXMLReadsToolRenderings writes events as EVTX, renders them with
// evtxexport and python-evtx, and checks that readXML gives back the events
// written.
func TestXMLReadsToolRenderings(t *testing.T) {
	events := toolSafeEvents(250)
	path := filepath.Join(t.TempDir(), "w.evtx")
	w, err := evtx.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
		events[i].RecordID = uint64(i + 1)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []struct {
		name   string
		render func(testing.TB, string) []byte
		// precision is how finely the tool prints times.
		precision time.Duration
	}{
		{"evtxexport", evtxexportXML, 0},
		{"evtx_dump.py", pythonEvtxXML, 10 * time.Microsecond},
	} {
		t.Run(tool.name, func(t *testing.T) {
			c := collectXML(t, tool.render(t, path))
			if len(c.damage) != 0 {
				t.Fatalf("damage: %v", c.damage)
			}
			want := make([]event.Event, len(events))
			for i := range events {
				want[i] = event.Event{Event: events[i], Source: event.Source{File: "in.xml", Format: event.FormatXML}}
				if want[i].Fields == nil {
					want[i].Fields = []evtx.Field{}
				}
				if tool.precision > 0 && i < len(c.events) {
					if d := c.events[i].TimeCreated.Sub(events[i].TimeCreated); d < tool.precision && d > -tool.precision {
						want[i].TimeCreated = c.events[i].TimeCreated
					}
				}
			}
			for i := range c.events {
				if c.events[i].Fields == nil {
					c.events[i].Fields = []evtx.Field{}
				}
			}
			sameEvents(t, c.events, want, false)
		})
	}
}

// TestXMLReadsCorpusRenderings reads the XML evtxexport and python-evtx
// print for corpus files: every event they print must be read, with none
// reported damaged, and the System values of both renderings must agree.
// python-evtx takes most of a minute for a 1 MiB file, so the large System
// logs (full of Windows Update events) go through evtxexport only.
func TestXMLReadsCorpusRenderings(t *testing.T) {
	dir := testcorpus.Dir(t, "evtx")
	files := []struct {
		name   string
		python bool
	}{
		{"omerbenamram/system.evtx", false},
		{"python-evtx/system.evtx", false},
		{"omerbenamram/Security_short_selected.evtx", true},
		{"omerbenamram/new-user-security.evtx", true},
		{"python-evtx/issue_38.evtx", true},
		{"evtx-attack-samples/UACME_59_Sysmon.evtx", true},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			path := filepath.Join(dir, f.name)
			lib := evtxexportXML(t, path)
			a := collectXML(t, lib)
			if len(a.damage) != 0 {
				t.Fatalf("damage: %v", a.damage)
			}
			shown := len(regexp.MustCompile(`(?m)^<Event xmlns`).FindAll(lib, -1))
			if len(a.events) != shown || len(a.events) == 0 {
				t.Fatalf("read %d events of the %d evtxexport prints", len(a.events), shown)
			}
			if !f.python {
				return
			}
			b := collectXML(t, pythonEvtxXML(t, path))
			if len(b.damage) != 0 {
				t.Fatalf("damage: %v", b.damage)
			}
			byID := map[uint64]event.Event{}
			for _, e := range b.events {
				byID[e.RecordID] = e
			}
			compared := 0
			for _, e := range a.events {
				p, ok := byID[e.RecordID]
				if !ok {
					continue // python-evtx stops at records it cannot parse
				}
				compared++
				// python-evtx prints microseconds through a float.
				if d := e.TimeCreated.Sub(p.TimeCreated); d > 10*time.Microsecond || d < -10*time.Microsecond {
					t.Fatalf("record %d: times %v and %v", e.RecordID, e.TimeCreated, p.TimeCreated)
				}
				e.TimeCreated, p.TimeCreated = time.Time{}, time.Time{}
				if e.System != p.System {
					t.Fatalf("record %d: System differs:\n evtxexport %+v\n python    %+v", e.RecordID, e.System, p.System)
				}
			}
			if compared == 0 {
				t.Fatal("no record of evtxexport found in python-evtx's output")
			}
		})
	}
}
