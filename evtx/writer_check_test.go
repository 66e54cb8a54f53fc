package evtx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/wuguard/wuguard/evtx"
)

// checkWritten verifies every structure of a file the Writer produced and
// decodes its events. It knows only the subset of BinXML the Writer emits,
// and it is strict about it: any offset, size, checksum, table chain or
// token that is not exactly as the format requires is an error. It is the
// test oracle of the writer, independent of the package's reader.
func checkWritten(data []byte) ([]evtx.Event, error) {
	le := binary.LittleEndian
	if len(data) < 4096 || (len(data)-4096)%65536 != 0 {
		return nil, fmt.Errorf("file size %d is not a header plus whole chunks", len(data))
	}
	h := data[:4096]
	chunks := (len(data) - 4096) / 65536
	switch {
	case string(h[:8]) != "ElfFile\x00":
		return nil, fmt.Errorf("bad file magic")
	case le.Uint64(h[8:]) != 0:
		return nil, fmt.Errorf("first chunk %d", le.Uint64(h[8:]))
	case le.Uint64(h[16:]) != uint64(chunks-1):
		return nil, fmt.Errorf("last chunk %d, want %d", le.Uint64(h[16:]), chunks-1)
	case le.Uint32(h[32:]) != 128 || le.Uint16(h[36:]) != 1 || le.Uint16(h[38:]) != 3 || le.Uint16(h[40:]) != 4096:
		return nil, fmt.Errorf("bad header size or version")
	case int(le.Uint16(h[42:])) != chunks:
		return nil, fmt.Errorf("header counts %d chunks, file has %d", le.Uint16(h[42:]), chunks)
	case le.Uint32(h[120:]) != 0:
		return nil, fmt.Errorf("file flags %#x, want clean", le.Uint32(h[120:]))
	case le.Uint32(h[124:]) != crc32.ChecksumIEEE(h[:120]):
		return nil, fmt.Errorf("file header checksum")
	case !allZero(h[44:120]) || !allZero(h[128:]):
		return nil, fmt.Errorf("file header reserved bytes not zero")
	}
	var events []evtx.Event
	var lastID uint64
	for i := 0; i < chunks; i++ {
		chunk := data[4096+i*65536 : 4096+(i+1)*65536]
		evs, last, err := checkChunk(chunk, lastID)
		if err != nil {
			return nil, fmt.Errorf("chunk %d: %w", i, err)
		}
		if len(evs) == 0 && chunks > 1 {
			return nil, fmt.Errorf("chunk %d: empty chunk in a file with events", i)
		}
		events = append(events, evs...)
		lastID = last
	}
	if le.Uint64(h[24:]) != lastID+1 {
		return nil, fmt.Errorf("next record id %d, want %d", le.Uint64(h[24:]), lastID+1)
	}
	return events, nil
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// chunkCheck holds what one chunk defines: names and templates by offset.
type chunkCheck struct {
	buf       []byte
	names     map[uint32]string
	templates map[uint32]*checkTemplate
}

type checkTemplate struct {
	id   uint32
	root *checkNode
}

func checkChunk(c []byte, prevID uint64) ([]evtx.Event, uint64, error) {
	le := binary.LittleEndian
	if string(c[:8]) != "ElfChnk\x00" || le.Uint32(c[40:]) != 128 {
		return nil, 0, fmt.Errorf("bad chunk magic or header size")
	}
	sum := crc32.ChecksumIEEE(c[:120])
	sum = crc32.Update(sum, crc32.IEEETable, c[128:512])
	if le.Uint32(c[124:]) != sum {
		return nil, 0, fmt.Errorf("chunk header checksum")
	}
	free := int(le.Uint32(c[48:]))
	lastOff := int(le.Uint32(c[44:]))
	if free < 512 || free > len(c) || le.Uint32(c[52:]) != crc32.ChecksumIEEE(c[512:free]) {
		return nil, 0, fmt.Errorf("records checksum or free offset %d", free)
	}
	if !allZero(c[free:]) || !allZero(c[56:120]) {
		return nil, 0, fmt.Errorf("unused bytes not zero")
	}
	cc := &chunkCheck{buf: c, names: map[uint32]string{}, templates: map[uint32]*checkTemplate{}}
	var events []evtx.Event
	id := prevID
	var first, last uint64
	off, recordAt := 512, 0
	for off < free {
		if free-off < 32 || le.Uint32(c[off:]) != 0x2a2a {
			return nil, 0, fmt.Errorf("record at %#x: bad magic", off)
		}
		size := int(le.Uint32(c[off+4:]))
		if size%8 != 0 || size < 32 || off+size > free || int(le.Uint32(c[off+size-4:])) != size {
			return nil, 0, fmt.Errorf("record at %#x: bad size %d", off, size)
		}
		rid := le.Uint64(c[off+8:])
		if rid <= id {
			return nil, 0, fmt.Errorf("record at %#x: id %d after %d", off, rid, id)
		}
		id = rid
		if first == 0 {
			first = rid
		}
		last = rid
		ev, err := cc.record(off, size)
		if err != nil {
			return nil, 0, fmt.Errorf("record %d at %#x: %w", rid, off, err)
		}
		if ev.RecordID != rid {
			return nil, 0, fmt.Errorf("record %d: EventRecordID %d", rid, ev.RecordID)
		}
		var ft uint64
		if !ev.TimeCreated.IsZero() {
			ft = toFileTime(ev.TimeCreated)
		}
		if le.Uint64(c[off+16:]) != ft {
			return nil, 0, fmt.Errorf("record %d: written time differs from TimeCreated", rid)
		}
		events = append(events, ev)
		recordAt = off
		off += size
	}
	if off != free || lastOff != recordAt {
		return nil, 0, fmt.Errorf("last record offset %#x, want %#x", lastOff, recordAt)
	}
	if le.Uint64(c[8:]) != first || le.Uint64(c[24:]) != first || le.Uint64(c[16:]) != last || le.Uint64(c[32:]) != last {
		return nil, 0, fmt.Errorf("record range in header differs from records %d..%d", first, last)
	}
	if err := cc.checkTables(); err != nil {
		return nil, 0, err
	}
	return events, last, nil
}

// checkTables verifies that the string and template tables chain exactly
// the names and templates the records defined.
func (cc *chunkCheck) checkTables() error {
	le := binary.LittleEndian
	seen := map[uint32]bool{}
	for b := 0; b < 64; b++ {
		for off := le.Uint32(cc.buf[128+4*b:]); off != 0; off = le.Uint32(cc.buf[off:]) {
			name, ok := cc.names[off]
			if !ok || seen[off] {
				return fmt.Errorf("string table bucket %d: offset %#x is not a name defined once", b, off)
			}
			seen[off] = true
			units := utf16.Encode([]rune(name))
			var hsum uint32
			for _, u := range units {
				hsum = hsum*65599 + uint32(u)
			}
			if le.Uint16(cc.buf[off+4:]) != uint16(hsum) || int(uint16(hsum)%64) != b {
				return fmt.Errorf("name %q: hash or bucket wrong", name)
			}
		}
	}
	if len(seen) != len(cc.names) {
		return fmt.Errorf("string table chains %d names, records define %d", len(seen), len(cc.names))
	}
	clear(seen)
	for b := 0; b < 32; b++ {
		for off := le.Uint32(cc.buf[384+4*b:]); off != 0; off = le.Uint32(cc.buf[off:]) {
			if _, ok := cc.templates[off]; !ok || seen[off] {
				return fmt.Errorf("template table bucket %d: offset %#x is not a template defined once", b, off)
			}
			seen[off] = true
		}
	}
	if len(seen) != len(cc.templates) {
		return fmt.Errorf("template table chains %d templates, records define %d", len(seen), len(cc.templates))
	}
	return nil
}

// checkCursor reads BinXML at chunk offsets within [pos, end).
type checkCursor struct {
	cc       *chunkCheck
	pos, end int
	err      error
}

func (r *checkCursor) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at %#x: %s", r.pos, fmt.Sprintf(format, args...))
	}
}

func (r *checkCursor) bytes(n int) []byte {
	if r.err != nil || n < 0 || r.end-r.pos < n {
		r.fail("truncated")
		return make([]byte, n)
	}
	b := r.cc.buf[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *checkCursor) u8() byte    { return r.bytes(1)[0] }
func (r *checkCursor) u16() uint16 { return binary.LittleEndian.Uint16(r.bytes(2)) }
func (r *checkCursor) u32() uint32 { return binary.LittleEndian.Uint32(r.bytes(4)) }

func (r *checkCursor) expect(b ...byte) {
	if got := r.bytes(len(b)); r.err == nil && !bytes.Equal(got, b) {
		r.fail("got % x, want % x", got, b)
	}
}

func (r *checkCursor) utf16(n int) string {
	raw := r.bytes(2 * n)
	units := make([]uint16, n)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return string(utf16.Decode(units))
}

// name reads a name reference: inline right after it at first use, else
// pointing back at an earlier definition.
func (r *checkCursor) name() string {
	off := r.u32()
	if r.err != nil {
		return ""
	}
	if int(off) == r.pos {
		if _, dup := r.cc.names[off]; dup {
			r.fail("name defined twice")
		}
		r.u32() // next in bucket, checked with the table
		r.u16() // hash, checked with the table
		n := int(r.u16())
		s := r.utf16(n)
		r.expect(0, 0)
		r.cc.names[off] = s
		return s
	}
	s, ok := r.cc.names[off]
	if !ok || int(off) > r.pos {
		r.fail("name offset %#x is not an earlier name", off)
	}
	return s
}

// checkNode is an element of a template: attributes and content are either
// literal text or a substitution.
type checkNode struct {
	name     string
	attrs    []checkItem
	content  []checkItem
	children []*checkNode
}

type checkItem struct {
	name  string // attribute name
	text  string
	isSub bool
	index int
	typ   byte
}

func (r *checkCursor) element() *checkNode {
	tok := r.u8()
	if tok != 0x01 && tok != 0x41 {
		r.fail("token %#x, want element start", tok)
		return nil
	}
	if r.u16() != 0xffff {
		r.fail("dependency id set")
	}
	size := int(r.u32())
	end := r.pos + size
	n := &checkNode{name: r.name()}
	if tok == 0x41 {
		listSize := int(r.u32())
		listEnd := r.pos + listSize
		for r.err == nil {
			at := r.u8()
			if at != 0x06 && at != 0x46 {
				r.fail("token %#x, want attribute", at)
				break
			}
			name := r.name()
			item := r.value()
			item.name = name
			n.attrs = append(n.attrs, item)
			if at == 0x06 {
				break
			}
		}
		if r.err == nil && r.pos != listEnd {
			r.fail("attribute list size %d wrong", listSize)
		}
		if len(n.attrs) == 0 {
			r.fail("0x41 element without attributes")
		}
	}
	switch r.u8() {
	case 0x03:
	case 0x02:
		for r.err == nil {
			if r.pos >= r.end {
				r.fail("element %s not closed", n.name)
				break
			}
			if r.cc.buf[r.pos] == 0x04 {
				r.pos++
				break
			}
			switch r.cc.buf[r.pos] {
			case 0x01, 0x41:
				n.children = append(n.children, r.element())
			default:
				n.content = append(n.content, r.value())
			}
		}
	default:
		r.fail("bad token after start tag")
	}
	if r.err == nil && r.pos != end {
		r.fail("element %s size %d wrong", n.name, size)
	}
	return n
}

// value reads literal text (0x05) or a substitution (0x0d).
func (r *checkCursor) value() checkItem {
	switch tok := r.u8(); tok {
	case 0x05:
		r.expect(0x01)
		return checkItem{text: r.utf16(int(r.u16()))}
	case 0x0d:
		return checkItem{isSub: true, index: int(r.u16()), typ: r.u8()}
	default:
		r.fail("token %#x, want value or substitution", tok)
		return checkItem{}
	}
}

// record checks one record and decodes its event.
func (cc *chunkCheck) record(off, size int) (evtx.Event, error) {
	r := &checkCursor{cc: cc, pos: off + 24, end: off + size - 4}
	r.expect(0x0f, 1, 1, 0, 0x0c, 1)
	id := r.u32()
	defOff := r.u32()
	var tmpl *checkTemplate
	if r.err == nil && int(defOff) == r.pos {
		if _, dup := cc.templates[defOff]; dup {
			r.fail("template defined twice")
		}
		r.u32() // next in bucket, checked with the table
		guid := r.bytes(16)
		if binary.LittleEndian.Uint32(guid) != id {
			r.fail("template id is not the GUID's first 4 bytes")
		}
		size := int(r.u32())
		bodyEnd := r.pos + size
		r.expect(0x0f, 1, 1, 0)
		root := r.element()
		r.expect(0x00)
		if r.err == nil && r.pos != bodyEnd {
			r.fail("template size %d wrong", size)
		}
		tmpl = &checkTemplate{id: id, root: root}
		cc.templates[defOff] = tmpl
	} else if t, ok := cc.templates[defOff]; ok && t.id == id {
		tmpl = t
	} else if r.err == nil {
		r.fail("template offset %#x is not an earlier template with id %#x", defOff, id)
	}
	count := int(r.u32())
	if r.err == nil && count > (r.end-r.pos)/4 {
		r.fail("value count %d too large", count)
	}
	values := make([]checkValue, count)
	for i := range values {
		values[i].size = int(r.u16())
		values[i].typ = r.u8()
		r.expect(0)
	}
	for i := range values {
		values[i].data = r.bytes(values[i].size)
	}
	r.expect(0x00)
	if r.err != nil {
		return evtx.Event{}, r.err
	}
	if !allZero(cc.buf[r.pos:r.end]) || r.end-r.pos >= 8 {
		return evtx.Event{}, fmt.Errorf("padding after the BinXML is not 0-7 zero bytes")
	}
	return buildEvent(tmpl.root, values)
}

type checkValue struct {
	size int
	typ  byte
	data []byte
}

// text renders a value the way the Windows event XML shows it.
func (v checkValue) text() (string, error) {
	le := binary.LittleEndian
	want := map[byte]int{0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8,
		0x0d: 4, 0x0f: 16, 0x11: 8, 0x14: 4, 0x15: 8}
	if n, ok := want[v.typ]; ok && len(v.data) != n {
		return "", fmt.Errorf("value type %#x has %d bytes", v.typ, len(v.data))
	}
	d := v.data
	switch v.typ {
	case 0x01:
		if len(d)%2 != 0 {
			return "", fmt.Errorf("odd string size")
		}
		units := make([]uint16, len(d)/2)
		for i := range units {
			units[i] = le.Uint16(d[2*i:])
		}
		return string(utf16.Decode(units)), nil
	case 0x03:
		return strconv.Itoa(int(int8(d[0]))), nil
	case 0x04:
		return strconv.Itoa(int(d[0])), nil
	case 0x05:
		return strconv.Itoa(int(int16(le.Uint16(d)))), nil
	case 0x06:
		return strconv.Itoa(int(le.Uint16(d))), nil
	case 0x07:
		return strconv.Itoa(int(int32(le.Uint32(d)))), nil
	case 0x08:
		return strconv.FormatUint(uint64(le.Uint32(d)), 10), nil
	case 0x09:
		return strconv.FormatInt(int64(le.Uint64(d)), 10), nil
	case 0x0a:
		return strconv.FormatUint(le.Uint64(d), 10), nil
	case 0x0d:
		switch le.Uint32(d) {
		case 0:
			return "false", nil
		case 1:
			return "true", nil
		}
		return "", fmt.Errorf("bool %d", le.Uint32(d))
	case 0x0e:
		return strings.ToUpper(hex.EncodeToString(d)), nil
	case 0x0f:
		return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}", le.Uint32(d), le.Uint16(d[4:]), le.Uint16(d[6:]), d[8:10], d[10:16]), nil
	case 0x11:
		return fromFileTime(le.Uint64(d)).Format("2006-01-02T15:04:05.0000000Z"), nil
	case 0x13:
		if len(d) < 8 || len(d) != 8+4*int(d[1]) {
			return "", fmt.Errorf("bad SID size")
		}
		var auth uint64
		for _, b := range d[2:8] {
			auth = auth<<8 | uint64(b)
		}
		s := fmt.Sprintf("S-%d-%d", d[0], auth)
		for i := 0; i < int(d[1]); i++ {
			s += fmt.Sprintf("-%d", le.Uint32(d[8+4*i:]))
		}
		return s, nil
	case 0x14:
		return fmt.Sprintf("0x%x", le.Uint32(d)), nil
	case 0x15:
		return fmt.Sprintf("0x%x", le.Uint64(d)), nil
	}
	return "", fmt.Errorf("value type %#x", v.typ)
}

// buildEvent applies the values to the template and reads the event model
// off the result, following the rules of evtx.Field.
func buildEvent(root *checkNode, values []checkValue) (evtx.Event, error) {
	var ev evtx.Event
	// resolve gives the text of an item, and whether it is present: a null
	// substitution stands for an absent value.
	resolve := func(it checkItem) (string, bool, error) {
		if !it.isSub {
			return it.text, true, nil
		}
		if it.index >= len(values) {
			return "", false, fmt.Errorf("substitution %d of %d values", it.index, len(values))
		}
		v := values[it.index]
		if v.typ == 0x00 {
			return "", false, fmt.Errorf("substitution %d refers to a null value", it.index)
		}
		if v.typ != it.typ {
			return "", false, fmt.Errorf("substitution %d has type %#x, value %#x", it.index, it.typ, v.typ)
		}
		s, err := v.text()
		return s, true, err
	}
	content := func(n *checkNode) (string, error) {
		if len(n.children) > 0 || len(n.content) != 1 {
			return "", fmt.Errorf("element %s: want one value", n.name)
		}
		s, _, err := resolve(n.content[0])
		return s, err
	}
	attrs := func(n *checkNode) (map[string]string, error) {
		m := map[string]string{}
		for _, a := range n.attrs {
			s, _, err := resolve(a)
			if err != nil {
				return nil, err
			}
			if _, dup := m[a.name]; dup {
				return nil, fmt.Errorf("element %s: attribute %s twice", n.name, a.name)
			}
			m[a.name] = s
		}
		return m, nil
	}
	if root == nil || root.name != "Event" || len(root.children) == 0 || root.children[0].name != "System" {
		return ev, fmt.Errorf("template root is not <Event><System>")
	}
	if a, err := attrs(root); err != nil || len(a) != 1 || a["xmlns"] != "http://schemas.microsoft.com/win/2004/08/events/event" {
		return ev, fmt.Errorf("Event xmlns wrong")
	}
	order := []string{"Provider", "EventID", "Version", "Level", "Task", "Opcode", "Keywords", "TimeCreated",
		"EventRecordID", "Correlation", "Execution", "Channel", "Computer", "Security"}
	sys := root.children[0]
	if len(sys.children) != len(order) {
		return ev, fmt.Errorf("System has %d children", len(sys.children))
	}
	num := func(s string, bits int) uint64 {
		n, _ := strconv.ParseUint(s, 10, bits)
		return n
	}
	for i, n := range sys.children {
		if n.name != order[i] {
			return ev, fmt.Errorf("System child %d is %s, want %s", i, n.name, order[i])
		}
		a, err := attrs(n)
		if err != nil {
			return ev, err
		}
		var text string
		if len(n.content) > 0 {
			if text, err = content(n); err != nil {
				return ev, err
			}
		}
		s := &ev.System
		switch n.name {
		case "Provider":
			s.Provider, s.ProviderGUID, s.EventSourceName = a["Name"], a["Guid"], a["EventSourceName"]
		case "EventID":
			s.EventID = uint16(num(text, 16))
			if q, ok := a["Qualifiers"]; ok {
				s.HasQualifiers, s.Qualifiers = true, uint16(num(q, 16))
			}
		case "Version":
			s.Version = uint8(num(text, 8))
		case "Level":
			s.Level = uint8(num(text, 8))
		case "Task":
			s.Task = uint16(num(text, 16))
		case "Opcode":
			s.Opcode = uint8(num(text, 8))
		case "Keywords":
			s.Keywords, _ = strconv.ParseUint(strings.TrimPrefix(text, "0x"), 16, 64)
		case "TimeCreated":
			if st, ok := a["SystemTime"]; ok {
				s.TimeCreated, _ = time.Parse(time.RFC3339Nano, st)
			}
		case "EventRecordID":
			s.RecordID = num(text, 64)
		case "Correlation":
			s.ActivityID, s.RelatedActivityID = a["ActivityID"], a["RelatedActivityID"]
		case "Execution":
			s.ProcessID, s.ThreadID = uint32(num(a["ProcessID"], 32)), uint32(num(a["ThreadID"], 32))
		case "Channel":
			s.Channel = text
		case "Computer":
			s.Computer = text
		case "Security":
			s.UserID = a["UserID"]
		}
	}
	for _, n := range root.children[1:] {
		switch n.name {
		case "EventData":
			for _, d := range n.children {
				v, err := content(d)
				if err != nil {
					return ev, err
				}
				a, err := attrs(d)
				if err != nil {
					return ev, err
				}
				switch d.name {
				case "Data":
					ev.Fields = append(ev.Fields, evtx.Field{Name: a["Name"], Value: v})
				case "Binary":
					ev.Fields = append(ev.Fields, evtx.Field{Name: "Binary", Value: v})
				default:
					return ev, fmt.Errorf("EventData child %s", d.name)
				}
			}
		case "UserData":
			if len(n.children) != 1 {
				return ev, fmt.Errorf("UserData has %d children", len(n.children))
			}
			wrapper := n.children[0]
			ev.UserDataName = wrapper.name
			if len(wrapper.children) == 0 {
				// A wrapper without elements is a field of its own.
				ev.Fields = append(ev.Fields, evtx.Field{Name: wrapper.name})
			}
			for _, leaf := range wrapper.children {
				v, err := content(leaf)
				if err != nil {
					return ev, err
				}
				ev.Fields = append(ev.Fields, evtx.Field{Name: leaf.name, Value: v})
			}
		default:
			return ev, fmt.Errorf("Event child %s", n.name)
		}
	}
	if ev.Fields == nil {
		ev.Fields = []evtx.Field{}
	}
	return ev, nil
}

func toFileTime(t time.Time) uint64 {
	epoch := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
	return uint64(t.Unix()-epoch.Unix())*10_000_000 + uint64(t.Nanosecond()/100)
}

func fromFileTime(ft uint64) time.Time {
	epoch := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	return time.Unix(epoch+int64(ft/10_000_000), int64(ft%10_000_000)*100).UTC()
}
