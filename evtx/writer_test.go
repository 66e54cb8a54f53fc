package evtx_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
)

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	data []byte
	pos  int64
}

func (m *memFile) Write(p []byte) (int, error) {
	end := int(m.pos) + len(p)
	if end > len(m.data) {
		m.data = append(m.data, make([]byte, end-len(m.data))...)
	}
	copy(m.data[m.pos:], p)
	m.pos = int64(end)
	return len(p), nil
}

func (m *memFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += m.pos
	case io.SeekEnd:
		offset += int64(len(m.data))
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	m.pos = offset
	return offset, nil
}

// writeAll writes events with their types (types may be nil) and returns
// the file.
func writeAll(t testing.TB, events []evtx.Event, types [][]evtx.FieldType) []byte {
	t.Helper()
	var f memFile
	w := evtx.NewWriter(&f)
	for i := range events {
		var ty []evtx.FieldType
		if types != nil {
			ty = types[i]
		}
		if err := w.WriteTyped(&events[i], ty); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return f.data
}

// withIDs returns the events as readers give them back: with the record
// identifiers the Writer gives them, Fields never nil, and an empty UserData
// wrapper as one empty field named after it (an element without children
// below <UserData> is a field of its own).
func withIDs(events []evtx.Event) []evtx.Event {
	out := make([]evtx.Event, len(events))
	var last uint64
	for i, ev := range events {
		if ev.RecordID == 0 {
			ev.RecordID = last + 1
		}
		last = ev.RecordID
		if ev.Fields == nil {
			ev.Fields = []evtx.Field{}
		}
		if ev.UserDataName != "" && len(ev.Fields) == 0 {
			ev.Fields = []evtx.Field{{Name: ev.UserDataName}}
		}
		out[i] = ev
	}
	return out
}

// diffEvent describes the first difference between two events, or "".
func diffEvent(want, got evtx.Event) string {
	if !want.TimeCreated.Equal(got.TimeCreated) {
		return fmt.Sprintf("TimeCreated: got %v, want %v", got.TimeCreated, want.TimeCreated)
	}
	want.TimeCreated, got.TimeCreated = time.Time{}, time.Time{}
	if want.System != got.System {
		return fmt.Sprintf("System:\n got %+v\nwant %+v", got.System, want.System)
	}
	if want.UserDataName != got.UserDataName {
		return fmt.Sprintf("UserDataName: got %q, want %q", got.UserDataName, want.UserDataName)
	}
	if len(want.Fields) != len(got.Fields) {
		return fmt.Sprintf("got %d fields, want %d:\n got %q\nwant %q", len(got.Fields), len(want.Fields), got.Fields, want.Fields)
	}
	for i := range want.Fields {
		if want.Fields[i] != got.Fields[i] {
			return fmt.Sprintf("field %d: got %q, want %q", i, got.Fields[i], want.Fields[i])
		}
	}
	return ""
}

func compareEvents(t testing.TB, want, got []evtx.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if d := diffEvent(want[i], got[i]); d != "" {
			t.Fatalf("event %d (record %d): %s", i, want[i].RecordID, d)
		}
	}
}

// eventGen makes varied, valid events from a seed. Text stays within what
// XML 1.0 can carry, so that XML renderings can be compared too.
type eventGen struct {
	r *rand.Rand
	// longText is the largest payload value in characters.
	longText int
}

func newEventGen(seed uint64) *eventGen {
	return &eventGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), longText: 3000}
}

var genPieces = []string{
	"a", "Z", "0", "9", " ", "-", "_", ".", "\\", "/", ":", "&", "<", ">", "\"", "'", "&amp;", "]]>",
	"é", "ü", "ß", "Ω", "Ж", "日本", "한", "€", "\t", "\n", "KB5057589", "0x80070643",
	"C:\\Windows\\System32\\cmd.exe", "😀", "𝄞",
}

func (g *eventGen) text(max int) string {
	n := g.r.IntN(max + 1)
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(genPieces[g.r.IntN(len(genPieces))])
	}
	return b.String()
}

func (g *eventGen) guid() string {
	return fmt.Sprintf("{%08X-%04X-%04X-%04X-%012X}", g.r.Uint32(), g.r.Uint32()&0xffff, g.r.Uint32()&0xffff,
		g.r.Uint32()&0xffff, g.r.Uint64()&0xffffffffffff)
}

var genNames = []string{"updateTitle", "updateGuid", "errorCode", "CommandLine", "Größe", "x", "Data_1", "n-2", "Ω"}
var genDataNames = []string{"a b", "q\"uote", "<lt>", "amp&", "it's", "é", "param1"}

func (g *eventGen) event() evtx.Event {
	r := g.r
	var ev evtx.Event
	s := &ev.System
	s.Provider = []string{"Microsoft-Windows-WindowsUpdateClient", "EventLog", "Microsoft-Windows-Servicing", "", "Prov <&>\"'"}[r.IntN(5)]
	if r.IntN(2) == 0 {
		s.ProviderGUID = g.guid()
	}
	if r.IntN(4) == 0 {
		s.EventSourceName = g.text(20)
		if s.EventSourceName == "" {
			s.EventSourceName = "Service Control Manager"
		}
	}
	s.EventID = uint16(r.Uint32())
	if r.IntN(3) == 0 {
		s.HasQualifiers, s.Qualifiers = true, uint16(r.Uint32())
	}
	s.Version, s.Level, s.Task, s.Opcode = uint8(r.Uint32()), uint8(r.Uint32()), uint16(r.Uint32()), uint8(r.Uint32())
	s.Keywords = r.Uint64()
	if r.IntN(8) != 0 {
		s.TimeCreated = time.Unix(946684800+r.Int64N(30*365*86400), r.Int64N(10_000_000)*100).UTC()
	}
	if r.IntN(3) == 0 {
		s.ActivityID = g.guid()
	}
	if r.IntN(5) == 0 {
		s.RelatedActivityID = g.guid()
	}
	s.ProcessID, s.ThreadID = r.Uint32(), r.Uint32()
	s.Channel = []string{"System", "Setup", "Application", "Microsoft-Windows-WindowsUpdateClient/Operational", ""}[r.IntN(5)]
	s.Computer = g.text(30)
	if r.IntN(2) == 0 {
		s.UserID = []string{"S-1-5-18", "S-1-5-21-3623811015-3361044348-30300820-1013", "S-1-0-0", "S-1-16-12288"}[r.IntN(4)]
	}
	n := r.IntN(8)
	switch r.IntN(4) {
	case 0:
		ev.UserDataName = []string{"CbsPackageChangeState", "LogFileCleared", "Wrapper-1.x"}[r.IntN(3)]
		for i := 0; i < n; i++ {
			ev.Fields = append(ev.Fields, evtx.Field{Name: genNames[r.IntN(len(genNames))], Value: g.value()})
		}
	default:
		for i := 0; i < n; i++ {
			name := ""
			switch r.IntN(3) {
			case 0:
				name = genNames[r.IntN(len(genNames))]
			case 1:
				name = genDataNames[r.IntN(len(genDataNames))]
			}
			ev.Fields = append(ev.Fields, evtx.Field{Name: name, Value: g.value()})
		}
	}
	return ev
}

func (g *eventGen) value() string {
	if g.r.IntN(20) == 0 {
		return g.text(g.longText)
	}
	return g.text(40)
}

func (g *eventGen) events(n int) []evtx.Event {
	evs := make([]evtx.Event, n)
	for i := range evs {
		evs[i] = g.event()
	}
	return evs
}

func TestWriterRoundTripsThroughChecker(t *testing.T) {
	events := newEventGen(1).events(3000)
	data := writeAll(t, events, nil)
	if chunks := (len(data) - 4096) / 65536; chunks < 10 {
		t.Fatalf("only %d chunks: the test should span many", chunks)
	}
	got, err := checkWritten(data)
	if err != nil {
		t.Fatal(err)
	}
	compareEvents(t, withIDs(events), got)
}

func TestWriterIsDeterministic(t *testing.T) {
	events := newEventGen(2).events(500)
	a := writeAll(t, events, nil)
	b := writeAll(t, events, nil)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same events differ")
	}
}

func TestWriterEmptyFileHasOneEmptyChunk(t *testing.T) {
	data := writeAll(t, nil, nil)
	if len(data) != 4096+65536 {
		t.Fatalf("size %d", len(data))
	}
	got, err := checkWritten(data)
	if err != nil || len(got) != 0 {
		t.Fatalf("got %d events, %v", len(got), err)
	}
}

func TestWriterRecordIDs(t *testing.T) {
	events := []evtx.Event{
		{System: evtx.System{Provider: "p"}},
		{System: evtx.System{Provider: "p", RecordID: 100}},
		{System: evtx.System{Provider: "p"}},
		{System: evtx.System{Provider: "p", RecordID: 5000}},
	}
	got, err := checkWritten(writeAll(t, events, nil))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []uint64{1, 100, 101, 5000} {
		if got[i].RecordID != want {
			t.Errorf("event %d: record id %d, want %d", i, got[i].RecordID, want)
		}
	}

	var f memFile
	w := evtx.NewWriter(&f)
	if err := w.Write(&evtx.Event{System: evtx.System{RecordID: 7}}); err != nil {
		t.Fatal(err)
	}
	err = w.Write(&evtx.Event{System: evtx.System{RecordID: 7}})
	var we *evtx.WriteError
	if !errors.Is(err, evtx.ErrRecordIDOrder) || !errors.As(err, &we) || we.RecordID != 7 || we.Field != "RecordID" {
		t.Fatalf("repeated id: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := checkWritten(f.data); err != nil || len(got) != 1 {
		t.Fatalf("after a refused event: %d events, %v", len(got), err)
	}
}

func TestWriterRefusesBadEventsAndStaysUsable(t *testing.T) {
	big := strings.Repeat("x", 30000) // 60000 bytes as UTF-16
	cases := []struct {
		name  string
		ev    evtx.Event
		types []evtx.FieldType
		field string
		is    error
	}{
		{"value over 64 KiB", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: big + big}}}, nil, "a", evtx.ErrEventTooLarge},
		{"event over a chunk", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: big}, {Name: "b", Value: big}}}, nil, "", evtx.ErrEventTooLarge},
		{"invalid UTF-8", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "\xff"}}}, nil, "a", nil},
		{"NUL in value", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "a\x00b"}}}, nil, "a", nil},
		{"NUL in Data name", evtx.Event{Fields: []evtx.Field{{Name: "a\x00", Value: "v"}}}, nil, "a\x00", nil},
		{"invalid Computer", evtx.Event{System: evtx.System{Computer: "\xc3"}}, nil, "Computer", nil},
		{"bad provider GUID", evtx.Event{System: evtx.System{ProviderGUID: "{not-a-guid}"}}, nil, "ProviderGUID", nil},
		{"bad activity GUID", evtx.Event{System: evtx.System{ActivityID: "12345678-1234-1234-1234-12345678901g"}}, nil, "ActivityID", nil},
		{"bad SID", evtx.Event{System: evtx.System{UserID: "S-1-x"}}, nil, "UserID", nil},
		{"time before 1601", evtx.Event{System: evtx.System{TimeCreated: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)}}, nil, "TimeCreated", nil},
		{"time after 9999", evtx.Event{System: evtx.System{TimeCreated: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, nil, "TimeCreated", nil},
		{"filetime after 9999", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "10000-01-01T00:00:00Z"}}}, []evtx.FieldType{evtx.FieldFileTime}, "a", nil},
		{"UserData leaf not an XML name", evtx.Event{UserDataName: "W", Fields: []evtx.Field{{Name: "1a", Value: "v"}}}, nil, "1a", nil},
		{"UserData leaf unnamed", evtx.Event{UserDataName: "W", Fields: []evtx.Field{{Name: "", Value: "v"}}}, nil, "", nil},
		{"UserData wrapper not an XML name", evtx.Event{UserDataName: "a b"}, nil, "UserDataName", nil},
		{"UserData wrapper with prefix", evtx.Event{UserDataName: "x:W"}, nil, "UserDataName", nil},
		{"Data name too long", evtx.Event{Fields: []evtx.Field{{Name: strings.Repeat("n", 1025), Value: "v"}}}, nil, strings.Repeat("n", 1025), nil},
		{"uint8 out of range", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "256"}}}, []evtx.FieldType{evtx.FieldUint8}, "a", nil},
		{"hexint32 out of range", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "0x100000000"}}}, []evtx.FieldType{evtx.FieldHexInt32}, "a", nil},
		{"bool", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "yes"}}}, []evtx.FieldType{evtx.FieldBool}, "a", nil},
		{"binary", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "abc"}}}, []evtx.FieldType{evtx.FieldBinary}, "a", nil},
		{"filetime", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "yesterday"}}}, []evtx.FieldType{evtx.FieldFileTime}, "a", nil},
		{"unknown type", evtx.Event{Fields: []evtx.Field{{Name: "a", Value: "1"}}}, []evtx.FieldType{200}, "a", nil},
	}
	var f memFile
	w := evtx.NewWriter(&f)
	good := evtx.Event{System: evtx.System{Provider: "p", Channel: "System"}, Fields: []evtx.Field{{Name: "k", Value: "v"}}}
	var want []evtx.Event
	for i, c := range cases {
		if err := w.Write(&good); err != nil {
			t.Fatal(err)
		}
		want = append(want, good)
		err := w.WriteTyped(&c.ev, c.types)
		var we *evtx.WriteError
		if !errors.As(err, &we) {
			t.Errorf("%s: got %v, want a *WriteError", c.name, err)
			continue
		}
		if we.Field != c.field || we.RecordID != uint64(i+2) {
			t.Errorf("%s: field %q record %d, want %q %d (%v)", c.name, we.Field, we.RecordID, c.field, i+2, err)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v is not %v", c.name, err, c.is)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := checkWritten(f.data)
	if err != nil {
		t.Fatal(err)
	}
	compareEvents(t, withIDs(want), got)
}

func TestWriterLargestEventFitsAlone(t *testing.T) {
	// Two events that each nearly fill a chunk cannot share one; the small
	// ones fit beside them. Every event must still be written whole.
	big := strings.Repeat("ß", 31800)
	events := []evtx.Event{
		{Fields: []evtx.Field{{Name: "a", Value: "small"}}},
		{Fields: []evtx.Field{{Name: "a", Value: big}}},
		{Fields: []evtx.Field{{Name: "a", Value: big}}},
		{Fields: []evtx.Field{{Name: "a", Value: "small"}}},
	}
	data := writeAll(t, events, nil)
	if chunks := (len(data) - 4096) / 65536; chunks != 2 {
		t.Fatalf("%d chunks, want 2", chunks)
	}
	got, err := checkWritten(data)
	if err != nil {
		t.Fatal(err)
	}
	compareEvents(t, withIDs(events), got)
}

// typedCases lists each FieldType with a value and its canonical text (the
// way the event XML shows it, as the checker renders it).
var typedCases = []struct {
	typ       evtx.FieldType
	in, canon string
}{
	{evtx.FieldString, "text", "text"},
	{evtx.FieldInt8, "-128", "-128"},
	{evtx.FieldUint8, "255", "255"},
	{evtx.FieldInt16, "-300", "-300"},
	{evtx.FieldUint16, "65535", "65535"},
	{evtx.FieldInt32, "-5", "-5"},
	{evtx.FieldUint32, "4294967295", "4294967295"},
	{evtx.FieldInt64, "-9223372036854775808", "-9223372036854775808"},
	{evtx.FieldUint64, "18446744073709551615", "18446744073709551615"},
	{evtx.FieldHexInt32, "0x80070643", "0x80070643"},
	{evtx.FieldHexInt32, "-2147024891", "0x80070005"},
	{evtx.FieldHexInt32, "2147944003", "0x80070643"},
	{evtx.FieldHexInt64, "0X3E7", "0x3e7"},
	{evtx.FieldBool, "true", "true"},
	{evtx.FieldBool, "0", "false"},
	{evtx.FieldGUID, "9482f4b4-e343-43b6-b170-9a65bc822c77", "{9482F4B4-E343-43B6-B170-9A65BC822C77}"},
	{evtx.FieldSID, "S-1-5-21-1-2-3-500", "S-1-5-21-1-2-3-500"},
	{evtx.FieldFileTime, "2025-04-08T17:00:01.1234567Z", "2025-04-08T17:00:01.1234567Z"},
	{evtx.FieldFileTime, "2025-04-08T19:00:01+02:00", "2025-04-08T17:00:01.0000000Z"},
	{evtx.FieldBinary, "e107070003000c00", "E107070003000C00"},
}

// typedEvent puts every typed case in one event.
func typedEvent() (evtx.Event, []evtx.FieldType, evtx.Event) {
	ev := evtx.Event{System: evtx.System{Provider: "typed", Channel: "Application", Computer: "pc"}}
	want := ev
	var types []evtx.FieldType
	for i, c := range typedCases {
		name := fmt.Sprintf("f%d_%v", i, c.typ)
		ev.Fields = append(ev.Fields, evtx.Field{Name: name, Value: c.in})
		want.Fields = append(want.Fields, evtx.Field{Name: name, Value: c.canon})
		types = append(types, c.typ)
	}
	// The <Binary> element of classic events.
	ev.Fields = append(ev.Fields, evtx.Field{Name: "Binary", Value: "00ff"})
	want.Fields = append(want.Fields, evtx.Field{Name: "Binary", Value: "00FF"})
	types = append(types, evtx.FieldBinary)
	return ev, types, want
}

func TestWriterTypedValues(t *testing.T) {
	ev, types, want := typedEvent()
	got, err := checkWritten(writeAll(t, []evtx.Event{ev}, [][]evtx.FieldType{types}))
	if err != nil {
		t.Fatal(err)
	}
	compareEvents(t, withIDs([]evtx.Event{want}), got)
}

func TestWriterStartsAtCurrentOffset(t *testing.T) {
	f := &memFile{}
	f.Write([]byte("prefix"))
	w := evtx.NewWriter(f)
	ev := evtx.Event{System: evtx.System{Provider: "p"}}
	if err := w.Write(&ev); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if string(f.data[:6]) != "prefix" {
		t.Fatal("prefix overwritten")
	}
	if _, err := checkWritten(f.data[6:]); err != nil {
		t.Fatal(err)
	}
	if f.pos != int64(len(f.data)) {
		t.Fatalf("Close left the position at %d, not at the end %d", f.pos, len(f.data))
	}
}

func TestWriterDirtyUntilClosed(t *testing.T) {
	var f memFile
	w := evtx.NewWriter(&f)
	ev := evtx.Event{System: evtx.System{Provider: "p"}}
	if err := w.Write(&ev); err != nil {
		t.Fatal(err)
	}
	if len(f.data) != 4096 || f.data[120] != 1 {
		t.Fatalf("before Close: %d bytes, flags %d; want a dirty header only", len(f.data), f.data[120])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(w.Write(&ev), evtx.ErrWriterClosed) || !errors.Is(w.Close(), evtx.ErrWriterClosed) {
		t.Fatal("use after Close not refused")
	}
}

// failingFile fails every write after the first n bytes.
type failingFile struct {
	memFile
	n int
}

var errDisk = errors.New("disk full")

func (f *failingFile) Write(p []byte) (int, error) {
	if len(f.data)+len(p) > f.n {
		return 0, errDisk
	}
	return f.memFile.Write(p)
}

func TestWriterIOErrorIsSticky(t *testing.T) {
	f := &failingFile{n: 4096 + 65536}
	w := evtx.NewWriter(f)
	g := newEventGen(3)
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		ev := g.event()
		err = w.Write(&ev)
	}
	if !errors.Is(err, errDisk) {
		t.Fatalf("got %v, want the disk error", err)
	}
	ev := g.event()
	if !errors.Is(w.Write(&ev), errDisk) || !errors.Is(w.Close(), errDisk) {
		t.Fatal("the error is not sticky")
	}
}

func TestCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.evtx")
	w, err := evtx.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	events := newEventGen(4).events(50)
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkWritten(data)
	if err != nil {
		t.Fatal(err)
	}
	compareEvents(t, withIDs(events), got)
	if _, err := evtx.Create(filepath.Join(path, "sub", "b.evtx")); err == nil {
		t.Fatal("Create below a file succeeded")
	}
}

func TestUserDataNamespace(t *testing.T) {
	ev := evtx.Event{System: evtx.System{Provider: "Microsoft-Windows-Servicing"}, UserDataName: "CbsPackageChangeState"}
	if ns := evtx.DefaultUserDataNamespace(&ev); ns != "http://manifests.microsoft.com/win/2004/08/windows/setup_provider" {
		t.Fatalf("servicing namespace %q", ns)
	}
	var f memFile
	w := evtx.NewWriter(&f)
	w.UserDataNamespace = func(*evtx.Event) string { return "urn:test" }
	if err := w.Write(&ev); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(f.data, utf16le("urn:test")) {
		t.Fatal("custom namespace not written")
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// The checker is the oracle of the tests above; it must notice damage.
func TestCheckerNoticesDamage(t *testing.T) {
	data := writeAll(t, newEventGen(5).events(200), nil)
	r := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 200; i++ {
		bad := bytes.Clone(data)
		at := r.IntN(len(bad))
		bad[at] ^= byte(1 + r.IntN(255))
		if _, err := checkWritten(bad); err == nil {
			t.Fatalf("flipping byte %#x went unnoticed", at)
		}
	}
}
