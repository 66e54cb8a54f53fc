package evtx_test

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wuguard/wuguard/evtx"
)

// fuzzSource turns fuzzer bytes into choices; past the end it gives zeros.
type fuzzSource struct{ b []byte }

func (s *fuzzSource) bytes(n int) []byte {
	out := make([]byte, n)
	copy(out, s.b)
	s.b = s.b[min(n, len(s.b)):]
	return out
}

func (s *fuzzSource) u8() byte      { return s.bytes(1)[0] }
func (s *fuzzSource) u16() uint16   { return binary.LittleEndian.Uint16(s.bytes(2)) }
func (s *fuzzSource) u32() uint32   { return binary.LittleEndian.Uint32(s.bytes(4)) }
func (s *fuzzSource) u64() uint64   { return binary.LittleEndian.Uint64(s.bytes(8)) }
func (s *fuzzSource) empty() bool   { return len(s.b) == 0 }
func (s *fuzzSource) bit(n int) int { return int(s.u8()) % n }

// text takes raw bytes, which may be invalid UTF-8 or hold NUL; a length
// byte with the top bit set makes a long value that may not fit a chunk.
func (s *fuzzSource) text() string {
	n := int(s.u8())
	if n&0x80 != 0 {
		return strings.Repeat(string(s.bytes(n&0x7f)), int(s.u16())%600)
	}
	return string(s.bytes(n))
}

func (s *fuzzSource) guid() string {
	b := s.bytes(16)
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// typed returns a typed value in the text form the checker renders it in.
func (s *fuzzSource) typed() (evtx.FieldType, string) {
	t := evtx.FieldType(s.bit(16))
	n := s.u64()
	switch t {
	case evtx.FieldInt8:
		return t, strconv.Itoa(int(int8(n)))
	case evtx.FieldUint8:
		return t, strconv.Itoa(int(uint8(n)))
	case evtx.FieldInt16:
		return t, strconv.Itoa(int(int16(n)))
	case evtx.FieldUint16:
		return t, strconv.Itoa(int(uint16(n)))
	case evtx.FieldInt32:
		return t, strconv.Itoa(int(int32(n)))
	case evtx.FieldUint32:
		return t, strconv.FormatUint(uint64(uint32(n)), 10)
	case evtx.FieldInt64:
		return t, strconv.FormatInt(int64(n), 10)
	case evtx.FieldUint64:
		return t, strconv.FormatUint(n, 10)
	case evtx.FieldHexInt32:
		return t, fmt.Sprintf("0x%x", uint32(n))
	case evtx.FieldHexInt64:
		return t, fmt.Sprintf("0x%x", n)
	case evtx.FieldBool:
		return t, strconv.FormatBool(n&1 == 1)
	case evtx.FieldGUID:
		return t, s.guid()
	case evtx.FieldSID:
		return t, fmt.Sprintf("S-1-%d-%d-%d", n%(1<<48), uint32(n>>8), s.u32())
	case evtx.FieldFileTime:
		return t, time.Unix(int64(n%(1<<34)), int64(n%10_000_000)*100).UTC().Format("2006-01-02T15:04:05.0000000Z")
	case evtx.FieldBinary:
		return t, strings.ToUpper(hex.EncodeToString(s.bytes(s.bit(40))))
	}
	return evtx.FieldString, s.text()
}

func (s *fuzzSource) event() (evtx.Event, []evtx.FieldType) {
	var ev evtx.Event
	sys := &ev.System
	flags := s.u16()
	on := func(bit int) bool { return flags&(1<<bit) != 0 }
	sys.Provider = s.text()
	if on(0) {
		sys.ProviderGUID = s.guid()
	}
	if on(1) {
		sys.EventSourceName = s.text()
	}
	sys.EventID = s.u16()
	if on(2) {
		sys.HasQualifiers, sys.Qualifiers = true, s.u16()
	}
	sys.Version, sys.Level, sys.Task, sys.Opcode, sys.Keywords = s.u8(), s.u8(), s.u16(), s.u8(), s.u64()
	if on(3) {
		// Any FILETIME up to year 30000, in 100 ns steps.
		ft := s.u64() % (10_000_000 * 86400 * 365 * 28400)
		sys.TimeCreated = time.Unix(-11644473600+int64(ft/10_000_000), int64(ft%10_000_000)*100).UTC()
	}
	if on(4) {
		sys.RecordID = s.u64() % 1000
	}
	if on(5) {
		sys.ActivityID = s.guid()
	}
	if on(6) {
		sys.RelatedActivityID = s.guid()
	}
	sys.ProcessID, sys.ThreadID = s.u32(), s.u32()
	sys.Channel, sys.Computer = s.text(), s.text()
	if on(7) {
		sys.UserID = fmt.Sprintf("S-1-5-21-%d-%d", s.u32(), s.u32())
	}
	if on(8) {
		ev.UserDataName = s.text()
	}
	n := s.bit(12)
	var types []evtx.FieldType
	for i := 0; i < n; i++ {
		f := evtx.Field{Name: s.text()}
		t := evtx.FieldString
		if on(9) {
			t, f.Value = s.typed()
		} else {
			f.Value = s.text()
		}
		ev.Fields = append(ev.Fields, f)
		types = append(types, t)
	}
	return ev, types
}

// FuzzWriter writes the events the input describes. Each Write must either
// succeed or be refused with a *WriteError, and the file must then hold
// exactly the events that were accepted, in a structure the checker finds
// sound to the last byte and that the package's reader decodes back.
func FuzzWriter(f *testing.F) {
	for seed := uint64(0); seed < 8; seed++ {
		r := rand.New(rand.NewPCG(seed, seed))
		b := make([]byte, 64<<seed)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Add([]byte("\x00"))
	f.Add([]byte("\xff\xff\x08WUClient\xff\x7f\x00\x00"))
	f.Fuzz(writeFuzzInput)
}

// TestFuzzWriterTimeAfter9999 replays a crasher of FuzzWriter: a TimeCreated
// in year 20000 was written, but its SystemTime cannot be shown as RFC 3339
// and did not read back. The Writer now refuses years after 9999.
func TestFuzzWriterTimeAfter9999(t *testing.T) {
	writeFuzzInput(t, []byte("80\x800000000000000000000000000"))
}

// writeFuzzInput is the property FuzzWriter checks for one input.
func writeFuzzInput(t *testing.T, data []byte) {
	src := &fuzzSource{b: data}
	var file memFile
	w := evtx.NewWriter(&file)
	var accepted []evtx.Event
	var last uint64
	for events := 0; !src.empty() && events < 60; events++ {
		ev, types := src.event()
		err := w.WriteTyped(&ev, types)
		if err != nil {
			var we *evtx.WriteError
			if !errors.As(err, &we) {
				t.Fatalf("event %d: error %v is not a *WriteError", events, err)
			}
			continue
		}
		if ev.RecordID == 0 {
			ev.RecordID = last + 1
		}
		last = ev.RecordID
		accepted = append(accepted, ev)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := checkWritten(file.data)
	if err != nil {
		t.Fatal(err)
	}
	compareEvents(t, withIDs(accepted), got)
	// The package's reader must decode the same events, and render them.
	decoded, _ := readBack(t, file.data)
	compareEvents(t, withIDs(accepted), decoded)
}
