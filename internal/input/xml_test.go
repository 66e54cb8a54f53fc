package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/wuguard/wuguard/evtx"
	"github.com/wuguard/wuguard/internal/event"
)

// collected is what a reader produced for one input.
type collected struct {
	events []event.Event
	damage []Damage
}

// copyEvent keeps an event beyond the handler call, which may reuse it.
func copyEvent(e *event.Event) event.Event {
	c := *e
	c.Fields = append([]evtx.Field{}, e.Fields...)
	return c
}

func collectXML(t testing.TB, data []byte) collected {
	t.Helper()
	var c collected
	err := scanXML(context.Background(), "in.xml", bytes.NewReader(data), func(e *event.Event) error {
		c.events = append(c.events, copyEvent(e))
		return nil
	}, func(d Damage) { c.damage = append(c.damage, d) })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// toUTF16 encodes s as UTF-16 with a byte order mark.
func toUTF16(s string, bigEndian, bom bool) []byte {
	var b []byte
	put := func(u uint16) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	if bom {
		put(0xfeff)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return b
}

// wevtutilEvents is what `wevtutil qe System /f:xml /c:3` prints: events
// back to back, single-quoted attributes, no root, no line breaks between.
const wevtutilEvents = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-WindowsUpdateClient' Guid='{945a8954-c147-4acd-923f-40c45405a658}'/><EventID>20</EventID><Version>1</Version><Level>2</Level><Task>1</Task><Opcode>13</Opcode><Keywords>0x8000000000000028</Keywords><TimeCreated SystemTime='2025-04-09T10:11:12.1234567Z'/><EventRecordID>4711</EventRecordID><Correlation ActivityID='{8a3c6f0e-8d51-4b8b-9d1c-3e2a5f3b2c10}'/><Execution ProcessID='1234' ThreadID='5678'/><Channel>System</Channel><Computer>PC1.corp.example</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='errorCode'>0x80070643</Data><Data Name='updateTitle'>2025-04 Security Update for Windows 10 (KB5057589) &amp; &lt;more&gt; é 日本</Data><Data Name='updateGuid'>{8a8d2a6b-5e41-4a59-9c6f-3e2f7d6b1c11}</Data><Data Name='updateRevisionNumber'>1</Data><Data Name='serviceGuid'>{9482f4b4-e343-43b6-b170-9a65bc822c77}</Data></EventData></Event>` +
	`<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Servicing' Guid='{BD12F3B8-FC40-4A61-A307-B7A013A069C1}'/><EventID>2</EventID><Version>0</Version><Level>0</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2025-04-09T10:20:00.0000000Z'/><EventRecordID>4712</EventRecordID><Correlation/><Execution ProcessID='900' ThreadID='901'/><Channel>Setup</Channel><Computer>PC1.corp.example</Computer><Security UserID='S-1-5-18'/></System><UserData><CbsPackageChangeState xmlns='http://manifests.microsoft.com/win/2004/08/windows/setup_provider'><PackageIdentifier>KB5057589</PackageIdentifier><IntendedPackageState>5112</IntendedPackageState><IntendedPackageStateTextized>Installed</IntendedPackageStateTextized><ErrorCode>0x800f0922</ErrorCode><Client>UpdateAgentLCU</Client></CbsPackageChangeState></UserData></Event>` +
	`<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='EventLog'/><EventID Qualifiers='32768'>6008</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2025-04-09T09:00:01.5000000Z'/><EventRecordID>4713</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/><Channel>System</Channel><Computer>PC1.corp.example</Computer><Security/></System><EventData><Data>10:02:11</Data><Data>09.04.2025</Data><Data></Data><Data>1234</Data><Binary>E90704000300090008000B000E001300</Binary></EventData></Event>`

func wantWevtutil() []event.Event {
	src := event.Source{File: "in.xml", Format: event.FormatXML}
	evs := []event.Event{
		{Event: evtx.Event{System: evtx.System{Provider: "Microsoft-Windows-WindowsUpdateClient", ProviderGUID: "{945A8954-C147-4ACD-923F-40C45405A658}",
			EventID: 20, Version: 1, Level: 2, Task: 1, Opcode: 13, Keywords: 0x8000000000000028,
			TimeCreated: time.Date(2025, 4, 9, 10, 11, 12, 123456700, time.UTC), RecordID: 4711,
			ActivityID: "{8A3C6F0E-8D51-4B8B-9D1C-3E2A5F3B2C10}", ProcessID: 1234, ThreadID: 5678,
			Channel: "System", Computer: "PC1.corp.example", UserID: "S-1-5-18"},
			Fields: []evtx.Field{{Name: "errorCode", Value: "0x80070643"},
				{Name: "updateTitle", Value: "2025-04 Security Update for Windows 10 (KB5057589) & <more> é 日本"},
				{Name: "updateGuid", Value: "{8a8d2a6b-5e41-4a59-9c6f-3e2f7d6b1c11}"}, {Name: "updateRevisionNumber", Value: "1"},
				{Name: "serviceGuid", Value: "{9482f4b4-e343-43b6-b170-9a65bc822c77}"}}}, Source: src},
		{Event: evtx.Event{System: evtx.System{Provider: "Microsoft-Windows-Servicing", ProviderGUID: "{BD12F3B8-FC40-4A61-A307-B7A013A069C1}",
			EventID: 2, Task: 1, Keywords: 0x8000000000000000, TimeCreated: time.Date(2025, 4, 9, 10, 20, 0, 0, time.UTC), RecordID: 4712,
			ProcessID: 900, ThreadID: 901, Channel: "Setup", Computer: "PC1.corp.example", UserID: "S-1-5-18"},
			UserDataName: "CbsPackageChangeState",
			Fields: []evtx.Field{{Name: "PackageIdentifier", Value: "KB5057589"}, {Name: "IntendedPackageState", Value: "5112"},
				{Name: "IntendedPackageStateTextized", Value: "Installed"}, {Name: "ErrorCode", Value: "0x800f0922"}, {Name: "Client", Value: "UpdateAgentLCU"}}}, Source: src},
		{Event: evtx.Event{System: evtx.System{Provider: "EventLog", EventID: 6008, Qualifiers: 32768, HasQualifiers: true, Level: 2,
			Keywords: 0x80000000000000, TimeCreated: time.Date(2025, 4, 9, 9, 0, 1, 500000000, time.UTC), RecordID: 4713,
			Channel: "System", Computer: "PC1.corp.example"},
			Fields: []evtx.Field{{Value: "10:02:11"}, {Value: "09.04.2025"}, {Value: ""}, {Value: "1234"},
				{Name: "Binary", Value: "E90704000300090008000B000E001300"}}}, Source: src},
	}
	return evs
}

// sameEvents compares events, offsets included when withOffsets.
func sameEvents(t testing.TB, got, want []event.Event, withOffsets bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !withOffsets {
			g.Source.Offset, w.Source.Offset = 0, 0
		}
		if !g.TimeCreated.Equal(w.TimeCreated) {
			t.Fatalf("event %d: TimeCreated %v, want %v", i, g.TimeCreated, w.TimeCreated)
		}
		g.TimeCreated, w.TimeCreated = time.Time{}, time.Time{}
		if g.System != w.System || g.UserDataName != w.UserDataName || g.Source != w.Source {
			t.Fatalf("event %d:\n got %+v %q %+v\nwant %+v %q %+v", i, g.System, g.UserDataName, g.Source, w.System, w.UserDataName, w.Source)
		}
		if fmt.Sprint(g.Fields) != fmt.Sprint(w.Fields) || len(g.Fields) != len(w.Fields) {
			t.Fatalf("event %d fields:\n got %q\nwant %q", i, g.Fields, w.Fields)
		}
	}
}

// eventOffsets finds where each "<Event" starts in data (UTF-8).
func eventOffsets(data []byte, n int) []int64 {
	var offs []int64
	for i := 0; len(offs) < n; i++ {
		j := bytes.Index(data[i:], []byte("<Event "))
		if j < 0 {
			break
		}
		i += j
		offs = append(offs, int64(i))
	}
	return offs
}

func withOffsets(evs []event.Event, offs []int64) []event.Event {
	for i := range evs {
		evs[i].Source.Offset = offs[i]
	}
	return evs
}

func TestXMLWevtutilOutput(t *testing.T) {
	data := []byte(wevtutilEvents)
	c := collectXML(t, data)
	if len(c.damage) != 0 {
		t.Fatalf("damage: %v", c.damage)
	}
	sameEvents(t, c.events, withOffsets(wantWevtutil(), eventOffsets(data, 3)), true)
}

func TestXMLEncodings(t *testing.T) {
	text := "\r\n" + strings.ReplaceAll(wevtutilEvents, "><Event", ">\r\n<Event") + "\r\n"
	cases := []struct {
		name string
		data []byte
		// unit is the bytes per character of the ASCII text before each
		// event, to work out offsets.
		unit int
		skip int
	}{
		{"utf-8", []byte(text), 1, 0},
		{"utf-8 with BOM", append([]byte("\xef\xbb\xbf"), text...), 1, 3},
		{"utf-16le with BOM", toUTF16(text, false, true), 2, 2},
		{"utf-16be with BOM", toUTF16(text, true, true), 2, 2},
		{"utf-16le without BOM", toUTF16(text, false, false), 2, 0},
		{"utf-16 with declaration", toUTF16(`<?xml version="1.0" encoding="UTF-16"?>`+text, false, true), 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := collectXML(t, tc.data)
			if len(c.damage) != 0 {
				t.Fatalf("damage: %v", c.damage)
			}
			want := wantWevtutil()
			// Offsets in the file: count characters before each event in
			// the UTF-8 text, in UTF-16 units for UTF-16 files.
			plain := text
			if strings.Contains(tc.name, "declaration") {
				plain = `<?xml version="1.0" encoding="UTF-16"?>` + text
			}
			for i, off := range eventOffsets([]byte(plain), 3) {
				units := len(utf16.Encode([]rune(plain[:off])))
				if tc.unit == 1 {
					units = int(off)
				}
				want[i].Source.Offset = int64(tc.skip + tc.unit*units)
			}
			sameEvents(t, c.events, want, true)
		})
	}
}

func TestXMLGetWinEventOneEventPerLine(t *testing.T) {
	// Get-WinEvent | % ToXml() writes one event per line with double
	// quotes; Out-File adds a BOM and CRLF.
	lines := strings.ReplaceAll(strings.ReplaceAll(wevtutilEvents, "'", `"`), "><Event", ">\r\n<Event")
	c := collectXML(t, append([]byte("\xef\xbb\xbf"), lines...))
	if len(c.damage) != 0 {
		t.Fatalf("damage: %v", c.damage)
	}
	sameEvents(t, c.events, wantWevtutil(), false)
}

func TestXMLEventsRootAndRenderingInfo(t *testing.T) {
	rendering := `<RenderingInfo Culture='en-US'><Message>Installation Failure: Windows failed to install the following update with error 0x80070643.</Message><Level>Error</Level><Task>Windows Update Agent</Task><Opcode>Installation</Opcode><Channel>Other</Channel><Provider>Microsoft-Windows-WindowsUpdateClient</Provider><Keywords><Keyword>Installation</Keyword></Keywords></RenderingInfo>`
	doc := `<?xml version="1.0" encoding="utf-8"?>` + "\n<Events>\n" +
		strings.Replace(wevtutilEvents, "</EventData></Event>", "</EventData>"+rendering+"</Event>", 1) + "\n</Events>\n"
	c := collectXML(t, []byte(doc))
	if len(c.damage) != 0 {
		t.Fatalf("damage: %v", c.damage)
	}
	sameEvents(t, c.events, wantWevtutil(), false)
}

func TestXMLUserDataNestedLeaves(t *testing.T) {
	doc := `<Event><System><Provider Name="Microsoft-Windows-CAPI2"/><EventID>53</EventID></System>` +
		`<UserData><CryptRetrieveObjectByUrlWire xmlns="http://schemas.microsoft.com/win/2004/08/events/CAPI2">` +
		`<URL scheme="http">http://crl.example/a.crl</URL><AdditionalInfo><Action name="NoProxy"/>` +
		`<HTTPRequestHeadersInfo><Header>Connection: Keep-Alive</Header><Header>Accept: */*</Header></HTTPRequestHeadersInfo></AdditionalInfo>` +
		`<Result value="0">ok</Result></CryptRetrieveObjectByUrlWire></UserData></Event>`
	c := collectXML(t, []byte(doc))
	if len(c.damage) != 0 || len(c.events) != 1 {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
	ev := c.events[0]
	want := []evtx.Field{{Name: "URL", Value: "http://crl.example/a.crl"}, {Name: "Action", Value: ""},
		{Name: "Header", Value: "Connection: Keep-Alive"}, {Name: "Header", Value: "Accept: */*"}, {Name: "Result", Value: "ok"}}
	if ev.UserDataName != "CryptRetrieveObjectByUrlWire" || fmt.Sprint(ev.Fields) != fmt.Sprint(want) {
		t.Fatalf("got %q %q", ev.UserDataName, ev.Fields)
	}
}

func TestXMLUserDataWrapperWithoutElements(t *testing.T) {
	// As the EVTX reader decodes it: the wrapper is a field of its own.
	for doc, want := range map[string]string{
		`<Event><System/><UserData><LogFileCleared xmlns="urn:x"/></UserData></Event>`: `[{LogFileCleared }]`,
		`<Event><System/><UserData><Note>text only</Note></UserData></Event>`:          `[{Note text only}]`,
		`<Event><System/><UserData><W><a>1</a></W></UserData></Event>`:                 `[{a 1}]`,
		`<Event><System/><UserData>loose text<W><a>1</a></W></UserData></Event>`:       `[{a 1}]`,
		`<Event><System/><UserData><W><a>1</a></W><V>second</V></UserData></Event>`:    `[{a 1}]`,
	} {
		c := collectXML(t, []byte(doc))
		if len(c.events) != 1 || fmt.Sprint(c.events[0].Fields) != want {
			t.Errorf("%s: got %+v, damage %v; want %s", doc, c.events, c.damage, want)
		}
	}
}

func TestXMLDataWithMarkupKeepsText(t *testing.T) {
	doc := `<Event><System><EventID>1</EventID></System><EventData><Data Name="a">x<b>y</b>z</Data><Data Name="c"><![CDATA[<raw & text>]]></Data><Binary/></EventData></Event>`
	c := collectXML(t, []byte(doc))
	want := []evtx.Field{{Name: "a", Value: "xyz"}, {Name: "c", Value: "<raw & text>"}}
	if len(c.damage) != 0 || len(c.events) != 1 || fmt.Sprint(c.events[0].Fields) != fmt.Sprint(want) {
		t.Fatalf("got %+v, damage %v", c.events, c.damage)
	}
}

func TestXMLDamageIsReportedAndReadingGoesOn(t *testing.T) {
	good := func(id int) string {
		return fmt.Sprintf(`<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="p"/><EventID>%d</EventID><EventRecordID>%d</EventRecordID></System><EventData><Data Name="k">v%d</Data></EventData></Event>`, id, id, id)
	}
	cases := []struct {
		name   string
		bad    string
		reason string
	}{
		{"mismatched end tag", `<Event><System><EventID>9</EventID></System><EventData><Data Name="k">v</Dat></EventData></Event>`, "element <Data> closed by </Dat>"},
		{"unescaped ampersand", `<Event><System><EventID>9</EventID></System><EventData><Data Name="k">a & b</Data></EventData></Event>`, "malformed XML at line 3"},
		{"truncated event", `<Event><System><EventID>9</Event`, "malformed XML"},
		{"bad attribute", `<Event><System><Provider Name=p/></System></Event>`, "malformed XML"},
		{"EventID not a number", `<Event><System><EventID>nine</EventID></System></Event>`, `System EventID "nine" is not an unsigned 16-bit number`},
		{"EventID too large", `<Event><System><EventID>65536</EventID></System></Event>`, "EventID"},
		{"bad time", `<Event><System><TimeCreated SystemTime="yesterday"/></System></Event>`, "TimeCreated.SystemTime"},
		{"bad keywords", `<Event><System><Keywords>0xZZ</Keywords></System></Event>`, "Keywords"},
		{"bad qualifiers", `<Event><System><EventID Qualifiers="-1">1</EventID></System></Event>`, "Qualifiers"},
		{"no System", `<Event><EventData><Data>x</Data></EventData></Event>`, "no <System>"},
		{"garbage between events", `<<<&&&`, "malformed XML"},
		{"too deep", `<Event><System/>` + strings.Repeat("<a>", maxXMLDepth+1) + strings.Repeat("</a>", maxXMLDepth+1) + `</Event>`, "nested deeper"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := good(1) + "\n" + good(2) + "\n" + tc.bad + "\n" + good(3) + good(4)
			c := collectXML(t, []byte(doc))
			if len(c.damage) != 1 {
				t.Fatalf("damage %v, want one report", c.damage)
			}
			d := c.damage[0]
			badAt := int64(strings.Index(doc, tc.bad))
			if d.File != "in.xml" || d.Offset != badAt || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("damage %+v, want offset %d and reason with %q", d, badAt, tc.reason)
			}
			var ids []uint16
			for _, e := range c.events {
				ids = append(ids, e.EventID)
			}
			if fmt.Sprint(ids) != "[1 2 3 4]" {
				t.Fatalf("events read: %v", ids)
			}
			// The bad events start "<Event>" or "<<<", the good ones
			// "<Event ".
			for i, off := range eventOffsets([]byte(doc), 4) {
				if c.events[i].Source.Offset != off {
					t.Fatalf("event %d at offset %d, want %d", i, c.events[i].Source.Offset, off)
				}
			}
		})
	}
}

func TestXMLDamageOffsetInUTF16(t *testing.T) {
	bad := `<Event><System><EventID>9</EventID></System><EventData><Data>é & b</Data></EventData></Event>`
	events := strings.SplitAfter(wevtutilEvents, "</Event>")
	prefix := "<Events>\r\n" + events[0] + "\r\n"
	doc := prefix + bad + "\r\n" + events[1] + events[2] + "</Events>"
	c := collectXML(t, toUTF16(doc, false, true))
	if len(c.events) != 3 || len(c.damage) != 1 {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
	want := int64(2 + 2*len(utf16.Encode([]rune(prefix))))
	if c.damage[0].Offset != want || !strings.Contains(c.damage[0].Reason, "line 3") {
		t.Fatalf("damage %v, want offset %d at line 3", c.damage[0], want)
	}
}

func TestXMLTokenLimit(t *testing.T) {
	doc := `<Event><System><EventID>1</EventID></System><EventData><Data>` + strings.Repeat("x", maxXMLToken+10) + `</Data></EventData></Event>` +
		`<Event><System><EventID>2</EventID></System></Event>`
	c := collectXML(t, []byte(doc))
	if len(c.damage) != 1 || !strings.Contains(c.damage[0].Reason, "token longer") || c.damage[0].Offset != 0 {
		t.Fatalf("damage %v", c.damage)
	}
	if len(c.events) != 1 || c.events[0].EventID != 2 {
		t.Fatalf("events %+v", c.events)
	}
}

func TestXMLPythonEvtxOutput(t *testing.T) {
	// The shape evtx_dump.py prints: an XML 1.1 declaration, an <Events>
	// root, times with a space and microseconds, empty Qualifiers and
	// UserID attributes for absent values.
	doc := `<?xml version="1.1" encoding="utf-8" standalone="yes" ?>

<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="EventLog"></Provider>
<EventID Qualifiers="">6005</EventID>
<Level>4</Level>
<Task>0</Task>
<Keywords>0x0080000000000000</Keywords>
<TimeCreated SystemTime="2017-07-12 17:16:28.214161"></TimeCreated>
<EventRecordID>2</EventRecordID>
<Channel>System</Channel>
<Computer>WIN-P4SIAA0SQCO</Computer>
<Security UserID=""></Security>
</System>
<EventData><Binary></Binary>
</EventData>
</Event>

</Events>
`
	c := collectXML(t, []byte(doc))
	if len(c.damage) != 0 || len(c.events) != 1 {
		t.Fatalf("%d events, damage %v", len(c.events), c.damage)
	}
	s := c.events[0].System
	if s.EventID != 6005 || s.HasQualifiers || s.UserID != "" || s.Keywords != 0x80000000000000 ||
		!s.TimeCreated.Equal(time.Date(2017, 7, 12, 17, 16, 28, 214161000, time.UTC)) || len(c.events[0].Fields) != 0 {
		t.Fatalf("got %+v %q", s, c.events[0].Fields)
	}
}

func TestXMLHandlerErrorAndContext(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := scanXML(context.Background(), "in.xml", strings.NewReader(wevtutilEvents), func(*event.Event) error {
		n++
		return stop
	}, func(Damage) {})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("handler error: %v after %d events", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = scanXML(ctx, "in.xml", strings.NewReader(wevtutilEvents), func(*event.Event) error { return nil }, func(Damage) {})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func TestReadXMLFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "System.xml")
	if err := os.WriteFile(path, []byte(wevtutilEvents), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []event.Event
	var damage []Damage
	err := Read(context.Background(), File{Path: path, Kind: KindXML}, func(e *event.Event) error {
		got = append(got, copyEvent(e))
		return nil
	}, func(d Damage) { damage = append(damage, d) })
	if err != nil || len(damage) != 0 || len(got) != 3 || got[0].Source.File != path || got[0].Source.Format != event.FormatXML {
		t.Fatalf("err %v damage %v events %d", err, damage, len(got))
	}
	err = Read(context.Background(), File{Path: filepath.Join(dir, "missing.xml"), Kind: KindXML}, func(*event.Event) error { return nil },
		func(d Damage) { damage = append(damage, d) })
	if err != nil || len(damage) != 1 {
		t.Fatalf("missing file: %v %v", err, damage)
	}
}
