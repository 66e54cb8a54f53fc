package evtx

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"
)

// Substitution slots of the System values, in template instance order.
// Payload values follow from wsPayload on. Every slot is always present in
// the instance data; attributes the event lacks are left out of the template
// and their slot holds a null value.
const (
	wsProvider = iota
	wsProviderGUID
	wsSourceName
	wsEventID
	wsQualifiers
	wsVersion
	wsLevel
	wsTask
	wsOpcode
	wsKeywords
	wsTimeCreated
	wsRecordID
	wsActivityID
	wsRelatedActivityID
	wsProcessID
	wsThreadID
	wsChannel
	wsComputer
	wsUserID
	wsPayload
)

// Optional System attributes, as bits of writerShape.present.
const (
	wpProviderGUID = 1 << iota
	wpSourceName
	wpQualifiers
	wpTimeCreated
	wpActivityID
	wpRelatedActivityID
	wpUserID
	// wpProvider is set when Provider is not empty: libevtx refuses a
	// record whose attribute holds an empty string, so an empty Provider
	// leaves the Name attribute out rather than writing Name="".
	wpProvider
)

// wrEventNamespace is the namespace of every Windows event.
const wrEventNamespace = "http://schemas.microsoft.com/win/2004/08/events/event"

// wrMaxNameUnits bounds element and Data Name lengths, in UTF-16 units.
const wrMaxNameUnits = 1024

// writerShape is what the template of an event depends on: which optional
// System attributes it has and the names and types of its payload. Events of
// one shape share one template definition per chunk.
type writerShape struct {
	present      uint8
	userData     string // wrapper element name, "" for EventData
	namespace    string // xmlns of the wrapper element
	fields       []writerFieldShape
	key          string // unique encoding of all of the above
	guid         [16]byte
	templateID   uint32
	bucket       int
	substitution int // number of values in an instance
}

type writerFieldShape struct {
	name string
	typ  byte
	// binary marks the <Binary> element of EventData.
	binary bool
}

// newWriterShape works out the shape of ev. It checks the names it puts in
// the template; values are checked when they are encoded.
func newWriterShape(ev *Event, types []FieldType, namespace string) (*writerShape, error) {
	s := &writerShape{userData: ev.UserDataName}
	sys := &ev.System
	for _, p := range []struct {
		bit uint8
		on  bool
	}{
		{wpProviderGUID, sys.ProviderGUID != ""},
		{wpSourceName, sys.EventSourceName != ""},
		{wpQualifiers, sys.HasQualifiers},
		{wpTimeCreated, !sys.TimeCreated.IsZero()},
		{wpActivityID, sys.ActivityID != ""},
		{wpRelatedActivityID, sys.RelatedActivityID != ""},
		{wpUserID, sys.UserID != ""},
		{wpProvider, sys.Provider != ""},
	} {
		if p.on {
			s.present |= p.bit
		}
	}
	if s.userData != "" {
		if err := wrCheckXMLName(s.userData); err != nil {
			return nil, &WriteError{Field: "UserDataName", Err: err}
		}
		s.namespace = namespace
		if err := wrCheckText(namespace); err != nil {
			return nil, &WriteError{Field: "UserData namespace", Err: err}
		}
	}
	s.fields = make([]writerFieldShape, len(ev.Fields))
	for i, f := range ev.Fields {
		t := FieldString
		if i < len(types) {
			t = types[i]
		}
		if t >= wrFieldTypeCount {
			return nil, &WriteError{Field: f.Name, Err: fmt.Errorf("unknown field type %v", t)}
		}
		fs := writerFieldShape{name: f.Name, typ: wrFieldTypeCodes[t]}
		switch {
		case s.userData != "":
			if err := wrCheckXMLName(f.Name); err != nil {
				return nil, &WriteError{Field: f.Name, Err: err}
			}
		case f.Name == "Binary" && t == FieldBinary:
			fs.binary = true
		default:
			if err := wrCheckText(f.Name); err != nil {
				return nil, &WriteError{Field: f.Name, Err: err}
			}
		}
		s.fields[i] = fs
	}
	s.substitution = wsPayload + len(s.fields)

	key := make([]byte, 0, 64)
	key = append(key, s.present)
	key = wrAppendKeyString(key, s.userData)
	key = wrAppendKeyString(key, s.namespace)
	for _, f := range s.fields {
		key = append(key, f.typ)
		if f.binary {
			key = append(key, 1)
		} else {
			key = append(key, 0)
		}
		key = wrAppendKeyString(key, f.name)
	}
	s.key = string(key)
	// The template GUID is a hash of the shape, so that a shape keeps its
	// identifier in every chunk and every file.
	h := fnv.New128a()
	h.Write(key)
	copy(s.guid[:], h.Sum(nil))
	s.templateID = binary.LittleEndian.Uint32(s.guid[:4])
	// Windows' choice of template-table bucket is not documented; readers
	// follow the chains without recomputing it.
	s.bucket = int(s.templateID % wrTemplateBuckets)
	return s, nil
}

func wrAppendKeyString(key []byte, s string) []byte {
	key = binary.AppendUvarint(key, uint64(len(s)))
	return append(key, s...)
}

// wrCheckText refuses names that cannot be stored as template text.
func wrCheckText(s string) error {
	units, err := wrAppendUTF16(nil, s)
	if err != nil {
		return err
	}
	if len(units)/2 > wrMaxNameUnits {
		return fmt.Errorf("name is longer than %d characters", wrMaxNameUnits)
	}
	return nil
}

// wrCheckXMLName accepts the XML names an element can carry. Colons are
// refused: a prefix would need a namespace declaration the model lacks.
func wrCheckXMLName(s string) error {
	if err := wrCheckText(s); err != nil {
		return err
	}
	if s == "" {
		return fmt.Errorf("empty element name")
	}
	for i, r := range s {
		if !wrIsNameRune(r, i == 0) {
			return fmt.Errorf("%q is not an XML element name", s)
		}
	}
	return nil
}

// wrIsNameRune follows the NameStartChar and NameChar productions of XML 1.0
// fifth edition, without the colon.
func wrIsNameRune(r rune, first bool) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r == '_',
		r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	case first:
		return false
	case r == '-', r == '.', r >= '0' && r <= '9', r == 0xB7,
		r >= 0x300 && r <= 0x36F, r >= 0x203F && r <= 0x2040:
		return true
	}
	return false
}

// template writes a template instance of s: the definition inline when the
// chunk does not hold it yet, else a reference to it.
func (e *writerEnc) template(s *writerShape) {
	e.u8(wtTemplate)
	e.u8(1)
	e.u32(s.templateID)
	if off, ok := e.c.templates[s.key]; ok {
		e.u32(off)
		return
	}
	off := uint32(e.pos() + 4)
	e.u32(off)
	e.u32(e.c.templateBuckets[s.bucket])
	e.buf = append(e.buf, s.guid[:]...)
	sizeAt := len(e.buf)
	e.u32(0)
	e.templateBody(s)
	e.patchSize(sizeAt)
	e.c.templateBuckets[s.bucket] = off
	e.c.templates[s.key] = off
	e.c.newTemplates = append(e.c.newTemplates, s.key)
}

func (e *writerEnc) templateBody(s *writerShape) {
	e.buf = append(e.buf, wtFragmentHeader, 1, 1, 0)
	event := e.open("Event", true)
	list := e.attrs()
	e.attr("xmlns", true)
	e.text(wrEventNamespace)
	e.patchSize(list)
	e.u8(wtCloseStart)
	e.system(s)
	e.payload(s)
	e.end(event)
	e.u8(wtEOF)
}

// elementSub writes <name>{sub}</name>.
func (e *writerEnc) elementSub(name string, index int, typ byte) {
	at := e.open(name, false)
	e.u8(wtCloseStart)
	e.sub(index, typ)
	e.end(at)
}

// writerAttr is an attribute filled by a substitution.
type writerAttr struct {
	name  string
	index int
	typ   byte
}

// emptyElement writes <name a="{sub}" …/>, without attributes when attrs is
// empty.
func (e *writerEnc) emptyElement(name string, attrs []writerAttr) {
	at := e.open(name, len(attrs) > 0)
	if len(attrs) > 0 {
		list := e.attrs()
		for i, a := range attrs {
			e.attr(a.name, i == len(attrs)-1)
			e.sub(a.index, a.typ)
		}
		e.patchSize(list)
	}
	e.closeEmpty(at)
}

func (e *writerEnc) system(s *writerShape) {
	has := func(bit uint8) bool { return s.present&bit != 0 }
	sys := e.open("System", false)
	e.u8(wtCloseStart)

	var provider []writerAttr
	if has(wpProvider) {
		provider = append(provider, writerAttr{"Name", wsProvider, wvString})
	}
	if has(wpProviderGUID) {
		provider = append(provider, writerAttr{"Guid", wsProviderGUID, wvGUID})
	}
	if has(wpSourceName) {
		provider = append(provider, writerAttr{"EventSourceName", wsSourceName, wvString})
	}
	e.emptyElement("Provider", provider)

	if has(wpQualifiers) {
		at := e.open("EventID", true)
		list := e.attrs()
		e.attr("Qualifiers", true)
		e.sub(wsQualifiers, wvUint16)
		e.patchSize(list)
		e.u8(wtCloseStart)
		e.sub(wsEventID, wvUint16)
		e.end(at)
	} else {
		e.elementSub("EventID", wsEventID, wvUint16)
	}
	e.elementSub("Version", wsVersion, wvUint8)
	e.elementSub("Level", wsLevel, wvUint8)
	e.elementSub("Task", wsTask, wvUint16)
	e.elementSub("Opcode", wsOpcode, wvUint8)
	e.elementSub("Keywords", wsKeywords, wvHexInt64)

	var created []writerAttr
	if has(wpTimeCreated) {
		created = append(created, writerAttr{"SystemTime", wsTimeCreated, wvFileTime})
	}
	e.emptyElement("TimeCreated", created)
	e.elementSub("EventRecordID", wsRecordID, wvUint64)

	var correlation []writerAttr
	if has(wpActivityID) {
		correlation = append(correlation, writerAttr{"ActivityID", wsActivityID, wvGUID})
	}
	if has(wpRelatedActivityID) {
		correlation = append(correlation, writerAttr{"RelatedActivityID", wsRelatedActivityID, wvGUID})
	}
	e.emptyElement("Correlation", correlation)
	e.emptyElement("Execution", []writerAttr{
		{"ProcessID", wsProcessID, wvUint32},
		{"ThreadID", wsThreadID, wvUint32},
	})
	e.elementSub("Channel", wsChannel, wvString)
	e.elementSub("Computer", wsComputer, wvString)

	var security []writerAttr
	if has(wpUserID) {
		security = append(security, writerAttr{"UserID", wsUserID, wvSID})
	}
	e.emptyElement("Security", security)
	e.end(sys)
}

func (e *writerEnc) payload(s *writerShape) {
	if s.userData != "" {
		outer := e.open("UserData", false)
		e.u8(wtCloseStart)
		wrapper := e.open(s.userData, s.namespace != "")
		if s.namespace != "" {
			list := e.attrs()
			e.attr("xmlns", true)
			e.text(s.namespace)
			e.patchSize(list)
		}
		e.u8(wtCloseStart)
		for i, f := range s.fields {
			e.elementSub(f.name, wsPayload+i, f.typ)
		}
		e.end(wrapper)
		e.end(outer)
		return
	}
	if len(s.fields) == 0 {
		return
	}
	data := e.open("EventData", false)
	e.u8(wtCloseStart)
	for i, f := range s.fields {
		switch {
		case f.binary:
			e.elementSub("Binary", wsPayload+i, f.typ)
		case f.name == "":
			e.elementSub("Data", wsPayload+i, f.typ)
		default:
			at := e.open("Data", true)
			list := e.attrs()
			e.attr("Name", true)
			e.text(f.name)
			e.patchSize(list)
			e.u8(wtCloseStart)
			e.sub(wsPayload+i, f.typ)
			e.end(at)
		}
	}
	e.end(data)
}

// instance writes the values of a template instance.
func (e *writerEnc) instance(values []writerValue) {
	e.u32(uint32(len(values)))
	for _, v := range values {
		e.u16(uint16(len(v.data)))
		e.u8(v.typ)
		e.u8(0)
	}
	for _, v := range values {
		e.buf = append(e.buf, v.data...)
	}
}

// writerValues holds the substitution values of one event; its buffers are
// reused from event to event.
type writerValues struct {
	values []writerValue
	data   []byte
	starts []int
}

// writerSlot describes one System value: its type, the presence bit it
// depends on (0 for always present) and how to encode it.
type writerSlot struct {
	bit    uint8
	typ    byte
	field  string
	encode func(dst []byte) ([]byte, error)
}

func wrString(s string) func([]byte) ([]byte, error) {
	return func(dst []byte) ([]byte, error) { return wrAppendUTF16(dst, s) }
}

func wrNumber(n uint64, size int) func([]byte) ([]byte, error) {
	return func(dst []byte) ([]byte, error) { return wrAppendUint(dst, n, size), nil }
}

func wrGUID(s string) func([]byte) ([]byte, error) {
	return func(dst []byte) ([]byte, error) { return wrAppendGUID(dst, s) }
}

// build encodes the values of ev for shape s, in substitution order.
func (v *writerValues) build(ev *Event, s *writerShape, types []FieldType, recordID uint64) error {
	v.values, v.data, v.starts = v.values[:0], v.data[:0], v.starts[:0]
	sys := &ev.System
	system := [wsPayload]writerSlot{
		wsProvider:          {wpProvider, wvString, "Provider", wrString(sys.Provider)},
		wsProviderGUID:      {wpProviderGUID, wvGUID, "ProviderGUID", wrGUID(sys.ProviderGUID)},
		wsSourceName:        {wpSourceName, wvString, "EventSourceName", wrString(sys.EventSourceName)},
		wsEventID:           {0, wvUint16, "EventID", wrNumber(uint64(sys.EventID), 2)},
		wsQualifiers:        {wpQualifiers, wvUint16, "Qualifiers", wrNumber(uint64(sys.Qualifiers), 2)},
		wsVersion:           {0, wvUint8, "Version", wrNumber(uint64(sys.Version), 1)},
		wsLevel:             {0, wvUint8, "Level", wrNumber(uint64(sys.Level), 1)},
		wsTask:              {0, wvUint16, "Task", wrNumber(uint64(sys.Task), 2)},
		wsOpcode:            {0, wvUint8, "Opcode", wrNumber(uint64(sys.Opcode), 1)},
		wsKeywords:          {0, wvHexInt64, "Keywords", wrNumber(sys.Keywords, 8)},
		wsTimeCreated:       {wpTimeCreated, wvFileTime, "TimeCreated", func(dst []byte) ([]byte, error) { return wrAppendFileTime(dst, sys.TimeCreated) }},
		wsRecordID:          {0, wvUint64, "EventRecordID", wrNumber(recordID, 8)},
		wsActivityID:        {wpActivityID, wvGUID, "ActivityID", wrGUID(sys.ActivityID)},
		wsRelatedActivityID: {wpRelatedActivityID, wvGUID, "RelatedActivityID", wrGUID(sys.RelatedActivityID)},
		wsProcessID:         {0, wvUint32, "ProcessID", wrNumber(uint64(sys.ProcessID), 4)},
		wsThreadID:          {0, wvUint32, "ThreadID", wrNumber(uint64(sys.ThreadID), 4)},
		wsChannel:           {0, wvString, "Channel", wrString(sys.Channel)},
		wsComputer:          {0, wvString, "Computer", wrString(sys.Computer)},
		wsUserID:            {wpUserID, wvSID, "UserID", func(dst []byte) ([]byte, error) { return wrAppendSID(dst, sys.UserID) }},
	}
	for _, slot := range system {
		if slot.bit != 0 && s.present&slot.bit == 0 {
			// Left out of the template; the slot keeps its place.
			v.values = append(v.values, writerValue{typ: wvNull})
			v.starts = append(v.starts, len(v.data))
			continue
		}
		if err := v.add(slot.typ, slot.field, recordID, slot.encode); err != nil {
			return err
		}
	}
	for i, f := range ev.Fields {
		t := FieldString
		if i < len(types) {
			t = types[i]
		}
		field := f.Name
		if field == "" {
			field = "Data[" + strconv.Itoa(i) + "]"
		}
		value := f.Value
		err := v.add(s.fields[i].typ, field, recordID, func(dst []byte) ([]byte, error) {
			return wrAppendValue(dst, t, value)
		})
		if err != nil {
			return err
		}
	}
	v.starts = append(v.starts, len(v.data))
	for i := range v.values {
		v.values[i].data = v.data[v.starts[i]:v.starts[i+1]]
	}
	return nil
}

func (v *writerValues) add(typ byte, field string, recordID uint64, encode func([]byte) ([]byte, error)) error {
	start := len(v.data)
	data, err := encode(v.data)
	if err != nil {
		return &WriteError{RecordID: recordID, Field: field, Err: err}
	}
	if len(data)-start > wrMaxValueBytes {
		return &WriteError{RecordID: recordID, Field: field, Err: fmt.Errorf("%w: value takes %d bytes, more than %d", ErrEventTooLarge, len(data)-start, wrMaxValueBytes)}
	}
	v.data = data
	v.values = append(v.values, writerValue{typ: typ})
	v.starts = append(v.starts, start)
	return nil
}
