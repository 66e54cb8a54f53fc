package evtx

import (
	"encoding/binary"
	"time"
)

// System strings that Decode fills, in the order of sysTargets.
const (
	sProvider = iota
	sProviderGUID
	sEventSourceName
	sActivityID
	sRelatedActivityID
	sChannel
	sComputer
	sUserID
	sCount
)

// textSpan is a string decoded into the decoder's arena: bytes start:end,
// or, when static is set, a string the program already holds.
type textSpan struct {
	start, end int32
	static     string
	set        bool
}

// fieldSpan is a decoded payload field before its strings are made.
type fieldSpan struct {
	name, val textSpan
}

// decodeState is the typed decoder's scratch space, kept in the decoder.
type decodeState struct {
	arena  []byte
	sys    [sCount]textSpan
	fields []fieldSpan
	tmp    []byte
	// systemOnly makes decode skip the payload (Record.DecodeSystem).
	systemOnly bool
}

// decode fills ev from the top-level items of a record. Every string it
// sets shares one allocation.
func (d *decoder) decode(ev *Event, sci int32, items []item) error {
	ev.Reset()
	st := &d.ds
	st.arena = st.arena[:0]
	st.sys = [sCount]textSpan{}
	st.fields = st.fields[:0]
	mark := len(d.kids)
	if err := d.collectKids(sci, items); err != nil {
		return err
	}
	// The first root element is the event; further ones (a trailing
	// RenderingInfo fragment) hold nothing the typed model keeps.
	if len(d.kids) > mark {
		kr := d.kids[mark]
		if err := d.decodeEvent(ev, kr.sc, kr.e); err != nil {
			return err
		}
	}
	d.kids = d.kids[:mark]
	if d.overrun {
		return d.limitError()
	}

	s := string(st.arena)
	str := func(t textSpan) string {
		if !t.set || t.static != "" {
			return t.static
		}
		return s[t.start:t.end]
	}
	sys := &ev.System
	sys.Provider = str(st.sys[sProvider])
	sys.ProviderGUID = str(st.sys[sProviderGUID])
	sys.EventSourceName = str(st.sys[sEventSourceName])
	sys.ActivityID = str(st.sys[sActivityID])
	sys.RelatedActivityID = str(st.sys[sRelatedActivityID])
	sys.Channel = str(st.sys[sChannel])
	sys.Computer = str(st.sys[sComputer])
	sys.UserID = str(st.sys[sUserID])
	for _, f := range st.fields {
		ev.Fields = append(ev.Fields, Field{Name: str(f.name), Value: str(f.val)})
	}
	return nil
}

// decodeEvent decodes the children of the Event element.
func (d *decoder) decodeEvent(ev *Event, sci int32, e int32) error {
	el := &d.scopes[sci].prog.elems[e]
	mark := len(d.kids)
	if err := d.collectKids(sci, d.scopes[sci].prog.kids(el)); err != nil {
		return err
	}
	var err error
	for k := mark; k < len(d.kids) && err == nil; k++ {
		kr := d.kids[k]
		ce := &d.scopes[kr.sc].prog.elems[kr.e]
		switch ce.name.id {
		case nSystem:
			err = d.decodeSystem(ev, kr.sc, ce)
		case nEventData:
			if !d.ds.systemOnly {
				err = d.decodeEventData(kr.sc, ce)
			}
		case nUserData:
			if !d.ds.systemOnly {
				err = d.decodeUserData(ev, kr.sc, ce)
			}
		}
	}
	d.kids = d.kids[:mark]
	return err
}

// text decodes the text content of items into the arena.
func (d *decoder) text(sci int32, items []item) textSpan {
	st := &d.ds
	start := len(st.arena)
	st.arena = d.appendText(st.arena, sci, items, escNone)
	return textSpan{start: int32(start), end: int32(len(st.arena)), set: true}
}

// attrText decodes the value of the attribute with the given name id.
func (d *decoder) attrText(sci int32, el *elem, id nameID) (textSpan, bool) {
	prog := d.scopes[sci].prog
	attrs := prog.attrsOf(el)
	for i := range attrs {
		if attrs[i].name.id == id {
			return d.text(sci, prog.valItems(&attrs[i])), true
		}
	}
	return textSpan{}, false
}

func (d *decoder) attrItems(sci int32, el *elem, id nameID) ([]item, bool) {
	prog := d.scopes[sci].prog
	attrs := prog.attrsOf(el)
	for i := range attrs {
		if attrs[i].name.id == id {
			return prog.valItems(&attrs[i]), true
		}
	}
	return nil, false
}

// number decodes items as an unsigned integer: straight from the bytes of an
// integer substitution, or by parsing the text (decimal, or hex with 0x).
func (d *decoder) number(sci int32, items []item) (uint64, bool) {
	if len(items) == 1 && items[0].kind == itemSubst {
		v := d.scopes[sci].val(items[0].idx)
		b := d.data[v.off : v.off+v.size]
		le := binary.LittleEndian
		switch {
		case (v.typ == typeUint8 || v.typ == typeInt8) && len(b) >= 1:
			return uint64(b[0]), true
		case (v.typ == typeUint16 || v.typ == typeInt16) && len(b) >= 2:
			return uint64(le.Uint16(b)), true
		case (v.typ == typeUint32 || v.typ == typeInt32 || v.typ == typeHexInt32) && len(b) >= 4:
			return uint64(le.Uint32(b)), true
		case (v.typ == typeUint64 || v.typ == typeInt64 || v.typ == typeHexInt64) && len(b) >= 8:
			return le.Uint64(b), true
		}
	}
	st := &d.ds
	st.tmp = d.appendText(st.tmp[:0], sci, items, escNone)
	return parseUint(st.tmp)
}

// parseUint parses decimal or 0x-prefixed hexadecimal text.
func parseUint(b []byte) (uint64, bool) {
	base := 10
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b, base = b[2:], 16
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case base == 16 && c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case base == 16 && c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		if u > (1<<64-1-uint64(v))/uint64(base) {
			return 0, false
		}
		u = u*uint64(base) + uint64(v)
	}
	return u, true
}

// timeOf decodes items as a time: a FILETIME or SYSTEMTIME substitution, or
// text in the form Windows renders.
func (d *decoder) timeOf(sci int32, items []item) time.Time {
	if len(items) == 1 && items[0].kind == itemSubst {
		v := d.scopes[sci].val(items[0].idx)
		b := d.data[v.off : v.off+v.size]
		switch {
		case v.typ == typeFiletime && len(b) >= 8:
			return filetimeToTime(binary.LittleEndian.Uint64(b))
		case v.typ == typeSystemtime && len(b) >= 16:
			return systemtimeToTime(b)
		}
	}
	st := &d.ds
	st.tmp = d.appendText(st.tmp[:0], sci, items, escNone)
	t, err := time.Parse(time.RFC3339Nano, string(st.tmp))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// decodeSystem fills ev.System from the System element.
func (d *decoder) decodeSystem(ev *Event, sci int32, el *elem) error {
	st := &d.ds
	s := &ev.System
	mark := len(d.kids)
	if err := d.collectKids(sci, d.scopes[sci].prog.kids(el)); err != nil {
		return err
	}
	for k := mark; k < len(d.kids); k++ {
		kr := d.kids[k]
		prog := d.scopes[kr.sc].prog
		ce := &prog.elems[kr.e]
		kids := prog.kids(ce)
		switch ce.name.id {
		case nProvider:
			if t, ok := d.attrText(kr.sc, ce, nName); ok {
				st.sys[sProvider] = t
			}
			if t, ok := d.attrText(kr.sc, ce, nGuid); ok {
				st.sys[sProviderGUID] = t
			}
			if t, ok := d.attrText(kr.sc, ce, nEventSourceName); ok {
				st.sys[sEventSourceName] = t
			}
		case nEventID:
			if u, ok := d.number(kr.sc, kids); ok {
				s.EventID = uint16(u)
			}
			if items, ok := d.attrItems(kr.sc, ce, nQualifiers); ok && d.nonEmpty(kr.sc, items) {
				if u, ok := d.number(kr.sc, items); ok {
					s.Qualifiers, s.HasQualifiers = uint16(u), true
				}
			}
		case nVersion:
			if u, ok := d.number(kr.sc, kids); ok {
				s.Version = uint8(u)
			}
		case nLevel:
			if u, ok := d.number(kr.sc, kids); ok {
				s.Level = uint8(u)
			}
		case nTask:
			if u, ok := d.number(kr.sc, kids); ok {
				s.Task = uint16(u)
			}
		case nOpcode:
			if u, ok := d.number(kr.sc, kids); ok {
				s.Opcode = uint8(u)
			}
		case nKeywords:
			if u, ok := d.number(kr.sc, kids); ok {
				s.Keywords = u
			}
		case nTimeCreated:
			if items, ok := d.attrItems(kr.sc, ce, nSystemTime); ok {
				s.TimeCreated = d.timeOf(kr.sc, items)
			}
		case nEventRecordID:
			if u, ok := d.number(kr.sc, kids); ok {
				s.RecordID = u
			}
		case nCorrelation:
			if t, ok := d.attrText(kr.sc, ce, nActivityID); ok {
				st.sys[sActivityID] = t
			}
			if t, ok := d.attrText(kr.sc, ce, nRelatedActivityID); ok {
				st.sys[sRelatedActivityID] = t
			}
		case nExecution:
			if items, ok := d.attrItems(kr.sc, ce, nProcessID); ok {
				if u, ok := d.number(kr.sc, items); ok {
					s.ProcessID = uint32(u)
				}
			}
			if items, ok := d.attrItems(kr.sc, ce, nThreadID); ok {
				if u, ok := d.number(kr.sc, items); ok {
					s.ThreadID = uint32(u)
				}
			}
		case nChannel:
			st.sys[sChannel] = d.text(kr.sc, kids)
		case nComputer:
			st.sys[sComputer] = d.text(kr.sc, kids)
		case nSecurity:
			if t, ok := d.attrText(kr.sc, ce, nUserID); ok {
				st.sys[sUserID] = t
			}
		}
	}
	d.kids = d.kids[:mark]
	return nil
}

// decodeEventData adds a field for every child of EventData, named by its
// Name attribute (Data, and ComplexData of some providers), or else by its
// element name, except for Data without a Name, which gives an empty name.
func (d *decoder) decodeEventData(sci int32, el *elem) error {
	st := &d.ds
	mark := len(d.kids)
	if err := d.collectKids(sci, d.scopes[sci].prog.kids(el)); err != nil {
		return err
	}
	for k := mark; k < len(d.kids); k++ {
		kr := d.kids[k]
		prog := d.scopes[kr.sc].prog
		ce := &prog.elems[kr.e]
		var f fieldSpan
		if items, ok := d.attrItems(kr.sc, ce, nName); ok && d.nonEmpty(kr.sc, items) {
			f.name = d.text(kr.sc, items)
		} else if ce.name.id != nData {
			f.name = textSpan{static: ce.name.s, set: true}
		}
		f.val = d.text(kr.sc, prog.kids(ce))
		st.fields = append(st.fields, f)
	}
	d.kids = d.kids[:mark]
	return nil
}

// decodeUserData records the wrapper element's name and adds a field for
// every leaf element below it.
func (d *decoder) decodeUserData(ev *Event, sci int32, el *elem) error {
	mark := len(d.kids)
	if err := d.collectKids(sci, d.scopes[sci].prog.kids(el)); err != nil {
		return err
	}
	var err error
	if len(d.kids) > mark {
		kr := d.kids[mark]
		ce := &d.scopes[kr.sc].prog.elems[kr.e]
		ev.UserDataName = ce.name.s
		err = d.decodeLeaves(kr.sc, ce)
	}
	d.kids = d.kids[:mark]
	return err
}

// decodeLeaves adds a field for each leaf element below el. A wrapper
// without element children gives one field of its own.
func (d *decoder) decodeLeaves(sci int32, el *elem) error {
	if err := d.countWork(len(d.ds.arena)); err != nil {
		return err
	}
	kids := d.scopes[sci].prog.kids(el)
	_, hasElem := d.classify(sci, kids)
	if !hasElem {
		d.ds.fields = append(d.ds.fields, fieldSpan{
			name: textSpan{static: el.name.s, set: true},
			val:  d.text(sci, kids),
		})
		return nil
	}
	mark := len(d.kids)
	if err := d.collectKids(sci, kids); err != nil {
		return err
	}
	for k := mark; k < len(d.kids); k++ {
		kr := d.kids[k]
		if err := d.decodeLeaves(kr.sc, &d.scopes[kr.sc].prog.elems[kr.e]); err != nil {
			return err
		}
	}
	d.kids = d.kids[:mark]
	return nil
}
