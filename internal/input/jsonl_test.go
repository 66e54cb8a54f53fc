package input

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

func collectJSON(t testing.TB, data []byte) collected {
	t.Helper()
	var c collected
	err := scanJSON(context.Background(), "in.jsonl", bytes.NewReader(data), func(e *event.Event) error {
		c.events = append(c.events, copyEvent(e))
		return nil
	}, func(d Damage) { c.damage = append(c.damage, d) })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The three events of wevtutilEvents as `evtx_dump -o jsonl` prints them:
// numbers as JSON numbers, attributes under "#attributes", unnamed Data as
// {"#text": [...]}, GUIDs as the record holds them.
var evtxDumpLines = []string{
	`{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-WindowsUpdateClient","Guid":"945a8954-c147-4acd-923f-40c45405a658"}},"EventID":20,"Version":1,"Level":2,"Task":1,"Opcode":13,"Keywords":"0x8000000000000028","TimeCreated":{"#attributes":{"SystemTime":"2025-04-09T10:11:12.123456700Z"}},"EventRecordID":4711,"Correlation":{"#attributes":{"ActivityID":"8A3C6F0E-8D51-4B8B-9D1C-3E2A5F3B2C10"}},"Execution":{"#attributes":{"ProcessID":1234,"ThreadID":5678}},"Channel":"System","Computer":"PC1.corp.example","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"errorCode":"0x80070643","updateTitle":"2025-04 Security Update for Windows 10 (KB5057589) & <more> é 日本","updateGuid":"{8a8d2a6b-5e41-4a59-9c6f-3e2f7d6b1c11}","updateRevisionNumber":1,"serviceGuid":"{9482f4b4-e343-43b6-b170-9a65bc822c77}"}}}`,
	`{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Servicing","Guid":"{BD12F3B8-FC40-4A61-A307-B7A013A069C1}"}},"EventID":2,"Version":0,"Level":0,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2025-04-09T10:20:00Z"}},"EventRecordID":4712,"Correlation":null,"Execution":{"#attributes":{"ProcessID":900,"ThreadID":901}},"Channel":"Setup","Computer":"PC1.corp.example","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"UserData":{"CbsPackageChangeState":{"#attributes":{"xmlns":"http://manifests.microsoft.com/win/2004/08/windows/setup_provider"},"PackageIdentifier":"KB5057589","IntendedPackageState":5112,"IntendedPackageStateTextized":"Installed","ErrorCode":"0x800f0922","Client":"UpdateAgentLCU"}}}}`,
	`{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"EventLog"}},"EventID":{"#attributes":{"Qualifiers":32768},"#text":6008},"Version":0,"Level":2,"Task":0,"Opcode":0,"Keywords":"0x80000000000000","TimeCreated":{"#attributes":{"SystemTime":"2025-04-09T09:00:01.500000Z"}},"EventRecordID":4713,"Correlation":null,"Execution":{"#attributes":{"ProcessID":0,"ThreadID":0}},"Channel":"System","Computer":"PC1.corp.example","Security":null},"EventData":{"Data":{"#text":["10:02:11","09.04.2025","",1234]},"Binary":"E90704000300090008000B000E001300"}}}`,
}

func wantJSON(offsets []int64, lines []int) []event.Event {
	evs := wantWevtutil()
	for i := range evs {
		evs[i].Source = event.Source{File: "in.jsonl", Format: event.FormatJSONL, Offset: offsets[i], Line: lines[i]}
	}
	return evs
}

// starts gives the offset and line of each "{" that begins a line.
func starts(data string) ([]int64, []int) {
	var offs []int64
	var lines []int
	line := 1
	for i := 0; i < len(data); i++ {
		if data[i] == '{' && (i == 0 || data[i-1] == '\n') {
			offs = append(offs, int64(i))
			lines = append(lines, line)
		}
		if data[i] == '\n' {
			line++
		}
	}
	return offs, lines
}

func TestJSONLEvtxDumpLines(t *testing.T) {
	data := strings.Join(evtxDumpLines, "\n") + "\n"
	c := collectJSON(t, []byte(data))
	if len(c.damage) != 0 {
		t.Fatalf("damage: %v", c.damage)
	}
	offs, lines := starts(data)
	sameEvents(t, c.events, wantJSON(offs, lines), true)
}

func TestJSONPrettyWithRecordLines(t *testing.T) {
	// `evtx_dump -o json` pretty-prints each record after a "Record N"
	// line.
	var b strings.Builder
	for i, l := range evtxDumpLines {
		fmt.Fprintf(&b, "Record %d\r\n", i+1)
		b.WriteString(indentJSON(l))
		b.WriteString("\r\n")
	}
	data := b.String()
	c := collectJSON(t, []byte(data))
	if len(c.damage) != 0 {
		t.Fatalf("damage: %v", c.damage)
	}
	offs, lines := starts(data)
	sameEvents(t, c.events, wantJSON(offs, lines), true)
}

// indentJSON pretty-prints a line of JSON as serde_json does, keeping key
// order.
func indentJSON(line string) string {
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(line), "", "  "); err != nil {
		panic(err)
	}
	return strings.ReplaceAll(out.String(), "\n", "\r\n")
}

func TestJSONArray(t *testing.T) {
	data := "\xef\xbb\xbf[\n " + strings.Join(evtxDumpLines, ",\n ") + "\n]\n"
	c := collectJSON(t, []byte(data))
	if len(c.damage) != 0 {
		t.Fatalf("damage: %v", c.damage)
	}
	sameEvents(t, c.events, wantJSON([]int64{0, 0, 0}, []int{2, 3, 4}), false)
	compact := "[" + strings.Join(evtxDumpLines, ",") + "]"
	c = collectJSON(t, []byte(compact))
	if len(c.damage) != 0 || len(c.events) != 3 {
		t.Fatalf("compact array: %d events, damage %v", len(c.events), c.damage)
	}
}

func TestJSONSeparateAttributes(t *testing.T) {
	// evtx_dump --separate-json-attributes, numbers as strings.
	line := `{"Event_attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"Event":{"System":{"Provider_attributes":{"Name":"EventLog"},"EventID_attributes":{"Qualifiers":"32768"},"EventID":"6008","Version":"0","Level":"2","Task":"0","Opcode":"0","Keywords":"0x80000000000000","TimeCreated_attributes":{"SystemTime":"2025-04-09T09:00:01.500000Z"},"EventRecordID":"4713","Execution_attributes":{"ProcessID":"0","ThreadID":"0"},"Channel":"System","Computer":"PC1.corp.example","Security":null},"EventData":{"Data":{"#text":["10:02:11","09.04.2025","","1234"]},"Binary":"E90704000300090008000B000E001300"}}}`
	c := collectJSON(t, []byte(line))
	want := wantJSON([]int64{0, 0, 0}, []int{1, 1, 1})[2:]
	if len(c.damage) != 0 {
		t.Fatalf("damage: %v", c.damage)
	}
	sameEvents(t, c.events, want, true)
}

func TestJSONVelociraptorShape(t *testing.T) {
	// Velociraptor's parse_evtx and golang-evtx: attributes as plain keys,
	// EventID {"Value", "Qualifiers"}, SystemTime as seconds since 1970.
	lines := []string{
		`{"System":{"Provider":{"Name":"EventLog"},"EventID":{"Qualifiers":32768,"Value":6008},"Level":2,"Keywords":"0x80000000000000","TimeCreated":{"SystemTime":1744189201.5},"EventRecordID":4713,"Channel":"System","Computer":"PC1.corp.example","Security":{}},"EventData":{"Data":["10:02:11","09.04.2025","","1234"],"Binary":"E90704000300090008000B000E001300"}}`,
		`{"Event":{"EventData":{"Binary":null,"Data":["10:02:11","09.04.2025","","1234"]},"System":{"Channel":"System","Computer":"PC1.corp.example","EventID":{"Qualifiers":"32768","Value":"6008"},"EventLog":"","EventRecordID":"4713","Keywords":"0x80000000000000","Level":"2","Provider":{"Name":"EventLog"},"Security":{},"Task":"0","TimeCreated":{"SystemTime":"2025-04-09T09:00:01.5Z"}}}}`,
	}
	c := collectJSON(t, []byte(strings.Join(lines, "\n")))
	if len(c.damage) != 0 || len(c.events) != 2 {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
	want := wantJSON([]int64{0, 0, 0}, []int{1, 1, 1})[2]
	for i, got := range c.events {
		w := want
		w.Source.Line = i + 1
		w.Fields = w.Fields[:4]
		if i == 0 {
			w.Fields = want.Fields
		}
		sameEvents(t, []event.Event{got}, []event.Event{w}, false)
	}
}

func TestJSONUserDataDuplicatesAndNesting(t *testing.T) {
	line := `{"Event":{"System":{"EventID":53,"Provider":{"#attributes":{"Name":"Microsoft-Windows-CAPI2"}}},"UserData":{"CryptRetrieveObjectByUrlWire":{"AdditionalInfo":{"Action":{"#attributes":{"name":"NoProxy"}},"HTTPRequestHeadersInfo":{"Header":"Connection: Keep-Alive","Header_1":"GET /a.crl HTTP/1.1","Header_2":"Accept: */*"}},"Timeout":"PT9.984S","URL":{"#attributes":{"scheme":"http"},"#text":"http://crl.example/a.crl"},"Version_1":"kept"}}}}`
	c := collectJSON(t, []byte(line))
	want := []evtx.Field{{Name: "Action", Value: ""}, {Name: "Header", Value: "Connection: Keep-Alive"}, {Name: "Header", Value: "GET /a.crl HTTP/1.1"},
		{Name: "Header", Value: "Accept: */*"}, {Name: "Timeout", Value: "PT9.984S"}, {Name: "URL", Value: "http://crl.example/a.crl"}, {Name: "Version_1", Value: "kept"}}
	if len(c.damage) != 0 || len(c.events) != 1 || c.events[0].UserDataName != "CryptRetrieveObjectByUrlWire" || fmt.Sprint(c.events[0].Fields) != fmt.Sprint(want) {
		t.Fatalf("got %+v damage %v", c.events, c.damage)
	}
}

func TestJSONUserDataWrapperWithoutElements(t *testing.T) {
	// As the EVTX reader decodes it: the wrapper is a field of its own.
	for user, want := range map[string]string{
		`{"LogFileCleared":{"#attributes":{"xmlns":"urn:x"}}}`: `[{LogFileCleared }]`,
		`{"LogFileCleared":null}`:                              `[{LogFileCleared }]`,
		`{"Note":"text only"}`:                                 `[{Note text only}]`,
		`{"Note":{"#text":"text only"}}`:                       `[{Note text only}]`,
		`{"W":{"xmlns":"urn:x","a":1}}`:                        `[{a 1}]`,
		`{"W":{"a":1},"V":"second"}`:                           `[{a 1}]`,
	} {
		c := collectJSON(t, []byte(`{"Event":{"System":{"EventID":1},"UserData":`+user+`}}`))
		if len(c.events) != 1 || fmt.Sprint(c.events[0].Fields) != want {
			t.Errorf("%s: got %+v, damage %v; want %s", user, c.events, c.damage, want)
		}
	}
}

func TestJSONEventDataShapes(t *testing.T) {
	cases := []struct {
		data string
		want []evtx.Field
	}{
		{`null`, nil},
		{`{"Data":"only"}`, []evtx.Field{{Name: "", Value: "only"}}},
		{`{"Data":{"#text":"one"}}`, []evtx.Field{{Name: "", Value: "one"}}},
		{`{"Data":[{"#attributes":{"Name":"a"},"#text":"1"},{"#text":"2"},null]}`, []evtx.Field{{Name: "a", Value: "1"}, {Name: "", Value: "2"}, {Name: "", Value: ""}}},
		{`{"Data":{"#attributes":{"Name":"n"},"#text":7}}`, []evtx.Field{{Name: "n", Value: "7"}}},
		{`{"a":null,"b":true,"c":1.5e3,"d":{"#text":"x"},"e":["p","q"],"Binary":""}`,
			[]evtx.Field{{Name: "a", Value: ""}, {Name: "b", Value: "true"}, {Name: "c", Value: "1.5e3"}, {Name: "d", Value: "x"}, {Name: "e", Value: "p"}, {Name: "e", Value: "q"}}},
	}
	for _, tc := range cases {
		c := collectJSON(t, []byte(`{"Event":{"System":{"EventID":1},"EventData":`+tc.data+`}}`))
		if len(c.damage) != 0 || len(c.events) != 1 {
			t.Fatalf("%s: %d events, damage %v", tc.data, len(c.events), c.damage)
		}
		if fmt.Sprint(c.events[0].Fields) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %q, want %q", tc.data, c.events[0].Fields, tc.want)
		}
	}
}

func TestJSONFlatShape(t *testing.T) {
	line := `{"Timestamp":"2025-04-09 12:11:12.123 +02:00","Computer":"PC1","Channel":"System","EventID":20,"Level":"high","RecordID":4711,"Provider_Name":"Microsoft-Windows-WindowsUpdateClient","errorCode":"0x80070643","Details":{"updateTitle":"KB5057589"}}`
	c := collectJSON(t, []byte(line))
	if len(c.damage) != 0 || len(c.events) != 1 {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
	e := c.events[0]
	want := []evtx.Field{{Name: "Level", Value: "high"}, {Name: "errorCode", Value: "0x80070643"}, {Name: "updateTitle", Value: "KB5057589"}}
	if e.EventID != 20 || e.RecordID != 4711 || e.Channel != "System" || e.Provider != "Microsoft-Windows-WindowsUpdateClient" ||
		!e.TimeCreated.Equal(time.Date(2025, 4, 9, 10, 11, 12, 123000000, time.UTC)) || fmt.Sprint(e.Fields) != fmt.Sprint(want) {
		t.Fatalf("got %+v %q", e.System, e.Fields)
	}
	if v, _ := e.Get("Level"); v != "high" {
		t.Fatalf("Get(Level) = %q", v)
	}
}

func TestJSONDamageIsReportedAndReadingGoesOn(t *testing.T) {
	good := func(id int) string {
		return fmt.Sprintf(`{"Event":{"System":{"EventID":%d,"EventRecordID":%d},"EventData":{"k":"v"}}}`, id, id)
	}
	cases := []struct {
		name, bad, reason string
	}{
		{"truncated line", `{"Event":{"System":{"EventID":9}`, "does not end on its line"},
		{"syntax error", `{"Event":{"System":{"EventID":9,}}}`, "malformed JSON"},
		{"unterminated string", `{"Event":{"System":{"EventID":"9}}}`, "line ends inside a JSON string"},
		{"not JSON", `Unable to export record: 0.`, "not JSON"},
		{"not an object", `"just a string"`, "not JSON"},
		{"no System", `{"Event":{"EventData":{"a":"b"}}}`, "no System"},
		{"not an event", `{"hello":"world"}`, "not a Windows event"},
		{"EventID not a number", `{"Event":{"System":{"EventID":"nine"}}}`, `System EventID "nine" is not an unsigned 16-bit number`},
		{"EventID negative", `{"Event":{"System":{"EventID":-1}}}`, "EventID"},
		{"bad time", `{"Event":{"System":{"EventID":1,"TimeCreated":{"#attributes":{"SystemTime":"soon"}}}}}`, "SystemTime"},
		{"huge epoch", `{"System":{"EventID":1,"TimeCreated":{"SystemTime":1e300}}}`, "SystemTime"},
		{"too deep", strings.Repeat("{\"a\":", maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1), "nested deeper"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := good(1) + "\n" + good(2) + "\n" + tc.bad + "\n" + good(3) + "\n" + good(4) + "\n"
			c := collectJSON(t, []byte(data))
			if len(c.damage) != 1 {
				t.Fatalf("damage %v, want one report", c.damage)
			}
			d := c.damage[0]
			badAt := int64(strings.Index(data, tc.bad))
			if d.File != "in.jsonl" || d.Offset != badAt || !strings.HasPrefix(d.Reason, "line 3: ") || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("damage %+v, want offset %d, line 3 and %q", d, badAt, tc.reason)
			}
			var ids []uint16
			for _, e := range c.events {
				ids = append(ids, e.EventID)
			}
			if fmt.Sprint(ids) != "[1 2 3 4]" {
				t.Fatalf("events read: %v", ids)
			}
			for _, e := range c.events {
				wantLine := int(e.EventID)
				if e.EventID > 2 {
					wantLine++
				}
				if e.Source.Line != wantLine || data[e.Source.Offset] != '{' {
					t.Fatalf("event %d at line %d offset %d", e.EventID, e.Source.Line, e.Source.Offset)
				}
			}
		})
	}
}

func TestJSONGarbageRunIsOneReport(t *testing.T) {
	data := "evtx_dump v0.8\nsome banner\nmore\n" + evtxDumpLines[0] + "\ntrailer\n"
	c := collectJSON(t, []byte(data))
	if len(c.events) != 1 || len(c.damage) != 2 || c.damage[0].Offset != 0 || !strings.HasPrefix(c.damage[1].Reason, "line 5:") {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
}

func TestJSONBrokenPrettyValueAndEndings(t *testing.T) {
	data := "{\n  \"Event\": {\n    \"System\": {\"EventID\": 1}\n"
	c := collectJSON(t, []byte(data))
	if len(c.events) != 0 || len(c.damage) != 1 || !strings.Contains(c.damage[0].Reason, "file ends inside a JSON value") {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
	c = collectJSON(t, []byte("["+evtxDumpLines[0]))
	if len(c.events) != 1 || len(c.damage) != 1 || !strings.Contains(c.damage[0].Reason, "inside a JSON array") {
		t.Fatalf("open array: %d events, damage %v", len(c.events), c.damage)
	}
	c = collectJSON(t, []byte("\xff\xfe{\x00"))
	if len(c.events) != 0 || len(c.damage) != 1 || !strings.Contains(c.damage[0].Reason, "UTF-16") {
		t.Fatalf("UTF-16: %v", c.damage)
	}
}

func TestJSONValueLimit(t *testing.T) {
	big := `{"Event":{"System":{"EventID":1},"EventData":{"a":"` + strings.Repeat("x", maxJSONValue) + `"}}}`
	data := big + "\n" + evtxDumpLines[0] + "\n"
	c := collectJSON(t, []byte(data))
	if len(c.events) != 1 || len(c.damage) != 1 || !strings.Contains(c.damage[0].Reason, "longer than") || c.damage[0].Offset != 0 {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
}

func TestJSONHandlerErrorAndContext(t *testing.T) {
	data := strings.Join(evtxDumpLines, "\n")
	stop := errors.New("stop")
	err := scanJSON(context.Background(), "in.jsonl", strings.NewReader(data), func(*event.Event) error { return stop }, func(Damage) {})
	if !errors.Is(err, stop) {
		t.Fatalf("handler error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = scanJSON(ctx, "in.jsonl", strings.NewReader(data), func(*event.Event) error { return nil }, func(Damage) {})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func TestReadJSONLFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "System.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(evtxDumpLines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []event.Event
	var damage []Damage
	err := Read(context.Background(), File{Path: path, Kind: KindJSONL}, func(e *event.Event) error {
		got = append(got, copyEvent(e))
		return nil
	}, func(d Damage) { damage = append(damage, d) })
	if err != nil || len(damage) != 0 || len(got) != 3 || got[2].Source.File != path || got[2].Source.Format != event.FormatJSONL || got[2].Source.Line != 3 {
		t.Fatalf("err %v damage %v events %+v", err, damage, got)
	}
	err = Read(context.Background(), File{Path: filepath.Join(dir, "missing.jsonl"), Kind: KindJSONL}, func(*event.Event) error { return nil },
		func(d Damage) { damage = append(damage, d) })
	if err != nil || len(damage) != 1 {
		t.Fatalf("missing file: %v %v", err, damage)
	}
}
