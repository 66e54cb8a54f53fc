package evtx_test

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
)

// readBack decodes every record of a file with the package's reader, and
// renders each as event XML.
func readBack(t testing.TB, data []byte) ([]evtx.Event, []byte) {
	t.Helper()
	f, err := evtx.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Warnings) != 0 {
		t.Fatalf("reader warnings: %v", f.Warnings)
	}
	var events []evtx.Event
	var xml []byte
	for rec, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		var ev evtx.Event
		if err := rec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Fields == nil {
			ev.Fields = []evtx.Field{}
		}
		if rec.ID != ev.RecordID {
			t.Fatalf("record %d decodes with EventRecordID %d", rec.ID, ev.RecordID)
		}
		if !ev.TimeCreated.IsZero() && !rec.Written.Equal(ev.TimeCreated) {
			t.Fatalf("record %d: written %v, created %v", rec.ID, rec.Written, ev.TimeCreated)
		}
		events = append(events, ev)
		if xml, err = rec.AppendXML(xml); err != nil {
			t.Fatal(err)
		}
		xml = append(xml, '\n')
	}
	if err := f.MissingChunks(); err != nil {
		t.Fatal(err)
	}
	return events, xml
}

// ourReader is how the package's own XML rendering shows values: exact.
var ourReader = toolFlavour{
	name:      "evtx.Record.AppendXML",
	parseTime: func(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) },
	binary:    hex.DecodeString,
	mangle:    func(s string) string { return s },
}

func TestWriterRoundTripsThroughReader(t *testing.T) {
	events := newEventGen(20).events(3000)
	data := writeAll(t, events, nil)
	got, xml := readBack(t, data)
	compareEvents(t, withIDs(events), got)
	compareTool(t, ourReader, parseToolXML(t, xml), withIDs(events), nil)
}

func TestWriterTypedValuesThroughReader(t *testing.T) {
	ev, types, want := typedEvent()
	got, xml := readBack(t, writeAll(t, []evtx.Event{ev}, [][]evtx.FieldType{types}))
	compareEvents(t, withIDs([]evtx.Event{want}), got)
	compareTool(t, ourReader, parseToolXML(t, xml), withIDs([]evtx.Event{want}), [][]evtx.FieldType{types})
}
