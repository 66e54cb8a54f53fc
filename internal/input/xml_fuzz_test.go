package input

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wuguard/wuguard/internal/event"
	"github.com/wuguard/wuguard/internal/testcorpus"
)

// xmlSeeds are the generated inputs FuzzXML starts from.
func xmlSeeds() [][]byte {
	events := strings.SplitAfter(wevtutilEvents, "</Event>")
	seeds := [][]byte{
		[]byte(wevtutilEvents),
		toUTF16(wevtutilEvents, false, true),
		toUTF16(wevtutilEvents, true, false),
		[]byte("<?xml version=\"1.1\"?>\n<Events>\n" + wevtutilEvents + "\n</Events>"),
		[]byte(events[0] + "\n<Event><System><EventID>x</EventID></System></Event>\n" + events[1] + "&<<" + events[2]),
		[]byte(`<Event><System/><UserData><W><a><b>t</b></a><c x="1"/></W></UserData><EventData><Data><![CDATA[&]]></Data><Binary>00</Binary></EventData></Event>`),
		[]byte("evtxexport 20181227\n\n" + events[0] + "\n\n" + events[1]),
		[]byte(`<Event><System><TimeCreated SystemTime="2017-07-12 17:16:28.214161"/></System></Event><Event`),
	}
	return seeds
}

// FuzzXML checks readXML on any input: it must not fail or panic, every
// event and damage offset must lie in the input, events come in file
// order and, in UTF-8 input, start where their "<" is; and the result must
// not depend on how the input is split into reads.
func FuzzXML(f *testing.F) {
	for _, s := range xmlSeeds() {
		f.Add(s)
	}
	// The first events of what evtxexport prints for a few corpus files,
	// made at test time when the tool and corpus are here.
	if exe, err := exec.LookPath("evtxexport"); err == nil {
		dir := filepath.Join(testcorpus.Root(), "evtx")
		for _, name := range []string{"omerbenamram/Security_short_selected.evtx", "evtx-attack-samples/UACME_59_Sysmon.evtx",
			"python-evtx/issue_38.evtx", "omerbenamram/system.evtx"} {
			if out, err := exec.Command(exe, "-f", "xml", filepath.Join(dir, name)).Output(); err == nil {
				f.Add(firstEvents(out, 3))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		whole := readXMLForFuzz(t, data, false)
		split := readXMLForFuzz(t, data, true)
		if whole != split {
			t.Fatalf("reading byte by byte differs:\n%s\n---\n%s", whole, split)
		}
	})
}

// maxFuzzInput bounds the inputs the fuzz targets try: larger ones only
// repeat what smaller ones cover, and slow the search down.
const maxFuzzInput = 64 << 10

// firstEvents cuts rendered XML after its n-th event.
func firstEvents(out []byte, n int) []byte {
	end := 0
	for i := 0; i < n; i++ {
		j := bytes.Index(out[end:], []byte("</Event>"))
		if j < 0 {
			return out
		}
		end += j + len("</Event>")
	}
	return out[:end]
}

// readXMLForFuzz reads data, checks the invariants, and returns a summary
// of everything read.
func readXMLForFuzz(t *testing.T, data []byte, oneByte bool) string {
	var r = bytes.NewReader(data)
	var sum strings.Builder
	last := int64(-1)
	utf8Input := !(len(data) >= 2 && (data[0] == 0 || data[1] == 0 || data[0] == 0xff || data[0] == 0xfe))
	handler := func(e *event.Event) error {
		off := e.Source.Offset
		if off < 0 || off >= int64(len(data)) || off <= last {
			t.Fatalf("event offset %d (previous %d, input %d bytes)", off, last, len(data))
		}
		if utf8Input && data[off] != '<' {
			t.Fatalf("event offset %d points at %q", off, data[off])
		}
		last = off
		fmt.Fprintf(&sum, "event %d %+v %q %q\n", off, e.System, e.UserDataName, e.Fields)
		return nil
	}
	damage := func(d Damage) {
		if d.Offset < -1 || d.Offset > int64(len(data)) || d.Reason == "" {
			t.Fatalf("damage %+v outside the %d-byte input", d, len(data))
		}
		fmt.Fprintf(&sum, "damage %d %s\n", d.Offset, d.Reason)
	}
	var err error
	if oneByte {
		err = scanXML(context.Background(), "f", iotest.OneByteReader(r), handler, damage)
	} else {
		err = scanXML(context.Background(), "f", r, handler, damage)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sum.String()
}
