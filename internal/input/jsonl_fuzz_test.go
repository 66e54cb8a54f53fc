package input

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wuguard/wuguard/internal/event"
)

func jsonSeeds() [][]byte {
	lines := strings.Join(evtxDumpLines, "\n")
	var pretty bytes.Buffer
	for i, l := range evtxDumpLines {
		fmt.Fprintf(&pretty, "Record %d\n", i+1)
		json.Indent(&pretty, []byte(l), "", "  ")
		pretty.WriteString("\n")
	}
	return [][]byte{
		[]byte(lines),
		pretty.Bytes(),
		[]byte("[" + strings.Join(evtxDumpLines, ",") + "]"),
		[]byte(evtxDumpLines[0] + "\n{\"Event\":{\"System\":{\"EventID\":9}\n\"x\"\n" + evtxDumpLines[1]),
		[]byte(`{"System":{"Provider":{"Name":"EventLog"},"EventID":{"Qualifiers":32768,"Value":6008},"TimeCreated":{"SystemTime":1744189201.5}},"EventData":{"Data":["a",null,{"#text":"b"}]}}`),
		[]byte(`{"Event_attributes":{},"Event":{"System":{"EventID_attributes":{"Qualifiers":"1"},"EventID":"2"},"UserData":{"W":{"H":"1","H_1":"2","N":{"#attributes":{"a":"b"}}}}}}`),
		[]byte(`{"EventID":4688,"Channel":"Security","Level":"info","Details":{"CommandLine":"cmd /c whoami"}}`),
	}
}

// FuzzJSONL checks readJSONL on any input: no failure or panic, offsets and
// lines that point at the "{" of each event in file order, the same result
// when the input comes one byte at a time, and events that read back the
// same after rendering them in evtx_dump's shape.
func FuzzJSONL(f *testing.F) {
	for _, s := range jsonSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		whole, events := readJSONForFuzz(t, data, false)
		split, _ := readJSONForFuzz(t, data, true)
		if whole != split {
			t.Fatalf("reading byte by byte differs:\n%s\n---\n%s", whole, split)
		}
		for _, e := range events {
			if renderable(&e) {
				checkJSONRoundTrip(t, e)
			}
		}
	})
}

func readJSONForFuzz(t *testing.T, data []byte, oneByte bool) (string, []event.Event) {
	var sum strings.Builder
	var events []event.Event
	last := int64(-1)
	handler := func(e *event.Event) error {
		off := e.Source.Offset
		if off <= last || off >= int64(len(data)) || data[off] != '{' || e.Source.Line != 1+bytes.Count(data[:off], []byte("\n")) {
			t.Fatalf("event at offset %d line %d (previous %d, input %d bytes)", off, e.Source.Line, last, len(data))
		}
		last = off
		events = append(events, copyEvent(e))
		fmt.Fprintf(&sum, "event %d %+v %q %q\n", off, e.System, e.UserDataName, e.Fields)
		return nil
	}
	damage := func(d Damage) {
		if d.Offset < 0 || d.Offset > int64(len(data)) || !strings.HasPrefix(d.Reason, "line ") {
			t.Fatalf("damage %+v outside the %d-byte input", d, len(data))
		}
		fmt.Fprintf(&sum, "damage %d %s\n", d.Offset, d.Reason)
	}
	var r = bytes.NewReader(data)
	var err error
	if oneByte {
		err = scanJSON(context.Background(), "f", iotest.OneByteReader(r), handler, damage)
	} else {
		err = scanJSON(context.Background(), "f", r, handler, damage)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sum.String(), events
}

// renderable reports whether e survives evtx_dump's JSON shape: a UserData
// leaf called "X_1" after an "X" is, in that shape, a repeated "X".
// An empty UserData wrapper, too, reads back as a field of its own.
func renderable(e *event.Event) bool {
	if e.UserDataName == "" || strings.HasPrefix(e.UserDataName, "#") || e.UserDataName == "xmlns" || len(e.Fields) == 0 {
		return e.UserDataName == ""
	}
	seen := map[string]bool{}
	for _, f := range e.Fields {
		if f.Name == "" || strings.HasPrefix(f.Name, "#") || f.Name == "xmlns" {
			return false
		}
		if m := evtxDumpDuplicate.FindStringSubmatch(f.Name); m != nil && seen[m[1]] {
			return false
		}
		seen[f.Name] = true
	}
	return true
}

// renderEvtxDump writes e as `evtx_dump -o jsonl` would, with every
// payload field in a "Data" array to keep names and order.
func renderEvtxDump(e *event.Event) []byte {
	q := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	s := &e.System
	var b strings.Builder
	attrs := func(pairs ...string) string {
		var parts []string
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i+1] != "" {
				parts = append(parts, q(pairs[i])+":"+q(pairs[i+1]))
			}
		}
		return `{"#attributes":{` + strings.Join(parts, ",") + `}}`
	}
	eventID := strconv.Itoa(int(s.EventID))
	if s.HasQualifiers {
		eventID = fmt.Sprintf(`{"#attributes":{"Qualifiers":%d},"#text":%d}`, s.Qualifiers, s.EventID)
	}
	systemTime := ""
	if !s.TimeCreated.IsZero() {
		systemTime = s.TimeCreated.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(&b, `{"Event":{"System":{"Provider":%s,"EventID":%s,"Version":%d,"Level":%d,"Task":%d,"Opcode":%d,"Keywords":"0x%x","TimeCreated":%s,"EventRecordID":%d,"Correlation":%s,"Execution":{"#attributes":{"ProcessID":%d,"ThreadID":%d}},"Channel":%s,"Computer":%s,"Security":%s}`,
		attrs("Name", s.Provider, "Guid", s.ProviderGUID, "EventSourceName", s.EventSourceName), eventID, s.Version, s.Level, s.Task, s.Opcode, s.Keywords,
		attrs("SystemTime", systemTime), s.RecordID, attrs("ActivityID", s.ActivityID, "RelatedActivityID", s.RelatedActivityID),
		s.ProcessID, s.ThreadID, q(s.Channel), q(s.Computer), attrs("UserID", s.UserID))
	if e.UserDataName != "" {
		var leaves []string
		for _, f := range e.Fields {
			leaves = append(leaves, q(f.Name)+":"+q(f.Value))
		}
		fmt.Fprintf(&b, `,"UserData":{%s:{%s}}`, q(e.UserDataName), strings.Join(leaves, ","))
	} else if len(e.Fields) > 0 {
		var data []string
		for _, f := range e.Fields {
			if f.Name == "" {
				data = append(data, `{"#text":`+q(f.Value)+`}`)
			} else {
				data = append(data, `{"#attributes":{"Name":`+q(f.Name)+`},"#text":`+q(f.Value)+`}`)
			}
		}
		fmt.Fprintf(&b, `,"EventData":{"Data":[%s]}`, strings.Join(data, ","))
	}
	b.WriteString("}}\n")
	return []byte(b.String())
}

func checkJSONRoundTrip(t *testing.T, e event.Event) {
	line := renderEvtxDump(&e)
	c := collectJSON(t, line)
	if len(c.damage) != 0 || len(c.events) != 1 {
		t.Fatalf("rendering of %+v reads as %d events, damage %v:\n%s", e, len(c.events), c.damage, line)
	}
	got := c.events[0]
	got.Source, e.Source = event.Source{}, event.Source{}
	if !got.TimeCreated.Equal(e.TimeCreated) {
		t.Fatalf("time %v after the round trip, was %v", got.TimeCreated, e.TimeCreated)
	}
	got.TimeCreated, e.TimeCreated = time.Time{}, time.Time{}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", e) {
		t.Fatalf("round trip changed the event:\n got %+v\nwant %+v\n%s", got, e, line)
	}
}
